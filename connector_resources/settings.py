"""Connection settings for every external system, declared as data.

One table drives three things: the values resources are built with, the README's configuration table
(a test keeps the two in step) and ``ml-connector ping``. Every setting can be given by an environment
variable so a deployment can point any integration at any host; with none set, the sandbox defaults
apply, which is the embedded default ``make dev`` starts.

Secret settings hold a *reference*, not necessarily the value: ``vault:NAME`` (read from the credential
vault at use time), ``env:VAR`` (another environment variable) or, for the sandbox defaults only, the
literal value. Resources resolve them with ``connector_resources.vault.resolve_secret`` when they log in,
so no secret is ever part of Dagster run config.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from connector_resources.setting_kinds import Choice, Items, Kind, Number, OnOff, Refused, Text

SANDBOX_HOST = "127.0.0.1"


@dataclass(frozen=True)
class Setting:
    """One setting: the field a resource takes, its env var, its sandbox default and its ``kind`` (what
    its value must look like: ``connector_resources.setting_kinds``; text unless declared)."""

    field: str
    env: str
    default: str
    help: str
    secret: bool = False
    is_url: bool = False
    kind: Kind = Text()

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The effective value as its kind types it; a ``SettingError`` naming the variable, what it holds,
        what is expected and the default, when the kind refuses it."""
        raw = (os.environ if environ is None else environ).get(self.env, "").strip() or self.default_value(
            environ
        )
        try:
            return self.kind.parse(raw)
        except Refused as refused:
            raise SettingError(f"{self.env}={raw!r}: expected {refused}; default {self.default!r}") from None

    def default_value(self, environ: Mapping[str, str] | None = None) -> str:
        """The default in force: a sandbox address moves with ``ML_SANDBOX_PORT_BASE`` (see
        ``sandbox_port``), so every system's default follows the simulators when they move together."""
        if not self.is_url:
            return self.default
        parsed = urlparse(self.default)
        if parsed.hostname != SANDBOX_HOST or parsed.port not in SANDBOX_PORTS.values():
            return self.default
        moved = parsed.port - DEFAULT_SANDBOX_PORT_BASE + sandbox_port_base(environ)
        return parsed._replace(netloc=f"{SANDBOX_HOST}:{moved}").geturl()


@dataclass(frozen=True)
class System:
    """An external system and the settings needed to reach it."""

    key: str
    title: str
    settings: tuple[Setting, ...]

    def values(self, environ: Mapping[str, str] | None = None) -> dict[str, str]:
        """The effective value of each setting: the env var when set and non-empty, else the default."""
        env = os.environ if environ is None else environ
        out: dict[str, str] = {}
        for setting in self.settings:
            value = env.get(setting.env, "").strip() or setting.default_value(env)
            if setting.is_url:
                _check_url(setting, value)
            out[setting.field] = value.rstrip("/") if setting.is_url else value
        return out

    def is_configured(self, environ: Mapping[str, str] | None = None) -> bool:
        """True when any setting of this system was given explicitly (not the sandbox default)."""
        env = os.environ if environ is None else environ
        return any(env.get(s.env, "").strip() for s in self.settings)

    def setting(self, field: str) -> Setting:
        for setting in self.settings:
            if setting.field == field:
                return setting
        raise KeyError(f"{self.key} has no setting {field!r}")


class SettingError(ValueError):
    """A setting has a value that cannot work; the message names the variable."""


