"""Word lists the seeded data is drawn from.

Kept apart from the generator so the realism (multilingual names, construction-trade items, the
chart of accounts) can be read and extended without wading through generation logic. Non-ASCII text
is deliberate: clients must carry names like "北京建材" through every hop intact.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Company:
    code: str  # KCO / CO, A(5)
    address_number: int
    name: str
    currency: str
    country: str  # drives tax-id shapes and language preference
    business_units: tuple[str, ...]


COMPANIES: tuple[Company, ...] = (
    Company("00001", 1, "ML Construction Holdings Inc.", "USD", "US", ("1", "3", "20", "30", "M30")),
    Company("00050", 50, "ML Bau Deutschland GmbH", "EUR", "DE", ("50", "5010", "M50")),
    Company("00070", 70, "ML Construction France SAS", "EUR", "FR", ("70", "7010")),
    Company("00200", 200, "ML 建设（北京）有限公司", "CNY", "CN", ("200", "M200")),
)
# Job-cost business units get extra cost-code subsidiaries when the scale asks for more accounts.
JOB_COST_UNITS = ("M30", "M50", "M200")


@dataclass(frozen=True)
class ObjectAccount:
    obj: str
    description: str
    subs: tuple[str, ...] = ("",)
    posting_edit: str = ""  # blank = postable; N non-posting header; I inactive
    level_of_detail: str = "7"
    expense: bool = False


CHART_OF_ACCOUNTS: tuple[ObjectAccount, ...] = (
    ObjectAccount("1000", "Current Assets", posting_edit="N", level_of_detail="3"),
    ObjectAccount("1110", "Cash in Bank", ("", "BEAR")),
    ObjectAccount("1210", "Accounts Receivable Trade"),
    ObjectAccount("1410", "Inventory"),
    ObjectAccount("4000", "Current Liabilities", posting_edit="N", level_of_detail="3"),
    ObjectAccount("4110", "Accounts Payable Trade"),
    ObjectAccount("4115", "A/P Retainage Payable"),
    ObjectAccount("4310", "Received Not Vouchered"),
    ObjectAccount("4410", "Sales Tax Payable"),
    ObjectAccount("6000", "Operating Expenses", posting_edit="N", level_of_detail="3"),
    ObjectAccount("6110", "Office Supplies", expense=True),
    ObjectAccount("6120", "Postage & Courier", expense=True),
    ObjectAccount("6130", "Telephone & Internet", expense=True),
    ObjectAccount("6210", "Travel", ("", "AIR", "HOTEL", "RAIL"), expense=True),
    ObjectAccount("6220", "Meals & Entertainment", expense=True),
    ObjectAccount("6310", "Rent - Facilities", expense=True),
    ObjectAccount("6320", "Utilities", expense=True),
    ObjectAccount("6410", "Repairs & Maintenance", expense=True),
    ObjectAccount("6510", "Professional Fees", expense=True),
    ObjectAccount("6520", "Legal Fees", expense=True),
    ObjectAccount("6610", "Insurance", expense=True),
    ObjectAccount("6710", "Software Subscriptions", expense=True),
    ObjectAccount("6720", "Computer Hardware", expense=True),
    ObjectAccount("6810", "Freight In", expense=True),
    ObjectAccount("6910", "Bank Charges", expense=True),
    ObjectAccount("6990", "Obsolete Expense - Do Not Use", posting_edit="I"),
    ObjectAccount("7000", "Job Cost", posting_edit="N", level_of_detail="3"),
    ObjectAccount("7110", "Construction Materials", ("", "CONC", "STEEL", "LUMBER", "ELEC"), expense=True),
    ObjectAccount("7120", "Subcontractor Costs", expense=True),
    ObjectAccount("7130", "Equipment Rental", expense=True),
    ObjectAccount("7140", "Permits & Fees", expense=True),
    ObjectAccount("8150", "Other Expense", expense=True),
    ObjectAccount("8160", "Budget Only - Non Posting", posting_edit="N"),
)
JOB_COST_OBJECTS = ("7110", "7120", "7130", "7140")

# Real-world-looking supplier names first, so every scale has them (including the tiny test scale).
SIGNATURE_SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("Müller Baustoffe GmbH", "DE"),
    ("Société Générale d'Équipement", "FR"),
    ("北京建材", "CN"),
    ("Øresund Stål A/S", "DE"),
    ("Çelik Yapı Malzemeleri A.Ş.", "DE"),
    ("Ibáñez y Hermanos S.L.", "FR"),
    ("Łódzkie Zakłady Betonu Sp. z o.o.", "DE"),
    ("Þórsson Verktakar ehf.", "US"),
    ("São Paulo Materiais de Construção", "US"),
    ("東京資材株式会社", "CN"),
    ("Москва СтройСнаб", "DE"),
    ("Ελληνικά Δομικά Υλικά Α.Ε.", "DE"),
    ("Acme Concrete & Aggregate Co.", "US"),
    ("O'Brien & Sons Scaffolding", "US"),
)
# Seeded right after the signature suppliers and cut/padded to exactly 40 characters (F0101.ALPH).
MAX_LENGTH_SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("Zürcher Gerüstbau und Fassadentechnik AG", "DE"),
    ("北京城建集团建筑材料供应有限公司华北区域分公司第三项目部材料采购中心供应链管理处", "CN"),
    ("Société Générale d'Équipement Industriel", "FR"),
    ("Anderson Concrete & Aggregate Supply Company of Northern California", "US"),
)

SURNAMES = (
    "Anderson", "Baker", "Chen", "Dubois", "Eriksson", "Fischer", "García", "Hoffmann", "Ivanov", "Jensen",
    "Kowalski", "Lefèvre", "Martínez", "Nguyen", "Olsen", "Petrović", "Quinn", "Rossi", "Schäfer", "Tanaka",
    "Urbański", "Van der Berg", "Weiß", "Xu", "Yılmaz", "Zimmermann", "Novák", "Ødegaard", "Åberg",
    "Núñez", "Gauthier", "Brennan", "Kaya", "Lindqvist", "Moreau", "Wagner", "Sørensen", "Dvořák",
)  # fmt: skip
TRADES = (
    "Concrete", "Steel", "Lumber", "Electrical", "Plumbing", "Roofing", "Scaffolding", "Excavation",
    "Glazing", "Paving", "Demolition", "Crane Hire", "Insulation", "Drywall", "HVAC", "Surveying",
    "Baustoffe", "Bauelemente", "Matériaux", "Équipement", "Terrassement", "建材", "钢结构",
)  # fmt: skip
LEGAL_FORMS = {
    "US": ("Inc.", "LLC", "Co.", "Corp.", "Supply"),
    "DE": ("GmbH", "AG", "KG", "GmbH & Co. KG", "e.K."),
    "FR": ("SAS", "SARL", "S.A.", "EURL"),
    "CN": ("有限公司", "股份有限公司", "Co., Ltd."),
}
LANGUAGE_BY_COUNTRY = {"US": "", "DE": "G", "FR": "F", "CN": "C"}
PAYMENT_TERMS = {"N30": 30, "N45": 45, "N60": 60, "N15": 15, "N10": 10}

STOCK_ITEMS: tuple[tuple[str, str, str, int], ...] = (
    # (2nd item number, description, unit of measure, typical unit cost in cents)
    ("CEM-PORT-50KG", "Portland Cement 50kg Bag", "BG", 1250),
    ("REBAR-12MM-6M", "Rebar 12mm x 6m", "EA", 1890),
    ("LUM-2X4-8FT", "Lumber 2x4 8ft Kiln Dried", "EA", 545),
    ("PPE-HELMET-EN397", "Schutzhelm EN397 weiß", "EA", 2399),
    ("ELEC-CABLE-3G25", "Câble électrique 3G2,5 mm²", "RL", 8990),
    ("PIPE-PVC-110", "PVC Pipe 110mm x 3m", "EA", 1675),
    ("GLASS-LAM-10", "Laminated Glass 10mm Panel", "EA", 21000),
    ("INSUL-MW-100", "Mineralwolle Dämmung 100mm", "PK", 4250),
    ("BOLT-M16-HDG", "Bolt M16 Hot-Dip Galvanised", "BX", 3200),
    ("STEEL-BEAM-HEA200", "钢梁 HEA200 12米", "EA", 98000),
    ("GRAVEL-20MM-T", "Gravel 20mm Washed (per tonne)", "TN", 3800),  # exactly 30 characters
)
SERVICES: tuple[str, ...] = (
    "Crane rental - 3 days",
    "Legal review of subcontract",
    "Übersetzung Vertragsunterlagen",
    "Nettoyage de chantier",
    "混凝土泵送服务",
    "Site survey and setting out",
    "Scaffold hire - weekly",
    "Waste skip collection",
    "Structural engineering review",
    "Software subscription renewal",
    "Courier - drawings to site",
    "Réparation pelleteuse CAT 320",
)
REMARKS = (
    "Deliver to gate 3",
    "Urgent - site stoppage",
    "Lieferung nur werktags",
    "Livraison avant 10h",
    "请提前电话联系",
    "Call site manager on arrival",
    "",
    "",
)
USERS = ("JSMITH", "MWEBER", "CDUPONT", "LWANG", "INTEGR8", "AGARCIA")


# F0013: the currencies the sandbox knows, with their decimals (ISO 4217 minor units, as JDE sets CDEC up):
# every company's currency, the ones the other simulators' documents arrive in, and the 0- and 3-decimal
# currencies that prove amounts keep their own decimals. CHF and BHD have no F0015 rate on purpose: a foreign
# document in them waits for one (59AD) until an operator enters it (``POST /sandbox/exchange-rates``).
CURRENCIES: tuple[tuple[str, str, int], ...] = (
    ("USD", "US Dollar", 2),
    ("EUR", "Euro", 2),
    ("CNY", "Chinese Yuan Renminbi", 2),
    ("GBP", "Pound Sterling", 2),
    ("CAD", "Canadian Dollar", 2),
    ("CHF", "Swiss Franc", 2),
    ("JPY", "Japanese Yen", 0),
    ("KRW", "Korean Won", 0),
    ("KWD", "Kuwaiti Dinar", 3),
    ("BHD", "Bahraini Dinar", 3),
)

# F0015: domestic units per unit of the foreign currency, from each of these into every company's currency
# (USD, EUR, CNY). EUR -> USD 1.0834 makes a 1,000.00 EUR voucher 1,083.40 USD.
EXCHANGE_RATES: dict[tuple[str, str], str] = {
    ("EUR", "USD"): "1.0834",
    ("JPY", "USD"): "0.0066700",
    ("KWD", "USD"): "3.2510000",
    ("GBP", "USD"): "1.2650000",
    ("CAD", "USD"): "0.7350000",
    ("CNY", "USD"): "0.1380000",
    ("USD", "EUR"): "0.9230000",
    ("JPY", "EUR"): "0.0061560",
    ("KWD", "EUR"): "3.0010000",
    ("GBP", "EUR"): "1.1680000",
    ("CAD", "EUR"): "0.6785000",
    ("CNY", "EUR"): "0.1274000",
    ("USD", "CNY"): "7.2450000",
    ("EUR", "CNY"): "7.8500000",
    ("JPY", "CNY"): "0.0483000",
    ("KWD", "CNY"): "23.5500000",
    ("GBP", "CNY"): "9.1650000",
    ("CAD", "CNY"): "5.3250000",
}
