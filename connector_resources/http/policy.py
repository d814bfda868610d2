"""When a failed HTTP exchange is tried again, and how long to wait first.

The rules, in one place so every API resource behaves the same:

* **Which failures are transient.** The statuses in ``HttpPolicy.retry_statuses`` (429, 500, 502,
  503, 504), read/connect timeouts, refused and reset connections. Everything else (400, 404, a TLS
  certificate problem, a malformed URL) fails at once: trying again cannot change the answer.
* **Which requests may be replayed.** GET, HEAD, PUT, DELETE and OPTIONS are idempotent by HTTP's
  definition, so any transient failure is retried. POST and PATCH are not: **none of the target APIs
  (JDE AIS, Oracle Fusion, Coupa, BILL, Procurify, Procore) accepts an idempotency key**, so a POST
  replayed after a read timeout or a 500 may create a second purchase order or a second payment.
  They are retried only when the server surely did not process them: a 429 or 503 (the request was
  refused before any work) or a connection that was never established (refused, connect timeout).
  A caller who knows better passes ``idempotent=True``: a read-only POST such as a JDE data-service
  query, or an OAuth token request. Duplicate protection for real creates lives in the ledger
  (search by natural key before create), not here.
* **How long to wait.** Exponential backoff with *full jitter*: the n-th retry sleeps a uniform
  random time in ``[0, min(backoff_cap, backoff_base * 2**(n-1)))`` (n = 1 for the first retry),
  which spreads a crowd of clients out instead of having them retry in lock-step. A server's own
  ``Retry-After`` (seconds or an HTTP date) wins over the computed wait, capped at
  ``retry_after_cap`` so a misbehaving server cannot park a run for an hour.
* **When to give up.** After ``max_attempts`` attempts, or when the next sleep would end past the
  ``deadline`` measured from the first attempt; per-attempt read timeouts are shortened so the last
  attempt cannot overrun the deadline either.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tenacity import RetryCallState
from tenacity.wait import wait_exponential, wait_random_exponential
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from connector_resources.http.errors import ApiError

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})


class HttpPolicy(BaseModel):
    """Timeouts and retry limits for one API client (all durations in seconds).

    A pydantic model so a resource can expose it (or some of its fields) as Dagster config.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    backoff_base: float = Field(default=0.5, gt=0)
    backoff_cap: float = Field(default=30.0, gt=0)
    retry_after_cap: float = Field(default=60.0, ge=0)
    deadline: float = Field(default=300.0, gt=0)
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    # Statuses that prove the server refused the request before doing any work, so even a
    # non-idempotent POST/PATCH may be replayed after them.
    replay_safe_statuses: frozenset[int] = frozenset({429, 503})

    @model_validator(mode="after")
    def _replay_safe_is_subset(self) -> HttpPolicy:
        extra = self.replay_safe_statuses - self.retry_statuses
        if extra:
            raise ValueError(f"replay_safe_statuses {sorted(extra)} are not in retry_statuses")
        return self

    @classmethod
    def from_settings(cls, settings: BaseModel, **overrides: Any) -> HttpPolicy:
        """The policy a resource's config describes: each of its fields named like one of ours
        (``connect_timeout``, ``read_timeout``, ``max_attempts``, ...), then ``overrides``.

        A resource without a ``deadline`` setting gives a call three reads' time, 300 s at the least,
        so a slow answer on a long read timeout still has its retries.
        """
        exposed = type(settings).model_fields
        named = {name: getattr(settings, name) for name in cls.model_fields if name in exposed}
        values = {**named, **overrides}
        values.setdefault("deadline", max(300.0, 3 * values.get("read_timeout", cls().read_timeout)))
        return cls(**values)

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` pair handed to requests on every send."""
        return (self.connect_timeout, self.read_timeout)


# The limit ``quick_calls`` puts on every client made inside its block (None: each keeps its own policy).
_QUICK_LIMIT: ContextVar[HttpPolicy | None] = ContextVar("quick_http_limit", default=None)
_LIMITED = ("connect_timeout", "read_timeout", "max_attempts", "backoff_cap", "retry_after_cap", "deadline")


@contextmanager
def quick_calls(limit: HttpPolicy) -> Iterator[HttpPolicy]:
    """Every ``HttpClient`` made inside the block tries each call within ``limit`` (its attempts, timeouts,
    backoff cap and deadline, where they are shorter than the client's own). Why: a check that asks
    whether a system answers *now* (the ping before going live) must refuse in seconds; the retries that
    carry a run through a slow minute would make a system that is down cost minutes of retry lines."""
    token = _QUICK_LIMIT.set(limit)
    try:
        yield limit
    finally:
        _QUICK_LIMIT.reset(token)


def within_quick_limit(policy: HttpPolicy) -> HttpPolicy:
    """``policy``, shortened to the limit of the enclosing ``quick_calls`` block (as is outside one)."""
    limit = _QUICK_LIMIT.get()
    if limit is None:
        return policy
    return policy.model_copy(update={n: min(getattr(policy, n), getattr(limit, n)) for n in _LIMITED})


def is_idempotent(method: str, override: bool | None = None) -> bool:
    """Whether ``method`` may be replayed after an ambiguous failure (see module docstring)."""
    if override is not None:
        return override
    return method.upper() in IDEMPOTENT_METHODS


TransportKind = Literal["not_sent", "maybe_processed", "fatal"]


def transport_failure_kind(exc: requests.RequestException) -> TransportKind:
    """Classify a requests exception by what the server may have seen.

    ``not_sent``: the connection was never established (refused, connect timeout, DNS), so any
    request, POST included, is safe to replay. ``maybe_processed``: the request went out and the
    answer was lost (read timeout, reset, truncated body); only idempotent requests are replayed.
    ``fatal``: retrying cannot help (TLS verification, invalid URL or header, redirect loop).
    """
    if isinstance(exc, requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return "fatal"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "not_sent"
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _never_connected(exc):
            return "not_sent"
        return "maybe_processed"
    if isinstance(exc, requests.exceptions.ReadTimeout | requests.exceptions.ChunkedEncodingError):
        return "maybe_processed"
    return "fatal"


def _never_connected(exc: BaseException) -> bool:
    """True when urllib3 failed while opening the socket (NewConnectionError covers refusals/DNS)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(current, BaseException):
            stack.extend(current.args)
            stack.extend([getattr(current, "reason", None), current.__cause__, current.__context__])
    return False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/bad.

    A date in the past means "now" (0), not "never".
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        reference = time.time() if now is None else now
        return max(0.0, when.timestamp() - reference)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf are not waits
        return None
    return max(0.0, seconds)


class TransientFailure(Exception):
    """Raised inside one attempt to ask tenacity for another; carries the error to raise if it stops.

    Only this type is retried, so an error from a nested call (a token fetch that already spent its
    own retries) propagates instead of multiplying attempts.
    """

    def __init__(self, error: ApiError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class BackoffWait(wait_random_exponential):
    """tenacity wait: a capped ``Retry-After`` when the server sent one, else full jitter.

    Full jitter is tenacity's ``wait_random_exponential``; this subclass only adds the Retry-After
    preference and an injectable RNG, so the bounds can be tested deterministically.
    """

    def __init__(self, policy: HttpPolicy, rng: random.Random | None = None) -> None:
        super().__init__(multiplier=policy.backoff_base, max=policy.backoff_cap)
        self.retry_after_cap = policy.retry_after_cap
        self._rng = rng or random.Random()

    def jitter_ceiling(self, retry_state: RetryCallState) -> float:
        """Upper bound of the full-jitter window for this retry: ``min(cap, base * 2**(n-1))``."""
        return wait_exponential.__call__(self, retry_state)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and outcome.failed:
            retry_after = getattr(outcome.exception(), "retry_after", None)
            if retry_after is not None:
                return max(0.0, min(float(retry_after), self.retry_after_cap))
        return self._rng.uniform(self.min, self.jitter_ceiling(retry_state))
