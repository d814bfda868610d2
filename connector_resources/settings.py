"""Connection settings for every external system, declared as data.

One table drives three things: the values resources are built with, the configuration table in
docs/configuration.md (a test keeps the two in step) and ``ml-connector ping``. Every setting can be
given by an environment variable so a deployment can point any integration at any host; with none set,
the sandbox defaults apply, which is the embedded default ``make dev`` starts.

Secret settings hold a *reference*, not necessarily the value: ``vault:NAME`` (read from the credential
vault at use time), ``env:VAR`` (another environment variable) or, for the sandbox defaults only, the
literal value. Resources resolve them with ``connector_resources.vault.resolve_secret`` when they log in,
so no secret is ever part of Dagster run config.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from connector_resources.configured_settings import configured
from connector_resources.first_day import RecentOnRealSystems
from connector_resources.setting_kinds import EMAIL, Choice, Items, Kind, Number, OnOff, Refused, Text

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
    real_default: RecentOnRealSystems | None = None  # a first day's default against real systems

    @property
    def meaning(self) -> str:
        """What the configuration table says the setting is (its help, and its default on real systems)."""
        return self.help + (self.real_default.note() if self.real_default is not None else "")

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The effective value as its kind types it; a ``SettingError`` naming the variable, what it holds,
        what is expected and the default, when the kind refuses it."""
        raw = (
            (os.environ if environ is None else environ).get(self.env, "").strip()
            or (configured(self.env) if environ is None else "")
            or self.default_value(environ)
        )
        try:
            return self.kind.parse(raw)
        except Refused as refused:
            raise SettingError(f"{self.env}={raw!r}: expected {refused}; default {self.default!r}") from None

    def default_value(self, environ: Mapping[str, str] | None = None) -> str:
        """The default in force: a sandbox address moves with ``ML_SANDBOX_PORT_BASE`` (see
        ``sandbox_port``), so every system's default follows the simulators when they move together; a first
        day partition is a recent day against real systems (``first_day``)."""
        if self.real_default is not None and self.real_default.applies(
            os.environ if environ is None else environ
        ):
            return self.real_default.day()
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


def _base_url(env: str, default: str, help: str) -> Setting:
    """A system's ``base_url``: where its API answers (the sandbox's by default), checked as a URL."""
    return Setting("base_url", env, default, help, is_url=True)


def _login(env: str, username: str, password: str, user: str) -> tuple[Setting, Setting]:
    """The user a connector logs in as (``user`` says which) and its password (``<env>_USERNAME`` /
    ``_PASSWORD``)."""
    return (
        Setting("username", f"{env}_USERNAME", username, user),
        Setting("password", f"{env}_PASSWORD", password, "password of that user", secret=True),
    )


def _oauth_client(env: str, sandbox_secret: str, kind: str = "OAuth2") -> tuple[Setting, Setting]:
    """The id and secret of an OAuth2 client-credentials client (``<env>_CLIENT_ID`` / ``_CLIENT_SECRET``)."""
    return (
        Setting("client_id", f"{env}_CLIENT_ID", "ml-connector-sandbox", f"{kind} client id"),
        Setting(
            "client_secret", f"{env}_CLIENT_SECRET", sandbox_secret, f"{kind} client secret", secret=True
        ),
    )


def _webhook_max_age(env: str, minutes: str, refused: str) -> Setting:
    """``<env>_WEBHOOK_MAX_AGE_MINUTES``: deliveries older are refused (``refused`` says which, and why)."""
    return Setting(
        "webhook_max_age_minutes",
        f"{env}_WEBHOOK_MAX_AGE_MINUTES",
        minutes,
        refused,
        kind=Number(unit="minutes", above=0),
    )


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
    "desk": 8721,  # the exceptions desk ml-connector dev runs beside them
}
# The two servers of ours in that block; the rest are the simulators.
SERVER_PORT_KEYS = ("webhooks", "desk")
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


