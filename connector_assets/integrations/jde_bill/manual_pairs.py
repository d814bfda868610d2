"""JD Edwards <-> BILL pairs a vendor by hand (``flows.manual_pairs``); ``about`` says when: the
``vendor`` cross-reference (JDE AN8 -> BILL vendor id) marked manual, the flow updates that BILL vendor and
releases the bills held on it."""

from connector_assets.bill.manual_pair_sides import vendor_side as bill_vendor
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier


def vendor_pairing(instance: str) -> ManualPairing:
    """The instance's pairing of a JDE supplier with a BILL vendor."""
    return ManualPairing(
        integration=instance,
        entity="vendor",
        source=jde_supplier("JDE"),
        target=bill_vendor("bill"),
        about="A JDE supplier BILL already holds as a vendor of another name and no tax id: the vendors flow "
        "would create it again; its bills wait for it.",
        flow_words={"vendor": "vendors flow (tax id, then name)"},
    )
