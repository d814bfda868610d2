"""Re-attempting retry-queue records on demand (``ml-connector replay``) and on a schedule.

Each flow states a handler for its (integration, flow) pair; a deployment's are handed to the replay as
a ``ReplaySet`` (built from its loaded flows by ``connector_assets.flows.replays``). A handler writes one
queued record with today's mappings and credentials and returns what it wrote; it must go through the
ledger's cross-reference first so a record that already succeeded is skipped, never written twice. This
module only drives handlers and keeps the books: resolve on success, count the attempt and push the next
attempt time out on failure, and append an audit event either way.

Held records (waiting for another record, e.g. a purchase order for its supplier) are released by
``release_waiting`` whenever that record is written, on every path (a run's write step and a replay both
write through ``connector_assets.flows.core.write_record``). ``release_synced`` is the safety net: a held
record whose dependency has synced by any path (one that did not release, a manual match, a crash between
the write and the release) is released before a replay chooses its records, so nothing stays held forever.
A held record whose dependency will never be written (exported by another process, refused for good,
abandoned) is refused there instead, with why (``connector_resources.held_parents``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from connector_resources.held_outside import Kind as OutsideKind
from connector_resources.held_outside import OutsideCheck, ready_outside
from connector_resources.held_parents import (
    due_again_on_synced_parents,
    parents_first,
    refuse_held_on_gone_parents,
    refuse_if_parent_gone,
)
from connector_resources.ledger import Ledger, LedgerInputError, QueueItem
from connector_resources.parent_verdicts import Kind as ParentKind
from connector_resources.parent_verdicts import ParentCheck
from connector_resources.redaction import get_logger, redact
from connector_resources.refusals import Refusal, refusal_of, waits_for_record
from connector_resources.replay_report import ReplaySummary, when_text

log = get_logger(__name__)
# How long a replay holds a queue item it took (``Ledger.take_queue_item``): far more than one record's
# write takes; a replay killed holding it leaves the item due again after this.
REPLAY_HOLD = timedelta(minutes=10)


@dataclass(frozen=True)
class ReplayOutcome:
    """What a handler did with one record: the target ID it wrote or adopted, and how."""

    target_id: str | None
    action: str = "replay"
    detail: str = ""
    released: int = 0  # held records the write released (they waited for this one)


class WaitsFor(Exception):  # noqa: N818 - a state, not an error: the record waits for another one
    """Raised by a handler whose record can only be written once another record has synced (its supplier):
    the item is *held* on ``depends_on`` instead of failing again, so the dependency's sync releases it.

    ``refusal``: what it waits for, as data (``refusals``): by default another record's sync; a closed
    period, a close window, another run's write, the target's processing or a missing master record say
    their own kind (each subclass passes it)."""

    def __init__(self, depends_on: str, reason: str, refusal: Refusal | None = None) -> None:
        super().__init__(reason)
        self.depends_on = depends_on
        self.reason = reason
        self.refusal = refusal or waits_for_record(reason, depends_on)


T = TypeVar("T")


class ReplayScope:
    """What the records of one ``replay_items`` call share: resources built once and target sessions
    opened once (with their caches), closed when the replay ends. A replay of hundreds of held records
    then costs about what a run writing them costs, instead of a session and its look-ups per record."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._values: dict[Hashable, Any] = {}

    def value(self, key: Hashable, build: Callable[[], T]) -> T:
        if key not in self._values:
            self._values[key] = build()
        return self._values[key]

    def opened(self, key: Hashable, open_cm: Callable[[], AbstractContextManager[T]]) -> T:
        if key not in self._values:
            self._values[key] = self._stack.enter_context(open_cm())
        return self._values[key]


_scope: ContextVar[ReplayScope | None] = ContextVar("replay_scope", default=None)


def shared_value(key: Hashable, build: Callable[[], T]) -> T:
    """``build()`` once per replay (every call outside a replay builds anew)."""
    scope = _scope.get()
    return build() if scope is None else scope.value(key, build)


@contextmanager
def shared_context(key: Hashable, open_cm: Callable[[], AbstractContextManager[T]]) -> Iterator[T]:
    """``open_cm()`` entered once per replay and closed when it ends; outside a replay, for this block."""
    scope = _scope.get()
    if scope is None:
        with open_cm() as value:
            yield value
    else:
        yield scope.opened(key, open_cm)


ReplayHandler = Callable[[QueueItem, Ledger], ReplayOutcome]


class ReplaysAhead(Protocol):
    """What a handler may add: ``ahead`` is given a chunk of its flow's items this replay has taken,
    before any of them is written, and returns what to call once they all were (its claims, say, on the
    records no write used). A target searching many natural keys in one call searches them there at once
    (``connector_assets.flows.replay_ahead``); each item is still written by its own handler call."""

    def ahead(self, items: Sequence[QueueItem], ledger: Ledger) -> Callable[[], None]: ...


