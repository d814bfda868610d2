"""The credential vault: secrets encrypted at rest in the ledger database.

Each secret is a Fernet token (AES-128-CBC + HMAC-SHA256) in ``mlc_secret``; the database never
sees a plaintext, so a copied SQLite file or a database dump leaks nothing without the key.

The key comes from ``ML_CONNECTOR_VAULT_KEY``: one or more comma-separated Fernet keys. The first
encrypts new writes; all of them are tried for reads (MultiFernet). Rotation is therefore:

1. ``ML_CONNECTOR_VAULT_KEY=new,old`` and run ``rotate()`` (re-encrypts everything with ``new``);
2. ``ML_CONNECTOR_VAULT_KEY=new``.

The vault is never left split between keys: ``set`` first proves that the configured keys open every
secret already stored, and refuses (writing nothing) when one would be stranded under a key that is not
configured. Otherwise a mistyped key would "work" for new secrets while the old ones become unreadable,
and ``rotate`` would then fail under either key. ``health()`` reports the same thing for ``ping`` and
``ml-connector credentials status``.

Secret values and keys are registered with ``redaction`` the moment they are known, and no message
raised from here ever contains one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from connector_resources import settings
from connector_resources.ledger import schema
from connector_resources.ledger.ledger import Ledger, shared_ledger
from connector_resources.redaction import get_logger, redact, register_secret

if TYPE_CHECKING:  # cryptography loads when a secret is read or written, not with the definitions
    from cryptography.fernet import Fernet

log = get_logger("vault")

KEY_ENV = "ML_CONNECTOR_VAULT_KEY"
GEN_KEY_HINT = "generate one with `ml-connector credentials gen-key`"

# Path-like names ("coupa/prod/client_secret") group credentials without a second table; no spaces
# or quotes so a name can be pasted into a shell and into a "vault:NAME" reference unchanged.
_NAME = re.compile(r"^[A-Za-z0-9._/-]+$")


class VaultKeyError(RuntimeError):
    """The vault key is missing, malformed, or does not match a stored secret."""


class VaultSplitError(VaultKeyError):
    """Some stored secrets do not open with the configured keys; ``health`` says which and how many."""

    def __init__(self, message: str, health: VaultHealth) -> None:
        super().__init__(message)
        self.health = health


class SecretNotFound(KeyError):
    """No secret of that name (or an ``env:`` reference to an unset variable)."""

    def __str__(self) -> str:
        # KeyError's default str() wraps the message in quotes, as if it were a bare key.
        return str(self.args[0]) if self.args else "secret not found"


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown about a secret: its name and when it changed, never its value."""

    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VaultHealth:
    """Which configured key opens how many stored secrets: counts and names only, never a value or key.

    ``per_key[i]`` counts the secrets that key #i+1 is the first to open (the key MultiFernet would use);
    ``unreadable`` names the secrets no configured key opens, i.e. written under some other key.
    """

    total: int
    per_key: tuple[int, ...]
    unreadable: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.unreadable

    @property
    def split(self) -> bool:
        """Some secrets open with the configured keys and some do not: written under two keys."""
        return bool(self.unreadable) and len(self.unreadable) < self.total

    @property
    def awaiting_rotation(self) -> int:
        """Secrets readable only through a later key, which ``rotate`` would move to the first."""
        return sum(self.per_key[1:])

    def problem(self) -> str:
        """The key problem in words (empty when there is none). Names secrets, never values or keys."""
        if self.ok:
            return ""
        missing = len(self.unreadable)
        shown = ", ".join(f"'{name}'" for name in self.unreadable[:3])
        example = f"e.g. {shown}" + (f" and {missing - 3} more" if missing > 3 else "")
        if self.total == 1:
            head = f"{KEY_ENV} cannot decrypt the one existing secret ({shown})"
        else:
            which = "any" if missing == self.total else f"{missing}"
            head = f"{KEY_ENV} cannot decrypt {which} of the {self.total} existing secrets ({example})"
        if self.split:
            readable = self.total - missing
            return (
                f"the vault is split: {head}; {'it was' if missing == 1 else 'they were'} written with a "
                f"key that is not in {KEY_ENV}, while the other {readable} "
                f"{'opens' if readable == 1 else 'open'} with it. Add that key after the current one "
                f"({KEY_ENV}=NEW,OLD) and run `ml-connector credentials rotate`, or store those secrets "
                "again under the current key."
            )
        return (
            f"{head}: it is not the key {'it was' if self.total == 1 else 'they were'} written with. "
            f"Set the right key, or rotate from the old key first ({KEY_ENV}=NEW,OLD, then "
            "`ml-connector credentials rotate`)."
        )

    def summary(self) -> str:
        """One line for ``ping``: how many secrets each configured key opens."""
        if not self.total:
            return "no secrets stored"
        if len(self.per_key) == 1:
            opened = f"{self.per_key[0]} of {self.total} secret(s) decrypt with the current key"
        else:
            counts = ", ".join(f"key #{i} {n}" for i, n in enumerate(self.per_key, start=1))
            opened = f"{self.total - len(self.unreadable)} of {self.total} secret(s) decrypt ({counts})"
        if self.awaiting_rotation and self.ok:
            opened += f"; {self.awaiting_rotation} still need `ml-connector credentials rotate`"
        return opened


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > schema.SECRET_NAME_LEN:
        # Redacted: a value pasted where a name belongs must not be echoed back.
        raise ValueError(
            f"secret name {redact(repr(name))} is not valid: "
            f"use 1-{schema.SECRET_NAME_LEN} letters, digits and . _ - /"
        )
    return name


