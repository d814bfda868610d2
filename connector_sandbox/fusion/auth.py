"""Who is calling: HTTP Basic users, and bearer tokens from the simulated identity domain
(reference section 2.11).

The identity domain lives on the pod's port at ``/oauth2/v1/token`` (a real pod's is another host,
``https://idcs-<guid>.identity.oraclecloud.com``). It issues JWT-shaped access tokens for the
client-credentials grant (acting as the client's configured Fusion user), the JWT user-assertion
grant (RS256, ``sub`` = Fusion user) and refresh tokens; the password grant is off unless enabled.
Tokens are remembered server-side, so the operator can revoke all of them, and they expire by the
sandbox clock; the registry and its signing key are kept with the data
(``connector_sandbox.kept_credentials``), so a restart on kept data honours them. OAuth error bodies
follow RFC 6749 (``error`` / ``error_description``), as identity domains answer.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connector_sandbox.kept_credentials import IssuedKeeper, MetaStore
from connector_sandbox.oauth import HS256Signer, b64url_decode, parse_basic

from .settings import BehaviourSettings, FusionSandboxSettings, FusionUser, OAuthClient

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
OFFLINE_ACCESS = "offline_access"


class OAuthError(Exception):
    """A token-endpoint failure in RFC 6749 shape."""

    def __init__(self, status: int, error: str, description: str, *, challenge: bool = False) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.challenge = challenge


@dataclass
class AccessToken:
    value: str
    jti: str
    username: str
    client_id: str | None
    scope: str
    expires_at: dt.datetime
    kind: str  # "oauth" or "tokenrelay"


@dataclass
class RefreshToken:
    value: str
    username: str
    client_id: str
    scope: str


class TokenRegistry:
    """Issued access and refresh tokens of one pod (kept in ``store`` when given, with the signing key)."""

    def __init__(self, store: MetaStore | None = None) -> None:
        self._keeper = IssuedKeeper(store)
        kept = self._keeper.read() or {}
        self._key = bytes.fromhex(kept["key"]) if kept else secrets.token_bytes(32)
        self._signer = HS256Signer(self._key)
        self._access: dict[str, AccessToken] = {}
        for fields in kept.get("access", []):
            token = AccessToken(**{**fields, "expires_at": dt.datetime.fromisoformat(fields["expires_at"])})
            self._access[token.jti] = token
        self._refresh = {t["value"]: RefreshToken(**t) for t in kept.get("refresh", [])}
        self.issued = 0

    def keep(self) -> None:
        """Write the registry to the store (after every change)."""
        self._keeper.write(
            {
                "key": self._key.hex(),
                "access": [
                    {**asdict(t), "expires_at": t.expires_at.isoformat()} for t in self._access.values()
                ],
                "refresh": [asdict(t) for t in self._refresh.values()],
            }
        )

    def _jwt(self, claims: dict[str, Any]) -> str:
        header = json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sandbox"}).encode()
        return self._signer.sign(header, claims)

    def issue(
        self,
        *,
        username: str,
        client_id: str | None,
        scope: str,
        now: dt.datetime,
        lifetime: int,
        kind: str = "oauth",
    ) -> AccessToken:
        jti = secrets.token_hex(16)
        expires = now + dt.timedelta(seconds=lifetime)
        claims = {
            "sub": username,
            "client_id": client_id,
            "scope": scope,
            "iss": "https://identity.oraclecloud.com/",
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": jti,
            "tok_type": "AT",
        }
        token = AccessToken(self._jwt(claims), jti, username, client_id, scope, expires, kind)
        # Expired tokens are dropped as new ones come, so the registry stays small on a long run.
        self._access = {key: value for key, value in self._access.items() if value.expires_at > now}
        self._access[jti] = token
        self.issued += 1
        self.keep()
        return token

    def issue_refresh(self, username: str, client_id: str, scope: str) -> str:
        value = secrets.token_urlsafe(32)
        self._refresh[value] = RefreshToken(value, username, client_id, scope)
        self.keep()
        return value

    def take_refresh(self, value: str, client_id: str) -> RefreshToken | None:
        token = self._refresh.get(value)
        if token is None or token.client_id != client_id:
            return None
        return token

    def resolve(self, value: str, now: dt.datetime) -> AccessToken | None:
        """The live token behind a bearer value; None when unknown, tampered, revoked or expired."""
        claims = self._signer.claims(value)
        if claims is None:
            return None
        token = self._access.get(str(claims.get("jti")))
        if token is None or token.value != value or token.expires_at <= now:
            return None
        return token

    def revoke_all(self) -> int:
        count = len(self._access) + len(self._refresh)
        self._access.clear()
        self._refresh.clear()
        self.keep()
        return count

    def expire_all(self, now: dt.datetime) -> int:
        """Keep the tokens but make them expired (a client sees 401 and must fetch a new one)."""
        for token in self._access.values():
            token.expires_at = min(token.expires_at, now)
        self.keep()
        return len(self._access)

    def active_count(self, now: dt.datetime) -> int:
        return sum(1 for token in self._access.values() if token.expires_at > now)


def _public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.encode("ascii")
    if b"CERTIFICATE" in data:
        key = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("only RSA keys sign JWT assertions (RS256)")
    return key


def verify_assertion(assertion: str, client: OAuthClient, now: dt.datetime) -> dict[str, Any]:
    """Claims of an RS256 JWT signed by one of the client's trusted certificates (``invalid_grant``)."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise OAuthError(400, "invalid_grant", "The assertion is not a JWT.")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        raise OAuthError(400, "invalid_grant", "The assertion is not a JWT.") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise OAuthError(400, "invalid_grant", "The assertion must be signed with RS256.")
    signed = f"{parts[0]}.{parts[1]}".encode()
    for pem in client.trusted_certificates:
        try:
            _public_key(pem).verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
            break
        except (InvalidSignature, ValueError):
            continue
    else:
        raise OAuthError(400, "invalid_grant", "The assertion signature is not trusted by this client.")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now.timestamp():
        raise OAuthError(400, "invalid_grant", "The assertion has expired.")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise OAuthError(400, "invalid_grant", "The assertion has no subject.")
    return claims


