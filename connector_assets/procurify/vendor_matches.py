"""Manual vendor matches: a Procurify vendor paired by hand with a supplier whose name differs, one at a time
or from a file, on the kit's path (``flows.manual_pairs``) with Procurify's ``VendorRules`` and
``VendorMatches``. Depth: docs/integrations/fusion_procurify.md, "Manual vendor matches".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from connector_assets.flows.manual_matches import set_match
from connector_assets.flows.manual_pairs import (
    SOURCE,
    Found,
    ManualPairing,
    MatchRefused,
    MatchResult,
    OtherPair,
    PairingRules,
    Proposed,
    Side,
    Systems,
)
from connector_assets.procurify.vendor_fields import is_active
from connector_assets.procurify.vendor_pairing import PROCURIFY, SUPPLIER_ENTITY, vendor_id_key
from connector_resources.ledger import Ledger
from connector_resources.ledger.operator_actions import OPERATOR_ROLE, Operator
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.procurify.session import ProcurifySession


def check_procurify_vendor(session: ProcurifySession, vendor_id: str) -> str:
    """The name of Procurify vendor ``vendor_id``; ``MatchRefused`` when Procurify has no such vendor."""
    try:
        vendor = session.get("vendors", vendor_id)
    except ProcurifyNotFoundError:
        raise MatchRefused(f"Procurify has no vendor with id {vendor_id}") from None
    return str(vendor.get("name") or "").strip()


def vendor_found(vendor_id: str, name: str = "") -> Found:
    """Procurify vendor ``vendor_id`` as a match names it: ``Procurify vendor Redwood HVAC Ltd (2041)``."""
    label = f"Procurify vendor {name} ({vendor_id})" if name else f"Procurify vendor {vendor_id}"
    return Found(vendor_id, label)


def _find_vendor(systems: Systems, ledger: Ledger, vendor_id: str) -> Found:
    return vendor_found(vendor_id, check_procurify_vendor(systems.session("procurify"), vendor_id))


def vendor_side() -> Side:
    """A Procurify vendor as one side of a pairing, read by its id."""
    return Side(
        PROCURIFY, "Procurify vendor", "procurify", "its vendor id (a number)", _find_vendor, vendor_id_key
    )


@dataclass(frozen=True)
class VendorRules(PairingRules):
    """Procurify's rules on a manual match of one of its vendors (``vendor_at``: the side the vendor is on;
    the other side is a supplier of the other system, which the ``suppliers`` flow sends to Procurify as a
    vendor); ``vendor_flow``: the flow pairing vendors made in Procurify, whose items of the vendor a match
    answers."""

    vendor_at: str = SOURCE
    vendor_flow: str = "vendors"

    def _keys(self, source: Found, target: Found) -> tuple[str, str]:
        """(vendor id, supplier key) of a match."""
        return (source.key, target.key) if self.vendor_at == SOURCE else (target.key, source.key)

    def replace_hint(self, match: Proposed, others: list[OtherPair]) -> str:
        supplier = self._keys(match.source, match.target)[1]
        if any(_made_for(o, supplier) for o in others):
            return " (the suppliers flow's vendor of that supplier must be inactive in Procurify first)."
        return ""

    def before_replacing(self, match: Proposed, others: list[OtherPair], systems: Systems) -> dict[int, str]:
        """What becomes of the vendor the ``suppliers`` flow paired with the supplier when another vendor is
        matched with it by hand; ``MatchRefused`` naming both vendors while it is active (or cannot be read):
        replacing the pair would leave it as a second active vendor carrying the supplier's name and number,
        which is the duplicate a manual match is there to prevent."""
        source, target = match.source, match.target
        vendor_id, supplier = self._keys(source, target)
        made = [o.xref for o in others if _made_for(o, supplier) and o.xref.target_id]
        if not made:
            return {}
        flow_vendor = str(made[0].target_id)
        refused = (
            f"{source.label} = {target.label} not stored: the suppliers flow paired Procurify vendor "
            f"{{flow}} with that supplier (it carries the supplier's number as external_id). Matching vendor "
            f"{vendor_id} instead would leave vendor {flow_vendor} as a second active vendor of one "
            "supplier. "
        )
        try:
            procurify = systems.session("procurify")
        except KeyError:  # no Procurify session to read it with: it cannot be shown inactive
            raise MatchRefused(
                refused.format(flow=flow_vendor)
                + f"Deactivate vendor {flow_vendor} in Procurify, then enter the match again"
            ) from None
        try:
            vendor = procurify.get("vendors", flow_vendor)
        except ProcurifyNotFoundError:
            return {made[0].id: f"the flow's vendor {flow_vendor} is gone from Procurify"}
        label = f"{flow_vendor} ({str(vendor.get('name') or '').strip()})"
        if is_active(vendor):
            raise MatchRefused(
                refused.format(flow=label)
                + f"Deactivate vendor {label} in Procurify (its orders and bills stay), then enter the match "
                "again; or keep the flow's pair and use that vendor"
            )
        left = "left inactive, no longer paired, not renamed"
        return {made[0].id: f"the flow's vendor {label} is inactive in Procurify: {left}"}

    def answered(self, match: Proposed, because: str, *, run_id: str | None, conn: Connection) -> int:
        vendor_id, supplier = self._keys(match.source, match.target)
        return resolve_answered(
            match.ledger,
            match.pairing.integration,
            self.vendor_flow,
            vendor_id,
            reason=f"resolved: {because}",
            target_id=supplier,
            run_id=run_id,
            conn=conn,
        )


def resolve_answered(
    ledger: Ledger,
    integration: str,
    flow: str,
    vendor_id: str,
    *,
    reason: str,
    target_id: str | None = None,
    run_id: str | None = None,
    conn: Connection,
) -> int:
    """Resolve vendor ``vendor_id``'s unresolved items of ``flow`` (failed, held or abandoned: the flow
    found no supplier for it) now that a match pairs it, each with an ``update`` audit event saying so;
    how many."""
    answered = [
        item
        for item in ledger.queue_for(vendor_id, conn=conn)
        if item.integration == integration and item.flow == flow and item.status != "resolved"
    ]
    for item in answered:
        ledger.resolve(item.id, reason=reason, conn=conn)
        ledger.audit_item(item, "update", reason, run_id=run_id, target_id=target_id, conn=conn)
    return len(answered)


def _made_for(other: OtherPair, supplier: str) -> bool:
    """Whether ``other`` is the ``suppliers`` flow's pair of ``supplier`` (the vendor it made or adopted)."""
    return other.xref.entity == SUPPLIER_ENTITY and other.xref.source_key == supplier