def _check_url(setting: Setting, value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(
            f"{setting.env}={value!r} is not an http(s) URL; expected e.g. {setting.default!r}"
        )


def _url(port: int, path: str = "") -> str:
    return f"http://{SANDBOX_HOST}:{port}{path}"


# Sandbox ports: one simulator per system, each on its own port so every base URL has the real
# API's path layout (the JDE sandbox answers under /jderest, BILL under /connect, and so on). These are
# the ports with the default base; ``ML_SANDBOX_PORT_BASE`` moves all of them (and the webhook receiver's)
# together, so a second ``make dev`` or a test can run its own set beside one already running.
DEFAULT_SANDBOX_PORT_BASE = 8711
SANDBOX_PORT_BASE_ENV = "ML_SANDBOX_PORT_BASE"
SANDBOX_PORTS = {
    "jde_ais": 8711,
    "coupa": 8712,
    "bill": 8713,
    "procurify": 8714,
    "procore": 8715,
    "fusion": 8716,
    "webhooks": 8720,  # the webhook receiver ml-connector dev runs beside the simulators
}
SANDBOX_PORT_SPAN = max(SANDBOX_PORTS.values()) - DEFAULT_SANDBOX_PORT_BASE + 1


def sandbox_port_base(environ: Mapping[str, str] | None = None) -> int:
    """The first sandbox port: ``ML_SANDBOX_PORT_BASE``, else 8711."""
    env = os.environ if environ is None else environ
    raw = env.get(SANDBOX_PORT_BASE_ENV, "").strip()
    if not raw:
        return DEFAULT_SANDBOX_PORT_BASE
    if not raw.isdigit() or not 1024 <= int(raw) <= 65535 - SANDBOX_PORT_SPAN:
        raise SettingError(
            f"{SANDBOX_PORT_BASE_ENV}={raw!r} is not a port between 1024 and {65535 - SANDBOX_PORT_SPAN}; "
            f"expected e.g. {DEFAULT_SANDBOX_PORT_BASE}"
        )
    return int(raw)


def sandbox_port(key: str, environ: Mapping[str, str] | None = None) -> int:
    """Where the sandbox ``key`` (a system, or ``webhooks``) listens, with the base in force."""
    return SANDBOX_PORTS[key] - DEFAULT_SANDBOX_PORT_BASE + sandbox_port_base(environ)


SYSTEMS: dict[str, System] = {
    s.key: s
    for s in (
        System(
            "jde_ais",
            "JD Edwards EnterpriseOne AIS server",
            (
                Setting(
                    "base_url",
                    "ML_JDE_AIS_URL",
                    _url(8711, "/jderest"),
                    "AIS base URL up to and including /jderest",
                    is_url=True,
                ),
                Setting("username", "ML_JDE_USERNAME", "INTEGR8", "AIS user the connector logs in as"),
                Setting(
                    "password", "ML_JDE_PASSWORD", "integr8-sandbox", "password of that user", secret=True
                ),
                Setting("environment", "ML_JDE_ENVIRONMENT", "JPS920", "JDE environment (e.g. JPD920)"),
                Setting("role", "ML_JDE_ROLE", "*ALL", "JDE role for the session"),
                Setting(
                    "device_name",
                    "ML_JDE_DEVICE_NAME",
                    "ml-connector",
                    "device name the AIS token is bound to",
                ),
                Setting(
                    "query_date_format",
                    "ML_JDE_QUERY_DATE_FORMAT",
                    "",
                    "date format for query conditions when the server does not take the user's "
                    "(e.g. yyyyMMdd, or CYYDDD); blank = the user's format; `ml-connector ping` checks it",
                ),
                Setting(
                    "page_size",
                    "ML_JDE_PAGE_SIZE",
                    "500",
                    "rows per data-service page (maxPageSize); the server's DB Fetch Limit (jas.ini, default "
                    "2000) caps it, and memory holds at most two pages per read",
                ),
                Setting(
                    "overlap_calls",
                    "ML_JDE_OVERLAP_CALLS",
                    "false",
                    "true: a read's prefetched next page may be in flight while the same session makes "
                    "another AIS call (two requests on one token, which the AIS documentation neither allows "
                    "nor forbids); false: one call at a time per session, the prefetch waiting its turn",
                ),
                Setting(
                    "timezone",
                    "ML_JDE_TIMEZONE",
                    "UTC",
                    "IANA time zone of the AIS server's UPMJ/UPMT stamps",
                ),
                Setting(
                    "start_date", "ML_JDE_START_DATE", "2024-01-01", "first day partition of the JDE assets"
                ),
                Setting(
                    "overlap_minutes",
                    "ML_JDE_OVERLAP_MINUTES",
                    "10",
                    "minutes re-read before the cursor to catch rows committed late",
                    kind=Number(unit="minutes", minimum=0),
                ),
                Setting("poll_cron", "ML_JDE_POLL_CRON", "0 * * * *", "cadence of the current-day poll"),
                Setting(
                    "gl_refresh_cron",
                    "ML_JDE_GL_REFRESH_CRON",
                    "0 5 * * *",
                    "when the F0901 cache is refreshed",
                ),
            ),
        ),
        System(
            "coupa",
            "Coupa Core API",
            (
                Setting(
                    "base_url",
                    "ML_COUPA_URL",
                    _url(8712),
                    "instance URL, e.g. https://acme.coupahost.com",
                    is_url=True,
                ),
                Setting("client_id", "ML_COUPA_CLIENT_ID", "ml-connector-sandbox", "OAuth2 client id"),
                Setting(
                    "client_secret",
                    "ML_COUPA_CLIENT_SECRET",
                    "sandbox-coupa-secret",
                    "OAuth2 client secret",
                    secret=True,
                ),
                Setting(
                    "webhook_secret",
                    "ML_COUPA_WEBHOOK_SECRET",
                    "sandbox-coupa-webhook",
                    "HMAC-SHA256 key that signs Coupa call-outs to the webhook receiver",
                    secret=True,
                ),
                Setting(
                    "webhook_time_field",
                    "ML_COUPA_WEBHOOK_TIME_FIELD",
                    "updated-at",
                    "call-out field holding the event time (payload format unconfirmed): read on the "
                    "payload, then on an envelope's data record",
                ),
                Setting(
                    "webhook_max_age_minutes",
                    "ML_COUPA_WEBHOOK_MAX_AGE_MINUTES",
                    "1440",
                    "call-outs whose event time is older are refused (retry policy undocumented; polling "
                    "covers later resends)",
                    kind=Number(unit="minutes", above=0),
                ),
            ),
        ),
        System(
            "bill",
            "BILL v3 API",
            (
                Setting(
                    "base_url",
                    "ML_BILL_URL",
                    _url(8713, "/connect"),
                    "API gateway base up to /connect (gateway.stage or gateway.prod)",
                    is_url=True,
                ),
                Setting("username", "ML_BILL_USERNAME", "sandbox@ml-connector.invalid", "BILL API user name"),
                Setting("password", "ML_BILL_PASSWORD", "sandbox-bill", "password of that user", secret=True),
                Setting("organization_id", "ML_BILL_ORG_ID", "00801SANDBOXORG00001", "BILL organization id"),
                Setting("dev_key", "ML_BILL_DEV_KEY", "sandbox-bill-devkey", "developer key", secret=True),
                Setting(
                    "webhook_key",
                    "ML_BILL_WEBHOOK_KEY",
                    "sandbox-bill-webhook",
                    "securityKey of the webhook subscription (verifies x-bill-sha-signature); "
                    "vault:NAME for `ml-connector bill-webhooks`, which stores it there",
                    secret=True,
                ),
                Setting(
                    "webhook_url",
                    "ML_BILL_WEBHOOK_URL",
                    _url(8720, "/webhooks/bill"),
                    "public URL of the receiver's BILL endpoint that `ml-connector bill-webhooks create` "
                    "subscribes (BILL wants https)",
                    is_url=True,
                ),
                Setting(
                    "webhook_events",
                    "ML_BILL_WEBHOOK_EVENTS",
                    "bill.created,bill.updated,payment.updated,payment.failed",
                    "comma-separated BILL event types that subscription delivers",
                ),
                Setting(
                    "webhook_time_field",
                    "ML_BILL_WEBHOOK_TIME_FIELD",
                    "updatedTime",
                    "field of the event's entity object holding its change time (the metadata carries no "
                    "time); a dotted value is a path from the body's root",
                ),
                Setting(
                    "webhook_max_age_minutes",
                    "ML_BILL_WEBHOOK_MAX_AGE_MINUTES",
                    "4320",
                    "deliveries whose event time is older are refused (retry span undocumented; a refused "
                    "delivery is retried until BILL disables the subscription, so keep this wide)",
                    kind=Number(unit="minutes", above=0),
                ),
            ),
        ),
        System(
            "procurify",
            "Procurify API",
            (
                Setting(
                    "base_url",
                    "ML_PROCURIFY_URL",
                    _url(8714),
                    "customer domain, e.g. https://acme.procurify.com",
                    is_url=True,
                ),
                Setting("client_id", "ML_PROCURIFY_CLIENT_ID", "ml-connector-sandbox", "OAuth2 client id"),
                Setting(
                    "client_secret",
                    "ML_PROCURIFY_CLIENT_SECRET",
                    "sandbox-procurify-secret",
                    "OAuth2 client secret",
                    secret=True,
                ),
                Setting(
                    "max_attempts",
                    "ML_PROCURIFY_MAX_ATTEMPTS",
                    "6",
                    "attempts per Procurify call on a 504, a timeout, a 429 or another 5xx (backoff with "
                    "full jitter between them); then a per-record read queues its record and a day's list "
                    "read fails the partition",
                ),
            ),
        ),
        System(
            "procore",
            "Procore REST API",
            (
                Setting(
                    "base_url",
                    "ML_PROCORE_URL",
                    _url(8715),
                    "API host (api.procore.com or sandbox.procore.com)",
                    is_url=True,
                ),
                Setting(
                    "auth_url",
                    "ML_PROCORE_AUTH_URL",
                    _url(8715),
                    "login host (login.procore.com or login-sandbox.procore.com)",
                    is_url=True,
                ),
                Setting(
                    "company_id",
                    "ML_PROCORE_COMPANY_ID",
                    "4264807",
                    "Procore company id(s) (Procore-Company-Id); comma-separated for several companies of "
                    "one app, the first is the default",
                ),
                Setting(
                    "project_ids",
                    "ML_PROCORE_PROJECT_IDS",
                    "",
                    "comma-separated project ids (blank: every permitted project)",
                ),
                Setting("client_id", "ML_PROCORE_CLIENT_ID", "ml-connector-sandbox", "DMSA OAuth2 client id"),
                Setting(
                    "client_secret",
                    "ML_PROCORE_CLIENT_SECRET",
                    "sandbox-procore-secret",
                    "DMSA OAuth2 client secret",
                    secret=True,
                ),
                Setting(
                    "webhook_token",
                    "ML_PROCORE_WEBHOOK_TOKEN",
                    "sandbox-procore-hook",
                    "value of the destination header Procore sends with every webhook",
                    secret=True,
                ),
                Setting(
                    "webhook_max_age_minutes",
                    "ML_PROCORE_WEBHOOK_MAX_AGE_MINUTES",
                    "780",
                    "deliveries whose timestamp is older are refused (Procore retries for 12 hours, then "
                    "discards)",
                    kind=Number(unit="minutes", above=0),
                ),
            ),
        ),
        System(
            "fusion",
            "Oracle Fusion Cloud ERP REST API",
            (
                Setting(
                    "base_url",
                    "ML_FUSION_URL",
                    _url(8716),
                    "pod URL, e.g. https://xxxx.fa.us2.oraclecloud.com",
                    is_url=True,
                ),
                Setting(
                    "token_url",
                    "ML_FUSION_TOKEN_URL",
                    _url(8716, "/oauth2/v1/token"),
                    "identity domain token URL (OAuth); leave as is for basic auth",
                    is_url=True,
                ),
                Setting("client_id", "ML_FUSION_CLIENT_ID", "ml-connector-sandbox", "OAuth2 client id"),
                Setting(
                    "client_secret",
                    "ML_FUSION_CLIENT_SECRET",
                    "sandbox-fusion-secret",
                    "OAuth2 client secret",
                    secret=True,
                ),
                Setting("scope", "ML_FUSION_SCOPE", "urn:opc:resource:consumer::all", "OAuth2 scope"),
                Setting("auth", "ML_FUSION_AUTH", "oauth", "oauth (client credentials) or basic"),
                Setting("username", "ML_FUSION_USERNAME", "ml.integration", "Fusion user for basic auth"),
                Setting(
                    "password", "ML_FUSION_PASSWORD", "sandbox-fusion", "password of that user", secret=True
                ),
                Setting(
                    "business_unit",
                    "ML_FUSION_BUSINESS_UNIT",
                    "US1 Business Unit",
                    "procurement / payables business unit",
                ),
                Setting(
                    "send_unconfirmed",
                    "ML_FUSION_SEND_UNCONFIRMED",
                    "",
                    "attributes the reference leaves unconfirmed that this pod accepts on create, comma "
                    "separated: OrderNumber (our PFY number on draft orders), "
                    "invoiceDistributions.Description; none by default (Fusion numbers the orders)",
                ),
            ),
        ),
    )
}

# Settings of the project itself (not of a connection); listed in the same README table.
PROJECT_SETTINGS: tuple[Setting, ...] = (
    Setting("jde_coupa_suppliers_cron", "ML_JDE_COUPA_SUPPLIERS_CRON", "5 * * * *", "JDE -> Coupa suppliers"),
    Setting(
        "jde_coupa_purchase_orders_cron",
        "ML_JDE_COUPA_PURCHASE_ORDERS_CRON",
        "10 * * * *",
        "JDE -> Coupa purchase orders",
    ),
    Setting(
        "jde_coupa_invoices_cron",
        "ML_JDE_COUPA_INVOICES_CRON",
        "15 * * * *",
        "JDE vouchers -> Coupa invoices",
    ),
    Setting(
        "jde_bill_vendors_cron", "ML_JDE_BILL_VENDORS_CRON", "5 * * * *", "JDE suppliers -> BILL vendors"
    ),
    Setting(
        "jde_bill_bills_cron",
        "ML_JDE_BILL_BILLS_CRON",
        "20 * * * *",
        "JDE approved purchase orders and vouchers -> BILL bills",
    ),
    Setting(
        "jde_bill_po_approved_status",
        "ML_JDE_BILL_PO_APPROVED_STATUS",
        "220",
        "JDE -> BILL bills: lowest F4311 last status (LTTR) of an approved order line; an order becomes a "
        "bill once every open line has reached it (status codes are each customer's own)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_bill_po_closed_status",
        "ML_JDE_BILL_PO_CLOSED_STATUS",
        "980",
        "JDE -> BILL bills: F4311 last status (LTTR) from which an order line is closed or cancelled and "
        "left off the bill",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_bill_voucher_pay_statuses",
        "ML_JDE_BILL_VOUCHER_PAY_STATUSES",
        "A",
        "JDE -> BILL bills: F0411 pay statuses (PST, comma-separated) of vouchers sent as bills; A = "
        "approved for payment (a paid or held voucher is not offered to BILL to pay)",
        kind=Items(noun="JDE pay statuses", case="upper", at_least=0),
    ),
    Setting(
        "jde_bill_default_net_days",
        "ML_JDE_BILL_DEFAULT_NET_DAYS",
        "30",
        "JDE -> BILL bills: days from the order date to the due date of an order with no payment terms "
        "(F4301 PTC and F0401 TRAP blank)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_supplier_addresses",
        "ML_JDE_SUPPLIER_ADDRESSES",
        "on",
        "read suppliers' mailing addresses from JDE F0116 (on / off), for every flow that sends them (JDE -> "
        "BILL, JDE -> Procurify, Procore <-> JDE); off when the AIS user may not read F0116: suppliers are "
        "then sent without an address (`ml-connector ping` says whether it can)",
    ),
    Setting(
        "jde_supplier_phones",
        "ML_JDE_SUPPLIER_PHONES",
        "on",
        "read suppliers' phones from JDE F0115 (on / off), for every flow that sends them (JDE -> "
        "Procurify, Procore <-> JDE); off when the AIS user may not read F0115: sent without a phone",
    ),
    Setting(
        "jde_supplier_emails",
        "ML_JDE_SUPPLIER_EMAILS",
        "on",
        "read suppliers' e-mail addresses from JDE F01151 (on / off), for every flow that sends them (JDE "
        "-> Procurify, Procore <-> JDE); off when the AIS user may not read F01151: sent without one",
    ),
    Setting(
        "jde_bill_vendor_addresses",
        "ML_JDE_BILL_VENDOR_ADDRESSES",
        "",
        "deprecated name of ML_JDE_SUPPLIER_ADDRESSES (honoured, with a warning, when that is unset)",
    ),
    Setting(
        "jde_bill_vendor_default_country",
        "ML_JDE_BILL_VENDOR_DEFAULT_COUNTRY",
        "",
        "JDE -> BILL vendors: ISO-2 country for F0116 addresses whose country (CTR) is blank, e.g. US where "
        "JDE leaves domestic addresses without one; blank: such a supplier is refused into the retry queue",
        kind=Text(pattern="[A-Za-z]{2}", says="a two-letter ISO code, e.g. US"),
    ),
    Setting(
        "jde_bill_payments_cron",
        "ML_JDE_BILL_PAYMENTS_CRON",
        "10-59/15 * * * *",
        "BILL payments -> JDE (polling fallback for BILL's webhooks: the flow reads its own day of BILL "
        "payments)",
    ),
    Setting(
        "jde_bill_reconcile_cron",
        "ML_JDE_BILL_RECONCILE_CRON",
        "50 * * * *",
        "JDE <-> BILL reconciliation of today's vendors, bills (JDE days) and payments (UTC days), after "
        "the flows' ticks; yesterday once after midnight",
    ),
    Setting(
        "jde_bill_paid_statuses",
        "ML_JDE_BILL_PAID_STATUSES",
        "CLEARED",
        "comma-separated BILL payment statuses (singleStatus) that post to JDE: money reached the vendor",
        kind=Items(noun="BILL payment statuses", case="upper"),
    ),
    Setting(
        "jde_bill_payment_posting",
        "ML_JDE_BILL_PAYMENT_POSTING",
        "voucher_else_journal",
        "how a BILL payment posts to JDE: voucher_else_journal (ML_RecordPayment on the bill's voucher, a "
        "journal entry when it has none), voucher (wait for a voucher) or journal (always a journal entry)",
        kind=Choice(("voucher_else_journal", "voucher", "journal")),
    ),
    Setting(
        "jde_bill_payment_debit_account",
        "ML_JDE_BILL_PAYMENT_DEBIT_ACCOUNT",
        "1.4310",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher debits (sandbox: received not vouchered); "
        "must be set once ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "jde_bill_payment_credit_account",
        "ML_JDE_BILL_PAYMENT_CREDIT_ACCOUNT",
        "1.1110",
        "JDE account (BU.OBJ.SUB) a BILL payment without voucher credits (sandbox: cash in bank); must be "
        "set once ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "coupa_jde_invoices_cron",
        "ML_COUPA_JDE_INVOICES_CRON",
        "5-59/15 * * * *",
        "Coupa -> JDE invoices (polling fallback for call-outs)",
    ),
    Setting(
        "coupa_jde_payments_cron",
        "ML_COUPA_JDE_PAYMENTS_CRON",
        "10-59/15 * * * *",
        "Coupa -> JDE payments (polling fallback for call-outs)",
    ),
    Setting(
        "saas_poll_cron",
        "ML_<SYSTEM>_POLL_CRON",
        "*/15 * * * *",
        "current-day poll of a SaaS system's entities",
    ),
    Setting("retry_cron", "ML_RETRY_CRON", "*/15 * * * *", "replay of due retry-queue records"),
    Setting(
        "jde_coupa_account_map",
        "ML_JDE_COUPA_ACCOUNT_MAP",
        "mappings/sandbox/jde_coupa_accounts.csv",
        "JDE account -> Coupa account table (mappings/README.md)",
    ),
    Setting(
        "jde_coupa_payment_terms_map",
        "ML_JDE_COUPA_PAYMENT_TERMS_MAP",
        "mappings/sandbox/jde_coupa_payment_terms.csv",
        "JDE payment terms (F0401 TRAP) -> Coupa payment term table (mappings/README.md)",
    ),
    Setting(
        "jde_bill_account_map",
        "ML_JDE_BILL_ACCOUNT_MAP",
        "mappings/sandbox/jde_bill_accounts.csv",
        "JDE account -> BILL chart-of-accounts id table (mappings/README.md)",
    ),
    Setting(
        "jde_bill_department_map",
        "ML_JDE_BILL_DEPARTMENT_MAP",
        "mappings/sandbox/jde_bill_departments.csv",
        "JDE business unit -> BILL department id table (mappings/README.md)",
    ),
    Setting(
        "jde_bill_payment_terms_map",
        "ML_JDE_BILL_PAYMENT_TERMS_MAP",
        "mappings/sandbox/jde_bill_payment_terms.csv",
        "JDE payment terms (F4301 PTC / F0401 TRAP) -> net days table (mappings/README.md)",
    ),
    Setting(
        "coupa_jde_account_map",
        "ML_COUPA_JDE_ACCOUNT_MAP",
        "",
        "Coupa account -> JDE account table (optional)",
    ),
    # Procore -> JD Edwards (issue 13): daily at 02:00 (project workflows close their day), one cron per flow.
    Setting(
        "procore_jde_vendors_cron",
        "ML_PROCORE_JDE_VENDORS_CRON",
        "0 2 * * *",
        "Procore vendors -> JDE suppliers (address book + supplier master)",
    ),
    Setting(
        "procore_jde_suppliers_cron",
        "ML_PROCORE_JDE_SUPPLIERS_CRON",
        "5 2 * * *",
        "JDE supplier changes (address, contact) -> the linked Procore vendors",
    ),
    Setting(
        "procore_jde_purchase_orders_cron",
        "ML_PROCORE_JDE_PURCHASE_ORDERS_CRON",
        "10 2 * * *",
        "Procore commitments of approved requisitions -> JDE purchase orders",
    ),
    Setting(
        "procore_jde_vouchers_cron",
        "ML_PROCORE_JDE_VOUCHERS_CRON",
        "20 2 * * *",
        "approved Procore requisitions -> JDE batch vouchers (F0411Z1/F0911Z1)",
    ),
    Setting(
        "procore_jde_change_orders_cron",
        "ML_PROCORE_JDE_CHANGE_ORDERS_CRON",
        "30 2 * * *",
        "approved Procore commitment change orders -> JDE purchase order updates",
    ),
    Setting(
        "procore_jde_reconcile_cron",
        "ML_PROCORE_JDE_RECONCILE_CRON",
        "0 4 * * *",
        "Procore -> JDE reconciliation (requisitions vs vouchers and PO lines, commitments, vendors)",
    ),
    Setting(
        "procore_jde_approved_statuses",
        "ML_PROCORE_JDE_APPROVED_STATUSES",
        "approved,approved_as_noted",
        "Procore -> JDE: requisition (subcontractor invoice) statuses that count as approved "
        "(comma-separated)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    Setting(
        "procore_jde_change_order_statuses",
        "ML_PROCORE_JDE_CHANGE_ORDER_STATUSES",
        "approved",
        "Procore -> JDE: commitment change order statuses that update the JDE purchase order "
        "(comma-separated; Procore's vocabulary is unconfirmed)",
        kind=Items(noun="statuses", case="lower", at_least=0),
    ),
    Setting(
        "procore_jde_vouchers",
        "ML_PROCORE_JDE_VOUCHERS",
        "on",
        "Procore -> JDE: an approved requisition also becomes an AP batch voucher against its purchase "
        "order (on / off)",
        kind=OnOff(),
    ),
    Setting(
        "procore_jde_po_order_type",
        "ML_PROCORE_JDE_PO_ORDER_TYPE",
        "OP",
        "Procore -> JDE: JDE order type (DCTO) of a Procore purchase order contract",
    ),
    Setting(
        "procore_jde_wo_order_type",
        "ML_PROCORE_JDE_WO_ORDER_TYPE",
        "OS",
        "Procore -> JDE: JDE order type (DCTO) of a Procore work order contract (subcontract)",
    ),
    Setting(
        "procore_jde_vendor_origin_format",
        "ML_PROCORE_JDE_VENDOR_ORIGIN_FORMAT",
        "JDE-V-{an8}",
        "Procore -> JDE vendors: how a Procore vendor's origin_id spells the JDE address number ({an8}); "
        "a bare number is read too; origin_code always holds the bare number",
    ),
    Setting(
        "procore_jde_vendor_company",
        "ML_PROCORE_JDE_VENDOR_COMPANY",
        "00001",
        "Procore -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procore",
    ),
    Setting(
        "procore_jde_vendor_bank_fields",
        "ML_PROCORE_JDE_VENDOR_BANK_FIELDS",
        "",
        "Procore -> JDE vendors: the Procore vendor fields holding bank routing and account number "
        "(routing_field,account_field; Procore documents none, so blank = banking is not moved)",
    ),
    Setting(
        "procore_jde_project_map",
        "ML_PROCORE_JDE_PROJECT_MAP",
        "mappings/sandbox/procore_jde_projects.csv",
        "Procore project -> JDE job business unit table (mappings/README.md)",
    ),
    Setting(
        "procore_jde_cost_code_map",
        "ML_PROCORE_JDE_COST_CODE_MAP",
        "mappings/sandbox/procore_jde_cost_codes.csv",
        "Procore cost code -> JDE account (BU.OBJ.SUB; the BU is the cost center) table (mappings/README.md)",
    ),
    # JD Edwards <-> Procurify (issue 14): Procurify has no webhooks, so every flow polls every 1 to 4 hours.
    Setting(
        "jde_procurify_suppliers_cron",
        "ML_JDE_PROCURIFY_SUPPLIERS_CRON",
        "0 */2 * * *",
        "JDE suppliers (F0401 + F0101) -> Procurify vendors",
    ),
    Setting(
        "jde_procurify_vendors_cron",
        "ML_JDE_PROCURIFY_VENDORS_CRON",
        "10 */2 * * *",
        "vendors created in Procurify -> JDE suppliers",
    ),
    Setting(
        "jde_procurify_account_codes_cron",
        "ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON",
        "30 5 * * *",
        "JDE GL accounts (F0901, read once a day) -> Procurify account codes",
    ),
    Setting(
        "jde_procurify_purchase_orders_cron",
        "ML_JDE_PROCURIFY_PURCHASE_ORDERS_CRON",
        "20 */2 * * *",
        "approved JDE purchase orders (F4301 + F4311) -> Procurify requisitions",
    ),
    Setting(
        "jde_procurify_po_links_cron",
        "ML_JDE_PROCURIFY_PO_LINKS_CRON",
        "40 */2 * * *",
        "Procurify POs purchased from those requisitions -> linked, PO_Num = the JDE order number",
    ),
    Setting(
        "jde_procurify_bills_cron",
        "ML_JDE_PROCURIFY_BILLS_CRON",
        "15 * * * *",
        "approved Procurify bills -> JDE AP batches (F0411Z1/F0911Z1)",
    ),
    Setting(
        "jde_procurify_payments_cron",
        "ML_JDE_PROCURIFY_PAYMENTS_CRON",
        "45 * * * *",
        "Procurify payments -> JDE payments against the vouchers",
    ),
    Setting(
        "jde_procurify_paid_marks_cron",
        "ML_JDE_PROCURIFY_PAID_MARKS_CRON",
        "50 */4 * * *",
        "bills JDE paid -> marked paid in Procurify",
    ),
    Setting(
        "jde_procurify_reconcile_cron",
        "ML_JDE_PROCURIFY_RECONCILE_CRON",
        "0 6 * * *",
        "JDE <-> Procurify reconciliation (orders, bills per vendor and period, vendors, account codes)",
    ),
    Setting(
        "jde_procurify_account_map",
        "ML_JDE_PROCURIFY_ACCOUNT_MAP",
        "mappings/sandbox/jde_procurify_accounts.csv",
        "JDE account (BU.OBJ[.SUB]) <-> Procurify account code table (mappings/README.md)",
    ),
    Setting(
        "jde_procurify_account_scope",
        "ML_JDE_PROCURIFY_ACCOUNT_SCOPE",
        "6000-8999",
        "JDE -> Procurify: postable F0901 accounts given a Procurify account code of their own (code = "
        "BU.OBJ[.SUB]) besides the mapped ones: object ranges OBJ-OBJ or BU.OBJ-OBJ, comma-separated; "
        "none = only the account map. The default is the sandbox chart's expense range (refused unset on a "
        "real JDE or Procurify)",
    ),
    Setting(
        "jde_procurify_account_departments",
        "ML_JDE_PROCURIFY_ACCOUNT_DEPARTMENTS",
        "company",
        "JDE -> Procurify account codes: the departments a code is opened for (Procurify takes a line only "
        "on a code open for its department), through the department table: company (every unit of the "
        "account's company), unit (its own business unit) or none (a Procurify admin opens them)",
    ),
    Setting(
        "jde_procurify_department_map",
        "ML_JDE_PROCURIFY_DEPARTMENT_MAP",
        "mappings/sandbox/jde_procurify_departments.csv",
        "JDE business unit -> Procurify location and department table (mappings/README.md)",
    ),
    Setting(
        "jde_procurify_order_types",
        "ML_JDE_PROCURIFY_ORDER_TYPES",
        "OP",
        "JDE -> Procurify: order types (DCTO) sent as requisitions (comma-separated)",
        kind=Items(noun="JDE order types", case="upper", at_least=0),
    ),
    Setting(
        "jde_procurify_approved_status",
        "ML_JDE_PROCURIFY_APPROVED_STATUS",
        "220",
        "JDE -> Procurify: lowest F4311 last status (LTTR) of an approved order line; an order (header not "
        "on "
        "hold, F4301.HOLD blank) is sent once every line not cancelled has reached it (status codes are each "
        "customer's own order activity rules)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_procurify_closed_status",
        "ML_JDE_PROCURIFY_CLOSED_STATUS",
        "980",
        "JDE -> Procurify: F4311 status from which an order line is done: last status (LTTR) at or above it "
        "= cancelled, left off; next status (NXTR) at or above it = nothing left to buy (an order whose "
        "lines are all done is not sent as a new requisition)",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "jde_procurify_stock_account",
        "ML_JDE_PROCURIFY_STOCK_ACCOUNT",
        "{bu}.1410",
        "JDE -> Procurify: the JDE account a stock line (F4311 LNTY S: no account on the line, JDE takes it "
        "from the AAIs) is charged to in Procurify, {bu} = the line's branch/plant; its Procurify code comes "
        "from the account map; blank = stock lines are refused",
    ),
    Setting(
        "jde_procurify_description_check",
        "ML_JDE_PROCURIFY_DESCRIPTION_CHECK",
        "on",
        "JDE -> Procurify: on = the first requisition a run creates is read back, and if Procurify did not "
        "keep its description (the JDE order number, how an interrupted create is found again) the run "
        "stops creating and fails saying so; off = create without that check (only once you know this "
        "Procurify drops descriptions and accept that an interrupted create may leave a second requisition)",
        kind=Choice(("on", "off")),
    ),
    Setting(
        "jde_procurify_bill_posting",
        "ML_JDE_PROCURIFY_BILL_POSTING",
        "voucher",
        "Procurify -> JDE: how a bill posts: voucher (F0411Z1 + F0911Z1 batch) or journal (F0911Z1 batch)",
    ),
    Setting(
        "jde_procurify_bill_statuses",
        "ML_JDE_PROCURIFY_BILL_STATUSES",
        "2,4,6,7,8",
        "Procurify -> JDE: bill statuses that count as approved (2 Approved and the payment states after it)",
    ),
    Setting(
        "jde_procurify_ap_account",
        "ML_JDE_PROCURIFY_AP_ACCOUNT",
        "1.4110",
        "Procurify -> JDE bills posted as journals: the AP liability account (BU.OBJ.SUB) credited with the "
        "bill's total, the supplier as subledger (sandbox: accounts payable trade); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "jde_procurify_bill_tax_account",
        "ML_JDE_PROCURIFY_BILL_TAX_ACCOUNT",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's tax line; blank = the account of the "
        "bill's largest item",
    ),
    Setting(
        "jde_procurify_bill_freight_account",
        "ML_JDE_PROCURIFY_BILL_FREIGHT_ACCOUNT",
        "",
        "Procurify -> JDE bills: JDE account (BU.OBJ.SUB) of a bill's freight / additional costs (one "
        "distribution line per cost); blank = a bill with additional costs is refused naming this setting",
    ),
    Setting(
        "jde_procurify_paid_statuses",
        "ML_JDE_PROCURIFY_PAID_STATUSES",
        "paid",
        "Procurify -> JDE: payment statuses recorded in JDE (comma-separated)",
    ),
    Setting(
        "jde_procurify_payment_bank_account",
        "ML_JDE_PROCURIFY_PAYMENT_BANK_ACCOUNT",
        "1.1110",
        "Procurify -> JDE payments as journal entries (bill posting journal): the bank account (BU.OBJ.SUB) "
        "credited, ML_JDE_PROCURIFY_AP_ACCOUNT debited (sandbox: cash in bank); must be set once "
        "ML_JDE_AIS_URL points at a real JDE",
    ),
    Setting(
        "jde_procurify_batch_user",
        "ML_JDE_PROCURIFY_BATCH_USER",
        "MLPRCFY",
        "Procurify -> JDE: EDI user (EDUS) of the batches written, part of their duplicate key",
    ),
    Setting(
        "jde_procurify_vendor_company",
        "ML_JDE_PROCURIFY_VENDOR_COMPANY",
        "00001",
        "Procurify -> JDE vendors: A/P company (F0401 KCOP) of a supplier added from Procurify",
    ),
    Setting(
        "jde_procurify_vendor_page_size",
        "ML_JDE_PROCURIFY_VENDOR_PAGE_SIZE",
        "100",
        "Procurify -> JDE vendors: rows per page of the whole vendor read each poll (vendors have no "
        "modified-since filter); 100 is the largest page the reference suggests (its cap is unconfirmed)",
    ),
    Setting(
        "jde_procurify_vendor_first_id",
        "ML_JDE_PROCURIFY_VENDOR_FIRST_ID",
        "",
        "Procurify -> JDE vendors: only vendors with this Procurify id or a higher one get a JDE supplier "
        "(go-live: the next id, after the vendors both sides already hold carry the AN8 as external_id); "
        "blank = every vendor without an ERP key",
    ),
    Setting(
        "jde_procurify_vendor_fallback_email",
        "ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL",
        "",
        "JDE -> Procurify suppliers: e-mail address given to a new vendor whose supplier has none in F01151 "
        "(Procurify requires one); blank = such a supplier is refused until JDE has one",
    ),
    # Oracle Fusion <-> Procurify (issue 15): neither side pushes events; every flow polls every 10 minutes.
    Setting(
        "fusion_procurify_suppliers_cron",
        "ML_FUSION_PROCURIFY_SUPPLIERS_CRON",
        "0,10,20,30,40,50 * * * *",
        "Fusion suppliers -> Procurify vendors (matched by name, cross-reference, else created)",
    ),
    Setting(
        "fusion_procurify_vendors_cron",
        "ML_FUSION_PROCURIFY_VENDORS_CRON",
        "1,11,21,31,41,51 * * * *",
        "Procurify vendors -> their Fusion supplier (matched by name or a manual cross-reference)",
    ),
    Setting(
        "fusion_procurify_account_codes_cron",
        "ML_FUSION_PROCURIFY_ACCOUNT_CODES_CRON",
        "3 * * * *",
        "Fusion natural accounts in the account map -> Procurify account codes",
    ),
    Setting(
        "fusion_procurify_purchase_orders_cron",
        "ML_FUSION_PROCURIFY_PURCHASE_ORDERS_CRON",
        "2,12,22,32,42,52 * * * *",
        "approved Procurify purchase orders (or requisitions) -> Fusion purchase orders",
    ),
    Setting(
        "fusion_procurify_invoices_cron",
        "ML_FUSION_PROCURIFY_INVOICES_CRON",
        "4,14,24,34,44,54 * * * *",
        "approved Procurify bills -> Fusion payables invoices",
    ),
    Setting(
        "fusion_procurify_bill_statuses",
        "ML_FUSION_PROCURIFY_BILL_STATUSES",
        "2,4,6,7,8",
        "Procurify -> Fusion invoices: bill statuses that count as approved (2 Approved and the payment "
        "states after it)",
    ),
    Setting(
        "fusion_procurify_bill_tax_account",
        "ML_FUSION_PROCURIFY_BILL_TAX_ACCOUNT",
        "",
        "Fusion charge account (combination, e.g. 101-10-22500-000) of a bill's tax line; blank = the "
        "account of the bill's largest item",
    ),
    Setting(
        "fusion_procurify_bill_freight_account",
        "ML_FUSION_PROCURIFY_BILL_FREIGHT_ACCOUNT",
        "",
        "Fusion charge account (combination) of a bill's freight / additional cost lines; blank = the "
        "account of the bill's largest item",
    ),
    Setting(
        "fusion_procurify_ledger_currency",
        "ML_FUSION_PROCURIFY_LEDGER_CURRENCY",
        "USD",
        "currency of the Fusion business unit's ledger: an invoice in another currency carries "
        "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE",
    ),
    Setting(
        "fusion_procurify_conversion_rate_type",
        "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE",
        "Corporate",
        "Fusion conversion rate type of a foreign-currency invoice (Fusion refuses one without it)",
    ),
    Setting(
        "fusion_procurify_payment_status_cron",
        "ML_FUSION_PROCURIFY_PAYMENT_STATUS_CRON",
        "6,16,26,36,46,56 * * * *",
        "Fusion payables payments -> Procurify bills marked paid",
    ),
    Setting(
        "fusion_procurify_reconcile_cron",
        "ML_FUSION_PROCURIFY_RECONCILE_CRON",
        "40 6 * * *",
        "daily reconciliation of the Procurify bill register against Fusion AP",
    ),
    Setting(
        "fusion_procurify_account_combinations_cron",
        "ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON",
        "55 * * * *",
        "re-read Fusion's account combinations (accountCombinationsLOV, whole) the charge accounts are "
        "checked against",
    ),
    Setting(
        "fusion_procurify_account_map",
        "ML_FUSION_PROCURIFY_ACCOUNT_MAP",
        "mappings/sandbox/fusion_procurify_accounts.csv",
        "Procurify account code <-> Fusion natural account (segment 3) table (mappings/README.md)",
    ),
    Setting(
        "fusion_procurify_department_map",
        "ML_FUSION_PROCURIFY_DEPARTMENT_MAP",
        "mappings/sandbox/fusion_procurify_departments.csv",
        "Procurify department -> Fusion company and cost center (segments 1-2) table (mappings/README.md)",
    ),
    Setting(
        "fusion_procurify_intercompany",
        "ML_FUSION_PROCURIFY_INTERCOMPANY",
        "000",
        "Fusion intercompany segment (segment 4) of every charge account the flows build",
    ),
    Setting(
        "fusion_procurify_account_segments",
        "ML_FUSION_PROCURIFY_ACCOUNT_SEGMENTS",
        "_SEGMENT1,_SEGMENT2,_SEGMENT3,_SEGMENT4",
        "the four accountCombinationsLOV attributes holding company, cost center, natural account and "
        "intercompany, comma-separated (their spelling is unconfirmed; staging fails naming this setting "
        "when none is readable)",
    ),
    Setting(
        "fusion_procurify_account_value_set",
        "ML_FUSION_PROCURIFY_ACCOUNT_VALUE_SET",
        "",
        "Fusion value set code of the natural account segment (the sandbox's: SBX_ACCOUNT): its value "
        "descriptions become the Procurify account codes' descriptions; blank = 'Fusion account <value>'",
    ),
    Setting(
        "fusion_procurify_vendor_fallback_email",
        "ML_FUSION_PROCURIFY_VENDOR_FALLBACK_EMAIL",
        "",
        "Fusion -> Procurify suppliers: e-mail address given to a new vendor (Procurify requires one; the "
        "Fusion supplier resource carries none); blank = a supplier with no vendor yet is refused",
    ),
    Setting(
        "fusion_procurify_vendor_xref",
        "ML_FUSION_PROCURIFY_VENDOR_XREF",
        "",
        "manual vendor matches file (procurify_vendor_id,fusion_supplier_number), loaded into the ledger as "
        "manual matches no flow overwrites; blank = none (`ml-connector xref` sets them one by one)",
    ),
    Setting(
        "fusion_procurify_order_source",
        "ML_FUSION_PROCURIFY_ORDER_SOURCE",
        "purchase_orders",
        "what becomes a Fusion purchase order: purchase_orders (Procurify POs) or requisitions (approved "
        "Procurify requisitions, for customers who buy in Fusion)",
        kind=Choice(("purchase_orders", "requisitions")),
    ),
    Setting(
        "fusion_procurify_order_prefix",
        "ML_FUSION_PROCURIFY_ORDER_PREFIX",
        "PFY",
        "prefix of the Fusion order number made of a Procurify PO or requisition number (PFY1187, PFYR60)",
        kind=Text(
            pattern="[A-Za-z][A-Za-z0-9-]{0,7}",
            says="1 to 8 letters, digits or dashes starting with a letter",
        ),
    ),
    Setting(
        "fusion_procurify_buyer",
        "ML_FUSION_PROCURIFY_BUYER",
        "",
        "Fusion buyer (display name) of the purchase orders the connector creates; blank = the pod's default",
    ),
    Setting(
        "sandbox_port_base",
        SANDBOX_PORT_BASE_ENV,
        str(DEFAULT_SANDBOX_PORT_BASE),
        "first of the sandbox ports: the six simulators listen on it and the next five, the webhook "
        "receiver on it + 9; every sandbox default address above moves with it (`ml-connector dev "
        "--sandbox-ports free` picks one)",
    ),
    Setting(
        "automation_default",
        "ML_AUTOMATION_DEFAULT",
        "stopped",
        "whether schedules and sensors start running on a new instance (running / stopped); `ml-connector "
        "dev` sets running on an unconfigured sandbox; a choice made in the UI wins",
        kind=Choice(("running", "stopped")),
    ),
    Setting(
        "sandbox_activity_minutes",
        "ML_SANDBOX_ACTIVITY_MINUTES",
        "5",
        "make dev: minutes between rounds of business activity in the simulators (0 = none)",
        kind=Number(unit="minutes", minimum=0),
    ),
    Setting(
        "saas_start_date", "ML_SAAS_START_DATE", "2024-01-01", "first day partition of the SaaS entity assets"
    ),
    Setting(
        "saas_overlap_minutes",
        "ML_SAAS_OVERLAP_MINUTES",
        "10",
        "minutes re-read before a SaaS entity's cursor to catch late commits",
        kind=Number(unit="minutes", minimum=0),
    ),
    Setting(
        "step_retries",
        "ML_STEP_RETRIES",
        "2",
        "retries of a source step after a transient failure (outage, throttling); other errors fail at once",
        kind=Number(whole=True, minimum=0),
    ),
    Setting(
        "step_retry_delay_seconds",
        "ML_STEP_RETRY_DELAY_SECONDS",
        "15",
        "base delay of those retries (exponential backoff with jitter)",
        kind=Number(unit="seconds", minimum=0),
    ),
    Setting(
        "run_executor",
        "ML_RUN_EXECUTOR",
        "in_process",
        "where a run's steps execute: in_process (the run's own process) or celery (Celery workers, "
        "README 'Steps on Celery workers')",
    ),
    Setting(
        "celery_broker_url",
        "ML_CELERY_BROKER_URL",
        "",
        "Celery broker when ML_RUN_EXECUTOR=celery, e.g. redis://redis:6379/0 (read at run time, never put "
        "in run config)",
    ),
    Setting(
        "celery_backend_url",
        "ML_CELERY_BACKEND_URL",
        "",
        "Celery result backend when ML_RUN_EXECUTOR=celery (blank: the broker URL)",
    ),
    Setting(
        "staging_url",
        "ML_STAGING_URL",
        "",
        "where staged Parquet partitions live: a folder or s3://bucket/prefix (blank: "
        "$DAGSTER_HOME/staging); S3 credentials and endpoint from the standard AWS variables "
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3 for MinIO), README 'Staging on "
        "object storage'",
    ),
    Setting(
        "ledger_lease_minutes",
        "ML_LEDGER_LEASE_MINUTES",
        "30",
        "how long a run's claim on a record it is creating lasts; a claim whose run or process is known "
        "to have ended is taken over at once, so this only bounds a holder on another machine Dagster does "
        "not report ended",
    ),
    Setting(
        "ledger_lease_wait_seconds",
        "ML_LEDGER_LEASE_WAIT_SECONDS",
        "60",
        "how long a write step waits, in all, for other live runs writing the same records before holding "
        "the rest in the retry queue at once",
    ),
    Setting(
        "ledger_record_batch",
        "ML_LEDGER_RECORD_BATCH",
        "50",
        "a write step claims up to this many records ahead in one commit, and records the target ids, audit "
        "events and releases of up to this many written records together, in the transaction of a later "
        "claim; a crash leaves at most this many created and not recorded, which the rerun finds by natural "
        "key and adopts, and this many claimed and not sent (1: one record at a time)",
    ),
    Setting(
        "ledger_record_batch_seconds",
        "ML_LEDGER_RECORD_BATCH_SECONDS",
        "2",
        "no written record waits longer than this for its target id to be recorded (checked at each record)",
    ),
    Setting(
        "held_alert_hours",
        "ML_HELD_ALERT_HOURS",
        "24",
        "a day's `_written` check fails when a record of that day has been held longer than this",
        kind=Number(unit="hours", minimum=0),
    ),
    Setting(
        "webhook_future_skew_seconds",
        "ML_WEBHOOK_FUTURE_SKEW_SECONDS",
        "300",
        "webhook deliveries whose event time is further in the future than this are refused",
        kind=Number(unit="seconds", minimum=0),
    ),
    Setting(
        "db_url",
        "ML_CONNECTOR_DB_URL",
        "sqlite:///$DAGSTER_HOME/ledger.sqlite",
        "ledger database (SQLAlchemy URL); postgresql://... for production",
    ),
    Setting(
        "connector_home",
        "ML_CONNECTOR_HOME",
        "",
        "folder of the SQLite ledger when ML_CONNECTOR_DB_URL is unset (blank: DAGSTER_HOME)",
    ),
    Setting(
        "vault_key",
        "ML_CONNECTOR_VAULT_KEY",
        "(none)",
        "comma-separated Fernet keys for the credential vault, newest first",
        secret=True,
    ),
    Setting(
        "home",
        "DAGSTER_HOME",
        "./.dagster_home",
        "Dagster instance folder (ml-connector dev copies dagster.yaml in)",
    ),
)


