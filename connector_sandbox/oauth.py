"""Token-endpoint pieces the simulators share: base64url, HTTP Basic client credentials, the sandbox's
own HS256 JWTs, and the operator's "expire / revoke every token" over a registry of issued tokens.

Each simulator keeps what is its vendor's own (grant types, claims, error bodies, lifetimes); what is
the same arithmetic everywhere lives here. Nothing here knows a vendor or the connector's clients.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any, Protocol


def b64url(data: bytes) -> str:
    """Unpadded base64url, as JWT segments are written."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of an unpadded base64url segment (``binascii.Error`` / ``ValueError`` when broken)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact_json(value: dict[str, Any]) -> bytes:
    """JSON without spaces, as JWT headers and claims are usually serialized."""
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def parse_basic(header: str, *, strict: bool = False) -> tuple[str, str] | None:
    """(user, password) from ``Authorization: Basic ...``; None when the header is not Basic.

    A Basic header that is broken (not base64, not UTF-8, no ``:``) is None too, or with ``strict``
    a ``ValueError``, for a server that refuses it rather than looking for credentials elsewhere.
    """
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    username, separator, password = decoded.partition(":")
    if separator:
        return username, password
    if strict:
        raise ValueError("the Basic credentials are not base64 of user:password")
    return None


class HS256Signer:
    """Signs JWTs with a per-server key and checks that a presented one is really ours.

    A restarted server has a new key, so it knows none of the old tokens: the client sees 401, as it
    would after a real identity provider rotated its keys.
    """

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, header: bytes, claims: dict[str, Any]) -> str:
        """``header.claims.signature``; ``header`` is the serialized JOSE header, claims go compact."""
        signing_input = f"{b64url(header)}.{b64url(compact_json(claims))}"
        return f"{signing_input}.{b64url(self._digest(signing_input))}"

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this server signed, else None (signature checked, nothing else)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            if not hmac.compare_digest(b64url_decode(parts[2]), self._digest(f"{parts[0]}.{parts[1]}")):
                return None
            claims = json.loads(b64url_decode(parts[1]))
        except (binascii.Error, ValueError, UnicodeError):
            return None
        return claims if isinstance(claims, dict) else None

    def _digest(self, signing_input: str) -> bytes:
        return hmac.new(self._key, signing_input.encode("ascii"), hashlib.sha256).digest()


class Revocable(Protocol):
    """An issued token that an operator may expire or revoke while the server runs."""

    expires_at: Any  # a datetime or a time.time() float: whatever the registry's clock gives
    revoked: bool


def live_tokens(tokens: Iterable[Revocable], now: Any) -> list[Revocable]:
    """The tokens that would still be accepted at ``now``."""
    return [token for token in tokens if not token.revoked and token.expires_at > now]


def expire_live(tokens: Iterable[Revocable], now: Any) -> int:
    """Make every live token expire at ``now`` (still known, so a client is told "expired"); how many."""
    live = live_tokens(tokens, now)
    for token in live:
        token.expires_at = now
    return len(live)


def revoke_unrevoked(tokens: Iterable[Revocable]) -> int:
    """Revoke every token not yet revoked, expired ones included; how many."""
    fresh = [token for token in tokens if not token.revoked]
    for token in fresh:
        token.revoked = True
    return len(fresh)
