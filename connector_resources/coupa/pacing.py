"""Adaptive pacing: stay just under whatever rate Coupa actually grants, learning it from 429s.

The HTTP core's token bucket holds the client at ``rate_per_second`` (24/s, under Coupa's documented
25/s) with a burst of ``RATE_BURST`` (18: Coupa's documented 20 less what timing spread between the two
clocks could add, see ``JITTER_ALLOWANCE_SECONDS``), which never trips the limit on its own. But the
budget may be smaller than documented or shared (another integration on the same OAuth client or
instance, another process of ours), and Coupa's 429 carries no ``Retry-After`` to say how much
(reference §2.10). Backoff alone then keeps tripping it: every thread that is not currently backing
off still sends at full pace.

So every logical call first passes an ``AdaptivePacer`` shared by all sessions on the same budget, a
token bucket whose rate follows the classic additive-increase / multiplicative-decrease rule:

* a 429 cuts the rate to ``DECREASE`` times its value (never below ``FLOOR`` of the ceiling), once
  per cool-down, so a burst of simultaneous 429s from four threads counts as one signal;
* every second without a 429 gives back ``INCREASE`` of the ceiling, so the rate probes upwards
  slowly (a cut to 60 % is won back in eight seconds) and the full rate returns once the pressure
  is gone.

The rate therefore oscillates just under the real limit instead of hammering it. Retries go through
the pacer too (``PacedBackoff``: the core's jittered exponential backoff plus the wait for a paced
slot), so refused calls do not come back faster than the learned rate. The pacer learns from every
answer through the HTTP client's ``retry_when`` hook, used purely as an observer (it never asks for a
retry itself).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import requests
from tenacity import RetryCallState

from connector_resources.http import BackoffWait, HttpPolicy, RateLimit
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.coupa.pacing")

# Coupa: "25 requests per second and a burst query limit of 20 calls" (reference §2.10).
RATE_LIMIT = 25.0
DOCUMENTED_BURST = 20
# Coupa meters calls when they reach it, we when we send them, and the two clocks disagree by the
# spread of the delay in between (threads waiting for the CPU, connections, the network). A bucket of
# B calls at rate r on our side admits, as seen by Coupa, bursts of B + r * spread; so ours is smaller
# than Coupa's by what the spread could add: 80 ms at 25/s is 2 calls (a burst of 20 here drew a 429
# in two runs of four of a 120-call test on a busy machine; 18 drew none).
JITTER_ALLOWANCE_SECONDS = 0.08
RATE_BURST = DOCUMENTED_BURST - round(RATE_LIMIT * JITTER_ALLOWANCE_SECONDS)
DECREASE = 0.6
INCREASE = 0.05  # of the ceiling, per second without a 429
FLOOR = 0.1


class AdaptivePacer(RateLimit):
    """A token bucket whose rate adapts to 429s (see module docstring); thread-safe. It starts at its
    ``ceiling`` (``rate_per_second``), which the rate never passes; ``timing``: ``RateLimit``'s clock and
    sleep."""

    def __init__(self, key: str, ceiling: float, burst: int = 1, **timing: Callable[..., Any]) -> None:
        super().__init__(key, ceiling, max(1, int(burst)), **timing)
        self.ceiling = self.rate
        self._quiet_until = 0.0  # no second decrease before this time
        self.throttled = 0

    def _adapt(self, now: float) -> None:
        if self.rate < self.ceiling:  # additive increase, by the time since the last update
            self.rate = min(self.ceiling, self.rate + (now - self._updated) * self.ceiling * INCREASE)

    def observe(self, response: requests.Response) -> bool:
        """Learn from one answer (``retry_when`` hook); always False: the core decides on retries."""
        with self._lock:
            if response.status_code == 429:
                self.throttled += 1
                now = self._clock()
                if now >= self._quiet_until:
                    self.rate = max(self.ceiling * FLOOR, self.rate * DECREASE)
                    # Answers to calls already in flight say nothing new: wait a few intervals.
                    self._quiet_until = now + max(0.2, 4.0 / self.rate)
                    log.info("coupa: 429 from %s; pacing down to %.1f requests/s", self.key, self.rate)
        return False


_registry_lock = threading.Lock()
_pacers: dict[str, AdaptivePacer] = {}


def shared_pacer(key: str, ceiling: float, burst: int) -> AdaptivePacer:
    """The process-wide pacer for ``key``; the key names the budget and the configured ceiling, so
    callers with the same key share one learned rate."""
    with _registry_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            pacer = _pacers[key] = AdaptivePacer(key, ceiling, burst)
        return pacer


class PacedBackoff(BackoffWait):
    """The core's backoff (full jitter, ``Retry-After`` honoured) plus the wait for a paced slot, so
    a retry is both spread out and counted against the learned rate."""

    def __init__(self, policy: HttpPolicy, pacer: AdaptivePacer) -> None:
        super().__init__(policy)
        self.pacer = pacer

    def __call__(self, retry_state: RetryCallState) -> float:
        return super().__call__(retry_state) + self.pacer.reserve()
