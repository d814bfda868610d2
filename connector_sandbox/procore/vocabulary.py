"""Words the sandbox's data is made of: names, addresses, cost codes, statuses, field limits.

Kept apart from the generator so the seed reads as a plan, and so tests can name the records that exist
to exercise a client (non-ASCII names, maximum-length values) without guessing.
"""

from __future__ import annotations

from ..word_tables import rows

# Procore publishes no column sizes; 255 is the Rails/PostgreSQL string default, our assumption.
MAX_LENGTHS: dict[str, int] = {
    "name": 255,
    "abbreviated_name": 255,
    "trade_name": 255,
    "legal_name": 255,
    "address": 255,
    "city": 255,
    "zip": 255,
    "business_phone": 255,
    "mobile_phone": 255,
    "fax_number": 255,
    "email_address": 255,
    "website": 255,
    "license_number": 255,
    "labor_union": 255,
    "origin_id": 255,
    "origin_code": 255,
    "number": 255,
    "title": 255,
    "invoice_number": 255,
    "code": 255,
    "uom": 255,
    "payment_terms": 255,
    "ship_via": 255,
}

# Vendors every sandbox has, whatever the scale: scripts and diacritics a client must round-trip.
SIGNATURE_VENDORS: tuple[tuple[str, str, str, str, str], ...] = rows(__package__, "SIGNATURE_VENDORS")

# Exactly MAX_LENGTHS["name"] characters once padded, one of them non-ASCII.
MAX_LENGTH_VENDOR_STEMS = (
    "Consolidated Mechanical, Electrical and Plumbing Contractors of the Greater Pacific Northwest ",
    "Bauunternehmung für Hoch-, Tief- und Straßenbau Süddeutschland Gesellschaft mit beschränkter ",
)

VENDOR_PREFIXES = (
    "Cascade",
    "Summit",
    "Redwood",
    "Keystone",
    "Pioneer",
    "Liberty",
    "Ironwood",
    "Bluewater",
    "Evergreen",
    "Frontier",
    "Harbor",
    "Meridian",
    "Northstar",
    "Riverside",
    "Sterling",
    "Timberline",
    "Westfield",
    "Canyon",
    "Prairie",
    "Coastal",
    "Granite",
    "Copper",
    "Atlas",
    "Beacon",
)
VENDOR_TRADES = (
    "Concrete",
    "Electric",
    "Plumbing",
    "Steel",
    "Drywall",
    "Roofing",
    "Glass",
    "Mechanical",
    "Excavation",
    "Paving",
    "Masonry",
    "Lumber",
    "Insulation",
    "Painting",
    "Fire Protection",
    "Elevator",
)
VENDOR_SUFFIXES = ("Co", "Inc.", "LLC", "Corp.", "& Sons", "Group", "Partners", "Supply", "Services")

US_PLACES: tuple[tuple[str, str, str], ...] = rows(__package__, "US_PLACES")
STREETS = ("Quarry Rd", "Industrial Way", "Commerce St", "Harbor Blvd", "Mill Ave", "Depot St", "Main St")

TRADES = (
    "Concrete",
    "Masonry",
    "Structural Steel",
    "Carpentry",
    "Roofing",
    "Glazing",
    "Drywall",
    "Painting",
    "Plumbing",
    "HVAC",
    "Electrical",
    "Earthwork",
    "Paving",
    "Landscaping",
)

