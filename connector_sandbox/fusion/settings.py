"""Settings of the Oracle Fusion Cloud ERP sandbox pod.

Three groups, because they change at different moments:

* ``FusionSandboxSettings`` fixes what the data is (scale, seed, anchor date), who may log in and the
  accounting calendar the pod is seeded with (``PeriodSettings``; periods then move by the operator's hand);
* ``BehaviourSettings`` holds every *variant switch*: where ``docs/reference/oracle-fusion.md``
  marks a behaviour as unconfirmed the sandbox plays the most likely variant by default and the
  others on request, so a client can be proven against all of them (``POST /sandbox/behaviour``);
* ``FaultSettings`` holds what an operator turns on to make the pod misbehave (latency, 5xx,
  maintenance, throttling, untrustworthy ``hasMore``), also changeable while it runs.

Every default that is a guess says so in a comment starting ``Unconfirmed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector_sandbox.faults import FaultKnobs
from connector_sandbox.settings import SimulatorSettings, Standalone, listen_port

from .contract import INVOICE_REQUIRED
from .vocabulary import BU_BY_NAME

DEFAULT_PORT = 8716
DEFAULT_SCOPE = "urn:opc:resource:consumer::all"

Privilege = str  # "<resource>:read" | "<resource>:write" | "*"


class FusionUser(BaseModel):
    """A Fusion application user: HTTP Basic credentials, roles and data access.

    ``privileges`` model the duty roles: ``"*"`` is everything, otherwise ``"invoices:read"``,
    ``"invoices:write"`` ... per REST resource name. ``business_units`` model data security: ``None``
    sees every business unit, a list sees only rows of those units (fewer rows, not 403 — reference
    quirk 10).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=100)
    # Sandbox-only credential; repr=False keeps it out of reprs and tracebacks all the same.
    password: str = Field(min_length=1, repr=False)
    privileges: tuple[Privilege, ...] = ("*",)
    business_units: tuple[str, ...] | None = None

    def may(self, resource: str, access: Literal["read", "write"]) -> bool:
        wanted = {"*", f"{resource}:*", f"{resource}:{access}"}
        if access == "read":
            wanted.add(f"{resource}:write")  # a role that may change a resource may read it too
        return any(privilege in wanted for privilege in self.privileges)


