"""Storing and deleting manual vendor matches in the ledger (``manual_matches`` holds the rules): one path,
``set_vendor_match``, for ``ml-connector xref set`` and the matches file alike, so both check the same
conflicts (another pair of either record, a vendor the ``suppliers`` flow made for the supplier) and leave
the same trace (audit events of flow ``manual_matches``, held records released for replay).
"""

from dataclasses import dataclass, field
from typing import Any

from connector_assets.fusion.suppliers import FusionSupplier
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.match_file import FILE_ENTERED_BY
from connector_assets.integrations.fusion_procurify.matched_records import MatchRefused
from connector_assets.integrations.fusion_procurify.vendor_pairs import (
    FUSION,
    PAIRING,
    PROCURIFY,
    SUPPLIER_ENTITY,
    VENDOR_ENTITY,
    id_key,
    vendor_dependency,
)
from connector_assets.procurify.vendor_fields import is_active
from connector_resources.ledger import Ledger, Xref, XrefConflict
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.replay import release_waiting

FLOW = "manual_matches"  # the audit trail's flow name for every manual match change


@dataclass(frozen=True, slots=True)
class OtherPair:
    """A pair of one of the two records with a third record: what a new match would conflict with."""

    xref: Xref
    description: str

    @property
    def by_person(self) -> bool:
        return self.xref.manual and self.xref.entered_by != FILE_ENTERED_BY


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What ``set_vendor_match`` did: ``stored`` (new or changed), else the same match was there already."""

    vendor_id: str
    supplier: FusionSupplier
    stored: bool
    replaced: tuple[str, ...] = field(default=())
    released: int = 0


def _how(xref: Xref) -> str:
    if xref.manual:
        when = f"{xref.updated_at:%Y-%m-%d %H:%M} UTC"
        note = f": {xref.note}" if xref.note else ""
        return f"matched by hand by {xref.entered_by} on {when}{note}"
    flow = "vendors flow (name match)" if xref.entity == VENDOR_ENTITY else "suppliers flow"
    return f"paired by the {flow}"


def other_pairs(ledger: Ledger, vendor_id: str, supplier_id: str, *, conn: Any = None) -> list[OtherPair]:
    """Every pair of vendor ``vendor_id`` with another supplier, or of supplier ``supplier_id`` with
    another vendor, whichever way it was made (``vendor_pairs``: the ``vendor`` and ``supplier`` xrefs)."""
    found = []
    for other in PAIRING.other_pairs(ledger, vendor_id, supplier_id, conn=conn):
        if other.of_vendor:
            says = f"Procurify vendor {vendor_id} is paired with Fusion supplier {other.partner}"
        else:
            says = f"Fusion supplier {supplier_id} is paired with Procurify vendor {other.partner}"
        found.append(OtherPair(other.xref, f"{says} ({_how(other.xref)})"))
    return found


def _flow_vendor_in_the_way(
    procurify: Any, others: list[OtherPair], supplier: FusionSupplier, who: str, vendor_id: str
) -> str:
    """What becomes of the vendor the ``suppliers`` flow paired with ``supplier`` when another vendor is
    matched with it by hand ("" when there is none); ``MatchRefused`` naming both vendors while it is
    active (or cannot be read): replacing the pair would leave it as a second active vendor carrying the
    supplier's name and number, which is the duplicate a manual match is there to prevent."""
    made = [
        o.xref
        for o in others
        if o.xref.entity == SUPPLIER_ENTITY and o.xref.source_key == supplier.supplier_id and o.xref.target_id
    ]
    if not made:
        return ""
    flow_vendor = str(made[0].target_id)
    refused = (
        f"{who} = {supplier.label} not stored: the suppliers flow paired Procurify vendor {{flow}} "
        f"with that supplier (it carries the supplier's number as external_id). Matching vendor {vendor_id} "
        f"instead would leave vendor {flow_vendor} as a second active vendor of one supplier. "
    )
    if procurify is None:
        raise MatchRefused(
            refused.format(flow=flow_vendor)
            + f"Deactivate vendor {flow_vendor} in Procurify, then enter the match again"
        )
    try:
        vendor = procurify.get("vendors", flow_vendor)
    except ProcurifyNotFoundError:
        return f"the flow's vendor {flow_vendor} is gone from Procurify"
    label = f"{flow_vendor} ({str(vendor.get('name') or '').strip()})"
    if is_active(vendor):
        raise MatchRefused(
            refused.format(flow=label)
            + f"Deactivate vendor {label} in Procurify (its orders and bills stay), then enter the match "
            "again; or keep the flow's pair and use that vendor"
        )
    return f"the flow's vendor {label} is inactive in Procurify: left inactive, no longer paired, not renamed"


