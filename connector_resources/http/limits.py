"""Client-side caps that keep us under a vendor's documented limits instead of tripping them.

Two independent limits, both optional and both shared process-wide by a caller-chosen key (for
example ``bill:<organization id>``), so two clients that talk to the same account share one budget:

* ``InFlightLimit``: at most N requests outstanding at once (BILL allows 3 concurrent requests per
  organization and answers a fourth with ``BDC_1322``).
* ``RateLimit``: a token bucket of ``rate`` requests per second with ``burst`` tokens, so a client
  paces itself just under a published rate (Coupa: 25 per second) rather than learning it from 429s.

These hold inside one Python process. Across processes and machines the cap is a Dagster concurrency
pool (``dagster.yaml``'s ``concurrency.pools``); the two complement each other (the pool bounds runs, this
bounds threads). The registry never forgets a key: the number of keys is the number of configured accounts,
tiny.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# What the package re-exports (``connector_resources.http``).
__all__ = [
    "InFlightLimit",
    "RateLimit",
    "SlotTimeout",
    "shared_in_flight_limit",
    "shared_rate_limit",
]


class SlotTimeout(TimeoutError):
    """No in-flight slot freed up in time (distinct from a socket timeout on purpose)."""


class InFlightLimit:
    """A counting semaphore with a name and a deadline-aware ``slot()``."""

    def __init__(self, key: str, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"max_in_flight for {key!r} must be at least 1, got {limit}")
        self.key = key
        self.limit = limit
        self._semaphore = threading.BoundedSemaphore(limit)

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[None]:
        """Hold one of the ``limit`` slots; ``SlotTimeout`` if none frees up within ``timeout`` s."""
        if not self._semaphore.acquire(timeout=timeout):
            raise SlotTimeout(f"no free request slot for {self.key!r} (limit {self.limit}) in {timeout:.1f}s")
        try:
            yield
        finally:
            self._semaphore.release()


class RateLimit:
    """Token bucket: ``burst`` requests may go at once, then one every ``1 / rate`` seconds.

    ``acquire`` reserves a token even when the bucket is empty (the balance goes negative) and
    sleeps off its debt outside the lock, so waiters are served in arrival order without a
    condition variable and without holding the lock while sleeping.
    """

    def __init__(
        self,
        key: str,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate_per_second for {key!r} must be positive, got {rate}")
        if burst < 1:
            raise ValueError(f"rate burst for {key!r} must be at least 1, got {burst}")
        self.key = key
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()

    def acquire(self) -> float:
        """Take one token, sleeping until it is due; returns the seconds slept."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def reserve(self) -> float:
        """Take one token and return how long until it is due (no sleeping)."""
        with self._lock:
            now = self._clock()
            self._adapt(now)
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def _adapt(self, now: float) -> None:
        """Change ``rate`` by the time since the last token, under the lock: a fixed rate here (a bucket
        that learns its rate, Coupa's ``AdaptivePacer``, raises it again after a cut)."""


_registry_lock = threading.Lock()
_in_flight: dict[str, InFlightLimit] = {}
_rates: dict[str, RateLimit] = {}


def shared_in_flight_limit(key: str, limit: int) -> InFlightLimit:
    """The process-wide ``InFlightLimit`` for ``key``; every caller must ask for the same limit.

    Two different limits for one key are a configuration error (which one would be right?), so it
    raises instead of silently keeping the first.
    """
    with _registry_lock:
        existing = _in_flight.get(key)
        if existing is None:
            existing = _in_flight[key] = InFlightLimit(key, limit)
        elif existing.limit != limit:
            raise ValueError(
                f"max_in_flight for {key!r} is already {existing.limit}; a second client asked for {limit}"
            )
        return existing


def shared_rate_limit(key: str, rate: float, burst: int = 1) -> RateLimit:
    """The process-wide ``RateLimit`` for ``key``; every caller must ask for the same rate and burst."""
    with _registry_lock:
        existing = _rates.get(key)
        if existing is None:
            existing = _rates[key] = RateLimit(key, rate, burst)
        elif (existing.rate, existing.burst) != (float(rate), int(burst)):
            raise ValueError(
                f"rate limit for {key!r} is already {existing.rate}/s burst {existing.burst}; "
                f"a second client asked for {rate}/s burst {burst}"
            )
        return existing
