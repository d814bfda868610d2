"""``FusionResource``: an Oracle Fusion Cloud ERP pod as a Dagster resource, and its ping.

One batch = one ``session()``: one ``HttpClient`` whose auth scheme is either

* ``oauth``: client credentials from the pod's identity domain token URL (OCI IAM / IDCS), client
  authentication by ``Authorization: Basic`` as the reference documents (§2.11), the token reused by
  every call until shortly before it expires and fetched again once when the pod answers 401. With
  ``keep_tokens`` and ``ML_CONNECTOR_VAULT_KEY`` the token is kept encrypted in the vault
  (``token_store.KeptOAuthClientCredentials``, ``fusion/token/<digest of token URL, client, secret,
  scope and pod>``) and adopted by every later session, step and run until its renewal margin; a token
  the pod rejects is replaced once across processes (the store's login lock). Without a vault key
  every session fetches its own, as before; or
* ``basic``: the Fusion user's name and password on every call (a 401 then means wrong credentials and
  is not replayed).

Oracle publishes no REST rate limits (reference §3.11), so no client-side cap is set by default;
``max_in_flight`` / ``rate_per_second`` exist for pods whose operators ask for one. 429 and 503 answers
are retried with backoff (``Retry-After`` honoured up to ``retry_after_cap``), POSTs included, since
the pod refused them before doing any work.

Secrets are resolved (``self.secret``) when a session opens, never stored in run config.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import released_on_error
from connector_resources.fusion.entities import ENTITIES
from connector_resources.fusion.errors import (
    FusionError,
    FusionInputError,
    FusionNotFoundError,
    FusionPermissionError,
    FusionQueryError,
)
from connector_resources.fusion.payloads import unconfirmed_names
from connector_resources.fusion.session import IN_LIST_KEYS, FusionSession
from connector_resources.http import AuthScheme, BasicAuth, HttpClient, HttpPolicy
from connector_resources.redaction import get_logger
from connector_resources.token_store import KeptOAuthClientCredentials, oauth_token_store

log = get_logger("ml_connector.fusion")

REST_CONTEXT = "/fscmRestApi/resources"
# What ping proves read access to: every resource the flows read or write.
PING_ENTITIES = tuple(ENTITIES)


def split_pod_url(base_url: str, rest_version: str) -> tuple[str, str]:
    """``(pod URL, REST root)`` from the configured pod URL.

    The setting is the pod (``https://xxxx.fa.us2.oraclecloud.com``); a URL that already goes down to
    ``/fscmRestApi/resources[/version]`` is accepted too, so a value copied from Oracle's docs works.
    """
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    at = path.find("/fscmRestApi")
    prefix, rest = (path[:at], path[at:]) if at >= 0 else (path, "")
    pod = urlunsplit((parts.scheme, parts.netloc, prefix, "", ""))
    segments = [s for s in rest.split("/") if s]
    if len(segments) >= 3 and segments[1] == "resources":
        root = f"{pod}/{'/'.join(segments[:3])}"
    else:
        root = f"{pod}{REST_CONTEXT}/{rest_version.strip('/')}"
    return pod, root


class FusionResource(ApiConnectionResource):
    """Oracle Fusion Cloud ERP (Financials / Procurement REST; settings: ``connector_resources.settings``).

    ``with fusion.session() as s:`` gives a ``FusionSession``: ``s.iter_changed("invoices", start, end)``,
    ``s.find_invoice(...)``, ``s.create_invoice(Invoice(...))``, ``s.create_draft_purchase_order(...)`` ...
    """

    system_key: ClassVar[str] = "fusion"

    base_url: str = Field(description="pod URL, e.g. https://xxxx.fa.us2.oraclecloud.com")
    token_url: str = Field(default="", description="identity domain token URL (OAuth)")
    client_id: str = Field(default="", description="OAuth client id")
    client_secret: str = Field(default="", description="OAuth client secret: EnvVar, vault:NAME or env:VAR")
    scope: str = Field(default="", description="OAuth scope (the Fusion app's resource prefix)")
    auth: str = Field(default="oauth", description="oauth (client credentials) or basic")
    username: str = Field(default="", description="Fusion user for basic auth")
    password: str = Field(default="", description="password of that user: EnvVar, vault:NAME or env:VAR")
    business_unit: str = Field(default="", description="default procurement / payables business unit")
    rest_version: str = Field(default="11.13.18.05", description="REST version segment (or 'latest')")
    framework_version: int = Field(
        default=3,
        ge=1,
        description="REST-Framework-Version sent on every call; q is built for it (1 = query by example, "
        "2+ = expressions; 3+ = expanded children as collection objects, which show when a pod cut them)",
    )
    page_size: int = Field(default=500, ge=2, description="rows asked per page (the pod caps it, ~500)")
    read_timeout: float = Field(default=120.0, gt=0, description="seconds to wait for one answer")
    backoff_base: float = Field(default=0.5, gt=0, description="first retry waits up to this many seconds")
    backoff_cap: float = Field(default=30.0, gt=0, description="no backoff wait is longer than this")
    retry_after_cap: float = Field(default=60.0, ge=0, description="longest Retry-After honoured (seconds)")
    deadline: float = Field(default=600.0, gt=0, description="seconds one call may take, retries included")
    max_in_flight: int | None = Field(default=None, ge=1, description="concurrent calls per pod (none)")
    rate_per_second: float | None = Field(default=None, gt=0, description="calls per second per pod (none)")
    max_restarts: int = Field(
        default=10, ge=0, description="re-reads of rows that moved during a change read before it gives up"
    )
    send_unconfirmed: str = Field(
        default="",
        description="unconfirmed attributes this pod accepts on create, comma separated "
        "(OrderNumber, invoiceDistributions.Description); none by default",
    )
    validation_check: str = Field(
        default="result",
        description="after validating an invoice: 'result' reads the action's answer only (Oracle documents "
        "a confirmation message); 'status' also reads the invoice's ValidationStatus (one more call per "
        "invoice) so an invoice validation puts on hold is marked warned",
    )
    in_list_keys: int = Field(
        default=IN_LIST_KEYS,
        ge=1,
        description="keys per `in (...)` list query; Oracle documents no URL length limit: 100 keeps the "
        "URL near 2 KB, far under the 8 KB request line web servers commonly allow",
    )
    keep_tokens: bool = Field(
        default=True,
        description="keep the OAuth token between sessions, steps and runs (encrypted in the vault; "
        "needs ML_CONNECTOR_VAULT_KEY, else one token per session)",
    )

    def _auth_scheme(self) -> AuthScheme:
        mode = self.auth.strip().lower()
        if mode == "oauth":
            for name in ("token_url", "client_id", "client_secret"):
                if not str(getattr(self, name)).strip():
                    raise FusionInputError(
                        f"fusion: auth is oauth but {name} is empty (ML_FUSION_*)", field=name
                    )
            secret = self.secret(self.client_secret)
            return KeptOAuthClientCredentials(
                self.token_url,
                self.client_id,
                secret,
                scopes=self.scope or None,
                # OCI IAM takes the client's credentials in a Basic header (reference §2.11).
                token_endpoint_auth_method="client_secret_basic",
                expired_statuses={401},
                store=oauth_token_store(
                    "fusion",
                    self.token_url,
                    self.client_id,
                    secret,
                    self.scope,
                    self.base_url.rstrip("/"),  # a relative token URL is the pod's own
                    keep=self.keep_tokens,
                    what="Oracle Fusion access tokens",
                    cost="every session of every Dagster step requests a token",
                ),
            )
        if mode == "basic":
            for name in ("username", "password"):
                if not str(getattr(self, name)).strip():
                    raise FusionInputError(
                        f"fusion: auth is basic but {name} is empty (ML_FUSION_*)", field=name
                    )
            return BasicAuth(self.username, self.secret(self.password))
        raise FusionInputError(f"fusion: auth must be 'oauth' or 'basic', got {self.auth!r}", field="auth")

    def _client(self) -> tuple[HttpClient, str]:
        pod, root = split_pod_url(self.base_url, self.rest_version)
        policy = HttpPolicy.from_settings(self)
        limited = self.max_in_flight is not None or self.rate_per_second is not None
        http = HttpClient(
            "fusion",
            pod,
            auth=self._auth_scheme(),
            policy=policy,
            limit_key=f"fusion:{urlsplit(pod).netloc.lower()}" if limited else None,
            max_in_flight=self.max_in_flight,
            rate_per_second=self.rate_per_second,
        )
        return http, root

    def open_session(self) -> FusionSession:
        """A session the caller must ``close()`` (``session()`` does that for you); the credential
        is obtained on first use."""
        http, root = self._client()
        with released_on_error(http):
            return FusionSession(
                http,
                rest_root=root,
                framework_version=self.framework_version,
                page_size=self.page_size,
                business_unit=self.business_unit,
                max_restarts=self.max_restarts,
                send_unconfirmed=unconfirmed_names(self.send_unconfirmed),
                validation_check=self.validation_check.strip().lower(),
                in_list_keys=self.in_list_keys,
            )

    def ping(self) -> str:
        """Prove reachability, credentials and read access to every resource the connector uses (one
        row of each, its key only); raise a ``FusionError`` naming what failed."""
        with self.session() as s:
            who = s.authenticate()
            refused: list[str] = []
            for name in PING_ENTITIES:
                try:
                    s.probe(name)
                except (FusionPermissionError, FusionQueryError, FusionNotFoundError) as exc:
                    refused.append(f"{name}: {exc}")  # this resource only: check the others too
                # Anything else (unreachable, credentials refused, throttled) is about the whole pod.
            host = urlsplit(s.http.base_url).netloc
            if refused:
                raise FusionError(
                    f"fusion: signed in to {host} as {who} but cannot read {len(refused)} of "
                    f"{len(PING_ENTITIES)} resources: " + " | ".join(refused)
                )
            variant = s.framework_variant()
            return (
                f"pod {host} signed in as {who}; read {', '.join(PING_ENTITIES)} "
                f"(REST framework v{s.framework_version}"
                + (f"; {variant}" if variant else "")
                + f"; invoice validation check: {s.validation_check}, {s.http.metrics.calls} calls)"
            )


def register_fusion_ping() -> None:
    """Register ``ml-connector ping``'s ``fusion`` check, built from settings at check time."""
    FusionResource.register_settings_ping()
