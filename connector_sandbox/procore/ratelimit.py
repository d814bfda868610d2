"""Procore's two simultaneous rate-limit windows: hourly and the 10-second spike.

Fixed windows that open at the first request after the previous one closed, so ``X-Rate-Limit-Reset``
is a real Unix time a client can wait for. Every response reports the window the caller is closest to
exhausting (fewest requests left; the spike window on a tie), which is "usually the spike limit" as the
reference says. Refused requests do not consume the budget.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from .settings import RateLimitSettings

RATE_LIMIT_TEXT = (
    "You have surpassed the max number of requests for an hour. Please wait until your limit resets."
)


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    headers: dict[str, str]
    retry_after: int


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], _Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def _window(self, key: str, kind: str, length: float, now: float) -> _Window:
        window = self._windows.get((key, kind))
        if window is None or now >= window.started + length:
            window = _Window(started=now)
            self._windows[(key, kind)] = window
        return window

    def check(self, key: str, settings: RateLimitSettings, now: float | None = None) -> Decision:
        """Count one request for ``key`` (a client id or a token) unless a window is exhausted."""
        now = time.time() if now is None else now
        windows = [
            ("spike", settings.spike_limit, settings.spike_window_seconds),
            ("hourly", settings.hourly_limit, settings.hourly_window_seconds),
        ]
        states = [(limit, length, self._window(key, kind, length, now)) for kind, limit, length in windows]
        exhausted = next(((limit, length, w) for limit, length, w in states if w.count >= limit), None)
        if exhausted is not None:
            limit, length, window = exhausted
            reset = window.started + length
            return Decision(False, _headers(limit, 0, reset), max(1, math.ceil(reset - now)))
        for _, _, window in states:
            window.count += 1
        limit, length, window = min(states, key=lambda state: state[0] - state[2].count)
        return Decision(True, _headers(limit, limit - window.count, window.started + length), 0)


def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-Rate-Limit-Limit": str(limit),
        "X-Rate-Limit-Remaining": str(max(0, remaining)),
        "X-Rate-Limit-Reset": str(math.ceil(reset)),
    }
