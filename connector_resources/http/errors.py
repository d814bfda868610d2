"""Exceptions an API call raises, safe to log, show in the Dagster UI and store in the audit trail.

Every field that can carry server text or a URL is redacted when the error is built, not when it is
printed: the object may be pickled, stored or rendered by code that never calls ``redact``. URLs lose
their user-info and the values of query parameters that look like credentials (JDE AIS next-page
links embed the session token; presigned links carry signatures) before the registered-secret pass.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from connector_resources.error_kinds import ConfigurationError, ConnectorError, TransientError
from connector_resources.redaction import MASK, redact

# What the package re-exports (``connector_resources.http``).
__all__ = [
    "ApiError",
    "AuthenticationError",
    "ClientError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "safe_url",
]


def response_json(response: requests.Response | None) -> Any:
    """A response body decoded with exact decimals, or None when there is none or it is not JSON.

    Error answers are read for the server's message, and an HTML 404/5xx page or an empty body must
    not turn the error being reported into a decoding error.
    """
    if response is None:
        return None
    try:
        return json.loads(response.content or b"null", parse_float=Decimal)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


EXCERPT_CHARS = 300
# Redact the whole body before cutting the excerpt, so a secret cannot survive half-cut at the edge;
# bodies bigger than this are error pages, not evidence, and only their start matters.
_REDACT_SCAN_CHARS = 65_536

# A query parameter is masked when its name, lower-cased with separators removed, ends with one of
# these (access_token, sessionId, X-Amz-Signature, apiKey, devKey, client_secret, ...).
_SECRET_PARAM_ENDINGS = (
    "token",
    "secret",
    "password",
    "passwd",
    "pwd",
    "key",
    "signature",
    "sig",
    "session",
    "sessionid",
    "credential",
    "credentials",
    "assertion",
)


def _is_secret_param(name: str) -> bool:
    normalized = re.sub(r"[^a-z0-9]", "", name.lower())
    return normalized.endswith(_SECRET_PARAM_ENDINGS)


def safe_url(url: str | None) -> str:
    """``url`` without user-info and with credential-like query values masked, then redacted."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if _is_secret_param(name) else value) for name, value in pairs],
            safe="*|:/,",
        )
    return redact(urlunsplit((parts.scheme, netloc, parts.path, query, "")))


def body_excerpt(response: requests.Response | None, limit: int = EXCERPT_CHARS) -> str:
    """A short, one-line, redacted start of a response body, for error messages."""
    if response is None:
        return ""
    try:
        text = response.content[:_REDACT_SCAN_CHARS].decode(response.encoding or "utf-8", "replace")
    except Exception:  # a body we cannot even decode is not worth failing the error path for
        return ""
    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ApiError(ConnectorError, RuntimeError):
    """An API call that did not produce an expected answer.

    ``status`` is the HTTP status (None when no response arrived), ``url`` and ``body_excerpt`` are
    already redacted, ``attempts`` counts the HTTP attempts spent, ``response`` is the last response
    (for callers that must read a vendor error code, e.g. BILL's ``BDC_1322``; never printed).
    """

    def __init__(
        self,
        system: str,
        method: str,
        url: str,
        *,
        status: int | None = None,
        reason: str = "",
        body_excerpt: str = "",
        detail: str = "",
        attempts: int = 1,
        retry_after: float | None = None,
        response: requests.Response | None = None,
    ) -> None:
        self.system = system
        self.method = method.upper()
        self.url = safe_url(url)
        self.status = status
        self.reason = redact(reason)
        self.body_excerpt = " ".join(redact(body_excerpt).split())
        self.detail = " ".join(redact(detail).split())
        self.attempts = attempts
        self.retry_after = retry_after
        self.response = response
        super().__init__(self._render())

    def _render(self) -> str:
        tries = f"after {self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        head = f"{self.system}: {self.method} {self.url}"
        if self.status is None:
            text = f"{head} failed {tries}"
        else:
            text = f"{head} -> {self.status}{' ' + self.reason if self.reason else ''} {tries}"
        tail = "; ".join(part for part in (self.detail, self.body_excerpt) if part)
        return f"{text}: {tail}" if tail else text

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):  # keep pickling (Dagster, multiprocessing) working with keyword fields
        return (
            _rebuild,
            (
                type(self),
                self.system,
                self.method,
                self.url,
                {
                    "status": self.status,
                    "reason": self.reason,
                    "body_excerpt": self.body_excerpt,
                    "detail": self.detail,
                    "attempts": self.attempts,
                    "retry_after": self.retry_after,
                },
            ),
        )

    @classmethod
    def from_response(
        cls,
        system: str,
        method: str,
        url: str,
        response: requests.Response,
        *,
        attempts: int = 1,
        detail: str = "",
        retry_after: float | None = None,
    ) -> ApiError:
        """Build from a response; called on ``ApiError`` it picks the subclass for the status."""
        error_cls = error_class_for(response.status_code) if cls is ApiError else cls
        return error_cls(
            system,
            method,
            url,
            status=response.status_code,
            reason=response.reason or "",
            body_excerpt=body_excerpt(response),
            detail=detail,
            attempts=attempts,
            retry_after=retry_after,
            response=response,
        )


def _rebuild(cls: type[ApiError], system: str, method: str, url: str, fields: dict) -> ApiError:
    return cls(system, method, url, **fields)


class RateLimitedError(ApiError, TransientError):
    """429 (or a vendor's own throttling answer) still there after every retry."""


class ServerError(ApiError, TransientError):
    """5xx: the server failed; retried when safe, raised when attempts or deadline ran out."""


class ClientError(ApiError):
    """4xx other than 401/429: the request itself is wrong; never retried (trying again cannot help)."""


class AuthenticationError(ApiError, ConfigurationError):
    """Credentials rejected: bad login, a token request refused, or a session that expired twice."""


class TransportError(ApiError, TransientError):
    """No usable HTTP answer: timeouts, refused or reset connections, TLS failures."""


def error_class_for(status: int) -> type[ApiError]:
    """The ``ApiError`` subclass for an HTTP status."""
    if status == 429:
        return RateLimitedError
    if status in (401, 407):
        return AuthenticationError
    if 400 <= status < 500:
        return ClientError
    if status >= 500:
        return ServerError
    # A 1xx/2xx/3xx the caller did not list in ``expected``.
    return ClientError
