"""Where a BILL session lives between processes, and the hourly login budget (reference §2.3).

Why: BILL allows **200 logins per developer key per hour**, and a session lives until it has been idle
for 35 minutes. Every Dagster step runs in its own process, so a session kept only in memory costs one
login per step; a backfill of 200 days would spend the hour's budget in its reads alone. So the session
is kept where every process of the connector can find it, encrypted:

* ``sessionId`` (a secret) in the credential vault (``connector_resources.vault``: Fernet, the key from
  ``ML_CONNECTOR_VAULT_KEY``) under ``bill/session/<digest>``, where the digest names the API URL,
  developer key, organization and user without revealing any of them. Nothing else is secret, and
  the sessionId is registered for redaction the moment it is read, so it never reaches a log line.
* when it was last used (``bill`` / ``session-used/<digest>`` in the ledger's cursor table), written at
  most once a minute per process and when a client closes. A session idle for longer than
  ``REUSE_IDLE`` (33 of BILL's 35 minutes) is not tried: BILL would only answer BDC_1109.
* the logins of the current clock hour (``bill`` / ``logins/<digest>``: ``<UTC hour>|<count>``), counted
  in the same transaction that decides whether one more is allowed, so N processes cannot all take the
  last one. The 201st is refused before it is sent, naming the top of the hour.

Logging in is serialised across processes (``login_lock``): on PostgreSQL with a session-level advisory
lock on a connection of its own (held only by the login, so no ledger write waits for it, and released
by the server if the process dies); on a SQLite file with a lock file beside the database (SQLite is one
machine by definition; the OS releases it when the process dies). The process that waits then reads the
session the first one stored instead of logging in too: one re-login after BDC_1109, not N.

Without a vault key there is nowhere to keep a secret encrypted, so ``ProcessSessionStore`` keeps the
session in memory and counts logins per process (``store_for`` says which applies and logs why once).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from connector_resources.bill.errors import BillRateLimitError, next_top_of_hour
from connector_resources.errors import when_again
from connector_resources.redaction import get_logger
from connector_resources.token_store import (
    CrossProcessLock,
    advisory_key,
    key_digest,
    ledger_and_vault,
    read_secret_json,
)

log = get_logger("ml_connector.bill.sessions")

LOGINS_PER_HOUR = 200  # reference §2.3, per developer key
IDLE_TIMEOUT = timedelta(minutes=35)  # BILL ends a session idle this long (reference §2.1)
REUSE_IDLE = IDLE_TIMEOUT - timedelta(minutes=2)  # margin for clocks and the touch interval
TOUCH_EVERY = 60.0  # seconds between "last used" writes of one process
CURSOR_INTEGRATION = "bill"


@dataclass(frozen=True)
class StoredSession:
    """A BILL session as kept between processes: the secret ``session_id`` and what the login said."""

    session_id: str
    username: str
    organization_id: str
    user_id: str
    trusted: bool | None
    logged_in_at: datetime
    used_at: datetime

    def idle(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.used_at


def store_key(login_url: str, dev_key_digest: str, organization_id: str, username: str) -> str:
    """A short, non-secret name for one login (URL + devKey + organization + user)."""
    return key_digest(login_url, dev_key_digest, organization_id, username)


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def login_budget_error(what: str, budget: int, used: int) -> BillRateLimitError:
    retry_at = next_top_of_hour()
    return BillRateLimitError(
        f"not logging in to BILL {what}: {used} of the {budget} logins this developer key may make in the "
        f"hour are used (BDC_1144 would refuse the rest), so no more are sent until {when_again(retry_at)}. "
        "Sessions are kept between steps and runs; many logins mean sessions keep being lost (check that "
        "ML_CONNECTOR_VAULT_KEY is set for every process) or another tool logs in with this key.",
        retry_at=retry_at,
    )


class SessionStore(Protocol):
    """What ``BillSessionAuth`` keeps its session in (see module docstring)."""

    def load(self) -> StoredSession | None: ...

    def save(self, stored: StoredSession) -> None: ...

    def touch(self, used_at: datetime, *, force: bool = False) -> None: ...

    def take_login(self, what: str) -> int: ...

    def login_lock(self) -> AbstractLock: ...


class AbstractLock(Protocol):
    def __enter__(self) -> object: ...

    def __exit__(self, *exc: object) -> None: ...


class ProcessSessionStore:
    """In memory: the session dies with the process; logins are counted per process."""

    def __init__(self, budget: int = LOGINS_PER_HOUR) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._stored: StoredSession | None = None
        self._logins: tuple[str, int] = ("", 0)

    def load(self) -> StoredSession | None:
        return self._stored

    def save(self, stored: StoredSession) -> None:
        self._stored = stored

    def touch(self, used_at: datetime, *, force: bool = False) -> None:
        stored = self._stored
        if stored is not None and used_at > stored.used_at:
            self._stored = StoredSession(**{**stored.__dict__, "used_at": used_at})

    def take_login(self, what: str) -> int:
        hour = hour_of(datetime.now(UTC))
        with self._lock:
            current, count = self._logins
            count = count if current == hour else 0
            if count >= self.budget:
                raise login_budget_error(what, self.budget, count)
            self._logins = (hour, count + 1)
            return count + 1

    def login_lock(self) -> AbstractLock:
        return threading.Lock()  # the auth's own lock already serialises this process


class LedgerSessionStore:
    """The session in the vault, its last use and the hour's logins in the ledger (module docstring)."""

    def __init__(self, ledger, vault, key: str, budget: int = LOGINS_PER_HOUR) -> None:  # noqa: ANN001
        self.ledger = ledger
        self.vault = vault
        self.key = key
        self.budget = budget
        self.secret_name = f"bill/session/{key}"
        self._used_stream = f"session-used/{key}"
        self._logins_stream = f"logins/{key}"
        self._touched = 0.0
        self._login_lock = CrossProcessLock(
            ledger, file_tag=f"bill-login-{key}", advisory_id=self._lock_id(0)
        )

    # -- the session -------------------------------------------------------------------------------

    def load(self) -> StoredSession | None:
        data = read_secret_json(self.vault, self.secret_name, ("sessionId",))
        if data is None:
            return None
        used = self.ledger.get_cursor(CURSOR_INTEGRATION, self._used_stream)
        logged_in_at = datetime.fromisoformat(data["loggedInAt"])
        used_at = max(logged_in_at, datetime.fromisoformat(used)) if used else logged_in_at
        return StoredSession(
            session_id=data["sessionId"],
            username=data.get("username", ""),
            organization_id=data.get("organizationId", ""),
            user_id=data.get("userId", ""),
            trusted=data.get("trusted"),
            logged_in_at=logged_in_at,
            used_at=used_at,
        )

    def save(self, stored: StoredSession) -> None:
        value = {
            "sessionId": stored.session_id,
            "username": stored.username,
            "organizationId": stored.organization_id,
            "userId": stored.user_id,
            "trusted": stored.trusted,
            "loggedInAt": stored.logged_in_at.isoformat(),
        }
        self.vault.set(self.secret_name, json.dumps(value))
        self.touch(stored.used_at, force=True)

    def touch(self, used_at: datetime, *, force: bool = False) -> None:
        """Record the session's last use; at most every ``TOUCH_EVERY`` seconds unless ``force``."""
        now = time.monotonic()
        if not force and now - self._touched < TOUCH_EVERY:
            return
        self._touched = now
        # A cursor only moves forward: a slow process cannot make the session look older than it is.
        self.ledger.advance_cursor(
            CURSOR_INTEGRATION, self._used_stream, used_at.astimezone(UTC).isoformat(timespec="seconds")
        )

    # -- the login budget and the login lock -------------------------------------------------------

    def take_login(self, what: str) -> int:
        """Count one login of this hour, or raise ``BillRateLimitError`` when the budget is spent."""
        hour = hour_of(datetime.now(UTC))
        with self.ledger.transaction() as conn:
            if conn.dialect.name == "postgresql":  # SQLite write transactions begin IMMEDIATE already
                conn.execute(sa.text("select pg_advisory_xact_lock(:k)"), {"k": self._lock_id(1)})
            current = self.ledger.get_cursor(CURSOR_INTEGRATION, self._logins_stream, conn=conn)
            count = 0
            if current:
                seen_hour, _, seen = current.partition("|")
                count = int(seen) if seen_hour == hour else 0
            if count >= self.budget:
                raise login_budget_error(what, self.budget, count)
            # "<hour>|<zero-padded count>" only grows, so the forward-only cursor takes it.
            value = f"{hour}|{count + 1:09d}"
            self.ledger.advance_cursor(CURSOR_INTEGRATION, self._logins_stream, value, conn=conn)
        return count + 1

    def _lock_id(self, salt: int) -> int:
        return advisory_key(f"{self.key}:{salt}")

    def login_lock(self) -> AbstractLock:
        """Held around a login, across processes (``token_store.CrossProcessLock``)."""
        return self._login_lock()


def store_for(key: str, *, keep: bool, budget: int = LOGINS_PER_HOUR) -> SessionStore:
    """The ledger + vault store when a vault key is configured (and ``keep``), else the process store."""
    if keep:
        found = ledger_and_vault("bill", "BILL sessions", "every Dagster step logs in once", logger=log)
        if found is not None:
            ledger, vault = found
            return LedgerSessionStore(ledger, vault, key, budget)
    return ProcessSessionStore(budget)
