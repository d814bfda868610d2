"""Settings of the Procurify API sandbox.

Three groups, because they change for different reasons:

* ``ProcurifySandboxSettings`` itself: what the simulated customer *is* (domain, API applications,
  data volume, seed). Fixed for the life of a server; ``POST /sandbox/reset`` reseeds with it.
* ``FaultSettings``: the weather (latency, injected failures, rate limits, token lifetime). Tests
  change them on a live server through ``POST /sandbox/faults``.
* ``BehaviourVariants``: every behaviour the reference (``docs/reference/procurify.md``) marks as
  unconfirmed. Each default is the variant judged most likely and says so; tests flip them through
  ``POST /sandbox/variants`` so a client is proven against every plausible Procurify.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, command_line, listen_port, matching

# What a credential's user may touch. Procurify binds a token to the user who created the API
# application and applies that user's role; the sandbox reduces roles to these endpoint families.
Permission = Literal["vendors", "requisitions", "purchase_orders", "ap", "payments", "setup"]
ALL_PERMISSIONS: frozenset[str] = frozenset(
    {"vendors", "requisitions", "purchase_orders", "ap", "payments", "setup"}
)

# The fixed Auth0 audience every Procurify customer uses (reference 2.1); it is not a host.
PROCURIFY_AUDIENCE = "https://api.procurify.com/"

_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class SandboxApplication(BaseModel):
    """One API application (Settings -> Integrations -> API -> Create Application)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    # Sandbox-only credential; repr=False keeps it out of reprs and tracebacks all the same.
    client_secret: str = Field(min_length=1, repr=False)
    # None: the sandbox's own domain. Another value makes a credential of a different customer, whose
    # tokens the sandbox's own domain must refuse (quirk 1).
    domain: str | None = None
    user_email: str = "integration@ml-sandbox.example"
    user_first_name: str = "Integration"
    user_last_name: str = "Service"
    permissions: frozenset[Permission] = Field(default_factory=lambda: frozenset(ALL_PERMISSIONS))


class FaultSettings(FaultKnobs):
    """Knobs that may change while the server runs (``POST /sandbox/faults``)."""

    # Large pages are slow on the real service (its terms warn that timeouts can suspend access).
    latency_per_row_ms: float = Field(default=0.0, ge=0, le=10_000)
    # Only requests whose path starts with this count towards fail_next (None: every request).
    fail_next_path_prefix: str | None = None
    # A request planned to take longer than this answers 504 after waiting this long (None: off).
    gateway_timeout_seconds: float | None = Field(default=None, gt=0, le=600)
    # After this many gateway timeouts an application's API access is suspended (0: never).
    suspend_after_timeouts: int = Field(default=0, ge=0)
    # Documented: 24 h, no refresh token. Applies to tokens minted after a change.
    token_lifetime_seconds: float = Field(default=86_400.0, gt=0)
    # Procurify publishes no rate limit, so both are off by default (sandbox assumption when on).
    rate_limit_requests: int | None = Field(default=None, ge=1)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    token_rate_limit_requests: int | None = Field(default=None, ge=1)
    token_rate_limit_window_seconds: float = Field(default=60.0, gt=0)


