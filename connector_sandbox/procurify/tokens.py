"""Access tokens: HS256 JWTs bound to a domain and to the credential's user, 24 h by default.

Real Procurify tokens are Auth0 JWTs whose ``scope`` names the customer domain and the user who
created the API application (reference 2.1). The sandbox signs its own with a per-server key and
keeps a registry of what it issued, so an operator can expire or revoke every token at once
(``/sandbox/tokens/expire``, ``/sandbox/tokens/revoke``). The registry and the key are kept with the data
(``connector_sandbox.kept_credentials``), so a restart on kept data honours the tokens it issued; reseeded
data knows none of them. Nothing here is a secret worth protecting beyond the sandbox, but tokens are
still never logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import asdict, dataclass

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore
from connector_sandbox.oauth import HS256Signer, compact_json, expire_live, live_tokens, revoke_unrevoked


class TokenRejected(Exception):
    """Why a bearer token is not accepted: ``invalid``, ``expired`` or ``other_domain``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class IssuedToken:
    jti: str
    client_id: str
    domain: str
    user_email: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked: bool = False


def scope_for(domain: str, email: str) -> str:
    return f"urn:procurify-api:domain:{domain} urn:procurify-api:email:{email}"


class TokenService:
    """Mints and verifies tokens; thread-safe because admin calls and API calls may interleave."""

    def __init__(self, signing_key: str | None = None, store: MetaStore | None = None) -> None:
        self._keeper = IssuedKeeper(store)
        kept = self._keeper.read() or {}
        if signing_key:
            self._key = signing_key.encode("utf-8")
        else:
            self._key = bytes.fromhex(kept["key"]) if kept else secrets.token_bytes(32)
        self._signer = HS256Signer(self._key)
        self._issued: dict[str, IssuedToken] = {}
        for fields in kept.get("issued", []):
            stamps = {name: dt.datetime.fromisoformat(fields[name]) for name in ("issued_at", "expires_at")}
            self._issued[fields["jti"]] = IssuedToken(**{**fields, **stamps})
        self._lock = threading.Lock()
        self.minted = 0

    def keep(self) -> None:
        """Write the registry and its key to the store (after every change)."""
        with self._lock:
            issued = [
                {**asdict(t), "issued_at": t.issued_at.isoformat(), "expires_at": t.expires_at.isoformat()}
                for t in self._issued.values()
            ]
        self._keeper.write({"key": self._key.hex(), "issued": issued})

    def mint(
        self,
        *,
        client_id: str,
        domain: str,
        user_email: str,
        audience: str,
        now: dt.datetime,
        lifetime_seconds: float,
    ) -> tuple[str, IssuedToken]:
        jti = secrets.token_hex(12)
        issued = IssuedToken(
            jti, client_id, domain, user_email, now, now + dt.timedelta(seconds=lifetime_seconds)
        )
        header = {"alg": "HS256", "typ": "JWT", "kid": "procurify-sandbox"}
        payload = {
            "iss": f"https://{domain}.procurify.com/",
            "sub": f"{client_id}@clients",
            "aud": audience,
            "iat": int(now.timestamp()),
            "exp": int(issued.expires_at.timestamp()),
            "azp": client_id,
            "scope": scope_for(domain, user_email),
            "gty": "client-credentials",
            "jti": jti,
        }
        token = self._signer.sign(compact_json(header), payload)
        with self._lock:
            self._prune(now)
            self._issued[jti] = issued
            self.minted += 1
        self.keep()
        return token, issued

    def verify(self, token: str, domain: str, now: dt.datetime) -> IssuedToken:
        claims = self._signer.claims(token)
        if claims is None:
            raise TokenRejected("invalid")
        with self._lock:
            issued = self._issued.get(str(claims.get("jti")))
        if issued is None or issued.revoked:
            raise TokenRejected("invalid")
        if now >= issued.expires_at:
            raise TokenRejected("expired")
        if issued.domain != domain:
            raise TokenRejected("other_domain")
        return issued

    def client_of(self, token: str) -> str | None:
        """The client id a correctly signed token names (for per-application faults before auth)."""
        claims = self._signer.claims(token)
        return None if claims is None else str(claims.get("azp"))

    def expire_all(self, now: dt.datetime) -> int:
        with self._lock:
            expired = expire_live(self._issued.values(), now)
        self.keep()
        return expired

    def revoke_all(self) -> int:
        with self._lock:
            revoked = revoke_unrevoked(self._issued.values())
        self.keep()
        return revoked

    def active(self, now: dt.datetime) -> int:
        with self._lock:
            return len(live_tokens(self._issued.values(), now))

    def _prune(self, now: dt.datetime) -> None:
        # Keep expired tokens a day so they still answer "expired" rather than "invalid".
        horizon = now - dt.timedelta(days=1)
        for jti in [jti for jti, t in self._issued.items() if t.expires_at < horizon]:
            del self._issued[jti]
