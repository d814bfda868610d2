"""BILL's session login as an ``HttpClient`` auth scheme, shared by every client in the process.

Why shared (reference §2.3, quirk 1): BILL allows **200 logins per devKey per hour**, and a session
lives until it has been idle for 35 minutes. A connector that logged in per batch, per thread or per
asset would burn that budget; so there is one ``BillSessionAuth`` per (API URL, devKey reference,
organization, user) in the process, every ``BillSession`` signs its calls with it, and the one lock in
``TokenAuth`` serialises logins (ten threads meeting an expired session cause one login, not ten).
Across processes (every Dagster step is one) the session is kept in a ``SessionStore``
(``session_store``: encrypted in the vault, its last use and the hour's logins in the ledger): a new
process adopts the stored session instead of logging in, a login is serialised across processes, and
the 200 logins of an hour are counted so the 201st is refused before it is sent.
We log in again only when BILL says the session is gone: ``BDC_1109`` in the body, whatever the
status (the docs' example is a 401; the status is unconfirmed), or a bare 401 with no BILL code (a
gateway's answer). A 401 that carries another code (``BDC_1102`` invalid devKey) is not "expired":
logging in again could not help, so it is raised at once.

How the credentials travel: login sends ``devKey``, ``username``, ``password`` and ``organizationId``
in the JSON body (v3; the v2 names ``userName``/``orgId`` are wrong for v3); every later v3 call sends
``devKey`` and ``sessionId`` as headers. Password and devKey are resolved by callables at login time
only and registered for redaction before they are sent, as is the sessionId BILL returns.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from connector_resources.bill.errors import (
    BAD_CREDENTIALS,
    BAD_DEV_KEY,
    HOURLY_CAP,
    SESSION_INVALID,
    TOO_MANY_IN_FLIGHT,
    BillAuthError,
    BillDataError,
    BillError,
    BillRateLimitError,
    BillUnavailableError,
    describe,
    error_codes,
    next_top_of_hour,
    problems_in,
    response_json,
)
from connector_resources.bill.session_store import (
    REUSE_IDLE,
    ProcessSessionStore,
    SessionStore,
    StoredSession,
    store_key,
)
from connector_resources.errors import when_again
from connector_resources.http.auth import Token, TokenAuth
from connector_resources.http.errors import ApiError
from connector_resources.redaction import get_logger, register_secret

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient

log = get_logger("ml_connector.bill.auth")

WRONG_ENVIRONMENT_HINT = (
    "BILL's sandbox (gateway.stage.bill.com) and production (gateway.prod.bill.com) share no users, "
    "developer keys or organizations: check that ML_BILL_URL, the developer key, the user and the "
    "organization id all belong to the same environment"
)


@dataclass(frozen=True)
class LoginInfo:
    """What a login told us (no secrets). Only ``sessionId`` and ``userId`` are confirmed; the
    organization and MFA flag are read when present."""

    username: str
    organization_id: str
    user_id: str = ""
    trusted: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)


class BillSessionAuth(TokenAuth):
    """One BILL session (``sessionId``) for a devKey + organization + user, renewed on BDC_1109.

    ``password`` and ``dev_key`` are callables so secrets are read (vault / environment) when logging
    in. ``fetch_count`` (from ``TokenAuth``) counts this object's logins, ``adopt_count`` the sessions it
    took from ``store`` (another process's login) instead of logging in.
    """

    def __init__(
        self,
        *,
        login_url: str,
        username: str,
        organization_id: str,
        password: Callable[[], str],
        dev_key: Callable[[], str],
        store: SessionStore | None = None,
    ) -> None:
        # A session has no clock we can see (35 minutes *idle*, reset by every call), so there is
        # no expires_at to renew ahead of: BILL tells us when it is gone.
        super().__init__(expired_statuses={401})
        if not username:
            raise ValueError("BILL username is empty")
        if not organization_id:
            raise ValueError(f"BILL organization id for user {username!r} is empty")
        self.login_url = login_url
        self.username = username
        self.organization_id = organization_id
        self.password_provider = password
        self.dev_key_provider = dev_key
        self._dev_key: str | None = None
        self.login: LoginInfo | None = None
        self.store: SessionStore = store or ProcessSessionStore()
        self.adopt_count = 0
        self._used_at: datetime | None = None  # the last request signed with the session
        self._store_warned = False

    # -- the session kept between processes ------------------------------------------------------

    def ensure_fresh(self, http: HttpClient) -> None:
        """Have a live session: this process's, else the stored one (another process's login), else a
        login, serialised across processes and counted against the hour's budget (``session_store``)."""
        if not self._must_renew():
            return
        with self._lock:
            if not self._must_renew():
                return
            rejected = self._token.value if self._token is not None and self._stale else None
            token = self._adopt(rejected)
            if token is None:
                with self.store.login_lock():
                    token = self._adopt(rejected)  # logged in by the process we waited for
                    if token is None:
                        self.store.take_login(f"as {self.username!r} (organization {self.organization_id})")
                        token = self.fetch_token(http)
                        self.fetch_count += 1
                        self._save(token)
            self._hold(token)

    def _adopt(self, rejected: str | None) -> Token | None:
        """The stored session unless it is the one BILL just rejected, or idle too long to be alive."""
        try:
            stored = self.store.load()
        except Exception as exc:  # the store is an optimisation: a login still works without it
            self._warn_store("read", exc)
            return None
        if stored is None or stored.session_id == rejected:
            return None
        if stored.organization_id != self.organization_id or stored.idle() > REUSE_IDLE:
            return None
        self.login = LoginInfo(
            username=self.username,
            organization_id=stored.organization_id,
            user_id=stored.user_id,
            trusted=stored.trusted,
        )
        self.adopt_count += 1
        log.debug(  # routine: every step and every restart adopts the kept session
            "reusing the BILL session of %s (organization %s) logged in at %s UTC",
            self.username,
            stored.organization_id,
            f"{stored.logged_in_at:%Y-%m-%d %H:%M:%S}",
        )
        return Token(value=stored.session_id, expires_at=None)

    def _save(self, token: Token) -> None:
        assert self.login is not None
        now = datetime.now(UTC)
        stored = StoredSession(
            session_id=token.value,
            username=self.username,
            organization_id=self.login.organization_id,
            user_id=self.login.user_id,
            trusted=self.login.trusted,
            logged_in_at=now,
            used_at=now,
        )
        try:
            self.store.save(stored)
        except Exception as exc:
            self._warn_store("keep", exc)

    def apply(self, request: requests.PreparedRequest) -> None:
        super().apply(request)
        self._used_at = datetime.now(UTC)
        try:  # every call resets BILL's idle timer; the store hears of it at most once a minute
            self.store.touch(self._used_at)
        except Exception as exc:
            self._warn_store("record the use of", exc)

    def flush(self) -> None:
        """Record the session's last use now (a client closing: the next step judges its idle time)."""
        if self._used_at is None:
            return
        try:
            self.store.touch(self._used_at, force=True)
        except Exception as exc:
            self._warn_store("record the use of", exc)

    def _warn_store(self, doing: str, exc: BaseException) -> None:
        if not self._store_warned:
            self._store_warned = True
            log.warning("could not %s the kept BILL session (logging in as needed): %s", doing, exc)

    # -- TokenAuth ------------------------------------------------------------------------------

    def is_expired(self, response: requests.Response) -> bool:
        codes = error_codes(response)
        if SESSION_INVALID in codes:
            return True
        return response.status_code == 401 and not codes

    def header(self, token: Token) -> dict[str, str]:
        return {"devKey": self.dev_key(), "sessionId": token.value}

    def dev_key(self) -> str:
        """The developer key, resolved once (at the first login) and registered as a secret."""
        if self._dev_key is None:
            value = self.dev_key_provider()
            if not value:
                raise BillAuthError(f"no BILL developer key is configured for user {self.username!r}")
            register_secret(value)
            self._dev_key = value
        return self._dev_key

    def fetch_token(self, http: HttpClient) -> Token:
        password = self.password_provider()
        if not password:
            raise BillAuthError(f"no BILL password is configured for user {self.username!r}")
        register_secret(password)
        body = {
            "devKey": self.dev_key(),
            "username": self.username,
            "password": password,
            "organizationId": self.organization_id,
        }
        what = f"log in to BILL as {self.username!r} (organization {self.organization_id})"
        try:
            # Logging in twice only costs one login of the hourly budget, so a lost answer may be
            # replayed; the devKey goes in the body for login only (reference §2.1).
            response = http.post(
                self.login_url, json=body, authenticate=False, idempotent=True, expected=(200, 201)
            )
        except ApiError as exc:
            raise login_error(exc, what) from None
        payload = response_json(response)
        problems = problems_in(payload)
        if problems:  # an error array on a 200 (quirk 4)
            raise _login_refused(what, [p.code for p in problems], describe(problems), response.status_code)
        if isinstance(payload, Mapping) and isinstance(payload.get("response_data"), Mapping):
            payload = payload["response_data"]  # a v2-style envelope: same fields, one level down
        if not isinstance(payload, Mapping):
            raise BillDataError(
                f"BILL answered the login of {self.username!r} with something other than JSON"
            )
        session_id = payload.get("sessionId")
        if not isinstance(session_id, str) or not session_id:
            raise BillAuthError(f"BILL accepted the login of {self.username!r} but returned no sessionId")
        register_secret(session_id)
        org = str(payload.get("organizationId") or payload.get("orgId") or self.organization_id)
        if org != self.organization_id:
            raise BillAuthError(
                f"BILL logged {self.username!r} into organization {org}, not the configured "
                f"{self.organization_id}; check ML_BILL_ORG_ID"
            )
        trusted = payload.get("trusted")
        self.login = LoginInfo(
            username=self.username,
            organization_id=org,
            user_id=str(payload.get("userId") or payload.get("usersId") or ""),
            trusted=trusted if isinstance(trusted, bool) else None,
            extra={k: v for k, v in payload.items() if k not in ("sessionId", "devKey")},
        )
        log.info(
            "logged in to BILL as %s (organization %s, user %s, MFA-trusted %s)",
            self.username,
            org,
            self.login.user_id or "?",
            self.login.trusted,
        )
        return Token(value=session_id, expires_at=None)

    def __repr__(self) -> str:
        return f"BillSessionAuth(username={self.username!r}, organization_id={self.organization_id!r})"


