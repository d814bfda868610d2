"""The one path every surface stores and deletes a match by hand through (``ml-connector xref``, the desk's
match page, a matches file), so each match is checked, stored, audited and followed up the same way, in one
transaction. The rules an operator sees: docs/operations.md, "Matching records by hand".
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime

from sqlalchemy import Connection

from connector_assets.flows.manual_pairs import (
    SOURCE,
    TARGET,
    Found,
    ManualPairing,
    MatchRefused,
    MatchResult,
    OtherPair,
    Proposed,
    Systems,
)
from connector_resources.ledger import Ledger, Xref, XrefConflict
from connector_resources.ledger.operator_actions import Operator
from connector_resources.replay import release_waiting

FLOW = "manual_matches"  # the audit trail's flow name for every manual match change


# -- reading both records ------------------------------------------------------------------------------------


def find(pairing: ManualPairing, which: str, systems: Systems, ledger: Ledger, typed: str) -> Found:
    """The record a person named on side ``which``, read in its system (``MatchRefused`` naming it when it
    is not there, or when what was typed cannot be a key)."""
    return pairing.side(which).find(systems, ledger, pairing.key_of(which, typed))


def find_both(
    pairing: ManualPairing, systems: Systems, ledger: Ledger, source: str, target: str
) -> tuple[Found, Found]:
    """Both records read in their systems, the source first."""
    return find(pairing, SOURCE, systems, ledger, source), find(pairing, TARGET, systems, ledger, target)


# -- the pairs in the way ------------------------------------------------------------------------------------


def other_pairs(
    pairing: ManualPairing,
    ledger: Ledger,
    source_key: str,
    target_key: str,
    *,
    conn: Connection | None = None,
) -> list[OtherPair]:
    """Every pair of the source record with another target record, or of the target record with another
    source record, in the pairing's cross-reference and its mirror's, whichever way it was made; each
    described. Claimed cross-references with no target id yet pair nothing."""
    i, e, m = pairing.integration, pairing.entity, pairing.mirror
    s, t = pairing.source.system, pairing.target.system
    own = ledger.get_xref(i, e, s, source_key, t, conn=conn)
    holder = ledger.find_xref_by_target(i, e, t, target_key, conn=conn)
    found = [(own, True, own and own.target_id), (holder, False, holder and holder.source_key)]
    if m is not None:
        mirrored_source = ledger.find_xref_by_target(i, m, s, source_key, conn=conn)
        mirrored_target = ledger.get_xref(i, m, t, target_key, s, conn=conn)
        found += [
            (mirrored_source, True, mirrored_source and mirrored_source.source_key),
            (mirrored_target, False, mirrored_target and mirrored_target.target_id),
        ]
    pairs = []
    for xref, of_source, partner in found:
        if xref is None or not partner or partner == (target_key if of_source else source_key):
            continue
        if of_source:
            says = f"{pairing.source.words} {source_key} is paired with {pairing.target.words} {partner}"
        else:
            says = f"{pairing.target.words} {target_key} is paired with {pairing.source.words} {partner}"
        pairs.append(OtherPair(xref, of_source, partner, f"{says} ({pairing.how(xref)})"))
    return pairs


def _is_own(pairing: ManualPairing, xref: Xref, source_key: str) -> bool:
    """Whether ``xref`` is the pairing's cross-reference of the source record (re-pointed, not forgotten)."""
    return (xref.entity, xref.source_system, xref.source_key, xref.target_system) == (
        pairing.entity,
        pairing.source.system,
        source_key,
        pairing.target.system,
    )


# -- storing, deleting ---------------------------------------------------------------------------------------


