"""Settings of the Procore REST API sandbox.

Everything a test or an operator may want to vary lives here, so the simulator never needs a code change
to play a differently configured Procore: credentials, companies, token lifetime, page sizes, rate
limits, data volume, faults, webhook delivery timing, and every behaviour the reference
(``docs/reference/procore.md``) marks as unconfirmed. Each unconfirmed switch defaults to the variant
we judge most likely and says so in its comment, so a client can be tested against every plausible one.

``faults``, ``rate_limits``, ``webhooks`` and ``variants`` can be changed on a running server
(``POST /sandbox/settings``); the rest is fixed when the app is created.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, listen_port

from .vocabulary import WO_STATUSES


class ClientApp(BaseModel):
    """A registered OAuth application (a DMSA) whose client-credentials grant the sandbox honours."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    # Sandbox-only credential; repr=False keeps it out of reprs and tracebacks all the same.
    client_secret: str = Field(min_length=1, repr=False)
    # What webhook payloads report as metadata.source_application_id for this app's own writes.
    application_id: str = Field(min_length=1)
    # The service account's user id: /me, created_by, webhook user_id / source_user_id.
    service_account_user_id: int = 7_100_001
    service_account_name: str = "ML Connector (DMSA)"


# Internal names of the simulated resources that emit webhook events.
RESOURCE_KEYS = (
    "vendor",
    "project_vendor",
    "project",
    "purchase_order_contract",
    "work_order_contract",
    "purchase_order_contract_line_item",
    "work_order_contract_line_item",
    "requisition",
    "commitment_change_order",
    "cost_code",
    "budget_line_item",
)


class FaultSettings(FaultKnobs):
    """Failures and timing to inject into API calls (``/rest/...`` and ``/oauth/...``).

    Applied in this order: latency (+ jitter), fail-next-N, random 5xx. Retry-After (seconds) is sent
    with every injected 429 and 503, as Procore documents for both.
    """

    # Procore's injected failures default to 503 (sent with Retry-After), not the kit's 500.
    fail_next_status: int = Field(default=503, ge=400, le=599)
    retry_after_seconds: int = Field(default=30, ge=0)
    # Load balancers answer 502/503 with HTML, the Rails app with JSON; both happen.
    injected_error_body: Literal["json", "html"] = "json"
    # Access-token lifetime; Procore documents 5400 s (1.5 h). Changing it affects new tokens only.
    token_lifetime_seconds: float = Field(default=5400.0, gt=0)
    # "Large unfiltered pulls can 408": an unfiltered list whose Total exceeds this answers 408.
    # Off by default because Procore publishes no threshold.
    unfiltered_list_timeout_over: int | None = Field(default=None, ge=0)


