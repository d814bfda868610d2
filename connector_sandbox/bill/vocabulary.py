"""Words the seeded data is made of: a construction / field-services company's payables.

Names deliberately span scripts and punctuation that break naive clients: umlauts, accents, CJK,
apostrophes, commas and colons (which must be quoted in ``filters=``), and values of maximum length.
"""

from __future__ import annotations

# (name, country, currency, city, stateOrProvince, zip)
SPECIAL_VENDORS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Müller Baustoffe GmbH", "DE", "EUR", "München", "BY", "80331"),
    ("Société Générale d'Équipement", "FR", "EUR", "Lyon", "ARA", "69002"),
    ("北京建材", "CN", "CNY", "北京", "BJ", "100020"),
    ("Granite Supply Co", "US", "USD", "Portland", "OR", "97201"),
    ("O'Brien, Walsh & Partners, LLC", "US", "USD", "Boston", "MA", "02110"),
    ('Acme "Best" Safety Supplies', "US", "USD", "Denver", "CO", "80202"),
    ("Tools: West Division", "US", "USD", "Sacramento", "CA", "95814"),
    ("Østfold Trelast AS", "NO", "EUR", "Sarpsborg", "30", "1721"),
    ("Ñandú Ferretería S.A. de C.V.", "MX", "MXN", "Monterrey", "NL", "64000"),
    ("Łódź Stal Sp. z o.o.", "PL", "EUR", "Łódź", "LD", "90-001"),
    ("Maple Leaf Concrete Ltd.", "CA", "CAD", "Toronto", "ON", "M5H 2N2"),
    ("Thames Scaffolding plc", "GB", "GBP", "London", "LND", "EC1A 1BB"),
)

# Exactly-maximum-length names are built from these (non-ASCII and ASCII).
LONG_NAME_SEEDS = (
    "Großhandelsgesellschaft für Baumaterialien, Gerüstbau und Sicherheitstechnik Müller & Söhne Nachfolger",
    "Consolidated Heavy Equipment Rental and Construction Site Services of the Pacific Northwest Inc.",
)

NAME_PREFIXES = (
    "Acme", "Apex", "Summit", "Pioneer", "Cascade", "Keystone", "Liberty", "Evergreen", "Ironwood",
    "Bluewater", "Redstone", "Northstar", "Silverline", "Frontier", "Heritage", "Pinnacle", "Cornerstone",
    "Riverbend", "Lakeside", "Highland", "Golden Gate", "Prairie", "Coastal", "Metro", "Allied", "United",
    "Premier", "Reliable", "Precision", "Titan", "Vanguard", "Meridian", "Sterling", "Horizon", "Atlas",
    "Beacon", "Crestview", "Eagle", "Falcon", "Harbor",
)  # fmt: skip
NAME_CORES = (
    "Concrete", "Steel", "Lumber", "Electric", "Plumbing", "Roofing", "Paving", "Excavation", "HVAC",
    "Glass", "Drywall", "Masonry", "Equipment Rental", "Fuel", "Safety", "Surveying", "Engineering",
    "Landscaping", "Fasteners", "Tool & Supply", "Welding", "Insulation", "Crane Services", "Trucking",
    "Waste Management", "Scaffolding", "Painting", "Flooring", "Fire Protection", "Signage",
)  # fmt: skip
NAME_SUFFIXES = ("Inc.", "LLC", "Co.", "Corp.", "Ltd.", "Group", "Partners", "Supply", "Services",
                 "Company", "Holdings", "& Sons")  # fmt: skip
PERSON_NAMES = (
    "Ana García", "John O'Neil", "Zoë Nakamura", "François Dubois", "Jürgen Schäfer", "Priya Raman",
    "李伟", "Mateo Núñez", "Siobhán Kelly", "Olga Petrović",
)  # fmt: skip

US_CITIES = (
    ("Portland", "OR", "97201"), ("Seattle", "WA", "98101"), ("Denver", "CO", "80202"),
    ("Austin", "TX", "78701"), ("Phoenix", "AZ", "85004"), ("Chicago", "IL", "60601"),
    ("Atlanta", "GA", "30303"), ("Boise", "ID", "83702"), ("Sacramento", "CA", "95814"),
    ("Salt Lake City", "UT", "84101"), ("Columbus", "OH", "43215"), ("Nashville", "TN", "37203"),
)  # fmt: skip
STREETS = ("Quarry Rd", "Industrial Pkwy", "Main St", "Commerce Dr", "Harbor Way", "Mill Ave",
           "Rue de la République", "Hauptstraße", "Calle Reforma", "Station Rd")  # fmt: skip

