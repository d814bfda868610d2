"""The AIS session as an ``HttpClient`` auth scheme: token request, token on every call, logout.

A stateful AIS session is cheap to reuse and expensive to create (each one is a JAS session on the
HTML server), so the connector logs in once per batch, signs every call with the same token and logs
out at the end (reference §4.5). When any service answers **444**, or **403 whose body says the token is
invalid** (Oracle's AIS REST reference documents both for a dead token: 403 "Token is Invalid" and 444
"Invalid Token"), the token is gone (idle timeout, time-to-live, a server restart): ``HttpClient`` then
calls ``invalidate`` + ``ensure_fresh`` and replays the request once, which logs in again here. A 403 that
does not say so is a real permission refusal (a table or orchestration the user may not use) and stays
a configuration error (``dead_token``).

How the token travels (reference §2.3, §2.6): the original style is ``token`` + ``deviceName`` in the
JSON body, which every AIS release accepts for the data service; the ``jde-AIS-Auth`` /
``jde-AIS-Auth-Device`` headers are the documented way for orchestrations. We send the headers on
every call and the body fields on every JSON call except orchestrations, whose body is the
orchestration's own input (an extra ``token`` input there would be noise at best). A server that
reads either place is satisfied.

The password is resolved by a callable at login time only (vault or environment), never stored on
this object, and registered for redaction before it is sent.

**Kept across steps and runs.** Every Dagster step is a process, and each AIS login opens a JAS session
that holds a licence until logout or timeout. With a vault key configured the token is kept encrypted
in the vault (``token_store.VaultTokenStore``, ``jde_ais/token/<digest of URL, user, environment,
role and device>``) together with what the login said (date format, environment, role: no secret),
and every later session in any process adopts it (``KeptTokenAuth``) until AIS answers 444; then
one process logs in again, serialised across processes by the store's login lock, and the others
adopt the new token. The token is bound to the device name (reference §1), which every process
sends the same, so processes on other machines may share it too. A kept token is not logged out at
the end of a batch (that would end it for everyone).

**Without a vault key** the token is kept in the process's memory instead (``InProcessTokenStore``,
same name): every session of the process (the steps of a run, the in-process executor's) adopts it,
logs in again only on 444, and the process logs it out once at exit (``session_store``), so no licence
is left held. A session asked not to keep (``ping``) logs in and out on its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from connector_resources.http.auth import Token, TokenAuth, merge_json_body
from connector_resources.http.client import HttpClient
from connector_resources.http.errors import ApiError, response_json
from connector_resources.http.policy import HttpPolicy
from connector_resources.jde.dates import DatePattern, pattern_from_jde_format
from connector_resources.jde.errors import (
    JdeAuthError,
    JdeError,
    error_for_status,
    server_message,
)
from connector_resources.redaction import get_logger, register_secret
from connector_resources.token_store import (
    KeptTokenAuth,
    ProcessTokenStore,
    TokenStore,
    key_digest,
    token_store_for,
)

log = get_logger("ml_connector.jde.auth")

LOGIN_PATH = "v2/tokenrequest"
LOGOUT_PATH = "v2/tokenrequest/logout"
TOKEN_HEADER = "jde-AIS-Auth"
DEVICE_HEADER = "jde-AIS-Auth-Device"
# Used when a login answer carries neither simpleDateFormat nor dateFormat (the reference's example).
FALLBACK_DATE_PATTERN = "MM/dd/yyyy"


@dataclass(frozen=True)
class LoginInfo:
    """What a token request told us about the session (no secrets)."""

    username: str
    environment: str
    role: str
    date_pattern: DatePattern
    date_pattern_source: str  # "simpleDateFormat", "dateFormat" or "fallback"
    time_zone: str = ""
    machine: str = ""
    address_number: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(
        cls, payload: Mapping[str, Any], *, username: str, environment: str, role: str
    ) -> LoginInfo:
        """Read the LoginResponse; ``userInfo`` fields win, top-level copies are a fallback.

        The date format comes from ``simpleDateFormat`` (a Java pattern). Without it, the JDE format
        code ``dateFormat`` (``MDE``) and Oracle's spelling ``dateSeperator`` (also ``dateSeparator``)
        are turned into a pattern; without both, ``MM/dd/yyyy`` with a warning.
        """
        info = payload.get("userInfo") if isinstance(payload.get("userInfo"), Mapping) else {}

        def pick(name: str) -> Any:
            value = info.get(name)
            return value if value not in (None, "") else payload.get(name)

        pattern: DatePattern | None = None
        source = "fallback"
        simple = pick("simpleDateFormat")
        if isinstance(simple, str) and simple.strip():
            try:
                pattern, source = DatePattern(simple.strip()), "simpleDateFormat"
            except ValueError as exc:
                log.warning("ignoring the login's simpleDateFormat %r: %s", simple, exc)
        if pattern is None and isinstance(pick("dateFormat"), str):
            separator = pick("dateSeperator") or pick("dateSeparator")
            try:
                pattern = DatePattern(pattern_from_jde_format(pick("dateFormat"), separator))
                source = "dateFormat"
            except ValueError as exc:
                log.warning("ignoring the login's dateFormat: %s", exc)
        if pattern is None:
            log.warning("the AIS login answer has no usable date format; assuming %s", FALLBACK_DATE_PATTERN)
            pattern = DatePattern(FALLBACK_DATE_PATTERN)
        address = pick("addressNumber")
        return cls(
            username=str(pick("username") or username),
            environment=str(payload.get("environment") or environment),
            role=str(payload.get("role") or role),
            date_pattern=pattern,
            date_pattern_source=source,
            time_zone=str(pick("timeZoneOffset") or ""),
            machine=str(payload.get("machineName") or ""),
            address_number=int(address) if isinstance(address, int) else None,
            extra={
                k: payload.get(k)
                for k in ("jasserver", "passwordAboutToExpire", "deprecated")
                if k in payload
            },
        )

    def to_json(self) -> dict[str, Any]:
        """What is kept beside a stored token (no secret: the login answer's token is not here)."""
        return {
            "username": self.username,
            "environment": self.environment,
            "role": self.role,
            "datePattern": self.date_pattern.pattern,
            "datePatternSource": self.date_pattern_source,
            "timeZone": self.time_zone,
            "machine": self.machine,
            "addressNumber": self.address_number,
            "extra": {k: v for k, v in self.extra.items() if isinstance(v, str | int | float | bool)},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoginInfo:
        return cls(
            username=str(data["username"]),
            environment=str(data.get("environment") or ""),
            role=str(data.get("role") or ""),
            date_pattern=DatePattern(str(data["datePattern"])),
            date_pattern_source=str(data.get("datePatternSource") or "fallback"),
            time_zone=str(data.get("timeZone") or ""),
            machine=str(data.get("machine") or ""),
            address_number=data.get("addressNumber"),
            extra=dict(data.get("extra") or {}),
        )


class JdeAisAuth(KeptTokenAuth, TokenAuth):
    """Stateful AIS token: 444 = expired; kept in ``store`` for every process (module docstring), else
    one login per batch and a logout at the end.

    ``password`` is a callable so the secret is read (vault / environment) at login time only.
    ``fetch_count`` counts token requests made here, ``adopt_count`` tokens taken from the store.
    """

    def __init__(
        self,
        *,
        username: str,
        password: Callable[[], str],
        device_name: str,
        environment: str = "",
        role: str = "",
        login_path: str = LOGIN_PATH,
        store: TokenStore | None = None,
    ) -> None:
        # 444 is AIS's "Invalid Token" on every service; a token never expires by the clock we can
        # see (the lifetime is server configuration), so there is no expires_at to renew ahead of.
        super().__init__(expired_statuses={444})
        if not username:
            raise ValueError("JDE AIS username is empty")
        if not device_name:
            raise ValueError("JDE AIS device name is empty (the token is bound to it)")
        self.username = username
        self.device_name = device_name
        self.environment = environment
        self.role = role
        self.login_path = login_path
        self._password = password
        self.login: LoginInfo | None = None
        self.store: TokenStore = store or ProcessTokenStore()

    @property
    def kept(self) -> bool:
        """Whether the token is shared through a store (then a batch must not log it out)."""
        return self.store.shared

    def is_expired(self, response: requests.Response) -> bool:
        """444, or a 403 saying the token is invalid (``dead_token``); never a plain permission 403."""
        return dead_token(response)

    # -- TokenAuth ------------------------------------------------------------------------------

    def fetch_token(self, http: HttpClient) -> Token:
        password = self._password()
        if not password:
            raise JdeAuthError(f"no password is configured for JD Edwards AIS user {self.username!r}")
        register_secret(password)
        body: dict[str, Any] = {
            "username": self.username,
            "password": password,
            "deviceName": self.device_name,
        }
        # Omitted fields take the server's defaults (reference §2.2), so blank settings are not sent.
        if self.environment:
            body["environment"] = self.environment
        if self.role:
            body["role"] = self.role
        what = f"log in as {self.username!r}" + (f" to {self.environment}" if self.environment else "")
        try:
            # Asking for a token twice only costs a session, so a lost answer may be retried.
            response = http.post(
                self.login_path, json=body, authenticate=False, idempotent=True, expected=(200,)
            )
        except ApiError as exc:
            mapped = error_for_status(
                exc,
                what,
                auth_hint="Check the username, password, environment and role, and that the AIS "
                "security settings allow username/password login.",
            )
            if mapped is not None:
                raise mapped from None
            said = server_message(response_json(exc.response))
            raise JdeError(
                f"JD Edwards AIS could not {what}: {exc}" + (f" ({said})" if said else ""), status=exc.status
            ) from None
        payload = response_json(response)
        if not isinstance(payload, Mapping):
            raise JdeError(f"JD Edwards AIS answered the token request for {self.username!r} with non-JSON")
        info = payload.get("userInfo") if isinstance(payload.get("userInfo"), Mapping) else {}
        token = info.get("token") or payload.get("token")
        if not isinstance(token, str) or not token:
            raise JdeAuthError(f"JD Edwards AIS login of {self.username!r} returned no userInfo.token")
        register_secret(token)
        cookie = payload.get("aisSessionCookie")
        if isinstance(cookie, str):
            register_secret(cookie)
        self.login = LoginInfo.from_response(
            payload, username=self.username, environment=self.environment, role=self.role
        )
        log.info(
            "logged in to JD Edwards AIS as %s (%s, %s); dates %s (from %s)",
            self.login.username,
            self.login.environment,
            self.login.role,
            self.login.date_pattern,
            self.login.date_pattern_source,
        )
        return Token(value=token, expires_at=None)

    def header(self, token: Token) -> dict[str, str]:
        return {TOKEN_HEADER: token.value, DEVICE_HEADER: self.device_name}

    # -- KeptTokenAuth: the login answer travels with the token ---------------------------------

    def to_keep(self, token: Token) -> Token:
        assert self.login is not None  # fetch_token sets it
        return Token(value=token.value, extra={"login": self.login.to_json()}, obtained_at=token.obtained_at)

    def adoptable(self, stored: Token) -> bool:
        return isinstance(stored.extra.get("login"), Mapping)

    def adopted(self, stored: Token) -> None:
        self.login = LoginInfo.from_json(stored.extra["login"])
        log.debug(  # routine: every step and every restart adopts the kept session
            "reusing the JD Edwards AIS session of %s (%s, %s) logged in %.0f s ago",
            self.login.username,
            self.login.environment,
            self.login.role,
            time.time() - stored.obtained_at,
        )

    def apply(self, request: requests.PreparedRequest) -> None:
        token = self.token_for(request)
        request.headers.update(self.header(token))
        if request.method in ("POST", "PUT", "PATCH") and not _is_orchestration(request.url or ""):
            merge_json_body(request, {"token": token.value, "deviceName": self.device_name})

    # -- logout -----------------------------------------------------------------------------------

    def logout(self, http: HttpClient) -> bool:
        """End the server session (sessions otherwise linger until their timeout and count against
        the server's limit). Best effort: a failure is logged, never raised, as the batch is done.
        A kept token is dropped from the store too, so no process adopts a dead session."""
        token = self.token
        if token is None:
            return False
        ok = end_session(http, token.value, self.device_name, self.username)
        if self.kept:
            self._use_store("drop", self.store.drop, token.value)
        self.invalidate()
        return ok

    def __repr__(self) -> str:
        return f"JdeAisAuth(username={self.username!r}, device={self.device_name!r})"


def end_session(http: HttpClient, token: str, device_name: str, username: str) -> bool:
    """Log ``token`` out (reference §4.5); a failure is logged, never raised: the work is done."""
    try:
        http.post(
            LOGOUT_PATH,
            json={"token": token, "deviceName": device_name},
            headers={TOKEN_HEADER: token, DEVICE_HEADER: device_name},
            authenticate=False,
            idempotent=True,
            expected=range(200, 300),
            timeout=(5, 15),
        )
        return True
    except ApiError as exc:
        log.warning("JD Edwards AIS logout of %s failed (ignored): %s", username, exc)
        return False


def session_key(base_url: str, username: str, environment: str, role: str, device_name: str) -> str:
    """The non-secret name of one AIS session in the store: the token is bound to the user, environment,
    role and device on that server, so any of them changing means another session."""
    return key_digest(base_url.rstrip("/"), username, environment, role, device_name)


def session_store(
    base_url: str,
    username: str,
    environment: str,
    role: str,
    device_name: str,
    *,
    keep: bool,
    policy: HttpPolicy,
) -> TokenStore:
    """Where a session's token is kept (module docstring): the vault with a vault key, else this process's
    memory, logged out once at exit; nowhere (a login and logout per batch) unless ``keep``."""

    def logout_at_exit(token: Token) -> None:
        # One attempt: at exit a server that is gone must not hold the process up with retries.
        http = HttpClient.for_json("jde_ais", base_url, policy=policy.model_copy(update={"max_attempts": 1}))
        try:
            end_session(http, token.value, device_name, username)
        finally:
            http.close()

    return token_store_for(
        "jde_ais",
        session_key(base_url, username, environment, role, device_name),
        keep=keep,
        what="JD Edwards AIS sessions",
        cost="each process logs in once and out at its exit",
        release=logout_at_exit,
    )


# What AIS says about a token it no longer knows (reference §2.4, §4.1): 403 "Token is Invalid" or 444
# "Invalid Token"; matched on the words, case and spacing aside.
_DEAD_TOKEN_WORDS = ("token is invalid", "invalid token")


def dead_token(response: requests.Response) -> bool:
    """Whether AIS refused the call because its token is dead (log in again), not the user's rights.

    Any 444 is a dead token. A 403 is one only when its ServiceErrorResponse ``message`` says so: a 403
    with any other body ("Authorization Failure") is a permission refusal a new login would not cure.
    """
    if response.status_code == 444:
        return True
    if response.status_code != 403:
        return False
    said = " ".join(server_message(response_json(response)).lower().split())
    return any(words in said for words in _DEAD_TOKEN_WORDS)


def _is_orchestration(url: str) -> bool:
    """Orchestration calls (``/orchestrator/<name>``) carry their inputs as the body, nothing else."""
    return "/orchestrator/" in url.split("?", 1)[0]