@dataclass(frozen=True)
class VendorMatches:
    """The manual matches of ``pairing`` (a Procurify vendor, the source, with a supplier of the other
    system) as a matches file and its callers enter them: a vendor id and a supplier the other system's
    side read (``supplier_id``, ``number``, ``label``); ``file_entered_by``: who the file's rows are."""

    pairing: ManualPairing
    file_entered_by: str

    def set_match(
        self,
        ledger: Ledger,
        vendor_id: str,
        supplier: Any,
        *,
        entered_by: str,
        note: str = "",
        vendor_name: str = "",
        replace: bool = False,
        keep_people: bool = False,
        run_id: str | None = None,
        procurify: ProcurifySession | None = None,
    ) -> MatchResult:
        """Store Procurify vendor ``vendor_id`` = ``supplier`` (both already read in their systems) as a
        manual match entered by ``entered_by`` (an operator) through the kit's path (``set_match``);
        ``procurify``: an open Procurify session, which reads whether the suppliers flow's vendor of the
        supplier is still active."""
        target = Found(supplier.supplier_id, supplier.label, {"number": supplier.number}, supplier)
        with Systems(sessions={"procurify": procurify} if procurify is not None else {}) as systems:
            return set_match(
                self.pairing,
                ledger,
                vendor_found(vendor_id, vendor_name),
                target,
                by=Operator(entered_by, OPERATOR_ROLE),
                note=note,
                replace=replace,
                keep_people=keep_people,
                run_id=run_id,
                systems=systems,
            )
