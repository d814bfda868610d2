"""Fault injection and the rate limiter.

Order on every ``/api`` call: rate limit (a 429 costs no latency, as a gateway answers it), then
injected latency (+ jitter), fail-next-N, random 5xx, authentication, the handler, and finally the
per-record latency of large responses, with a 504 when the total would pass the gateway timeout.
Randomness comes from one seeded generator so a run with the same settings is reproducible.
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time

from .formats import CoupaError
from .settings import FaultSettings


@dataclasses.dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclasses.dataclass(frozen=True)
class RateDecision:
    allowed: bool
    remaining: int
    # Seconds until one call's worth of capacity is back (what a Retry-After would say).
    retry_after: float


class RateLimiter:
    """Token bucket per key: holds ``burst`` calls, refills at ``rate`` per second (the leaky bucket
    third-party integrators describe: calls succeed again as it drains)."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.limited = 0

    def take(self, key: str, rate: float, burst: int, now: float | None = None) -> RateDecision:
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return RateDecision(True, math.floor(bucket.tokens), 0.0)
            self.limited += 1
            return RateDecision(False, 0, (1.0 - bucket.tokens) / rate)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


def rate_limited_error(decision: RateDecision, faults: FaultSettings) -> CoupaError:
    headers: dict[str, str] = {}
    if faults.rate_limit_retry_after:
        headers["Retry-After"] = str(max(1, math.ceil(decision.retry_after)))
    if faults.rate_limit_headers:
        headers.update(rate_limit_headers(decision, faults))
    return CoupaError(429, "Too many requests. Please slow down and retry later.", headers=headers)


def rate_limit_headers(decision: RateDecision, faults: FaultSettings) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(int(faults.rate_limit_per_second)),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(max(0, math.ceil(decision.retry_after))),
    }


def planned_latency_ms(faults: FaultSettings, rng: random.Random) -> float:
    jitter = rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0.0
    return faults.latency_ms + jitter


def injected_failure(faults: FaultSettings, rng: random.Random) -> tuple[FaultSettings, CoupaError | None]:
    """The fail-next / random-error decision; returns the (possibly decremented) live fault settings."""
    if faults.fail_next > 0:
        remaining = faults.model_copy(update={"fail_next": faults.fail_next - 1})
        return remaining, CoupaError(faults.fail_next_status, "Sandbox injected failure (fail_next)")
    if faults.random_error_rate and rng.random() < faults.random_error_rate:
        return faults, CoupaError(faults.random_error_status, "Sandbox injected failure (random_error_rate)")
    return faults, None


def gateway_timeout() -> CoupaError:
    return CoupaError(504, "Gateway Timeout: the request took too long")
