"""Typed Procore errors, and the reader that pulls Procore's own words out of an error answer.

Why typed: a caller acts differently on each. ``ProcoreAuthError`` / ``ProcorePermissionError`` are
configuration (wrong credentials or host, app uninstalled, project not permitted: stop and tell the
operator); ``ProcoreValidationError`` is a business error about one record (queue it with Procore's
field messages, carry on with the batch); ``ProcoreOutcomeUnknownError`` means a write may or may not
have happened (search by natural key before trying again); ``ProcoreRateLimitError`` means the budget
is spent (run later).

Where Procore puts its words is unconfirmed (reference §3: "often a ``message`` or ``errors``
field"), so ``describe_error_body`` accepts every shape seen in the reference: ``{"errors": "text"}``,
``{"errors": {"field": ["msg"]}}``, ``{"errors": ["msg"]}``, ``{"message": "...", "errors": ...}``,
the REST v2 / Document Management ``{"error": {"code", "message", "details": [...]}}``, OAuth's
``{"error": "invalid_client", "error_description": "..."}``, and plain text or HTML (the 429 body is
plain text; a load balancer answers HTML).

Every message is one line and redacted when the error is built: it may carry server text or URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from connector_resources.error_kinds import (
    AnswerError,
    ConfigurationError,
    RateLimitError,
    TransientError,
)
from connector_resources.errors import ClientError
from connector_resources.http.errors import ApiError, response_json
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal

# What the package re-exports (``connector_resources.procore``).
__all__ = [
    "ProcoreAuthError",
    "ProcoreConflictError",
    "ProcoreDataError",
    "ProcoreError",
    "ProcoreNotFoundError",
    "ProcoreOutcomeUnknownError",
    "ProcorePermissionError",
    "ProcoreRateLimitError",
    "ProcoreValidationError",
    "describe_error_body",
]

_MAX_TEXT = 300
_TAG = re.compile(r"<[^>]+>")


class ProcoreError(ClientError, RuntimeError):
    """Base of every Procore error. ``status`` is the HTTP status when one arrived; ``record`` names
    the record concerned (``vendor origin_id=JDE-V-10442``) when there is one."""

    def __init__(self, message: str, *, status: int | None = None, record: str = "") -> None:
        self.record = redact(record)
        super().__init__(message, status=status)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "record": self.record}

    def retry_hint(self) -> tuple[bool, str] | None:
        """Procore's documented 408 means "list too large to return unfiltered": a retry gets it again."""
        if self.status == 408:
            return False, "Procore refuses this list as too large (HTTP 408) on every attempt"
        return None


class ProcoreAuthError(ProcoreError, ConfigurationError):
    """Credentials refused: bad client id/secret, sandbox/production hosts mixed up, a token
    rejected again right after renewal."""


class ProcorePermissionError(ProcoreAuthError):
    """HTTP 403: app not installed in (or uninstalled from) the company, a tool permission missing,
    or a project not among the DMSA's permitted projects."""


class ProcoreNotFoundError(ProcoreError):
    """HTTP 404: the record does not exist **or the service account cannot read it** (Procore
    answers 404, not 403, then): never treat it as "deleted" without checking."""


class ProcoreValidationError(ProcoreError, ValueError):
    """A record Procore (or this client, before sending) refuses; ``fields`` maps each field named
    to its messages (``{"email_address": ("is invalid",)}``); empty when only a sentence came back."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        record: str = "",
        fields: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.fields: dict[str, tuple[str, ...]] = {
            redact(str(k)): tuple(redact(str(m)) for m in v) for k, v in (fields or {}).items()
        }
        super().__init__(message, status=status, record=record)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "fields": self.fields}


class ProcoreConflictError(ProcoreValidationError):
    """HTTP 409 (``origin_id`` taken or owned by another integration), or a natural-key search that
    found more than one candidate, so adopting one would be a guess."""

    refusal_kind = "conflict"  # also when raised again as another error (``refusal_of`` reads the chain)

    @property
    def refusal(self) -> Refusal:
        """Procore holds something else under the record's key: a person decides."""
        return Refusal("conflict", str(self), {"system": "Procore"})


class ProcoreRateLimitError(ProcoreError, RateLimitError):
    """Still rate limited (429) after every retry, or the budget is spent and resets too far ahead
    to wait for. ``reset_at`` is the Unix time the window resets, when known."""

    def __init__(
        self, message: str, *, status: int | None = None, record: str = "", reset_at: float | None = None
    ) -> None:
        self.reset_at = reset_at
        super().__init__(message, status=status, record=record)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "reset_at": self.reset_at}


class ProcoreOutcomeUnknownError(ProcoreError, TransientError):
    """A write went out and no answer came back (timeout, reset): it may have been applied. Never
    retried blindly (no idempotency keys); search by natural key before sending it again."""


class ProcoreDataError(ProcoreError, AnswerError):
    """An answer this client cannot use: not JSON, not the expected shape, or a record without a
    readable ``updated_at`` (so change detection cannot place it in a window)."""


# -- reading an error answer -------------------------------------------------------------------------


def _clean(text: Any) -> str:
    out = " ".join(_TAG.sub(" ", str(text)).split())
    return out if len(out) <= _MAX_TEXT else out[: _MAX_TEXT - 1] + "…"


