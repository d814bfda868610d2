"""Credentials kept between processes: the pieces every "log in once, reuse everywhere" store shares.

Why: every Dagster step is a process of its own, so a token or session kept only in memory costs one
login per step (BILL: 200 logins an hour per developer key; Coupa: a token request plus a 5 s
warm-up; JDE AIS: a session that holds a licence). The connector therefore keeps credentials where
every process can find them, encrypted:

* the secret in the credential vault (``connector_resources.vault``: Fernet, key from
  ``ML_CONNECTOR_VAULT_KEY``), under a name built from ``key_digest``, which identifies the login
  (URL, client, user...) without revealing any part of it. Every secret read back is registered for
  redaction at once, so it never reaches a log line, an error or Dagster metadata.
* logging in serialised across processes (``CrossProcessLock``): on PostgreSQL a session-level
  advisory lock on a connection of its own (released by the server if the process dies), on a
  SQLite file a lock file beside the database (the OS releases it if the process dies). The process
  that waited reads what the first one stored instead of logging in too: N processes, one login.

``TokenStore`` is the simplest such store, for a ``Token`` with a known expiry (OAuth client
credentials): ``VaultTokenStore`` keeps it in the vault, ``ProcessTokenStore`` is the fallback when no
vault key is configured (nowhere to keep a secret encrypted, so each process keeps its own, as
before); ``InProcessTokenStore`` is the fallback of a login that holds something on the server (a JDE AIS
session holds a licence): every scheme of the process shares one token, given back once at exit.
``token_store_for`` picks one and says once per system why a process falls back, and
``KeptTokenAuth`` makes any ``TokenAuth`` renew through such a store (Coupa, JDE AIS), and
``KeptOAuthClientCredentials`` is the plain client-credentials grant so kept (Procore, Procurify,
Oracle Fusion; ``oauth_token_store`` names the token).
BILL's session store (``connector_resources.bill.session_store``) stands on the same pieces and adds
its idle clock and hourly login budget.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

import sqlalchemy as sa

from connector_resources.http import OAuthClientCredentials, Token, TokenAuth
from connector_resources.redaction import get_logger, register_secret

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient
    from connector_resources.ledger.ledger import Ledger
    from connector_resources.vault import Vault

_Value = TypeVar("_Value")  # what a store action (drop, save) is given

log = get_logger("ml_connector.token_store")

LOGIN_LOCK_WAIT = 300.0  # a login that holds the lock longer than this has hung: give up waiting


def key_digest(*parts: str) -> str:
    """A short, non-secret name for one login (its URL, client, user...): safe in names and logs."""
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def advisory_key(text: str) -> int:
    """A PostgreSQL advisory-lock id (signed 64-bit) derived from ``text``."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class CrossProcessLock:
    """Held around a login by every process using one ledger (module docstring).

    ``file_tag`` names the lock file beside a SQLite ledger (``<database>.<file_tag>.lock``),
    ``advisory_id`` the PostgreSQL advisory lock. Callers in one process queue on a local lock first,
    so one process never holds two connections waiting on itself.
    """

    def __init__(self, ledger: Ledger, *, file_tag: str, advisory_id: int) -> None:
        self.ledger = ledger
        self.file_tag = file_tag
        self.advisory_id = advisory_id
        self._local = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._local:
            engine = self.ledger.engine
            if engine.dialect.name == "postgresql":
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("select pg_advisory_lock(:k)"), {"k": self.advisory_id})
                    try:
                        yield
                    finally:
                        conn.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": self.advisory_id})
                return
            database = engine.url.database
            if not database or database == ":memory:":
                yield  # one process: the local lock is the whole story
                return
            from filelock import FileLock

            with FileLock(str(Path(f"{database}.{self.file_tag}.lock")), timeout=LOGIN_LOCK_WAIT):
                yield


def read_secret_json(vault: Vault, name: str, secret_fields: tuple[str, ...]) -> dict | None:
    """The JSON object stored under ``name`` (None if absent), its ``secret_fields`` registered for
    redaction before anything else can see them."""
    from connector_resources.vault import SecretNotFound

    try:
        raw = vault.get(name)
    except SecretNotFound:
        return None
    data = json.loads(raw)
    for field in secret_fields:
        if data.get(field):
            register_secret(str(data[field]))
    return data


