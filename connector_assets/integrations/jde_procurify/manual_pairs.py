"""What JD Edwards <-> Procurify pairs by hand (``flows.manual_pairs``): a JDE supplier and the Procurify
vendor it already is. The ``suppliers`` flow finds a supplier's vendor by the ledger's pair, then by
``external_id`` = AN8, never by name (Procurify names are not unique): a vendor both sides held before
go-live, without the AN8 in ``external_id``, would get a second vendor from JDE, and its bills wait for a
JDE supplier. A person matches the two: the ``supplier`` cross-reference (JDE AN8 -> Procurify vendor id),
marked manual, so the ``suppliers`` flow updates that vendor from JDE (its ``external_id`` becomes the AN8)
and the ``vendors`` flow finds the vendor paired (it makes no JDE supplier for it). Released: the purchase
orders held on the supplier (``jde_procurify:supplier:JDE:<AN8>``) and the bills held on the vendor
(``jde_procurify:vendor:procurify:<id>``). Procurify's rules (no second active vendor of one supplier, the
vendor's ``vendors`` items answered) are the Procurify side's (``procurify.vendor_matches``).
"""

from connector_assets.flows.manual_pairs import SOURCE, TARGET, ManualPairing, Waiting
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.vendor_pairs import (
    JDE,
    PROCURIFY,
    SUPPLIER_ENTITY,
    VENDOR_ENTITY,
)
from connector_assets.jde.manual_pair_sides import supplier_side as jde_supplier
from connector_assets.procurify.vendor_matches import VendorRules, vendor_side

PAIRING = ManualPairing(
    integration=INTEGRATION,
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
PAIRINGS = (PAIRING,)