def login_error(exc: ApiError, what: str) -> BillError:
    """A failed login as a typed error: credentials, the hourly cap, or BILL being unavailable."""
    codes = error_codes(exc.response)
    problems = problems_in(response_json(exc.response))
    said = describe(problems) or exc.body_excerpt
    if exc.status is None or exc.status >= 500:
        return BillUnavailableError(f"BILL is not available to {what}: {exc}", status=exc.status)
    return _login_refused(what, codes, said, exc.status, retry_after=exc.retry_after)


def _login_refused(
    what: str,
    codes: list[str] | tuple[str, ...],
    said: str,
    status: int | None,
    retry_after: float | None = None,
) -> BillError:
    tail = f" BILL said: {said}." if said else ""
    if HOURLY_CAP in codes:
        retry_at = next_top_of_hour()
        return BillRateLimitError(
            f"BILL refused to {what}: the developer key's hourly cap on logins or requests is used up "
            f"(BDC_1144); calls fail until {when_again(retry_at)}. Sessions are kept between steps, so "
            f"something else is logging in with this key.{tail}",
            retry_at=retry_at,
            status=status,
        )
    if TOO_MANY_IN_FLIGHT in codes or status == 429:
        return BillRateLimitError(
            f"BILL kept throttling the request to {what} (BDC_1322 / 429) through every retry.{tail}",
            status=status,
        )
    if BAD_CREDENTIALS in codes or BAD_DEV_KEY in codes:
        which = "developer key" if BAD_DEV_KEY in codes else "username, password or organization id"
        return BillAuthError(
            f"BILL refused to {what}: wrong {which}. {WRONG_ENVIRONMENT_HINT}.{tail}", status=status
        )
    return BillAuthError(f"BILL refused to {what} (HTTP {status}).{tail}", status=status)


