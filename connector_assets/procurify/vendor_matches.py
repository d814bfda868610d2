"""Manual vendor matches: a Procurify vendor paired by hand with an existing supplier of the other system.

The two systems are set up by different people, so a vendor's name in Procurify is often not its
supplier's name there, and a flow that pairs by name cannot pair them. An operator pairs them one at a
time (``ml-connector xref set``) or with a matches file (``vendor_match_file``). Both go through one path,
``VendorMatches.set_match``, so both check the same things and leave the same trace:

* the match is the ``vendor`` cross-reference (``vendor_pairing``), marked manual, which no flow overwrites;
* a different pair of either record (the vendor paired with another supplier, the supplier with another
  vendor, by a flow or by hand) is a conflict: refused, naming the pair, unless told to replace it;
  replacing forgets the other pair (``Ledger.unmatch_xref``), audited;
* the file replaces pairs made by a flow and its own earlier rows, never a match a person entered (a
  person's match is the more deliberate word);
* a vendor the ``suppliers`` flow made (or adopted) for the supplier is never left as a second active
  vendor beside the match: the match is refused, naming both vendors, until that vendor is inactive in
  Procurify; then the pair is replaced and the result says so;
* every change is an ``update`` audit event of flow ``manual_matches`` naming who entered it, the records
  held on ``vendor_dependency(vendor)`` are released for replay, and the vendor's own open items of the
  ``vendors`` flow (refused because no supplier has its name) are resolved: the match answers them, and a
  replay would only find the vendor paired and abandon them.

One copy for every integration pairing Procurify vendors with another system's suppliers (today Oracle
Fusion's); the integration gives its pairing and the words that name its suppliers. Both records are
read and checked to exist before anything is stored (``check_procurify_vendor`` here; the supplier by the
other system's side), so a typo never becomes a pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector_assets.procurify.vendor_fields import is_active
from connector_assets.procurify.vendor_pairing import PROCURIFY, SUPPLIER_ENTITY, VENDOR_ENTITY, VendorPairing
from connector_resources.ledger import Ledger, Xref, XrefConflict
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.replay import release_waiting

FLOW = "manual_matches"  # the audit trail's flow name for every manual match change


class MatchRefused(Exception):
    """A manual match that was not stored, with why in an operator's words (nothing was changed)."""


def check_procurify_vendor(session: Any, vendor_id: str) -> str:
    """The name of Procurify vendor ``vendor_id``; ``MatchRefused`` when Procurify has no such vendor."""
    try:
        vendor = session.get("vendors", vendor_id)
    except ProcurifyNotFoundError:
        raise MatchRefused(f"Procurify has no vendor with id {vendor_id}") from None
    return str(vendor.get("name") or "").strip()


@dataclass(frozen=True, slots=True)
class OtherPair:
    """A pair of one of the two records with a third record: what a new match would conflict with."""

    xref: Xref
    description: str
    file_entered_by: str = ""

    @property
    def by_person(self) -> bool:
        return self.xref.manual and self.xref.entered_by != self.file_entered_by


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What ``set_match`` did: ``stored`` (new or changed), else the same match was there already.
    ``supplier``: the other system's supplier (``supplier_id``, ``number``, ``label``)."""

    vendor_id: str
    supplier: Any
    stored: bool
    replaced: tuple[str, ...] = field(default=())
    released: int = 0
    resolved: int = 0  # the vendor's open items of the vendors flow, answered by the match


