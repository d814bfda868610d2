"""The receiver's single inbox writer: group commit, durable before the 200.

Each request hands its verified delivery to ``InboxWriter.put`` and waits. One writer task drains
whatever has queued up (up to ``batch_cap``), stores the lot in one ledger transaction
(``Ledger.inbox_put_many``) on one dedicated thread, and only after the commit returns resolves each
request's future with its own ``stored`` flag; only then does the request answer 200. While a batch
commits the next one gathers, so under load a commit (on SQLite: one WAL fsync) is shared by every
event that arrived meanwhile, and connections never queue for SQLite's write lock, because there is
only one writer per receiver process. A batch that fails to commit fails every request in it
(``InboxWriteFailed``, answered 503 so the sender retries): no 200 is ever sent for an event the
database did not confirm.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from connector_resources.ledger import Ledger
from connector_resources.ledger.ledger import InboxDelivery
from connector_resources.redaction import get_logger

log = get_logger(__name__)

# More than any realistic burst of concurrent deliveries per commit; it bounds one transaction's size
# (and the time every request of the batch waits on it) when a backlog has built up.
DEFAULT_BATCH_CAP = 256


class InboxWriteFailed(Exception):
    """The delivery's batch was not committed (or the receiver is shutting down); nothing was stored."""


@dataclass(slots=True)
class _Waiting:
    delivery: InboxDelivery
    answer: asyncio.Future[bool]


@dataclass(frozen=True, slots=True)
class WriterStats:
    """What the writer has committed so far: ``events / batches`` is the mean group size."""

    batches: int
    events: int
    largest_batch: int


_STOP = object()


class InboxWriter:
    """One writer per receiver process; ``put`` from request handlers, ``aclose`` on shutdown."""

    def __init__(self, ledger: Ledger, *, batch_cap: int = DEFAULT_BATCH_CAP) -> None:
        if batch_cap < 1:
            raise ValueError(f"batch_cap must be at least 1, got {batch_cap}")
        self._ledger = ledger
        self._batch_cap = batch_cap
        self._queue: asyncio.Queue[_Waiting | object] | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._conn: sa.Connection | None = None  # the writer thread's own; only that thread touches it
        self._closing = False
        self._batches = 0
        self._events = 0
        self._largest = 0

    @property
    def stats(self) -> WriterStats:
        return WriterStats(batches=self._batches, events=self._events, largest_batch=self._largest)

    def start(self) -> None:
        """Start the writer on the running loop; idempotent (``put`` calls it: servers without lifespan)."""
        if self._task is not None and not self._task.done():
            return
        self._closing = False
        self._queue = asyncio.Queue()
        # One thread, so every commit goes through one connection in order and none waits on another.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-inbox-writer")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="webhook-inbox-writer")

    async def put(self, delivery: InboxDelivery) -> bool:
        """Store ``delivery`` with whatever else is waiting; True if stored, False if already in the inbox.

        Returns only after the transaction holding it committed; raises ``InboxWriteFailed`` if it did not.
        """
        if self._closing:
            raise InboxWriteFailed("the receiver is shutting down")
        self.start()
        assert self._queue is not None
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Waiting(delivery, answer))
        return await answer

    async def aclose(self) -> None:
        """Refuse new deliveries, commit every one already queued, then stop the writer and its thread."""
        self._closing = True
        if self._task is not None and self._queue is not None:
            self._queue.put_nowait(_STOP)
            await self._task
        if self._thread is not None:
            self._thread.submit(self._close_connection)
            self._thread.shutdown(wait=True)
        self._task = self._queue = self._thread = None

    async def _run(self) -> None:
        assert self._queue is not None
        stopping = False
        while not stopping:
            item = await self._queue.get()
            batch: list[_Waiting] = []
            while item is not None:
                if item is _STOP:
                    stopping = True
                    break
                assert isinstance(item, _Waiting)
                batch.append(item)
                more = len(batch) < self._batch_cap and not self._queue.empty()
                item = self._queue.get_nowait() if more else None
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Waiting]) -> None:
        assert self._thread is not None
        loop = asyncio.get_running_loop()
        deliveries = [waiting.delivery for waiting in batch]
        try:
            stored = await loop.run_in_executor(self._thread, self._store, deliveries)
        except BaseException as exc:
            # Cancelled or failed: the database did not confirm this batch, so no request in it may say 200.
            log.error("webhook inbox: a batch of %d deliveries was not stored: %s", len(batch), _reason(exc))
            failure = InboxWriteFailed(f"not stored: {type(exc).__name__}")
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            return
        self._batches += 1
        self._events += len(batch)
        self._largest = max(self._largest, len(batch))
        for waiting, was_stored in zip(batch, stored, strict=True):
            if not waiting.answer.done():  # the request may have been cancelled (client went away)
                waiting.answer.set_result(was_stored)

    def _store(self, deliveries: Sequence[InboxDelivery]) -> list[bool]:
        """On the writer thread: one transaction on the writer's own connection, committed on return.

        The connection stays open between batches: checking one out of the pool and wrapping it for each
        transaction cost more of the writer's CPU (which holds the GIL the event loop needs) than the
        inserts themselves. After any failure it is closed, so the next batch starts on a new one.
        """
        if self._conn is None:
            self._conn = self._ledger.engine.connect()
        try:
            with self._conn.begin():  # BEGIN IMMEDIATE on SQLite (the ledger's begin hook); COMMIT on exit
                return self._ledger.inbox_put_many(deliveries, conn=self._conn)
        except BaseException:
            self._close_connection()
            raise

    def _close_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception as exc:  # a broken connection: the pool discards it
                log.warning("webhook inbox: closing the writer's connection failed: %s", _reason(exc))


def _reason(exc: BaseException) -> str:
    """The database's own message, without SQLAlchemy's echo of the bound parameters (event bodies)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {exc.orig}"
    return f"{type(exc).__name__}: {exc}"