class BehaviourVariants(BaseModel):
    """Every behaviour the reference cannot confirm, as a switch (``POST /sandbox/variants``)."""

    model_config = ConfigDict(extra="forbid")

    # --- token endpoint (reference 2.1) ---
    # Auth0 and DRF both parse form bodies as well as JSON; the docs only show JSON. Likely: accepted.
    token_form_body: bool = True
    # Bad credentials: Auth0 style {"error","error_description"} (likely, the token service is Auth0)
    # or DRF style {"detail"}.
    token_error_style: Literal["auth0", "drf"] = "auth0"
    # The header is documented for "API requests"; the OAuth call is Auth0's. Likely: not required.
    token_requires_client_header: bool = False
    # --- API authentication (reference 2.1, quirks 2 and 3) ---
    # Expired or invalid bearer: DRF 401 with a detail string (the reference's suggestion).
    invalid_token_status: Literal[401, 403] = 401
    # Missing X-Procurify-Client: api. Without the header the request falls through to Django session
    # authentication, which DRF answers 403 "Authentication credentials were not provided." (likely).
    missing_client_header_status: Literal[401, 403] = 403
    # --- paths and pages (quirk 4, reference 2.2) ---
    # Django APPEND_SLASH in production 301-redirects every method (a redirected POST loses its body);
    # "debug_post_error": GET 301 but other methods 500 (Django DEBUG); "not_found": 404 everywhere.
    missing_trailing_slash: Literal["redirect", "debug_post_error", "not_found"] = "redirect"
    default_page_size: int = Field(default=10, ge=1, le=10_000)  # spec examples show 10
    max_page_size: int = Field(default=100, ge=1, le=10_000)  # the reference's suggested cap
    # A page past the end: DRF answers 404 {"detail": "Invalid page."} (likely) or an empty page.
    page_out_of_range: Literal["not_found", "empty"] = "not_found"
    # DRF drops ?page= from the link to page 1 (likely); "keep" renders page=1 like some examples.
    previous_link_page_one: Literal["drop", "keep"] = "drop"
    # Default order of transaction lists (requisitions, order items, POs, bills, payments) when no
    # order_by is given: newest first like Procurify's screens (likely), so records created while a
    # client pages shift every later page; or oldest first.
    default_list_order: Literal["newest_first", "oldest_first"] = "newest_first"
    # --- error bodies (quirk 12) ---
    # DRF bodies as is ({"detail"} / {"field": [...]}) (likely) or wrapped {"metadata": {}, "errors": ...}.
    error_style: Literal["drf", "enveloped"] = "drf"
    # --- vendors (reference 2.3) ---
    # Whether order_by=dateModified / -dateModified is honoured; unknown orderings are ignored silently,
    # so "ignored" (default) proves a client does not depend on it for incremental sync.
    vendor_order_by_date_modified: bool = False
    # The spec's dangling vendor_group parameter: ignored (likely, public calls omit it) or a filter.
    vendor_group: Literal["ignored", "filter"] = "ignored"
    # Nothing says external_id is unique; likely not enforced (the client must search before create).
    vendor_external_id_unique: bool = False
    # dateModified on a write: "on_write" stamps now on every change (likely); "frozen" stamps a vendor
    # when it is created and never again (changes through the API and people's edits leave it), as a
    # server that does not maintain it would: a client must then detect vendor changes by content.
    vendor_date_modified: Literal["on_write", "frozen"] = "on_write"
    # --- departments (reference 2.8) ---
    # Django unique_together (branch, name) is likely for departments.
    department_name_unique_per_branch: bool = True
    # --- every write ---
    # DRF serializers drop keys they do not declare, and read-only ones, without a word; whether Procurify's
    # do is unconfirmed (reference 3.12). "refused" (sandbox default, the stricter reading): a write naming
    # an attribute the reference does not give for that body (at any depth), or a read-only one (id,
    # dateModified, ...), is answered 400 naming each, with the body's other problems, so a client never
    # relies on a key Procurify might silently drop. "ignored": DRF's default.
    unknown_attributes: Literal["refused", "ignored"] = "refused"
    # --- requisitions (reference 2.4) ---
    # The create example has no header ``description`` (documented on the read side only) and no line
    # ``sku`` (documented on PO lines). Likely kept (DRF takes model fields it is given); "ignored": the
    # create answers 201 but stores a blank description / no sku, as a serializer without them would.
    requisition_description: Literal["kept", "ignored"] = "kept"
    requisition_line_sku: Literal["kept", "ignored"] = "kept"
    # --- purchase orders (reference 2.5) ---
    # PUT /api/v3/purchase-orders/{n}/ is "update", partial or full not stated. "partial" (sandbox default,
    # what the deprecated "revise" did): absent fields are left alone. "full" (DRF's PUT without
    # partial=True): every writable field must be sent (PO_Num, promise_date, payment_terms,
    # shipping_terms, shipping_method, freight, tax, discount, other, order_items), order_items lists every
    # line of the PO with id, name, sku, quantity, price and unit; 400 {"field": ["This field is required."]}.
    po_put: Literal["partial", "full"] = "partial"
    # --- bills (reference 2.6) ---
    # mark-as-paid with an ineligible bill: refuse the whole call (likely, one serializer validates the
    # list) or pay the eligible ones and report the rest.
    mark_as_paid: Literal["all_or_nothing", "partial"] = "all_or_nothing"
    # The answer of mark-as-paid: the newer spec (ap_bills_mark_as_paid_create, 200 MarkBillsAsPaid) shows
    # the request echoed, {"bill_uuids", "payment_date"}, which says nothing about which bills were paid
    # (the default); {"data": {"paid", "skipped"}} (sandbox assumption) or 204 with no body.
    mark_as_paid_answer: Literal["echo", "lists", "no_content"] = "echo"
    # A bill's `group` (what payments' `bill_groups` name): its id (DRF's foreign key, likely) or a nested
    # {"id": ...} object (the reference gives the field, not its shape).
    bill_group: Literal["id", "object"] = "id"
    # A full bill's `added_purchase_orders`: summary objects {"uuid", "procurify_PO"} (sandbox assumption)
    # or bare PO UUID strings, DRF's default for a related list (the reference gives the field, not its
    # shape; /api/v2/purchase_orders/{id}/ takes the UUID).
    added_purchase_orders: Literal["summary", "uuids"] = "summary"
    # --- payments (reference 2.7) ---
    # Nested currency of public payments: {"id","name"} like the example (likely), a code, or an id.
    payment_currency: Literal["object", "code", "id"] = "object"
    # The deprecated /api/v2/ap/payments/: "until_removal" serves it until 2026-06-05 (sandbox clock)
    # and 404s afterwards, like a real removal; or force it on/off.
    v2_payments: Literal["until_removal", "available", "removed"] = "until_removal"

    @property
    def refuses_unknown(self) -> bool:
        """Whether writes refuse attributes a body may not carry (``unknown_attributes``)."""
        return self.unknown_attributes == "refused"

    @model_validator(mode="after")
    def _default_fits_cap(self) -> BehaviourVariants:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self


