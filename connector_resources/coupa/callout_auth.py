"""How Coupa's call-outs prove who sent them, as the receiver checks it: the three schemes.

Coupa signs nothing. A call-out endpoint is configured (Setup > Integrations > Call Outs, its endpoint
detail) either with **HTTP Basic** credentials or with **OAuth 2.0 client credentials**: Coupa first POSTs
to the endpoint's Token URL with ``Authorization: Basic base64url(client_id:client_secret)`` and the form
body ``grant_type=client_credentials`` (``&scope=...`` when one is set; a JSON body when the endpoint's
content type is JSON), expects ``{"access_token", "token_type": "bearer", "expires_in"}`` and sends the
call-out with ``Authorization: Bearer <token>`` (Compass, "OAuth 2.0 for Call Outs", revised 2021-08-11).
So the receiver serves that token URL itself (``POST /webhooks/<source>/token``) and issues the tokens.

``hmac`` is the project's own earlier scheme (an HMAC-SHA256 of the body in ``X-Coupa-Signature``), kept for
a middleware that signs what it relays; Coupa itself never sends it.

Tokens are stateless: ``<expiry>.<HMAC-SHA256(client secret, source|client id|expiry)>``, so every receiver
process of a scaled-out deployment verifies what any of them issued, and rotating the secret revokes them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from connector_resources.webhooks.sources import Headers, TokenAnswer, WebhookRejected

SCHEMES = ("basic", "oauth2", "hmac")
DEFAULT_SCHEME = "basic"  # what Coupa documents first; ``oauth2`` is its other documented variant
TOKEN_LIFETIME_SECONDS = 3600


def basic_pair(header: str) -> tuple[str, str] | None:
    """``(user, password)`` from an ``Authorization: Basic ...`` header. Coupa's token request encodes the
    pair with URL-safe base64 (Compass); standard base64 is taken too. None when it is not Basic."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    value = value.strip()
    padded = value + "=" * (-len(value) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            user, sep, password = decode(padded.encode("ascii")).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeError, ValueError):
            continue
        if sep:
            return user, password
    return None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def credentials_match(header: str, username: str, password: str) -> bool:
    pair = basic_pair(header)
    return pair is not None and _same(pair[0], username) & _same(pair[1], password)


def _token_mac(secret: str, scope: str, client_id: str, expires: int) -> str:
    message = f"{scope}|{client_id}|{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def issue_token(secret: str, scope: str, client_id: str, now: float | None = None) -> tuple[str, int]:
    """A bearer token for ``client_id`` at ``scope`` (the source's resource), and its lifetime."""
    expires = int(now if now is not None else time.time()) + TOKEN_LIFETIME_SECONDS
    return f"{expires}.{_token_mac(secret, scope, client_id, expires)}", TOKEN_LIFETIME_SECONDS


def token_valid(token: str, secret: str, scope: str, client_id: str, now: float | None = None) -> bool:
    expires_text, _, mac = token.partition(".")
    if not expires_text.isdigit() or not mac:
        return False
    expires = int(expires_text)
    if expires <= (now if now is not None else time.time()):
        return False
    return _same(mac, _token_mac(secret, scope, client_id, expires))


def _grant_type(headers: Headers, body: bytes) -> str | None:
    """The ``grant_type`` of a token request, form-encoded (Coupa's default) or JSON."""
    text = body.decode("utf-8", "replace")
    if "json" in headers.get("content-type", ""):
        try:
            parsed = json.loads(text or "{}")
        except json.JSONDecodeError:
            return None
        return str(parsed.get("grant_type")) if isinstance(parsed, dict) and "grant_type" in parsed else None
    return dict(parse_qsl(text, keep_blank_values=True)).get("grant_type")


def token_endpoint(
    name: str, scope: str, client_id: str, secret: str
) -> Callable[[Headers, bytes], TokenAnswer]:
    """The token URL of one call-out source: RFC 6749 client credentials, the client authenticated by
    Basic (as Coupa sends it); errors in RFC 6749's shape."""

    def answer(headers: Headers, body: bytes) -> TokenAnswer:
        if not credentials_match(headers.get("authorization", ""), client_id, secret):
            return TokenAnswer(
                401, {"error": "invalid_client", "error_description": f"{name}: unknown client"}
            )
        grant = _grant_type(headers, body)
        if grant is None:
            return TokenAnswer(400, {"error": "invalid_request", "error_description": "grant_type missing"})
        if grant != "client_credentials":
            return TokenAnswer(400, {"error": "unsupported_grant_type", "error_description": grant[:40]})
        token, lifetime = issue_token(secret, scope, client_id)
        return TokenAnswer(200, {"access_token": token, "token_type": "bearer", "expires_in": lifetime})

    return answer


def verifier(
    name: str,
    scope: str,
    scheme: str,
    *,
    username: str | None,
    password: str | None,
    hmac_check: Callable[[Headers, bytes], bool] | None,
) -> Callable[[Headers, bytes], None]:
    """The check a call-out must pass under ``scheme``; raises ``WebhookRejected`` naming what failed (never
    a credential)."""
    if scheme not in SCHEMES:
        raise ValueError(
            f"webhook source {name}: call-out auth {scheme!r} is not one of {', '.join(SCHEMES)}"
        )
    if scheme in ("basic", "oauth2") and not (username and password):
        raise ValueError(
            f"webhook source {name}: {scheme} call-outs need a user name (client id) and password, "
            "or nothing is verified"
        )
    if scheme == "hmac" and hmac_check is None:
        raise ValueError(f"webhook source {name}: configure an HMAC secret, or nothing is verified")

    def verify(headers: Headers, body: bytes) -> None:
        authorization = headers.get("authorization", "")
        if scheme == "basic":
            assert username is not None and password is not None
            if not credentials_match(authorization, username, password):
                raise WebhookRejected(f"{name}: missing or wrong basic credentials")
        elif scheme == "oauth2":
            assert username is not None and password is not None
            kind, _, token = authorization.strip().partition(" ")
            if kind.lower() != "bearer" or not token_valid(token.strip(), password, scope, username):
                raise WebhookRejected(f"{name}: missing, expired or foreign bearer token")
        else:
            assert hmac_check is not None
            if not hmac_check(headers, body):
                raise WebhookRejected(f"{name}: missing or wrong signature")
            if username and not credentials_match(authorization, username, password or ""):
                raise WebhookRejected(f"{name}: wrong basic credentials")

    return verify