def _load_keys(keys: str | None) -> list[Fernet]:
    from cryptography.fernet import Fernet

    source = "the keys passed to Vault" if keys is not None else KEY_ENV
    raw = settings.given(KEY_ENV) if keys is None else keys
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if not entries:
        raise VaultKeyError(f"No vault key: set {KEY_ENV} to a Fernet key ({GEN_KEY_HINT}).")
    fernets = []
    for position, entry in enumerate(entries, start=1):
        register_secret(entry)
        try:
            fernets.append(Fernet(entry))
        except (ValueError, TypeError):
            # The key itself stays out of the message; its position is enough to find it.
            raise VaultKeyError(
                f"Key #{position} of {len(entries)} in {source} is not a valid Fernet key "
                f"(32 url-safe base64-encoded bytes); {GEN_KEY_HINT}."
            ) from None
    return fernets


class Vault:
    """Encrypted secret storage on top of a ``Ledger``'s database."""

    def __init__(self, ledger: Ledger, keys: str | None = None) -> None:
        from cryptography.fernet import MultiFernet

        self._ledger = ledger
        self._keys = _load_keys(keys)
        self._fernet = MultiFernet(self._keys)

    @staticmethod
    def generate_key() -> str:
        """A new random Fernet key, as the text to put in ``ML_CONNECTOR_VAULT_KEY``."""
        from cryptography.fernet import Fernet

        return Fernet.generate_key().decode("ascii")

    def set(self, name: str, value: str) -> None:
        """Store (or replace) a secret, encrypted with the first key.

        Refused with ``VaultSplitError``, writing nothing, when the configured keys cannot open every
        other stored secret: storing it would split the vault between two keys. An empty vault accepts
        any key; the secret being replaced does not count (storing it again is how one is recovered).
        """
        _check_name(name)
        if not isinstance(value, str) or not value:
            raise ValueError(f"secret '{name}': the value must be a non-empty string")
        register_secret(value)
        token = self._fernet.encrypt(value.encode("utf-8")).decode("ascii")
        now = datetime.now(UTC)
        t = schema.secret
        with self._ledger.transaction() as conn:
            # Check and write in one locked transaction: two processes with different keys setting
            # into an empty vault at once must not both pass the check.
            _lock_secrets(conn)
            health = self._health(conn, ignore=name)
            if not health.ok:
                raise VaultSplitError(f"secret '{name}' was not stored: {health.problem()}", health)
            dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            insert = dialect_insert(t).values(name=name, ciphertext=token, created_at=now, updated_at=now)
            # One statement, so two processes setting the same new name cannot collide on the key.
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[t.c.name],
                    set_={"ciphertext": insert.excluded.ciphertext, "updated_at": insert.excluded.updated_at},
                )
            )
        log.info("secret '%s' stored", name)

    def get(self, name: str) -> str:
        """Decrypt a secret; the value is registered for redaction before it is returned."""
        _check_name(name)
        t = schema.secret
        with self._ledger.read_transaction() as conn:
            token = conn.execute(sa.select(t.c.ciphertext).where(t.c.name == name)).scalar()
        if token is None:
            raise SecretNotFound(
                f"No secret named '{name}' in the vault; add it with `ml-connector credentials set {name}`."
            )
        value = self._decrypt(name, token)
        register_secret(value)
        return value

    def get_if_stored(self, name: str) -> str | None:
        """``get``, or None when the vault holds no secret of that name (a caller that makes it then)."""
        try:
            return self.get(name)
        except SecretNotFound:
            return None

    def health(self, *, ignore: str | None = None) -> VaultHealth:
        """How many stored secrets each configured key opens, and which none of them opens.

        ``ignore`` leaves one secret out: the one a ``set`` is about to replace.
        """
        with self._ledger.read_transaction() as conn:
            return self._health(conn, ignore=ignore)

    def _health(self, conn: sa.Connection, *, ignore: str | None = None) -> VaultHealth:
        # Every token is checked, not a sample: a Fernet token does not say which key wrote it, so
        # there is no "generation" to sample without trying the keys on each one anyway. The check
        # verifies each token's HMAC (``extract_timestamp``) and never decrypts, so no plaintext is
        # made; about 0.1 s for 10,000 secrets on 2 cores (bench/vault_check.py).
        t = schema.secret
        rows = conn.execute(sa.select(t.c.name, t.c.ciphertext).order_by(t.c.name)).all()
        per_key = [0] * len(self._keys)
        unreadable: list[str] = []
        total = 0
        for name, token in rows:
            if name == ignore:
                continue
            total += 1
            opener = self._opener(token)
            if opener is None:
                unreadable.append(name)
            else:
                per_key[opener] += 1
        return VaultHealth(total=total, per_key=tuple(per_key), unreadable=tuple(unreadable))

    def _opener(self, token: str) -> int | None:
        """Index of the first configured key that authenticates ``token``; None when none does."""
        from cryptography.fernet import InvalidToken

        raw = token.encode("ascii", errors="replace")
        for index, key in enumerate(self._keys):
            try:
                key.extract_timestamp(raw)
            except InvalidToken:
                continue
            return index
        return None

    def list(self) -> list[SecretInfo]:
        """Names and timestamps of every secret, sorted by name. Values are never read."""
        return stored_secrets(self._ledger)

    def delete(self, name: str) -> None:
        """Remove a secret; raises ``SecretNotFound`` if there is none of that name."""
        _check_name(name)
        t = schema.secret
        with self._ledger.transaction() as conn:
            if not conn.execute(sa.delete(t).where(t.c.name == name)).rowcount:
                raise SecretNotFound(f"No secret named '{name}' in the vault; nothing deleted.")
        log.info("secret '%s' deleted", name)

    def rotate(self) -> int:
        """Re-encrypt every secret with the first key, all or nothing; returns how many.

        One transaction: if any secret cannot be decrypted with the configured keys, nothing is
        rewritten, so dropping the old key afterwards can never strand half the secrets.
        """
        from cryptography.fernet import InvalidToken

        t = schema.secret
        now = datetime.now(UTC)
        with self._ledger.transaction() as conn:
            _lock_secrets(conn)  # a concurrent set() must not be lost
            health = self._health(conn)
            if not health.ok:
                raise VaultSplitError(f"nothing was re-encrypted: {health.problem()}", health)
            rows = conn.execute(sa.select(t.c.name, t.c.ciphertext).order_by(t.c.name)).all()
            for name, token in rows:
                try:
                    rotated = self._fernet.rotate(token.encode("ascii"))
                except InvalidToken:
                    raise self._key_mismatch(name) from None
                conn.execute(
                    sa.update(t)
                    .where(t.c.name == name)
                    .values(ciphertext=rotated.decode("ascii"), updated_at=now)
                )
        log.info("vault rotated: %d secrets re-encrypted with the first key", len(rows))
        return len(rows)

    def _decrypt(self, name: str, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise self._key_mismatch(name) from None

    @staticmethod
    def _key_mismatch(name: str) -> VaultKeyError:
        return VaultKeyError(
            f"Secret '{name}' cannot be decrypted: the vault key does not match (InvalidToken); no key "
            f"in {KEY_ENV} is the one it was encrypted with. Restore the key that was in use when it "
            "was stored (keep it listed after the new one while rotating), or store the secret again."
        )


def _lock_secrets(conn: sa.Connection) -> None:
    """Serialise vault writers for the rest of the transaction (readers are not blocked).

    PostgreSQL: SHARE ROW EXCLUSIVE conflicts with itself and with row writes, so a second ``set`` or
    ``rotate`` waits, then sees what the first wrote. SQLite write transactions already begin
    IMMEDIATE (``ledger.engine``), which serialises them the same way.
    """
    if conn.dialect.name == "postgresql":
        table = conn.dialect.identifier_preparer.format_table(schema.secret)
        conn.execute(sa.text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))