DEFAULT_APPLICATIONS: tuple[SandboxApplication, ...] = (
    SandboxApplication(client_id="ml-connector-sandbox", client_secret="sandbox-procurify-secret"),
)


class ProcurifySandboxSettings(SimulatorSettings):
    """Complete configuration of one sandbox instance (one Procurify customer)."""

    port: int = listen_port(8714)
    # The customer's subdomain: https://{domain}.procurify.com. Requests to the sandbox by IP or
    # plain "localhost" belong to it; "<d>.localhost" or "<d>.procurify.com" Host headers pick another.
    domain: Annotated[str, matching(_DOMAIN, "domain", "one DNS label (lower case letters, digits, '-')")] = (
        command_line("customer subdomain (default ml-sandbox)", "ml-sandbox")
    )
    audience: str = PROCURIFY_AUDIENCE
    applications: tuple[SandboxApplication, ...] = DEFAULT_APPLICATIONS
    # Key that signs the sandbox's JWTs; None: a random key per server, so a restart voids all tokens.
    token_signing_key: str | None = Field(default=None, repr=False)
    # Records planted to show the connector's refusals, each valid in Procurify but more than an ERP holds:
    # vendor names of 150 characters (JDE keeps 40), invoice numbers of 50 (JDE keeps 25), and bills whose
    # lines span the ERP's companies (every department budgets on codes of every location). On for the
    # tests that exercise those refusals; ``make dev`` seeds without them (``connector_sandbox.registry``):
    # then names and numbers fit, and a department budgets on its own location's codes (the head office's
    # named codes in the head office's country), so a newcomer's first day queues no mismatch nobody made.
    planted_faults: bool = True

    faults: FaultSettings = FaultSettings()
    variants: BehaviourVariants = BehaviourVariants()

    @model_validator(mode="after")
    def _applications_are_distinct(self) -> ProcurifySandboxSettings:
        self.require_unique(
            (app.client_id for app in self.applications), "applications: every client_id must be unique"
        )
        for app in self.applications:
            if app.domain is not None and not _DOMAIN.match(app.domain):
                raise ValueError(f"applications[{app.client_id}].domain {app.domain!r} is not a DNS label")
        return self

    def application_domain(self, application: SandboxApplication) -> str:
        return application.domain or self.domain

    def known_domains(self) -> set[str]:
        return {self.domain, *(self.application_domain(app) for app in self.applications)}

    # How ``python -m connector_sandbox.procurify`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "Procurify API simulator",
        scale="data volume; 1 = ~3,000 requisitions, 100 = ~300,000",
        where="Procurify at {base} (token /oauth/token)",
    )
