"""Words the seeded data is made of: a construction / field-services company's payables.

Names deliberately span scripts and punctuation that break naive clients: umlauts, accents, CJK,
apostrophes, commas and colons (which must be quoted in ``filters=``), and values of maximum length.
"""

from __future__ import annotations

from ..word_tables import rows

# (name, country, currency, city, stateOrProvince, zip)
SPECIAL_VENDORS: tuple[tuple[str, str, str, str, str, str], ...] = rows(__package__, "SPECIAL_VENDORS")

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
CHART_OF_ACCOUNTS: tuple[tuple[str, str, str], ...] = rows(__package__, "CHART_OF_ACCOUNTS")
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
