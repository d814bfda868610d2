"""``ProcurifyResource``: one Procurify customer as a Dagster resource, and the ping that checks it.

One batch = one ``session()``: an ``HttpClient`` on the customer host (``https://{domain}.procurify.com``)
that sends ``X-Procurify-Client: api`` on every call, including the token request (reference §1:
required on every request), with the client-credentials token cached process-wide until shortly
before it expires (``auth.shared_auth``) and, with ``keep_tokens`` and ``ML_CONNECTOR_VAULT_KEY``,
kept encrypted in the vault for every later step and run (``auth`` module docstring).

Limits: Procurify publishes no rate limit, but its terms warn that requests that are too large or too
slow can get API access suspended. Hence small pages (``page_size`` 50, the size a public integration
used), a modest client-side pace (``rate_per_second``) and in-flight cap shared by every client of the
same customer host in the process, and 429/503 answers retried with the server's ``Retry-After``.
A 504 (gateway timeout) or a read timeout is retried like any other transient failure (when
Procurify times out, back off and try again): exponential backoff with full jitter, at most
``max_attempts`` attempts (``ML_PROCURIFY_MAX_ATTEMPTS``), so a slow moment costs a retry, not the day;
the bound (and the small pages) keep a client from hammering a struggling server. A per-record read that
still fails queues its record; a day's list read that still fails fails the partition (see the flows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import released_on_error
from connector_resources.http import HttpClient, HttpPolicy
from connector_resources.procurify.auth import DEFAULT_AUDIENCE, ProcurifyAuth, shared_auth
from connector_resources.procurify.entities import PING_ENTITIES, SPECS
from connector_resources.procurify.errors import ProcurifyError
from connector_resources.procurify.session import ProcurifySession
from connector_resources.token_store import oauth_token_store

CLIENT_HEADER = {"X-Procurify-Client": "api"}


class ProcurifyResource(ApiConnectionResource):
    """A Procurify customer domain (settings: ``connector_resources.settings``, system ``procurify``).

    ``with procurify.session() as s:`` obtains (or reuses) the token; ``s.iter_changed(...)``,
    ``s.get(...)`` and the write methods share it until the block ends.
    """

    system_key: ClassVar[str] = "procurify"

    base_url: str = Field(description="customer domain, e.g. https://acme.procurify.com")
    client_id: str = Field(description="OAuth2 client id of the Procurify API application")
    client_secret: str = Field(description="OAuth2 client secret: EnvVar, vault:NAME or env:VAR reference")
    audience: str = Field(default=DEFAULT_AUDIENCE, description="OAuth audience (fixed by Procurify)")
    page_size: int = Field(default=50, ge=1, le=1000, description="rows per list page (keep it small)")
    read_timeout: float = Field(default=60.0, gt=0, description="seconds to wait for one answer")
    max_attempts: int = Field(
        default=6,
        ge=1,
        le=20,
        description="attempts per call for 504s, timeouts, 429s and other 5xx (backoff with full jitter)",
    )
    backoff_base: float = Field(default=0.5, gt=0, description="first retry waits up to this (s), doubling")
    max_in_flight: int = Field(default=4, ge=1, description="concurrent requests to this customer")
    rate_per_second: float = Field(default=5.0, ge=0, description="client-side pace; 0 = none")
    date_filter_slack_days: int = Field(
        default=1,
        ge=0,
        le=7,
        description="days added on each side of day-granular date filters, because the server's time "
        "zone for them is undocumented; rows are filtered to the exact window on our side",
    )
    max_rescans: int = Field(default=3, ge=0, description="re-reads of a list that changed while read")
    share_token: bool = Field(default=True, description="reuse one token across sessions in a process")
    keep_tokens: bool = Field(
        default=True,
        description="keep the shared token between steps and runs too (encrypted in the vault; needs "
        "ML_CONNECTOR_VAULT_KEY, else per process)",
    )

    def _host(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    def _auth(self, *, shared: bool) -> ProcurifyAuth:
        secret = self.secret(self.client_secret)
        if shared and self.share_token:
            return shared_auth(
                self._host(),
                self.client_id,
                secret,
                self.audience,
                store=lambda: oauth_token_store(
                    "procurify",
                    self._host(),
                    self.client_id,
                    secret,
                    self.audience,
                    keep=self.keep_tokens,
                    what="Procurify access tokens",
                    cost="every Dagster step requests a token",
                ),
            )
        return ProcurifyAuth(self.client_id, secret, audience=self.audience)

    def _client(self, auth: ProcurifyAuth) -> HttpClient:
        # The core's retry statuses (429 and 5xx, 504 included) and timeouts, bounded by max_attempts.
        policy = HttpPolicy.from_settings(self)
        return HttpClient.for_json(
            "procurify",
            self.base_url,
            auth=auth,
            policy=policy,
            headers=CLIENT_HEADER,
            limit_key=f"procurify:{self._host()}",
            max_in_flight=self.max_in_flight,
            rate_per_second=self.rate_per_second or None,
        )

    def open_session(self) -> ProcurifySession:
        """An authenticated session the caller must ``close()`` (``session()`` does that for you)."""
        auth = self._auth(shared=True)
        http = self._client(auth)
        session = ProcurifySession(
            http,
            auth,
            page_size=self.page_size,
            date_filter_slack_days=self.date_filter_slack_days,
            max_rescans=self.max_rescans,
        )
        with released_on_error(http):
            session.login()
        return session

    def ping(self, reads: Mapping[str, Sequence[str]] | None = None) -> str:
        """Prove reachability and credentials (a fresh token, not a cached one) and read access to
        every entity the flows use (one row of each): ``PING_ENTITIES`` and whatever ``reads`` names
        (entity -> the flows reading it, from ``connector_assets.flows.access``), so a refusal names the
        flows it would stop; raise ``ProcurifyError`` naming what failed."""
        needs: dict[str, list[str]] = {entity: [] for entity in PING_ENTITIES}
        for entity, flows in (reads or {}).items():
            listed = needs.setdefault(entity, [])
            listed.extend(f for f in flows if f not in listed)
        auth = self._auth(shared=False)
        http = self._client(auth)
        session = ProcurifySession(http, auth, page_size=1)
        try:
            scope = session.login()
            counts: list[str] = []
            refused: list[str] = []
            for entity, flows in needs.items():
                needed_by = f": needed by {', '.join(flows)}" if flows else ""
                if entity not in SPECS:
                    refused.append(f"{entity}: the client has no read of it{needed_by}")
                    continue
                try:
                    count = session.count(entity)
                except ProcurifyError as exc:
                    refused.append(f"{entity}: {exc}{needed_by}")
                    continue
                counts.append(f"{entity} {count if count is not None else '?'}")
            who = scope or "no scope in the token answer"
            if refused:
                raise ProcurifyError(
                    f"token ok ({who}) but {len(refused)} of {len(needs)} entities cannot be read: "
                    + " | ".join(refused)
                )
            return f"{self._host()}: token ok ({who}); read {len(counts)} entities ({', '.join(counts)})"
        finally:
            session.close()


def register_procurify_ping(reads: Mapping[str, Sequence[str]] | None = None) -> None:
    """Register ``ml-connector ping``'s ``procurify`` check, built from settings at check time; ``reads``
    (entity -> flows) adds what the enabled flows read to what it proves."""
    if reads:
        ProcurifyResource.register_settings_ping(reads)
    else:
        ProcurifyResource.register_settings_ping()