def check_scope(
    requested: str, settings: FusionSandboxSettings, behaviour: BehaviourSettings
) -> tuple[str, bool]:
    """(granted scope, offline access?) or ``invalid_scope``.

    The Fusion scope is accepted bare or with the instance prefix the app's Resources tab shows
    (``urn:opc:resource:fa:instanceid=<n>urn:opc:resource:consumer::all``).
    """
    accepted = behaviour.accepted_scope
    prefixed = f"urn:opc:resource:fa:instanceid={settings.instance_id}{accepted}"
    scopes = requested.split()
    fusion = [scope for scope in scopes if scope in {accepted, prefixed}]
    others = [scope for scope in scopes if scope not in {accepted, prefixed, OFFLINE_ACCESS}]
    if not fusion or others:
        raise OAuthError(400, "invalid_scope", "Invalid scope.")
    return " ".join(scopes), OFFLINE_ACCESS in scopes


def authenticate_client(
    settings: FusionSandboxSettings, behaviour: BehaviourSettings, authorization: str, form: dict[str, str]
) -> OAuthClient:
    """The confidential app calling the token endpoint (Basic header, or form fields if allowed)."""
    basic = parse_basic(authorization)
    if basic is not None:
        client_id, secret = basic
    elif behaviour.allow_client_secret_post and "client_id" in form:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    else:
        raise OAuthError(401, "invalid_client", "Client authentication failed.", challenge=True)
    client = settings.client(client_id)
    if client is None or not hmac.compare_digest(client.client_secret.encode(), secret.encode()):
        raise OAuthError(401, "invalid_client", "Client authentication failed.", challenge=True)
    return client


def check_password(settings: FusionSandboxSettings, username: str, password: str) -> FusionUser | None:
    user = settings.user(username)
    if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
        return None
    return user
