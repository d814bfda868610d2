"""Injected faults: latency, fail-next-N with a chosen status, random 5xx.

Applied to every ``/connect`` call after authentication and inside the caller's in-flight slot, so
injected latency makes parallel callers overlap exactly as slow real calls would (and trip BDC_1322).
Decisions come from their own seeded generator, so a run is reproducible and independent of the data.
The rate limits and the session idle timeout are not faults: they live in ``limits`` and are always on.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass

from . import errors
from .errors import BillError
from .settings import FaultSettings

GATEWAY_HTML = (
    "<html><head><title>{status} Gateway Error</title></head>"
    "<body><center><h1>{status} Gateway Error</h1></center></body></html>"
)


@dataclass
class InjectedHtml(Exception):
    """A load balancer's HTML error page instead of BILL's JSON array."""

    status: int


class FaultInjector:
    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed ^ 0x5EED)
        self._lock = threading.Lock()

    async def apply(self, faults: FaultSettings) -> None:
        """Sleep, then raise the failure due now (if any). ``faults.fail_next`` counts down."""
        with self._lock:
            delay_ms = faults.latency_ms + (
                self._rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0
            )
            status = None
            if faults.fail_next > 0:
                faults.fail_next -= 1
                status, reason = faults.fail_next_status, "fail_next"
            elif faults.random_error_rate and self._rng.random() < faults.random_error_rate:
                status, reason = faults.random_error_status, "random_error_rate"
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if status is None:
            return
        if faults.fault_body == "gateway_html":
            raise InjectedHtml(status)
        category = "SERVER" if status >= 500 else "REQUEST"
        raise BillError(
            status, [errors.Problem(errors.SYSTEM_ERROR, f"System error (sandbox fault: {reason})", category)]
        )