class RateLimitSettings(BaseModel):
    """Procore's two simultaneous windows: hourly and 10-second spike (reference section 3)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    hourly_limit: int = Field(default=3600, ge=1)  # "historically 3,600 requests/hour"
    hourly_window_seconds: float = Field(default=3600.0, gt=0)
    spike_limit: int = Field(default=25, ge=1)  # the documented spike example
    spike_window_seconds: float = Field(default=10.0, gt=0)
    # Unconfirmed: the docs say "per token/app". Per app (client id) is the stricter reading: minting
    # a fresh token does not reset the count. "token" plays the other reading.
    scope: Literal["client", "token"] = "client"
    # Rate-limit page: wait until X-Rate-Limit-Reset; error reference: 429 carries Retry-After.
    # Both are sent by default; switch Retry-After off to play a server that only sends the reset.
    retry_after_on_429: bool = True
    # Historic docs give a plain-text 429 body; "json" plays {"errors": "<same text>"}.
    body: Literal["text", "json"] = "text"


class WebhookSettings(BaseModel):
    """Delivery timing and misbehaviour of the webhook sender (reference section 2.10)."""

    model_config = ConfigDict(extra="forbid")

    # Deliver in the background as events happen; off = only when /sandbox/webhooks/deliver is called.
    auto_deliver: bool = True
    poll_interval_seconds: float = Field(default=0.2, gt=0, le=60)
    # "Respond 2xx within 5 seconds of connection".
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    # "Exponential backoff starting 1 s, capped at 1 h between attempts".
    retry_initial_seconds: float = Field(default=1.0, ge=0)
    retry_max_seconds: float = Field(default=3600.0, ge=0)
    # "After 12 hours of failure the queue is flushed and events marked discarded".
    discard_after_seconds: float = Field(default=43_200.0, gt=0)
    # "Duplicates happen": each delivery is sent twice with this probability (seeded RNG) ...
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    # ... and the next N deliveries are sent twice for certain.
    duplicate_next: int = Field(default=0, ge=0)
    # "Out-of-band ordering": deliver each round newest first instead of in event order.
    out_of_order: bool = False
    # Procore only delivers to HTTPS; the sandbox accepts http too so loopback receivers work.
    require_https: bool = False


class VariantSettings(BaseModel):
    """Behaviours the reference marks unconfirmed; each default is the variant we judge most likely."""

    model_config = ConfigDict(extra="forbid")

    # Missing Procore-Company-Id: message confirmed ("Missing Procore-Company-Id header!"), status not.
    # 400 is the likely one; False plays the old, lenient servers that did not enforce it yet.
    require_company_header: bool = True
    missing_company_header_status: int = Field(default=400, ge=400, le=499)
    # v1 error bodies "often contain a message or errors field"; exact shape unconfirmed.
    # "errors": {"errors": "<text>"} / {"errors": {"field": ["msg"]}} (the reference's suggestion);
    # "message": {"message": "<text>", "errors": {...}}; "v2": {"error": {"code", "message", "details"}}.
    error_body: Literal["errors", "message", "v2"] = "errors"
    # Expired/revoked tokens: the docs quote one message, "The access token is invalid". True plays
    # Doorkeeper's distinct texts ("The access token expired" / "The access token was revoked").
    distinct_token_messages: bool = False
    # WWW-Authenticate: Bearer realm="Doorkeeper", error="invalid_token" on 401 (likely, unconfirmed).
    www_authenticate_header: bool = True
    # Bad client credentials: 401 per a third-party check; body OAuth-standard invalid_client.
    bad_client_status: int = Field(default=401, ge=400, le=499)
    # HTTP Basic client authentication at /oauth/token: Doorkeeper accepts it; the docs only show form.
    accept_basic_client_auth: bool = True
    # Default per_page is unconfirmed; the simulator uses 100.
    default_per_page: int = Field(default=100, ge=1)
    # Procore "recommends per_page <= 2000"; whether larger values are clamped is unconfirmed.
    # None = not clamped (a recommendation, not a limit); a number clamps and Per-Page says so.
    max_per_page: int | None = Field(default=None, ge=1)
    # Date-time range end: Procore's "a...b" is parsed server-side; inclusive (BETWEEN) is likely.
    # A date-only end means the whole of that day when inclusive.
    range_end: Literal["inclusive", "exclusive"] = "inclusive"
    # Filters an endpoint does not support: Rails-style servers ignore them (likely); "reject" = 400.
    unknown_filters: Literal["ignore", "reject"] = "ignore"
    # "406 non-existent fields": unknown attributes in a create/update body (and unknown sort fields)
    # answer 406. "ignore" plays strong-parameter servers that silently drop them.
    non_existent_fields: Literal["reject", "ignore"] = "reject"
    # Read-only attributes (id, stamps, totals the server computes) sent in a create/update body. The
    # reference is silent; the strict reading refuses them (400 naming each, before any other check), so a
    # client that relies on setting one fails here, not silently against a real company; "ignore" plays a
    # server that drops them as strong parameters would.
    read_only_fields: Literal["reject", "ignore"] = "reject"
    # origin_id already used in the company: "409 duplicate / origin_id conflict"; 422 is the other guess.
    origin_id_conflict_status: int = Field(default=409, ge=400, le=499)
    # The company vendor list has a separate /vendors/inactive endpoint, so the main list most likely
    # returns active vendors only. True plays a list that returns both.
    vendor_list_includes_inactive: bool = False
    # Commitment change orders list documents no page/per_page: not paginated (everything at once).
    paginate_change_orders: bool = False
    # Budget view detail rows: paginated (likely, they are one row per budget line) or not.
    paginate_budget_detail_rows: bool = True
    # "Non-admins may only set draft or under_review" on requisitions: is the DMSA an admin of the
    # Commitments tool? An ERP integration's manifest usually asks for admin, so yes by default.
    service_account_is_invoice_admin: bool = True
    # Work order (subcontract) statuses are not in the reference: Procore's UI vocabulary (the seed's),
    # unconfirmed.
    work_order_statuses: tuple[str, ...] = WO_STATUSES
    # "Only the latest open invoice can be updated" vs an ERP that must write back origin_id,
    # erp_status and payment_date on approved invoices: True (likely) lets those ERP fields through on
    # any invoice not yet synced; False applies the latest-open rule to every field.
    requisition_erp_fields_always_writable: bool = True
    # Commitment change order line items: the reference documents no v1.0 endpoint; public Procore
    # material shows REST v2.0 /companies/{cid}/projects/{pid}/commitment_change_orders/{id}/line_items.
    # True (likely) serves it; False plays a Procore without it (404, the unknown-path answer).
    change_order_line_items: bool = True
    # A contract's invoice configuration (Procore's SDK: invoice_configuration's
    # move_materials_to_previous_work_completed; the lines' materials_moved is non-zero only when true):
    # True moves materials stored on earlier invoices into work completed before, so a line's
    # materials_presently_stored is this period's; False keeps them as a running stored balance.
    move_materials_to_previous_work_completed: bool = True
    # How a change order line names its cost code (unconfirmed): "own" = every line has cost_code_id;
    # "via_commitment_line" = a line that changes a commitment line names it only through
    # commitment_line_item_id (its cost code is that line's).
    change_order_line_cost_code: Literal["own", "via_commitment_line"] = "own"
    # REST v2 page size: default 10, at most 100 (reference section 1, confirmed).
    v2_default_per_page: int = Field(default=10, ge=1)
    v2_max_per_page: int = Field(default=100, ge=1)
    # Whether v2 lists send the v1 paging headers (Total, Per-Page, Link): unconfirmed. False plays a
    # v2 list whose only paging signal is a short (or empty) page.
    v2_paging_headers: bool = True
    # Commitment change order statuses: observed vocabulary, unconfirmed.
    change_order_statuses: tuple[str, ...] = ("draft", "pending", "approved", "rejected", "void")
    # Webhook resource names for resources the docs do not name (only Company/Project Vendors and
    # Users are confirmed); the values are the reference's plausible guesses.
    resource_names: dict[str, str] = Field(
        default_factory=lambda: {
            "vendor": "Company Vendors",
            "project_vendor": "Project Vendors",
            "project": "Projects",
            "purchase_order_contract": "Purchase Order Contracts",
            "work_order_contract": "Work Order Contracts",
            "purchase_order_contract_line_item": "Purchase Order Contract Line Items",
            "work_order_contract_line_item": "Work Order Contract Line Items",
            "requisition": "Requisitions",
            "commitment_change_order": "Commitment Change Orders",
            "cost_code": "Cost Codes",
            "budget_line_item": "Budget Line Items",
        }
    )
    # "update events on Project Users / Project Vendors stop after 2026-06-30" (sandbox clock, UTC).
    project_directory_updates_until: dt.date = dt.date(2026, 6, 30)

    @model_validator(mode="after")
    def _resource_names_complete(self) -> VariantSettings:
        missing = sorted(set(RESOURCE_KEYS) - set(self.resource_names))
        if missing:
            raise ValueError(f"resource_names: missing {missing}; every simulated resource needs a name")
        return self


class CompanySpec(BaseModel):
    """A Procore company in the sandbox; ``connected`` = our app is installed there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(gt=0)
    name: str = Field(min_length=1)
    connected: bool = True


