"""Which records others are held on will never be written, and why (``gone_parents``).

The ledger's side of ``held_parents`` (read its docstring for the whole story): a parent cannot come when
its flow skipped it for good (a ``never_written`` mark on its latest audit event), its target refused it
for good, a person abandoned it, it is such a child itself (a chain), or its flow's own check says it never
sends it (``ParentCheck``, handed over in a deployment's ``Replays.parents``). Kept apart from the sweeps
that refuse or skip the children, so each module reads on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import Ledger, QueueItem, schema
from connector_resources.ledger.audit import detail_mark
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, refused

NEVER_WRITTEN = "never_written"  # audit detail key of a skip: why the record will never be written
# A queue item the target refused for good: set by the write step, ``flows.writer``
REFUSED_FOR_GOOD = "refused_for_good"
PARENT_GONE = "parent_cannot_come"  # the payload mark of a child refused for its parent: the parent's key

EXPORTED_ELSEWHERE = "exported_elsewhere"
REFUSED = "refused"
ABANDONED = "abandoned"
CHAINED = "parent_cannot_come"
NOT_SENT = "not_sent"  # its flow's check says it never sends it (``Replay.parents``)

_CHUNK = 500

_CAUSES = {
    EXPORTED_ELSEWHERE: "exported by another process",
    REFUSED: "refused for good",
    ABANDONED: "abandoned",
    CHAINED: "its own parent cannot come",
    NOT_SENT: "its flow never sends it",
}
_ADVICE = {
    REFUSED: "Fix that record and replay it: this one follows as soon as it syncs",
    ABANDONED: "If that record should be written after all, run its flow for it again; otherwise settle "
    "this one by hand and abandon this item",
    CHAINED: "Settle that record first: this one follows as soon as it syncs",
    NOT_SENT: "Once that is done, replay this item",
}
_SETTLE_BY_HAND = "Record this one by hand where that record is, then abandon this item"


@dataclass(frozen=True)
class GoneParent:
    """A record others are held on that will not be written (``cause``), and why in a finance user's words."""

    key: str  # its dependency key, ``integration:entity:system:source_key``
    cause: str  # EXPORTED_ELSEWHERE, REFUSED, ABANDONED, CHAINED, or a flow's own skip mark
    why: str

    @property
    def cause_text(self) -> str:
        return _CAUSES.get(self.cause, self.cause.replace("_", " "))

    @property
    def taken_elsewhere(self) -> bool:
        """Another process took it: what is held on it went there too, and is skipped, not refused."""
        return self.cause == EXPORTED_ELSEWHERE

    def skip_words(self, entity: str, source_key: str) -> str:
        """Why record ``source_key`` (an ``entity``) of this parent another process took is closed."""
        return (
            f"skipped: {entity} {source_key} belongs to {self.key}, which another process took "
            f"({self.cause_text}: {self.why}); it is recorded there, not by this integration"
        )

    def refusal_words(self, entity: str, source_key: str) -> str:
        """Why record ``source_key`` (an ``entity``) waiting for this parent is refused, and what to do."""
        advice = _ADVICE.get(self.cause, _SETTLE_BY_HAND)
        return (
            f"refused: {entity} {source_key} waits for {self.key}, which will not be written "
            f"({self.cause_text}: {self.why}). {advice}"
        )

    def refusal(self, entity: str, source_key: str) -> Refusal:
        """``refusal_words`` as data: the flow's rule "waits for a record <cause>" (one group per cause,
        whichever parent), naming the parent it waits for."""
        words = redact(self.refusal_words(entity, source_key))
        found = refused(words, rule=f"waits for a record {self.cause_text}")
        return Refusal(found.kind, words, {**found.params, "waits_for": self.key})


# -- which parents cannot come ----------------------------------------------------------------------------

Kind = tuple[str, str, str]  # integration, entity, source system: the first three parts of a dependency key
# A flow's word on records of its kind the ledger cannot judge: (ledger, source keys) -> {source key: why it
# will never be written, in words saying what a person can do}. Keys it cannot tell about are left out.
ParentCheck = Callable[[Ledger, list[str]], Mapping[str, str]]