# (division code, division name, ((code, name), ...)): a CSI MasterFormat-style standard list.
COST_CODE_DIVISIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "01",
        "General Requirements",
        (("100", "Supervision"), ("500", "Temporary Facilities"), ("700", "Final Cleaning")),
    ),
    (
        "03",
        "Concrete",
        (
            ("100", "Concrete Forming"),
            ("200", "Concrete Reinforcing"),
            ("300", "Cast-in-Place Concrete"),
            ("400", "Precast Concrete"),
        ),
    ),
    ("04", "Masonry", (("200", "Unit Masonry"), ("400", "Stone Assemblies"))),
    ("05", "Metals", (("100", "Structural Metal Framing"), ("500", "Metal Fabrications"))),
    ("06", "Wood, Plastics & Composites", (("100", "Rough Carpentry"), ("200", "Finish Carpentry"))),
    ("07", "Thermal & Moisture Protection", (("200", "Thermal Protection"), ("500", "Membrane Roofing"))),
    ("08", "Openings", (("100", "Metal Doors and Frames"), ("800", "Glazing"))),
    ("09", "Finishes", (("200", "Plaster and Gypsum Board"), ("600", "Flooring"), ("900", "Painting"))),
    ("22", "Plumbing", (("100", "Plumbing Piping"), ("400", "Plumbing Fixtures"))),
    ("23", "HVAC", (("300", "HVAC Air Distribution"), ("700", "Central HVAC Equipment"))),
    ("26", "Electrical", (("200", "Low-Voltage Distribution"), ("500", "Lighting"))),
    ("31", "Earthwork", (("100", "Site Clearing"), ("200", "Earth Moving"))),
)

# (name, code, base_type): the company's cost types.
LINE_ITEM_TYPES: tuple[tuple[str, str, str], ...] = rows(__package__, "LINE_ITEM_TYPES")

PROJECTS: tuple[tuple[str, str, str, str, str, str], ...] = rows(__package__, "PROJECTS")

PO_STATUSES = ("Draft", "Processing", "Submitted", "Partially Received", "Received", "Approved", "Closed")
# Work order (subcontract) statuses are not in the reference; Procore's UI vocabulary, unconfirmed.
# What the seed uses; the live list a server validates against is variants.work_order_statuses.
WO_STATUSES = ("Draft", "Out For Bid", "Out For Signature", "Approved", "Complete", "Terminated", "Void")
# "When a commitment is Approved/Complete its vendor and SOV cannot be changed and it cannot be deleted."
LOCKED_COMMITMENT_STATUSES = frozenset({"Approved", "Complete"})
ACCOUNTING_METHODS = ("amount", "unit")

REQUISITION_STATUSES = (
    "draft",
    "under_review",
    "revise_and_resubmit",
    "approved",
    "approved_as_noted",
    "pending_owner_approval",
)
NON_ADMIN_REQUISITION_STATUSES = frozenset({"draft", "under_review"})
APPROVED_REQUISITION_STATUSES = frozenset({"approved", "approved_as_noted"})
LOCKED_CHANGE_ORDER_STATUSES = frozenset({"approved", "complete"})

CHANGE_REASONS = ("Client Request", "Design Development", "Unforeseen Condition", "Allowance", "Code Change")
PO_TITLES = (
    "Rebar supply",
    "Ready-mix concrete",
    "Structural steel package",
    "Lumber package",
    "Drywall materials",
    "Lighting fixtures",
    "HVAC equipment",
    "Plumbing fixtures",
    "Glazing units",
    "Roofing membrane",
    "Aggregate base",
    "Temporary fencing",
)
WO_TITLES = (
    "Concrete subcontract",
    "Electrical subcontract",
    "Mechanical subcontract",
    "Drywall and framing",
    "Site work",
    "Painting subcontract",
    "Masonry subcontract",
    "Fire sprinkler system",
    "Roofing subcontract",
    "Elevator installation",
)
UOMS = ("ea", "lf", "sf", "cy", "ton", "hr", "ls")
HUMAN_USERS = (
    ("Jordan Alvarez", "jordan.alvarez@example.com"),
    ("Priya Natarajan", "priya.natarajan@example.com"),
    ("Jürgen Weiß", "juergen.weiss@example.com"),
    ("Chloé Lefèvre", "chloe.lefevre@example.com"),
)
# Seeded origin ids owned by an integration that is not ours (reference: "only one integration can
# own origin_id per object").
FOREIGN_INTEGRATION = "legacy-erp-integration"

WEBHOOK_RESOURCES_DOCUMENTED = (
    "Company Users",
    "Company Vendors",
    "Project Users",
    "Project Vendors",
    "RFIs",
    "Direct Cost Line Items",
    "ERP Requests",
)