def set_vendor_match(
    ledger: Ledger,
    vendor_id: str,
    supplier: FusionSupplier,
    *,
    entered_by: str,
    note: str = "",
    vendor_name: str = "",
    replace: bool = False,
    keep_people: bool = False,
    run_id: str | None = None,
    procurify: Any = None,
) -> MatchResult:
    """Store Procurify vendor ``vendor_id`` = ``supplier`` as a manual match (both already checked to exist).

    A different pair of either record is refused (``MatchRefused`` naming it) unless ``replace``; with
    ``keep_people`` (the file) a match a person entered is refused even so. The same manual match already
    stored is left alone (``stored`` False; a person's new note or name updates it). One ledger
    transaction: the match, the forgotten pairs, their audit events and the released holds, or none.

    A vendor the ``suppliers`` flow made (or adopted) for ``supplier`` is never left beside the match as
    a second active vendor of that supplier: the match is refused, even with ``replace``, naming both
    vendors, until that vendor is inactive in Procurify (``procurify``, a session, reads it; without one
    the match is refused). Then the pair is replaced and the result says the flow's vendor stays inactive.
    """
    vendor_id = id_key(vendor_id, "Procurify vendor id")
    who = f"Procurify vendor {vendor_name} ({vendor_id})" if vendor_name else f"Procurify vendor {vendor_id}"
    with ledger.transaction() as conn:
        current = ledger.get_xref(INTEGRATION, VENDOR_ENTITY, PROCURIFY, vendor_id, FUSION, conn=conn)
        others = other_pairs(ledger, vendor_id, supplier.supplier_id, conn=conn)
        same = current is not None and current.manual and current.target_id == supplier.supplier_id
        if (
            same
            and not others
            and (keep_people or (current.entered_by, current.note or "") == (entered_by, note))
        ):
            return MatchResult(vendor_id, supplier, stored=False)
        people = [o for o in others if o.by_person]
        if keep_people and people:
            raise MatchRefused(
                f"{who} = {supplier.label} not stored: "
                + "; ".join(o.description for o in people)
                + " (a person's match wins over the file: `ml-connector xref delete` it to use this row)"
            )
        if others and not replace:
            raise MatchRefused(
                f"{who} = {supplier.label} not stored: "
                + "; ".join(o.description for o in others)
                + ". Add --replace to replace that pair with this match"
                + (
                    " (the suppliers flow's vendor of that supplier must be inactive in Procurify first)."
                    if any(
                        o.xref.entity == SUPPLIER_ENTITY and o.xref.source_key == supplier.supplier_id
                        for o in others
                    )
                    else "."
                )
            )
        flow_vendor = _flow_vendor_in_the_way(procurify, others, supplier, who, vendor_id)
        replaced = []
        for other in others:
            x = other.xref
            if x.entity == VENDOR_ENTITY and x.source_key == vendor_id:
                replaced.append(other.description)  # re-pointed by the override below
                continue
            if flow_vendor and x.entity == SUPPLIER_ENTITY and x.source_key == supplier.supplier_id:
                other = OtherPair(x, f"{other.description}; {flow_vendor}")
            if ledger.unmatch_xref(
                x.integration,
                x.entity,
                x.source_system,
                x.source_key,
                x.target_system,
                only_manual=False,
                conn=conn,
            ):
                replaced.append(other.description)
                ledger.audit(
                    integration=INTEGRATION,
                    flow=FLOW,
                    action="update",
                    entity=x.entity,
                    source_system=x.source_system,
                    source_id=x.source_key,
                    target_system=x.target_system,
                    target_id=x.target_id,
                    run_id=run_id,
                    reason=f"pair forgotten ({other.description}): replaced by the manual match of {who} "
                    f"with {supplier.label}, entered by {entered_by}",
                    conn=conn,
                )
        try:
            ledger.set_manual_override(
                INTEGRATION,
                VENDOR_ENTITY,
                PROCURIFY,
                vendor_id,
                FUSION,
                supplier.supplier_id,
                entered_by=entered_by,
                note=note,
                conn=conn,
            )
        except XrefConflict as exc:  # another writer paired the supplier meanwhile
            raise MatchRefused(f"{who} = {supplier.label} not stored: {exc}") from None
        because = f"{who} matched by hand with {supplier.label}, entered by {entered_by}"
        ledger.audit(
            integration=INTEGRATION,
            flow=FLOW,
            action="update",
            entity=VENDOR_ENTITY,
            source_system=PROCURIFY,
            source_id=vendor_id,
            target_system=FUSION,
            target_id=supplier.supplier_id,
            run_id=run_id,
            reason=because
            + (f" ({note})" if note else "")
            + (f"; replaces: {'; '.join(replaced)}" if replaced else ""),
            detail={"entered_by": entered_by, "note": note, "supplier_number": supplier.number},
            conn=conn,
        )
        released = release_waiting(
            ledger,
            vendor_dependency(vendor_id),
            reason=f"released: {because}; due for replay",
            run_id=run_id,
            conn=conn,
        )
    return MatchResult(vendor_id, supplier, stored=True, replaced=tuple(replaced), released=len(released))


def delete_manual_match(
    ledger: Ledger, integration: str, entity: str, source_key: str, *, entered_by: str
) -> Xref:
    """Forget the manual match of ``source_key`` in ``integration``/``entity`` (whatever its systems)."""
    with ledger.transaction() as conn:
        matches = [
            x for x in ledger.manual_matches(integration, entity, conn=conn) if x.source_key == source_key
        ]
        if not matches:
            raise MatchRefused(f"{integration}/{entity} {source_key} has no manual match to delete")
        if len(matches) > 1:
            raise MatchRefused(
                f"{integration}/{entity} {source_key} has {len(matches)} manual matches "
                f"({', '.join(x.label for x in matches)}); delete them with the ledger's unmatch_xref"
            )
        x = matches[0]
        before = ledger.unmatch_xref(
            x.integration, x.entity, x.source_system, x.source_key, x.target_system, conn=conn
        )
        if before is None:
            raise MatchRefused(f"{x.label}: the manual match changed meanwhile; look again (xref list)")
        ledger.audit(
            integration=integration,
            flow=FLOW,
            action="update",
            entity=entity,
            source_system=x.source_system,
            source_id=x.source_key,
            target_system=x.target_system,
            target_id=x.target_id,
            reason=f"manual match {x.source_system} {x.source_key} = {x.target_system} {x.target_id} "
            f"(entered by {x.entered_by}) deleted by {entered_by}; the flows pair the record again",
            conn=conn,
        )
    return before
