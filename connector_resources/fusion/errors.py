"""Typed Oracle Fusion errors, and the reader that pulls the pod's own words out of any error answer.

Why typed: a caller acts differently on each. ``FusionAuthError`` / ``FusionPermissionError`` are
configuration (stop, tell the operator which credential or role); ``FusionValidationError`` is a
business error (queue the record with the pod's words, carry on with the batch);
``FusionOutcomeUnknownError`` means a create may or may not have happened (search by natural key before
trying again); ``FusionRateLimitError`` / ``FusionUnavailableError`` are transient (retry the run later).

Every message is one line and redacted when the error is built: it may contain server text or URLs.

Where the pod puts its words is only partly documented (reference §2.10, quirk 7), so
``parse_error_body`` accepts every plausible shape: the terse plain-text line most pods send
(``Invalid operation create for the specified resource.``), Oracle's REST error standard
(``{"title", "detail", "o:errorCode", "o:errorDetails": [{"detail", "o:errorPath"}]}``, switched on by an
``Accept`` header and a framework version the reference could not pin down), RFC 6749 token-endpoint
bodies (``{"error", "error_description"}``), an HTML page from a front proxy or a maintenance window,
and an empty body.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import requests

from connector_resources.error_kinds import AnswerError, ConfigurationError, RateLimitError, TransientError
from connector_resources.errors import FieldInputMixin, MessagesMixin, RecordError, RetryAfterMixin
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal, target_refused

# What the package re-exports (``connector_resources.fusion``).
__all__ = [
    "ErrorBody",
    "FieldMessage",
    "FusionAmbiguousMatchError",
    "FusionAuthError",
    "FusionConflictError",
    "FusionError",
    "FusionInputError",
    "FusionNotFoundError",
    "FusionOutcomeUnknownError",
    "FusionPermissionError",
    "FusionQueryError",
    "FusionRateLimitError",
    "FusionResponseError",
    "FusionUnavailableError",
    "FusionValidationError",
    "parse_error_body",
]

_MAX_MESSAGES_SHOWN = 6
_MAX_TEXT = 400
_TAG = re.compile(r"<[^>]+>")
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SCRIPT_STYLE = re.compile(r"<(script|style)[^>]*>.*?</\1>", re.IGNORECASE | re.DOTALL)
# Attribute names look like PascalCase identifiers (InvoiceNumber) or underscore names (_SEGMENT1).
# "attribute X" / "field X" wording names it; the name must look like one (not "field is required").
_ATTRIBUTE_WORD = re.compile(r"\b(?i:attribute|field)\s+['\"]?([A-Z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class FieldMessage:
    """One message from the pod and, when it can be told, the attribute it is about.

    ``field`` is an ``o:errorPath`` (``invoiceLines/1/DistributionCombination``) from a structured
    body, or an attribute name found in a plain-text message; empty when the pod did not say.
    """

    text: str
    field: str = ""
    code: str = ""

    def __str__(self) -> str:
        head = f"{self.field}: " if self.field else ""
        tail = f" [{self.code}]" if self.code else ""
        return f"{head}{self.text}{tail}"


class FusionError(RecordError):
    """Base of every Oracle Fusion error.

    ``status`` is the HTTP status when one arrived, ``entity`` the client entity (``invoices``) and
    ``record`` how the record is named (``invoice INV-1 of supplier Acme``) when the error is about one.
    """


class FusionInputError(FieldInputMixin, FusionError, ValueError):
    """A value the client refuses to send (a float amount, a naive datetime, a missing natural key);
    ``field`` names it (``refusal``: the field cannot be written as it is). Nothing was sent."""


class FusionAuthError(FusionError, ConfigurationError):
    """Credentials refused: the token endpoint said no, basic credentials were wrong, or a fresh
    token was rejected too (HTTP 401)."""


class FusionPermissionError(FusionAuthError):
    """Authenticated, but the Fusion user lacks the role for a resource (HTTP 403). Not retried."""


class FusionValidationError(MessagesMixin[FieldMessage], FusionError):
    """The pod refused a write (HTTP 400) and said why, as far as it says anything.

    ``messages`` are the pod's own words with the attribute each is about when it can be told;
    ``fields`` lists those attributes. Fusion often answers one terse line naming no attribute, so
    ``fields`` may be empty: the record is always named in the message.
    """

    @property
    def refusal(self) -> Refusal:
        """Fusion refused the record: its first error code (``o:errorCode``) when it gave one, else the
        HTTP status, grouped by."""
        code = next((m.code for m in self.messages if m.code), "") or str(self.status or "")
        return target_refused(str(self), system="Fusion", code=code)


class FusionQueryError(MessagesMixin[FieldMessage], FusionError):
    """A read the pod refused (bad ``q``, a non-queryable attribute, an unknown finder: HTTP 400)."""


class FusionNotFoundError(FusionError):
    """The record or resource does not exist (HTTP 404, or a key search that found nothing)."""


class FusionConflictError(FusionError):
    """The record changed since it was read (HTTP 412 on ``If-Match``).

    A single 412 is handled by ``FusionSession.update_with_etag`` (it re-reads and retries once); this
    error reaching a flow means the record kept changing under us, so the flow queues the record with
    this message rather than overwriting someone else's edit. ``fields`` names the attributes the
    refused update was about to set (empty when the caller did not say).
    """

    refusal_kind = "conflict"  # also when raised again as another error (``refusal_of`` reads the chain)

    def __init__(self, message: str, *, fields: tuple[str, ...] = (), **kwargs: Any) -> None:
        self.fields = tuple(fields)
        super().__init__(message, **kwargs)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "fields": self.fields}

    @property
    def refusal(self) -> Refusal:
        """Someone else keeps changing the record: a person decides which change stands."""
        return Refusal("conflict", str(self), {"system": "Fusion"})


class FusionRateLimitError(RetryAfterMixin, FusionError, RateLimitError):
    """The pod kept answering 429 after every retry the policy allows."""


class FusionUnavailableError(FusionError, TransientError):
    """The pod could not be reached or kept failing (5xx, a maintenance window, timeouts) after every
    retry. Nothing here needs a decision about duplicates: a write that may have happened is a
    ``FusionOutcomeUnknownError``."""


class FusionOutcomeUnknownError(FusionError, TransientError):
    """A write was sent and no clear answer came back (a timeout, a reset, a 500): the pod may have
    applied it. It is never replayed blindly; search by the record's natural key first."""


