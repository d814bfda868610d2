"""Typed Coupa errors, and the reader that pulls Coupa's own words out of any error answer.

Why typed: a caller acts differently on each. ``CoupaAuthError`` / ``CoupaScopeError`` are
configuration (stop, tell the operator which credential or scope); ``CoupaValidationError`` is a
business error (queue the record with Coupa's words, carry on with the batch);
``CoupaOutcomeUnknownError`` means a create may or may not have happened (search by natural key
before trying again); ``CoupaRateLimitError`` / ``CoupaUnavailableError`` are transient (retry the
run later).

Every message is one line and redacted when the error is built (it may contain server text or
URLs). Where Coupa puts its messages is only partly documented (reference §2.9, §2.1), so
``server_messages`` accepts every plausible shape: ``{"errors": {"invoice-header": [...]}}`` (nested
or not), ``{"errors": [...]}``, ``{"errors": "..."}``, RFC 6749 ``{"error", "error_description"}``
from the token endpoint, XML ``<errors><error>...</error></errors>`` and plain text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from connector_resources.error_kinds import AnswerError, ConfigurationError, RateLimitError, TransientError
from connector_resources.errors import FieldInputMixin, MessagesMixin, RecordError
from connector_resources.redaction import redact
from connector_resources.refusals import Refusal

# What the package re-exports (``connector_resources.coupa``).
__all__ = [
    "CoupaAmbiguousMatchError",
    "CoupaAuthError",
    "CoupaError",
    "CoupaInputError",
    "CoupaMessage",
    "CoupaNotFoundError",
    "CoupaOutcomeUnknownError",
    "CoupaQueryError",
    "CoupaRateLimitError",
    "CoupaResponseError",
    "CoupaScopeError",
    "CoupaUnavailableError",
    "CoupaValidationError",
]

_MAX_MESSAGES_SHOWN = 8


@dataclass(frozen=True)
class CoupaMessage:
    """One message Coupa returned: the element it was filed under (``invoice-header``), its text,
    and, when it can be told, the field it is about (``invoice-lines[2].account``)."""

    element: str
    text: str
    field: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.text}" if self.field else self.text


class CoupaError(RecordError):
    """Base of every Coupa error. ``status`` is the HTTP status when one arrived, ``entity`` the
    Coupa entity (``invoices``) and ``record`` how the record is named (``invoice INV-1 of supplier
    10442``) when the error is about one."""


class CoupaInputError(FieldInputMixin, CoupaError, ValueError):
    """A value the client refuses to send (a float amount, a naive datetime, a missing natural key);
    ``field`` names it (``refusal``: the field cannot be written as it is). Nothing was sent."""


class CoupaAuthError(CoupaError, ConfigurationError):
    """Credentials refused: the token endpoint said no, or a fresh token was rejected too."""


class CoupaScopeError(CoupaAuthError):
    """A scope is missing: not requested by the session, not granted to the OAuth client (token
    request refused with ``invalid_scope``), or the API answered 403. ``missing`` names the scopes
    when known."""

    def __init__(self, message: str, *, missing: Sequence[str] = (), **kwargs: Any) -> None:
        self.missing = tuple(missing)
        super().__init__(message, **kwargs)

    def _fields(self) -> dict[str, Any]:
        return {**super()._fields(), "missing": self.missing}


class CoupaValidationError(MessagesMixin[CoupaMessage], CoupaError):
    """Coupa refused a write (HTTP 400, or 422 on some instances) and said why.

    ``messages`` are Coupa's own (``Invoice number has already been taken``) with the field each is
    about when it can be told; ``fields`` lists those fields.
    """

    @property
    def already_taken(self) -> bool:
        """True when Coupa says a natural key is already in use (another attempt created it)."""
        return any("already been taken" in m.text.lower() for m in self.messages)


class CoupaQueryError(MessagesMixin[CoupaMessage], CoupaError):
    """A read Coupa refused (a filter it does not accept, HTTP 400); carries its messages."""


class CoupaNotFoundError(CoupaError):
    """The record does not exist (HTTP 404 on show / update)."""


class CoupaRateLimitError(CoupaError, RateLimitError):
    """Coupa kept answering 429 after every retry the policy allows."""


class CoupaUnavailableError(CoupaError, TransientError):
    """Coupa could not be reached or kept failing (5xx, timeouts) after every retry; nothing that
    needs a decision about duplicates (a write that may have happened is ``CoupaOutcomeUnknownError``)."""


class CoupaOutcomeUnknownError(CoupaError, TransientError):
    """A write was sent and no clear answer came back (a timeout, a reset, a 500/502/504): Coupa may
    have applied it. It is never replayed blindly; search by the record's natural key first."""


class CoupaResponseError(CoupaError, AnswerError):
    """An answer in a shape the client cannot use (XML despite ``Accept: application/json``, an
    object where a list belongs, a record without its ``updated-at``)."""


class CoupaAmbiguousMatchError(CoupaError):
    """A natural-key search matched more than one record, so adopting one would be a guess."""

    refusal_kind = "ambiguous"  # also when raised again as another error (``refusal_of`` reads the chain)

    @property
    def refusal(self) -> Refusal:
        return Refusal("ambiguous", str(self), {"system": "Coupa", "candidates": ""})


# -- reading Coupa's messages ------------------------------------------------------------------------

