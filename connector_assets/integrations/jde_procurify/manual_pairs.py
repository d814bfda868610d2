"""What JDE <-> Procurify pairs by hand (``flows.manual_pairs``): a JDE supplier and the Procurify vendor
it already is (AN8 -> vendor id), since the suppliers flow never matches by name. What a match releases:
docs/integrations/jde_procurify.md, "The flows" (suppliers).
"""

from connector_assets.flows.manual_pairs import SOURCE, TARGET, ManualPairing, Waiting
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier
from connector_assets.procurify.vendor_matches import VendorRules, vendor_side

from .vendor_pairs import JDE, PROCURIFY, SUPPLIER_ENTITY, VENDOR_ENTITY


def pairings(instance: str) -> tuple[ManualPairing, ...]:
    """What ``instance`` lets a person pair: a JDE supplier with the Procurify vendor it already is."""
    pairing = ManualPairing(
        integration=instance,
        entity=SUPPLIER_ENTITY,
        source=jde_supplier(JDE),
        target=vendor_side(),
        about="A JDE supplier Procurify already holds as a vendor without its address number (external_id): "
        "the suppliers flow would add a second vendor, and the vendor's bills wait for a JDE supplier.",
        flow_words={SUPPLIER_ENTITY: "suppliers flow (external_id)", VENDOR_ENTITY: "vendors flow"},
        mirror=VENDOR_ENTITY,
        waiting=(Waiting(SUPPLIER_ENTITY, JDE, SOURCE), Waiting(VENDOR_ENTITY, PROCURIFY, TARGET)),
        rules=VendorRules(vendor_at=TARGET),
    )
    return (pairing,)
