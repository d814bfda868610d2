"""BILL sessions: created by /v3/login, silently dead after an idle timeout, never refreshed.

Every call that presents a live session resets its idle timer (reference 2.1). A dead session is
indistinguishable from a made-up one: both answer BDC_1109. MFA trust is a property of the session,
obtained by validating an SMS challenge or by logging in with a still-valid ``rememberMeId``. Sessions and
remembered devices are kept with the data (``connector_sandbox.kept_credentials``: written when one opens or
ends, and at the stop with every idle timer), so a restart on kept data honours them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore, monotonic, wall


@dataclass
class Session:
    session_id: str = field(repr=False)
    dev_key: str = field(repr=False)
    org_id: str
    user_id: str
    trusted: bool
    last_used: float  # time.monotonic()
    created_at: float


@dataclass
class RememberMe:
    device: str
    user_id: str
    expires_at: float  # time.time()


class SessionRegistry:
    """Thread-safe: the route wrapper runs on the event loop, operator calls may come from tests."""

    def __init__(
        self,
        idle_timeout: Callable[[], float],
        remember_days: Callable[[], float],
        store: MetaStore | None = None,
    ) -> None:
        self._idle_timeout = idle_timeout
        self._remember_days = remember_days
        self._lock = threading.Lock()
        self.keeper = IssuedKeeper(store)
        kept = self.keeper.read() or {}
        self._sessions: dict[str, Session] = {}
        for fields in kept.get("sessions", []):
            stamps = {name: monotonic(fields[name]) for name in ("last_used", "created_at")}
            session = Session(**{**fields, **stamps})
            self._sessions[session.session_id] = session
        self._remember = {key: RememberMe(**fields) for key, fields in kept.get("remember", {}).items()}
        self._challenges: dict[str, str] = {}  # challengeId -> sessionId
        self.logins = 0

    def keep(self) -> None:
        """Write the sessions (idle timers as wall-clock stamps) and remembered devices to the store."""
        with self._lock:
            sessions = [
                {**asdict(s), "last_used": wall(s.last_used), "created_at": wall(s.created_at)}
                for s in self._sessions.values()
            ]
            remember = {key: asdict(entry) for key, entry in self._remember.items()}
        self.keeper.write({"sessions": sessions, "remember": remember})

    def open(self, dev_key: str, org_id: str, user_id: str, *, trusted: bool) -> Session:
        now = time.monotonic()
        # The documented example starts with "!"; the rest is opaque.
        session = Session("!" + secrets.token_urlsafe(33), dev_key, org_id, user_id, trusted, now, now)
        with self._lock:
            self._sessions[session.session_id] = session
            self.logins += 1
        self.keep()
        return session

    def resolve(self, session_id: str, dev_key: str) -> Session | None:
        """The live session (timer reset), or None when unknown, idle too long or another devKey's."""
        now = time.monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.dev_key != dev_key:
                return None
            if now - session.last_used > self._idle_timeout():
                del self._sessions[session_id]
                return None
            session.last_used = now
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)
        self.keep()

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            self._challenges.clear()
        self.keep()
        return count

    def active_count(self) -> int:
        now, limit = time.monotonic(), self._idle_timeout()
        with self._lock:
            return sum(1 for session in self._sessions.values() if now - session.last_used <= limit)

    # -- MFA ----------------------------------------------------------------------------------------

    def new_challenge(self, session: Session) -> str:
        challenge_id = secrets.token_hex(10)
        with self._lock:
            self._challenges[challenge_id] = session.session_id
        return challenge_id

    def take_challenge(self, challenge_id: str, session: Session) -> bool:
        with self._lock:
            return self._challenges.pop(challenge_id, None) == session.session_id

    def remember(self, device: str, user_id: str) -> str:
        remember_id = secrets.token_urlsafe(24)
        expires = time.time() + self._remember_days() * 86_400
        with self._lock:
            self._remember[remember_id] = RememberMe(device, user_id, expires)
        self.keep()
        return remember_id

    def is_remembered(self, remember_id: str, device: str, user_id: str) -> bool:
        with self._lock:
            entry = self._remember.get(remember_id)
        return (
            entry is not None
            and entry.device == device
            and entry.user_id == user_id
            and time.time() < entry.expires_at
        )

    def forget_devices(self) -> None:
        with self._lock:
            self._remember.clear()
        self.keep()
