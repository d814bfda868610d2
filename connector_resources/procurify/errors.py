"""Typed Procurify errors, and the one place an HTTP failure becomes one of them.

Why typed: callers act differently on each. ``ProcurifyAuthError`` / ``ProcurifyPermissionError``
are configuration (stop, tell the operator); ``ProcurifyValidationError`` is a bad record (queue it
with Procurify's words, carry on with the batch); ``ProcurifyOutcomeUnknownError`` is a write whose
answer was lost (search by natural key before trying again, never blindly resend);
``ProcurifyRateLimitError`` / ``ProcurifyUnavailableError`` are "try the batch later";
``ProcurifyProtocolError`` means the server does not behave as the reference says (a filter
ignored, paging that does not advance) and a human should look.

Every message is one line and redacted when the error is built, since it may quote server text.
Server field messages arrive in DRF's shapes (reference §3.12, unconfirmed for Procurify):
``{"field": ["msg"]}``, nested per list index (``{"email": {"1": [...]}}``, ``{"line_items": [{},
{"vendor_name": [...]}]}``), ``{"non_field_errors": [...]}`` or ``{"detail": "..."}``; some servers
wrap them in an envelope (``{"metadata": {}, "errors": {...}}``). ``field_messages`` flattens all of
them to ``{"line_items[1].vendor_name": ["..."]}`` so the message names the field exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector_resources.error_kinds import (
    AnswerError,
    ConfigurationError,
    RateLimitError,
    TransientError,
)
from connector_resources.errors import ClientError, RetryAfterMixin
from connector_resources.http.errors import ApiError, AuthenticationError, response_json
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, source_invalid, target_refused

SYSTEM = "procurify"  # how the ledger and the flows name the system (a refusal's ``system``)

# Statuses after which a POST may or may not have been carried out (the server got the request and
# then failed or the answer was lost); 429 and 503 prove it was refused before any work.
_AMBIGUOUS_WRITE_STATUSES = frozenset({500, 502, 504})


class ProcurifyError(ClientError):
    """Base of every Procurify error; ``status`` is the HTTP status when one arrived."""


class ProcurifyAuthError(ProcurifyError, ConfigurationError):
    """The token endpoint refused the client credentials, or a fresh token was refused too."""


class ProcurifyPermissionError(ProcurifyAuthError):
    """403: the credential's user may not do this, or Procurify suspended the API application."""


class ProcurifyNotFoundError(ProcurifyError):
    """404: no such record (or no such path on this server)."""


class ProcurifyRateLimitError(RetryAfterMixin, ProcurifyError, RateLimitError):
    """429 answers that outlasted every retry; ``retry_after`` is the server's last hint (seconds)."""

    def __init__(self, message: str, *, status: int | None = 429, **kwargs: Any) -> None:
        super().__init__(message, status=status, **kwargs)


class ProcurifyUnavailableError(ProcurifyError, TransientError):
    """5xx answers or no answer at all after every retry (a read, or a write surely not carried out)."""


class ProcurifyOutcomeUnknownError(ProcurifyError, TransientError):
    """A write whose answer was lost (timeout, reset, 500/502/504): it may have been carried out.

    Never resend blindly (no Procurify endpoint takes an idempotency key): look the record up by its
    natural key first (``find_vendor``, ``find_account_code``, ``find_purchase_orders`` ...).
    """


class ProcurifyProtocolError(ProcurifyError, AnswerError):
    """The server answered in a way the reference does not allow (shape, paging, ordering)."""


class ProcurifyFilterIgnoredError(ProcurifyProtocolError):
    """A list answer holds rows outside the filter we sent: the server ignored it.

    Raised rather than worked around, so a server that drops a filter can never make a sync treat
    the whole collection as "changed".
    """