# (accountNumber, name, type)
CHART_OF_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("1000", "Operating Bank - Wells Fargo", "BANK"),
    ("1010", "Payroll Bank", "BANK"),
    ("1020", "Bank - EUR (Commerzbank)", "BANK"),
    ("1500", "Construction Equipment", "FIXED_ASSET"),
    ("1510", "Vehicles", "FIXED_ASSET"),
    ("2000", "Accounts Payable", "ACCOUNTS_PAYABLE"),
    ("2100", "Corporate Card", "CREDIT_CARD"),
    ("5000", "Cost of Goods Sold", "COST_OF_GOODS_SOLD"),
    ("5010", "Job Materials", "COST_OF_GOODS_SOLD"),
    ("5020", "Subcontractors", "COST_OF_GOODS_SOLD"),
    ("5030", "Equipment Rental", "COST_OF_GOODS_SOLD"),
    ("5040", "Concrete & Aggregates", "COST_OF_GOODS_SOLD"),
    ("5050", "Steel & Rebar", "COST_OF_GOODS_SOLD"),
    ("6000", "Fuel & Oil", "EXPENSE"),
    ("6010", "Safety Supplies", "EXPENSE"),
    ("6020", "Small Tools", "EXPENSE"),
    ("6030", "Office Supplies", "EXPENSE"),
    ("6040", "Repairs & Maintenance", "EXPENSE"),
    ("6050", "Travel", "EXPENSE"),
    ("6060", "Meals & Entertainment", "EXPENSE"),
    ("6070", "Utilities", "EXPENSE"),
    ("6080", "Rent - Yard & Office", "EXPENSE"),
    ("6090", "Insurance", "EXPENSE"),
    ("6100", "Professional Fees", "EXPENSE"),
    ("6110", "Software Subscriptions", "EXPENSE"),
    ("6120", "Freight & Delivery", "EXPENSE"),
    ("6130", "Permits & Licenses", "EXPENSE"),
    ("6140", "Waste Disposal", "EXPENSE"),
    ("6150", "Training", "EXPENSE"),
    ("6160", "Telephone & Internet", "EXPENSE"),
    ("6170", "Frais de déplacement (France)", "EXPENSE"),
    ("6180", "Werkzeuge und Kleingeräte", "EXPENSE"),
    ("6190", "Advertising", "EXPENSE"),
    ("6900", "Miscellaneous (inactive)", "EXPENSE"),
    ("7000", "Interest Expense", "OTHER_EXPENSE"),
)
ARCHIVED_ACCOUNT_NUMBERS = frozenset({"6900", "6190"})
EXPENSE_TYPES = frozenset({"EXPENSE", "COST_OF_GOODS_SOLD"})

DEPARTMENTS = (
    "Operations", "Field Services", "Engineering", "Finance & Accounting", "Procurement", "Safety",
    "IT", "Administration", "Construction – East", "Construction – West", "Entwicklung (München)",
    "Ventes Île-de-France",
)  # fmt: skip
ARCHIVED_DEPARTMENTS = frozenset({"Ventes Île-de-France"})
LOCATIONS = ("Portland HQ", "Seattle Yard", "Denver Branch", "München", "Lyon", "Toronto")
ACCOUNTING_CLASSES = ("Commercial", "Residential", "Public Works", "Maintenance Contracts", "Overhead")
ITEMS = (
    "Rebar #4 (20 ft)", "Ready-mix concrete (yd³)", "Safety gloves (box)", "Hard hat, class E",
    "Diesel (gal)", "Plywood 3/4\" CDX", "Drywall screws 1-5/8\" (5 lb)", "Excavator rental (day)",
    "Traffic cones 28\"", "Welding rod 7018 (10 lb)", "Hi-vis vest ANSI 2", "PVC pipe 4\" (10 ft)",
)  # fmt: skip
JOBS = ("Riverside Bridge Retrofit", "Lakeview Apartments Phase 2", "Highway 26 Resurfacing",
        "Zentrale München Umbau", "Hôpital de Lyon – Aile Nord", "Airport Cargo Apron")  # fmt: skip
EMPLOYEES = ("Dana Whitfield", "Marco Rossi", "Sven Lindqvist", "Keiko Tanaka", "Amélie Laurent")

LINE_DESCRIPTIONS = (
    "Safety gloves (box)", "Ready-mix concrete, 4000 psi", "Rebar delivery", "Excavator rental – week",
    "Diesel fuel", "Site cleanup", "Engineering review", "Crane operator (hours)", "Scaffold rental",
    "Permit fees", "Freight", "Small tools", "Hi-vis vests", "Portable toilets – monthly",
    "Concrete pump truck", "Survey stakes", "Asphalt patching", "Electrical rough-in", "Miete Gerüst",
    "Location de nacelle",
)  # fmt: skip
BILL_DESCRIPTIONS = (
    "March supplies", "Monthly rental", "Progress billing", "Materials for job site", "Fuel delivery",
    "Subcontract work", "Equipment repair", "Consulting", "Freight charges", "Quarterly service",
)  # fmt: skip
