"""A record the target holds differently while its own flow's retry queue holds it: one expected gap, not a
difference per field.

A flow that finds the target's record out of date sends an update; the target may refuse it (a rule, a
locked document), a person may hold or abandon it. Until it is replayed the target keeps the record as it
was, so its fields differ from what the flow writes because the update waits in the queue, which already
says why. A reconciliation therefore compares a record's fields inside ``queued_differences``: when any
field differs and the flow's queue holds the record under one of its keys (``Expectations``: failed, held
or abandoned, under any key form), the record is counted once as ``expected_<kind>`` with the queue's
reason, as a missing record is; otherwise each field difference stays named, with both values.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from connector_assets.flows.reconciliation import Report

__all__ = ["Queue", "queued_differences"]


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
