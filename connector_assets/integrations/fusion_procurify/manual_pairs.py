"""What Oracle Fusion <-> Procurify pairs by hand (``flows.manual_pairs``): a Procurify vendor and the Fusion
supplier it is when their names differ; Procurify's rules are ``procurify.vendor_matches``', and a match
releases the vendor's bills held on a supplier or pay site (``VendorSupplierRules``).
"""

from typing import Any

from connector_assets.flows.manual_pairs import Found, ManualPairing, MatchRefused, Proposed, Side, Systems
from connector_assets.fusion import missing_sites
from connector_assets.fusion.suppliers import FusionSupplier, SupplierNotFound, find_supplier
from connector_assets.procurify.vendor_matches import VendorRules, vendor_side
from connector_resources.ledger import Ledger
from connector_resources.missing_records import missing_of
from connector_resources.replay import release_waiting

from .vendor_pairs import (
    FUSION,
    SUPPLIER_ENTITY,
    VENDOR_ENTITY,
)

INVOICES = "invoices"  # the flow whose bills wait for a supplier or pay site Fusion lacks


class VendorSupplierRules(VendorRules):
    """Procurify's rules (``procurify.vendor_matches``), and: the vendor's bills held on a supplier or pay
    site Fusion lacked (``fusion.missing_sites``) are released by the match, which gives them another
    supplier to be sent to; a replay maps them again with it (held again if that one lacks a site too)."""

    def answered(self, match: Proposed, because: str, *, run_id: str | None, conn: Any) -> int:
        done = super().answered(match, because, run_id=run_id, conn=conn)
        vendor_id, ledger = self._keys(match.source, match.target)[0], match.ledger
        held = ledger.open_items(
            integration=match.pairing.integration, flow=INVOICES, status="held", limit=100_000, conn=conn
        )
        keys = {
            i.depends_on
            for i in held
            if i.depends_on
            and (found := missing_of(i.depends_on, missing_sites.KINDS)) is not None
            and found[0] in missing_sites.KINDS
            and str((i.payload or {}).get("vendor_id") or "") == vendor_id
        }
        for key in sorted(keys):
            reason = f"released: {because}; due for replay"
            done += len(release_waiting(ledger, key, reason=reason, run_id=run_id, conn=conn))
        return done


def supplier_found(supplier: FusionSupplier) -> Found:
    """A Fusion supplier as a match names it (its ``SupplierId`` is the ledger's key)."""
    return Found(supplier.supplier_id, supplier.label, {"number": supplier.number}, supplier)


def find_fusion_supplier(session: Any, given: str) -> FusionSupplier:
    """The supplier a match names (``fusion.suppliers.find_supplier``: by number or id); ``MatchRefused``
    with Fusion's words when it names none or two."""
    try:
        return find_supplier(session, given)
    except SupplierNotFound as exc:
        raise MatchRefused(str(exc)) from None


def _find(systems: Systems, ledger: Ledger, given: str) -> Found:
    return supplier_found(find_fusion_supplier(systems.session("fusion"), given))


def manual_pairing(instance: str) -> ManualPairing:
    """What ``instance`` lets a person pair: a Procurify vendor with a Fusion supplier."""
    return ManualPairing(
        integration=instance,
        entity=VENDOR_ENTITY,
        source=vendor_side(),
        target=Side(
            FUSION,
            "Fusion supplier",
            "fusion",
            "its SupplierNumber or SupplierId (number:<n> or id:<n> when a value could be both)",
            _find,
        ),
        about="A Procurify vendor named otherwise than its Fusion supplier: the vendors flow pairs by name "
        "only, so its purchase orders and bills wait until the two are matched.",
        flow_words={VENDOR_ENTITY: "vendors flow (name match)", SUPPLIER_ENTITY: "suppliers flow"},
        mirror=SUPPLIER_ENTITY,
        rules=VendorSupplierRules(),
    )
