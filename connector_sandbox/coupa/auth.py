"""OAuth 2.0 client-credentials tokens as the instance issues them, and their checks on API calls.

Tokens look like Coupa's: RS256-style JWTs longer than 1 KB (clients must not truncate them). The
sandbox does not verify their signature; it remembers every token it minted, so expiry, revocation
and scopes are decided by the registry, exactly as an opaque token would be. The registry is kept with the
data (``connector_sandbox.kept_credentials``), so a restart on kept data honours them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
import time

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore, monotonic, wall
from connector_sandbox.oauth import b64url, compact_json

from .settings import ApiClient


@dataclasses.dataclass
class IssuedToken:
    client_id: str
    scopes: frozenset[str]
    issued_at: float  # time.monotonic()
    expires_at: float
    jti: str


class TokenRegistry:
    """Every token minted by this instance, by its full string (kept in ``store`` when given)."""

    def __init__(self, store: MetaStore | None = None) -> None:
        self._keeper = IssuedKeeper(store)
        self._tokens: dict[str, IssuedToken] = {
            token: IssuedToken(client_id, frozenset(scopes), monotonic(issued_at), monotonic(expires_at), jti)
            for token, client_id, scopes, issued_at, expires_at, jti in self._keeper.read() or []
        }
        self._key = secrets.token_bytes(32)
        self.minted = 0

    def keep(self) -> None:
        """Write the registry to the store (after every change), its monotonic stamps as wall-clock ones."""
        self._keeper.write(
            [
                [token, t.client_id, sorted(t.scopes), wall(t.issued_at), wall(t.expires_at), t.jti]
                for token, t in self._tokens.items()
            ]
        )

    def mint(
        self, client: ApiClient, scopes: frozenset[str], *, lifetime: float, min_length: int, issuer: str
    ) -> tuple[str, IssuedToken]:
        now_wall = int(time.time())
        jti = secrets.token_hex(16)
        header = b64url(compact_json({"alg": "RS256", "typ": "JWT", "kid": "coupa-sandbox"}))
        claims = {
            "iss": issuer,
            "sub": client.client_id,
            "aud": "coupa-core-api",
            "client_id": client.client_id,
            "scope": " ".join(sorted(scopes)),
            "iat": now_wall,
            "exp": now_wall + int(lifetime),
            "jti": jti,
        }
        payload = b64url(compact_json(claims))
        signature_length = 342  # what a 2048-bit RSA signature looks like in base64url
        body_length = len(header) + len(payload) + 2 + signature_length
        if body_length < min_length:
            # Real tokens carry many claims; pad with a claim so the length matches the documented size.
            claims["ext"] = secrets.token_hex((min_length - body_length) // 2 + 8)
            payload = b64url(compact_json(claims))
        digest = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha512).digest()
        signature = b64url(digest * 4)[:signature_length]
        token = f"{header}.{payload}.{signature}"
        now = time.monotonic()
        issued = IssuedToken(client.client_id, scopes, now, now + lifetime, jti)
        self._tokens[token] = issued
        self.minted += 1
        self.keep()
        return token, issued

    def lookup(self, token: str) -> IssuedToken | None:
        return self._tokens.get(token)

    def active_count(self) -> int:
        now = time.monotonic()
        return sum(1 for issued in self._tokens.values() if issued.expires_at > now)

    def expire_all(self) -> int:
        """Every token is now past its expiry (a token stays known, so the answer is 'expired')."""
        now = time.monotonic()
        count = 0
        for issued in self._tokens.values():
            if issued.expires_at > now:
                issued.expires_at = now - 1
                count += 1
        self.keep()
        return count

    def revoke_all(self) -> int:
        count = len(self._tokens)
        self._tokens.clear()
        self.keep()
        return count

    def prune(self) -> None:
        """Forget tokens expired for over an hour, so a long-running sandbox stays small."""
        cutoff = time.monotonic() - 3600
        stale = [token for token, issued in self._tokens.items() if issued.expires_at < cutoff]
        for token in stale:
            del self._tokens[token]
        if stale:
            self.keep()


def parse_scope(raw: str | None) -> list[str] | None:
    """Space-separated scope list; None when absent. Commas are not separators (the UI shows them)."""
    if raw is None:
        return None
    return [scope for scope in raw.split(" ") if scope]