class OAuthClient(BaseModel):
    """A confidential application registered in the pod's identity domain."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1, repr=False)
    # Unconfirmed which Fusion user a client-credentials token acts as; the sandbox binds one user.
    acts_as: str = "ml.integration"
    allowed_grants: tuple[str, ...] = (
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "refresh_token",
    )
    # PEM certificates or public keys whose private keys may sign JWT user assertions (RS256).
    trusted_certificates: tuple[str, ...] = ()


DEFAULT_USERS: tuple[FusionUser, ...] = (FusionUser(username="ml.integration", password="sandbox-fusion"),)
DEFAULT_CLIENTS: tuple[OAuthClient, ...] = (
    OAuthClient(client_id="ml-connector-sandbox", client_secret="sandbox-fusion-secret"),
)


class BehaviourSettings(BaseModel):
    """Variant switches for every behaviour the reference could not pin down (changeable live)."""

    model_config = ConfigDict(extra="forbid")

    # --- REST framework versions (reference section 1) ---
    default_framework_version: int = Field(default=1, ge=1, le=9)  # documented default for Fusion apps
    allowed_framework_versions: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9)
    # Some resources declare a higher default; none is named in the reference, so empty.
    resource_framework_versions: dict[str, int] = Field(default_factory=dict)

    # --- paging (section 2.2, quirk 1) ---
    default_limit: int = Field(default=25, ge=1)
    # Unconfirmed 500 vs 499: 500 everywhere unless a resource is listed in page_caps.
    page_cap: int = Field(default=500, ge=1)
    page_caps: dict[str, int] = Field(default_factory=dict)
    # Expanded children: None returns every child row; a number pages them (v3 objects then say hasMore).
    expanded_child_limit: int | None = Field(default=None, ge=1)

    # --- query syntax (section 2.2, quirks 5 and 13) ---
    # Practitioner report: a v1 ';' query under framework v2+ is a 400.
    reject_semicolon_in_v2: bool = True
    # Unconfirmed: '*' and '%' as wildcards in v1 query-by-example values (ADF QBE does this).
    qbe_wildcards: bool = True
    # Unconfirmed which timestamp literals q accepts; the reference says accept all three.
    q_timestamp_literals: tuple[Literal["date", "iso", "space"], ...] = ("date", "iso", "space")

    # --- item keys (sections 2.4-2.6, quirk 6) ---
    # "hash": opaque keys in self links for the resources documented with ...UniqID path keys;
    # "id": the plain numeric id (what Oracle's invoice examples show and pods often do).
    item_keys: Literal["hash", "id"] = "hash"
    # With hash keys, whether a plain numeric id in the path also resolves (unconfirmed: off).
    hash_key_accepts_plain_id: bool = False

    # --- timestamps (section 2.3) ---
    # Unconfirmed whether milliseconds are shown; the sandbox shows them ("...T10:15:30.123+00:00").
    timestamp_millis: bool = True

    # --- errors (section 2.10, quirk 7) ---
    # "text": terse plain-text bodies (the reference's recommended default); "negotiated": the
    # structured error+json body when Accept asks for it and the framework version is at least
    # structured_error_min_version; "structured": always structured.
    error_format: Literal["text", "negotiated", "structured"] = "text"
    # Unconfirmed which framework version switches Fusion to structured errors.
    structured_error_min_version: int = Field(default=4, ge=1, le=9)
    # "detailed" business-rule messages naming the attribute; "terse" ones that name nothing.
    validation_messages: Literal["detailed", "terse"] = "detailed"
    # POST to a read-only resource (purchaseOrders): the documented "Invalid operation create" 400,
    # or the generic ADF 405.
    read_only_create_status: Literal[400, 405] = 400

    # --- attribute names (sections 2.4-2.9) ---
    # Rename unconfirmed attributes per resource: {"purchaseOrders": {"StatusCode": "Status"}}.
    # Keys are the sandbox's canonical names (README), values the names served instead.
    attribute_names: dict[str, dict[str, str]] = Field(default_factory=dict)

    # --- purchase orders and requisitions ---
    # Unconfirmed: the requisition number's REST name ("Requisition" or "RequisitionNumber").
    requisition_number_attribute: Literal["Requisition", "RequisitionNumber"] = "Requisition"
    # Whether INCOMPLETE draft orders also appear in purchaseOrders (unconfirmed; they do by default).
    drafts_in_purchase_orders: bool = True
    # Reference 2.4 names OrderNumber (unique within the sold-to BU) but never says a create may set it;
    # a stricter server answers "Attribute OrderNumber in Draft Purchase Orders is read only". Default:
    # read only (Fusion numbers the order); True is the other reading (the client's number is kept).
    order_number_writable: bool = False

    # --- invoices (section 2.6) ---
    invoice_required: tuple[str, ...] = INVOICE_REQUIRED  # the vendor's contract's
    invoice_line_required: tuple[str, ...] = ("LineNumber", "LineType", "LineAmount")
    # Unconfirmed defaults for REST-created invoices.
    rest_invoice_source: str = "Manual invoice entry"
    new_invoice_validation_status: str = "Not validated"
    # Unconfirmed duplicate text; Payables rejects the same number for the same supplier (400).
    duplicate_invoice_message: str = "The invoice number {number} already exists for supplier {supplier}."

    # --- accounting periods (section 4) ---
    # Unconfirmed what a pod answers for an AccountingDate in a Payables period that is not Open: "refuse"
    # (400, as EBS rejects "Acct Date Not In Open Pd"), "roll_forward" (the date moves to the first day of
    # the earliest Open period after it, as the month-end sweep does) or "accept" (stored as given).
    closed_period_answer: Literal["refuse", "roll_forward", "accept"] = "refuse"
    # Unconfirmed wording of that refusal (EBS's rejection code first); {date}, {period}, {status}.
    closed_period_message: str = (
        "Acct Date Not In Open Pd: the accounting date {date} is in period {period}, "
        "whose Payables status is {status}."
    )

    # --- authentication (section 2.11) ---
    allow_basic_auth: bool = True
    allow_client_secret_post: bool = True  # unconfirmed; identity domains usually accept it
    allow_password_grant: bool = False  # unconfirmed for Fusion scopes
    token_relay: bool = True  # legacy /fscmRestApi/tokenrelay, partly unconfirmed
    # The Fusion scope a token must carry; the instance-prefixed form is accepted as well.
    accepted_scope: str = DEFAULT_SCOPE
    # Unconfirmed IDCS detail: send WWW-Authenticate on 401 answers.
    www_authenticate: bool = True

    # --- the pod's front web server ---
    # Unconfirmed: Oracle documents no URL length limit. A pod is reached through a web server (Oracle HTTP
    # Server, built on Apache, or a load balancer) that answers 414 to a longer request line; Apache's
    # LimitRequestLine defaults to 8190 bytes (method, URL as sent and protocol). None: no limit.
    request_line_limit: int | None = Field(default=8190, ge=64)

    # --- optional resources ---
    value_sets: bool = True  # the valueSets path is unconfirmed

    # --- rate limiting (quirk 11): Oracle publishes no numbers, so off unless set ---
    rate_limit_requests: int | None = Field(default=None, ge=1)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    # Unconfirmed whether 429 carries Retry-After; the sandbox sends it by default.
    rate_limit_retry_after: bool = True

    @field_validator("allowed_framework_versions")
    @classmethod
    def _versions(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 1 <= version <= 9 for version in value):
            raise ValueError("allowed_framework_versions must be a non-empty list of 1..9")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _default_allowed(self) -> BehaviourSettings:
        if self.default_framework_version not in self.allowed_framework_versions:
            raise ValueError("default_framework_version must be one of allowed_framework_versions")
        return self


class PeriodSettings(BaseModel):
    """The accounting calendar the pod is seeded with (reference section 4): monthly periods of each
    ledger for General Ledger and Payables, built from the pod's today by the seed (and ``/sandbox/reset``)
    and kept with the data; an operator moves it live (``/sandbox/periods``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The primary ledger of each business unit (LedgerId); the reference names none, so the ids are ours.
    ledgers: dict[str, int] = Field(
        default_factory=lambda: {
            "US1 Business Unit": 300000046975971,
            "EU1 Business Unit": 300000046975972,
            "CN1 Business Unit": 300000046975973,
        }
    )
    general_ledger_application_id: int = 101
    # Unconfirmed: Payables' ApplicationId (200 in EBS).
    payables_application_id: int = 200
    # The Open month as "YYYY-MM" (a "YYYY-MM-DD" names its month); None: the month of the pod's today.
    open_period: str | None = None
    # The earliest Open month ("YYYY-MM"): every month from it to the open one starts Open too, as in a pod
    # whose Payables has not closed them yet (a test world whose documents span many months). None: one.
    open_from: str | None = None
    # How many months the calendar holds before and after the pod's today (and the open month).
    months_before: int = Field(default=24, ge=13, le=240)
    months_after: int = Field(default=12, ge=2, le=120)

    @field_validator("open_period", "open_from")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            month = dt.date.fromisoformat(value if len(value) > 7 else f"{value}-01")
        except ValueError:
            raise ValueError("an open month must be YYYY-MM (or a YYYY-MM-DD of that month)") from None
        return f"{month.year:04d}-{month.month:02d}"

    @field_validator("ledgers")
    @classmethod
    def _units(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - set(BU_BY_NAME)
        if unknown:
            raise ValueError(
                f"ledgers: unknown business units {sorted(unknown)}; known: {sorted(BU_BY_NAME)}"
            )
        return value

    def open_month(self, today: dt.date) -> dt.date:
        """The first day of the (latest) month that starts Open."""
        if self.open_period is None:
            return today.replace(day=1)
        return dt.date.fromisoformat(f"{self.open_period}-01")

    def first_open_month(self, today: dt.date) -> dt.date:
        """The first day of the earliest month that starts Open (``open_from``, never after the open one)."""
        latest = self.open_month(today)
        return min(latest, dt.date.fromisoformat(f"{self.open_from}-01")) if self.open_from else latest


class FaultSettings(FaultKnobs):
    """Misbehaviour to inject on the pod's REST routes (never on ``/sandbox``), changeable live."""

    # The body of the fail_next failures ("html" = a front proxy page, quirk 7).
    fail_next_body: Literal["text", "html", "empty", "structured"] = "text"
    # Which routes fail_next hits: the pod's REST API, the identity domain's token endpoint, or both.
    fail_next_scope: Literal["api", "token", "all"] = "api"
    # Scheduled patching: every REST call answers 503 with an HTML maintenance page (quirk 11).
    maintenance: bool = False
    # Access token lifetime (documented common default 1 hour).
    token_lifetime_seconds: int = Field(default=3600, ge=1)
    # Quirk 2: totalResults is an estimate; the estimate is off by this fraction (0.1 = 10 % high).
    total_results_skew: float = Field(default=0.0, ge=-0.9, le=10.0)
    # Quirk 2: the last page still says hasMore=true (the next page is then empty).
    phantom_has_more: bool = False
    # Quirk 3: rows that tie on every orderBy attribute come in a different order on every call.
    unstable_tie_order: bool = False
    # Quirk 4: offsets at or beyond the threshold are slow (this many ms per 1000 rows skipped).
    deep_offset_threshold: int = Field(default=10_000, ge=0)
    deep_offset_ms_per_1000: int = Field(default=0, ge=0, le=60_000)


class FusionSandboxSettings(SimulatorSettings):
    """Complete configuration of one sandbox pod."""

    port: int = listen_port(DEFAULT_PORT)
    users: tuple[FusionUser, ...] = DEFAULT_USERS
    clients: tuple[OAuthClient, ...] = DEFAULT_CLIENTS
    # The number an identity domain's Fusion scope carries: urn:opc:resource:fa:instanceid=<n>...
    instance_id: str = "100000001"
    # Records planted to show the connector's refusals, valid in Fusion but more than Procurify holds or
    # takes: supplier names of 360 characters (a Procurify vendor name holds 150), and a pod that knows no
    # CAD (Procurify's Canadian location orders in CAD). On for the tests that exercise those refusals;
    # ``make dev`` starts the pod without them (``connector_sandbox.registry``): names cut to 150 and CAD
    # known, as the ISO currencies are on a real pod.
    planted_faults: bool = True

    periods: PeriodSettings = Field(default_factory=PeriodSettings)
    behaviour: BehaviourSettings = Field(default_factory=BehaviourSettings)
    faults: FaultSettings = Field(default_factory=FaultSettings)

    @model_validator(mode="after")
    def _consistent(self) -> FusionSandboxSettings:
        names = [self.user_key(user.username) for user in self.users]
        self.require_unique(names, "users: every username must be unique (Fusion user names ignore case)")
        self.require_unique(
            (client.client_id for client in self.clients), "clients: every client_id must be unique"
        )
        for client in self.clients:
            if self.user_key(client.acts_as) not in names:
                raise ValueError(f"clients[{client.client_id}].acts_as: no user named {client.acts_as!r}")
        return self

    user_key = staticmethod(str.lower)  # Fusion user names are case-insensitive.

    # How ``python -m connector_sandbox.fusion`` introduces itself (``connector_sandbox.cli``).
    standalone = Standalone(
        "Oracle Fusion Cloud ERP REST API simulator",
        scale="data volume; 1 = thousands of documents",
        where="pod at {base} (REST /fscmRestApi/resources/11.13.18.05, token /oauth2/v1/token)",
    )
