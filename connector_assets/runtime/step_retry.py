"""The one step-retry policy of the connector, and which errors it may retry: a retried asset is declared
with ``retried_asset`` (or ``fail_fast``), so a refusal or a wrong password fails at once in words instead
of on the third attempt. Which error is transient, in order, and why: docs/flows.md, "When a step is
retried".
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from dagster import (
    AssetExecutionContext,
    AssetKey,
    Backoff,
    Failure,
    Jitter,
    OpExecutionContext,
    RetryPolicy,
    RetryRequested,
    asset,
)

from connector_assets.runtime.dagster_compat import calculate_delay
from connector_assets.runtime.staging import StagingError
from connector_resources import settings
from connector_resources.error_kinds import (
    AnswerError,
    ConfigurationError,
    ConnectorError,
    RateLimitError,
    TransientError,
)
from connector_resources.redaction import redact
from connector_resources.settings import SettingError
from connector_resources.vault import SecretNotFound, VaultKeyError

RETRIES_ENV = "ML_STEP_RETRIES"
DELAY_ENV = "ML_STEP_RETRY_DELAY_SECONDS"

TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    TransientError,  # every client's outage, throttling and outcome-unknown errors declare it
    requests.ConnectionError,
    requests.Timeout,
    ConnectionError,
    TimeoutError,
)

CONFIGURATION_TYPES: tuple[type[BaseException], ...] = (
    ConfigurationError,  # every client's authentication / permission / allow-list errors
    SettingError,
    VaultKeyError,
    SecretNotFound,
)

DATA_TYPES: tuple[type[BaseException], ...] = (
    StagingError,
    ValueError,  # every client's Input/Validation error is one, and so is a bad value in our own code
    AnswerError,  # every client's unusable-answer errors
)

PROGRAMMING_TYPES: tuple[type[BaseException], ...] = (
    TypeError,
    AttributeError,
    LookupError,
    NameError,
    AssertionError,
    NotImplementedError,
    ImportError,
)

# 501 Not Implemented / 505 HTTP Version Not Supported answer the same way every time.
_PERMANENT_5XX = (501, 505)
_CHAIN_DEPTH = 8
# The clients' own advice when a read gave up because the source changed under it (JDE resume checks,
# Procore / Fusion / Procurify re-read limits, BILL strategy fallback). They type those errors as data
# or protocol errors (the answer was unusable) but a later attempt reads a settled source; the text is
# the only marker they share; tests/kit/test_step_retry.py pins each client's wording.
_RERUN_ADVICE = ("run the read again", "while being read", "while the read was being resumed")


@dataclass(frozen=True)
class Verdict:
    """Whether a step error may go away on retry, and why (words for the failure message)."""

    transient: bool
    reason: str


def step_retry_policy(max_retries: int | None = None, delay: float | None = None) -> RetryPolicy:
    """THE step retry policy: exponential backoff with jitter, so steps hitting one outage spread out.
    ``ML_STEP_RETRIES`` and ``ML_STEP_RETRY_DELAY_SECONDS`` (defaults 2 and 15 s) are read when the
    definitions are built; arguments override them."""
    if max_retries is None:
        max_retries = int(settings.read(RETRIES_ENV))
    if delay is None:
        delay = float(settings.read(DELAY_ENV))
    return RetryPolicy(
        max_retries=max_retries, delay=delay, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
    )


def retry_window(policy: RetryPolicy | None = None) -> float:
    """Seconds the policy waits in all, at most (jitter adds up to one ``delay`` per attempt)."""
    policy = policy or step_retry_policy()
    base = policy.delay or 0
    return sum(
        calculate_delay(attempt, policy.backoff, None, base) + base
        for attempt in range(1, policy.max_retries + 1)
    )


def _seconds_until_reset(exc: BaseException, now: float) -> float | None:
    retry_at = getattr(exc, "retry_at", None)  # BILL: datetime of the hourly window's reset
    if isinstance(retry_at, datetime):
        moment = retry_at if retry_at.tzinfo else retry_at.replace(tzinfo=UTC)
        return moment.timestamp() - now
    reset_at = getattr(exc, "reset_at", None)  # Procore: Unix time
    if isinstance(reset_at, int | float):
        return float(reset_at) - now
    retry_after = getattr(exc, "retry_after", None)  # seconds, from Retry-After
    if isinstance(retry_after, int | float):
        return float(retry_after)
    return None


def _special_case(exc: BaseException, window: float) -> Verdict | None:
    status = _status_of(exc)
    if status in _PERMANENT_5XX:
        return Verdict(False, f"a server answer (HTTP {status}) that is the same on every attempt")
    if any(phrase in str(exc) for phrase in _RERUN_ADVICE):
        return Verdict(True, "the source kept changing while it was read (the client advises a re-run)")
    hint = exc.retry_hint() if isinstance(exc, ConnectorError) else None
    if hint is not None:
        return Verdict(*hint)
    if isinstance(exc, RateLimitError):
        wait = _seconds_until_reset(exc, time.time())
        if wait is not None and wait > window:
            return Verdict(
                False,
                f"the rate limit resets in {wait / 60:.0f} min, beyond the {window:.0f} s step retries wait",
            )
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """What ``exc`` wraps: its causes and contexts, nearest first (even those hidden by ``from None``)."""
    out: list[BaseException] = []
    seen = {id(exc)}
    current: BaseException | None = exc
    while current is not None and len(out) < _CHAIN_DEPTH:
        current = current.__cause__ or current.__context__
        if current is None or id(current) in seen:
            break
        seen.add(id(current))
        out.append(current)
    return out


def _is_db_disconnect(exc: BaseException) -> bool:
    try:
        from sqlalchemy.exc import DBAPIError, InterfaceError
        from sqlalchemy.exc import TimeoutError as PoolTimeout
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency of the ledger
        return False
    if isinstance(exc, PoolTimeout | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
        return exc.connection_invalidated or any(
            marker in text
            for marker in (
                "could not connect",
                "connection refused",
                "server closed the connection",
                "terminating connection",
                "database is locked",
                "connection reset",
            )
        )
    return False


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _transient_status(status: int) -> bool:
    return status == 429 or (500 <= status < 600 and status not in _PERMANENT_5XX)


def classify(exc: BaseException, window: float | None = None) -> Verdict:
    """Whether ``exc`` may go away on a later attempt of the step (the rules: docs/flows.md, "When a step is
    retried")."""
    window = retry_window() if window is None else window
    special = _special_case(exc, window)
    if special is not None:
        return special
    status = _status_of(exc)
    if status is not None and _transient_status(status):  # before the class: Procore's token host
        return Verdict(True, f"a transient server answer (HTTP {status})")
    if isinstance(exc, TRANSIENT_TYPES) or _is_db_disconnect(exc):
        return Verdict(True, "a transient failure (outage, throttling or lost connection)")
    if isinstance(exc, CONFIGURATION_TYPES):
        return Verdict(False, "a configuration error (credentials, permissions or settings)")
    if isinstance(exc, DATA_TYPES):
        return Verdict(False, "a data error that is the same on every attempt")
    if isinstance(exc, PROGRAMMING_TYPES):
        return Verdict(False, "a programming error")
    if status is not None:
        return Verdict(False, f"a refusal (HTTP {status}) that a retry would get again")
    for inner in _chain(exc):
        inner_verdict = classify(inner, window) if not _chain_is_noise(inner) else None
        if inner_verdict is not None and inner_verdict.transient:
            return Verdict(True, f"a transient failure underneath ({type(inner).__name__})")
    return Verdict(False, "an error not known to be transient")


def _chain_is_noise(exc: BaseException) -> bool:
    return isinstance(exc, StopIteration | GeneratorExit)


def is_transient(exc: BaseException) -> bool:
    """True when a later attempt of the step may succeed where this one failed."""
    return classify(exc).transient


# Refusals about the request as a whole, not the record: a fixed credential, permission, parent record or
# a conflict gone may let the same record through on the next run.
_NOT_ABOUT_THE_RECORD = frozenset({401, 403, 404, 408, 409, 423, 425, 429})


def refused_for_good(exc: BaseException) -> bool:
    """True when the target refused this record for a reason that sending it again unchanged cannot fix
    (a 4xx about its content, a business refusal of a JDE orchestration): a run then leaves it queued
    for ``ml-connector replay`` instead of sending it again on every rerun."""
    if classify(exc).transient:
        return False
    own_word = exc.refused_for_good() if isinstance(exc, ConnectorError) else None
    if own_word is not None:
        return own_word
    status = _status_of(exc)
    return status is not None and 400 <= status < 500 and status not in _NOT_ABOUT_THE_RECORD


F = TypeVar("F", bound=Callable[..., Any])


# Errors whose message says what happened in words (the clients write them for a finance or IT user): shown
# as the step's failure without the stack traces of their chain.
UNDERSTOOD_TYPES: tuple[type[BaseException], ...] = (ConnectorError, *TRANSIENT_TYPES, *CONFIGURATION_TYPES)


def _context_of(args: tuple[object, ...], kwargs: Mapping[str, object]) -> Any:
    contexts = (AssetExecutionContext, OpExecutionContext)
    return next((a for a in (*args, *kwargs.values()) if isinstance(a, contexts)), None)


def _retry_left(context: Any) -> bool:
    """Whether Dagster would retry the step after this attempt (unknown without a context: assume so)."""
    if context is None:
        return True
    policy = context.op_def.retry_policy
    return policy is not None and context.retry_number < policy.max_retries


def step_failure(step: str, exc: Exception, verdict: Verdict, attempts: int = 1) -> Failure:
    """The ``Failure`` a step fails with on ``exc``: its description names the step, what kind of failure it
    is and the error's own words; after a transient one, when to rerun."""
    error = redact(f"{type(exc).__name__}: {exc}")
    if verdict.transient:
        tried = f" after {attempts} attempt(s) of the step" if attempts > 1 else ""
        description = (
            f"{step} failed with {verdict.reason}{tried}: {error}. Rerun it once the system is back."
        )
    else:
        description = f"{step} failed with {verdict.reason}, so it is not retried: {error}"
    return Failure(
        description=description,
        metadata={"error_class": type(exc).__name__, "retried": attempts > 1},
        allow_retries=False,
    )


@contextmanager
def _failing_clearly(step: str, context: Any) -> Iterator[None]:
    try:
        yield
    except (Failure, RetryRequested):
        raise  # the asset already said what Dagster should do
    except Exception as exc:
        verdict = classify(exc)
        if verdict.transient and _retry_left(context):
            raise
        attempts = 1 + (context.retry_number if context is not None else 0)
        failure = step_failure(step, exc, verdict, attempts)
        if isinstance(exc, UNDERSTOOD_TYPES):
            raise failure from None  # its message says it all: no chain of stack traces under it
        raise failure from exc


def fail_fast(step: str) -> Callable[[F], F]:
    """Wrap an asset's body (a function or a generator): transient errors pass through to the retry policy
    while a step retry is left, the rest fail as a ``Failure`` in words naming ``step``."""

    def decorate(fn: F) -> F:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with _failing_clearly(step, _context_of(args, kwargs)):
                    return (yield from fn(*args, **kwargs))

        else:

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with _failing_clearly(step, _context_of(args, kwargs)):
                    return fn(*args, **kwargs)

        wrapper.fails_fast = True  # type: ignore[attr-defined]  # lets a test prove every retried asset has it
        return wrapper  # type: ignore[return-value]

    return decorate


def retried_asset(*, key: AssetKey, **asset_kwargs: Any) -> Callable[[F], Any]:
    """``dagster.asset`` with the step retry policy and ``fail_fast``: the way to declare a retried asset
    (``key`` from ``connector_assets.asset_keys``)."""
    if "retry_policy" in asset_kwargs:
        raise TypeError("retried_asset sets the retry policy itself (step_retry_policy)")

    def decorate(fn: F) -> Any:
        step = key.to_user_string()
        return asset(key=key, retry_policy=step_retry_policy(), **asset_kwargs)(fail_fast(step)(fn))

    return decorate
