"""Words the seed builds a believable construction-and-distribution customer from.

Names come in many scripts on purpose: a client that mangles "Müller Baustoffe GmbH" or "北京建材"
(encoding, normalisation, truncation by bytes instead of characters) is caught by the first sync.
"""

from __future__ import annotations

import random
from collections.abc import Collection

from ..word_tables import rows

# Vendors every seed contains, whatever the scale.
SIGNATURE_VENDORS: tuple[tuple[str, str, str, str], ...] = rows(__package__, "SIGNATURE_VENDORS")

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


def vendor_name(rng: random.Random, taken: Collection[str]) -> str:
    """A generated vendor name no vendor in ``taken`` has: a drawn name already taken gets a number
    ("Acme Steel Co (2)"). Why: the words repeat at scale (about 40 active pairs at scale 1), and two live
    vendors of one name pair with one supplier of that name in the other sandbox, so the vendors flows
    queued a refusal for the second that nobody made. Names repeat only on purpose (inactive duplicates
    of signature vendors, seeded apart). The draw itself is unchanged, so the rest of the seed is too."""
    name = f"{rng.choice(VENDOR_STEMS)} {rng.choice(VENDOR_TRADES)} {rng.choice(VENDOR_FORMS)}"
    number = 2
    unique = name
    while unique in taken:
        unique, number = f"{name} ({number})", number + 1
    return unique


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
LOCATIONS: tuple[tuple[str, bool, str, str, str, str, str], ...] = rows(__package__, "LOCATIONS")

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
ACCOUNT_CODES: tuple[tuple[str, str, int], ...] = rows(__package__, "ACCOUNT_CODES")
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

ITEMS: tuple[tuple[str, str, int], ...] = rows(__package__, "ITEMS")

PAYMENT_TERMS = (("Net 30", None), ("Net 45", None), ("Net 60", "Large vendors"), ("Due on receipt", None))
SHIPPING_TERMS = (("FOB Origin", None), ("FOB Destination", None), ("DDP", "Delivered duty paid"))
PAYMENT_METHODS = (("Cheque", None), ("ACH", None), ("Wire", None), ("Credit card", None))
SHIPPING_METHODS = (("Ground", None), ("Express", None), ("Will call", "Picked up by our crew"))

# (id, code, rate to the base currency, is base, decimals). Currency id 3 is USD, as in the reference's
# examples. ``decimals`` are the ISO 4217 minor units money of the currency is counted in: JPY has none,
# KWD three (fils); a Procurify currency object shows only ``{id, name, rate}``.
CURRENCIES: tuple[tuple[int, str, str, bool, int], ...] = rows(__package__, "CURRENCIES")

# Vendors billing in a currency of other than two decimals (name, city, state, country, currency code):
# seeded after the history with a bill and its payment each, and billed on request (``POST /sandbox/bills``).
DECIMAL_CURRENCY_VENDORS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Tōkai Seiki K.K.", "Nagoya", "Aichi", "JP", "JPY"),
    ("Al-Manar General Trading Co. W.L.L.", "Kuwait City", "Al Asimah", "KW", "KWD"),
)