# Every declared setting by its variable: ``registered`` runs on hot paths (a lease's length per record).
# Reversed, so the first declaration of a variable wins, as a scan would find it.
_DECLARED = (*PROJECT_SETTINGS, *(s for system in SYSTEMS.values() for s in system.settings))
_BY_ENV: dict[str, Setting] = {s.env: s for s in reversed(_DECLARED)}


def registered(env: str) -> Setting:
    """The setting read from environment variable ``env``; every variable the project reads is declared in
    this module (so the README's table lists it), and reading an undeclared one is a programming error.

    ``ML_<SYSTEM>_POLL_CRON`` is one declaration for each SaaS system's poll cadence.
    """
    setting = _BY_ENV.get(env)
    if setting is not None:
        return setting
    match = re.fullmatch(r"ML_([A-Z]+)_POLL_CRON", env)
    if match and match.group(1).lower() in SYSTEMS:
        return next(s for s in PROJECT_SETTINGS if s.env == "ML_<SYSTEM>_POLL_CRON")
    raise KeyError(f"{env} is not a declared setting; declare it in connector_resources/settings.py")


def given(env: str, environ: Mapping[str, str] | None = None) -> str:
    """What the environment says for the declared setting ``env`` (stripped), or "" when unset: for
    settings whose default is computed where it is used (the ledger URL from DAGSTER_HOME, ...)."""
    registered(env)
    return (os.environ if environ is None else environ).get(env, "").strip()


