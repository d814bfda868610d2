"""What Procore <-> JD Edwards pairs by hand: a Procore vendor and the JDE address book entry it already is
(the ``vendor`` cross-reference, marked manual; the ``suppliers`` flow's pairs count too). Docs:
docs/integrations/procore_jde.md, "The flows" (vendors, Procore -> JDE)."""

from connector_assets.flows.instance import Instance
from connector_assets.flows.manual_pairs import ManualPairing
from connector_assets.jde.manual_pair_sides import address_book_side
from connector_assets.procore.manual_pair_sides import vendor_side


def pairings(it: Instance) -> tuple[ManualPairing, ...]:
    """What ``it`` lets a person pair: a Procore vendor with a JDE address book entry."""
    pairing = ManualPairing(
        integration=it.instance,
        entity="vendor",
        source=vendor_side(it.instance),
        target=address_book_side("JDE"),
        about="A Procore vendor JDE already holds under another tax id, with no origin_id naming it: the "
        "vendors flow would add it to JDE again; its commitments and invoices wait for it.",
        flow_words={
            "vendor": "vendors flow (origin_id, tax id or long address number)",
            "supplier": "suppliers flow (JDE changes back to Procore)",
        },
        mirror="supplier",
    )
    return (pairing,)