def _add(fields: dict[str, list[str]], name: str, messages: Any) -> None:
    if isinstance(messages, str | int | Decimal):
        messages = [messages]
    if isinstance(messages, Mapping):  # nested: {"vendor": {"name": [...]}} -> "vendor.name"
        for key, value in messages.items():
            _add(fields, f"{name}.{key}", value)
        return
    if isinstance(messages, Sequence):
        bucket = fields.setdefault(name, [])
        bucket.extend(_clean(m) for m in messages if m is not None and not isinstance(m, Mapping | list))


def _from_errors(value: Any, fields: dict[str, list[str]]) -> str:
    """The ``errors`` member in any of its shapes; returns a sentence, fills ``fields``."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, Mapping):
        for key, messages in value.items():
            _add(fields, str(key), messages)
        return ""
    if isinstance(value, Sequence):
        sentences = []
        for item in value:
            if isinstance(item, str):
                sentences.append(_clean(item))
            elif isinstance(item, Mapping):
                name = item.get("field") or item.get("attribute") or item.get("name")
                text = item.get("message") or item.get("error") or item.get("detail")
                if name and text:
                    _add(fields, str(name), text)
                elif text:
                    sentences.append(_clean(text))
        return "; ".join(s for s in sentences if s)
    return ""


def describe_error_body(body: Any, text: str = "") -> tuple[str, dict[str, tuple[str, ...]]]:
    """Procore's sentence and per-field messages from a decoded error body (``text`` when not JSON)."""
    fields: dict[str, list[str]] = {}
    sentences: list[str] = []
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):  # REST v2 / Document Management
            if error.get("message"):
                sentences.append(_clean(error["message"]))
            details = error.get("details")
            if isinstance(details, Sequence) and not isinstance(details, str):
                for detail in details:
                    if not isinstance(detail, Mapping):
                        continue
                    said = detail.get("message") or detail.get("reason_code")
                    if detail.get("field") and said:
                        _add(fields, str(detail["field"]), said)
                    elif said:
                        sentences.append(_clean(said))
        elif isinstance(error, str):  # OAuth: {"error": "invalid_client", "error_description": ...}
            description = body.get("error_description")
            sentences.append(_clean(f"{error}: {description}" if description else error))
        if isinstance(body.get("message"), str):
            sentences.append(_clean(body["message"]))
        if "errors" in body:
            sentences.append(_from_errors(body["errors"], fields))
    elif isinstance(body, list):
        sentences.append(_from_errors(body, fields))
    elif text.strip():
        sentences.append(_clean(text))
    sentence = "; ".join(dict.fromkeys(s for s in sentences if s))
    return redact(sentence), {redact(k): tuple(redact(m) for m in v) for k, v in fields.items() if v}


def describe_fields(fields: Mapping[str, Sequence[str]]) -> str:
    """``field 'name': can't be blank; field 'email_address': is invalid`` for an error message."""
    return "; ".join(f"field {name!r}: {', '.join(messages)}" for name, messages in fields.items())


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path or url
    except ValueError:
        return url


def procore_error_from(
    exc: ApiError,
    *,
    what: str,
    record: str = "",
    outcome_may_be_applied: bool = False,
) -> ProcoreError:
    """The typed error for a failed call. ``what`` says what was being done ("create vendor");
    ``outcome_may_be_applied`` is True for a non-idempotent write, so a lost answer is reported as
    "may have happened" rather than "failed"."""
    where = f"{exc.method} {_path_of(exc.url)}"
    subject = f" {record}" if record else ""
    if exc.status is None:
        reason = exc.detail or "no answer"
        if outcome_may_be_applied:
            return ProcoreOutcomeUnknownError(
                f"Procore: no answer to {what}{subject} ({reason}, {where}); it may have been applied, "
                "so search for the record by its natural key before sending it again",
                record=record,
            )
        return ProcoreError(f"Procore: could not {what}{subject}: {reason} ({where})", record=record)
    body = response_json(exc.response)
    text = exc.body_excerpt if body is None else ""
    said, fields = describe_error_body(body, text)
    detail = "; ".join(p for p in (said, describe_fields(fields)) if p) or exc.reason or "no details"
    status = exc.status
    message = f"Procore refused to {what}{subject} (HTTP {status}, {where}): {detail}"
    if status == 401:
        return ProcoreAuthError(
            f"{message}. The access token was refused again right after a new one was issued: check "
            "that the API host and the login host belong to the same Procore environment",
            status=status,
            record=record,
        )
    if status == 403:
        return ProcorePermissionError(
            f"{message}. A company admin must install the app in this company and grant it the tool "
            "and project permissions it needs (permitted projects are re-picked after app updates)",
            status=status,
            record=record,
        )
    if status == 404:
        return ProcoreNotFoundError(
            f"{message} (Procore also answers 404 for records the service account cannot read)",
            status=status,
            record=record,
        )
    if status == 409:
        return ProcoreConflictError(message, status=status, record=record, fields=fields)
    if status in (400, 406, 422):
        return ProcoreValidationError(message, status=status, record=record, fields=fields)
    if status == 408:
        return ProcoreError(
            f"{message}. Procore gives up on lists it finds too large to return unfiltered; lower the "
            "resource's page_size, or read fewer projects at once (project_ids)",
            status=status,
            record=record,
        )
    if status == 429:
        return ProcoreRateLimitError(
            f"{message}; still rate limited after {exc.attempts} attempt(s)", status=status, record=record
        )
    return ProcoreError(f"{message} (after {exc.attempts} attempt(s))", status=status, record=record)
