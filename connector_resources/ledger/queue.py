"""The retry queue: records that failed, or are held until another record syncs.

Enqueueing, listing what is due, counting attempts, resolving or abandoning items, replays taking an
item, and releasing held items when what they wait for has synced. Its own module because it is the
one concern with its own lifecycle (open, held, resolved, abandoned) and its own concurrency (replays).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

import sqlalchemy as sa

from connector_resources.ledger import schema, statements
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import (
    LedgerError,
    LedgerInputError,
    LedgerRecordNotFound,
    QueueItem,
    QueueOverview,
    _aware,
    _dependency_parts,
    _now,
    _optional_text,
    _text,
    _to_json,
)
from connector_resources.redaction import redact
from connector_resources.refusal_actions import timed
from connector_resources.refusals import Refusal, unclassified, waits_for_record

_Columns = TypeVarTuple("_Columns")  # what a query selects, kept by the filters it is given


class QueueStore(LedgerBase):
    """The retry queue (a mixin of ``Ledger``)."""

    def enqueue(
        self,
        *,
        integration: str,
        flow: str,
        entity: str,
        source_key: str,
        payload: Mapping[str, Any],
        reason: str,
        status: str = "failed",
        depends_on: str | None = None,
        next_attempt_at: datetime | None = None,
        run_id: str | None = None,
        refusal: Refusal | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueItem:
        """Put a record on the retry queue, or refresh its open item if it already has one.

        ``refusal``: why, as data (``connector_resources.refusals``): its kind's group, parameters and who
        acts are kept beside the reason. Without one, a hold waits for the record it names and a failure is
        of the flow-rule kind ``refused`` (every caller in the kit passes its own).

        ``failed`` items are due at ``next_attempt_at`` (default: now; never, for a refusal the replay
        sweep's timer does not try again, ``refusal_actions.timed``: a flow's rule or an invalid source
        record is mapped again when the record changes, or replayed by a person). ``held`` items wait for the
        record named by ``depends_on`` (e.g. ``coupa:supplier:JDE:4343``) and only become due when
        ``release_held`` is called with that key. A ``failed`` record is a failed attempt to write it, so
        it counts one (the first failure of a run shows ``attempts=1``, a record failing on every run
        counts up instead of looking new each time); holding a record is waiting, not failing, and keeps
        the count. Re-enqueueing replaces reason, payload, status and schedule with the latest ones. The
        upsert is one statement, so racing runs cannot open two.
        """
        record = f"queue item {integration}/{flow} {source_key}"
        if status not in schema.QUEUE_OPEN_STATUSES:
            raise LedgerInputError(
                f"{record}: field 'status' is {status!r}; enqueue accepts 'failed' or 'held'"
            )
        if status == "held" and not depends_on:
            raise LedgerInputError(f"{record}: field 'depends_on' is required for a held record")
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"{record}: field 'reason' must say why the record is queued")
        now = _now()
        refusal = refusal or default_refusal(reason, status, depends_on)
        if next_attempt_at is not None:
            next_attempt_at = _aware(record, "next_attempt_at", next_attempt_at)
        elif status == "failed" and timed(refusal):
            next_attempt_at = now
        t = schema.retry_queue
        values = {
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "flow": _text(record, "flow", flow, schema.FLOW_LEN),
            "entity": _text(record, "entity", entity, schema.NAME_LEN),
            "source_key": _text(record, "source_key", source_key, schema.KEY_LEN),
            "payload": _to_json(record, "payload", payload),
            "reason": redact(reason),
            **refusal_columns(refusal),
            "status": status,
            "attempts": 1 if status == "failed" else 0,
            "next_attempt_at": next_attempt_at,
            "depends_on": _optional_text(record, "depends_on", depends_on, schema.DEPENDS_ON_LEN),
            "last_run_id": _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN),
            "created_at": now,
            "updated_at": now,
        }
        insert = self._insert(t).values(**values)
        excluded = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=[t.c.integration, t.c.flow, t.c.source_key],
            index_where=sa.text(schema.QUEUE_OPEN_PREDICATE),
            set_={
                "entity": excluded.entity,
                "payload": excluded.payload,
                "reason": excluded.reason,
                "kind": excluded.kind,
                "params": excluded.params,
                "attention": excluded.attention,
                "status": excluded.status,
                "attempts": t.c.attempts + (1 if status == "failed" else 0),
                "next_attempt_at": excluded.next_attempt_at,
                "depends_on": excluded.depends_on,
                "last_run_id": sa.func.coalesce(excluded.last_run_id, t.c.last_run_id),
                "updated_at": excluded.updated_at,
            },
        ).returning(*t.c)
        with self._write(conn) as c:
            row = c.execute(upsert).one()
        return self.queue_item(row)

    def due(
        self,
        *,
        now: datetime | None = None,
        integration: str | None = None,
        flow: str | None = None,
        limit: int = 100,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Failed items whose next attempt is due, longest-waiting first."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        t = schema.retry_queue
        query = sa.select(t).where(t.c.status == "failed", t.c.next_attempt_at <= now)
        query = self.queue_filters(query, integration, flow)
        query = query.order_by(t.c.next_attempt_at, t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def open_items(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        status: str | None = None,
        limit: int = 1000,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Queue items for display: open ones (failed and held) by default, or those with ``status``."""
        if status is not None and status not in schema.QUEUE_STATUSES:
            raise LedgerInputError(
                f"retry queue: field 'status' is {status!r}; "
                f"expected one of {', '.join(schema.QUEUE_STATUSES)}"
            )
        t = schema.retry_queue
        statuses = (status,) if status else schema.QUEUE_OPEN_STATUSES
        query = self.queue_filters(sa.select(t).where(t.c.status.in_(statuses)), integration, flow)
        query = query.order_by(t.c.created_at, t.c.id).limit(limit)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def record_attempt_failure(
        self,
        item_id: int,
        reason: str,
        *,
        retry_in: timedelta,
        run_id: str | None = None,
        refusal: Refusal | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueItem:
        """Count a failed retry of an open item and schedule the next one ``retry_in`` from now (none for
        a refusal the sweep's timer does not try again, as ``enqueue``); ``refusal``: why, as data."""
        record = f"queue item {item_id}"
        if not isinstance(retry_in, timedelta) or retry_in < timedelta(0):
            raise LedgerInputError(
                f"{record}: field 'retry_in' must be a non-negative timedelta, got {retry_in!r}"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"{record}: field 'reason' must say why the attempt failed")
        _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN)
        t = schema.retry_queue
        now = _now()
        refusal = refusal or default_refusal(reason, "failed", None)
        with self._write(conn) as c:
            update = (
                sa.update(t)
                .where(t.c.id == item_id, t.c.status.in_(schema.QUEUE_OPEN_STATUSES))
                .values(
                    attempts=t.c.attempts + 1,
                    next_attempt_at=now + retry_in if timed(refusal) else None,
                    reason=redact(reason),
                    **refusal_columns(refusal),
                    last_run_id=sa.func.coalesce(run_id, t.c.last_run_id),
                    updated_at=now,
                )
                .returning(*t.c)
            )
            row = c.execute(update).first()
            if row is None:
                raise self._not_open(item_id, c)
        return self.queue_item(row)

    def waited_for(self, prefix: str, *, limit: int = 10_000, conn: sa.Connection | None = None) -> list[str]:
        """Dependency keys starting with ``prefix`` that held records wait for, sorted.

        A held purchase order waits for its supplier to sync; when that supplier changed before the
        window a sync reads, nothing would ever sync it. The suppliers flow asks this to fetch them.
        """
        _text("held dependencies", "prefix", prefix, schema.KEY_LEN)
        t = schema.retry_queue
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = (
            sa.select(t.c.depends_on)
            .where(t.c.status == "held", t.c.depends_on.like(f"{escaped}%", escape="\\"))
            .distinct()
            .order_by(t.c.depends_on)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [row[0] for row in c.execute(query)]

    def resolve(self, item_id: int, *, reason: str | None = None, conn: sa.Connection | None = None) -> None:
        """Mark an item done (its record synced). Resolving twice is harmless: replays may overlap.

        ``reason`` (how it was written) replaces the last failure's, so a resolved item does not read
        as if it still failed."""
        t = schema.retry_queue
        now = _now()
        values: dict[str, Any] = {"status": "resolved", "resolved_at": now, "updated_at": now}
        if reason is not None and reason.strip():
            values["reason"] = redact(reason)
        update = sa.update(t).where(t.c.id == item_id, t.c.status != "resolved").values(**values)
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0 and self._queue_status(item_id, c) is None:
                raise LedgerRecordNotFound(f"queue item {item_id} does not exist")

    def take_queue_item(
        self,
        item: QueueItem,
        *,
        hold_for: timedelta,
        owner: str | None = None,
        conn: sa.Connection | None = None,
    ) -> bool:
        """Take ``item`` for one replay: True if this caller has it now, False if another replay (or a run)
        changed it since it was read (took, resolved or failed it again), so this caller leaves it alone.

        One conditional UPDATE on the ``updated_at`` the caller read decides between concurrent replays;
        it also moves the item's next attempt ``hold_for`` ahead, so a replay that lists due items later
        does not pick it. With ``owner`` (the replay's id) the take is recorded with this process as its
        holder: a replay killed holding it leaves it due again as soon as its process is known to have
        ended (``release_dead_takes``), not only after ``hold_for``; and while the take is in force, no
        other replay takes the item, even one that replays items not yet due.
        """
        t, k = schema.retry_queue, schema.queue_take
        now = _now()
        until = now + hold_for
        # Another replay's take still in force (its hold is still the item's next attempt: it has not
        # finished the item) is left alone, even by a replay that chooses items not yet due.
        taken_by_another = (
            sa.exists()
            .where(k.c.item_id == t.c.id, k.c.until > now, k.c.until == t.c.next_attempt_at)
            .where(k.c.owner != owner if owner is not None else sa.true())
        )
        update = (
            sa.update(t)
            .where(
                t.c.id == item.id,
                t.c.status.in_(schema.QUEUE_OPEN_STATUSES),
                t.c.updated_at == item.updated_at,
                ~taken_by_another,
            )
            .values(updated_at=now, next_attempt_at=until)
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount != 1:
                return False
            if owner is not None:
                owner = _text(f"queue item {item.id}", "owner", owner, schema.RUN_ID_LEN)
                self._hold(c, owner, now)
                take = {"item_id": item.id, "owner": owner, "until": until}
                c.execute(
                    self._insert(schema.queue_take)
                    .values(take)
                    .on_conflict_do_update(index_elements=["item_id"], set_={"owner": owner, "until": until})
                )
            return True

    def release_dead_takes(self, *, now: datetime | None = None) -> list[int]:
        """Make due again the items a replay took and still holds (their next attempt is the take's
        hold) whose replay's process has ended (killed mid-replay): the next replay writes them at once
        instead of after the hold. Returns their ids. Takes that ended by themselves are pruned."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        q, k = schema.retry_queue, schema.queue_take
        holding = (
            sa.select(k.c.item_id, k.c.owner, k.c.until)
            .join(q, q.c.id == k.c.item_id)
            .where(
                q.c.status.in_(schema.QUEUE_OPEN_STATUSES), q.c.next_attempt_at == k.c.until, k.c.until > now
            )
        )
        with self._write(None) as c:
            rows = c.execute(holding).all()
            ended = self.ended_owners({row.owner for row in rows}, conn=c)
            dead = [row for row in rows if row.owner in ended]
            freed = []
            for row in dead:
                due_now = (
                    sa.update(q)
                    .where(q.c.id == row.item_id, q.c.next_attempt_at == row.until)
                    .values(next_attempt_at=now, updated_at=now)
                )
                if c.execute(due_now).rowcount:
                    freed.append(row.item_id)
            gone = sa.or_(k.c.until <= now, k.c.item_id.in_([row.item_id for row in dead]))
            c.execute(sa.delete(k).where(gone))
        return freed

    def queue_status(self, item_id: int, *, conn: sa.Connection | None = None) -> str | None:
        """The item's status now (None if there is no such item): what a replay that could not take an
        item reports about it (resolved by another replay or a run, or still another's)."""
        with self._read(conn) as c:
            return self._queue_status(item_id, c)

    def abandon(self, item_id: int, *, reason: str, conn: sa.Connection | None = None) -> None:
        """Give up on an open item (an operator's decision); it stays in the queue as history."""
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"queue item {item_id}: field 'reason' must say why it is abandoned")
        t = schema.retry_queue
        now = _now()
        update = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.status.in_(schema.QUEUE_OPEN_STATUSES))
            .values(status="abandoned", reason=redact(reason), resolved_at=now, updated_at=now)
        )
        with self._write(conn) as c:
            if c.execute(update).rowcount == 0:
                raise self._not_open(item_id, c)

    def due_now(self, item_id: int, *, reason: str, conn: sa.Connection | None = None) -> QueueItem | None:
        """A failed item whose cause is answered (a match entered by hand) is due now, not after its
        backoff, with ``reason`` saying why; the item as it is now, None when it is not failed (held,
        resolved or abandoned meanwhile: left alone)."""
        if not isinstance(reason, str) or not reason.strip():
            raise LedgerInputError(f"queue item {item_id}: field 'reason' must say why it is due now")
        t = schema.retry_queue
        now = _now()
        update = (
            sa.update(t)
            .where(t.c.id == item_id, t.c.status == "failed")
            .values(next_attempt_at=now, reason=redact(reason), updated_at=now)
            .returning(*t.c)
        )
        with self._write(conn) as c:
            row = c.execute(update).first()
        return self.queue_item(row) if row is not None else None

    def release_held(
        self, depends_on: str, *, reason: str | None = None, conn: sa.Connection | None = None
    ) -> int:
        """The record ``depends_on`` has synced: make every item waiting on it due now. Returns how many."""
        return len(self.release_held_items(depends_on, reason=reason, conn=conn))

    def release_held_items(
        self, depends_on: str, *, reason: str | None = None, conn: sa.Connection | None = None
    ) -> list[QueueItem]:
        """Release the items held on ``depends_on`` (due now) and return them as they are now.

        Their reason says they were released (``reason``, or that ``depends_on`` synced and when): the
        "waits for ..." it replaces is no longer true, and an item must never show a stale reason.
        """
        _text("retry queue release", "depends_on", depends_on, schema.DEPENDS_ON_LEN)
        now = _now()
        if reason is None or not reason.strip():
            reason = f"released: {depends_on} synced at {now:%Y-%m-%d %H:%M:%S} UTC; due for replay"
        params = {"k_depends_on": depends_on, "now": now, "new_reason": redact(reason)}
        with self._write(conn) as c:
            rows = c.execute(statements.RELEASE_HELD, params).all()
        return sorted((self.queue_item(row) for row in rows), key=lambda item: item.id)

    def synced_dependencies(
        self,
        keys: list[str] | set[str] | frozenset[str],
        *,
        before: datetime | None = None,
        conn: sa.Connection | None = None,
    ) -> frozenset[str]:
        """The dependency keys (``dependency_key``) among ``keys`` whose record has synced: it has a
        cross-reference with a target id, whatever path wrote it (a run, a replay, a manual match).
        ``before``: and that cross-reference was last changed before then (a record mapped at ``before``
        saw it synced; one changed since may have been paired while the record was being mapped)."""
        wanted: dict[tuple[str, str, str], dict[str, str]] = {}
        for key in keys:
            parts = _dependency_parts(key)
            if parts is not None:
                wanted.setdefault(parts[:3], {})[parts[3]] = key
        x = schema.xref
        found: set[str] = set()
        with self._read(conn) as c:
            for (integration, entity, system), by_source in wanted.items():
                sources = sorted(by_source)
                for start in range(0, len(sources), 500):
                    query = sa.select(x.c.source_key).where(
                        x.c.integration == integration,
                        x.c.entity == entity,
                        x.c.source_system == system,
                        x.c.source_key.in_(sources[start : start + 500]),
                        x.c.target_id.is_not(None),
                    )
                    if before is not None:
                        query = query.where(x.c.updated_at < before)
                    found.update(by_source[row[0]] for row in c.execute(query))
        return frozenset(found)

    def held_counts(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        conn: sa.Connection | None = None,
    ) -> dict[str, int]:
        """Dependency key -> how many held items wait for it (one grouped query)."""
        t = schema.retry_queue
        held = self.queue_filters(
            sa.select(t.c.depends_on, sa.func.count()).where(t.c.status == "held").group_by(t.c.depends_on),
            integration,
            flow,
        )
        with self._read(conn) as c:
            return {str(key): int(n) for key, n in c.execute(held) if key}

    def queue_overview(
        self,
        *,
        integration: str | None = None,
        flow: str | None = None,
        now: datetime | None = None,
        conn: sa.Connection | None = None,
    ) -> QueueOverview:
        """Open items in counts: failed and due, failed and not yet due (and the next attempt time), failed
        with no timer (a flow's rule: the record's change or a person), held (by what they wait for, and
        which of those have synced). A few grouped queries, no row data."""
        now = _now() if now is None else _aware("retry queue", "now", now)
        t = schema.retry_queue
        count = sa.func.count()
        failed = self.queue_filters(
            sa.select(t.c.next_attempt_at <= now, count, sa.func.min(t.c.next_attempt_at))
            .where(t.c.status == "failed")
            .group_by(t.c.next_attempt_at <= now),
            integration,
            flow,
        )
        with self._read(conn) as c:
            due = later = on_change = 0
            next_at: datetime | None = None
            for is_due, n, first in c.execute(failed):
                if is_due:
                    due += int(n)
                elif is_due is None:  # no next attempt: no timer tries it again
                    on_change += int(n)
                else:
                    later += int(n)
                    next_at = first
            counts = self.held_counts(integration=integration, flow=flow, conn=c)
            held_by = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
            synced = self.synced_dependencies({key for key, _ in held_by}, conn=c)
        return QueueOverview(
            due=due,
            not_yet_due=later,
            next_attempt_at=next_at,
            held=sum(n for _, n in held_by),
            held_by=held_by,
            synced=synced,
            on_change=on_change,
        )

    def partition_queue(
        self,
        *,
        integration: str,
        flow: str,
        partition_key: str | None,
        limit: int = 100_000,
        conn: sa.Connection | None = None,
    ) -> list[QueueItem]:
        """Open items (failed and held) of the records a flow met in one partition, oldest first.

        The queue does not store partitions; the audit trail does (every fail and hold is audited with its
        run's partition), so a partition's items are the open items of the source keys audited under it.
        This is what the ``_written`` asset check and metadata count per day. ``partition_key`` None means
        an unpartitioned flow."""
        t, a = schema.retry_queue, schema.audit_event
        in_partition = (
            a.c.partition_key.is_(None) if partition_key is None else a.c.partition_key == partition_key
        )
        keys = sa.select(a.c.source_id).where(a.c.integration == integration, a.c.flow == flow, in_partition)
        query = (
            self.queue_filters(sa.select(t), integration, flow)
            .where(t.c.status.in_(schema.QUEUE_OPEN_STATUSES), t.c.source_key.in_(keys))
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    def partitions_of(
        self, *, integration: str, flow: str, source_key: str, conn: sa.Connection | None = None
    ) -> list[str]:
        """The partitions (days) a flow met ``source_key`` in, as the audit trail keeps them, the latest
        first: the days whose ``partition_queue`` counts its queue item. A replay names the first in its
        audit lines and checks each of them again once the item is resolved."""
        a = schema.audit_event
        query = (
            sa.select(a.c.partition_key, sa.func.max(a.c.id).label("last"))
            .where(
                a.c.integration == integration,
                a.c.flow == flow,
                a.c.source_id == source_key,
                a.c.partition_key.is_not(None),
            )
            .group_by(a.c.partition_key)
            .order_by(sa.desc("last"))
        )
        with self._read(conn) as c:
            return [row.partition_key for row in c.execute(query)]

    def queue_for(self, source_key: str, *, conn: sa.Connection | None = None) -> list[QueueItem]:
        """Every retry-queue item (open and closed) of a source key, oldest first (``ml-connector audit``)."""
        _text("retry queue look-up", "source_key", source_key, schema.KEY_LEN)
        t = schema.retry_queue
        query = sa.select(t).where(t.c.source_key == source_key).order_by(t.c.created_at, t.c.id)
        with self._read(conn) as c:
            return [self.queue_item(row) for row in c.execute(query)]

    @staticmethod
    def queue_filters(
        query: sa.Select[*_Columns], integration: str | None, flow: str | None
    ) -> sa.Select[*_Columns]:
        """``query`` narrowed to the items of ``integration`` and ``flow`` (each when given), selecting what
        it selected."""
        t = schema.retry_queue
        if integration is not None:
            query = query.where(t.c.integration == integration)
        if flow is not None:
            query = query.where(t.c.flow == flow)
        return query

    @staticmethod
    def queue_item(row: sa.Row[Any]) -> QueueItem:
        """A ``mlc_retry_queue`` row as a ``QueueItem`` (its payload decoded)."""
        data = dict(row._mapping)
        data["payload"] = json.loads(data["payload"])
        if "params" in data:
            data["params"] = json.loads(data["params"]) if data["params"] else {}
        return QueueItem(**data)

    @staticmethod
    def _queue_status(item_id: int, conn: sa.Connection) -> str | None:
        t = schema.retry_queue
        return conn.execute(sa.select(t.c.status).where(t.c.id == item_id)).scalar()

    def _not_open(self, item_id: int, conn: sa.Connection) -> LedgerError:
        status = self._queue_status(item_id, conn)
        if status is None:
            return LedgerRecordNotFound(f"queue item {item_id} does not exist")
        return LedgerInputError(f"queue item {item_id} is {status}, not open (failed or held)")


def default_refusal(reason: str, status: str, depends_on: str | None) -> Refusal:
    """The refusal of an item queued without one: a hold waits for the record it names, a failure is the
    flow's own rule."""
    if status == "held" and depends_on:
        return waits_for_record(reason, depends_on)
    return unclassified(reason)


def refusal_columns(refusal: Refusal) -> dict[str, Any]:
    """A refusal as the queue's columns: its group (cut to the column), parameters (secrets masked) and
    who acts."""
    return {
        "kind": refusal.group[: schema.KEY_LEN],
        "params": redact(json.dumps(dict(refusal.params), sort_keys=True, default=str)),
        "attention": refusal.attention,
    }
