"""Matching two records by hand, for every pairing a flow makes by natural key (a JDE supplier and the
Coupa supplier it already is under another name, a Procore vendor and the JDE address book entry it is).

A flow pairs records by what they share (a number, a tax id, a name); when the two systems were set up by
different people nothing is shared, and the flow would create a duplicate or hold the records that need
the pair. A person then says "these two are one". Each integration declares its pairings as data
(``ManualPairing``: the cross-reference that holds the pair, both systems, how a record is read in each by
the id a person types, the words that name it) in its own ``manual_pairs`` module; this module is the one
path every surface goes through (``ml-connector xref``, the desk's match page, a matches file), so each
match is checked, stored, audited and followed up the same way:

* both records are read in their systems first: one that does not exist is refused, naming it, and nothing
  is stored, so a typo never becomes a pair;
* a different pair of either record (made by a flow or by hand, in the pairing's cross-reference or in the
  one of the flow going the other way, ``ManualPairing.mirror``) is refused, naming it, unless the person
  says to replace it; replacing forgets that pair (``Ledger.unmatch_xref``), audited;
* the match is the pairing's cross-reference marked manual (``Ledger.set_manual_override``), which no flow
  overwrites: the flow updates the record it names instead of creating another;
* one transaction writes it, its ``update`` audit event (flow ``manual_matches``), the operator action
  (``match``, who, role, why), and releases the records held for want of the pair (``Waiting``), so none
  is kept without the others;
* deleting one is the same, the other way (``unmatch``): the flows pair the record again on their next run.

What differs between pairings beyond data (Procurify's rule that a flow's vendor never stays a second
active vendor, answering the queue items a match resolves) is a ``PairingRules`` the pairing names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connector_resources.ledger import Ledger, Xref, XrefConflict, dependency_key
from connector_resources.ledger.operator_actions import Operator
from connector_resources.replay import release_waiting

FLOW = "manual_matches"  # the audit trail's flow name for every manual match change
SOURCE, TARGET = "source", "target"


class MatchRefused(Exception):
    """A manual match that was not stored (or deleted), with why in an operator's words; nothing changed."""


@dataclass(frozen=True, slots=True)
class Found:
    """A record read in its system: ``key`` as the ledger keys it, ``label`` as a person recognises it
    (``JDE supplier 4343 (Acme Ltd)``), ``detail`` kept with the audit event, ``record`` what the reader
    made of it (for a pairing's own rules)."""

    key: str
    label: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    record: Any = None


class Systems:
    """The systems' resources for one match and the sessions opened on them, each opened on first use and
    all closed together (``with``). Given open ``sessions`` (a job's), those are used and left open."""

    def __init__(self, resources: Mapping[str, Any] | None = None, sessions: Mapping[str, Any] | None = None):
        self._resources = dict(resources or {})
        self._sessions = dict(sessions or {})
        self._stack = ExitStack()

    def resource(self, name: str) -> Any:
        """The resource ``name`` (``jde``, ``coupa`` ...); ``KeyError`` naming the known ones."""
        if name not in self._resources:
            raise KeyError(f"no {name} resource for this match; known: {sorted(self._resources)}")
        return self._resources[name]

    def session(self, name: str) -> Any:
        """A session of resource ``name``, opened once."""
        if name not in self._sessions:
            self._sessions[name] = self._stack.enter_context(self.resource(name).session())
        return self._sessions[name]

    def read(self, name: str, entity: str, key: str, missing: type[Exception], refused: str) -> Any:
        """Record ``key`` of ``entity`` as system ``name`` holds it; ``MatchRefused`` saying ``refused`` when
        the system answers it has none (its ``missing`` error)."""
        try:
            return self.session(name).get(entity, key)
        except missing:
            raise MatchRefused(refused) from None

    def __enter__(self) -> Systems:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


Finder = Callable[[Systems, Ledger, str], Found]


def _stripped(typed: str) -> str:
    key = str(typed).strip()
    if not key:
        raise ValueError("no id given")
    return key


def number_key(typed: str) -> str:
    """A numeric id as the ledger keys it (digits, no padding); ``ValueError`` when it is not a number."""
    text = str(typed).strip()
    if not text.isdigit():
        raise ValueError("not a number")
    return str(int(text))


