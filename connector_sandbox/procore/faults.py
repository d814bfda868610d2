"""Injected latency and failures, applied to every API and login call before it is handled.

Order: latency (+ seeded jitter), then fail-next-N with the chosen status, then random 5xx at the chosen
rate. Every injected 429 and 503 carries ``Retry-After`` (Procore documents it for both). The body is the
Rails JSON error, or the HTML page a load balancer would send (``injected_error_body``). Token lifetime,
rate limits and the unfiltered-list 408 are applied where they belong (``tokens``, ``ratelimit``,
``listing``), read from the same live settings.
"""

from __future__ import annotations

import asyncio
import random
from http import HTTPStatus

from starlette.responses import HTMLResponse, Response

from .errors import ApiError
from .settings import FaultSettings, VariantSettings


class FaultInjector:
    def __init__(self, seed: int) -> None:
        # Its own generator so fault decisions are reproducible for a seed and independent of the data.
        self.rng = random.Random(seed ^ 0x5EED)

    async def delay(self, faults: FaultSettings) -> None:
        delay_ms = faults.latency_ms + (
            self.rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0
        )
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)

    def pick_failure(self, faults: FaultSettings) -> tuple[FaultSettings, int | None]:
        """(faults after this call, status to fail with or None); fail_next counts down."""
        if faults.fail_next > 0:
            return faults.model_copy(update={"fail_next": faults.fail_next - 1}), faults.fail_next_status
        if faults.random_error_rate and self.rng.random() < faults.random_error_rate:
            return faults, faults.random_error_status
        return faults, None


def failure_response(status: int, faults: FaultSettings, variants: VariantSettings) -> Response:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    headers = {"Retry-After": str(faults.retry_after_seconds)} if status in (429, 503) else {}
    if faults.injected_error_body == "html":
        page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
        return HTMLResponse(page, status_code=status, headers=headers)
    return ApiError(status, phrase, headers=headers).response(variants.error_body)