def value(env: str, environ: Mapping[str, str] | None = None) -> str:
    """The declared setting ``env``: its environment variable when set and non-blank, else its default."""
    return given(env, environ) or registered(env).default_value(environ)


def read(env: str, environ: Mapping[str, str] | None = None) -> Any:
    """The declared setting ``env`` typed by its kind (``Setting.read``): the one way to read a setting whose
    value is not free text."""
    return registered(env).read(environ)


def on_off(env: str, text: str) -> bool:
    """An on / off ``text`` for the setting ``env`` (on, true, yes, 1 or their opposites): for a value read
    under another variable's name (a renamed setting's old variable)."""
    try:
        return OnOff().parse(text)
    except Refused as refused:
        raise SettingError(f"{env}={text.strip().lower()!r}: say {refused}") from None


def export(env: str, text: str) -> None:
    """Set the declared setting ``env`` for this process and the processes it starts (``ml-connector dev``
    passes the sandbox port base and the automation default to Dagster this way)."""
    registered(env)
    os.environ[env] = text


def referenced(variable: str) -> str:
    """The variable a secret's ``env:VARIABLE`` reference names: any name the operator chose, so it is not
    a declared setting; "" when unset."""
    return os.environ.get(variable, "")


def system(key: str) -> System:
    try:
        return SYSTEMS[key]
    except KeyError:
        raise KeyError(f"unknown system {key!r}; known: {', '.join(SYSTEMS)}") from None


def markdown_table() -> str:
    """The README configuration table, generated so it cannot drift from the code."""
    lines = ["| variable | system | default (sandbox) | meaning |", "|---|---|---|---|"]
    for sys_ in SYSTEMS.values():
        for s in sys_.settings:
            default = "(sandbox value)" if s.secret else (f"`{s.default}`" if s.default else "(blank)")
            note = " (secret reference)" if s.secret else ""
            lines.append(f"| `{s.env}` | {sys_.key} | {default} | {s.help}{note} |")
    for s in PROJECT_SETTINGS:
        default = f"`{s.default}`" if s.default else "(blank)"
        lines.append(f"| `{s.env}` | project | {default} | {s.help} |")
    return "\n".join(lines)