_warned: set[str] = set()
_warned_lock = threading.Lock()


def ledger_and_vault(
    system: str, what: str, cost: str, *, logger: logging.Logger | None = None
) -> tuple[Ledger, Vault] | None:
    """The shared ledger and its vault when a vault key is configured; else None, after saying once per
    ``system`` (per process, on ``logger``) that ``what`` stay in memory, why, and what that ``cost``s."""
    from connector_resources import settings
    from connector_resources.ledger.ledger import shared_ledger
    from connector_resources.vault import KEY_ENV, Vault, VaultKeyError

    try:
        if not settings.given(KEY_ENV):  # say so without opening (or creating) a ledger for nothing
            raise VaultKeyError(f"No vault key: set {KEY_ENV}")
        ledger = shared_ledger()
        return ledger, Vault(ledger)
    except VaultKeyError as exc:
        with _warned_lock:
            first = system not in _warned
            _warned.add(system)
        if first:
            (logger or log).warning(
                "%s are kept per process only (%s): %s. Set %s to keep them, encrypted, across steps "
                "and runs.",
                what,
                str(exc).split(":")[0],
                cost,
                KEY_ENV,
            )
        return None


# -- tokens with an expiry (OAuth client credentials) ---------------------------------------------


class TokenStore(Protocol):
    """Where a ``TokenAuth`` finds the token another process minted (module docstring)."""

    shared: bool  # False: this process only (nothing is kept, the lock is the caller's own)

    def load(self) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def drop(self, value: str) -> None: ...

    def login_lock(self) -> AbstractContextManager[object]: ...


class ProcessTokenStore:
    """Nothing kept beyond the scheme's own memory: every process mints its own token (as before)."""

    shared = False

    def load(self) -> Token | None:
        return None

    def save(self, token: Token) -> None:
        pass

    def drop(self, value: str) -> None:
        pass

    def login_lock(self) -> AbstractContextManager[object]:
        return contextlib.nullcontext()  # the scheme's own lock already serialises this process


class InProcessTokenStore:
    """One token per login (``<system>/token/<key>``, the vault's name for it) for every scheme of this
    process, in memory: without a vault key, the batches and steps of a run (the in-process executor runs
    them in one process) still share one session instead of logging in and out each.

    Safe under threads: the login lock is one per name, so two schemes (write workers) waiting on each
    other's login adopt it. ``release`` gives the token back to the server (a JDE logout) once, when the
    process exits (``release_process_tokens``, run by ``atexit``), so nothing is left held; a 444'd token
    needs no release and a replaced one is forgotten. A forked child forgets its parent's tokens: they are
    the parent's to release.
    """

    shared = True
    _tokens: ClassVar[dict[str, tuple[Token, Callable[[Token], None] | None]]] = {}
    _locks: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, system: str, key: str, release: Callable[[Token], None] | None = None) -> None:
        self.name = f"{system}/token/{key}"
        self.release = release

    def load(self) -> Token | None:
        with self._guard:
            kept = self._tokens.get(self.name)
        return kept[0] if kept is not None else None

    def save(self, token: Token) -> None:
        with self._guard:
            self._tokens[self.name] = (token, self.release)

    def drop(self, value: str) -> None:
        with self._guard:
            kept = self._tokens.get(self.name)
            if kept is not None and kept[0].value == value:
                del self._tokens[self.name]

    def login_lock(self) -> AbstractContextManager[object]:
        with self._guard:
            return self._locks.setdefault(self.name, threading.Lock())

    @classmethod
    def release_all(cls) -> int:
        """Give every token of this process back (each ``release`` once; a failure is logged) and forget
        them; how many were released."""
        with cls._guard:
            kept, cls._tokens = list(cls._tokens.items()), {}
        released = 0
        for name, (token, release) in kept:
            if release is None:
                continue
            try:
                release(token)
                released += 1
            except Exception as exc:
                log.warning("could not release the token %s at exit (%s: %s)", name, type(exc).__name__, exc)
        return released

    @classmethod
    def _forget_in_child(cls) -> None:
        cls._tokens, cls._locks, cls._guard = {}, {}, threading.Lock()


