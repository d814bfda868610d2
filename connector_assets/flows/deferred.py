"""What a write step records after each write (target id, audit event, release of held records), written
in the transaction of one of the step's later durable claims instead of a commit of its own, for a batch.

Why: the claim must be on disk before the create; the target id need not be (the rerun adopts a record whose
id was lost), and on SQLite every commit is a WAL fsync. A record the ledger refuses (``LedgerError``) is
queued as failed in the same transaction; any other error puts everything back for the next flush. When a
batch is written: docs/flows.md, "The write step's ledger work".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from connector_resources import settings
from connector_resources.ledger import Ledger, LedgerError, Recording

Write = Callable[[Any], int]  # connection -> held records released
OnFailure = Callable[[Any, LedgerError], None]  # connection, why -> queue it (in that transaction)
BATCH_ENV = "ML_LEDGER_RECORD_BATCH"
BATCH_SECONDS_ENV = "ML_LEDGER_RECORD_BATCH_SECONDS"


@dataclass(slots=True)  # one per record written: not frozen, which costs a setattr per field
class Pending:
    """One written record to record. ``write`` records it alone (and releases what waited on it);
    a ``recording`` lets a batch record it with others (``Ledger.record_written``), after which only a
    record with items held on its ``depends_on`` runs ``release``."""

    source_key: str
    action: str  # what the step counted for it: create | update
    write: Write
    on_failure: OnFailure
    recording: Recording | None = None
    depends_on: str | None = None  # the key records held on this one wait on (None: nothing released)
    release: Write | None = None  # releases what is held on it (after it is recorded)


def batch_limits(environ: dict[str, str] | None = None) -> tuple[int, float]:
    """``ML_LEDGER_RECORD_BATCH`` (records, at least 1) and ``ML_LEDGER_RECORD_BATCH_SECONDS``."""
    return settings.read(BATCH_ENV, environ), float(settings.read(BATCH_SECONDS_ENV, environ))


class DeferredWrites:
    """The records a write step has written but not yet recorded; safe across the step's threads."""

    def __init__(self, batch: int | None = None, max_age_seconds: float | None = None) -> None:
        if batch is None or max_age_seconds is None:
            default_batch, default_age = batch_limits()
            batch = default_batch if batch is None else batch
            max_age_seconds = default_age if max_age_seconds is None else max_age_seconds
        self.batch, self.max_age = batch, max_age_seconds
        self._lock = threading.Lock()
        self._pending: list[Pending] = []
        self._keys: set[str] = set()  # the source keys pending
        self._oldest = 0.0  # monotonic time the oldest pending record was added
        self.released = 0  # held records released by what was flushed
        self.failed: list[Pending] = []  # recorded as failed instead (queued, with their reason)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def add(self, pending: Pending) -> None:
        with self._lock:
            if not self._pending:
                self._oldest = time.monotonic()
            self._pending.append(pending)
            self._keys.add(pending.source_key)

    def due(self, source_key: str) -> bool:
        """Whether what is pending must be recorded before ``source_key`` is looked at: it is pending
        itself (its next record must see it written, or it would be searched for, or created again), the
        batch is full, or the oldest has waited long enough."""
        with self._lock:
            return bool(self._pending) and (
                source_key in self._keys
                or len(self._pending) >= self.batch
                or time.monotonic() - self._oldest >= self.max_age
            )

    @contextmanager
    def committing(self, ledger: Ledger) -> Iterator[Callable[[Any], None]]:
        """Take what is pending and yield what writes it in a transaction's connection; the block must
        include that commit. If it raises, everything taken goes back for the next flush. Taking the
        items first means two threads never write one twice."""
        with self._lock:
            taken, self._pending, self._keys = self._pending, [], set()
            oldest = self._oldest
        outcome: dict[str, Any] = {"released": 0, "failed": []}

        def write(conn: Connection) -> None:
            outcome["released"], outcome["failed"] = self.write_in(conn, taken, ledger)

        try:
            yield write
        except BaseException:
            with self._lock:
                self._pending[:0] = taken
                self._keys.update(item.source_key for item in taken)
                if taken:  # added before anything pending now
                    self._oldest = oldest
            raise
        ledger.forget_unrecorded(item.recording for item in taken if item.recording is not None)
        with self._lock:
            self.released += outcome["released"]
            self.failed.extend(outcome["failed"])

    def write_in(self, conn: Connection, items: list[Pending], ledger: Ledger) -> tuple[int, list[Pending]]:
        """Record ``items`` (those with a ``recording`` in one batch, the rest one by one, each recorded or
        queued as failed); returns the held records released and the items queued as failed."""
        batched = [item for item in items if item.recording is not None]
        recorded = ledger.record_written([item.recording for item in batched], conn=conn) if batched else None
        done = [item for item, ok in zip(batched, recorded.done, strict=True) if ok] if recorded else []
        released = 0
        held = recorded.held if recorded else frozenset()
        for item in done:
            if item.release is not None and item.depends_on in held:
                released += item.release(conn)
        failed = []
        finished = {id(item) for item in done}
        for item in items:
            if id(item) in finished:
                continue
            try:
                released += item.write(conn)
            except LedgerError as exc:  # this record's own problem: queued, the others go on
                item.on_failure(conn, exc)
                failed.append(item)
        return released, failed

    def flush(self, ledger: Ledger) -> None:
        """Write what is pending in a transaction of its own (end of step, or no claim comes next)."""
        if len(self):
            with self.committing(ledger) as write, ledger.transaction() as conn:
                write(conn)
