"""Settings of the Coupa Core API sandbox.

Everything a test or an operator may want to vary lives here, so playing a differently configured
Coupa instance never needs a code change. Where ``docs/reference/coupa.md`` marks a behaviour as
unconfirmed, the behaviour is a switch whose default is the variant we judge most likely (each such
default says so in a comment), so a client can be tested against every plausible server.

``FaultSettings`` and ``CalloutSettings`` may change while the server runs (``POST /sandbox/faults``,
``POST /sandbox/settings``); data-shaping fields (scale, seed, anchor) take effect at the next reset.
"""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, listen_port

# Every scope ml-connector uses against Coupa (read and write on each resource family it touches).
PROJECT_SCOPES: tuple[str, ...] = (
    "core.common.read",
    "core.common.write",
    "core.supplier.read",
    "core.supplier.write",
    "core.purchase_order.read",
    "core.purchase_order.write",
    "core.invoice.read",
    "core.invoice.write",
    "core.accounting.read",
    "core.accounting.write",
    "core.pay.payments.read",
    "core.pay.payments.write",
)

# Resource -> scope family; GET needs "<family>.read", POST/PUT need "<family>.write". The families for
# suppliers, purchase orders, invoices, accounts and Coupa Pay payments come from Coupa's published
# scope list; lookup values, departments, currencies and payment terms under core.common is our
# reading of "core.common = minimum for most connections" (unconfirmed), hence overridable.
DEFAULT_RESOURCE_SCOPES: dict[str, str] = {
    "suppliers": "core.supplier",
    "purchase_orders": "core.purchase_order",
    "invoices": "core.invoice",
    "accounts": "core.accounting",
    "account_types": "core.accounting",
    "lookup_values": "core.common",
    "lookups": "core.common",
    "departments": "core.common",
    "currencies": "core.common",
    "payment_terms": "core.common",
    "payments": "core.pay.payments",
}

# Coupa's own ERP-export recipes, offered as named server-side "API Filters" (``filter=<name>``).
DEFAULT_API_FILTERS: dict[str, dict[str, str]] = {
    "erp_export_invoices": {"exported": "false", "status[in]": "approved,voided"},
    "erp_export_purchase_orders": {"exported": "false", "status[in]": "issued,cancelled,closed"},
}

# Custom fields an admin marked API-editable; others sent by a client are silently dropped.
DEFAULT_CUSTOM_FIELDS: dict[str, tuple[str, ...]] = {
    "suppliers": ("jde-address-number", "jde-search-type"),
    "purchase_orders": ("jde-order-type", "jde-company"),
    "invoices": ("jde-voucher-number", "jde-company"),
    "accounts": (),
    "lookup_values": (),
}


class ApiClient(BaseModel):
    """An OAuth/OIDC client set up on the instance (Setup -> Integrations -> OIDC clients)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    # Sandbox-only credential; repr=False keeps it out of reprs and tracebacks all the same.
    client_secret: str = Field(min_length=1, repr=False)
    scopes: tuple[str, ...] = PROJECT_SCOPES


class FaultSettings(FaultKnobs):
    """Knobs that change while the server runs: failures, slowness, token lifetime, rate limits."""

    # Large GETs are slow on a real instance (quirk 4): extra delay per record in a response.
    latency_per_record_ms: float = Field(default=0.0, ge=0.0, le=10_000)
    # When the total delay would exceed this, answer 504 after waiting this long (0 = never).
    gateway_timeout_ms: int = Field(default=0, ge=0, le=600_000)
    # Documented: expires_in 86399 (about 24 h).
    token_lifetime_seconds: float = Field(default=86_399.0, gt=0)
    # Coupa asks clients to wait >= 5 s after minting before first use because "calls made immediately
    # can fail". Off by default because the failure is occasional, not guaranteed; set e.g. 5.0 to
    # play it. Inside the window a call fails with probability ``token_warmup_failure_rate``.
    token_warmup_seconds: float = Field(default=0.0, ge=0.0)
    token_warmup_failure_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # Compass: "25 requests per second and a burst query limit of 20 calls" -> a token bucket that
    # holds ``rate_limit_burst`` calls and refills at ``rate_limit_per_second``.
    rate_limit_enabled: bool = True
    rate_limit_per_second: float = Field(default=25.0, gt=0)
    rate_limit_burst: int = Field(default=20, ge=1)
    # No Retry-After / X-RateLimit-* headers are documented for Coupa: off by default (likely variant).
    rate_limit_retry_after: bool = False
    rate_limit_headers: bool = False


class CalloutSubscription(BaseModel):
    """A call-out destination: Coupa configures these in Setup -> Integrations -> Call Outs (no API),
    so the sandbox takes them from settings or ``POST /sandbox/callouts``."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8)
    resource: Literal["invoices", "payments"]
    name: str | None = None
    # Documented call-out authentication (Compass, "OAuth 2.0 for Call Outs"): basic auth (the default,
    # with the sandbox's call-out credentials), or an OAuth2 client-credentials token that Coupa fetches
    # from the receiver's token URL. "none" sends no credentials (only an HMAC signature, when ``sign``).
    auth: Literal["none", "basic", "oauth2"] = "basic"
    username: str | None = "ml-connector-callouts"
    password: str | None = Field(default="sandbox-coupa-callout", repr=False)
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = Field(default=None, repr=False)
    scope: str | None = None

    @model_validator(mode="after")
    def _auth_complete(self) -> CalloutSubscription:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url {self.url!r} must be http(s)")
        if self.auth == "basic" and not (self.username and self.password):
            raise ValueError("basic auth needs username and password")
        if self.auth == "oauth2" and not (self.token_url and self.client_id and self.client_secret):
            raise ValueError("oauth2 auth needs token_url, client_id and client_secret")
        return self

    def public_dump(self) -> dict[str, object]:
        data = self.model_dump(mode="json")
        for key in ("password", "client_secret"):
            if data.get(key):
                data[key] = "***"
        return data