@dataclass(frozen=True)
class VendorMatches:
    """Manual matches of ``pairing``'s vendors with its suppliers. ``supplier_words``: how a supplier of
    the other system is named (``Fusion supplier``); ``vendor_flow_words``: how a pair the ``vendors`` flow
    made is described; ``file_entered_by``: ``entered_by`` of the matches file's rows; ``vendor_flow``: the
    name of the flow pairing vendors by name, whose queue items of a vendor a match answers."""

    pairing: VendorPairing
    supplier_words: str
    vendor_flow_words: str
    file_entered_by: str
    vendor_flow: str = "vendors"

    def _how(self, xref: Xref) -> str:
        if xref.manual:
            when = f"{xref.updated_at:%Y-%m-%d %H:%M} UTC"
            note = f": {xref.note}" if xref.note else ""
            return f"matched by hand by {xref.entered_by} on {when}{note}"
        flow = self.vendor_flow_words if xref.entity == VENDOR_ENTITY else "suppliers flow"
        return f"paired by the {flow}"

    def other_pairs(
        self, ledger: Ledger, vendor_id: str, supplier_id: str, *, conn: Any = None
    ) -> list[OtherPair]:
        """Every pair of vendor ``vendor_id`` with another supplier, or of supplier ``supplier_id`` with
        another vendor, whichever way it was made (the ``vendor`` and ``supplier`` xrefs)."""
        found = []
        for other in self.pairing.other_pairs(ledger, vendor_id, supplier_id, conn=conn):
            if other.of_vendor:
                says = f"Procurify vendor {vendor_id} is paired with {self.supplier_words} {other.partner}"
            else:
                says = f"{self.supplier_words} {supplier_id} is paired with Procurify vendor {other.partner}"
            found.append(OtherPair(other.xref, f"{says} ({self._how(other.xref)})", self.file_entered_by))
        return found

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
        procurify: Any = None,
    ) -> MatchResult:
        """Store Procurify vendor ``vendor_id`` = ``supplier`` as a manual match (both already checked to
        exist).

        A different pair of either record is refused (``MatchRefused`` naming it) unless ``replace``; with
        ``keep_people`` (the file) a match a person entered is refused even so. The same manual match
        already stored is left alone (``stored`` False; a person's new note or name updates it). One ledger
        transaction: the match, the forgotten pairs, their audit events and the released holds, or none.

        A vendor the ``suppliers`` flow made (or adopted) for ``supplier`` is never left beside the match
        as a second active vendor of that supplier: the match is refused, even with ``replace``, naming
        both vendors, until that vendor is inactive in Procurify (``procurify``, a session, reads it;
        without one the match is refused). Then the pair is replaced and the result says the flow's vendor
        stays inactive.
        """
        integration, system = self.pairing.integration, self.pairing.system
        vendor_id = self.pairing.vendor_key(vendor_id)
        who = (
            f"Procurify vendor {vendor_name} ({vendor_id})"
            if vendor_name
            else f"Procurify vendor {vendor_id}"
        )
        with ledger.transaction() as conn:
            current = ledger.get_xref(integration, VENDOR_ENTITY, PROCURIFY, vendor_id, system, conn=conn)
            others = self.other_pairs(ledger, vendor_id, supplier.supplier_id, conn=conn)
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
                        if any(_made_for(o.xref, supplier) for o in others)
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
                if flow_vendor and _made_for(x, supplier):
                    other = OtherPair(x, f"{other.description}; {flow_vendor}")
                if ledger.unmatch_xref(*_xref_key(x), only_manual=False, conn=conn):
                    replaced.append(other.description)
                    _audited(
                        ledger,
                        integration,
                        x,
                        f"pair forgotten ({other.description}): replaced by the manual match of {who} with "
                        f"{supplier.label}, entered by {entered_by}",
                        run_id=run_id,
                        conn=conn,
                    )
            try:
                ledger.set_manual_override(
                    integration,
                    VENDOR_ENTITY,
                    PROCURIFY,
                    vendor_id,
                    system,
                    supplier.supplier_id,
                    entered_by=entered_by,
                    note=note,
                    conn=conn,
                )
            except XrefConflict as exc:  # another writer paired the supplier meanwhile
                raise MatchRefused(f"{who} = {supplier.label} not stored: {exc}") from None
            because = f"{who} matched by hand with {supplier.label}, entered by {entered_by}"
            ledger.audit(
                integration=integration,
                flow=FLOW,
                action="update",
                entity=VENDOR_ENTITY,
                source_system=PROCURIFY,
                source_id=vendor_id,
                target_system=system,
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
                self.pairing.vendor_dependency(vendor_id),
                reason=f"released: {because}; due for replay",
                run_id=run_id,
                conn=conn,
            )
            resolved = resolve_answered(
                ledger,
                integration,
                self.vendor_flow,
                vendor_id,
                reason=f"resolved: {because}",
                target_id=supplier.supplier_id,
                run_id=run_id,
                conn=conn,
            )
        return MatchResult(
            vendor_id,
            supplier,
            stored=True,
            replaced=tuple(replaced),
            released=len(released),
            resolved=resolved,
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
    conn: Any,
) -> int:
    """Resolve vendor ``vendor_id``'s unresolved items of ``flow`` (failed, held or abandoned: the flow
    found no supplier of its name) now that a match pairs it, each with an ``update`` audit event saying
    so; how many."""
    answered = [
        item
        for item in ledger.queue_for(vendor_id, conn=conn)
        if item.integration == integration and item.flow == flow and item.status != "resolved"
    ]
    for item in answered:
        ledger.resolve(item.id, reason=reason, conn=conn)
        ledger.audit_item(item, "update", reason, run_id=run_id, target_id=target_id, conn=conn)
    return len(answered)


def _xref_key(xref: Xref) -> tuple[str, str, str, str, str]:
    """(integration, entity, source system, source key, target system): how the ledger names an xref."""
    return xref.integration, xref.entity, xref.source_system, xref.source_key, xref.target_system


def _audited(
    ledger: Ledger, integration: str, xref: Xref, reason: str, *, run_id: str | None = None, conn: Any
) -> None:
    """An ``update`` audit event of flow ``manual_matches`` about cross-reference ``xref``."""
    ledger.audit(
        integration=integration,
        flow=FLOW,
        action="update",
        entity=xref.entity,
        source_system=xref.source_system,
        source_id=xref.source_key,
        target_system=xref.target_system,
        target_id=xref.target_id,
        run_id=run_id,
        reason=reason,
        conn=conn,
    )


def _made_for(xref: Xref, supplier: Any) -> bool:
    """Whether ``xref`` is the ``suppliers`` flow's pair of ``supplier`` (the vendor it made or adopted)."""
    return xref.entity == SUPPLIER_ENTITY and xref.source_key == supplier.supplier_id


def _flow_vendor_in_the_way(
    procurify: Any, others: list[OtherPair], supplier: Any, who: str, vendor_id: str
) -> str:
    """What becomes of the vendor the ``suppliers`` flow paired with ``supplier`` when another vendor is
    matched with it by hand ("" when there is none); ``MatchRefused`` naming both vendors while it is
    active (or cannot be read): replacing the pair would leave it as a second active vendor carrying the
    supplier's name and number, which is the duplicate a manual match is there to prevent."""
    made = [o.xref for o in others if _made_for(o.xref, supplier) and o.xref.target_id]
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
        before = ledger.unmatch_xref(*_xref_key(x), conn=conn)
        if before is None:
            raise MatchRefused(f"{x.label}: the manual match changed meanwhile; look again (xref list)")
        _audited(
            ledger,
            integration,
            x,
            f"manual match {x.source_system} {x.source_key} = {x.target_system} {x.target_id} "
            f"(entered by {x.entered_by}) deleted by {entered_by}; the flows pair the record again",
            conn=conn,
        )
    return before
