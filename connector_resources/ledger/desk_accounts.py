"""The desk's built-in accounts and their sessions, kept in the ledger as hashes only.

Why here: the desk runs as its own process (or Deployment) beside the Dagster UI and shares nothing with it
but the ledger, so that is where who may sign in lives. A deployment behind a trusted proxy (oauth2-proxy
and the like) needs no account at all; the rest use ``ml-connector desk users add``.

Passwords are hashed with scrypt (``cryptography``, already the vault's library): memory-hard, salted per
account, compared in constant time. A session is a random token in an HttpOnly cookie; the ledger keeps its
SHA-256 only, so neither a copy of the database nor a log line signs anybody in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.operator_actions import ROLES
from connector_resources.ledger.records import LedgerInputError, LedgerRecordNotFound, _now, _text

__all__ = ["DeskAccountStore", "DeskUser", "hash_password", "password_matches"]

# scrypt's cost: 2**15 x 8 x 1 takes ~32 MiB and ~0.1 s a check, OWASP's advice for scrypt.
_N, _R, _P = 2**15, 8, 1
_MIN_PASSWORD = 12
_ROLES = ROLES  # viewer, operator, admin (``operator_actions``)


def _kdf(salt: bytes, n: int, r: int, p: int) -> Any:
    # Imported here: every process that opens the ledger (each run) would otherwise load cryptography's
    # bindings for a desk it never serves.
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$<salt>$<hash>`` of ``password`` with a fresh salt."""
    salt = os.urandom(16)
    digest = _kdf(salt, _N, _R, _P).derive(password.encode("utf-8"))
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def password_matches(password: str, stored: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from (constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = _kdf(base64.b64decode(salt), int(n), int(r), int(p)).derive(password.encode("utf-8"))
    except ValueError:
        return False
    return hmac.compare_digest(derived, base64.b64decode(digest))


@cache
def _dummy() -> str:
    """A stored hash checked when the name is unknown, so a wrong name costs what a wrong password does
    (made on the first sign-in, not when the ledger is imported)."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class DeskUser:
    """A built-in account as listed (never its hash)."""

    actor: str
    role: str
    created_at: datetime
    updated_at: datetime


class DeskAccountStore(LedgerBase):
    """Built-in desk accounts and sessions (a mixin of ``Ledger``)."""

    def add_desk_user(self, actor: str, password: str, role: str, *, replace: bool = False) -> DeskUser:
        """Create the account ``actor`` (with ``replace``: set its password and role; its sessions end)."""
        actor = _text("desk account", "name", actor, schema.KEY_LEN).strip()
        if role not in _ROLES:
            raise LedgerInputError(
                f"desk account {actor}: field 'role' is {role!r}; expected one of {_ROLES}"
            )
        if not isinstance(password, str) or len(password) < _MIN_PASSWORD:
            raise LedgerInputError(
                f"desk account {actor}: field 'password' must be at least {_MIN_PASSWORD} characters"
            )
        t, now = schema.desk_user, _now()
        values = {"password_hash": hash_password(password), "role": role, "updated_at": now}
        with self._write(None) as conn:
            exists = conn.execute(sa.select(t.c.actor).where(t.c.actor == actor)).first() is not None
            if exists and not replace:
                raise LedgerInputError(f"desk account {actor} exists already (replace it to change it)")
            if exists:
                conn.execute(sa.update(t).where(t.c.actor == actor).values(**values))
                conn.execute(sa.delete(schema.desk_session).where(schema.desk_session.c.actor == actor))
            else:
                conn.execute(sa.insert(t).values(actor=actor, created_at=now, **values))
            row = conn.execute(sa.select(t).where(t.c.actor == actor)).one()
        return DeskUser(row.actor, row.role, row.created_at, row.updated_at)

    def remove_desk_user(self, actor: str) -> None:
        """Delete the account and end its sessions."""
        with self._write(None) as conn:
            conn.execute(sa.delete(schema.desk_session).where(schema.desk_session.c.actor == actor))
            if (
                conn.execute(sa.delete(schema.desk_user).where(schema.desk_user.c.actor == actor)).rowcount
                == 0
            ):
                raise LedgerRecordNotFound(f"desk account {actor} does not exist")

    def desk_users(self) -> list[DeskUser]:
        t = schema.desk_user
        with self._read(None) as conn:
            rows = conn.execute(sa.select(t).order_by(t.c.actor)).all()
        return [DeskUser(r.actor, r.role, r.created_at, r.updated_at) for r in rows]

    def desk_sign_in(self, actor: str, password: str, *, hours: float) -> str | None:
        """A new session's token when ``password`` is ``actor``'s, else None (same cost either way)."""
        t = schema.desk_user
        with self._read(None) as conn:
            row = conn.execute(sa.select(t.c.password_hash).where(t.c.actor == (actor or "").strip())).first()
        if not password_matches(password or "", row.password_hash if row else _dummy()) or row is None:
            return None
        token, now = secrets.token_urlsafe(32), _now()
        with self._write(None) as conn:
            conn.execute(sa.delete(schema.desk_session).where(schema.desk_session.c.expires_at <= now))
            conn.execute(
                sa.insert(schema.desk_session).values(
                    token_hash=_token_hash(token),
                    actor=actor.strip(),
                    created_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
        return token

    def desk_session(self, token: str) -> tuple[str, str] | None:
        """``(actor, role)`` of a live session's token, None for an unknown, expired or orphaned one."""
        s, u = schema.desk_session, schema.desk_user
        query = (
            sa.select(u.c.actor, u.c.role)
            .select_from(s.join(u, s.c.actor == u.c.actor))
            .where(s.c.token_hash == _token_hash(token), s.c.expires_at > _now())
        )
        with self._read(None) as conn:
            row = conn.execute(query).first()
        return (row.actor, row.role) if row else None

    def desk_sign_out(self, token: str) -> None:
        with self._write(None) as conn:
            conn.execute(
                sa.delete(schema.desk_session).where(schema.desk_session.c.token_hash == _token_hash(token))
            )
