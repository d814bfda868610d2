"""Matching two records by hand, declared: for every pairing a flow makes by natural key.

Each integration declares its pairings as data (``ManualPairing``) in its own ``manual_pairs`` module, with
a ``PairingRules`` for what differs beyond data. Why a person matches: docs/operations.md, "Matching records
by hand".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from connector_resources.ledger import Ledger, Xref, dependency_key

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

    def check(self, match: Proposed, *, conn: Connection) -> None:
        """What else refuses the match (``MatchRefused``), whatever ``replace`` says."""

    def named_in(self, pairing: ManualPairing, item: object) -> tuple[str, str] | None:
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

    def answered(self, match: Proposed, because: str, *, run_id: str | None, conn: Connection) -> int:
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

    def waited_for(self, item: object) -> tuple[str, str] | None:
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


def due_now(
    ledger: Ledger, items: Sequence[Any], reason: str, *, run_id: str | None, conn: Connection
) -> int:
    """Failed queue items a match answers made due now (not after their backoff), each with a ``release``
    audit event saying why; how many (one no longer failed is left alone)."""
    done = 0
    for item in items:
        after = ledger.due_now(item.id, reason=reason, conn=conn)
        if after is not None:
            ledger.audit_item(after, "release", reason, run_id=run_id, conn=conn)
            done += 1
    return done
