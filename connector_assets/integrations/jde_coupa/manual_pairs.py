"""JD Edwards -> Coupa pairs a supplier by hand (``flows.manual_pairs``); ``about`` says when: the
``supplier`` cross-reference (JDE AN8 -> Coupa id) marked manual, the flow updates that Coupa supplier
and releases what waited on it."""

from connector_assets.coupa.manual_pair_sides import supplier_side as coupa_supplier
from connector_assets.flows.instance import Instance
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier


def pairings(it: Instance) -> tuple[ManualPairing, ...]:
    """What ``it`` lets a person pair: a JDE supplier with a Coupa supplier."""
    pairing = ManualPairing(
        integration=it.instance,
        entity="supplier",
        source=jde_supplier("JDE"),
        target=coupa_supplier("coupa"),
        about="A JDE supplier Coupa already holds under another number, tax id and name: the suppliers flow "
        "would create it again; its purchase orders and invoices wait for it.",
        flow_words={"supplier": "suppliers flow (supplier number, tax id or name)"},
    )
    return (pairing,)
