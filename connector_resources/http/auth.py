"""How a request proves who we are, as small objects an ``HttpClient`` composes.

The client drives every scheme through four calls, so a vendor quirk stays inside its scheme:

1. ``ensure_fresh(http)`` before each attempt: log in / fetch a token if there is none or it is
   about to expire (token requests go through ``http`` and so share its timeouts, retries and
   metrics).
2. ``apply(request)`` on the prepared request: add headers, or put the token into the body (JDE AIS).
3. ``is_expired(response)``: does this answer mean "your session is gone"? By default its status is
   in ``expired_statuses`` (444 for JDE AIS, 401 for OAuth and BILL; set per instance).
4. ``invalidate(request)`` when it is: forget the credential; the client re-authenticates **once**
   and replays the request, and a second "expired" answer is an ``AuthenticationError``.

Every secret a scheme learns (passwords, API keys, tokens) is registered with ``redaction`` the
moment it is known, so it cannot reach a log line or an error message.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from connector_resources.redaction import get_logger, register_secret

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient

log = get_logger("ml_connector.http.auth")


class AuthScheme:
    """Base scheme: sends nothing, never expires. Subclasses override what they need."""

    expired_statuses: frozenset[int] = frozenset()

    def __init__(self, *, expired_statuses: Iterable[int] | None = None) -> None:
        if expired_statuses is not None:
            self.expired_statuses = frozenset(int(s) for s in expired_statuses)

    def apply(self, request: requests.PreparedRequest) -> None:
        """Add the credential to ``request`` (headers by default; a subclass may use the body)."""

    def is_expired(self, response: requests.Response) -> bool:
        """Whether ``response`` says the credential expired (override to read a body code, e.g. BILL)."""
        return response.status_code in self.expired_statuses

    def invalidate(self, request: requests.PreparedRequest | None = None) -> None:
        """Forget the credential ``request`` was sent with, so the next ``ensure_fresh`` renews it."""

    def refused_early(self, request: requests.PreparedRequest | None) -> bool:
        """Whether the server refused the credential ``request`` was sent with before it was due to end
        (revoked, forgotten by the server: worth telling the operator) rather than at its end (routine)."""
        return True  # a static credential has no end

    def ensure_fresh(self, http: HttpClient) -> None:
        """Obtain or renew the credential if needed, using ``http`` for any login call."""


class NoAuth(AuthScheme):
    """For endpoints that need no credentials (health checks, a sandbox without auth)."""


class HeaderAuth(AuthScheme):
    """Static headers, e.g. an API key; every value is registered as a secret.

    A static credential cannot be renewed, so by default no status counts as "expired": a 401 is
    an ``AuthenticationError`` at once rather than a pointless replay.
    """

    def __init__(self, headers: Mapping[str, str], *, expired_statuses: Iterable[int] | None = None) -> None:
        super().__init__(expired_statuses=expired_statuses)
        if not headers:
            raise ValueError("HeaderAuth needs at least one header")
        for name, value in headers.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"HeaderAuth header {name!r} must be a non-empty string")
            register_secret(value)
        self._headers = dict(headers)

    def apply(self, request: requests.PreparedRequest) -> None:
        request.headers.update(self._headers)

    def __repr__(self) -> str:
        return f"HeaderAuth(headers={sorted(self._headers)})"


class BasicAuth(AuthScheme):
    """HTTP Basic (Oracle Fusion users, JDE AIS stateless calls, BILL-free sandboxes)."""

    def __init__(
        self, username: str, password: str, *, expired_statuses: Iterable[int] | None = None
    ) -> None:
        super().__init__(expired_statuses=expired_statuses)
        if not username:
            raise ValueError("BasicAuth username is empty")
        if not password:
            raise ValueError(f"BasicAuth password for user {username!r} is empty")
        register_secret(password)
        encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        # A server that echoes the Authorization header would otherwise leak the password in base64.
        register_secret(encoded)
        self.username = username
        self._header = f"Basic {encoded}"

    def apply(self, request: requests.PreparedRequest) -> None:
        request.headers["Authorization"] = self._header

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r})"


@dataclass(frozen=True)
class Token:
    """A credential with a lifetime. ``expires_at`` is epoch seconds (None: until the server says no)."""

    value: str = field(repr=False)
    expires_at: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)
    obtained_at: float = field(default_factory=time.time)

    @classmethod
    def expiring_in(
        cls, value: str, expires_in: float | None, extra: Mapping[str, Any] | None = None
    ) -> Token:
        """Build from an ``expires_in`` (seconds from now), the shape token endpoints answer with."""
        now = time.time()
        expires_at = None if expires_in is None else now + float(expires_in)
        return cls(value=value, expires_at=expires_at, extra=dict(extra or {}), obtained_at=now)


class TokenAuth(AuthScheme, ABC):
    """A token that is fetched once, reused by every thread, and renewed shortly before it expires.

    Renewal happens ``max(leeway_seconds, leeway_fraction * lifetime)`` before expiry (so a 24 h
    Coupa token is renewed 2.4 h early, close to Coupa's "refresh at 20 h" advice) but never earlier
    than half-way through the lifetime, so short test or sandbox tokens still get used.

    One lock serialises fetching: concurrent callers wait for the first one's token instead of each
    logging in (BILL allows 200 logins an hour). ``invalidate(request)`` marks the token stale only
    if ``request`` was signed with the current one, so a burst of 401s after an expiry costs one
    fetch. A stale token is kept (not dropped) until its replacement arrives: a thread that already
    passed ``ensure_fresh`` can still sign with it, and simply meets the expiry path itself.

    Subclasses implement ``fetch_token`` and ``header``. To put the token somewhere else (JDE AIS
    wants it in the JSON body), override ``apply`` and get the token with ``token_for(request)``.
    """

    expired_statuses = frozenset({401})

    def __init__(
        self,
        *,
        expired_statuses: Iterable[int] | None = None,
        leeway_seconds: float = 60.0,
        leeway_fraction: float = 0.1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(expired_statuses=expired_statuses)
        if leeway_seconds < 0 or not 0 <= leeway_fraction < 1:
            raise ValueError("leeway_seconds must be >= 0 and leeway_fraction in [0, 1)")
        self.leeway_seconds = leeway_seconds
        self.leeway_fraction = leeway_fraction
        self._clock = clock
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._stale = False  # the server rejected ``_token``; renew before the next use
        # Which token signed which in-flight request; its own lock, as fetching can hold ``_lock`` long.
        self._signed_lock = threading.Lock()
        self._signed_with: weakref.WeakKeyDictionary[requests.PreparedRequest, Token] = (
            weakref.WeakKeyDictionary()
        )
        self.fetch_count = 0

    @abstractmethod
    def fetch_token(self, http: HttpClient) -> Token:
        """Log in / call the token endpoint through ``http`` and return the new token."""

    @abstractmethod
    def header(self, token: Token) -> dict[str, str]:
        """The headers that carry ``token`` (e.g. ``{"Authorization": "Bearer ..."}``)."""

    @property
    def token(self) -> Token | None:
        """The cached token, if any (may be stale; ``ensure_fresh`` renews it)."""
        return self._token

    def needs_refresh(self, token: Token | None) -> bool:
        """True when there is no token or it is inside its renewal window (by time alone)."""
        if token is None:
            return True
        if token.expires_at is None:
            return False
        lifetime = max(0.0, token.expires_at - token.obtained_at)
        margin = min(max(self.leeway_seconds, self.leeway_fraction * lifetime), lifetime / 2)
        return self._clock() >= token.expires_at - margin

    def _must_renew(self) -> bool:
        return self._stale or self.needs_refresh(self._token)

    def ensure_fresh(self, http: HttpClient) -> None:
        if not self._must_renew():
            return
        with self._lock:
            # Someone else may have refreshed while we waited for the lock: reuse theirs.
            if not self._must_renew():
                return
            token = self._fetch_checked(http)
            self._hold(token)
            self.fetch_count += 1
            log.debug("%s obtained a new credential (expires_at=%s)", type(self).__name__, token.expires_at)

    def _fetch_checked(self, http: HttpClient) -> Token:
        """A new token from ``fetch_token``, refused unless it has a value; masked in logs from now on."""
        token = self.fetch_token(http)
        if not isinstance(token, Token) or not token.value:
            raise TypeError(f"{type(self).__name__}.fetch_token must return a Token with a value")
        register_secret(token.value)
        return token

    def _hold(self, token: Token) -> None:
        """Sign every request with ``token`` from now on (fetched here, or another process's)."""
        register_secret(token.value)
        self._token = token
        self._stale = False

    def token_for(self, request: requests.PreparedRequest) -> Token:
        """The current token, remembered as the one ``request`` is signed with."""
        token = self._token
        if token is None:
            raise RuntimeError(f"{type(self).__name__}.apply called before ensure_fresh obtained a token")
        with self._signed_lock:
            self._signed_with[request] = token
        return token

    def apply(self, request: requests.PreparedRequest) -> None:
        request.headers.update(self.header(self.token_for(request)))

    def refused_early(self, request: requests.PreparedRequest | None) -> bool:
        """``AuthScheme.refused_early`` by the expiry of the token ``request`` was signed with (stored with
        it, so a token kept from an earlier process is judged by its own). A token with no expiry (a JDE AIS
        or BILL session) lives until the server ends it, so its refusal is its routine end."""
        with self._signed_lock:
            used = self._signed_with.get(request) if request is not None else None
        token = used or self._token
        return token is not None and token.expires_at is not None and self._clock() < token.expires_at

    def invalidate(self, request: requests.PreparedRequest | None = None) -> None:
        with self._signed_lock:
            used = self._signed_with.get(request) if request is not None else None
        # Taking ``_lock`` waits out a fetch in progress, so a request signed with the token that
        # fetch replaces is recognised as old news instead of condemning the new token.
        with self._lock:
            if used is None or used is self._token:
                self._stale = True


def merge_json_body(request: requests.PreparedRequest, fields: Mapping[str, Any]) -> None:
    """Add ``fields`` to a prepared request's JSON object body (for schemes that carry the token there).

    JDE AIS's original style sends ``token`` and ``deviceName`` inside the request JSON. The body is
    re-encoded and ``Content-Length`` fixed, because the request was already prepared.
    """
    raw = request.body
    if raw is None or raw == b"" or raw == "":
        payload: dict[str, Any] = {}
    else:
        try:
            if not isinstance(raw, str | bytes):  # a streamed or form body, never JSON we could extend
                raise TypeError(type(raw).__name__)
            payload = json.loads(raw)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"cannot add credentials to a non-JSON body of {request.method} request"
            ) from exc
        if not isinstance(payload, dict):
            raise ValueError(
                f"cannot add credentials to a JSON {type(payload).__name__} body; need an object"
            )
    payload.update(fields)
    body = json.dumps(payload).encode("utf-8")
    request.body = body
    request.headers["Content-Length"] = str(len(body))
    request.headers.setdefault("Content-Type", "application/json")
