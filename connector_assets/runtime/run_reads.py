"""``RunReads``: what the days of one run share, so a backfill reads a record once, not once a day (a mapping
step maps its range day by day, each day on a new session). Kept for the latest run only, so a
long-lived process holds no old reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class RunReads(Generic[T]):
    """Run id -> the reads its days share, made by ``new`` for a run not seen yet."""

    def __init__(self, new: Callable[[], T]) -> None:
        self._new = new
        self._lock = threading.Lock()
        self._runs: dict[str, T] = {}

    def __call__(self, run_id: str) -> T:
        with self._lock:
            if run_id not in self._runs:
                self._runs.clear()
                self._runs[run_id] = self._new()
            return self._runs[run_id]

    def of(self, context: object) -> T | None:
        """The reads of the run ``context`` (a step's) belongs to; None for one naming no run (a test's)."""
        run = getattr(getattr(context, "run", None), "run_id", None)
        return None if run is None else self(str(run))


_FIRSTS: RunReads[set[str]] = RunReads(set)


def first_in_run(context: object, name: str) -> bool:
    """Whether ``name`` (a step that reads its range's every day ahead, on its first day) is asked for the
    first time in the run of ``context``; False for a context naming no run (it reads its own day)."""
    asked = _FIRSTS.of(context)
    if asked is None or name in asked:
        return False
    asked.add(name)
    return True
