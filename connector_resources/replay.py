"""Re-attempting retry-queue records on demand (``ml-connector replay``) and on a schedule.

Each flow registers a handler for its (integration, flow) pair. A handler writes one queued record with
today's mappings and credentials and returns what it wrote; it must go through the ledger's
cross-reference first so a record that already succeeded is skipped, never written twice. This module
only drives handlers and keeps the books: resolve on success, count the attempt and push the next attempt
time out on failure, and append an audit event either way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from connector_resources.ledger import Ledger, QueueItem
from connector_resources.redaction import get_logger, redact

log = get_logger(__name__)


@dataclass(frozen=True)
class ReplayOutcome:
    """What a handler did with one record: the target ID it wrote or adopted, and how."""

    target_id: str | None
    action: str = "replay"
    detail: str = ""


class WaitsFor(Exception):  # noqa: N818 - a state, not an error: the record waits for another one
    """Raised by a handler whose record can only be written once another record has synced (its supplier):
    the item is *held* on ``depends_on`` instead of failing again, so the dependency's sync releases it."""

    def __init__(self, depends_on: str, reason: str) -> None:
        super().__init__(reason)
        self.depends_on = depends_on
        self.reason = reason


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
_handlers: dict[tuple[str, str], ReplayHandler] = {}


def register_replay_handler(integration: str, flow: str, handler: ReplayHandler) -> None:
    _handlers[(integration, flow)] = handler


def handler_for(integration: str, flow: str) -> ReplayHandler | None:
    return _handlers.get((integration, flow))


@dataclass
class ReplaySummary:
    replayed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    no_handler: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)

    def line(self) -> str:
        line = (
            f"{len(self.replayed)} replayed, {len(self.failed)} failed again, "
            f"{len(self.no_handler)} left queued (no handler for their flow yet)"
        )
        return line + (f", {len(self.held)} held until what they wait for syncs" if self.held else "")


def backoff_for(
    attempts: int, *, base: timedelta = timedelta(minutes=5), cap: timedelta = timedelta(hours=6)
):
    """Exponential spacing between attempts so a record failing for days does not hammer the target."""
    return min(cap, base * (2 ** max(0, attempts)))


def replay_items(ledger: Ledger, items: Iterable[QueueItem], *, run_id: str | None = None) -> ReplaySummary:
    """Re-attempt ``items`` with their flows' handlers; never raises for a single record's failure.

    Handlers share one ``ReplayScope`` for the call (``shared_value`` / ``shared_context``)."""
    with ExitStack() as stack:
        token = _scope.set(ReplayScope(stack))
        try:
            return _replay_each(ledger, items, run_id)
        finally:
            _scope.reset(token)


def _replay_each(ledger: Ledger, items: Iterable[QueueItem], run_id: str | None) -> ReplaySummary:
    summary = ReplaySummary()
    for item in items:
        handler = handler_for(item.integration, item.flow)
        if handler is None:
            summary.no_handler.append(item.id)
            continue
        try:
            outcome = handler(item, ledger)
        except WaitsFor as waits:
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
                    conn=conn,
                )
                _audit(ledger, item, "hold", waits.reason, run_id, conn)
            summary.held.append(item.id)
            continue
        except Exception as exc:  # one record's failure is recorded, the rest still run
            reason = redact(f"replay failed: {exc}")
            with ledger.transaction() as conn:
                ledger.record_attempt_failure(
                    item.id, reason, retry_in=backoff_for(item.attempts + 1), conn=conn
                )
                _audit(ledger, item, "fail", reason, run_id, conn)
            log.warning("replay of queue item %s (%s) failed: %s", item.id, item.source_key, reason)
            summary.failed.append(item.id)
            continue
        with ledger.transaction() as conn:
            ledger.resolve(item.id, conn=conn)
            reason = outcome.detail or "replayed from the retry queue"
            _audit(ledger, item, "replay", reason, run_id, conn, target_id=outcome.target_id)
        summary.replayed.append(item.id)
    return summary


def _audit(
    ledger: Ledger,
    item: QueueItem,
    action: str,
    reason: str,
    run_id: str | None,
    conn: Any,
    target_id: str | None = None,
) -> None:
    """The audit event of what a replay did with ``item`` (hold, fail or replay)."""
    ledger.audit(
        integration=item.integration,
        flow=item.flow,
        entity=item.entity,
        action=action,
        source_id=item.source_key,
        target_id=target_id,
        reason=reason,
        run_id=run_id,
        conn=conn,
    )
