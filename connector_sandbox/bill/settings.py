"""Settings of the BILL v3 sandbox.

Everything a test or an operator may want to vary lives here, so the simulator never needs a code
change to play a differently configured BILL: credentials, organizations, session idle timeout, page
caps, rate limits, data volume, injected faults, webhook delivery, and one switch per behaviour the
reference (``docs/reference/bill.md``) marks as unconfirmed. For each such switch the default is the
variant we judge most likely, and the comment says so; tests run every variant.

``POST /sandbox/settings`` merges changes into a running sandbox (validated by these models). Fields
that shape the seeded data (``scale``, ``seed``, ``anchor_date``, ``db_path``, ``organizations``) take
effect at the next ``POST /sandbox/reset``.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, listen_port, matching

# BILL ids are 20 characters; an organization id begins with 008, a user id with 006 (reference 2.1, 2.4).
_ORG_ID = re.compile(r"^008[0-9A-Za-z]{17}$")
_USER_ID = re.compile(r"^006[0-9A-Za-z]{17}$")


class Organization(BaseModel):
    """A BILL organization the sandbox user may log in to; each one gets its own seeded data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, matching(_ORG_ID, "organization id", "20 letters/digits beginning with 008")]
    name: str = Field(min_length=1, max_length=100)


class LimitSettings(BaseModel):
    """Documented limits (reference 2.1, 2.3), shortened by tests to provoke them in milliseconds."""

    model_config = ConfigDict(extra="forbid")

    # Sessions die silently after 35 minutes without a call; every call resets the timer.
    session_idle_timeout_seconds: float = Field(default=35 * 60, gt=0)
    requests_per_hour: int = Field(default=20_000, ge=1)  # per devKey, all endpoints (BDC_1144)
    logins_per_hour: int = Field(default=200, ge=1)  # per devKey, /v3/login only (BDC_1144)
    max_concurrent_per_org: int = Field(default=3, ge=1)  # in flight per devKey + org (BDC_1322)
    # Length of a rate window. Windows are aligned to multiples of it since the epoch, so 3600 resets
    # "at the top of the next hour" as documented; tests use ~1 s to watch a reset happen.
    rate_window_seconds: float = Field(default=3600.0, gt=0)
    sms_per_minute: int = Field(default=5, ge=1)  # MFA challenge (SMS) endpoints
    remember_me_days: float = Field(default=30.0, gt=0)  # life of an MFA rememberMeId


class FaultSettings(FaultKnobs):
    """Injected failures, applied to every ``/connect`` call after authentication (README: Faults)."""

    # "bill": the documented JSON error array (BDC_1001); "gateway_html": the HTML page a load
    # balancer sends for a 502/504, which a client must survive without a JSON parse error.
    fault_body: Literal["bill", "gateway_html"] = "bill"


class VariantSettings(BaseModel):
    """One switch per behaviour the reference leaves unconfirmed; defaults are the likeliest variant."""

    model_config = ConfigDict(extra="forbid")

    # HTTP status of BDC_1144 / BDC_1322. Unconfirmed; an integrator's notes say "4xx, not 429", so 400.
    rate_limit_status: int = Field(default=400, ge=200, le=599)
    # No Retry-After is documented (likely absent); True adds one (seconds to the window end, or 1).
    rate_limit_retry_after: bool = False
    # BDC_1109 status: the docs' example is 401.
    session_invalid_status: int = Field(default=401, ge=200, le=599)
    # BDC_1101 / BDC_1102 at login: undocumented; 401 to match the one documented auth example.
    login_failure_status: int = Field(default=401, ge=200, le=599)
    # BDC_1205 (no data for the id) status: undocumented; 404 is the REST convention.
    not_found_status: int = Field(default=404, ge=200, le=599)
    # Quirk 4: some integrators report v3 error arrays with HTTP 200 (unconfirmed; default off).
    errors_as_http_200: bool = False
    # ``detail`` / ``help`` in error objects: BILL's error model in its collection has them (with ``params``),
    # so on by default; off plays answers that carry only the five keys the guides show.
    error_detail_keys: bool = True
    # Login response keys beyond sessionId + userId (organizationId, trusted): in the collection's
    # 'API login' answer, so on.
    login_response_extras: bool = True
    # ``prevPage`` is "absent on some lists": on by default (present when there is a previous page).
    prev_page: bool = True
    # Page tokens are opaque. "offset" (likely: prevPage exists) lets rows shift between pages when
    # data changes; "keyset" continues after the last row seen.
    paging: Literal["offset", "keyset"] = "offset"
    # ``max`` above the cap: "reject" (400, default) or "clamp" to the cap.
    page_size_over_cap: Literal["reject", "clamp"] = "reject"
    # ``dueAmount`` on v3 bills: in the collection's bill model (with paidAmount, scheduledAmount), so on.
    bill_due_amount: bool = True
    # Filtering bills by ``invoice.invoiceNumber``: not in the documented list, but quirk 8 tells
    # clients to search by it, so on; off plays a server where only vendorId narrows the search.
    bill_invoice_number_filter: bool = True
    # A PATCH line without an ``id``. BILL documents PATCH as changing existing lines by their ``id`` (which
    # a PATCH never changes) and PUT as the way to add or remove lines (reference ``updatebill``,
    # ``replacebill``); what PATCH does with a line without ``id`` is not said. "append" (default: what
    # servers built from the reference do, and the way a changed bill doubles) adds it as a new line;
    # "refuse" answers 400 naming the line.
    patch_line_without_id: Literal["append", "refuse"] = "append"
    # Unknown body fields: BDC_1002 "often a misspelt param" suggests rejection (default).
    reject_unknown_fields: bool = True
    # No documented uniqueness rule for vendor names or invoice numbers: duplicates allowed by default.
    reject_duplicate_vendor_names: bool = False
    reject_duplicate_invoice_numbers: bool = False
    # Vendor archive/restore: in the collection ('Archive a vendor', 'Restore an archived vendor').
    vendor_archive_routes: bool = True
    # Live webhook body: a JSON object (default, as in the documented example) or a JSON string
    # holding the JSON ("JSON-escaped and presented as a string", ambiguous for live deliveries).
    webhook_payload_as_string: bool = False
    # Acknowledge with "HTTP 200" (documented): other 2xx count as failures unless this is on.
    webhook_accept_any_2xx: bool = False
    # Repeating X-Idempotent-Key on subscription creation replays the first answer (likely); off
    # treats the repeat as a new request (which the duplicate rule then usually rejects).
    idempotent_key_replay: bool = True
    # In bill webhook payloads invoice.invoiceDate is a timestamp (as in the reference example).
    webhook_invoice_date_as_timestamp: bool = True
    # Whether /v3/login counts against the 3-in-flight cap of the organization it names (unconfirmed).
    login_counts_in_flight: bool = True