def retry_when(response: requests.Response) -> bool:
    """Answers that mean "not now" rather than "no", retried with backoff (POST included: BILL
    refused them before doing any work).

    BDC_1322 (a fourth request in flight) is identified by its code whatever the status, since the
    status is unconfirmed (quirk 4). 429 and 503 are the generic "slow down" / "try later". BDC_1144
    is never retried, even on a 429: the hourly window does not reopen before the top of the hour,
    so retrying would only spend more of it.
    """
    codes = error_codes(response)
    if HOURLY_CAP in codes:
        return False
    if TOO_MANY_IN_FLIGHT in codes:
        return True
    return response.status_code in (429, 503)


# -- the process-wide session registry ---------------------------------------------------------------

_registry_lock = threading.Lock()
_sessions: dict[tuple[str, str, str, str], BillSessionAuth] = {}


def reference_digest(dev_key_reference: str) -> str:
    """A short, non-secret name for a devKey reference (it may be the key itself): used in cache and
    in-flight limit keys, which can appear in messages."""
    return hashlib.sha256(dev_key_reference.encode("utf-8")).hexdigest()[:12]


def shared_session_auth(
    *,
    login_url: str,
    username: str,
    organization_id: str,
    dev_key_reference: str,
    password: Callable[[], str],
    dev_key: Callable[[], str],
    store: Callable[[str], SessionStore] | None = None,
) -> BillSessionAuth:
    """The process's one ``BillSessionAuth`` for this login; created on first use, with the session
    store ``store(key)`` gives (``session_store.store_key``; default: this process only).

    A later caller's secret providers replace the earlier ones, so a rotated password is used at the
    next login without dropping a session that still works.
    """
    key = (login_url, reference_digest(dev_key_reference), organization_id, username)
    with _registry_lock:
        auth = _sessions.get(key)
        if auth is None:
            digest = store_key(login_url, key[1], organization_id, username)
            auth = _sessions[key] = BillSessionAuth(
                login_url=login_url,
                username=username,
                organization_id=organization_id,
                password=password,
                dev_key=dev_key,
                store=store(digest) if store is not None else None,
            )
        else:
            auth.password_provider = password
            auth.dev_key_provider = dev_key
        return auth


def forget_sessions() -> int:
    """Drop every cached session (tests, or after changing credentials); returns how many."""
    with _registry_lock:
        count = len(_sessions)
        _sessions.clear()
        return count
