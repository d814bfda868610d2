"""The one base every API client's errors share, and the kinds that say whether a retry may help.

Why: the step retry policy (``connector_assets.step_retry``) must tell an outage from a refusal for six
systems' clients and the HTTP core. When it listed each client's classes, every new client or error class
meant an edit there, and one forgotten class was silently treated as permanent. Now each client declares
the kind where it declares the error, and the policy asks the kind:

- ``TransientError``: a later attempt may succeed (the server down or throttling past the call's own
  retries, a write whose outcome is unknown: a rerun searches by natural key before any create);
- ``RateLimitError``: a transient throttle that may say when it lifts (``retry_at``, ``reset_at`` or
  ``retry_after``); one that lifts after the step's retries are spent is permanent for the step;
- ``ConfigurationError``: credentials, permissions or settings, the same until an operator fixes them;
- ``AnswerError``: the server's answer was in a shape the client cannot use, the same on every attempt.

An error of no kind is judged by its HTTP status and what it wraps (the policy's rules). An error class
with its own word on retrying (a JDE business refusal, Procore's "list too large" 408) overrides
``retry_hint``.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of the clients' errors (``BillError``, ``CoupaError``, ... ``ApiError``)."""

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