class CalloutSettings(BaseModel):
    """Outbound events ("Call Outs") for invoices and Coupa Pay payments.

    Coupa documents call-outs authenticated by basic auth or an OAuth2 token it fetches from the
    receiver, and no signature header: the sandbox sends them that way by default (each subscription's
    ``auth``). ``sign=True`` adds the project's HMAC-SHA256 signature (configurable header and encoding),
    the variant of a relay that signs what it forwards.
    """

    model_config = ConfigDict(extra="forbid")

    sign: bool = False
    signing_secret: str = Field(default="sandbox-coupa-webhook", min_length=1, repr=False)
    signature_header: str = Field(default="X-Coupa-Signature", min_length=1)
    signature_encoding: Literal["hex", "base64"] = "hex"
    # Prepended to the encoded digest, e.g. "sha256=" as several webhook senders do.
    signature_prefix: str = ""
    # Payload format is unconfirmed. "object" (default, most likely): the record exactly as
    # ``GET /api/<resource>/<id>`` renders it in JSON. "envelope": {"event-id", "event-type",
    # "occurred-at", "resource", "id", "data"}.
    payload: Literal["object", "envelope"] = "object"
    # Changes to a subscribed resource queue an event by themselves (API writes and activity).
    auto_deliver: bool = True
    # Marking a record exported is bookkeeping, not a business event: no call-out unless enabled.
    on_export_mark: bool = False
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # Events queued together are sent newest first, so an older version arrives after a newer one.
    out_of_order: bool = False
    delivery_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # Retry policy is unconfirmed ("only failed transactions appear under call-out errors"): none.
    retry_attempts: int = Field(default=0, ge=0, le=10)
    retry_backoff_seconds: float = Field(default=1.0, ge=0.0, le=60)
    # Events queued within this window are sent as one batch (and reordered together when out_of_order).
    batch_window_seconds: float = Field(default=0.05, ge=0.0, le=10)
    subscriptions: tuple[CalloutSubscription, ...] = ()


DEFAULT_CLIENT = ApiClient(client_id="ml-connector-sandbox", client_secret="sandbox-coupa-secret")