class FusionResponseError(FusionError, AnswerError):
    """An answer in a shape the client cannot use (not JSON, a collection without ``items``, a record
    without its ``LastUpdateDate``)."""


class FusionAmbiguousMatchError(FusionError):
    """A natural-key search matched more than one record, so adopting one would be a guess."""

    refusal_kind = "ambiguous"  # also when raised again as another error (``refusal_of`` reads the chain)

    @property
    def refusal(self) -> Refusal:
        return Refusal("ambiguous", str(self), {"system": "Fusion", "candidates": ""})


# -- reading error bodies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorBody:
    """What an error answer said: a one-line ``summary`` and the individual ``messages``."""

    summary: str
    messages: tuple[FieldMessage, ...] = ()
    kind: str = "text"  # text | structured | oauth | html | empty | json

    def describe(self, limit: int = _MAX_MESSAGES_SHOWN) -> str:
        """The pod's words on one line: the messages when there are any, else the summary."""
        if not self.messages:
            return self.summary
        shown = [str(m) for m in self.messages[:limit]]
        more = len(self.messages) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
        if self.summary and self.summary not in text:
            text = f"{self.summary}: {text}"
        return text


def _one_line(text: str, limit: int = _MAX_TEXT) -> str:
    line = " ".join(redact(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _text_of(response: requests.Response) -> str:
    try:
        return response.content[:65_536].decode(response.encoding or "utf-8", "replace")
    except Exception:  # an undecodable body is not worth failing the error path for
        return ""


def parse_error_body(response: requests.Response | None, known_fields: Iterable[str] = ()) -> ErrorBody:
    """Read any error answer (see module docstring); ``known_fields`` are attribute names the request
    sent, so a plain-text message that mentions one is tied to it."""
    if response is None:
        return ErrorBody("no answer", kind="empty")
    text = _text_of(response).strip()
    if not text:
        return ErrorBody(f"HTTP {response.status_code} with an empty body", kind="empty")
    content_type = response.headers.get("Content-Type", "").lower()
    if text[:1] in "{[" or "json" in content_type:
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            return _from_json(payload, known_fields)
    if "html" in content_type or text[:1] == "<":
        return _from_html(text)
    return _from_text(text, known_fields)


def _from_json(payload: dict[str, Any], known_fields: Iterable[str]) -> ErrorBody:
    details = payload.get("o:errorDetails")
    if isinstance(details, list) or "o:errorCode" in payload or "title" in payload:
        messages: list[FieldMessage] = []
        for item in details if isinstance(details, list) else []:
            if not isinstance(item, dict):
                continue
            detail = str(item.get("detail") or item.get("title") or "").strip()
            if not detail:
                continue
            path = str(item.get("o:errorPath") or "").strip()
            code = str(item.get("o:errorCode") or "").strip()
            messages.append(FieldMessage(_one_line(detail), path or _field_in(detail, known_fields), code))
        summary = str(payload.get("detail") or payload.get("title") or "").strip()
        if not messages and summary:
            code = str(payload.get("o:errorCode") or "").strip()
            messages.append(FieldMessage(_one_line(summary), _field_in(summary, known_fields), code))
        return ErrorBody(
            _one_line(summary or "structured error without a detail"), tuple(messages), "structured"
        )
    if "error" in payload and isinstance(payload.get("error"), str):
        description = str(payload.get("error_description") or "").strip()
        summary = payload["error"] + (f": {description}" if description else "")
        return ErrorBody(_one_line(summary), kind="oauth")
    for key in ("detail", "message", "title", "error"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            field = _field_in(value, known_fields)
            return ErrorBody(_one_line(value), (FieldMessage(_one_line(value), field),), "json")
    return ErrorBody(_one_line(json.dumps(payload)[:_MAX_TEXT]), kind="json")


def _from_html(text: str) -> ErrorBody:
    match = _HTML_TITLE.search(text)
    body = _SCRIPT_STYLE.sub(" ", text)
    words = html.unescape(_TAG.sub(" ", body))
    title = html.unescape(_TAG.sub(" ", match.group(1))).strip() if match else ""
    visible = " ".join(words.split())
    summary = title or visible
    if title and visible and visible != title:
        summary = f"{title} ({visible[:200]})" if not visible.startswith(title) else visible[:300]
    return ErrorBody(_one_line(f"HTML page: {summary or 'no text'}", 300), kind="html")


def _from_text(text: str, known_fields: Iterable[str]) -> ErrorBody:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    messages = tuple(FieldMessage(_one_line(line), _field_in(line, known_fields)) for line in lines[:20])
    return ErrorBody(_one_line(" ".join(lines)), messages, "text")


def _field_in(text: str, known_fields: Iterable[str]) -> str:
    """The attribute a plain-text message is about: ``attribute X`` wording, else the longest attribute
    name the request sent that appears in the text as a whole word (terse messages name none)."""
    match = _ATTRIBUTE_WORD.search(text)
    if match:
        return match.group(1)
    found = [
        name for name in known_fields if name and re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}\b", text)
    ]
    return max(found, key=len) if found else ""
