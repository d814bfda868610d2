"""A record the target holds differently while its own flow's retry queue holds it: one expected gap, not a
difference per field. Until the queued update is replayed the target keeps the record as it was, and the
queue already says why; a record not in the queue keeps each field difference named.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from connector_assets.flows.reconciliation import Report


class Queue(Protocol):
    """A flow's retry queue as a reconciliation asks it (``Expectations``)."""

    def account_for(self, report: Report, record: str, *keys: str) -> bool: ...


@contextmanager
def queued_differences(report: Report, queue: Queue | None, record: str, *keys: str) -> Iterator[None]:
    """Around one record's comparison on ``report``: the differences named inside are taken back and the
    record counted as one expected gap (named ``<record> (<fields> differ)``) when ``queue`` holds it under
    one of ``keys``; left as they are when it does not, or when no ``queue`` is given."""
    since = len(report.differences)
    yield
    named = report.differences[since:]
    if not named or queue is None:
        return
    fields = list(dict.fromkeys(d.field for d in named))
    differ = "differs" if len(fields) == 1 else "differ"
    if queue.account_for(report, f"{record} ({', '.join(fields)} {differ})", *keys):
        report.take_back(since)