class ReplaySet(Protocol):
    """What a replay is handed (``connector_assets.flows.replays.Replays``, built from a deployment's
    flows): each flow's handler, and the checks the sweeps ask about records held on another system's
    state (``held_outside``) or on a record its flow never sends (``held_parents``). This layer cannot
    import the integrations, so whoever replays hands it over; nothing is registered at import."""

    @property
    def outside(self) -> Mapping[OutsideKind, OutsideCheck]: ...

    @property
    def parents(self) -> Mapping[ParentKind, ParentCheck]: ...

    def handler_for(self, integration: str, flow: str) -> ReplayHandler | None: ...


def release_waiting(
    ledger: Ledger,
    depends_on: str,
    *,
    reason: str,
    run_id: str | None = None,
    conn: Any = None,
) -> list[QueueItem]:
    """Release the records held on ``depends_on`` (due now, ``reason`` as their new reason) and append a
    ``release`` audit event for each, under its own flow and key, so its history says why it moved (by a
    CLI replay's write: ``detail`` says so, as on the replay's own lines)."""
    at = replay_at()
    detail = at.detail if at is not None and at.run_id == run_id else None

    def release(c: Any) -> list[QueueItem]:
        released = ledger.release_held_items(depends_on, reason=reason, conn=c)
        for item in released:
            ledger.audit_item(item, "release", reason, run_id=run_id, detail=detail, conn=c)
        return released

    if conn is not None:
        return release(conn)
    with ledger.transaction() as own:
        return release(own)


def release_synced(
    ledger: Ledger,
    replays: ReplaySet,
    *,
    integration: str | None = None,
    flow: str | None = None,
    run_id: str | None = None,
) -> list[QueueItem]:
    """Release held records whose dependency has already synced (by whatever path): they are due, not
    stuck behind a release that never came. The CLI and the job call it before choosing records (so they
    are replayed in the same run), and every replay ends with it.

    Records held on another system's work are released once that system's check says it is done
    (``held_outside``: ``replays.outside``). It also refuses the held records whose dependency will never
    be written (``held_parents``, the flows' own word ``replays.parents``: failed with why, logged, not in
    the returned list) and makes due again those refused
    so whose dependency has synced after all (in the list: released because their dependency synced)."""
    freed = ledger.release_dead_takes()  # taken by a replay that was killed: due again at once
    if freed:
        log.info("%d queue item(s) taken by a replay that has ended are due again", len(freed))
    overview = ledger.queue_overview(integration=integration, flow=flow)
    released: list[QueueItem] = []
    for key in sorted(overview.synced):
        reason = f"released: {key} had already synced (found by replay); due for replay"
        released.extend(release_waiting(ledger, key, reason=reason, run_id=run_id))
    # Records held on another system's work (``held_outside``): released once its check says it is done.
    for key, why in sorted(ready_outside((key for key, _ in overview.held_by), replays.outside).items()):
        released.extend(
            release_waiting(ledger, key, reason=f"released: {why}; due for replay", run_id=run_id)
        )
    # Records held because another run was writing them, whose writer stopped before recording them.
    with ledger.transaction() as conn:
        for item in ledger.release_lapsed_holds(integration=integration, flow=flow, conn=conn):
            ledger.audit_item(item, "release", item.reason, run_id=run_id, conn=conn)
            released.append(item)
    released.extend(due_again_on_synced_parents(ledger, integration=integration, flow=flow, run_id=run_id))
    refused = refuse_held_on_gone_parents(
        ledger,
        retry_in=backoff_for,
        integration=integration,
        flow=flow,
        run_id=run_id,
        checks=replays.parents,
    )
    if refused:
        log.warning("%d held record(s) refused: what they wait for will never be written", len(refused))
    return released


def backoff_for(
    attempts: int, *, base: timedelta = timedelta(minutes=5), cap: timedelta = timedelta(hours=6)
):
    """Exponential spacing between attempts so a record failing for days does not hammer the target.

    ``attempts`` counts the failed attempts so far (the run's first failure is one): 10 minutes after
    that first failure's replay fails, then 20, 40, ... up to ``cap``."""
    return min(cap, base * (2 ** max(0, attempts)))


@dataclass(frozen=True)
class ReplayWriter:
    """Who a replay writes as, while ``replay_items`` runs: ``owner`` (the replay job's run id, or an id of
    the CLI replay's own) holds both its takes of queue items and its leases on records, so one process
    record in the ledger vouches for all of them (``Ledger.ended_owners``); ``ended`` says whether a lease
    owner is a run Dagster reports ended (set by the replay job, and by the CLI when a Dagster instance is
    configured), so the replay takes such a run's leases over at once, as a run's own writes do."""

    owner: str
    ended: Callable[[str], bool] | None = None


