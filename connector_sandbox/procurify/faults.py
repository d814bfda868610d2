"""Injected weather: latency, failures, gateway timeouts, suspension and rate limits.

Applied to every simulated request (API and token endpoint, never ``/sandbox``) in this order:

1. the request's planned delay: ``latency_ms`` + jitter + ``latency_per_row_ms`` x page size;
2. if that exceeds ``gateway_timeout_seconds``, the load balancer gives up: wait that long, answer 504,
   and count a timeout against the application; after ``suspend_after_timeouts`` of them the
   application's API access is suspended (403) until ``/sandbox/suspensions/clear`` (Procurify's terms
   say too-large requests that time out can get access suspended; the 403 answer is an assumption);
3. otherwise wait, then ``fail_next`` (N answers with the chosen status, optionally only for paths
   under ``fail_next_path_prefix``), then ``random_error_rate`` 5xx (seeded, so runs repeat);
4. after authentication, the rate limit per application (DRF throttling: 429, ``Retry-After``).

5xx answers are HTML, as Django and load balancers send them.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections import Counter, deque

from .errors import ApiError, auth0_error, detail, html_server_error, injected_client_error
from .settings import FaultSettings


class SlidingWindow:
    """DRF SimpleRateThrottle: a history of request times per key; wait = window - age of the oldest."""

    def __init__(self) -> None:
        self._history: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str, limit: int, window: float, now: float) -> float | None:
        """None when allowed (and recorded), else seconds until the next request may pass."""
        with self._lock:
            history = self._history.setdefault(key, deque())
            while history and history[0] <= now - window:
                history.popleft()
            if len(history) >= limit:
                return max(0.0, window - (now - history[0]))
            history.append(now)
            return None

    def remaining(self, key: str, limit: int, window: float, now: float) -> int:
        with self._lock:
            history = self._history.get(key, deque())
            return max(0, limit - sum(1 for moment in history if moment > now - window))

    def clear(self) -> None:
        with self._lock:
            self._history.clear()


class FaultGate:
    """The live fault state of one server."""

    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self.settings = settings
        self.rng = random.Random(seed ^ 0x5EED)
        self.api_window = SlidingWindow()
        self.token_window = SlidingWindow()
        self.timeouts: Counter[str] = Counter()
        self.suspended: set[str] = set()
        self.throttled = 0
        self.injected = 0
        self._lock = threading.Lock()

    def replace(self, settings: FaultSettings) -> None:
        self.settings = settings

    def clear_suspensions(self) -> int:
        with self._lock:
            count = len(self.suspended)
            self.suspended.clear()
            self.timeouts.clear()
            return count

    async def before_request(self, path: str, rows: int, client_id: str | None) -> None:
        faults = self.settings
        delay = faults.latency_ms / 1000 + faults.latency_per_row_ms * rows / 1000
        if faults.latency_jitter_ms:
            delay += self.rng.uniform(0, faults.latency_jitter_ms) / 1000
        if faults.gateway_timeout_seconds is not None and delay > faults.gateway_timeout_seconds:
            await asyncio.sleep(faults.gateway_timeout_seconds)
            self._count_timeout(client_id)
            raise html_server_error(504)
        if delay:
            await asyncio.sleep(delay)
        failure = self._take_fail_next(path)
        if failure is not None:
            raise failure
        if faults.random_error_rate and self.rng.random() < faults.random_error_rate:
            self.injected += 1
            raise html_server_error(faults.random_error_status)

    def _take_fail_next(self, path: str) -> ApiError | None:
        with self._lock:
            faults = self.settings
            if faults.fail_next <= 0:
                return None
            if faults.fail_next_path_prefix and not path.startswith(faults.fail_next_path_prefix):
                return None
            self.settings = faults.model_copy(update={"fail_next": faults.fail_next - 1})
            self.injected += 1
        status = faults.fail_next_status
        if status >= 500:
            return html_server_error(status)
        if status == 429:
            return detail(429, "Request was throttled. Expected available in 1 second.", {"Retry-After": "1"})
        return injected_client_error(status)

    def _count_timeout(self, client_id: str | None) -> None:
        if client_id is None:
            return
        with self._lock:
            self.timeouts[client_id] += 1
            limit = self.settings.suspend_after_timeouts
            if limit and self.timeouts[client_id] >= limit:
                self.suspended.add(client_id)

    def check_suspended(self, client_id: str) -> None:
        if client_id in self.suspended:
            raise detail(
                403, "API access for this application has been suspended. Contact Procurify support."
            )

    def throttle_api(self, client_id: str) -> None:
        faults = self.settings
        if faults.rate_limit_requests is None:
            return
        wait = self.api_window.check(
            client_id, faults.rate_limit_requests, faults.rate_limit_window_seconds, time.monotonic()
        )
        if wait is not None:
            self.throttled += 1
            seconds = max(1, math.ceil(wait))
            plural = "second" if seconds == 1 else "seconds"
            raise detail(
                429,
                f"Request was throttled. Expected available in {seconds} {plural}.",
                {"Retry-After": str(seconds)},
            )

    def throttle_token(self, key: str, epoch_now: float) -> dict[str, str]:
        """Auth0's token-endpoint limit: 429 with x-ratelimit-* headers; returns headers for a 200."""
        faults = self.settings
        if faults.token_rate_limit_requests is None:
            return {}
        limit, window = faults.token_rate_limit_requests, faults.token_rate_limit_window_seconds
        now = time.monotonic()
        wait = self.token_window.check(key, limit, window, now)
        reset = str(int(epoch_now + (wait if wait is not None else window)))
        if wait is not None:
            self.throttled += 1
            headers = {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": reset,
                "Retry-After": str(max(1, math.ceil(wait))),
            }
            raise auth0_error(429, "too_many_requests", "Too Many Requests", headers)
        remaining = self.token_window.remaining(key, limit, window, now)
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": reset,
        }