def release_process_tokens() -> int:
    """Release this process's in-memory tokens now (``InProcessTokenStore.release_all``): what the
    process does at exit, for a caller that must see it happen before the servers go (a bench)."""
    return InProcessTokenStore.release_all()


atexit.register(release_process_tokens)
os.register_at_fork(after_in_child=InProcessTokenStore._forget_in_child)


class VaultTokenStore:
    """The token, its expiry, when it was minted and its ``extra`` (what the login said, JSON values
    only), encrypted in the vault as ``<system>/token/<key>``.

    Only the token is secret; the rest rides along in the same encrypted value so one read gives a
    consistent whole. ``obtained_at`` is the mint time (epoch seconds), so a process adopting
    the token knows how much of a vendor's warm-up is left (Coupa: none after 5 s).
    """

    shared = True

    def __init__(self, ledger: Ledger, vault: Vault, system: str, key: str) -> None:
        self.vault = vault
        self.key = key
        self.secret_name = f"{system}/token/{key}"
        self._lock = CrossProcessLock(
            ledger, file_tag=f"{system}-token-{key}", advisory_id=advisory_key(f"{system}-token:{key}")
        )

    def load(self) -> Token | None:
        data = read_secret_json(self.vault, self.secret_name, ("accessToken",))
        if data is None or not data.get("accessToken"):
            return None
        return Token(
            value=data["accessToken"],
            expires_at=data.get("expiresAt"),
            extra=data.get("extra") or {},
            obtained_at=float(data["obtainedAt"]),
        )

    def save(self, token: Token) -> None:
        value = {
            "accessToken": token.value,
            "expiresAt": token.expires_at,
            "obtainedAt": token.obtained_at,
            "extra": dict(token.extra),
        }
        self.vault.set(self.secret_name, json.dumps(value))

    def drop(self, value: str) -> None:
        """Forget the stored token if it is still ``value`` (a newer one another process stored stays)."""
        from connector_resources.vault import SecretNotFound

        stored = self.load()
        if stored is not None and stored.value == value:
            with contextlib.suppress(SecretNotFound):  # another process dropped it first
                self.vault.delete(self.secret_name)

    def login_lock(self) -> AbstractContextManager[object]:
        return self._lock()


# -- a TokenAuth whose token lives in a TokenStore --------------------------------------------------


