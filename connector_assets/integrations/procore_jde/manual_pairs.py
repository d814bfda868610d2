"""What Procore <-> JD Edwards pairs by hand (``flows.manual_pairs``): a Procore vendor and the JDE address
book entry it already is. The ``vendors`` flow finds a vendor's JDE supplier by its cross-reference, then a
parsable ``origin_id``, then the tax id (F0101 TAX), then the long address number ``PC<vendor id>``; a
vendor with no origin id that JDE holds under another tax id would be added to JDE a second time, and its
commitments and invoices wait for it. A person matches the two: the ``vendor`` cross-reference (Procore
vendor id -> AN8), marked manual; the flow then updates that JDE supplier from Procore (newer wins), the
origin mark writes the AN8 onto the vendor, and the records held on the vendor
(``procore_jde:vendor:procore:<id>``) are released. The ``suppliers`` flow (JDE changes back to the linked
vendors) is the mirror: its pairs count too.
"""

from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.jde.manual_pair_sides import address_book_side
from connector_assets.procore.manual_pair_sides import vendor_side

PAIRING = ManualPairing(
    integration=INTEGRATION,
    entity="vendor",
    source=vendor_side(INTEGRATION),
    target=address_book_side("JDE"),
    about="A Procore vendor JDE already holds under another tax id, with no origin_id naming it: the "
    "vendors flow would add it to JDE again; its commitments and invoices wait for it.",
    flow_words={
        "vendor": "vendors flow (origin_id, tax id or long address number)",
        "supplier": "suppliers flow (JDE changes back to Procore)",
    },
    mirror="supplier",
)
PAIRINGS = (PAIRING,)
