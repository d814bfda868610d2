"""Counters of what an API client did, for Dagster materialization metadata and run logs.

Counting happens per HTTP attempt, because that is what vendors meter (BILL's 20,000 calls per
hour, Coupa's 25 per second): a request that took three tries is three ``calls`` and two
``retries``. A long-lived resource keeps one ``CallMetrics``; an asset reports only its own share
with ``metrics.since(before)`` where ``before = metrics.snapshot()`` was taken when it started.
"""

from __future__ import annotations

import threading
from collections import Counter


class CallMetrics:
    """Thread-safe HTTP counters.

    ``calls``: attempts sent (retries, re-auth replays and token requests included);
    ``retries``: attempts made because an earlier one failed transiently; ``reauths``: credentials
    refreshed because the server said the session expired; ``errors``: ``ApiError``s raised to
    callers; ``bytes_*``: request / response body bytes; ``seconds``: wall time spent in HTTP
    exchanges; ``wait_seconds``: time slept in backoff and client-side rate limiting;
    ``statuses``: answers per HTTP status.
    """

    _COUNTERS = ("calls", "retries", "reauths", "errors", "bytes_sent", "bytes_received")
    _TIMERS = ("seconds", "wait_seconds")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0
        self.reauths = 0
        self.errors = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.seconds = 0.0
        self.wait_seconds = 0.0
        self.statuses: Counter[int] = Counter()

    def record_attempt(self, bytes_sent: int, *, retry: bool) -> None:
        """One HTTP attempt is about to go out."""
        with self._lock:
            self.calls += 1
            self.bytes_sent += bytes_sent
            if retry:
                self.retries += 1

    def record_outcome(self, seconds: float, status: int | None = None, bytes_received: int = 0) -> None:
        """An attempt finished (``status`` is None when no response arrived)."""
        with self._lock:
            self.seconds += seconds
            self.bytes_received += bytes_received
            if status is not None:
                self.statuses[status] += 1

    def record_reauth(self) -> None:
        with self._lock:
            self.reauths += 1

    def record_error(self) -> None:
        with self._lock:
            self.errors += 1

    def record_wait(self, seconds: float) -> None:
        with self._lock:
            self.wait_seconds += seconds

    def snapshot(self) -> CallMetrics:
        """An independent copy of the counters as they are now."""
        copy = CallMetrics()
        with self._lock:
            for name in self._COUNTERS + self._TIMERS:
                setattr(copy, name, getattr(self, name))
            copy.statuses = Counter(self.statuses)
        return copy

    def merge(self, other: CallMetrics) -> CallMetrics:
        """Add ``other``'s counts into this one (e.g. several clients of one asset); returns self."""
        theirs = other.snapshot()
        with self._lock:
            for name in self._COUNTERS + self._TIMERS:
                setattr(self, name, getattr(self, name) + getattr(theirs, name))
            self.statuses.update(theirs.statuses)
        return self

    def since(self, earlier: CallMetrics) -> CallMetrics:
        """What happened after ``earlier`` (a ``snapshot()`` of this object) was taken."""
        now = self.snapshot()
        delta = CallMetrics()
        for name in self._COUNTERS + self._TIMERS:
            setattr(delta, name, getattr(now, name) - getattr(earlier, name))
        statuses = Counter(now.statuses)
        statuses.subtract(earlier.statuses)
        delta.statuses = Counter({status: n for status, n in statuses.items() if n > 0})
        return delta

    def as_metadata(self, prefix: str = "http_") -> dict[str, int | float]:
        """Flat ``{name: number}`` for ``MaterializeResult(metadata=...)``; statuses as ``status_<code>``."""
        snap = self.snapshot()
        out: dict[str, int | float] = {f"{prefix}{name}": getattr(snap, name) for name in self._COUNTERS}
        for name in self._TIMERS:
            out[f"{prefix}{name}"] = round(getattr(snap, name), 3)
        for status in sorted(snap.statuses):
            out[f"{prefix}status_{status}"] = snap.statuses[status]
        return out

    def __repr__(self) -> str:
        return f"CallMetrics({self.as_metadata(prefix='')})"