_writer: ContextVar[ReplayWriter | None] = ContextVar("replay_writer", default=None)


def replay_writer() -> ReplayWriter | None:
    """The writer of the replay under way (``Lease.for_writer``); None outside ``replay_items``."""
    return _writer.get()


# What a CLI replay's audit events carry in ``detail`` (it has no Dagster run), and how ``audit`` says it.
REPLAYED_BY = "replayed_by"
BY_CLI = "replay by CLI"


@dataclass(frozen=True)
class ReplayAt:
    """Where the record being replayed belongs, for its audit lines: the replay job's run (None for a CLI
    replay, then ``detail`` says so) and the day its flow met it (``Ledger.partitions_of``, the latest),
    so a person reading ``ml-connector audit`` ties each line to a run and a day."""

    run_id: str | None
    partition: str | None
    by: str = "cli"  # who replays outside a run: the CLI, or ``desk:<person>`` for the exceptions desk

    @property
    def detail(self) -> dict[str, str] | None:
        return None if self.run_id else {REPLAYED_BY: self.by}


_at: ContextVar[ReplayAt | None] = ContextVar("replay_at", default=None)


def replay_at() -> ReplayAt | None:
    """The run and day of the record being replayed (handlers write with them); None outside a replay."""
    return _at.get()


def audit_run(run_id: str | None, detail: dict[str, Any] | None) -> str:
    """An audit event's run as ``ml-connector audit`` prints it: the run id, "replay by CLI" for a CLI
    replay's events (no Dagster run), else "-"."""
    if run_id:
        return run_id
    by = (detail or {}).get(REPLAYED_BY)
    return BY_CLI if by == "cli" else f"replay by {by}" if by else "-"


def replay_items(
    ledger: Ledger,
    items: Iterable[QueueItem],
    replays: ReplaySet,
    *,
    run_id: str | None = None,
    ended: Callable[[str], bool] | None = None,
    by: str = "cli",
) -> ReplaySummary:
    """Re-attempt ``items`` with their flows' handlers (``replays``); never raises for a single record's
    failure.

    Handlers share one ``ReplayScope`` for the call (``shared_value`` / ``shared_context``). Records
    released by the writes (``write_record``) are in ``ReplaySummary.released``; the replay ends with
    ``release_synced``, so a record written without releasing (a skip: written before, by a path that did
    not release) leaves nothing held on it either. Released records are due for the next replay."""
    writer = ReplayWriter(run_id or f"replay-{uuid.uuid4()}", ended)
    with ExitStack() as stack:
        token, writing = _scope.set(ReplayScope(stack)), _writer.set(writer)
        try:
            summary = _replay_each(ledger, items, replays, run_id, writer.owner, by)
        finally:
            _writer.reset(writing)
            _scope.reset(token)
    summary.released += len(release_synced(ledger, replays, run_id=run_id))
    return summary


# Queue items of one flow a replay takes together, so a target that searches many natural keys in one call
# searches them at once before their writes (a handler's ``ahead``): a write step's chunk of claims.
REPLAY_CHUNK = 50


def _replay_each(
    ledger: Ledger, items: Iterable[QueueItem], replays: ReplaySet, run_id: str | None, owner: str, by: str
) -> ReplaySummary:
    """Each item is taken first (``Ledger.take_queue_item``): concurrent replays each write what they took,
    skip what another has, and count only their own writes; an item another closes meanwhile never stops
    the rest. Items are taken a chunk of one flow at a time (``_chunks``) and, when the flow's handler
    has an ``ahead`` (``ReplaysAhead``), handed to it before their writes; each is then written alone."""
    summary = ReplaySummary()
    for chunk in _chunks(parents_first(items, by_flow=True)):  # a fixed parent first, then its children
        handler = replays.handler_for(chunk[0].integration, chunk[0].flow)
        if handler is None:
            summary.no_handler.extend(item.id for item in chunk)
            continue
        taken: list[tuple[QueueItem, list[str | None]]] = []
        for item in chunk:
            # The days its flow met it in; none for an unpartitioned flow's record (its one check: "the day").
            days: list[str | None] = [
                *ledger.partitions_of(
                    integration=item.integration, flow=item.flow, source_key=item.source_key
                )
            ] or [None]
            if ledger.take_queue_item(item, hold_for=REPLAY_HOLD, owner=owner):
                taken.append((item, days))
            else:
                _left(ledger, item, summary, days)
        ahead = getattr(handler, "ahead", None)
        release = ahead([item for item, _ in taken], ledger) if callable(ahead) and len(taken) > 1 else None
        try:
            for item, days in taken:
                _replay_taken(ledger, item, days, handler, replays.parents, run_id, by, summary)
        finally:
            if release is not None:
                release()
    return summary


