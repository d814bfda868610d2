"""The retry queue as the exceptions desk browses it: counts by integration, flow and state, and one page of
items at a time, filtered and searched in SQL.

Why its own module: the flows and replays read the queue by what is due; a person reads it by where and
what (an integration, a flow, a state, an id from any system, a phrase of the reason), a page at a time,
over a queue that may hold 100,000 items, so every filter is a WHERE clause on an indexed column and a page
is keyset-paged by id, never an OFFSET over the whole queue. A search is an id first (index look-ups of the
queue, the cross-references and the audit trail), words of the reason only when no record has that id.

States as a clerk says them: ``failed`` (refused, not due yet), ``due`` (awaiting replay: failed and its
next attempt has come), ``held`` (waiting for another record or a period), ``resolved``, ``abandoned``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import LedgerInputError, QueueItem, _now

__all__ = ["DESK_STATES", "QueueBrowseStore", "QueueFilter", "QueuePage"]

DESK_STATES = ("due", "failed", "held", "resolved", "abandoned")


@dataclass(frozen=True)
class QueueFilter:
    """What a page shows: each field narrows it; blank fields do not. ``search`` is an id in any system
    (a source key, a target id the ledger cross-references, an id the audit trail names) or a phrase of
    the reason."""

    integration: str = ""
    flow: str = ""
    state: str = ""
    search: str = ""
    day: str = ""  # the records a flow met on that day (its partition), as the audit trail keeps them
    kind: str = ""  # the kind of refusal (``QueueItem.kind``): one cause, many records

    def __post_init__(self) -> None:
        if self.state and self.state not in DESK_STATES:
            raise LedgerInputError(
                f"queue filter: field 'state' is {self.state!r}; expected one of {DESK_STATES}"
            )


@dataclass(frozen=True)
class QueuePage:
    """One page of items, newest first, and the id to continue after (None on the last page)."""

    items: list[QueueItem]
    next_before: int | None


class QueueBrowseStore(LedgerBase):
    """The desk's reads of the retry queue (a mixin of ``Ledger``)."""

    def queue_counts(self) -> list[tuple[str, str, str, int]]:
        """``(integration, flow, state, count)`` for every combination that has items: counts by status read
        from an index, then the failed items already due (another index) moved from ``failed`` to ``due``."""
        t, now = schema.retry_queue, _now()
        by_status = sa.select(t.c.integration, t.c.flow, t.c.status, sa.func.count()).group_by(
            t.c.integration, t.c.flow, t.c.status
        )
        due = (
            sa.select(t.c.integration, t.c.flow, sa.func.count())
            .where(t.c.status == "failed", t.c.next_attempt_at <= now)
            .group_by(t.c.integration, t.c.flow)
        )
        with self._read(None) as conn:
            counts = {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(by_status)}
            for integration, flow, n in conn.execute(due):
                counts[(integration, flow, "failed")] -= int(n)
                counts[(integration, flow, "due")] = int(n)
        return sorted((i, f, state, n) for (i, f, state), n in counts.items() if n)

    def kind_counts(self, where: QueueFilter, *, most: int = 25) -> list[tuple[str, int]]:
        """The kinds of refusal among the items ``where`` shows (its own kind aside), most items first: what a
        clerk fixes once for many records. Items queued without a kind are left out."""
        t = schema.retry_queue
        others = replace(where, kind="")
        count = sa.func.count().label("n")
        query = (
            sa.select(t.c.kind, count)
            .where(t.c.kind.is_not(None), *self._conditions(others))
            .group_by(t.c.kind)
            .order_by(count.desc(), t.c.kind)
            .limit(most)
        )
        with self._read(None) as conn:
            return [(str(kind), int(n)) for kind, n in conn.execute(query)]

    def queue_page(self, where: QueueFilter, *, before: int | None = None, limit: int = 50) -> QueuePage:
        """Items matching ``where``, newest first, ``limit`` of them with ids below ``before``."""
        t = schema.retry_queue
        query = sa.select(t).where(*self._conditions(where))
        if before is not None:
            query = query.where(t.c.id < before)
        query = query.order_by(t.c.id.desc()).limit(limit + 1)
        with self._read(None) as conn:
            rows = conn.execute(query).all()
        items = [self.queue_item(row) for row in rows[:limit]]
        return QueuePage(items, items[-1].id if len(rows) > limit else None)

    def queue_item_by_id(self, item_id: int) -> QueueItem | None:
        t = schema.retry_queue
        with self._read(None) as conn:
            row = conn.execute(sa.select(t).where(t.c.id == item_id)).first()
        return self.queue_item(row) if row else None

    def _conditions(self, where: QueueFilter) -> list[Any]:
        """The WHERE clauses of ``where`` (see ``QueueFilter``)."""
        t, now = schema.retry_queue, _now()
        conditions: list[Any] = []
        if where.integration:
            conditions.append(t.c.integration == where.integration)
        if where.flow:
            conditions.append(t.c.flow == where.flow)
        if where.state == "due":
            conditions += [t.c.status == "failed", t.c.next_attempt_at <= now]
        elif where.state == "failed":
            conditions += [
                t.c.status == "failed",
                sa.or_(t.c.next_attempt_at > now, t.c.next_attempt_at.is_(None)),
            ]
        elif where.state:
            conditions.append(t.c.status == where.state)
        if where.kind:
            conditions.append(t.c.kind == where.kind)
        if where.day:
            a = schema.audit_event
            met = sa.select(a.c.source_id).where(a.c.partition_key == where.day)
            if where.integration:
                met = met.where(a.c.integration == where.integration)
            if where.flow:
                met = met.where(a.c.flow == where.flow)
            conditions.append(t.c.source_key.in_(met))
        text = where.search.strip()
        if text:
            conditions.append(self._search(text))
        return conditions

    def _search(self, text: str) -> Any:
        """An id in any system finds its records: the item's own key, or the source key of a cross-reference
        or audit event naming ``text`` as its target (each an index look-up); any other text is words of
        the reason (case-insensitive; on PostgreSQL whole words in that order, from an index)."""
        t, x, a = schema.retry_queue, schema.xref, schema.audit_event
        keys = {text}
        with self._read(None) as conn:
            keys.update(conn.scalars(sa.select(x.c.source_key).where(x.c.target_id == text).limit(1000)))
            keys.update(conn.scalars(sa.select(a.c.source_id).where(a.c.target_id == text).limit(1000)))
            keys.discard(None)
            if conn.execute(sa.select(t.c.id).where(t.c.source_key.in_(keys)).limit(1)).first() is not None:
                return t.c.source_key.in_(keys)
        if self._dialect == "postgresql":  # the words in that order, through the reasons' GIN index (0007)
            words = sa.func.to_tsvector(sa.literal_column("'simple'"), t.c.reason)
            return words.op("@@")(sa.func.phraseto_tsquery(sa.literal_column("'simple'"), text))
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return sa.func.lower(t.c.reason).like(f"%{escaped.lower()}%", escape="\\")