class ProcurifyDuplicateError(ProcurifyError):
    """A natural key that should name one record names several (e.g. two active vendors with one
    ``external_id``): adopting either would be a guess, so a human must merge or deactivate one
    (``refusal``: ``ambiguous``)."""

    refusal_kind = "ambiguous"  # also when raised again as another error (``refusal_of`` reads the chain)

    @property
    def refusal(self) -> Refusal:
        return Refusal("ambiguous", str(self), {"system": SYSTEM, "candidates": ""})


class ProcurifyValidationError(ProcurifyError, ValueError):
    """Procurify (400) or this client (before sending) refused a record.

    ``record`` names the record (``vendor 'JDE-V-10442' (Granite Supply Co)``), ``fields`` maps a
    field path (``email[1]``, ``line_items[0].unit_price``, ``non_field_errors``) to its messages.
    ``from_server`` tells a server refusal from a client-side check (nothing was sent then).
    """

    def __init__(
        self,
        message: str,
        *,
        record: str = "",
        fields: Mapping[str, Any] | None = None,
        from_server: bool = True,
        status: int | None = None,
    ) -> None:
        self.record = redact(record)
        self.fields: dict[str, tuple[str, ...]] = {
            redact(str(k)): tuple(redact(str(m)) for m in (v if isinstance(v, list | tuple) else [v]))
            for k, v in (fields or {}).items()
        }
        self.from_server = from_server
        super().__init__(message, status=status)

    def _fields(self) -> dict[str, Any]:
        return {
            **super()._fields(),
            "record": self.record,
            "fields": {k: list(v) for k, v in self.fields.items()},
            "from_server": self.from_server,
        }

    @property
    def refusal(self) -> Refusal:
        """As data: Procurify's refusal named by the first field it names (list positions left out, so one
        field's refusals group together), or, refused before sending, the record's field this client
        would not send (``source_invalid``)."""
        field = field_name(next(iter(self.fields), ""))
        if not self.from_server:
            return source_invalid(str(self), field=field)
        return target_refused(str(self), system=SYSTEM, code=field or str(self.status or ""))


def field_name(path: str) -> str:
    """A field path without its list positions (``line_items[1].vendor_name``: ``line_items.vendor_name``)."""
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out.append(char)
    return "".join(out)


def invalid(record: str, field: str, message: str) -> ProcurifyValidationError:
    """A client-side refusal of one field (nothing was sent)."""
    return ProcurifyValidationError(
        f"{record}: {field}: {message}", record=record, fields={field: [message]}, from_server=False
    )


# -- reading a server's error body --------------------------------------------------------------------


def _unwrap(body: Any) -> Any:
    """The DRF error object, out of the ``{"metadata": ..., "errors": ...}`` envelope if one is used."""
    if isinstance(body, Mapping) and "errors" in body and set(body) <= {"errors", "metadata", "data"}:
        return body["errors"]
    return body


def field_messages(body: Any) -> dict[str, list[str]]:
    """Every message in a DRF-style error body, keyed by the field path it belongs to."""
    found: dict[str, list[str]] = {}

    def join(path: str, key: Any) -> str:
        key = str(key)
        if key.isdigit() and path:
            return f"{path}[{key}]"
        return f"{path}.{key}" if path else key

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, join(path, key))
        elif isinstance(node, list | tuple):
            if all(isinstance(item, str | int | Decimal) for item in node):
                for item in node:
                    found.setdefault(path or "non_field_errors", []).append(str(item))
            else:
                for index, item in enumerate(node):
                    if item:  # DRF sends {} for list items that are fine
                        walk(item, f"{path}[{index}]" if path else f"[{index}]")
        elif node is not None and str(node).strip():
            found.setdefault(path or "non_field_errors", []).append(str(node))

    walk(_unwrap(body), "")
    return found


def server_said(body: Any) -> str:
    """The server's own short explanation: DRF ``detail``, Auth0 ``error_description`` / ``error``."""
    body = _unwrap(body)
    if not isinstance(body, Mapping):
        return ""
    parts = []
    for key in ("error", "error_description", "detail", "message"):
        value = body.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in parts:
            parts.append(value.strip())
    return ": ".join(parts)