@dataclass(frozen=True)
class Side:
    """One side of a pairing: ``system`` as the ledger names it, ``words`` naming its records
    (``JDE supplier``), the ``resource`` that reads them (``jde``), what a person types (``typed``: ``its
    address number (AN8)``), ``key`` turning that into the ledger's key (``ValueError`` saying why it cannot
    be one) and ``find`` reading the record by that key (``MatchRefused`` naming it when there is none)."""

    system: str
    words: str
    resource: str
    typed: str
    find: Finder
    key: Callable[[str], str] = _stripped


@dataclass(frozen=True)
class Waiting:
    """Records held on ``<integration>:<entity>:<system>:<key of the side>`` wait for this pair: a match
    releases them (``Mapped.depends_on``, ``connector_resources.ledger.dependency_key``)."""

    entity: str
    system: str
    side: str = SOURCE


@dataclass(frozen=True, slots=True)
class OtherPair:
    """A pair of one of the two records with a third record: what a new match would conflict with.
    ``of_source``: the source record's pair (else the target's); ``partner``: the third record's key."""

    xref: Xref
    of_source: bool
    partner: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What ``set_match`` did: ``stored`` (new or changed; else the same match was there already), the pairs
    it replaced (described), how many held records it released and queue items it answered."""

    source: Found
    target: Found
    stored: bool
    replaced: tuple[str, ...] = ()
    released: int = 0
    answered: int = 0


@dataclass(frozen=True, slots=True)
class Proposed:
    """A match being stored, as ``PairingRules`` sees it: its pairing, the ledger, both records as read."""

    pairing: ManualPairing
    ledger: Ledger
    source: Found
    target: Found


class PairingRules:
    """What a pairing adds to the kit's checks (none by default). Each method runs inside the match's
    transaction; ``conn`` is it."""

    def check(self, match: Proposed, *, conn: Any) -> None:
        """What else refuses the match (``MatchRefused``), whatever ``replace`` says."""

    def named_in(self, pairing: ManualPairing, item: Any) -> tuple[str, str] | None:
        """(side, key) of the record a queue item that names no dependency lacks a pair for, read from
        what the item says (the desk's "match by hand" link); None when it is not one."""
        return None

    def replace_hint(self, match: Proposed, others: list[OtherPair]) -> str:
        """More words for the refusal that asks for ``--replace`` ("" for none)."""
        return ""

    def before_replacing(self, match: Proposed, others: list[OtherPair], systems: Systems) -> dict[int, str]:
        """Checks before ``others`` are replaced (``MatchRefused`` to refuse), and what to add to the
        description of some of them (by xref id)."""
        return {}

    def answered(self, match: Proposed, because: str, *, run_id: str | None, conn: Any) -> int:
        """Queue items the new match answers besides the held ones (``because``: the match in words),
        resolved or made due; how many."""
        return 0


@dataclass(frozen=True)
class ManualPairing:
    """A pairing a flow makes by natural key, declared for matching by hand.

    ``entity``: the cross-reference that holds the pair (source ``source.system`` -> target
    ``target.system``), the one the flow writes or reads; ``mirror``: the entity of the flow going the other
    way between the same records, whose pairs count too (None when there is none); ``about``: why a person
    matches these by hand, in a sentence; ``flow_words``: how a pair a flow made is described, by entity
    (``{"supplier": "suppliers flow (supplier number, tax id or name)"}``); ``waiting``: what records held
    for want of the pair name; ``rules``: what the pairing adds to the kit's checks."""

    integration: str
    entity: str
    source: Side
    target: Side
    about: str
    flow_words: Mapping[str, str] = field(default_factory=dict)
    mirror: str | None = None
    waiting: tuple[Waiting, ...] = ()
    rules: PairingRules = field(default_factory=PairingRules)

    @property
    def name(self) -> str:
        """``<integration>/<entity>``: how the CLI and the desk name the pairing."""
        return f"{self.integration}/{self.entity}"

    @property
    def words(self) -> str:
        return f"{self.source.words} = {self.target.words}"

    @property
    def resources(self) -> tuple[str, ...]:
        """The resources both records are read with."""
        return tuple(dict.fromkeys((self.source.resource, self.target.resource)))

    def waits(self) -> tuple[Waiting, ...]:
        """What held records name: ``waiting``, else the pairing's own cross-reference's source."""
        return self.waiting or (Waiting(self.entity, self.source.system, SOURCE),)

    def dependencies(self, source_key: str, target_key: str) -> list[str]:
        """The dependency keys records held for want of this pair name."""
        keys = {SOURCE: source_key, TARGET: target_key}
        return [dependency_key(self.integration, w.entity, w.system, keys[w.side]) for w in self.waits()]

    def waited_for(self, item: Any) -> tuple[str, str] | None:
        """(side, key) of the record a queue item waits for when this pairing would answer it: held on
        its dependency (``depends_on``), or refused for want of the pair (``PairingRules.named_in``); the
        desk's "match by hand" link. None otherwise."""
        parts = (getattr(item, "depends_on", None) or "").split(":", 3)
        if len(parts) == 4 and parts[0] == self.integration and parts[3]:
            for w in self.waits():
                if (parts[1], parts[2]) == (w.entity, w.system):
                    return w.side, parts[3]
        if getattr(item, "integration", None) != self.integration:
            return None
        return self.rules.named_in(self, item)

    def side(self, which: str) -> Side:
        return self.source if which == SOURCE else self.target

    def key_of(self, which: str, typed: str) -> str:
        """What a person typed for side ``which`` as the ledger keys it; ``MatchRefused`` saying why not."""
        side = self.side(which)
        try:
            return side.key(typed)
        except ValueError as exc:
            raise MatchRefused(f"{side.words} {typed!r}: {exc} (type {side.typed})") from None

    def how(self, xref: Xref) -> str:
        """How a pair was made, in words: by whom and why when by hand, else by which flow."""
        if xref.manual:
            when = f"{xref.updated_at:%Y-%m-%d %H:%M} UTC"
            note = f": {xref.note}" if xref.note else ""
            return f"matched by hand by {xref.entered_by} on {when}{note}"
        return f"paired by the {self.flow_words.get(xref.entity) or f'{xref.entity} flow'}"


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
    pairing: ManualPairing, ledger: Ledger, source_key: str, target_key: str, *, conn: Any = None
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
    """Store ``source`` = ``target`` (both read in their systems: ``find_both``) as a manual match entered
    by ``by`` with ``note`` (why), in one transaction with its audit event, the operator action and the
    release of the records held for want of it.

    The same match already there (same person and note, or any with ``keep_people``) changes nothing.
    A different pair of either record is refused naming it unless ``replace``; ``keep_people`` (a matches
    file) never replaces a person's match (one entered by someone other than ``by``), whatever ``replace``
    says: a person's match is the more deliberate word. ``MatchRefused`` says why nothing was stored."""
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
            ledger.set_manual_override(
                i, pairing.entity, s, source.key, t, target.key, entered_by=by.actor, note=note, conn=conn
            )
        except XrefConflict as exc:  # another writer paired the target meanwhile
            raise MatchRefused(f"{source.label} = {target.label} not stored: {exc}") from None
        detail = _detail(pairing, source, target, by, note, replaced)
        ledger.audit(
            integration=i,
            flow=FLOW,
            action="update",
            entity=pairing.entity,
            source_system=s,
            source_id=source.key,
            target_system=t,
            target_id=target.key,
            run_id=run_id,
            reason=f"{because} ({note})" + (f"; replaces: {'; '.join(replaced)}" if replaced else ""),
            detail=detail,
            conn=conn,
        )
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


def due_now(ledger: Ledger, items: Sequence[Any], reason: str, *, run_id: str | None, conn: Any) -> int:
    """Failed queue items a match answers made due now (not after their backoff), each with a ``release``
    audit event saying why; how many (one no longer failed is left alone)."""
    done = 0
    for item in items:
        after = ledger.due_now(item.id, reason=reason, conn=conn)
        if after is not None:
            ledger.audit_item(after, "release", reason, run_id=run_id, conn=conn)
            done += 1
    return done


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
) -> dict[str, Any]:
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


def _audited(ledger: Ledger, xref: Xref, reason: str, *, run_id: str | None = None, conn: Any) -> None:
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
        conn=conn,
    )
