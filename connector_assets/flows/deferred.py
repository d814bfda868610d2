"""What a write step records after each write (target id, audit event, release of held records), written
in the transaction of the step's next durable claim instead of a commit of its own.

Why: on SQLite every commit is a WAL fsync, and a record used to cost four (its claim, the claim renewed
before the create, its target id with its audit event, the release of held records). The claim must be
on disk before the create (it is what makes a crash recoverable); the target id need not be: a crash
after a create whose id was not yet recorded leaves a claim without a target id, and the rerun searches
the target by natural key and adopts the record (``write_one``'s "matching before create", proven by the
kill -9 tests). So the id rides along with the next claim's commit, and a record written costs one commit.

How long a record's id may wait: never past the start of the step's next record (its claim, or for a
known record its look-up, flushes first; ``flows.core._claim``), nor past the end of its worker's loop
or of the step (``PartitionWriter.run`` flushes in ``finally``, on error too). A record whose recording
fails for a reason of its own (``LedgerError``: a conflict, a value the ledger refuses) is queued as
failed with that reason in the same transaction (``on_failure``), so one bad record never blocks the
others; any other error (the database) puts everything back and raises, to be written by the next flush.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connector_resources.ledger import Ledger, LedgerError

Write = Callable[[Any], int]  # connection -> held records released
OnFailure = Callable[[Any, LedgerError], None]  # connection, why -> queue it (in that transaction)


@dataclass(frozen=True)
class Pending:
    source_key: str
    action: str  # what the step counted for it: create | update
    write: Write
    on_failure: OnFailure


class DeferredWrites:
    """The records a write step has written but not yet recorded; safe across the step's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Pending] = []
        self.released = 0  # held records released by what was flushed
        self.failed: list[Pending] = []  # recorded as failed instead (queued, with their reason)

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)

    def add(self, pending: Pending) -> None:
        with self._lock:
            self._pending.append(pending)

    @contextmanager
    def committing(self) -> Iterator[Callable[[Any], None]]:
        """Take what is pending and yield what writes it in a transaction's connection; the block must
        include that transaction's commit. If the block raises (the write, the commit, or before the
        writer ran), everything taken goes back, to be written by the next flush; only a block that ends
        normally counts it as recorded. Taking the items first means two threads never write one twice."""
        with self._lock:
            taken, self._pending = self._pending, []
        outcome: dict[str, Any] = {"released": 0, "failed": []}

        def write(conn: Any) -> None:
            outcome["released"], outcome["failed"] = self.write_in(conn, taken)

        try:
            yield write
        except BaseException:
            with self._lock:
                self._pending[:0] = taken
            raise
        with self._lock:
            self.released += outcome["released"]
            self.failed.extend(outcome["failed"])

    def write_in(self, conn: Any, items: list[Pending]) -> tuple[int, list[Pending]]:
        """The statements of the flush: each item's records, or its failure queued. Returns how many held
        records were released, and the items queued as failed instead."""
        released, failed = 0, []
        for item in items:
            try:
                released += item.write(conn)
            except LedgerError as exc:  # this record's own problem: queued, the others go on
                item.on_failure(conn, exc)
                failed.append(item)
        return released, failed

    def flush(self, ledger: Ledger) -> None:
        """Write what is pending in a transaction of its own (end of step, or no claim comes next)."""
        if len(self):
            with self.committing() as write, ledger.transaction() as conn:
                write(conn)