def set_match(
    pairing: ManualPairing,
    ledger: Ledger,
    source: Found,
    target: Found,
    *,
    by: Operator,
    note: str,
    replace: bool = False,
    keep_people: bool = False,
    run_id: str | None = None,
    systems: Systems | None = None,
) -> MatchResult:
    """Store ``source`` = ``target`` (both read: ``find_both``) as a manual match by ``by`` with ``note``.
    The same match already there (same person and note, or any with ``keep_people``) changes nothing;
    ``keep_people`` (a matches file) never replaces a person's match, whatever ``replace`` says: a person's
    match is the more deliberate word. ``MatchRefused`` says why nothing was stored."""
    if not note or not note.strip():
        raise MatchRefused(f"{source.label} = {target.label} not stored: say why the two are one (a note)")
    note = note.strip()
    i, s, t = pairing.integration, pairing.source.system, pairing.target.system
    with ExitStack() as stack:
        systems = systems or stack.enter_context(Systems())
        conn = stack.enter_context(ledger.transaction())
        current = ledger.get_xref(i, pairing.entity, s, source.key, t, conn=conn)
        proposed = Proposed(pairing, ledger, source, target)
        pairing.rules.check(proposed, conn=conn)
        others = other_pairs(pairing, ledger, source.key, target.key, conn=conn)
        _not_being_written(current, source, target)
        same = current is not None and current.manual and current.target_id == target.key
        if (
            same
            and not others
            and (keep_people or (current.entered_by, current.note or "") == (by.actor, note))
        ):
            return MatchResult(source, target, stored=False)
        people = [o for o in others if o.xref.manual and o.xref.entered_by != by.actor]
        if keep_people and people:
            raise MatchRefused(
                f"{source.label} = {target.label} not stored: "
                + "; ".join(o.description for o in people)
                + " (a person's match wins over the file: `ml-connector xref delete` it to use this row)"
            )
        if others and not replace:
            raise MatchRefused(
                f"{source.label} = {target.label} not stored: "
                + "; ".join(o.description for o in others)
                + ". Add --replace to replace that pair with this match"
                + (pairing.rules.replace_hint(proposed, others) or ".")
            )
        because = f"{source.label} matched by hand with {target.label}, entered by {by.actor}"
        more = pairing.rules.before_replacing(proposed, others, systems) if others else {}
        replaced = []
        for other in others:
            x = other.xref
            description = f"{other.description}; {more[x.id]}" if x.id in more else other.description
            if _is_own(pairing, x, source.key):
                replaced.append(description)  # re-pointed by the override below
                continue
            if ledger.unmatch_xref(*_xref_key(x), only_manual=False, conn=conn):
                replaced.append(description)
                forgotten = (
                    f"pair forgotten ({description}): replaced by the manual match of {source.label} with "
                    f"{target.label}, entered by {by.actor}"
                )
                _audited(ledger, x, forgotten, run_id=run_id, conn=conn)
        try:
            match = ledger.set_manual_override(
                i, pairing.entity, s, source.key, t, target.key, entered_by=by.actor, note=note, conn=conn
            )
        except XrefConflict as exc:  # another writer paired the target meanwhile
            raise MatchRefused(f"{source.label} = {target.label} not stored: {exc}") from None
        detail = _detail(pairing, source, target, by, note, replaced)
        reason = f"{because} ({note})" + (f"; replaces: {'; '.join(replaced)}" if replaced else "")
        _audited(ledger, match, reason, run_id=run_id, detail=detail, conn=conn)
        ledger.note_match(
            "match",
            by=by,
            integration=i,
            flow=FLOW,
            source_key=source.key,
            note=note,
            detail=detail,
            conn=conn,
        )
        released = 0
        for key in pairing.dependencies(source.key, target.key):
            freed = release_waiting(
                ledger, key, reason=f"released: {because}; due for replay", run_id=run_id, conn=conn
            )
            released += len(freed)
        answered = pairing.rules.answered(proposed, because, run_id=run_id, conn=conn)
    return MatchResult(source, target, True, tuple(replaced), released, answered)