def gone_parents(
    ledger: Ledger,
    keys: Iterable[str],
    *,
    conn: sa.Connection | None = None,
    checks: Mapping[Kind, ParentCheck],
) -> dict[str, GoneParent]:
    """The dependency keys among ``keys`` whose record will not be written, and why (module docstring).
    A few grouped queries per kind of record, whatever the number of keys; then, outside the transaction,
    each kind's check (``checks``: the flows' own word, a deployment's ``Replays.parents``) about the keys
    still undecided."""
    wanted: dict[Kind, dict[str, str]] = {}
    for key in set(keys):
        parts = key.split(":", 3)
        if len(parts) == 4 and all(parts):
            wanted.setdefault((parts[0], parts[1], parts[2]), {})[parts[3]] = key
    gone: dict[str, GoneParent] = {}
    undecided: dict[Kind, list[str]] = {}
    with ledger.read_transaction(conn) as c:
        synced = ledger.synced_dependencies({k for by in wanted.values() for k in by.values()}, conn=c)
        for (integration, entity, system), by_source in wanted.items():
            sources = sorted(s for s, key in by_source.items() if key not in synced)
            for start in range(0, len(sources), _CHUNK):
                chunk = sources[start : start + _CHUNK]
                events = _last_events(c, integration, entity, system, chunk)
                items = _items_of(c, integration, entity, chunk)
                for source in chunk:
                    found = _verdict(by_source[source], events.get(source), items.get(source, []))
                    if found is not None:
                        gone[found.key] = found
                    elif not any(i.status in schema.QUEUE_OPEN_STATUSES for i in items.get(source, [])):
                        undecided.setdefault((integration, entity, system), []).append(source)
    for kind, sources in undecided.items():
        check = checks.get(kind)
        for source, why in (check(ledger, sources) if check is not None else {}).items():
            key = wanted[kind][source]
            gone[key] = GoneParent(key, NOT_SENT, why)
    return gone


def _verdict(key: str, last_event: Any, items: list[QueueItem]) -> GoneParent | None:
    """Whether the record ``key`` can still come, from its flow's latest audit event and its queue items."""
    mark = (
        never_written_mark(last_event.detail)
        if last_event is not None and last_event.action == "skip"
        else None
    )
    if mark:
        return GoneParent(key, mark, last_event.reason)
    open_items = [i for i in items if i.status in schema.QUEUE_OPEN_STATUSES]
    if any(i.status == "held" for i in open_items):
        return None  # it waits itself, for something that can come
    if open_items:
        item = open_items[-1]
        if item.payload.get(REFUSED_FOR_GOOD):
            return GoneParent(key, REFUSED, item.reason)
        if item.payload.get(PARENT_GONE):
            waits = f"it waits for {item.payload[PARENT_GONE]}, which will not be written"
            return GoneParent(key, CHAINED, waits)
        return None  # failed for a reason a replay may get past (an outage, a mapping fixed meanwhile)
    if items and items[-1].status == "abandoned":
        return GoneParent(key, ABANDONED, items[-1].reason)
    return None


def never_written_mark(detail: str | None) -> str | None:
    """The ``never_written`` cause an audit event's ``detail`` carries (a flow's skip for good), if any."""
    return detail_mark(detail, NEVER_WRITTEN)


def _last_events(
    c: sa.Connection, integration: str, entity: str, system: str, sources: list[str]
) -> dict[str, Any]:
    """Source key -> the latest audit event its flow wrote (a replay's events name no source system: a
    replay failing again does not undo what the flow saw)."""
    a = schema.audit_event
    latest = (
        sa.select(sa.func.max(a.c.id))
        .where(
            a.c.integration == integration,
            a.c.entity == entity,
            a.c.source_system == system,
            a.c.source_id.in_(sources),
        )
        .group_by(a.c.source_id)
    )
    query = sa.select(a.c.source_id, a.c.action, a.c.detail, a.c.reason).where(a.c.id.in_(latest))
    return {row.source_id: row for row in c.execute(query)}


def _items_of(
    c: sa.Connection, integration: str, entity: str, sources: list[str]
) -> dict[str, list[QueueItem]]:
    """Source key -> its queue items (open and closed), oldest first."""
    q = schema.retry_queue
    query = (
        sa.select(q)
        .where(q.c.integration == integration, q.c.entity == entity, q.c.source_key.in_(sources))
        .order_by(q.c.id)
    )
    found: dict[str, list[QueueItem]] = {}
    for row in c.execute(query):
        found.setdefault(row.source_key, []).append(Ledger.queue_item(row))
    return found
