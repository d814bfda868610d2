"""The retry queue as the exceptions desk browses it: counts by integration, flow and state, and one page of
items at a time, filtered and searched in SQL.

Why its own module: the flows and replays read the queue by what is due; a person reads it by where and
what (an integration, a flow, a state, an id from any system, a phrase of the reason), a page at a time,
over a queue that may hold 100,000 items, so every filter is a WHERE clause on an indexed column and a page
is keyset-paged by id, never an OFFSET over the whole queue. A search is an id first (index look-ups of the
queue, the cross-references and the audit trail), words of the reason only when no record has that id.

States as a clerk says them: ``failed`` (refused, not due yet), ``due`` (awaiting replay: failed and its
next attempt has come), ``held`` (waiting for another record or a period), ``resolved``, ``abandoned``.

Views (``QueueFilter.view``) split the open items in two, each in exactly one: ``person`` (needs a person)
and ``flows`` (clears by itself: every other open item), by the one rule of every surface
(``connector_resources.needs_person``) in its SQL form, on the queue's ``kind``, ``created_at`` and
``depends_on`` columns; ``outlived_dependencies`` gives the synced keys the caller passes in,
``ended_close_windows`` the close-window holds whose window ended long ago (timed from its end), and
``blocked_records.blocking_parents`` the keys whose held records are blocked by a person's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connector_resources.cause_sql import CauseScope
from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import LedgerInputError, QueueItem, _now
from connector_resources.needs_person import CLOSE_WINDOW, Outlived, needs_person_sql
from connector_resources.refusals import FLOWS, PERSON

__all__ = ["DESK_STATES", "VIEWS", "QueueBrowseStore", "QueueFilter", "QueuePage"]

DESK_STATES = ("due", "failed", "held", "resolved", "abandoned")
VIEWS = (PERSON, FLOWS)  # needs a person; clears by itself (``refusals``: who acts)


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
    view: str = ""  # "person" or "flows": the open items that need a person, or clear by themselves
    wait_hours: float = 0.0  # a wait queued longer than this needs a person (0: age alone never does)
    outlived: frozenset[str] = field(default_factory=frozenset)  # synced keys held items still wait for
    ended: frozenset[int] = field(default_factory=frozenset)  # items held for a close window long ended
    # keys whose record needs a person (``blocked_records``): the items held on them are a person's, under it
    blocked: frozenset[str] = field(default_factory=frozenset)
    # what the exceptions hold (``exception_causes``): shown under their exception, not as rows of their own
    folded: CauseScope | None = None

    def __post_init__(self) -> None:
        if self.state and self.state not in DESK_STATES:
            raise LedgerInputError(
                f"queue filter: field 'state' is {self.state!r}; expected one of {DESK_STATES}"
            )
        if self.view and self.view not in VIEWS:
            raise LedgerInputError(f"queue filter: field 'view' is {self.view!r}; expected one of {VIEWS}")


@dataclass(frozen=True)
class QueuePage:
    """One page of items, newest first, and the id to continue after (None on the last page)."""

    items: list[QueueItem]
    next_before: int | None


class QueueBrowseStore(LedgerBase):
    """The desk's reads of the retry queue (a mixin of ``Ledger``)."""

    def queue_counts(self, where: QueueFilter | None = None) -> list[tuple[str, str, str, int]]:
        """``(integration, flow, state, count)`` for every combination that has items ``where`` shows (its
        state aside: the counts are by state): counts by status read from an index, then the failed items
        already due (another index) moved from ``failed`` to ``due``."""
        t, now = schema.retry_queue, _now()
        chosen = self._conditions(replace(where, state="")) if where is not None else []
        by_status = (
            sa.select(t.c.integration, t.c.flow, t.c.status, sa.func.count())
            .where(*chosen)
            .group_by(t.c.integration, t.c.flow, t.c.status)
        )
        due = (
            sa.select(t.c.integration, t.c.flow, sa.func.count())
            .where(t.c.status == "failed", t.c.next_attempt_at <= now, *chosen)
            .group_by(t.c.integration, t.c.flow)
        )
        with self._read(None) as conn:
            counts = {(r[0], r[1], r[2]): int(r[3]) for r in conn.execute(by_status)}
            for integration, flow, n in conn.execute(due):
                counts[(integration, flow, "failed")] = counts.get((integration, flow, "failed"), 0) - int(n)
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

    def view_counts(self, where: QueueFilter) -> dict[str, int]:
        """How many open items ``where`` shows (its view aside, and its folded items counted) are in each
        view (``VIEWS``)."""
        t = schema.retry_queue
        counts = {}
        with self._read(None) as conn:
            for view in VIEWS:
                query = (
                    sa.select(sa.func.count())
                    .select_from(t)
                    .where(*self._conditions(replace(where, view=view, folded=None)))
                )
                counts[view] = int(conn.execute(query).scalar_one())
        return counts

    def held_dependencies(self) -> frozenset[str]:
        """Every key held items wait for (what ``outlived_dependencies`` and ``blocked_records`` judge)."""
        t = schema.retry_queue
        query = sa.select(t.c.depends_on).where(t.c.status == "held", t.c.depends_on.is_not(None)).distinct()
        with self._read(None) as conn:
            return frozenset(str(key) for key in conn.scalars(query))

    def outlived_dependencies(self) -> frozenset[str]:
        """The keys held items wait for whose record has synced (``synced_dependencies``): those items
        outlived their wait (the release did not reach them), so they need a person (``QueueFilter``)."""
        keys = self.held_dependencies()
        return self.synced_dependencies(keys) if keys else frozenset()  # type: ignore[attr-defined]

    def ended_close_windows(self, wait_hours: float) -> frozenset[int]:
        """The open items held for a close window that ended more than ``wait_hours`` ago and were not
        released (``refusals.wait_outlived``, which times them from the window's end): a person's."""
        if wait_hours <= 0:
            return frozenset()
        t = schema.retry_queue
        query = sa.select(t).where(t.c.status.in_(schema.QUEUE_OPEN_STATUSES), t.c.kind == CLOSE_WINDOW)
        with self._read(None) as conn:
            items = [self.queue_item(row) for row in conn.execute(query)]  # type: ignore[attr-defined]
        outlived = Outlived(after=timedelta(hours=wait_hours), now=_now())
        return frozenset(i.id for i in items if outlived.why(i))

    def open_dependencies(self, keys: set[str] | frozenset[str]) -> dict[str, QueueItem]:
        """The open item of each record named by ``keys`` (``dependency_key``: integration, entity, system,
        source key) that is itself queued: what a wait that does not clear waits on."""
        t = schema.retry_queue
        wanted: dict[tuple[str, str, str], str] = {}
        for key in keys:
            parts = key.split(":", 3)
            if len(parts) == 4:
                wanted[(parts[0], parts[1], parts[3])] = key
        if not wanted:
            return {}
        query = sa.select(t).where(
            t.c.status.in_(schema.QUEUE_OPEN_STATUSES),
            t.c.source_key.in_(sorted({source for _, _, source in wanted})),
        )
        found: dict[str, QueueItem] = {}
        with self._read(None) as conn:
            for row in conn.execute(query):
                key = wanted.get((row.integration, row.entity, row.source_key))
                if key is not None:
                    found.setdefault(key, self.queue_item(row))  # type: ignore[attr-defined]
        return found

    def queue_stamp(self) -> tuple[Any, ...]:
        """What changes whenever the retry queue or the cross-references change (an item queued, taken,
        released, resolved, abandoned; a record paired or written): a reader of the whole queue (the desk's
        exceptions) reads it again only then. Two aggregates, from indexes where the queue is concerned."""
        t, x = schema.retry_queue, schema.xref
        with self._read(None) as conn:
            queue = conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.id), sa.func.max(t.c.updated_at)))
            xrefs = conn.execute(sa.select(sa.func.count(), sa.func.max(x.c.updated_at)))
            return (*queue.one(), *xrefs.one())

    def cause_ids(self, where: QueueFilter, scope: CauseScope) -> frozenset[int]:
        """The ids of the items ``where`` shows (its folded items too) that the exceptions of ``scope``
        hold: which exceptions a filtered page names, and how many of their records it shows."""
        t = schema.retry_queue
        conditions = self._conditions(replace(where, folded=None))
        with self._read(None) as conn:
            return frozenset(conn.scalars(sa.select(t.c.id).where(scope.sql(t), *conditions)))

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

    def _conditions(self, where: QueueFilter) -> list[sa.ColumnElement[bool]]:
        """The WHERE clauses of ``where`` (see ``QueueFilter``)."""
        t, now = schema.retry_queue, _now()
        conditions: list[sa.ColumnElement[bool]] = []
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
        if where.view:
            conditions += self._view(where, now)
        if where.folded is not None:
            conditions.append(sa.not_(where.folded.sql(t)))
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

    @staticmethod
    def _view(where: QueueFilter, now: datetime) -> list[sa.ColumnElement[bool]]:
        """The open items of ``where.view``: a person's are those ``needs_person_sql`` says (the one rule,
        ``connector_resources.needs_person``), the flows' all the others."""
        t = schema.retry_queue
        person = needs_person_sql(
            t,
            now=now,
            wait_hours=where.wait_hours,
            synced=where.outlived,
            ended=where.ended,
            blocked=where.blocked,
        )
        return [
            t.c.status.in_(schema.QUEUE_OPEN_STATUSES),
            person if where.view == PERSON else sa.not_(person),
        ]

    def _search(self, text: str) -> sa.ColumnElement[bool]:
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