def describe_fields(fields: Mapping[str, list[str] | tuple[str, ...]], limit: int = 8) -> str:
    """``field: message; field: message`` in one line, at most ``limit`` fields."""
    parts = [f"{name}: {' '.join(messages)}" for name, messages in list(fields.items())[:limit]]
    extra = len(fields) - limit
    if extra > 0:
        parts.append(f"(+{extra} more fields)")
    return "; ".join(parts)


def translate(exc: ApiError, what: str, *, write: bool = False, record: str = "") -> ProcurifyError:
    """The Procurify error for an ``ApiError`` the HTTP core raised while doing ``what``.

    ``what`` says what was being done in business words (``create vendor 'JDE-V-1'``); ``record``
    names the record for validation errors; ``write`` marks a call that changes data, so a lost
    answer becomes ``ProcurifyOutcomeUnknownError`` rather than "unavailable".
    """
    status = exc.status
    body = response_json(exc.response)
    said = server_said(body)
    where = f"({exc.method} {exc.url} -> {status if status is not None else 'no answer'})"
    # "; Procurify said: ..." rather than ": ...": a "what" ending in "token" followed by a colon
    # would look like a credential to the redactor and mask the server's words.
    tail = f"; Procurify said: {said}" if said else ""
    if write and (status is None or status in _AMBIGUOUS_WRITE_STATUSES):
        reason = exc.detail or (f"HTTP {status}" if status is not None else "no answer")
        return ProcurifyOutcomeUnknownError(
            f"Procurify did not confirm the request to {what} ({reason}) {where}; it may or may not have "
            "been carried out, so look the record up by its natural key before sending it again",
            status=status,
        )
    if isinstance(exc, AuthenticationError) or status == 401:
        return ProcurifyAuthError(
            f"Procurify refused the API credentials while trying to {what}{tail} {where}; check the "
            "client id and secret of the API application and the customer domain",
            status=status,
        )
    if status == 403:
        hint = (
            " Procurify suspended this API application (too many slow or large requests); ask a "
            "Procurify admin to lift it, and keep page_size small"
            if "suspend" in said.lower()
            else " The API application's user lacks this permission in Procurify"
        )
        return ProcurifyPermissionError(f"Procurify refused to {what}{tail} {where}.{hint}", status=403)
    if status == 404:
        return ProcurifyNotFoundError(f"Procurify has nothing to {what}{tail} {where}", status=404)
    if status == 429:
        return ProcurifyRateLimitError(
            f"Procurify kept throttling the request to {what} after {exc.attempts} attempts{tail} {where}; "
            "try again later or lower rate_per_second",
            retry_after=exc.retry_after,
        )
    if status is not None and 300 <= status < 400:
        return ProcurifyProtocolError(
            f"Procurify redirected the request to {what} {where}; nothing was written (a path without "
            "its trailing slash, or a base URL that is not the customer domain?)",
            status=status,
        )
    if status == 504:
        return ProcurifyUnavailableError(
            f"Procurify's gateway timed out on the request to {what} {where} on each of {exc.attempts} "
            "attempts (retried with backoff up to ML_PROCURIFY_MAX_ATTEMPTS); if it keeps timing out, "
            "lower page_size or narrow the window, since Procurify may suspend API access for requests "
            "that are too slow",
            status=504,
        )
    if status is None or status >= 500:
        return ProcurifyUnavailableError(
            f"Procurify could not {what} after {exc.attempts} attempts: {exc.detail or exc.reason or ''} "
            f"{where}",
            status=status,
        )
    fields = field_messages(body) if isinstance(_unwrap(body), Mapping | list) else {}
    if status in (400, 409, 422) and fields:
        label = record or what
        return ProcurifyValidationError(
            f"Procurify refused to {what}: {describe_fields(fields)} {where}",
            record=label,
            fields=fields,
            status=status,
        )
    excerpt = said or exc.body_excerpt
    said_part = f"; Procurify said: {excerpt}" if excerpt else ""
    return ProcurifyError(f"Procurify refused to {what}{said_part} {where}", status=status)