DEFAULT_CLIENT = ClientApp(
    client_id="ml-connector-sandbox",
    client_secret="sandbox-procore-secret",
    application_id="3f1c2b7a-ml-connector-sandbox",
)
DEFAULT_COMPANIES: tuple[CompanySpec, ...] = (
    CompanySpec(id=4_264_807, name="ML Connector Sandbox Construction"),
    # Exists, but our app is not installed there: every call scoped to it answers 403.
    CompanySpec(id=4_264_808, name="Zweite Baugesellschaft mbH", connected=False),
)


class ProcoreSandboxSettings(SimulatorSettings):
    """Complete configuration of one sandbox instance."""

    port: int = listen_port(8715)
    clients: tuple[ClientApp, ...] = (DEFAULT_CLIENT,)
    companies: tuple[CompanySpec, ...] = DEFAULT_COMPANIES
    # How many of ``companies`` (from the first) get their own data: projects, vendors, commitments and
    # the rest, with ids distinct from every other company's. A seeded company starts with the app
    # installed (connected), whatever its ``connected`` says: 2 plays a construction group whose two
    # companies both installed the app (the second, 4264808 by default, is otherwise not connected).
    # Uninstall one with POST /sandbox/companies/{id}/connection {"connected": false}.
    seeded_companies: int = Field(default=1, ge=1)
    # The header value the admin shortcut POST /sandbox/webhooks/register puts in destination_headers
    # (the client may register hooks itself through the real API with any headers it likes).
    default_destination_headers: dict[str, str] = Field(
        default_factory=lambda: {"Authorization": "Bearer sandbox-procore-hook"}, repr=False
    )

    # ERP numbers (JDE AN8s) the seeded vendors' links (``erp_link_format``) are re-pointed to after every
    # seed, as POST /sandbox/vendors/erp-links does: the seed's own links name numbers no ERP sandbox has.
    erp_link_numbers: tuple[int, ...] = ()
    erp_link_format: str = "JDE-V-{n}"

    faults: FaultSettings = FaultSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    webhooks: WebhookSettings = WebhookSettings()
    variants: VariantSettings = VariantSettings()

    @model_validator(mode="after")
    def _consistent(self) -> ProcoreSandboxSettings:
        self.require_unique(
            (client.client_id for client in self.clients),
            "clients: at least one, and every client_id must be unique",
            at_least_one=True,
        )
        self.require_unique(
            (company.id for company in self.companies),
            "companies: at least one, and every id must be unique",
            at_least_one=True,
        )
        if not self.companies[0].connected:
            raise ValueError("companies: the first company is the seeded one and must be connected")
        if self.seeded_companies > len(self.companies):
            raise ValueError(
                f"seeded_companies={self.seeded_companies}: only {len(self.companies)} companies are "
                "configured"
            )
        return self

    @property
    def company_id(self) -> int:
        """The company the data is seeded into (the first one)."""
        return self.companies[0].id

    @property
    def seeded_company_ids(self) -> tuple[int, ...]:
        """Every company with data (``seeded_companies``), the first one first."""
        return tuple(c.id for c in self.companies[: self.seeded_companies])

    # How ``python -m connector_sandbox.procore`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "Procore REST API simulator",
        scale="data volume; 1 = ~1,500 commitments, 100 = ~150,000",
        where="OAuth and API at {base}",
    )