def _chunks(items: list[QueueItem]) -> Iterator[list[QueueItem]]:
    """``items`` in their order, cut into runs of one flow of at most ``REPLAY_CHUNK`` items."""
    chunk: list[QueueItem] = []
    for item in items:
        if chunk and (
            len(chunk) >= REPLAY_CHUNK
            or (item.integration, item.flow) != (chunk[0].integration, chunk[0].flow)
        ):
            yield chunk
            chunk = []
        chunk.append(item)
    if chunk:
        yield chunk


def _replay_taken(
    ledger: Ledger,
    item: QueueItem,
    days: list[str | None],
    handler: ReplayHandler,
    parents: Mapping[ParentKind, ParentCheck],
    run_id: str | None,
    by: str,
    summary: ReplaySummary,
) -> None:
    """Replay ``item``, taken by this replay, in the name of its run and first day (``ReplayAt``)."""
    at = _at.set(ReplayAt(run_id, days[0], by))
    try:
        _replay_one(ledger, item, handler, parents, run_id, summary)
    except LedgerInputError:  # closed by a run that wrote the record meanwhile: nothing left to do
        _left(ledger, item, summary, days)
    finally:
        _at.reset(at)
    if item.id not in summary.failed:  # resolved or held: the counts of its days changed
        summary.days.update((item.integration, item.flow, day) for day in days)


def _left(ledger: Ledger, item: QueueItem, summary: ReplaySummary, days: list[str | None]) -> None:
    """An item another replay or a run changed since it was read: resolved means its record is written
    (counted as already written, not as replayed, its days checked again); anything else is another's to
    finish."""
    resolved = ledger.queue_status(item.id) == "resolved"
    (summary.already if resolved else summary.elsewhere).append(item.id)
    if resolved:
        summary.days.update((item.integration, item.flow, day) for day in days)


def _where(run_id: str | None) -> dict[str, Any]:
    """The run, day and (for a CLI replay) ``detail`` of the audit lines of the record being replayed."""
    at = replay_at() or ReplayAt(run_id, None)
    return {"run_id": at.run_id, "partition_key": at.partition, "detail": at.detail}


def _replay_one(
    ledger: Ledger,
    item: QueueItem,
    handler: ReplayHandler,
    parents: Mapping[ParentKind, ParentCheck],
    run_id: str | None,
    summary: ReplaySummary,
) -> None:
    """Run ``item``'s handler and record what came of it (replayed, held, failed again) in ``summary``."""
    try:
        outcome = handler(item, ledger)
    except WaitsFor as waits:
        # What it waits for will never be written: failed again with why, never held again.
        after = refuse_if_parent_gone(
            ledger,
            item,
            waits.depends_on,
            retry_in=backoff_for(item.attempts),
            run_id=run_id,
            checks=parents,
        )
        if after is not None and after.status == "resolved":  # its parent went elsewhere: so did it
            summary.skipped.append(item.id)
            return
        if after is not None:
            summary.failed.append(item.id)
            summary.failed_items.append(after)
            return
        # Waiting is not failing: the attempt count stays, the reason says what it waits for.
        with ledger.transaction() as conn:
            ledger.enqueue(
                integration=item.integration,
                flow=item.flow,
                entity=item.entity,
                source_key=item.source_key,
                payload=item.payload,
                reason=waits.reason,
                status="held",
                depends_on=waits.depends_on,
                run_id=run_id,
                refusal=waits.refusal,
                conn=conn,
            )
            ledger.audit_item(item, "hold", waits.reason, conn=conn, **_where(run_id))
        summary.held.append(item.id)
        return
    except Exception as exc:  # one record's failure is recorded, the rest still run
        reason = redact(f"replay failed: {exc}")
        with ledger.transaction() as conn:
            after = ledger.record_attempt_failure(
                item.id,
                reason,
                retry_in=backoff_for(item.attempts),
                run_id=run_id,
                refusal=refusal_of(exc, reason),  # the handler judged it with its target (``with_refusal``)
                conn=conn,
            )
            ledger.audit_item(
                item,
                "fail",
                f"{reason} (attempt {after.attempts}; next attempt {when_text(after.next_attempt_at)})",
                conn=conn,
                **_where(run_id),
            )
        log.warning("replay of queue item %s (%s) failed: %s", item.id, item.source_key, reason)
        summary.failed.append(item.id)
        summary.failed_items.append(after)
        return
    reason = outcome.detail or "replayed from the retry queue"
    with ledger.transaction() as conn:
        ledger.resolve(item.id, reason=reason, conn=conn)
        ledger.audit_item(item, "replay", reason, conn=conn, target_id=outcome.target_id, **_where(run_id))
    # A skip wrote nothing: the record was already written (a run, or a replay that took it before us).
    (summary.already if outcome.action == "skip" else summary.replayed).append(item.id)
    summary.released += outcome.released
    return summary