def resolve_secret(ref: str, *, vault: Vault | None = None) -> str:
    """Turn a credential reference from configuration into its value.

    ``vault:NAME`` reads the vault (built from the environment when ``vault`` is None), ``env:VAR``
    reads an environment variable, anything else is the literal value. Whatever the source, the
    result is registered for redaction, so config may use any of the three forms safely.
    """
    if not isinstance(ref, str):
        raise TypeError(f"a secret reference must be a string, got {type(ref).__name__}")
    if ref.startswith("vault:"):
        name = ref[len("vault:") :]
        value = (vault or Vault(shared_ledger())).get(name)
    elif ref.startswith("env:"):
        variable = ref[len("env:") :]
        value = settings.referenced(variable)
        if not value:
            raise SecretNotFound(
                f"Environment variable {variable} (referenced as 'env:{variable}') is not set or is empty."
            )
    else:
        value = ref
    register_secret(value)
    return value


def stored_secrets(ledger: Ledger) -> list[SecretInfo]:
    """Names and timestamps of every stored secret, sorted by name: readable without a key, since names and
    dates are not secret (so ``credentials list`` and ``ping`` can say what is stored before a key is set)."""
    t = schema.secret
    with ledger.read_transaction() as conn:
        rows = conn.execute(sa.select(t.c.name, t.c.created_at, t.c.updated_at).order_by(t.c.name)).all()
    return [SecretInfo(name=r.name, created_at=r.created_at, updated_at=r.updated_at) for r in rows]


def keyless_state(stored: int) -> str:
    """What every command says when ``ML_CONNECTOR_VAULT_KEY`` is not set: ``ping``'s vault line,
    ``credentials list`` and ``credentials status`` use these same words."""
    if stored:
        return f"{stored} secret(s) stored, not checked ({KEY_ENV} is not set)"
    return "no vault key set and no secrets stored (sandbox defaults need none)"
