"""What JD Edwards <-> BILL pairs by hand (``flows.manual_pairs``): a JDE supplier and the BILL vendor it
already is under another name without the tax id (the ``vendors`` flow would create it a second time). A
person matches the two: the ``vendor`` cross-reference (JDE AN8 -> BILL vendor id), marked manual; the flow
then updates that vendor from JDE, and the bills held on the supplier are released.
"""

from connector_assets.bill.manual_pair_sides import vendor_side as bill_vendor
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.integrations.jde_bill.integration import INTEGRATION
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier

PAIRING = ManualPairing(
    integration=INTEGRATION,
    entity="vendor",
    source=jde_supplier("JDE"),
    target=bill_vendor("bill"),
    about="A JDE supplier BILL already holds as a vendor of another name and no tax id: the vendors flow "
    "would create it again; its bills wait for it.",
    flow_words={"vendor": "vendors flow (tax id, then name)"},
)
PAIRINGS = (PAIRING,)
