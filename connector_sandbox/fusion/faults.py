"""Injected misbehaviour: latency, fail-next-N, random 5xx, maintenance windows, throttling and slow
deep offsets (reference quirks 4, 7 and 11).

Decisions use the pod's own seeded generator, so a failing run can be replayed with the same seed.
Throttling is a fixed window per calling user on the sandbox clock: Oracle publishes no numbers, so
it is off until ``rate_limit_requests`` is set, and then answers the 429 practitioners report.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import random
from typing import Literal

from .errors import FusionError
from .settings import FaultSettings

Scope = Literal["api", "token"]


class RateLimiter:
    """Fixed windows per key: at most ``limit`` calls per ``window`` seconds."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}
        self.throttled = 0

    def check(self, key: str, limit: int, window: float, now: dt.datetime) -> float | None:
        """None when the call may proceed, else the seconds until the window reopens."""
        moment = now.timestamp()
        start, count = self._windows.get(key, (moment, 0))
        if moment - start >= window:
            start, count = moment, 0
        if count >= limit:
            self.throttled += 1
            return max(0.0, start + window - moment)
        self._windows[key] = (start, count + 1)
        return None

    def reset(self) -> None:
        self._windows.clear()


class FaultInjector:
    """Applies the live ``FaultSettings`` to one call; returns the error to answer, if any."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed ^ 0x5EED)
        self.injected = 0

    async def apply(self, faults: FaultSettings, scope: Scope) -> tuple[FaultSettings, FusionError | None]:
        """(faults after this call, error or None). fail_next counts down only on calls it hits."""
        delay_ms = faults.latency_ms + (
            self.rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0
        )
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if scope == "api" and faults.maintenance:
            self.injected += 1
            return faults, FusionError(
                503, "Service Unavailable", code="SBX-503", headers={"Retry-After": "300"}, body_kind="html"
            )
        if faults.fail_next > 0 and faults.fail_next_scope in (scope, "all"):
            self.injected += 1
            error = FusionError(
                faults.fail_next_status,
                "Sandbox injected failure (fail_next).",
                code=f"SBX-{faults.fail_next_status}",
                body_kind=faults.fail_next_body,
            )
            return faults.model_copy(update={"fail_next": faults.fail_next - 1}), error
        if scope == "api" and faults.random_error_rate and self.rng.random() < faults.random_error_rate:
            self.injected += 1
            return faults, FusionError(
                faults.random_error_status,
                "Sandbox injected failure (random_error_rate).",
                code=f"SBX-{faults.random_error_status}",
            )
        return faults, None


async def deep_offset_delay(faults: FaultSettings, offset: int) -> None:
    """Quirk 4: far offsets are slow on a real pod; the sandbox sleeps in proportion."""
    if faults.deep_offset_ms_per_1000 and offset >= faults.deep_offset_threshold:
        await asyncio.sleep(faults.deep_offset_ms_per_1000 * (offset / 1000) / 1000)


def skewed_total(total: int, skew: float) -> int:
    """Quirk 2: ``totalResults`` is an estimate."""
    return max(0, math.floor(total * (1 + skew)))
