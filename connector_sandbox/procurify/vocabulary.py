"""Words the seed builds a believable construction-and-distribution customer from.

Names come in many scripts on purpose: a client that mangles "Müller Baustoffe GmbH" or "北京建材"
(encoding, normalisation, truncation by bytes instead of characters) is caught by the first sync.
"""

from __future__ import annotations

# Vendors every seed contains, whatever the scale.
SIGNATURE_VENDORS: tuple[tuple[str, str, str, str], ...] = (
    # name, city, state/province, country
    ("Granite Supply Co", "Portland", "OR", "US"),
    ("Müller Baustoffe GmbH", "München", "BY", "DE"),
    ("Société Générale d'Équipement", "Lyon", "ARA", "FR"),
    ("北京建材", "北京", "BJ", "CN"),
    ("東京工業株式会社", "東京", "13", "JP"),
    ("Øresund Stål A/S", "København", "84", "DK"),
    ("Ñandú Herramientas S.A.", "Sevilla", "AN", "ES"),
    ("O'Brien & Sons Ltd", "Dublin", "D", "IE"),
    ("Zürich Präzisionswerkzeuge AG", "Zürich", "ZH", "CH"),
    ("Łódź Metal Sp. z o.o.", "Łódź", "10", "PL"),
    ("Παπαδόπουλος Κατασκευές Α.Ε.", "Αθήνα", "I", "GR"),
    ("Дом Инструментов ООО", "Москва", "MOW", "RU"),
    ("Cascade Lumber & Millwork", "Vancouver", "BC", "CA"),
    ("Pacific Rebar, Inc.", "Seattle", "WA", "US"),
)

# Exactly 150 characters (the vendor name limit), non-ASCII included; built so len() is checked.
MAX_LENGTH_VENDOR_NAMES: tuple[str, ...] = (
    "Kühne & Söhne Großhandel für Baumaschinen, Gerüstbau, Schalungstechnik und Arbeitsschutz "
    "— Niederlassung Süd, Zweigwerk Garmisch-Partenkirchen GmbH KG",
    "Compagnie Française d'Approvisionnement en Matériaux de Construction, Équipements Électriques "
    "et Outillage Professionnel — Succursale Île-de-France SA",
    ("上海浦东新区建筑材料与工程机械设备进出口贸易有限公司华东分公司" * 6)[:150],
)
assert all(len(name) == 150 for name in MAX_LENGTH_VENDOR_NAMES), [len(n) for n in MAX_LENGTH_VENDOR_NAMES]

VENDOR_STEMS = (
    "Acme",
    "Summit",
    "Northwind",
    "Bluewater",
    "Ironwood",
    "Redrock",
    "Silverline",
    "Evergreen",
    "Keystone",
    "Blackstone",
    "Harbor",
    "Prairie",
    "Alpine",
    "Coastal",
    "Meridian",
    "Sterling",
    "Falcon",
    "Cedar",
    "Beacon",
    "Pioneer",
    "Atlas",
    "Vanguard",
    "Horizon",
    "Frontier",
    "Rheinland",
    "Bayern",
    "Alster",
    "Nordsee",
    "Schwarzwald",
    "Lorraine",
    "Provence",
    "Bretagne",
    "Garonne",
    "長江",
    "华夏",
    "天宇",
    "Ōsaka",
    "Kyōto",
    "Sjælland",
    "Málaga",
    "Gdańsk",
    "Tromsø",
)
VENDOR_TRADES = (
    "Supply",
    "Concrete",
    "Electrical",
    "Plumbing",
    "Steel",
    "Hardware",
    "Rentals",
    "Safety",
    "Fasteners",
    "Lumber",
    "Aggregates",
    "Glass",
    "Roofing",
    "HVAC",
    "Paving",
    "Logistics",
    "Baustoffe",
    "Elektrotechnik",
    "Matériaux",
    "Outillage",
    "建材",
    "五金",
    "機械",
)
VENDOR_FORMS = ("Co", "Inc.", "LLC", "Ltd", "GmbH", "SARL", "S.A.", "AG", "有限公司", "Corp.", "& Sons")

STREETS = (
    "Quarry Rd",
    "Industrial Way",
    "Hauptstraße",
    "Rue de la Paix",
    "Harbour St",
    "Mill Ave",
    "Bahnhofstraße",
    "長安街",
    "Avenida de la Constitución",
    "Kongens Nytorv",
    "Commerce Blvd",
)

FIRST_NAMES = (
    "Dana",
    "Ana",
    "Luis",
    "Jürgen",
    "Amélie",
    "Wei",
    "Yuki",
    "Søren",
    "Chloé",
    "Priya",
    "Tomás",
    "Olamide",
    "Grace",
    "Mateusz",
    "Ελένη",
    "Noah",
    "Fatima",
    "Björn",
    "Mei",
    "Zoë",
)
LAST_NAMES = (
    "Reyes",
    "Ng",
    "García",
    "Müller",
    "Dubois",
    "Zhang",
    "Tanaka",
    "Nørgaard",
    "Lefèvre",
    "Patel",
    "O'Connor",
    "Adeyemi",
    "Kowalski",
    "Παπαδάκη",
    "Smith",
    "Haddad",
    "Åström",
    "Chen",
    "Brontë",
)