class WebhookSettings(BaseModel):
    """Subscription limits and the delivery engine."""

    model_config = ConfigDict(extra="forbid")

    # The real securityKey is random and shown once at subscription creation. A fixed key lets
    # ``make dev`` verify signatures with no manual step; None plays the real behaviour.
    fixed_security_key: str | None = Field(default="sandbox-bill-webhook", repr=False)
    max_subscriptions_per_org: int = Field(default=10, ge=1)
    # Real BILL requires HTTPS notification URLs; the sandbox accepts http so a local receiver works.
    require_https: bool = False
    # True: a background thread delivers events batch_delay_seconds after they happen. False: events
    # wait for POST /sandbox/webhooks/deliver (deterministic tests).
    auto_deliver: bool = True
    batch_delay_seconds: float = Field(default=0.2, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)  # unconfirmed in the reference
    max_attempts: int = Field(default=5, ge=1)  # then the subscription is disabled (documented)
    retry_base_seconds: float = Field(default=30.0, ge=0)  # exponential: base * 2**(attempt-1)
    duplicate_rate: float = Field(default=0.0, ge=0.0, le=1.0)  # share of events delivered twice
    out_of_order: bool = False  # deliver each batch shuffled (never in the original order)


DEFAULT_ORGANIZATIONS: tuple[Organization, ...] = (
    Organization(id="00801SANDBOXORG00001", name="ML Connector Sandbox Org"),
)


class BillSandboxSettings(SimulatorSettings):
    """Complete configuration of one BILL sandbox instance.

    Its ``scale`` 1 makes hundreds of vendors and thousands of bills; 100 makes ~40k vendors and ~300k bills.
    """

    port: int = listen_port(8713)

    # Sandbox-only credentials (the project's sandbox defaults); repr=False keeps them out of reprs.
    username: str = "sandbox@ml-connector.invalid"
    password: str = Field(default="sandbox-bill", repr=False)
    dev_key: str = Field(default="sandbox-bill-devkey", repr=False)
    user_id: Annotated[
        str, matching(r"^006[0-9A-Za-z]{17}$", "user_id", "20 letters/digits beginning with 006")
    ] = "00601SANDBOXUSER0001"
    organizations: tuple[Organization, ...] = DEFAULT_ORGANIZATIONS
    # The SMS code /v3/mfa/challenge/validate accepts (no SMS is sent).
    mfa_code: str = Field(default="123456", repr=False)

    default_page_size: int = Field(default=20, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    vendor_bulk_max: int = Field(default=20, ge=1)  # documented
    bill_bulk_max: int = Field(default=100, ge=1)  # undocumented
    payment_bulk_max: int = Field(default=200, ge=1)  # v2 PayBills cap, assumed for v3

    limits: LimitSettings = LimitSettings()
    faults: FaultSettings = FaultSettings()
    variants: VariantSettings = VariantSettings()
    webhooks: WebhookSettings = WebhookSettings()

    # Which bills the business activity pays (``POST /sandbox/activity``: ``new_payments`` schedules, then
    # ``cleared_payments`` / ``failed_payments`` settle): ``any`` bill of the organization, the seeded ones
    # included, or only ``api_bills``, those a client created through ``/v3/bills``. Where the bills come
    # from an ERP (``make dev``'s JD Edwards <-> BILL set-up picks it), the AP team pays the bills the ERP
    # sent; a seeded bill paid there would be a payment of a bill JDE never made, a mismatch nobody made.
    activity_pays: Literal["any", "api_bills"] = "any"
    # Days before the anchor on which the seeded payment history ends: no seeded payment is scheduled,
    # cleared or otherwise changed in them. ``make dev``'s world keeps 2, so the day-closing runs of its
    # first days (yesterday's, today's) meet only the payments of bills JD Edwards sent, not a year of
    # history on bills JDE never made; 0 (the tests' world) keeps payments up to the anchor.
    payments_quiet_days: int = Field(default=0, ge=0, le=30)

    seed: int = 20250310

    @model_validator(mode="after")
    def _consistent(self) -> BillSandboxSettings:
        if not self.organizations:
            raise ValueError("organizations: at least one organization is needed")
        self.require_unique(
            (org.id for org in self.organizations), "organizations: every organization id must be unique"
        )
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self

    def organization(self, org_id: str) -> Organization | None:
        return self.find_by(self.organizations, lambda org: org.id, org_id)

    # How ``python -m connector_sandbox.bill`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "BILL v3 API simulator",
        scale="data volume; 1 = ~400 vendors and ~3,000 bills per org",
        where="API at {base}/connect, webhooks API at /connect-events",
    )
