"""Procurify's OAuth: an Auth0-style client-credentials exchange on the customer's own host.

Reference §2.1 / §3: ``POST https://{domain}.procurify.com/oauth/token`` with a **JSON** body
``{client_id, client_secret, audience: "https://api.procurify.com/", grant_type}``; the answer is a
24 h bearer token (``expires_in: 86400``) with **no refresh token**, so renewal is simply the same
call again. Procurify asks integrators to cache the token until it expires, so tokens are shared by
every session of the process that uses the same customer host, client and secret
(``shared_auth``): a Dagster run with six assets asks for one token, not six. With
``ML_CONNECTOR_VAULT_KEY`` (and ``keep_tokens``) the token is also kept encrypted in the vault
(``token_store.KeptOAuthClientCredentials``, ``procurify/token/<digest of host, client, secret and
audience>``), so every step and run adopts it until shortly before its 24 h expiry, and a rejected
token is replaced once across processes (the store's login lock), not once per process.

What an expired or invalid bearer gets back is unconfirmed: DRF's default is ``401 {"detail": ...}``,
but a server answering ``403`` for a bad token is plausible, so a 403 whose detail talks about the
token also counts as "expired" (one re-fetch and replay; a second refusal is an auth error). A 403
about anything else (a missing permission, a suspended application) is not retried.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

import requests

from connector_resources.http.errors import response_json
from connector_resources.procurify.errors import server_said
from connector_resources.token_store import KeptOAuthClientCredentials, TokenStore

TOKEN_PATH = "/oauth/token"  # no trailing slash: the token endpoint is Auth0's, not Django's
DEFAULT_AUDIENCE = "https://api.procurify.com/"
_TOKEN_WORDS = ("token", "expired", "jwt", "signature")


class ProcurifyAuth(KeptOAuthClientCredentials):
    """Client-credentials bearer tokens for one Procurify customer domain, kept in ``store`` (default:
    this process only)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        audience: str = DEFAULT_AUDIENCE,
        store: TokenStore | None = None,
    ) -> None:
        super().__init__(
            TOKEN_PATH,
            client_id,
            client_secret,
            audience=audience,
            token_endpoint_auth_method="client_secret_json",
            expired_statuses={401},
            store=store,
        )

    def is_expired(self, response: requests.Response) -> bool:
        if response.status_code == 401:
            return True
        if response.status_code == 403:
            said = server_said(response_json(response)).lower()
            return any(word in said for word in _TOKEN_WORDS) and "suspend" not in said
        return False

    @property
    def granted_scope(self) -> str:
        """The ``scope`` of the current token (it names the domain and the acting user), if any."""
        token = self.token
        value = token.extra.get("scope") if token is not None else None
        return value if isinstance(value, str) else ""

    def __repr__(self) -> str:
        return f"ProcurifyAuth(client_id={self.client_id!r}, audience={self.audience!r})"


_shared: dict[tuple[str, str, str, str], ProcurifyAuth] = {}
_shared_lock = threading.Lock()


def shared_auth(
    origin: str,
    client_id: str,
    client_secret: str,
    audience: str,
    *,
    store: Callable[[], TokenStore] | None = None,
) -> ProcurifyAuth:
    """The process-wide ``ProcurifyAuth`` for this host and credential, so its token is reused; built
    on first use with the token store ``store()`` gives (default: this process only).

    The secret is part of the key only as a digest: a rotated secret gets a fresh scheme (and token)
    and the old entry simply stops being used.
    """
    digest = hashlib.sha256(client_secret.encode("utf-8")).hexdigest()
    key = (origin.lower().rstrip("/"), client_id, audience, digest)
    with _shared_lock:
        auth = _shared.get(key)
        if auth is None:
            kept = store() if store is not None else None
            auth = _shared[key] = ProcurifyAuth(client_id, client_secret, audience=audience, store=kept)
        return auth


def forget_shared_tokens() -> None:
    """Drop every cached scheme (tests; or after an operator revoked the application's tokens)."""
    with _shared_lock:
        _shared.clear()
