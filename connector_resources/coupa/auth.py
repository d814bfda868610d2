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
  new key, so it gets a new token at once. ``CoupaResource`` asks every token for all the scopes it
  is configured with (each session calls only what its own scopes allow), so every flow shares one
  token; only where Coupa refuses that set does each session's own set get a token of its own.
* **Shared across processes.** Every Dagster step is a process, so a token kept only in memory still
  costs one token request and one warm-up per step. With a vault key configured the minted token
  (with its expiry and mint time) is kept encrypted in the vault (``token_store.VaultTokenStore``,
  ``coupa/token/<digest of instance, client, secret and scopes>``) and every process adopts it until
  the renewal margin. The warm-up counts from the *mint* time, so a process adopting a token minted
  more than 5 s ago uses it at once. Minting is serialised across processes (the store's login
  lock): a process that waited adopts the token the first one stored, so after an expiry or a
  revocation (401) N processes mint once, not N times; the rejected token is dropped from the vault.
  Without a vault key each process keeps its own token, as before (logged once).
* **Errors in words.** A refused token request becomes ``CoupaAuthError`` (wrong id/secret) or
  ``CoupaScopeError`` (``invalid_scope``: a scope the client is not granted), with Coupa's own
  description, never the secret.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from connector_resources.coupa.errors import (
    CoupaAuthError,
    CoupaScopeError,
    response_payload,
    server_messages,
)
from connector_resources.http import AuthenticationError, Token
from connector_resources.redaction import get_logger, register_secret
from connector_resources.token_store import KeptOAuthClientCredentials, TokenStore, key_digest

if TYPE_CHECKING:
    from connector_resources.http.client import HttpClient

log = get_logger("ml_connector.coupa.auth")

TOKEN_PATH = "oauth2/token"
# Renew 4 h before a 24 h token expires, i.e. at 20 h as Coupa recommends (§2.1).
RENEWAL_MARGIN_SECONDS = 4 * 3600.0
DEFAULT_WARMUP_SECONDS = 5.0


class CoupaOAuth(KeptOAuthClientCredentials):
    """Client-credentials tokens for one Coupa instance, client and scope set (see module docstring)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        scopes: Sequence[str],
        *,
        token_url: str = TOKEN_PATH,
        warmup_seconds: float = DEFAULT_WARMUP_SECONDS,
        store: TokenStore | None = None,
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
            store=store,
        )
        if warmup_seconds < 0:
            raise ValueError("warmup_seconds must be >= 0")
        self.scopes = tuple(scopes)
        self.warmup_seconds = float(warmup_seconds)
        self.warmup_waited = 0.0  # seconds slept for Coupa's warm-up, all told

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
        """Have a live token (``KeptTokenAuth``: this process's, another process's from the store, or a
        new one minted under the store's lock), then wait out what is left of the warm-up, counted
        from when the token was minted, whoever minted it."""
        super().ensure_fresh(http)
        token = self.token
        if token is None or self.warmup_seconds <= 0:
            return
        # Coupa: "wait >= 5 s after minting a token before first use".
        young = self.warmup_seconds - (time.time() - token.obtained_at)
        if young > 0:
            log.debug("coupa: waiting %.1fs before the first use of a new token", young)
            time.sleep(young)
            self.warmup_waited += young

    def adopted(self, stored: Token) -> None:
        log.debug(  # routine: every step and every restart adopts the kept token
            "coupa: reusing the access token for client %s minted %.0f s ago by another process",
            self.client_id,
            time.time() - stored.obtained_at,
        )

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
    store: Callable[[str], TokenStore] | None = None,
) -> CoupaOAuth:
    """The process-wide scheme (and so the token) for these credentials and this scope set; built on
    first use with the token store ``store(key)`` gives (``key``: a digest naming instance, client,
    secret and scopes; default: this process only)."""
    register_secret(client_secret)
    # Only a digest of the secret is part of the key: the registry must not hold it twice.
    digest = hashlib.sha256(client_secret.encode("utf-8")).hexdigest()
    scope_set = " ".join(sorted(scopes))
    key = (base_url.rstrip("/"), client_id, digest, scope_set, float(warmup_seconds))
    with _registry_lock:
        scheme = _schemes.get(key)
        if scheme is None:
            kept = store(token_key(base_url, client_id, digest, scope_set)) if store is not None else None
            scheme = _schemes[key] = CoupaOAuth(
                client_id, client_secret, list(scopes), warmup_seconds=warmup_seconds, store=kept
            )
        return scheme


def token_key(base_url: str, client_id: str, secret_digest: str, scope_set: str) -> str:
    """The non-secret name of one token in the store: a rotated secret or other scopes, another token."""
    return key_digest(base_url.rstrip("/"), client_id, secret_digest, scope_set)


# (instance, client, configured scopes) whose whole scope set Coupa refused: there each session asks a token
# for its own scopes (``CoupaResource.open_session``).
REFUSED_SCOPE_SETS: set[tuple[str, str, tuple[str, ...]]] = set()


def forget_tokens() -> None:
    """Drop every shared token and refused scope set (tests; or after rotating a client's scopes in
    Coupa)."""
    with _registry_lock:
        _schemes.clear()
        REFUSED_SCOPE_SETS.clear()
