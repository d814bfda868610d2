"""Names and reference data the seeded pod is made of.

Realistic, and deliberately awkward where real data is awkward: supplier names in many scripts,
names and numbers exactly at their maximum length, the same PO number in two business units (order
numbers are unique per sold-to business unit only), disabled and summary account combinations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BusinessUnit:
    id: int
    name: str
    legal_entity_id: int
    legal_entity: str
    company: str  # balancing segment value of the chart of accounts
    currency: str
    currency_name: str
    bill_to_location_id: int
    bill_to_location: str
    country: str


BUSINESS_UNITS: tuple[BusinessUnit, ...] = (
    BusinessUnit(
        300000046987012, "US1 Business Unit", 300000046975980, "US1 Legal Entity", "101",
        "USD", "US Dollar", 300000047001101, "US1 Headquarters", "US",
    ),
    BusinessUnit(
        300000046987013, "EU1 Business Unit", 300000046975981, "Sandbox Europe GmbH", "201",
        "EUR", "Euro", 300000047001102, "Frankfurt Zentrale", "DE",
    ),
    BusinessUnit(
        300000046987014, "CN1 Business Unit", 300000046975982, "北京沙盒科技有限公司", "301",
        "CNY", "Yuan Renminbi", 300000047001103, "北京总部", "CN",
    ),
)  # fmt: skip
BU_BY_NAME = {unit.name: unit for unit in BUSINESS_UNITS}
BU_BY_ID = {unit.id: unit for unit in BUSINESS_UNITS}
# The primary business unit takes most of the activity, as one operating unit does at most customers.
BU_WEIGHTS = (0.7, 0.2, 0.1)

CURRENCY_NAMES = {
    "USD": "US Dollar",
    "EUR": "Euro",
    "CNY": "Yuan Renminbi",
    "GBP": "Pound Sterling",
    "JPY": "Yen",
    "KWD": "Kuwaiti Dinar",
}
# A currency's precision (decimals of its smallest unit, ISO 4217 minor units, as a pod's currency setup
# keeps it): Payables amounts in a currency may not be finer. Every other known currency has two.
CURRENCY_PRECISION = {"JPY": 0, "KWD": 3}


def precision(currency: str) -> int:
    """The decimals an amount in ``currency`` may carry (0 JPY, 2 EUR, 3 KWD)."""
    return CURRENCY_PRECISION.get(currency, 2)


# ISO currencies a real pod defines beside those, which the tests' pod does not know (``planted_faults``: a
# Procurify order in CAD is refused there, to prove the refusal); ``make dev``'s pod knows them.
PLANTED_UNKNOWN_CURRENCIES = {"CAD": "Canadian Dollar"}


def pod_currencies(planted_faults: bool) -> dict[str, str]:
    """Currency code -> name of the currencies a pod accepts on a document."""
    return dict(CURRENCY_NAMES) if planted_faults else {**CURRENCY_NAMES, **PLANTED_UNKNOWN_CURRENCIES}


# The party name's 360 characters cut to what a Procurify vendor name holds, without planted faults.
PROCURIFY_VENDOR_NAME_MAX = 150

# Employees acting as buyers, requesters and preparers (Fusion person display names).
PEOPLE: tuple[tuple[int, str], ...] = (
    (300000047010001, "Smith, Jane"),
    (300000047010002, "García Márquez, José"),
    (300000047010003, "Groß, Jürgen"),
    (300000047010004, "王, 伟"),
    (300000047010005, "O'Connor, Siobhán"),
    (300000047010006, "Fernández, Zoë"),
    (300000047010007, "Nakamura, Haruto"),
    (300000047010008, "Dubois, Amélie"),
)

# Suppliers every seed contains: non-ASCII names in several scripts, and the reference's example.
SIGNATURE_SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("Müller Baustoffe GmbH", "DE"),
    ("Société Générale d'Équipement", "FR"),
    ("北京建材", "CN"),
    ("Advanced Network Devices", "US"),
    ("Øresund Logistik ApS", "DK"),
    ("Łódź Stal Sp. z o.o.", "PL"),
    ("Ñandú Servicios Industriales S.A.", "ES"),
    ("Ελληνικά Δομικά Υλικά Α.Ε.", "GR"),
    ("株式会社東京精密部品", "JP"),
    ("O'Brien & Sons Plumbing, Inc.", "US"),
)


def _exactly(text: str, length: int) -> str:
    return (text * (length // len(text) + 1))[:length]


# Supplier names exactly at the 360-character limit of a party name, one of them non-ASCII (planted faults:
# a Procurify vendor holds 150; without them they are seeded cut to that).
MAX_LENGTH_SUPPLIERS: tuple[tuple[str, str], ...] = (
    (
        _exactly("Consolidated Industrial Maintenance and Facility Services Holdings ", 359) + "X",
        "US",
    ),
    (_exactly("Großhandelsgesellschaft für Bauzubehör und Gebäudetechnik ", 359) + "Ä", "DE"),
)

NAME_HEADS = (
    "Acme", "Pinnacle", "Summit", "Harbor", "Redwood", "Granite", "Blue Ridge", "Lakeside", "Meridian",
    "Northwind", "Keystone", "Silverline", "Ironclad", "Evergreen", "Crescent", "Falcon", "Orion",
    "Sterling", "Riverbend", "Cobalt", "Bergmann", "Lefèvre", "Kowalski", "Sørensen", "Hakimi",
)  # fmt: skip
NAME_TAILS = (
    "Supply Co.", "Industrial LLC", "Electric Inc.", "Concrete Ltd.", "Office Products", "Logistics",
    "Engineering Group", "Hardware", "Safety Equipment", "IT Services", "Facilities Management",
    "Steel Fabricators", "Janitorial Services", "Paper & Packaging", "Rentals Corp.",
)  # fmt: skip

CITIES = {
    "US": (("Fresno", "CA", "93721"), ("Chicago", "IL", "60601"), ("Austin", "TX", "73301")),
    "DE": (("München", "BY", "80331"), ("Köln", "NW", "50667"), ("Düsseldorf", "NW", "40213")),
    "FR": (("Besançon", None, "25000"), ("Paris", None, "75001")),
    "CN": (("北京", None, "100000"), ("上海", None, "200000")),
    "DK": (("København", None, "1050"),),
    "PL": (("Łódź", None, "90-001"),),
    "ES": (("A Coruña", None, "15001"),),
    "GR": (("Αθήνα", None, "105 52"),),
    "JP": (("東京", None, "100-0001"),),
}
COUNTRY_NAMES = {
    "US": "United States", "DE": "Germany", "FR": "France", "CN": "China", "DK": "Denmark",
    "PL": "Poland", "ES": "Spain", "GR": "Greece", "JP": "Japan",
}  # fmt: skip
STREETS = (
    "Main Street",
    "Königsallee",
    "Rue de la Paix",
    "长安街",
    "Industrial Parkway",
    "Ulica Piotrkowska",
)

# Site codes are at most 15 characters; "MAIN-PURCHASING" is exactly 15, "北京总部" is non-ASCII.
SITE_CODES = ("MAIN", "FRESNO", "HQ", "REMIT-TO", "MAIN-PURCHASING", "北京总部", "WAREHOUSE-02")

PAYMENT_TERMS = ("Net 30", "Net 45", "Net 60", "2/10 Net 30", "Immediate")
TERM_DAYS = {"Net 30": 30, "Net 45": 45, "Net 60": 60, "2/10 Net 30": 30, "Immediate": 0}
PAY_GROUPS = ("STANDARD", "EMPLOYEE", "INTERNATIONAL")

# Chart of accounts: company (3) - cost center (2) - account (5) - intercompany (3), "-" delimited,
# like the reference's example "101-10-60000-000".
CHART_OF_ACCOUNTS_ID = 101
SEGMENT_DELIMITER = "-"
COST_CENTERS = (
    ("00", "Corporate"), ("10", "Administration"), ("20", "Operations"), ("30", "Construction"),
    ("40", "Sales & Marketing"), ("50", "Research & Development"),
)  # fmt: skip
NATURAL_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("11000", "A", "Cash"), ("12100", "A", "Accounts Receivable"), ("14100", "A", "Inventory"),
    ("15100", "A", "Equipment"), ("21100", "L", "Accounts Payable"), ("21200", "L", "Accrued Liabilities"),
    ("22100", "L", "Sales Tax Payable"), ("31000", "O", "Retained Earnings"), ("41000", "R", "Revenue"),
    ("51000", "E", "Cost of Goods Sold"), ("60000", "E", "Office Supplies"),
    ("60100", "E", "Computer Equipment"),
    ("60200", "E", "Software Licences"), ("61000", "E", "Travel"), ("61100", "E", "Meals & Entertainment"),
    ("62000", "E", "Rent"), ("62100", "E", "Utilities"), ("63000", "E", "Repairs & Maintenance"),
    ("63100", "E", "Construction Materials"), ("63200", "E", "Subcontractor Services"),
    ("64000", "E", "Professional Fees"), ("64100", "E", "Legal Fees"), ("65000", "E", "Freight"),
    ("66000", "E", "Insurance"), ("67000", "E", "Telephone & Internet"), ("68000", "E", "Training"),
)  # fmt: skip
EXPENSE_ACCOUNTS = tuple(account for account, kind, _ in NATURAL_ACCOUNTS if kind == "E")
INTERCOMPANY = (("000", "No Intercompany"), ("101", "US1"), ("201", "EU1"), ("301", "CN1"))

# Purchasing categories: (name, natural account, UOM, UOM code, typical line descriptions).
CATEGORIES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("Office Supplies", "60000", "Each", "Ea", ("Copy paper A4 80g, 5 boxes", "Toner cartridge, black")),
    ("Computer Hardware", "60100", "Each", "Ea", ('Laptop 14" with docking station', "Monitor 27\" 4K")),
    ("Software", "60200", "Each", "Ea", ("Annual licence renewal", "Subscription, 12 months")),
    (
        "Construction Materials", "63100", "Ton", "TON",
        ("Ready-mix concrete C30/37", "Stahlträger HEB 200, feuerverzinkt", "钢筋 HRB400 Φ12"),
    ),
    (
        "Subcontracted Services", "63200", "Hour", "HR",
        ("Electrician, standard rate", "Câblage électrique, forfait"),
    ),
    ("Maintenance Services", "63000", "Hour", "HR", ("HVAC quarterly maintenance", "Lift inspection")),
    ("Safety Equipment", "63000", "Each", "Ea", ("Safety helmets EN 397", "High-visibility vests")),
)  # fmt: skip
