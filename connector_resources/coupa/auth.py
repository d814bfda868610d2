"""Coupa OAuth 2.0 client credentials (reference §2.1): one token per client and scope set, shared.

* **Form fields, not Basic.** Coupa's docs show ``client_id`` / ``client_secret`` as form fields
  (Basic is only reported by some clients, unconfirmed), so the request uses ``client_secret_post``.
* **Scopes space-separated.** ``OAuthClientCredentials`` joins them with spaces; the Coupa UI shows
  them comma-separated, which the token endpoint does not accept.
* **Refresh at ~20 h.** Coupa tokens live 24 h (``expires_in`` 86399) and Coupa recommends renewing
  every 20 h, so the renewal margin is 4 h (``TokenAuth`` never renews before half the lifetime, so
  short-lived test tokens are still used). A 401 anyway means the token died early (revoked, rotated
  client): the HTTP core renews it once and replays the call; a second 401 is an error.
* **Wait before first use.** Coupa advises waiting at least 5 s after minting before using a token
  (calls made at once can fail). ``warmup_seconds`` makes the first use of a new token wait out the
  remainder; later uses cost nothing. Because tokens are shared (below), this is paid once per
  process per 20 h, not once per batch.
* **Shared per process.** Minting is slow (the warm-up) and pointless while a token is valid, so
  ``shared_oauth`` keeps one scheme per (token URL, client id, secret, scope set, warm-up): every
  session and thread with the same credentials and scopes reuses the token. A rotated secret is a
  new key, so it gets a new token at once.
* **Errors in words.** A refused token request becomes ``CoupaAuthError`` (wrong id/secret) or
  ``CoupaScopeError`` (``invalid_scope``: a scope the client is not granted), with Coupa's own
  description, never the secret.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from connector_resources.coupa.errors import (
    CoupaAuthError,
    CoupaScopeError,
    response_payload,
    server_messages,
)
from connector_resources.http import AuthenticationError, OAuthClientCredentials, Token
from connector_resources.redaction import get_logger, register_secret

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient

log = get_logger("ml_connector.coupa.auth")

TOKEN_PATH = "oauth2/token"
# Renew 4 h before a 24 h token expires, i.e. at 20 h as Coupa recommends (§2.1).
RENEWAL_MARGIN_SECONDS = 4 * 3600.0
DEFAULT_WARMUP_SECONDS = 5.0


class CoupaOAuth(OAuthClientCredentials):
    """Client-credentials tokens for one Coupa instance, client and scope set (see module docstring)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        *,
        token_url: str = TOKEN_PATH,
        warmup_seconds: float = DEFAULT_WARMUP_SECONDS,
    ) -> None:
        super().__init__(
            token_url,
            client_id,
            client_secret,
            scopes=list(scopes),
            token_endpoint_auth_method="client_secret_post",
            expired_statuses=(401,),
            leeway_seconds=RENEWAL_MARGIN_SECONDS,
            leeway_fraction=0.0,
        )
        if warmup_seconds < 0:
            raise ValueError("warmup_seconds must be >= 0")
        self.scopes = tuple(scopes)
        self.warmup_seconds = float(warmup_seconds)

    def fetch_token(self, http: HttpClient) -> Token:
        try:
            token = super().fetch_token(http)
        except AuthenticationError as exc:
            raise self._refused(exc) from None
        log.info(
            "coupa: new access token for client %s (%d scope(s), expires in %s s)",
            self.client_id,
            len(self.scopes),
            "?" if token.expires_at is None else round(token.expires_at - token.obtained_at),
        )
        return token

    def ensure_fresh(self, http: HttpClient) -> None:
        super().ensure_fresh(http)
        token = self.token
        if token is None or self.warmup_seconds <= 0:
            return
        # Coupa: "wait >= 5 s after minting a token before first use".
        young = self.warmup_seconds - (time.time() - token.obtained_at)
        if young > 0:
            log.debug("coupa: waiting %.1fs before the first use of a new token", young)
            time.sleep(young)

    def _refused(self, exc: AuthenticationError) -> CoupaAuthError:
        said = "; ".join(text for _, text in server_messages(response_payload(exc.response)))
        said = said or exc.body_excerpt or exc.detail or (f"HTTP {exc.status}" if exc.status else str(exc))
        code = said.split(":", 1)[0].strip().lower()
        where = f"Coupa token endpoint {exc.url}"
        if code == "invalid_scope" or "scope" in said.lower():
            return CoupaScopeError(
                f"{where} refused the scopes requested for client {self.client_id} "
                f"({' '.join(self.scopes)}): {said}. Grant them to the OAuth client in Coupa "
                "(Setup > Oauth2/OpenID Connect Clients) or ask for fewer.",
                missing=self.scopes,
                status=exc.status,
            )
        if code == "invalid_client" or exc.status == 401:
            return CoupaAuthError(
                f"{where} rejected client {self.client_id}: {said}. Check the client id and secret.",
                status=exc.status,
            )
        return CoupaAuthError(
            f"{where} refused a token for client {self.client_id}: {said}", status=exc.status
        )

    def __repr__(self) -> str:
        return f"CoupaOAuth(client_id={self.client_id!r}, scopes={' '.join(self.scopes)!r})"


_registry_lock = threading.Lock()
_schemes: dict[tuple[str, str, str, str, float], CoupaOAuth] = {}


def shared_oauth(
    base_url: str,
    client_id: str,
    client_secret: str,
    scopes: Sequence[str],
    *,
    warmup_seconds: float = DEFAULT_WARMUP_SECONDS,
) -> CoupaOAuth:
    """The process-wide scheme (and so the token) for these credentials and this scope set."""
    register_secret(client_secret)
    # Only a digest of the secret is part of the key: the registry must not hold it twice.
    digest = hashlib.sha256(client_secret.encode("utf-8")).hexdigest()
    key = (base_url.rstrip("/"), client_id, digest, " ".join(sorted(scopes)), float(warmup_seconds))
    with _registry_lock:
        scheme = _schemes.get(key)
        if scheme is None:
            scheme = _schemes[key] = CoupaOAuth(
                client_id, client_secret, list(scopes), warmup_seconds=warmup_seconds
            )
        return scheme


def forget_tokens() -> None:
    """Drop every shared token (tests; or after rotating a client's scopes in Coupa)."""
    with _registry_lock:
        _schemes.clear()
