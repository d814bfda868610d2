"""The documented rate limits, enforced for real (reference 2.3).

* Requests per devKey per window (20,000 per hour): BDC_1144 for every further call until the window
  ends. Windows are aligned to multiples of their length since the epoch ("the top of the hour").
* Logins per devKey per window (200 per hour): BDC_1144 on /v3/login.
* Requests in flight per devKey + organization (3): the fourth concurrent request gets BDC_1322 at
  once; a slot frees when a request completes. Counted across every thread and connection.
* SMS-sending calls (MFA challenge): 5 per minute per user.

Every call that names a known devKey counts toward its hourly budget, rejected ones included.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import errors
from .errors import BillError
from .settings import BillSandboxSettings


class RateLimiter:
    def __init__(self, settings: Callable[[], BillSandboxSettings]) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._requests: dict[str, tuple[int, int]] = {}  # devKey -> (window, count)
        self._logins: dict[str, tuple[int, int]] = {}
        self._in_flight: Counter[tuple[str, str]] = Counter()
        self.max_in_flight: Counter[str] = Counter()  # org -> high-water mark
        self._sms: dict[str, deque[float]] = {}

    def _window(self) -> tuple[int, float]:
        length = self._settings().limits.rate_window_seconds
        now = time.time()
        index = math.floor(now / length)
        return index, (index + 1) * length - now

    def _rejection(self, code: str, message: str, retry_after: float) -> BillError:
        variants = self._settings().variants
        headers = (
            {"Retry-After": str(max(1, math.ceil(retry_after)))} if variants.rate_limit_retry_after else {}
        )
        problem = errors.Problem(code, message, "APPLICATION")
        return BillError(variants.rate_limit_status, [problem], headers)

    def _take(self, table: dict[str, tuple[int, int]], dev_key: str, limit: int, what: str) -> None:
        window, remaining = self._window()
        with self._lock:
            current, count = table.get(dev_key, (window, 0))
            count = count + 1 if current == window else 1
            table[dev_key] = (window, count)
        if count > limit:
            raise self._rejection(
                errors.HOURLY_LIMIT, f"Max number of allowed {what} per hour reached: {limit}.", remaining
            )

    def take_request(self, dev_key: str) -> None:
        self._take(self._requests, dev_key, self._settings().limits.requests_per_hour, "requests")

    def take_login(self, dev_key: str) -> None:
        self._take(self._logins, dev_key, self._settings().limits.logins_per_hour, "logins")

    @contextmanager
    def in_flight(self, dev_key: str, org_id: str) -> Iterator[None]:
        key = (dev_key, org_id)
        limit = self._settings().limits.max_concurrent_per_org
        with self._lock:
            if self._in_flight[key] >= limit:
                busy = True
            else:
                busy = False
                self._in_flight[key] += 1
                self.max_in_flight[org_id] = max(self.max_in_flight[org_id], self._in_flight[key])
        if busy:
            raise self._rejection(
                errors.CONCURRENCY_LIMIT, "Max number of concurrent requests per organization reached.", 1
            )
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[key] -= 1

    def take_sms(self, user_id: str) -> None:
        limit = self._settings().limits.sms_per_minute
        now = time.monotonic()
        with self._lock:
            recent = self._sms.setdefault(user_id, deque())
            while recent and now - recent[0] > 60:
                recent.popleft()
            allowed = len(recent) < limit
            if allowed:
                recent.append(now)
        if not allowed:
            raise self._rejection(
                errors.LIMIT_EXCEEDED, f"Max number of SMS/email requests per minute reached: {limit}.", 60
            )

    def reset(self) -> None:
        """Operator call: start fresh windows (the real reset happens at the top of the hour)."""
        with self._lock:
            self._requests.clear()
            self._logins.clear()
            self._sms.clear()
            self.max_in_flight.clear()

    def snapshot(self) -> dict[str, object]:
        window, remaining = self._window()
        with self._lock:
            return {
                "window_seconds_remaining": round(remaining, 3),
                # Summed over devKeys: the key itself is a secret and never shown.
                "requests_this_window": sum(
                    count for current, count in self._requests.values() if current == window
                ),
                "logins_this_window": sum(
                    count for current, count in self._logins.values() if current == window
                ),
                "in_flight": {org: count for (_, org), count in self._in_flight.items() if count},
                "max_in_flight": dict(self.max_in_flight),
            }