_SYSTEMS: tuple[System, ...] = (
    System(
        "jde_ais",
        "JD Edwards EnterpriseOne AIS server",
        (
            _base_url("ML_JDE_AIS_URL", _url(8711, "/jderest"), "AIS base URL up to and including /jderest"),
            *_login("ML_JDE", "INTEGR8", "integr8-sandbox", "AIS user the connector logs in as"),
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
                "start_date",
                "ML_JDE_START_DATE",
                "2024-01-01",
                "first day partition of the JDE assets (what a backfill of every partition reads)",
                real_default=RecentOnRealSystems(("ML_JDE_AIS_URL",)),
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
            _base_url("ML_COUPA_URL", _url(8712), "instance URL, e.g. https://acme.coupahost.com"),
            *_oauth_client("ML_COUPA", "sandbox-coupa-secret"),
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
            _webhook_max_age(
                "ML_COUPA",
                "1440",
                "call-outs whose event time is older are refused (retry policy undocumented; polling "
                "covers later resends)",
            ),
        ),
    ),
    System(
        "bill",
        "BILL v3 API",
        (
            _base_url(
                "ML_BILL_URL",
                _url(8713, "/connect"),
                "API gateway base up to /connect (gateway.stage or gateway.prod)",
            ),
            *_login("ML_BILL", "sandbox@ml-connector.invalid", "sandbox-bill", "BILL API user name"),
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
            _webhook_max_age(
                "ML_BILL",
                "4320",
                "deliveries whose event time is older are refused (retry span undocumented; a refused "
                "delivery is retried until BILL disables the subscription, so keep this wide)",
            ),
        ),
    ),
    System(
        "procurify",
        "Procurify API",
        (
            _base_url("ML_PROCURIFY_URL", _url(8714), "customer domain, e.g. https://acme.procurify.com"),
            *_oauth_client("ML_PROCURIFY", "sandbox-procurify-secret"),
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
            _base_url("ML_PROCORE_URL", _url(8715), "API host (api.procore.com or sandbox.procore.com)"),
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
            *_oauth_client("ML_PROCORE", "sandbox-procore-secret", "DMSA OAuth2"),
            Setting(
                "webhook_token",
                "ML_PROCORE_WEBHOOK_TOKEN",
                "sandbox-procore-hook",
                "value of the destination header Procore sends with every webhook",
                secret=True,
            ),
            _webhook_max_age(
                "ML_PROCORE",
                "780",
                "deliveries whose timestamp is older are refused (Procore retries for 12 hours, then "
                "discards)",
            ),
        ),
    ),
    System(
        "fusion",
        "Oracle Fusion Cloud ERP REST API",
        (
            _base_url("ML_FUSION_URL", _url(8716), "pod URL, e.g. https://xxxx.fa.us2.oraclecloud.com"),
            Setting(
                "token_url",
                "ML_FUSION_TOKEN_URL",
                _url(8716, "/oauth2/v1/token"),
                "identity domain token URL (OAuth); leave as is for basic auth",
                is_url=True,
            ),
            *_oauth_client("ML_FUSION", "sandbox-fusion-secret"),
            Setting("scope", "ML_FUSION_SCOPE", "urn:opc:resource:consumer::all", "OAuth2 scope"),
            Setting("auth", "ML_FUSION_AUTH", "oauth", "oauth (client credentials) or basic"),
            *_login("ML_FUSION", "ml.integration", "sandbox-fusion", "Fusion user for basic auth"),
            Setting(
                "business_unit",
                "ML_FUSION_BUSINESS_UNIT",
                "US1 Business Unit",
                "procurement / payables business unit",
                kind=Text(required=True, says="the Fusion payables business unit"),
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
SYSTEMS: dict[str, System] = {s.key: s for s in _SYSTEMS}

# The SaaS systems whose entity assets share one daily partitioning (``ML_SAAS_START_DATE``).
SAAS_BASE_URLS = tuple(system.setting("base_url").env for key, system in SYSTEMS.items() if key != "jde_ais")

# Settings of the project itself (not of a connection); listed in the same table (docs/configuration.md).
PROJECT_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "integrations",
        "ML_INTEGRATIONS",
        "all",
        "an override of which integration instances of the defs folder run (docs/components.md), "
        "comma-separated (e.g. `jde_coupa,coupa_jde`; an unknown name is refused naming the instances there "
        "are): Dagster builds only their assets, jobs, schedules and sensors and the system sides they read, "
        "`replay` and `ping` reach only them; `all`: every instance",
        kind=Items(noun="integration names", case="lower"),
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
        "jde_duplicate_payment_codes",
        "ML_JDE_DUPLICATE_PAYMENT_CODES",
        "59AB",
        "JDE error codes that refuse ML_RecordPayment as a payment reference already recorded on the voucher "
        "(the contract's 59AB; a JDE that numbered its error items otherwise, e.g. 4014): such a refusal is "
        "our earlier payment, adopted, when F0414 does not show it (a refusal whose title says duplicate is "
        "too); comma-separated",
        kind=Items(noun="JDE error codes", case="upper", at_least=0),
    ),
    Setting(
        "jde_bill_vendor_addresses",
        "ML_JDE_BILL_VENDOR_ADDRESSES",
        "",
        "deprecated name of ML_JDE_SUPPLIER_ADDRESSES (honoured, with a warning, when that is unset)",
    ),
    Setting(
        "saas_poll_cron",
        "ML_<SYSTEM>_POLL_CRON",
        "*/15 * * * *",
        "current-day poll of a SaaS system's entities",
    ),
    Setting("retry_cron", "ML_RETRY_CRON", "*/15 * * * *", "replay of due retry-queue records"),
    Setting(
        "procore_jde_vendor_bank_fields",
        "ML_PROCORE_JDE_VENDOR_BANK_FIELDS",
        "",
        "Procore -> JDE vendors: the Procore vendor fields holding bank routing and account number "
        "(routing_field,account_field; Procore documents none, so blank = banking is not moved)",
        kind=Text(
            pattern=r"[^,\s]+\s*,\s*[^,\s]+",
            says="two Procore vendor fields, routing then account (e.g. routing_number,account_number), "
            "or blank",
        ),
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
        "backfill_loop_seconds",
        "ML_BACKFILL_LOOP_SECONDS",
        "3",
        "how often the Dagster daemon started as `python -m connector_cli.dagster_daemon` (what "
        "`ml-connector dev` runs) looks for backfill work; Dagster's own daemon waits 30 s, which a short "
        "backfill pays twice",
        kind=Number(unit="seconds", minimum=1),
    ),
    Setting(
        "sandbox_activity_minutes",
        "ML_SANDBOX_ACTIVITY_MINUTES",
        "5",
        "make dev: minutes between rounds of business activity in the simulators (0 = none)",
        kind=Number(unit="minutes", minimum=0),
    ),
    Setting(
        "saas_start_date",
        "ML_SAAS_START_DATE",
        "2024-01-01",
        "first day partition of the SaaS entity assets (what a backfill of every partition reads)",
        real_default=RecentOnRealSystems(SAAS_BASE_URLS),
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
        "docs/deployment.md 'Steps on Celery workers')",
        kind=Choice(("in_process", "celery")),
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
        "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3 for MinIO), docs/deployment.md "
        "'Staging on object storage'",
    ),
    Setting(
        "ledger_lease_minutes",
        "ML_LEDGER_LEASE_MINUTES",
        "30",
        "how long a run's claim on a record it is creating lasts; a claim whose run or process is known "
        "to have ended is taken over at once, so this only bounds a holder on another machine Dagster does "
        "not report ended",
        kind=Number(unit="minutes", above=0),
    ),
    Setting(
        "ledger_lease_wait_seconds",
        "ML_LEDGER_LEASE_WAIT_SECONDS",
        "60",
        "how long a write step waits, in all, for other live runs writing the same records before holding "
        "the rest in the retry queue at once",
        kind=Number(unit="seconds", above=0),
    ),
    Setting(
        "ledger_record_batch",
        "ML_LEDGER_RECORD_BATCH",
        "50",
        "a write step claims up to this many records ahead in one commit, and records the target ids, audit "
        "events and releases of up to this many written records together, in the transaction of a later "
        "claim; a crash leaves at most this many created and not recorded, which the rerun finds by natural "
        "key and adopts, and this many claimed and not sent (1: one record at a time)",
        kind=Number(unit="records", whole=True, minimum=1),
    ),
    Setting(
        "ledger_record_batch_seconds",
        "ML_LEDGER_RECORD_BATCH_SECONDS",
        "2",
        "no written record waits longer than this for its target id to be recorded (checked at each record)",
        kind=Number(unit="seconds", minimum=0),
    ),
    Setting(
        "parent_pull_limit",
        "ML_PARENT_PULL_LIMIT",
        "200",
        "a write step reads and writes at most this many parents the ledger never synced (a supplier "
        "unchanged since before the first day) that its records wait for, through the parents' own flow, in "
        "the same run; the rest wait for the next run, and the step says how many it left (0: never pull)",
        kind=Number(unit="parents", whole=True, minimum=0),
    ),
    Setting(
        "gl_date_policy",
        "ML_GL_DATE_POLICY",
        "refuse",
        "money into an ERP dated in a closed accounting period: `refuse` holds it, naming the document, its "
        "date and the period, until the period opens (nothing sent meanwhile); `first_open_day` posts it on "
        "the first day of the earliest open period, keeping the source date on the document and in the "
        "audit trail. `ML_<INTEGRATION>_GL_DATE_POLICY` overrides it per integration",
        kind=Choice(("refuse", "first_open_day")),
    ),
    Setting(
        "jde_ap_periods",
        "ML_JDE_AP_PERIODS",
        "ap",
        "which F0010 columns hold a company's current A/P period, by which vouchers and payments are judged: "
        "`ap` (APPN / APFJ) or `gl` (PNC / DFYJ, the G/L period); journal entries always use the G/L one",
        kind=Choice(("ap", "gl")),
    ),
    Setting(
        "jde_pbco_allowed",
        "ML_JDE_PBCO_ALLOWED",
        "off",
        "on when JDE's General Accounting Constants allow PBCO postings: a G/L date before the current "
        "period is then sent (JDE warns) instead of held as closed",
        kind=OnOff(),
    ),
    Setting(
        "fusion_periods_resource",
        "ML_FUSION_PERIODS_RESOURCE",
        "accountingPeriodStatusLOV",
        "the Fusion REST resource that lists accounting period statuses (ClosingStatus per period, ledger "
        "and application), by which Payables invoices' accounting dates are judged; only its path and key "
        "are confirmed",
        kind=Text(required=True, pattern=r"[A-Za-z][A-Za-z0-9_]*", says="a Fusion REST resource name"),
    ),
    Setting(
        "fusion_payables_application_id",
        "ML_FUSION_PAYABLES_APPLICATION_ID",
        "200",
        "Payables' ApplicationId in those period statuses (200 in E-Business Suite; unconfirmed for Fusion)",
        kind=Number(whole=True, minimum=1),
    ),
    Setting(
        "fusion_ledger_id",
        "ML_FUSION_LEDGER_ID",
        "300000046975971",
        "the LedgerId of ML_FUSION_BUSINESS_UNIT's ledger (Setup and Maintenance, Manage Primary Ledgers), "
        "whose Payables periods say which accounting dates are open; the default is the sandbox's US1 "
        "ledger",
        kind=Text(required=True, pattern=r"\d{1,20}", says="a numeric Fusion LedgerId"),
    ),
    Setting(
        "held_alert_hours",
        "ML_HELD_ALERT_HOURS",
        "24",
        "a wait older than this needs a person (`connector_resources/needs_person.py`): a day's `_written` "
        "check fails when a record of that day has been held longer than this",
        kind=Number(unit="hours", minimum=0),
    ),
    Setting(
        "freshness_hours",
        "ML_FRESHNESS_HOURS",
        "26",
        "a flow whose `_written` asset has not materialized for this long fails its freshness policy (the "
        "UI marks it stale) and an alert is sent (docs/alerts.md)",
        kind=Number(unit="hours", above=0),
    ),
    Setting(
        "alert_slack_webhook_url",
        "ML_ALERT_SLACK_WEBHOOK_URL",
        "",
        "Slack incoming-webhook URL alerts are posted to (blank: no Slack alerts; docs/alerts.md)",
        secret=True,
    ),
    Setting(
        "alert_teams_webhook_url",
        "ML_ALERT_TEAMS_WEBHOOK_URL",
        "",
        "Microsoft Teams incoming-webhook (Workflows) URL alerts are posted to (blank: no Teams alerts)",
        secret=True,
    ),
    Setting(
        "alert_email_to",
        "ML_ALERT_EMAIL_TO",
        "",
        "addresses alerts are e-mailed to, comma-separated (blank: no e-mail alerts); sent through "
        "ML_ALERT_SMTP_HOST",
        kind=Items(noun="e-mail addresses", at_least=0),
    ),
    Setting(
        "alert_email_from",
        "ML_ALERT_EMAIL_FROM",
        "ml-connector@localhost.localdomain",
        "sender address of alert e-mails",
        kind=EMAIL,
    ),
    Setting("alert_smtp_host", "ML_ALERT_SMTP_HOST", "", "SMTP server alert e-mails are sent through"),
    Setting(
        "alert_smtp_port",
        "ML_ALERT_SMTP_PORT",
        "587",
        "port of that SMTP server",
        kind=Number(whole=True, minimum=1, maximum=65535),
    ),
    Setting(
        "alert_smtp_starttls",
        "ML_ALERT_SMTP_STARTTLS",
        "on",
        "on: upgrade the SMTP connection with STARTTLS before logging in (off only for a relay on the "
        "same host)",
        kind=OnOff(),
    ),
    Setting("alert_smtp_username", "ML_ALERT_SMTP_USERNAME", "", "SMTP login (blank: no login)"),
    Setting(
        "alert_smtp_password",
        "ML_ALERT_SMTP_PASSWORD",
        "",
        "password of that SMTP login (vault:NAME, env:VAR or the value)",
        secret=True,
    ),
    Setting(
        "alert_ui_url",
        "ML_ALERT_UI_URL",
        "",
        "address of the Dagster UI as operators reach it (e.g. https://dagster.acme.com), so alerts link to "
        "the run or asset; blank: no links",
    ),
    Setting(
        "asset_owners",
        "ML_ASSET_OWNERS",
        "",
        "owners shown on every asset in the Dagster UI, comma-separated: e-mail addresses or team:name "
        "(blank: no owners)",
        kind=Items(
            noun="owners (e-mail addresses or team:name)",
            at_least=0,
            # What Dagster accepts as an owner (``is_valid_owner``), so a value read here loads.
            pattern=r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,7}|team:.+",
        ),
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
        "desk_host",
        "ML_DESK_HOST",
        "127.0.0.1",
        "address the exceptions desk (ml-connector desk) listens on: 127.0.0.1 is this machine only; "
        "0.0.0.0 behind a reverse proxy or in a pod",
    ),
    Setting(
        "desk_port",
        "ML_DESK_PORT",
        "3100",
        "port the exceptions desk listens on",
        kind=Number(whole=True, minimum=1, maximum=65535),
    ),
    Setting(
        "desk_url",
        "ML_DESK_URL",
        "",
        "the desk's address as people reach it, for the links the Dagster UI's checks give to it (blank: "
        "http://ML_DESK_HOST:ML_DESK_PORT)",
    ),
    Setting(
        "desk_proxy_header",
        "ML_DESK_PROXY_HEADER",
        "",
        "the header in which a trusted reverse proxy names the signed-in user (oauth2-proxy: "
        "X-Forwarded-User or X-Auth-Request-User); blank: no proxy, the desk's own accounts only",
    ),
    Setting(
        "desk_trusted_proxies",
        "ML_DESK_TRUSTED_PROXIES",
        "",
        "addresses or networks (comma-separated: 10.0.0.5,10.1.0.0/16) whose requests may carry that header; "
        "from any other address the header is refused and the refusal logged",
    ),
    Setting(
        "desk_groups_header",
        "ML_DESK_GROUPS_HEADER",
        "",
        "the header in which the proxy lists the user's groups, comma-separated (oauth2-proxy: "
        "X-Forwarded-Groups); blank: none",
    ),
    Setting(
        "desk_operators",
        "ML_DESK_OPERATORS",
        "",
        "users or groups (comma-separated) the proxy signs in as operators, who may act; everyone else the "
        "proxy signs in is a viewer, who may only look",
    ),
    Setting(
        "desk_admins",
        "ML_DESK_ADMINS",
        "",
        "users or groups (comma-separated) the proxy signs in as admins, who act as operators do and also "
        "turn integrations on and off at the Live page",
    ),
    Setting(
        "desk_session_hours",
        "ML_DESK_SESSION_HOURS",
        "12",
        "how long a sign-in with a desk account lasts",
        kind=Number(unit="hours", above=0),
    ),
    Setting(
        "desk_local_operator",
        "ML_DESK_LOCAL_OPERATOR",
        "",
        "make dev only: every request from this machine is this operator, with no sign-in; refused unless "
        "the desk listens on 127.0.0.1 (blank: off)",
    ),
    Setting(
        "dagster_url",
        "ML_DAGSTER_URL",
        "http://127.0.0.1:3000",
        "the Dagster webserver's address, through whose GraphQL `ml-connector live` and the desk's Live page "
        "turn schedules and sensors on and off (make dev: its own, found by itself)",
    ),
    Setting(
        "live_fit_days",
        "ML_LIVE_FIT_DAYS",
        "7",
        "how old the latest fit of the whole integration may be for `ml-connector live on` to turn it on",
        kind=Number(unit="days", above=0),
    ),
    Setting(
        "home",
        "DAGSTER_HOME",
        "./.dagster_home",
        "Dagster instance folder (ml-connector dev copies dagster.yaml in)",
    ),
)


# Every setting this module declares, by its variable: ``registered`` runs on hot paths (a lease's length per
# record). Reversed, so the first declaration of a variable wins, as a scan would find it.
_DECLARED = (*PROJECT_SETTINGS, *(s for system in SYSTEMS.values() for s in system.settings))
_BY_ENV: dict[str, Setting] = {s.env: s for s in reversed(_DECLARED)}

# Each integration declares its own settings next to its flows (``connector_assets/integrations/<name>/
# settings.toml``, variables ``ML_<NAME>_...``). Nothing is registered: a variable of an
# integration is looked up in that file by its prefix, read once per process, so a setting is found
# whoever asks first (a resource, ``ping``) and importing a module changes no table.
INTEGRATION_PACKAGES = "connector_assets.integrations"


def checked_settings(integration: str, declared: tuple[Setting, ...]) -> tuple[Setting, ...]:
    """``integration``'s ``declared`` settings, each under its ``ML_<INTEGRATION>_`` prefix and none declared
    here or twice: a variable declared twice is a programming error, refused naming it."""
    prefix = f"ML_{integration.upper()}_"
    seen: set[str] = set()
    for setting in declared:
        if not setting.env.startswith(prefix):
            raise ValueError(f"{integration}: setting {setting.env} must start with {prefix}")
        if setting.env in _BY_ENV or setting.env in seen:
            raise ValueError(f"{setting.env} is declared twice")
        seen.add(setting.env)
    return declared


@functools.cache
def _integrations_root() -> Path | None:
    """The folder of the integration packages, found without importing them (importing would run their
    definitions, which ask for their settings)."""
    import importlib.util

    spec = importlib.util.find_spec(INTEGRATION_PACKAGES.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / INTEGRATION_PACKAGES.split(".")[1]


@functools.cache
def _integration_names() -> tuple[str, ...]:
    """The integration packages that declare settings: those with a ``settings.toml``."""
    from connector_resources.setting_declarations import DECLARATIONS

    root = _integrations_root()
    return () if root is None else tuple(sorted(p.parent.name for p in root.glob(f"*/{DECLARATIONS}")))


@functools.cache
def _declared_by(integration: str) -> dict[str, Setting]:
    """``integration``'s settings by variable, as its package's ``settings.toml`` declares them."""
    from connector_resources.setting_declarations import DECLARATIONS, declared_settings

    root = _integrations_root()
    assert root is not None, "no integration packages to read settings from"
    return {s.env: s for s in declared_settings(integration, root / integration / DECLARATIONS)}


def integration_of(env: str) -> str | None:
    """The integration whose ``settings.toml`` declares ``env`` (None: no integration's)."""
    for name in _integration_names():
        if env.startswith(f"ML_{name.upper()}_") and env in _declared_by(name):
            return name
    return None


def _integration_setting(env: str) -> Setting | None:
    """The integration setting read from ``env``, in the settings of the integration its prefix names."""
    name = integration_of(env)
    return None if name is None else _declared_by(name)[env]


def integration_settings() -> dict[str, tuple[Setting, ...]]:
    """Every integration's settings, by integration name (sorted)."""
    return {name: tuple(_declared_by(name).values()) for name in _integration_names()}


def all_settings() -> list[Setting]:
    """Every declared setting: the systems', the project's, then each integration's."""
    return [
        *(s for system in SYSTEMS.values() for s in system.settings),
        *PROJECT_SETTINGS,
        *(s for declared in integration_settings().values() for s in declared),
    ]


def registered(env: str) -> Setting:
    """The setting read from environment variable ``env``; every variable the project reads is declared in
    this module or in its integration's ``settings.toml`` (so docs/configuration.md lists it), and reading an
    undeclared one is a programming error.

    ``ML_<SYSTEM>_POLL_CRON`` is one declaration for each SaaS system's poll cadence.
    """
    setting = _BY_ENV.get(env)
    if setting is not None:
        return setting
    found = _integration_setting(env)
    if found is not None:
        return found
    match = re.fullmatch(r"ML_([A-Z]+)_POLL_CRON", env)
    if match and match.group(1).lower() in SYSTEMS:
        return next(s for s in PROJECT_SETTINGS if s.env == "ML_<SYSTEM>_POLL_CRON")
    _integration_names.cache_clear()  # a package added since the folder was read (a test's own)
    found = _integration_setting(env)
    if found is not None:
        return found
    raise KeyError(
        f"{env} is not a declared setting; declare it in connector_resources/settings.py or in its "
        "integration's settings.py"
    )


def given(env: str, environ: Mapping[str, str] | None = None) -> str:
    """What the environment (else a component instance's YAML) says for the declared setting ``env``
    (stripped), or "" when unset: for
    settings whose default is computed where it is used (the ledger URL from DAGSTER_HOME, ...)."""
    registered(env)
    given = (os.environ if environ is None else environ).get(env, "").strip()
    return given or (configured(env) if environ is None else "")


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


def export_for_now(env: str, text: str) -> Callable[[], None]:
    """``export`` the declared setting ``env``, returning what puts its previous value back (unset if it was
    unset): for a command that sets a value for its own run only (``connector_cli.dev_discovery``)."""
    registered(env)
    before = os.environ.get(env)
    os.environ[env] = text

    def put_back() -> None:
        if before is None:
            os.environ.pop(env, None)
        else:
            os.environ[env] = before

    return put_back


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
    """The configuration table of docs/configuration.md, generated so it cannot drift from the code."""
    lines = ["| variable | system | default (sandbox) | meaning |", "|---|---|---|---|"]
    for sys_ in SYSTEMS.values():
        for s in sys_.settings:
            default = "(sandbox value)" if s.secret else (f"`{s.default}`" if s.default else "(blank)")
            note = " (secret reference)" if s.secret else ""
            lines.append(f"| `{s.env}` | {sys_.key} | {default} | {s.meaning}{note} |")
    for s in PROJECT_SETTINGS:
        default = f"`{s.default}`" if s.default else "(blank)"
        lines.append(f"| `{s.env}` | project | {default} | {s.meaning} |")
    for integration, declared in integration_settings().items():
        for s in declared:
            default = f"`{s.default}`" if s.default else "(blank)"
            lines.append(f"| `{s.env}` | {integration} | {default} | {s.help} |")
    return "\n".join(lines)