def delete_match(pairing: ManualPairing, ledger: Ledger, source: str, *, by: Operator, note: str) -> Xref:
    """Forget the manual match of the source record ``source`` (as typed): the flows pair the record again on
    their next run. Refused without a note, or when the record has no manual match (a pair a flow made is
    not one and is left alone). The match as it was."""
    key = pairing.key_of(SOURCE, source)
    if not note or not note.strip():
        raise MatchRefused(f"{pairing.source.words} {key}: say why the match is deleted (a note)")
    i, s, t = pairing.integration, pairing.source.system, pairing.target.system
    with ledger.transaction() as conn:
        current = ledger.get_xref(i, pairing.entity, s, key, t, conn=conn)
        if current is None or not current.manual or not current.target_id:
            raise MatchRefused(f"{pairing.source.words} {key} has no manual match ({pairing.name}) to delete")
        before = ledger.unmatch_xref(*_xref_key(current), conn=conn)
        if before is None:
            raise MatchRefused(f"{current.label}: the manual match changed meanwhile; look again (xref list)")
        said = (
            f"manual match {pairing.source.words} {key} = {pairing.target.words} {before.target_id} "
            f"(entered by {before.entered_by}) deleted by {by.actor}: {note.strip()}; the flows pair the "
            "record again"
        )
        _audited(ledger, before, said, conn=conn)
        detail = {
            "pairing": pairing.name,
            "source_system": s,
            "target_system": t,
            "target_id": before.target_id,
            "entered_by": before.entered_by,
            "match_note": before.note,
        }
        ledger.note_match(
            "unmatch", by=by, integration=i, flow=FLOW, source_key=key, note=note, detail=detail, conn=conn
        )
    return before


def manual_matches(pairing: ManualPairing, ledger: Ledger) -> list[Xref]:
    """The pairing's manual matches (who entered each, when, why), by source key."""
    return [
        x
        for x in ledger.manual_matches(pairing.integration, pairing.entity)
        if (x.source_system, x.target_system) == (pairing.source.system, pairing.target.system)
    ]


def _not_being_written(current: Xref | None, source: Found, target: Found) -> None:
    """``MatchRefused`` while a flow's write step holds the record's lease to create it in the target: the
    match would race the create (a second record there, then a conflict); the write takes seconds."""
    if current is None or current.target_id or current.lease_expires_at is None:
        return
    if current.lease_expires_at > datetime.now(UTC):
        raise MatchRefused(
            f"{source.label} = {target.label} not stored: {current.lease_owner} is writing {source.label} "
            f"right now (until {current.lease_expires_at:%H:%M:%S} UTC at the latest); enter the match again "
            "once it is done (the write may pair the two by itself)"
        )


def _detail(
    pairing: ManualPairing, source: Found, target: Found, by: Operator, note: str, replaced: list[str]
) -> dict[str, object]:
    """What the audit event and the operator action keep of a match besides who and why."""
    return {
        "pairing": pairing.name,
        "entered_by": by.actor,
        "role": by.role,
        "note": note,
        "source_system": pairing.source.system,
        "source": source.label,
        "target_system": pairing.target.system,
        "target_id": target.key,
        "target": target.label,
        **{f"source_{k}": v for k, v in source.detail.items()},
        **{f"target_{k}": v for k, v in target.detail.items()},
        **({"replaced": replaced} if replaced else {}),
    }


def _xref_key(xref: Xref) -> tuple[str, str, str, str, str]:
    """(integration, entity, source system, source key, target system): how the ledger names an xref."""
    return xref.integration, xref.entity, xref.source_system, xref.source_key, xref.target_system


def _audited(
    ledger: Ledger,
    xref: Xref,
    reason: str,
    *,
    run_id: str | None = None,
    detail: Mapping[str, object] | None = None,
    conn: Connection,
) -> None:
    """An ``update`` audit event of flow ``manual_matches`` about cross-reference ``xref``."""
    ledger.audit(
        integration=xref.integration,
        flow=FLOW,
        action="update",
        entity=xref.entity,
        source_system=xref.source_system,
        source_id=xref.source_key,
        target_system=xref.target_system,
        target_id=xref.target_id,
        run_id=run_id,
        reason=reason,
        detail=detail,
        conn=conn,
    )
