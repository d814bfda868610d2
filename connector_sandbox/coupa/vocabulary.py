"""Words the seed builds realistic records from: supplier names in many scripts (and some exactly at
Coupa's 100-character limit), places, goods, departments, and the chart-of-accounts segments."""

from __future__ import annotations

# Names every seed contains, so tests and demos can rely on them being there (non-ASCII on purpose).
SIGNATURE_SUPPLIERS: tuple[tuple[str, str, str, str], ...] = (
    # name, city, state, country
    ("Granite Supply Co", "Portland", "OR", "US"),
    ("Müller Baustoffe GmbH", "München", "BY", "DE"),
    ("Société Générale d'Équipement", "Lyon", "ARA", "FR"),
    ("北京建材", "北京", "BJ", "CN"),
    ("Ølstad Maskin AS", "Trondheim", "50", "NO"),
    ("Zürcher Holzbau AG", "Zürich", "ZH", "CH"),
    ("São Paulo Ferragens Ltda", "São Paulo", "SP", "BR"),
    ("Kraków Stal Sp. z o.o.", "Kraków", "MA", "PL"),
    ("Çelik Yapı Malzemeleri A.Ş.", "İstanbul", "34", "TR"),
    ("大阪資材株式会社", "大阪市", "27", "JP"),
    ("서울건설자재 주식회사", "서울", "11", "KR"),
    ("Ñandú Suministros S.L.", "Sevilla", "SE", "ES"),
    ("O'Brien & Sons Plumbing, Inc.", "Boston", "MA", "US"),
    ("Αθήνα Δομικά Υλικά Α.Ε.", "Αθήνα", "I", "GR"),
)

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

CITIES: tuple[tuple[str, str, str, str], ...] = (
    # city, state, country code, postal code pattern
    ("Portland", "OR", "US", "972##"),
    ("Seattle", "WA", "US", "981##"),
    ("San Jose", "CA", "US", "951##"),
    ("Denver", "CO", "US", "802##"),
    ("Austin", "TX", "US", "787##"),
    ("Chicago", "IL", "US", "606##"),
    ("Atlanta", "GA", "US", "303##"),
    ("Toronto", "ON", "CA", "M5V #A#"),
    ("Hamburg", "HH", "DE", "20###"),
    ("Köln", "NW", "DE", "50###"),
    ("Düsseldorf", "NW", "DE", "40###"),
    ("Paris", "IDF", "FR", "750##"),
    ("Besançon", "BFC", "FR", "25###"),
    ("Wien", "9", "AT", "1###"),
    ("Göteborg", "O", "SE", "41###"),
    ("上海", "SH", "CN", "200###"),
    ("深圳", "GD", "CN", "518###"),
    ("Manchester", "ENG", "GB", "M1 #AA"),
)

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

GOODS: tuple[tuple[str, str, float], ...] = (
    # description, uom code, typical unit price
    ("Safety gloves (box)", "BX", 24.5),
    ("Hard hat, Class E", "EA", 18.75),
    ("Ready-mix concrete 4000 psi", "CY", 142.0),
    ("Rebar #5, 20 ft", "EA", 11.4),
    ("Portland cement 94 lb", "BG", 14.2),
    ("Lumber 2x4x8 SPF", "EA", 4.65),
    ("Plywood 3/4 in CDX", "EA", 52.3),
    ("Copper wire 12 AWG (500 ft)", "RL", 96.0),
    ("PVC pipe 4 in x 10 ft", "EA", 21.9),
    ("Excavator rental (day)", "DAY", 680.0),
    ("Scaffold tower rental (week)", "WK", 310.0),
    ("Office paper A4 (case)", "CS", 38.0),
    ("Toner cartridge", "EA", 84.99),
    ("Diesel fuel", "GAL", 4.29),
    ("Gerüstmiete Kalenderwoche", "WK", 295.0),
    ("Béton prêt à l'emploi C25/30", "M3", 118.0),
    ("钢筋 HRB400", "T", 3900.0),
    ("Traffic control services", "HR", 65.0),
    ("Site security (night shift)", "HR", 32.5),
    ("Asphalt hot mix", "TON", 96.5),
)
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
COMPANIES: tuple[tuple[str, str, int], ...] = (
    ("00001", "US Operations", 0),
    ("00100", "Deutschland GmbH", 1),
    ("00200", "France SAS", 1),
    ("00300", "中国有限公司", 2),
)
ACCOUNT_TYPES: tuple[tuple[str, str], ...] = (
    ("US Chart of Accounts", "USD"),
    ("EU Chart of Accounts", "EUR"),
    ("China Chart of Accounts", "CNY"),
)
COST_CENTERS: tuple[tuple[str, str], ...] = (
    ("1000", "Administration"),
    ("2000", "Field Operations"),
    ("3000", "Engineering"),
    ("4000", "Sales & Marketing"),
    ("5000", "Warehouse"),
    ("6000", "Projects"),
    ("7000", "Fleet"),
    ("8000", "IT"),
)
NATURAL_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("6100", "Office Supplies"),
    ("6200", "Materials"),
    ("6300", "Equipment Rental"),
    ("6400", "Subcontracts"),
    ("6500", "Freight"),
    ("6600", "Professional Services"),
    ("6700", "Fuel"),
    ("6800", "Safety"),
    ("1410", "Inventory"),
    ("1510", "Construction in Progress"),
)

CURRENCIES: tuple[tuple[str, int], ...] = (
    ("USD", 2),
    ("EUR", 2),
    ("CAD", 2),
    ("GBP", 2),
    ("CNY", 2),
    ("JPY", 0),
)
PAYMENT_TERMS: tuple[tuple[str, str, int, int | None, str | None], ...] = (
    # code, description, days for net, days for discount, discount rate
    ("Net 30", "Payment due 30 days after invoice date", 30, None, None),
    ("Net 45", "Payment due 45 days after invoice date", 45, None, None),
    ("Net 60", "Payment due 60 days after invoice date", 60, None, None),
    ("2/10 Net 30", "2% discount within 10 days, net 30", 30, 10, "2.0"),
    ("Due on Receipt", "Payment due on receipt", 0, None, None),
    ("Net 15", "Payment due 15 days after invoice date", 15, None, None),
    ("Net 10", "Payment due 10 days after invoice date", 10, None, None),
)
SHIPPING_TERMS: tuple[tuple[str, str], ...] = (
    ("FOB Origin", "Free on board, origin"),
    ("FOB Destination", "Free on board, destination"),
    ("DAP", "Delivered at place"),
    ("EXW", "Ex works"),
)
BUYERS: tuple[tuple[str, str], ...] = (
    ("jreyes", "jreyes@buyer.example"),
    ("amueller", "a.mueller@buyer.example"),
    ("slefevre", "s.lefevre@buyer.example"),
    ("wzhang", "w.zhang@buyer.example"),
    ("integration", "integration@buyer.example"),
)
