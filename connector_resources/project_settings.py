"""The settings of the project itself (not of a connection to one system): which integrations run, the
ledger, the run executor, alerts, the desk, the sandbox port base ... Listed in the one table
(``connector_resources.settings``, docs/configuration.md) after the systems' own.

A setting that belongs to one system's connection is declared in that system's package instead
(``connector_resources/<system>/system.py``); the ``ML_JDE_...`` and ``ML_FUSION_...`` settings here are the
flows' choices about those systems (which optional JDE tables to read, how periods are judged), which
would otherwise mark the system as configured (``System.is_configured``: a real one, not the sandbox).
"""

from __future__ import annotations

from connector_resources.first_day import RecentOnRealSystems
from connector_resources.setting_kinds import EMAIL, Choice, Items, Number, OnOff, Text
from connector_resources.setting_model import DEFAULT_SANDBOX_PORT_BASE, SANDBOX_PORT_BASE_ENV, Setting


def saas_base_urls() -> tuple[str, ...]:
    """The base URL settings of the systems whose SaaS entity assets share one daily partitioning
    (``ML_SAAS_START_DATE``): every declared system with a change feed."""
    from connector_resources.systems import declared_systems

    return tuple(s.setting("base_url").env for s in declared_systems() if s.client is not None)


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
        "dev_stop_wait_seconds",
        "ML_DEV_STOP_WAIT_SECONDS",
        "30",
        "make dev: on Ctrl-C, how long runs in flight may finish before they are canceled (marked "
        "CANCELED, never failed); a second Ctrl-C cancels them at once",
        kind=Number(unit="seconds", minimum=0),
    ),
    Setting(
        "saas_start_date",
        "ML_SAAS_START_DATE",
        "2024-01-01",
        "first day partition of the SaaS entity assets (what a backfill of every partition reads)",
        real_default=RecentOnRealSystems(saas_base_urls),
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
        "Dagster instance folder (ml-connector dev copies dagster.yaml in); unset: .dagster_home in the "
        "project folder (the one holding workspace.yaml at or above the current directory); outside a "
        "project a command is refused",
    ),
)
