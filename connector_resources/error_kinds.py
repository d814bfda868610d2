"""The one base every API client's errors share, and the kinds that say whether a retry may help.

Why: the step retry policy (``runtime.step_retry``) must tell an outage from a refusal for six
systems' clients and the HTTP core. When it listed each client's classes, every new client or error class
meant an edit there, and one forgotten class was silently treated as permanent. Now each client declares
the kind where it declares the error, and the policy asks the kind:

- ``TransientError``: a later attempt may succeed (the server down or throttling past the call's own
  retries, a write whose outcome is unknown: a rerun searches by natural key before any create);
- ``RateLimitError``: a transient throttle that may say when it lifts (``retry_at``, ``reset_at`` or
  ``retry_after``); one that lifts after the step's retries are spent is permanent for the step;
- ``ConfigurationError``: credentials, permissions or settings, the same until an operator fixes them;
- ``AnswerError``: the server's answer was in a shape the client cannot use, the same on every attempt.

``target_code`` reads what a refusal kind needs (``refusals.refusal_of``) from the errors' fields: the
target's error code or HTTP status, never their words.

An error of no kind is judged by its HTTP status and what it wraps (the policy's rules). An error class
with its own word on retrying (a JDE business refusal, Procore's "list too large" 408) overrides
``retry_hint``.
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """Base of the clients' errors (``BillError``, ``CoupaError``, ... ``ApiError``).

    ``refusal_kind``: the kind of refusal (``refusals.KINDS``) a record meets when a write raises this
    class, where its class alone says it (an ambiguous match: ``"ambiguous"``; a target holding another
    record: ``"conflict"``); "" leaves it to ``refusals.refusal_of``'s rules."""

    refusal_kind: ClassVar[str] = ""

    def retry_hint(self) -> tuple[bool, str] | None:
        """This error's own verdict on retrying, as (transient, why), before the policy's general rules;
        None leaves it to them."""
        return None

    def refused_for_good(self) -> bool | None:
        """Whether the target refused this record for a reason sending it again cannot fix, when the error
        knows better than its HTTP status; None leaves it to the status."""
        return None


class TransientError(ConnectorError):
    """A later attempt may succeed where this one failed."""


class RateLimitError(TransientError):
    """A throttle that outlasted the call's own retries; may say when it lifts."""


class ConfigurationError(ConnectorError):
    """Credentials, permissions or settings an operator must fix; a retry meets the same."""


class AnswerError(ConnectorError):
    """An answer in a shape the client cannot use; the same on every attempt."""


def error_chain(error: BaseException, depth: int = 5) -> list[BaseException]:
    """``error`` and what it was raised from or during (``__cause__``, else ``__context__``), nearest first,
    at most ``depth``: a target's refusal re-raised in a finance user's words (``raise JdeRefused(...) from
    None`` keeps JDE's answer as the context) still tells its code."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < depth and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def target_code(error: BaseException) -> str:
    """The target's own code for refusing, read from the error's fields, never its words: the first of its
    ``codes`` (JDE's ``59A1``, BILL's ``BDC_1205``), else its ``code`` / ``error_code``, else its HTTP
    status; the nearest error of ``error_chain`` that has one. "" when none does."""
    chain = error_chain(error)
    for current in chain:
        codes = getattr(current, "codes", None)
        if isinstance(codes, tuple | list) and codes:
            return str(codes[0])
        code = getattr(current, "code", None) or getattr(current, "error_code", None)
        if isinstance(code, str | int) and not isinstance(code, bool) and str(code):
            return str(code)
    for current in chain:
        status = getattr(current, "status", None)
        if isinstance(status, int) and not isinstance(status, bool):
            return str(status)
    return ""
