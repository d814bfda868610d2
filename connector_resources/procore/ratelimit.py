"""Staying under Procore's rate limits by reading its headers, instead of learning them from 429s.

Procore enforces two windows at once per app: an hourly one (historically 3,600 requests) and a
10-second spike one (doc example 25). Every response carries ``X-Rate-Limit-Limit``,
``X-Rate-Limit-Remaining`` and ``X-Rate-Limit-Reset`` (Unix seconds) for whichever window is closest
to exhaustion (reference §3). ``RateLimitPacer`` keeps the latest of those and, before each call:

* with plenty left, does nothing;
* when the remaining budget is in the last fifth of the limit, spreads the calls that are left
  over the time to the reset (``seconds_left / (remaining + 1)`` between calls), so a burst slows
  down *before* it meets a 429. Only a window that resets within ``max_wait`` is spread (the spike
  one): the last calls of an hourly window would otherwise go one per ``max_wait`` (24 minutes for
  the last 24 of 3,600) only to meet the same refusal below when it is spent; they go at once;
* when nothing is left, sleeps until the reset (plus half a second: the reset is whole seconds), or, if
  that is further away than ``max_wait`` (an exhausted hourly window), raises
  ``ProcoreRateLimitError`` saying when the budget returns, instead of parking a run for an hour.

The reset is whole Unix seconds on the server's clock, so waiting for it costs up to a second and a half
per window: against 10-second spike windows that open at a window's first call, a client that only waits
for ``X-Rate-Limit-Reset`` sends 25 calls per 11 s at best (0.91 of the limit, ``bench/procore_pacing.py``).
The pacer therefore also notes when a window opened on its own call (the answer that leaves
``limit - 1``, reset at most ``window_seconds`` + 1.5 s away): that window began no later than the
answer arrived, so it ends no later than ``window_seconds`` after it, measured on our own clock (no
rounding, no clock skew). The pacer spreads and waits to whichever end comes first. ``window_seconds`` is
the documented spike window (10 s, reference §3); a window opened by another client of the app (the
first answer leaves less than ``limit - 1``) and the hourly window keep the header's reset alone.

It counts its own calls down between answers, so threads sharing one pacer do not all rush through
the last slot. One pacer is shared per app and API host in the process (``shared_pacer``): the
limits are per app, not per session. After a 429 or 503 the HTTP core's retry honours
``Retry-After``; ``ProcoreBackoffWait`` adds the other documented advice for a 429 without one:
wait until ``X-Rate-Limit-Reset``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field

from tenacity import RetryCallState

from connector_resources.http.policy import BackoffWait, HttpPolicy
from connector_resources.procore.errors import ProcoreRateLimitError
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.procore.ratelimit")

# Values below this are read as "seconds from now" rather than a Unix time (a server variant).
_EPOCH_FLOOR = 1_000_000_000
_RESET_MARGIN = 0.5  # the reset is whole seconds; a little slack saves a 429
_SPREAD_FRACTION = 0.2
SPIKE_WINDOW_SECONDS = 10.0  # reference §3 (confirmed): the spike window is 10 seconds
# A window of ``window_seconds`` opened on our call reports a reset at most this much further away (the
# reset is rounded to whole seconds); a reset further away is another window (the hourly one).
_OWN_WINDOW_SLACK = 1.5


@dataclass
class RateBudget:
    """The last reported window: ``remaining`` calls until ``reset_at`` (Unix seconds)."""

    limit: int | None
    remaining: int
    reset_at: float
    # When the window opened on our own call (our clock, the answer's arrival), else None: see module doc.
    opened_at: float | None = None


def read_budget(headers: Mapping[str, str], now: float) -> RateBudget | None:
    """The ``X-Rate-Limit-*`` headers of one answer, or None when it has none (or they are bad)."""
    remaining = _number(headers.get("X-Rate-Limit-Remaining"))
    reset = _number(headers.get("X-Rate-Limit-Reset"))
    if remaining is None or reset is None:
        return None
    limit = _number(headers.get("X-Rate-Limit-Limit"))
    reset_at = reset if reset >= _EPOCH_FLOOR else now + reset
    return RateBudget(
        limit=int(limit) if limit is not None else None, remaining=max(0, int(remaining)), reset_at=reset_at
    )


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass(eq=False)
class RateLimitPacer:
    """Sleeps before a call when Procore's headers say the budget is nearly spent (see module doc)."""

    key: str
    _: KW_ONLY
    max_wait: float = 60.0
    enabled: bool = True
    window_seconds: float | None = SPIKE_WINDOW_SECONDS
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    waited: float = field(default=0.0, init=False)  # seconds slept, over this pacer's life
    waits: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _budget: RateBudget | None = field(default=None, init=False, repr=False)

    @property
    def budget(self) -> RateBudget | None:
        return self._budget

    def reset(self) -> None:
        """Forget the last reported budget (e.g. after an operator raised the app's limits)."""
        with self._lock:
            self._budget = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the budget an answer reports (the server's word replaces our own count-down)."""
        now = self.clock()
        budget = read_budget(headers, now)
        if budget is not None:
            with self._lock:
                budget.opened_at = self._opened_at(budget, now)
                self._budget = budget

    def _opened_at(self, budget: RateBudget, now: float) -> float | None:
        """When ``budget``'s window opened on our call, if it did (see module doc)."""
        previous = self._budget
        if (
            previous is not None
            and previous.opened_at is not None
            and previous.limit == budget.limit
            and abs(previous.reset_at - budget.reset_at) < 1
        ):
            return previous.opened_at  # the same window
        if (
            self.window_seconds
            and budget.limit
            and budget.remaining == budget.limit - 1
            and budget.reset_at - now <= self.window_seconds + _OWN_WINDOW_SLACK
        ):
            return now
        return None

    def delay(self, now: float) -> tuple[float, bool]:
        """Seconds to wait before one more call, and whether the budget is spent (not just low);
        the call is counted against the budget."""
        with self._lock:
            budget = self._budget
            if budget is None:
                return 0.0, False
            left = budget.reset_at - now
            # The end of a window opened on our call, on our clock (None: the header's reset alone).
            own = None
            if budget.opened_at is not None and self.window_seconds:
                own = budget.opened_at + self.window_seconds - now
            if left <= 0 or (own is not None and own <= 0):
                self._budget = None  # the window has reset; the next answer tells us the new one
                return 0.0, False
            remaining = budget.remaining
            budget.remaining = max(0, remaining - 1)
            if remaining <= 0:
                wait = left + _RESET_MARGIN
                return (min(wait, own) if own is not None else wait), True
            limit = budget.limit or 0
            span = min(left, own) if own is not None else left
            if limit and remaining <= max(1, math.ceil(_SPREAD_FRACTION * limit)) and span <= self.max_wait:
                return span / (remaining + 1), False
            return 0.0, False

    def before_call(self) -> float:
        """Wait as the budget requires; returns the seconds slept. Raises ``ProcoreRateLimitError``
        when the budget is spent and resets later than ``max_wait`` from now."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        wait, spent = self.delay(now)
        if wait <= 0:
            return 0.0
        if spent and wait > self.max_wait:
            budget = self._budget
            reset_at = budget.reset_at if budget else now + wait
            reset_text = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(reset_at))
            raise ProcoreRateLimitError(
                f"Procore rate limit for {self.key} is spent until {reset_text} ({wait:.0f} s from now, "
                f"more than the {self.max_wait:.0f} s this client waits); run again after the reset",
                status=429,
                reset_at=reset_at,
            )
        # Spreading a low budget never waits longer than max_wait per call: calls are still allowed.
        wait = min(wait, self.max_wait)
        log.debug("procore rate budget low for %s: waiting %.2fs before the next call", self.key, wait)
        self.sleep(wait)
        self.waited += wait
        self.waits += 1
        return wait


_registry_lock = threading.Lock()
_pacers: dict[str, RateLimitPacer] = {}


def shared_pacer(key: str, *, max_wait: float, enabled: bool) -> RateLimitPacer:
    """The process-wide pacer for ``key`` (app + host); settings follow the latest caller."""
    with _registry_lock:
        pacer = _pacers.get(key)
        if pacer is None:
            pacer = _pacers[key] = RateLimitPacer(key, max_wait=max_wait, enabled=enabled)
        pacer.max_wait = max_wait
        pacer.enabled = enabled
        return pacer


class ProcoreBackoffWait(BackoffWait):
    """The core's backoff, plus: a 429 without ``Retry-After`` waits until ``X-Rate-Limit-Reset``
    (capped like ``Retry-After``), and every failed answer's budget headers reach the pacer."""

    def __init__(
        self, policy: HttpPolicy, pacer: RateLimitPacer, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(policy)
        self._pacer = pacer
        self._clock = clock

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None and outcome.failed else None
        error = getattr(failure, "error", None)
        response = getattr(error, "response", None)
        if response is not None:
            self._pacer.observe(response.headers)
            if response.status_code == 429 and getattr(failure, "retry_after", None) is None:
                budget = read_budget(response.headers, self._clock())
                if budget is not None:
                    wait = max(0.0, budget.reset_at - self._clock()) + _RESET_MARGIN
                    return min(wait, self.retry_after_cap)
        return super().__call__(retry_state)
