"""Held records whose parent will never be written (payments never wait forever).

A record held on another (a payment on its bill: ``replay.WaitsFor``, a queue item ``held`` with
``depends_on``) is released when that parent is written. Some parents never will be, and their children
would wait for ever where nobody looking at failures sees them. The ledger knows a parent cannot come when:

* its flow skipped it for good: the skip's audit event carries ``detail = {NEVER_WRITTEN: cause}``
  (``connector_assets.flows.never_written``: a bill another process exported, a requisition synced with an
  ERP elsewhere), and nothing the flow did with it since says otherwise (the mark is its latest event);
* its target refused it for good (``refused_for_good`` in its open queue item's payload): runs
  leave it to a person, who fixes the cause and replays it;
* a person abandoned its queue item (e.g. the replay found it gone from the source) and nothing wrote it;
* it is such a child itself, refused because of its own parent (a chain);
* its flow says it never sends it, which only the source can tell (a Procurify vendor of a type the
  vendors flow never sends to JDE): the flow lists a check in its replay (``Replay.parents``) asked about
  the keys the ledger leaves undecided, by every sweep (a replay's, the replay job's, a run's of the
  held records' flow) and by a replay meeting such a record.

A parent deleted at the source that the ledger never heard of (no queue item, no marked skip) is not
known here: its children stay held (and listed as waiting) until its replay says it is gone and a person
abandons it.

Such a child is *refused*: failed, not abandoned, so a finance operator sees it among the failures beside
its parent, with its payload kept (marked ``PARENT_GONE`` with the parent) and a reason naming the parent
and why it cannot come, and decides: fix and replay the parent (the child follows: the moment the parent
syncs it is due again, ``due_again_on_synced_parents``), or settle it by hand in the ERP and abandon it.
It is not due at once, since replaying it cannot succeed while its parent cannot come: its next attempt
follows the replay backoff, and a replay that meets it again fails it again (``refuse_if_parent_gone``):
never held again, and nothing is sent to a target for it.

Except when another process took the parent (``EXPORTED_ELSEWHERE``: a bill exported to an ERP by another
process, an invoice or requisition synced elsewhere): then the child went there with it (the payment of
that bill is that process's to record), so it follows its parent's rule and is *skipped* for good: its
queue item closed (resolved, nothing sent) with a ``skip`` audit event saying why (marked never written
too), never refused into the queue for a person (``make dev`` runs both Procurify integrations on
one sandbox, so one exports bills the other's payments would otherwise queue).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import Ledger, LedgerInputError, QueueItem, schema
from connector_resources.ledger.queue import refusal_columns
from connector_resources.parent_verdicts import (
    EXPORTED_ELSEWHERE,
    NEVER_WRITTEN,
    PARENT_GONE,
    GoneParent,
    Kind,
    ParentCheck,
    gone_parents,
    never_written_mark,
)
from connector_resources.redaction import redact

CHAIN_ROUNDS = 5  # a sweep follows chains (payment -> bill -> vendor) this deep


# -- refusing the children --------------------------------------------------------------------------------


def held_on_gone(
    ledger: Ledger,
    *,
    integration: str | None = None,
    flow: str | None = None,
    checks: Mapping[Kind, ParentCheck],
) -> list[tuple[GoneParent, int]]:
    """The parents that cannot come with how many held records wait for each, most waited-for first:
    what ``replay --dry-run`` lists, and what the next replay refuses (``checks``: the flows' own word,
    the deployment's ``Replays.parents``)."""
    held = ledger.held_counts(integration=integration, flow=flow)
    gone = gone_parents(ledger, held, checks=checks)
    return sorted(((g, held[k]) for k, g in gone.items()), key=lambda pair: (-pair[1], pair[0].key))


def refuse_held_on(
    ledger: Ledger,
    parent: GoneParent,
    *,
    retry_in: Callable[[int], timedelta],
    run_id: str | None = None,
    integration: str | None = None,
    flow: str | None = None,
    conn: sa.Connection,
) -> list[QueueItem]:
    """Refuse the records held on ``parent`` (module docstring), in the caller's transaction: failed with
    ``parent.refusal_words``, next attempt ``retry_in(attempts)`` from now, a ``fail`` audit event each;
    returns them. Those of a parent another process took are skipped instead (``_skip``), not returned.
    An item a run or replay changed meanwhile is left to it."""
    q = schema.retry_queue
    held = sa.select(q).where(q.c.status == "held", q.c.depends_on == parent.key)
    query = Ledger.queue_filters(held, integration, flow)
    refused = []
    for item in [Ledger.queue_item(row) for row in conn.execute(query)]:
        if parent.taken_elsewhere:
            _skip(ledger, item, parent, run_id=run_id, held_only=True, conn=conn)
            continue
        after = _refuse(ledger, item, parent, retry_in(item.attempts), counted=False, conn=conn)
        if after is not None:
            ledger.audit_item(item, "fail", after.reason, run_id=run_id, conn=conn)
            refused.append(after)
    return refused


def refuse_held_on_gone_parents(
    ledger: Ledger,
    *,
    retry_in: Callable[[int], timedelta],
    integration: str | None = None,
    flow: str | None = None,
    run_id: str | None = None,
    checks: Mapping[Kind, ParentCheck],
) -> list[QueueItem]:
    """Refuse every held record whose parent cannot come (``release_synced`` runs this before each replay
    and after it; a run of the held records' flow may too, with ``checks`` on its own resources), one
    transaction per parent; a chain is followed ``CHAIN_ROUNDS`` deep."""
    refused: list[QueueItem] = []
    for _ in range(CHAIN_ROUNDS):
        gone = gone_parents(ledger, ledger.held_counts(integration=integration, flow=flow), checks=checks)
        done: list[QueueItem] = []
        for key in sorted(gone):
            with ledger.transaction() as conn:
                done.extend(
                    refuse_held_on(
                        ledger,
                        gone[key],
                        retry_in=retry_in,
                        run_id=run_id,
                        integration=integration,
                        flow=flow,
                        conn=conn,
                    )
                )
        refused.extend(done)
        if not done:
            break
    return refused


def refuse_if_parent_gone(
    ledger: Ledger,
    item: QueueItem,
    depends_on: str,
    *,
    retry_in: timedelta,
    run_id: str | None = None,
    checks: Mapping[Kind, ParentCheck],
) -> QueueItem | None:
    """A replay's record that waits for ``depends_on``: if that parent cannot come, fail it again (an
    attempt counted, next attempt ``retry_in`` from now, a ``fail`` event) instead of holding it, and
    return it as it is now; else None (hold it as before). One whose parent another process took is
    skipped for good instead (returned resolved). A record held behind its own key (another run writing
    it) is never refused here. Raises ``LedgerInputError`` if the item was closed meanwhile."""
    parts = depends_on.split(":", 3)
    if len(parts) == 4 and (parts[0], parts[1], parts[3]) == (item.integration, item.entity, item.source_key):
        return None
    parent = gone_parents(ledger, {depends_on}, checks=checks).get(depends_on)
    if parent is None:
        return None
    with ledger.transaction() as conn:
        if parent.taken_elsewhere:
            after = _skip(ledger, item, parent, run_id=run_id, held_only=False, conn=conn)
            if after is None:
                raise LedgerInputError(f"queue item {item.id} is no longer open (failed or held)")
            return after
        after = _refuse(ledger, item, parent, retry_in, counted=True, run_id=run_id, conn=conn)
        if after is None:  # closed meanwhile (a run wrote it): the replay leaves it, as for any failure
            raise LedgerInputError(f"queue item {item.id} is no longer open (failed or held)")
        when = f"{after.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC" if after.next_attempt_at else "-"
        reason = f"{after.reason} (attempt {after.attempts}; next attempt {when})"
        ledger.audit_item(item, "fail", reason, run_id=run_id, conn=conn)
    return after


def due_again_on_synced_parents(
    ledger: Ledger, *, integration: str | None = None, flow: str | None = None, run_id: str | None = None
) -> list[QueueItem]:
    """Records refused for a parent that has synced after all (fixed and replayed, written by a person's
    match): due now, the mark dropped, a ``release`` event each, so they follow at once, not after their
    backoff."""
    q = schema.retry_queue
    query = Ledger.queue_filters(
        sa.select(q).where(
            q.c.status == "failed", q.c.depends_on.is_not(None), q.c.payload.like(f'%"{PARENT_GONE}"%')
        ),
        integration,
        flow,
    )
    with ledger.read_transaction() as c:
        marked = [
            i for i in map(Ledger.queue_item, c.execute(query)) if i.payload.get(PARENT_GONE) == i.depends_on
        ]
    synced = ledger.synced_dependencies({i.depends_on for i in marked if i.depends_on})
    released = []
    for item in marked:
        if item.depends_on not in synced:
            continue
        reason = f"released: {item.depends_on} has synced; due for replay"
        payload = {k: v for k, v in item.payload.items() if k != PARENT_GONE}
        now = _now()
        update = (
            sa.update(q)
            .where(q.c.id == item.id, q.c.status == "failed", q.c.updated_at == item.updated_at)
            .values(reason=redact(reason), payload=_json(payload), next_attempt_at=now, updated_at=now)
            .returning(*q.c)
        )
        with ledger.transaction() as conn:
            row = conn.execute(update).first()
            if row is not None:
                ledger.audit_item(item, "release", reason, run_id=run_id, conn=conn)
                released.append(Ledger.queue_item(row))
    return released


def settled_before_hold(
    ledger: Ledger,
    *,
    integration: str,
    flow: str,
    entity: str,
    source_key: str,
    depends_on: str,
    payload: Mapping[str, Any],
    retry_in: timedelta,
    run_id: str | None = None,
    partition: str | None = None,
) -> bool:
    """Whether a run about to hold a record on ``depends_on`` settled it instead (True: do not hold it).

    Why: a sweep closes a record whose parent another process took (skipped for good) and refuses one whose
    parent cannot come; the next run, mapping the record again, would hold it again, and the next sweep
    close it again: its queue item alternated between held and skipped (or failed) for ever. So before a
    hold: a record already closed for a parent another process took stays closed (nothing written); one
    whose parent another process took now is closed now, with that reason (a ``skip`` marked never
    written, its open item resolved); one whose parent cannot come for another cause is refused now, with
    why (failed, ``PARENT_GONE``), or left as it is when it already was for that parent."""
    if _closed_for_taken_parent(ledger, integration, flow, entity, source_key):
        return True
    # What the ledger knows only: a flow's own check may ask its source system, which a run's hold of each
    # record must not (the sweeps ask it).
    parent = gone_parents(ledger, {depends_on}, checks={}).get(depends_on)
    if parent is None:
        return False
    q = schema.retry_queue
    with ledger.transaction() as conn:
        open_rows = conn.execute(
            sa.select(q).where(
                q.c.integration == integration,
                q.c.flow == flow,
                q.c.source_key == source_key,
                q.c.status.in_(schema.QUEUE_OPEN_STATUSES),
            )
        ).all()
        items = [Ledger.queue_item(row) for row in open_rows]
        if parent.taken_elsewhere:
            for item in items:
                _skip(ledger, item, parent, run_id=run_id, held_only=False, conn=conn)
            if not items:
                ledger.audit(
                    integration=integration, flow=flow, entity=entity, action="skip", source_id=source_key,
                    reason=redact(parent.skip_words(entity, source_key)), run_id=run_id,
                    partition_key=partition, detail={NEVER_WRITTEN: parent.cause}, conn=conn,
                )  # fmt: skip
            return True
        if any(i.status == "failed" and i.payload.get(PARENT_GONE) == depends_on for i in items):
            return True  # refused for this parent already: its backoff stands, nothing counted again
        reason = parent.refusal_words(entity, source_key)
        item = ledger.enqueue(
            integration=integration, flow=flow, entity=entity, source_key=source_key,
            payload={**payload, PARENT_GONE: parent.key}, reason=reason, status="failed",
            depends_on=depends_on, next_attempt_at=_now() + retry_in, run_id=run_id,
            refusal=parent.refusal(entity, source_key), conn=conn,
        )  # fmt: skip
        ledger.audit_item(item, "fail", reason, run_id=run_id, partition_key=partition, conn=conn)
    return True


def _closed_for_taken_parent(
    ledger: Ledger, integration: str, flow: str, entity: str, source_key: str
) -> bool:
    """Whether the record's latest event is a skip closing it for a parent another process took."""
    a = schema.audit_event
    query = (
        sa.select(a.c.action, a.c.detail)
        .where(
            a.c.integration == integration,
            a.c.flow == flow,
            a.c.entity == entity,
            a.c.source_id == source_key,
        )
        .order_by(a.c.id.desc())
        .limit(1)
    )
    with ledger.read_transaction() as c:
        last = c.execute(query).first()
    return (
        last is not None and last.action == "skip" and never_written_mark(last.detail) == EXPORTED_ELSEWHERE
    )


def parents_first(items: Iterable[QueueItem], *, by_flow: bool = False) -> list[QueueItem]:
    """``items`` in their order, except that an item comes after the items it waits for (``depends_on``
    naming one of them), so a replay writes a fixed parent before its refused or released children and
    they go through in the same replay instead of failing once more.

    ``by_flow``: among the items as far from their parents (none of which waits for another of them),
    one flow's items together, in the order flows first come, so a replay writes them in chunks."""
    items = list(items)
    flows: dict[tuple[str, str], int] = {}
    for item in items:
        flows.setdefault((item.integration, item.flow), len(flows))
    by_key = {(i.integration, i.entity, i.source_key): i for i in items}

    def depth(item: QueueItem) -> int:
        hops, seen = 0, {item.id}
        while item.depends_on:
            parts = item.depends_on.split(":", 3)
            parent = by_key.get((parts[0], parts[1], parts[3])) if len(parts) == 4 else None
            if parent is None or parent.id in seen:
                break
            seen.add(parent.id)
            hops, item = hops + 1, parent
        return hops

    def place(item: QueueItem) -> tuple[int, int]:
        return depth(item), flows[(item.integration, item.flow)] if by_flow else 0

    return sorted(items, key=place)  # stable: the rest keeps the caller's order


# -- plumbing ---------------------------------------------------------------------------------------------


def _refuse(
    ledger: Ledger,
    item: QueueItem,
    parent: GoneParent,
    retry_in: timedelta,
    *,
    counted: bool,
    run_id: str | None = None,
    conn: sa.Connection,
) -> QueueItem | None:
    """``item`` failed for ``parent`` (see ``refuse_held_on`` / ``refuse_if_parent_gone``); None if it is no
    longer as read (a held one must still be held, unchanged)."""
    q = schema.retry_queue
    now = _now()
    values: dict[str, Any] = {
        "status": "failed",
        "reason": redact(parent.refusal_words(item.entity, item.source_key)),
        **refusal_columns(parent.refusal(item.entity, item.source_key)),
        "payload": _json({**item.payload, PARENT_GONE: parent.key}),
        "next_attempt_at": now + retry_in,
        "updated_at": now,
    }
    if counted:
        values["attempts"] = q.c.attempts + 1
        values["last_run_id"] = sa.func.coalesce(run_id, q.c.last_run_id)
        where = [q.c.status.in_(schema.QUEUE_OPEN_STATUSES)]
    else:
        where = [q.c.status == "held", q.c.depends_on == parent.key, q.c.updated_at == item.updated_at]
    update = sa.update(q).where(q.c.id == item.id, *where).values(**values).returning(*q.c)
    row = conn.execute(update).first()
    return None if row is None else Ledger.queue_item(row)


def _skip(
    ledger: Ledger,
    item: QueueItem,
    parent: GoneParent,
    *,
    run_id: str | None,
    held_only: bool,
    conn: sa.Connection,
) -> QueueItem | None:
    """``item`` closed for good as its parent another process took (module docstring): resolved with
    ``parent.skip_words``, a ``skip`` audit event marked never written; None if it is no longer as read
    (``held_only``: still held on ``parent``, unchanged; else still open)."""
    q = schema.retry_queue
    reason, now = redact(parent.skip_words(item.entity, item.source_key)), _now()
    where = (
        [q.c.status == "held", q.c.depends_on == parent.key, q.c.updated_at == item.updated_at]
        if held_only
        else [q.c.status.in_(schema.QUEUE_OPEN_STATUSES)]
    )
    values = {"status": "resolved", "reason": reason, "resolved_at": now, "updated_at": now}
    row = conn.execute(sa.update(q).where(q.c.id == item.id, *where).values(**values).returning(*q.c)).first()
    if row is None:
        return None
    ledger.audit_item(item, "skip", reason, run_id=run_id, detail={NEVER_WRITTEN: parent.cause}, conn=conn)
    return Ledger.queue_item(row)


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def _now() -> datetime:
    return datetime.now(UTC)