class CoupaSandboxSettings(SimulatorSettings):
    """Complete configuration of one Coupa sandbox instance."""

    port: int = listen_port(8712)
    clients: tuple[ApiClient, ...] = (DEFAULT_CLIENT,)
    # Instance time zone: Coupa renders timestamps with the instance's offset (examples show -08:00 and
    # -07:00), so a client must parse offsets, not assume UTC.
    time_zone: str = "America/Los_Angeles"
    instance_currency: str = "USD"

    # --- OAuth token endpoint -------------------------------------------------------------------
    # Docs show id/secret as form fields; HTTP Basic acceptance is unconfirmed, accepted by default.
    accept_basic_client_auth: bool = True
    # Docs show form encoding only; a JSON token request answers 400 unless this is on.
    token_accepts_json_body: bool = False
    # Unconfirmed whether ``scope`` is echoed in the token response: not echoed by default.
    token_echo_scope: bool = False
    # Coupa tokens are JWTs that can exceed 1 KB; clients must not truncate them.
    token_min_length: int = Field(default=1200, ge=64, le=16_384)
    # Static X-COUPA-API-KEY keys are "no longer supported": None refuses them (401).
    legacy_api_key: str | None = Field(default=None, repr=False)

    # --- Authorization failures (bodies unconfirmed) -----------------------------------------------
    unauthorized_body: Literal["json", "text"] = "json"
    scope_denied_status: Literal[401, 403] = 403
    resource_scopes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RESOURCE_SCOPES))

    # --- Querying ----------------------------------------------------------------------------------
    page_size_cap: int = Field(default=50, ge=1, le=10_000)
    # "limit" above the cap: silently capped (most likely) or 400.
    limit_over_cap: Literal["cap", "error"] = "cap"
    # ``order_by=<attribute>&dir=asc|desc``: server-side sorting is unconfirmed; on by default.
    sort_parameters: bool = True
    # A filter on an attribute the resource does not have: 400 (default, so typos surface) or ignored.
    unknown_filter: Literal["error", "ignore"] = "error"
    # Text comparisons ignore case, as on Coupa's MySQL collation (unconfirmed).
    case_insensitive_text: bool = True
    # Decimals are strings in Coupa JSON per its XML-vs-JSON note; per-field typing is unconfirmed.
    decimals_as: Literal["string", "number"] = "string"
    api_filters: dict[str, dict[str, str]] = Field(default_factory=lambda: dict(DEFAULT_API_FILTERS))
    # ``invoice-total`` on purchase orders only appears when the default PO API filter is "default".
    po_default_filter_includes_invoice_total: bool = False

    # --- Writes ------------------------------------------------------------------------------------
    # JSON validation errors: 400 per the invoice-payment docs; 422 possible (unconfirmed).
    validation_error_status: Literal[400, 422] = 400
    # Unknown, read-only and wrongly typed attributes on writes: refused (strict reading of a silent
    # reference, see attributes.py) or, when false, dropped as Rails' strong parameters would.
    reject_unknown_attributes: bool = True
    # "By default you cannot update other fields while updating exported": the other fields are
    # ignored (default), or the request is refused (400), or everything is applied.
    exported_update_mode: Literal["ignore_other_fields", "reject", "apply_all"] = "ignore_other_fields"
    # Marking exported moves updated-at like any Rails update (unconfirmed; likely).
    export_mark_touches_updated_at: bool = True
    # Support's "Reset Invoice last exported at for every change": UI changes (activity) re-queue.
    ui_changes_reset_exported: bool = False
    # Where ``PUT /api/invoices/{id}/submit`` lands; instances without approval chains go to approved.
    invoice_submit_status: Literal["pending_approval", "approved"] = "pending_approval"
    # Status when an external PO is POSTed without one.
    external_po_default_status: Literal["issued", "draft", "buyer_hold"] = "issued"
    # Orders need an active supplier (suppliers default to draft, quirk 8); unconfirmed, likely.
    po_requires_active_supplier: bool = True
    # Status of a successful POST: Rails' 201 Created (unconfirmed; some Coupa docs just say 200).
    create_status: Literal[200, 201] = 201
    custom_fields: dict[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_CUSTOM_FIELDS))
    # DELETE is not supported by the API; Rails would answer 404 (no route) or 405.
    unsupported_method_status: Literal[404, 405] = 405

    # --- Limits and call-outs ----------------------------------------------------------------------
    # The bucket is per OAuth client (default) or one shared by the whole instance.
    rate_limit_scope: Literal["client", "instance"] = "client"
    callouts: CalloutSettings = CalloutSettings()

    # --- Data --------------------------------------------------------------------------------------
    seed: int = 20250310

    faults: FaultSettings = FaultSettings()

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"time_zone {value!r} is not an IANA time zone name") from None
        return value

    @model_validator(mode="after")
    def _unique_clients(self) -> CoupaSandboxSettings:
        self.require_unique(
            (client.client_id for client in self.clients), "clients: every client_id must be unique"
        )
        return self

    def public_dump(self) -> dict[str, object]:
        """The settings as JSON, secrets masked (state pages are read by people and logged by tools)."""
        data = self.model_dump(mode="json")
        for client in data["clients"]:
            client["client_secret"] = "***"
        data["callouts"]["signing_secret"] = "***"
        for subscription in data["callouts"]["subscriptions"]:
            for key in ("password", "client_secret"):
                if subscription.get(key):
                    subscription[key] = "***"
        if data.get("legacy_api_key"):
            data["legacy_api_key"] = "***"
        return data

    # How ``python -m connector_sandbox.coupa`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "Coupa Core API simulator",
        scale="data volume; 1 = thousands of records",
        where="Coupa at {base} (API /api, token /oauth2/token)",
    )
