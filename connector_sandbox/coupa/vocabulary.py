"""Words the seed builds realistic records from: supplier names in many scripts (and some exactly at
Coupa's 100-character limit), places, goods, departments, and the chart-of-accounts segments."""

from __future__ import annotations

from ..word_tables import rows

# Names every seed contains, so tests and demos can rely on them being there (non-ASCII on purpose).
SIGNATURE_SUPPLIERS: tuple[tuple[str, str, str, str], ...] = rows(__package__, "SIGNATURE_SUPPLIERS")

# Exactly 100 characters each (Coupa's supplier name limit), some non-ASCII.
MAX_LENGTH_SUPPLIERS: tuple[str, ...] = (
    ("Großhandelsgesellschaft für Baumaschinen, Gerüstbau und Schalungstechnik Süddeutschland mbH & Co. KG")[
        :100
    ],
    ("Compagnie Européenne de Fournitures Électriques, Éclairage et Équipements Industriels du Sud-Ouest S")[
        :100
    ],
    ("Pacific Northwest Heavy Equipment Rental, Aggregate Supply, Concrete and Asphalt Paving Services LLC")[
        :100
    ],
)

CITIES: tuple[tuple[str, str, str, str], ...] = rows(__package__, "CITIES")

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "DE": "Germany",
    "FR": "France",
    "AT": "Austria",
    "SE": "Sweden",
    "CN": "China",
    "GB": "United Kingdom",
    "NO": "Norway",
    "CH": "Switzerland",
    "BR": "Brazil",
    "PL": "Poland",
    "TR": "Türkiye",
    "JP": "Japan",
    "KR": "Korea, Republic of",
    "ES": "Spain",
    "GR": "Greece",
}

NAME_FIRST = (
    "Acme",
    "Summit",
    "Cascade",
    "Redwood",
    "Keystone",
    "Harbor",
    "Atlas",
    "Pioneer",
    "Evergreen",
    "Blue Ridge",
    "Ironwood",
    "Northstar",
    "Lakeside",
    "Meridian",
    "Sierra",
    "Prairie",
    "Coastal",
    "Nordlicht",
    "Rhein",
    "Alpen",
    "Lumière",
    "Étoile",
    "Montagne",
    "长城",
    "华夏",
    "Fjord",
    "Bergen",
)
NAME_SECOND = (
    "Concrete",
    "Steel",
    "Lumber",
    "Electrical",
    "Plumbing",
    "Safety",
    "Office",
    "Rental",
    "Fasteners",
    "Aggregates",
    "HVAC",
    "Roofing",
    "Glass",
    "Paving",
    "Logistics",
    "Scaffolding",
    "Tooling",
    "Baustoffe",
    "Elektro",
    "Matériaux",
    "Équipement",
    "建材",
    "机械",
)
NAME_SUFFIX = (
    "Co",
    "Inc.",
    "LLC",
    "Ltd",
    "Corp.",
    "Supply",
    "Partners",
    "GmbH",
    "AG",
    "S.A.S.",
    "S.A.",
    "Group",
    "有限公司",
    "AB",
    "Oy",
)
GIVEN_NAMES = ("Dana", "Jürgen", "Amélie", "Wei", "Sofía", "Kenji", "Olga", "Priya", "Sean", "Zoë", "Ana")
FAMILY_NAMES = ("Reyes", "Müller", "Lefèvre", "王", "García", "Tanaka", "Nowak", "Iyer", "O'Connor", "Brown")

GOODS: tuple[tuple[str, str, float], ...] = rows(__package__, "GOODS")
SERVICES: tuple[str, ...] = (
    "Engineering services, phase 2",
    "Permit and inspection fees",
    "Freight and delivery",
    "Consulting — Q3 retainer",
    "Software subscription (annual)",
    "Bauleitung Pauschale",
    "Prestations de nettoyage de chantier",
)

DEPARTMENTS: tuple[str, ...] = (
    "Finance",
    "Procurement",
    "Operations",
    "Field Services",
    "Engineering",
    "IT",
    "Human Resources",
    "Baustellenlogistik",
    "Département Achats",
    "工程部",
    "Safety & Compliance",
    "Facilities",
)

# (code, name, account type index, currency)
COMPANIES: tuple[tuple[str, str, int], ...] = rows(__package__, "COMPANIES")
ACCOUNT_TYPES: tuple[tuple[str, str], ...] = rows(__package__, "ACCOUNT_TYPES")
COST_CENTERS: tuple[tuple[str, str], ...] = rows(__package__, "COST_CENTERS")
NATURAL_ACCOUNTS: tuple[tuple[str, str], ...] = rows(__package__, "NATURAL_ACCOUNTS")

CURRENCIES: tuple[tuple[str, int], ...] = rows(__package__, "CURRENCIES")
PAYMENT_TERMS: tuple[tuple[str, str, int, int | None, str | None], ...] = rows(__package__, "PAYMENT_TERMS")
SHIPPING_TERMS: tuple[tuple[str, str], ...] = rows(__package__, "SHIPPING_TERMS")
BUYERS: tuple[tuple[str, str], ...] = rows(__package__, "BUYERS")
