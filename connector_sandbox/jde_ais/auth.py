"""AIS sessions: tokens, device binding, idle and absolute lifetimes, restart.

Each token stands for a JAS session. A token is bound to the ``deviceName`` given at login, or to the
caller's IP address when none was given, and is checked on every call (reference section 1). Lifetimes
are read from the live fault settings on each check, so shortening them on a running server takes
effect at once. Sessions are kept with the data (``connector_sandbox.kept_credentials``: written when one
opens or ends, and at the stop with every idle timer), so a restart of ``make dev`` on kept data honours
them; the operator's ``/sandbox/restart`` is the AIS server's own restart, and ends them all.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore, monotonic, wall

from .settings import FaultSettings, JdeSandboxSettings, SandboxUser


class InvalidToken(Exception):
    """Unknown, expired, restarted-away or device-mismatched token (HTTP 444 on services)."""


class SessionLimitReached(Exception):
    """More concurrent JAS sessions than ``max_sessions`` allows."""


@dataclass
class Session:
    token: str
    user: SandboxUser
    environment: str
    role: str
    device: str | None  # deviceName given at login
    client_ip: str | None  # the binding when no device name was given
    created: float
    last_used: float
    stateless: bool = False
    result_sets: set[str] = field(default_factory=set)


def _new_token(serial: int) -> str:
    # Shaped like a real one: starts "044", long base64, with '+', '/' and '=' that must be URL-encoded
    # when the token travels inside a next-page href.
    random_part = base64.b64encode(secrets.token_bytes(48)).decode()
    tail = base64.b64encode(f"{serial:06d}{time.time_ns()}".encode()).decode()
    return f"044{random_part}={tail}"


class SessionRegistry:
    def __init__(
        self,
        settings: JdeSandboxSettings,
        faults: Callable[[], FaultSettings],
        clock: Callable[[], float] = time.monotonic,
        store: MetaStore | None = None,
    ) -> None:
        """With a ``store``, the sessions are kept in it; the ``clock`` is then ``time.monotonic``."""
        self._settings = settings
        self._faults = faults
        self._clock = clock
        self._keeper = IssuedKeeper(store)
        self._sessions: dict[str, Session] = {}
        for fields in self._keeper.read() or []:
            user = settings.user(fields.pop("user"))
            if user is not None:  # a user the settings no longer have has no session either
                stamps = {name: monotonic(fields[name]) for name in ("created", "last_used")}
                self._sessions[fields["token"]] = Session(**{**fields, **stamps, "user": user})
        self._serial = itertools.count(len(self._sessions) + 1)
        self.stateless_sessions_created = 0

    def keep(self) -> None:
        """Write the sessions (their clocks as wall-clock stamps) to the store; open result sets are not
        kept (a restart ends them, as an AIS server's does)."""
        self._keeper.write(
            [
                {
                    "token": s.token,
                    "user": s.user.username,
                    "environment": s.environment,
                    "role": s.role,
                    "device": s.device,
                    "client_ip": s.client_ip,
                    "created": wall(s.created),
                    "last_used": wall(s.last_used),
                    "stateless": s.stateless,
                }
                for s in self._sessions.values()
            ]
        )

    def authenticate(self, username: str, password: str) -> SandboxUser | None:
        user = self._settings.user(username)
        if user is None:
            # Compare anyway so an unknown user costs the same time as a wrong password.
            hmac.compare_digest(password.encode(), b"-" * max(len(password), 1))
            return None
        return user if hmac.compare_digest(password.encode(), user.password.encode()) else None

    def open(
        self,
        user: SandboxUser,
        *,
        device: str | None,
        client_ip: str | None,
        environment: str | None = None,
        role: str | None = None,
        stateless: bool = False,
    ) -> Session:
        self._expire()
        if not stateless and self.active_count() >= self._settings.max_sessions:
            raise SessionLimitReached(f"the server allows {self._settings.max_sessions} concurrent sessions")
        now = self._clock()
        session = Session(
            token=_new_token(next(self._serial)),
            user=user,
            environment=environment or self._settings.environment,
            role=role or self._settings.role,
            device=device or None,
            client_ip=None if device else client_ip,
            created=now,
            last_used=now,
            stateless=stateless,
        )
        if stateless:
            self.stateless_sessions_created += 1
        self._sessions[session.token] = session
        self.keep()
        return session

    def resolve(
        self, token: str, device: str | None, client_ip: str | None, *, touch: bool = True
    ) -> Session:
        """The live session for ``token`` used from this device/IP, else ``InvalidToken``."""
        session = self._sessions.get(token)
        if session is None:
            raise InvalidToken("unknown token")
        if self._expired(session):
            self.close(token)
            raise InvalidToken("token expired")
        if session.device is not None:
            # Unconfirmed which code a real server uses for a device mismatch; 444 like any bad token.
            if (device or "") != session.device:
                raise InvalidToken("token is bound to another device")
        elif client_ip != session.client_ip:
            raise InvalidToken("token is bound to another IP address")
        if touch:
            session.last_used = self._clock()
        return session

    def close(self, token: str) -> Session | None:
        session = self._sessions.pop(token, None)
        if session is not None:
            self.keep()
        return session

    def invalidate_all(self) -> int:
        """What an AIS/HTML server restart does: every token and open result set is gone."""
        count = len(self._sessions)
        self._sessions.clear()
        self.keep()
        return count

    def active_count(self) -> int:
        return sum(1 for session in self._sessions.values() if not session.stateless)

    def sessions(self) -> list[Session]:
        return list(self._sessions.values())

    def _expired(self, session: Session) -> bool:
        faults = self._faults()
        now = self._clock()
        return (
            now - session.last_used > faults.token_idle_timeout_seconds
            or now - session.created > faults.token_ttl_seconds
        )

    def _expire(self) -> None:
        for token in [token for token, session in self._sessions.items() if self._expired(session)]:
            self.close(token)