_XML_ERROR = re.compile(r"<error[^>]*>(.*?)</error>", re.IGNORECASE | re.DOTALL)
_LINE_PREFIX = re.compile(r"^(?P<what>[A-Za-z][A-Za-z \-]*?)\s+(?P<num>\d+)\s*:\s*(?P<rest>.+)$")
_RAILS_VERB = re.compile(
    r"^(?P<attr>[a-z][a-z ]{0,40}?) (?:can't|cannot|can not|is|are|has|have|must|does|doesn't|isn't|"
    r"should|was|were|may|already)\b"
)


def response_payload(response: requests.Response | None) -> Any:
    """The JSON body of ``response`` (decimals as ``Decimal``), its text when it is not JSON, or None."""
    if response is None:
        return None
    raw = response.content or b""
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_float=Decimal)
    except (TypeError, ValueError):
        return raw[:65_536].decode(response.encoding or "utf-8", "replace")


def _walk(node: Any, element: str, out: list[tuple[str, str]]) -> None:
    if isinstance(node, str):
        if node.strip():
            out.append((element, node.strip()))
    elif isinstance(node, Mapping):
        for key, value in node.items():
            _walk(value, str(key) if not element else f"{element}.{key}", out)
    elif isinstance(node, list | tuple):
        for item in node:
            _walk(item, element, out)
    elif node is not None:
        out.append((element, str(node)))


def server_messages(payload: Any) -> list[tuple[str, str]]:
    """``(element, text)`` pairs from any Coupa error body (see module docstring for the shapes)."""
    out: list[tuple[str, str]] = []
    if isinstance(payload, Mapping):
        if "errors" in payload:
            _walk(payload["errors"], "", out)
        if isinstance(payload.get("error"), str):  # RFC 6749 token-endpoint errors
            description = payload.get("error_description")
            text = f"{payload['error']}: {description}" if description else str(payload["error"])
            out.append(("oauth", text))
        if not out:
            for key in ("message", "messages", "detail"):
                if key in payload:
                    _walk(payload[key], "", out)
    elif isinstance(payload, list):
        _walk(payload, "", out)
    elif isinstance(payload, str) and payload.strip():
        found = _XML_ERROR.findall(payload)
        if found:
            out.extend(("", " ".join(html.unescape(m).split())) for m in found if m.strip())
        elif not payload.lstrip().startswith("<"):
            out.append(("", " ".join(payload.split())[:300]))
    return [(element, redact(text)) for element, text in out]


def _humanise(key: str) -> str:
    return " ".join(re.split(r"[-_\s]+", key.strip().lower()))


def _sent_fields(
    sent: Mapping[str, Any] | None,
) -> tuple[list[tuple[str, str]], dict[str, list[tuple[str, str]]]]:
    """(header keys, line keys per collection) of a request body, humanised, longest first."""
    header: list[tuple[str, str]] = []
    lines: dict[str, list[tuple[str, str]]] = {}
    for key, value in (sent or {}).items():
        header.append((_humanise(key), key))
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            keys = {k for item in value for k in item}
            lines[key] = sorted(((_humanise(k), k) for k in keys), key=lambda p: -len(p[0]))
    header.sort(key=lambda p: -len(p[0]))
    return header, lines


def _attribute(rest: str) -> str:
    """The attribute words a Rails full message starts with (``account can't be blank`` -> ``account``),
    hyphenated like Coupa's element names; empty when the message has no such shape."""
    match = _RAILS_VERB.match(rest)
    return "-".join(match.group("attr").split()) if match else ""


def _field_of(text: str, header: list[tuple[str, str]], lines: dict[str, list[tuple[str, str]]]) -> str:
    """Best-effort field a Rails-style full message is about: ``Invoice line 2: Account can't be blank``
    -> ``invoice-lines[2].account``; ``Invoice number has already been taken`` -> ``invoice-number``.
    Keys the request sent are matched first (so the caller's spelling comes back); otherwise Coupa's
    own attribute words are used, hyphenated."""
    lowered = " ".join(text.lower().split())
    match = _LINE_PREFIX.match(lowered)
    if match:
        what = _humanise(match.group("what"))
        rest = match.group("rest")
        for collection, keys in lines.items():
            singular = _humanise(collection).rstrip("s")
            if what == singular or what.startswith(singular) or singular.endswith(what):
                for human, key in keys:
                    if rest.startswith(human):
                        return f"{collection}[{match.group('num')}].{key}"
                attribute = _attribute(rest)
                line = f"{collection}[{match.group('num')}]"
                return f"{line}.{attribute}" if attribute else line
    for human, key in header:
        if lowered.startswith(human):
            return key
    return _attribute(lowered)


def coupa_messages(payload: Any, sent: Mapping[str, Any] | None = None) -> tuple[CoupaMessage, ...]:
    """Coupa's messages from an error body, each tagged with the field it is about when known."""
    header, lines = _sent_fields(sent)
    return tuple(
        CoupaMessage(element=element, text=text, field=_field_of(text, header, lines))
        for element, text in server_messages(payload)
    )


def describe(messages: Iterable[CoupaMessage]) -> str:
    """Messages as one line, at most a handful (the rest counted), for an exception message."""
    items = [str(m) for m in messages]
    if len(items) > _MAX_MESSAGES_SHOWN:
        extra = len(items) - _MAX_MESSAGES_SHOWN
        items = items[:_MAX_MESSAGES_SHOWN] + [f"and {extra} more"]
    return "; ".join(items)
