"""The fault switches every simulator offers, with the same names, bounds and defaults.

Each simulator's ``FaultSettings`` subclasses ``FaultKnobs`` and adds what its vendor's failures look
like (an HTML gateway page, a maintenance window, a token lifetime, a rate limit). A test that slows
down or breaks one simulator therefore sends the same fields to any of them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FaultKnobs(BaseModel):
    """Latency, the next N calls failing, and a rate of random 5xx; unknown fields are refused.

    Applied by each simulator's fault injector to its API routes, never to ``/sandbox``; changed live
    with ``POST /sandbox/faults``.
    """

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=120_000)
    latency_jitter_ms: int = Field(default=0, ge=0, le=120_000)
    random_error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    random_error_status: int = Field(default=503, ge=500, le=599)
    fail_next: int = Field(default=0, ge=0)
    fail_next_status: int = Field(default=500, ge=400, le=599)
