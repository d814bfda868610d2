"""Access tokens minted by ``/oauth/token`` (client-credentials grant) and checked on every API call.

Tokens are opaque to clients (they look like Procore's JWTs: three base64url parts); the registry is kept
with the data (``connector_sandbox.kept_credentials``), so a restart on kept data honours them. An expired
or revoked token is remembered so the 401 can say which, when the
``distinct_token_messages`` variant asks for Doorkeeper's distinct texts.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Literal

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore
from connector_sandbox.oauth import b64url, expire_live, live_tokens, revoke_unrevoked


@dataclass
class AccessToken:
    value: str
    client_id: str
    created_at: float
    expires_at: float
    revoked: bool = False

    def remaining(self, now: float) -> int:
        return max(0, int(self.expires_at - now))


class InvalidToken(Exception):
    def __init__(self, reason: Literal["invalid", "expired", "revoked"]) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenRegistry:
    """Every token this sandbox issued (kept in ``store`` when given) since its data was seeded (or since
    the last reset)."""

    def __init__(self, store: MetaStore | None = None) -> None:
        self._keeper = IssuedKeeper(store)
        kept = self._keeper.read() or []
        self._tokens: dict[str, AccessToken] = {t["value"]: AccessToken(**t) for t in kept}

    def keep(self) -> None:
        """Write the registry to the store (after every change)."""
        self._keeper.write([asdict(token) for token in self._tokens.values()])

    def issue(self, client_id: str, lifetime_seconds: float, now: float | None = None) -> AccessToken:
        now = time.time() if now is None else now
        header = b64url(json.dumps({"typ": "JWT", "alg": "ES512"}).encode())
        payload = b64url(json.dumps({"jti": secrets.token_hex(16), "iat": int(now)}).encode())
        value = f"{header}.{payload}.{b64url(secrets.token_bytes(48))}"
        token = AccessToken(value, client_id, now, now + lifetime_seconds)
        self._tokens[value] = token
        self.keep()
        return token

    def find(self, value: str) -> AccessToken | None:
        return self._tokens.get(value)

    def resolve(self, value: str, now: float | None = None) -> AccessToken:
        """The live token, or ``InvalidToken`` saying why not."""
        now = time.time() if now is None else now
        token = self._tokens.get(value)
        if token is None:
            raise InvalidToken("invalid")
        if token.revoked:
            raise InvalidToken("revoked")
        if now >= token.expires_at:
            raise InvalidToken("expired")
        return token

    def revoke(self, value: str, client_id: str) -> bool:
        """RFC 7009: only the owning client may revoke; the answer is 200 either way."""
        token = self._tokens.get(value)
        if token is None or token.client_id != client_id:
            return False
        token.revoked = True
        self.keep()
        return True

    def expire_all(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        expired = expire_live(self._tokens.values(), now)
        self.keep()
        return expired

    def revoke_all(self) -> int:
        revoked = revoke_unrevoked(self._tokens.values())
        self.keep()
        return revoked

    def active_count(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        return len(live_tokens(self._tokens.values(), now))

    def clear(self) -> None:
        self._tokens.clear()
        self.keep()
