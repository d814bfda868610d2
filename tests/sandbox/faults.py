"""A simulator's latency fault (``faults`` operator route, ``latency_ms``) checked the same way for every
simulator: the call still answers, only later."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests


def answers_no_sooner_than(
    seconds: float, call: Callable[[], requests.Response], status: int = 200
) -> requests.Response:
    """``call()`` answers ``status``, after ``seconds`` at least (the latency the test set); its answer. A
    lower bound only: a busy machine lengthens a call, never shortens it, so no upper bound is asserted."""
    started = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - started
    assert response.status_code == status, response.text
    assert elapsed >= seconds, f"answered after {elapsed:.3f} s, before the {seconds} s of latency set"
    return response