class KeptTokenAuth(TokenAuth):
    """Mixin for a ``TokenAuth`` (put it first among the bases) whose token lives in ``self.store``. A
    ``TokenAuth`` itself, so what it reads of the scheme (its lock, token, renewal) is the scheme's own.

    Renewal, under the scheme's own lock: this process's token if still good; else the stored one
    (minted by another process) unless it is the one the server just rejected or is due for
    renewal; else, under the store's cross-process login lock, the stored one again (the process we
    waited for may have just minted it), and only then a new one, which is stored. A rejected token is
    dropped from the store first, so no process adopts it again. The store is an optimisation: when
    it cannot be read or written the scheme warns once and keeps its own token, as without a store.

    Subclasses may override ``to_keep`` (what to store beside the token, e.g. what the login said),
    ``adoptable`` and ``adopted`` (restore that state). ``adopt_count`` counts tokens taken from the
    store, ``fetch_count`` (``TokenAuth``) tokens minted here.
    """

    store: TokenStore
    adopt_count: int = 0
    _store_warned: bool = False

    def ensure_fresh(self, http: HttpClient) -> None:
        if not self._must_renew():
            return
        with self._lock:
            if self._must_renew():
                self._renew_kept(http)

    def _renew_kept(self, http: HttpClient) -> None:
        rejected = self._token.value if self._token is not None and self._stale else None
        token = self._adopt(rejected)
        if token is None:
            with self.store.login_lock():
                token = self._adopt(rejected)  # minted by the process we waited for
                if token is None:
                    if rejected is not None:
                        self._use_store("drop", self.store.drop, rejected)
                    token = self._fetch_checked(http)
                    self.fetch_count += 1
                    log.debug(
                        "%s obtained a new credential (expires_at=%s)", type(self).__name__, token.expires_at
                    )
                    self._use_store("keep", self.store.save, self.to_keep(token))
        self._hold(token)

    def _adopt(self, rejected: str | None) -> Token | None:
        try:
            stored = self.store.load()
        except Exception as exc:
            self._warn_store("read", exc)
            return None
        if stored is None or stored.value == rejected:
            return None
        if self.needs_refresh(stored):  # expired (or about to) by its stored expiry: a new login is routine
            log.debug(
                "%s: the kept token is due for renewal (expires_at=%s)",
                type(self).__name__,
                stored.expires_at,
            )
            return None
        if not self.adoptable(stored):
            return None
        self.adopted(stored)
        self.adopt_count += 1
        return stored

    def to_keep(self, token: Token) -> Token:
        """What is stored for ``token`` (by default the token itself)."""
        return token

    def adoptable(self, stored: Token) -> bool:
        """Whether a stored token (neither rejected nor due for renewal) may be used here."""
        return True

    def adopted(self, stored: Token) -> None:
        """Called when ``stored`` (another process's token) becomes this scheme's token: routine (every
        step and every restart adopts the kept token), so said at DEBUG only."""
        log.debug(
            "%s: reusing the token minted %.0f s ago by another process",
            type(self).__name__,
            time.time() - stored.obtained_at,
        )

    def _use_store(self, what: str, action: Callable[[_Value], None], value: _Value) -> None:
        try:
            action(value)
        except Exception as exc:
            self._warn_store(what, exc)

    def _warn_store(self, what: str, exc: Exception) -> None:
        if not self._store_warned:
            self._store_warned = True
            log.warning(
                "%s: could not %s the shared token (%s: %s); this process keeps its own",
                type(self).__name__,
                what,
                type(exc).__name__,
                exc,
            )


def token_store_for(
    system: str,
    key: str,
    *,
    keep: bool,
    what: str,
    cost: str,
    release: Callable[[Token], None] | None = None,
) -> TokenStore:
    """``VaultTokenStore`` when ``keep`` and a vault key is configured, else ``ProcessTokenStore``
    (``what`` and ``cost`` word the one warning, see ``ledger_and_vault``), or ``InProcessTokenStore``
    when ``keep`` and a ``release`` is given (a login the process gives back at exit)."""
    if keep:
        found = ledger_and_vault(system, what, cost)
        if found is not None:
            ledger, vault = found
            return VaultTokenStore(ledger, vault, system, key)
        if release is not None:
            return InProcessTokenStore(system, key, release)
    return ProcessTokenStore()


# -- OAuth client credentials kept in a store (Procore, Procurify, Oracle Fusion) --------------------


class KeptOAuthClientCredentials(KeptTokenAuth, OAuthClientCredentials):
    """``OAuthClientCredentials`` whose token lives in ``store`` (default: this process only).

    For the plain client-credentials grants, where the token is all there is to keep: renewal before
    expiry and once after a rejection are ``TokenAuth``'s, sharing is ``KeptTokenAuth``'s.
    """

    def __init__(self, *args: Any, store: TokenStore | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.store: TokenStore = store or ProcessTokenStore()


def oauth_token_store(
    system: str,
    token_url: str,
    client_id: str,
    client_secret: str,
    *extra: str,
    keep: bool,
    what: str,
    cost: str,
) -> TokenStore:
    """``token_store_for`` one client-credentials login: the name is a digest of the token URL, the
    client, a digest of its secret (a rotated secret gets its own token at once) and ``extra`` (scope,
    audience: what else changes the token)."""
    secret_digest = hashlib.sha256(client_secret.encode("utf-8")).hexdigest()
    key = key_digest(token_url.rstrip("/"), client_id, secret_digest, *extra)
    return token_store_for(system, key, keep=keep, what=what, cost=cost)