# (name, headquarter, city, state, postal code, country, currency code)
LOCATIONS: tuple[tuple[str, bool, str, str, str, str, str], ...] = (
    ("Head Office", True, "Portland", "OR", "97201", "US", "USD"),
    ("Vancouver Yard", False, "Vancouver", "BC", "V6B 1A1", "CA", "CAD"),
    ("Seattle Branch", False, "Seattle", "WA", "98101", "US", "USD"),
    ("München Niederlassung", False, "München", "BY", "80331", "DE", "EUR"),
    ("Lyon Agence", False, "Lyon", "ARA", "69002", "FR", "EUR"),
    ("北京办事处", False, "北京", "BJ", "100000", "CN", "CNY"),
)

DEPARTMENT_NAMES = (
    "Operations",
    "Finance",
    "Procurement",
    "Site Works",
    "Fleet & Equipment",
    "Safety & Compliance",
    "Engineering",
    "IT",
    "Human Resources",
    "Marketing",
    "Estimating",
    "Facilities",
    "Warehouse",
    "Bauleitung",
    "Comptabilité",
    "Logistique",
    "工程部",
    "采购部",
)
MAX_LENGTH_DEPARTMENT_NAME = (
    "Département Génie Civil, Terrassement, Voirie et Réseaux Divers — Chantiers du Grand Projet "
    "Métropolitain de Lyon-Saint-Exupéry, Équipe de Nuit (Est)."
)
assert len(MAX_LENGTH_DEPARTMENT_NAME) == 150, len(MAX_LENGTH_DEPARTMENT_NAME)

# (code, description, account_type); account types 0-5 (meanings unconfirmed, reference 2.8)
ACCOUNT_CODES: tuple[tuple[str, str, int], ...] = (
    ("1010", "Operating Cash", 0),
    ("1200", "Accounts Receivable", 0),
    ("1400", "Inventory — Materials", 0),
    ("1500", "Equipment", 0),
    ("2000", "Accounts Payable", 1),
    ("2100", "Accrued Liabilities", 1),
    ("3000", "Retained Earnings", 2),
    ("4000", "Contract Revenue", 3),
    ("5000", "Cost of Goods Sold", 4),
    ("5100", "Subcontractor Costs", 4),
    ("6000", "Operating Expenses", 5),
    ("6100", "Supplies", 5),
    ("6110", "Safety Supplies", 5),
    ("6200", "Equipment Rental", 5),
    ("6300", "Repairs & Maintenance", 5),
    ("6400", "Travel & Entertainment", 5),
    ("6500", "Software & Subscriptions", 5),
    ("6600", "Professional Fees", 5),
    ("6700", "Freight & Delivery", 5),
    ("6800", "Utilities", 5),
)
EXPENSE_WORDS = (
    "Supplies",
    "Tools",
    "Rentals",
    "Fuel",
    "Consumables",
    "Small Equipment",
    "PPE",
    "Lubricants",
    "Signage",
    "Formwork",
    "Fixings",
    "Cabling",
    "Büromaterial",
    "Fournitures",
    "耗材",
)

ITEMS: tuple[tuple[str, str, int], ...] = (
    # name, unit, typical price in cents
    ("Safety gloves (box)", "box", 2450),
    ("Hi-vis vest, class 2", "each", 1299),
    ("Portland cement 40 kg", "bag", 1195),
    ("Rebar #4 x 20 ft", "each", 1480),
    ('Plywood 3/4" CDX', "sheet", 5275),
    ("Concrete mix 30 MPa", "m3", 18900),
    ("Excavator rental (day)", "day", 68500),
    ("Diesel fuel", "L", 189),
    ("Hard hat, white", "each", 2199),
    ("Anchor bolts M16 (50)", "box", 8740),
    ("Schalungsplatte 500 × 50 cm", "Stück", 3420),
    ("Gants de protection taille 10", "paire", 715),
    ("钢筋 HRB400 Φ12", "吨", 452000),
    ("Laptop — site office", "each", 139900),
    ("LED work light 50 W", "each", 8999),
    ('Traffic cones 28" (10)', "pack", 16450),
    ("Copper wire 12 AWG 250 ft", "roll", 11290),
    ("Geotextile fabric", "roll", 24500),
)

PAYMENT_TERMS = (("Net 30", None), ("Net 45", None), ("Net 60", "Large vendors"), ("Due on receipt", None))
SHIPPING_TERMS = (("FOB Origin", None), ("FOB Destination", None), ("DDP", "Delivered duty paid"))
PAYMENT_METHODS = (("Cheque", None), ("ACH", None), ("Wire", None), ("Credit card", None))
SHIPPING_METHODS = (("Ground", None), ("Express", None), ("Will call", "Picked up by our crew"))

# Currency id 3 is USD, as in the reference's examples.
CURRENCIES: tuple[tuple[int, str, str, bool], ...] = (
    (1, "CAD", "1.3650", False),
    (2, "EUR", "0.9210", False),
    (3, "USD", "1.0000", True),
    (4, "CNY", "7.2400", False),
    (5, "GBP", "0.7890", False),
)
