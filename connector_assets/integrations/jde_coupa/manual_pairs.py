"""What JD Edwards -> Coupa pairs by hand (``flows.manual_pairs``): a JDE supplier and the Coupa supplier it
already is under another number, no tax id and another name (the ``suppliers`` flow would create it a second
time), or one whose natural key is another JDE supplier's Coupa supplier (refused). A person matches the two:
the ``supplier`` cross-reference (JDE AN8 -> Coupa id), marked manual; the flow then updates that Coupa
supplier from JDE, and the purchase orders and invoices held on the supplier are released.
"""

from connector_assets.coupa.manual_pair_sides import supplier_side as coupa_supplier
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.integrations.jde_coupa.integration import INTEGRATION
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier

PAIRING = ManualPairing(
    integration=INTEGRATION,
    entity="supplier",
    source=jde_supplier("JDE"),
    target=coupa_supplier("coupa"),
    about="A JDE supplier Coupa already holds under another number, tax id and name: the suppliers flow "
    "would create it again; its purchase orders and invoices wait for it.",
    flow_words={"supplier": "suppliers flow (supplier number, tax id or name)"},
)
PAIRINGS = (PAIRING,)
