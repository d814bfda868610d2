"""JD Edwards EnterpriseOne's AIS server as the project knows it: its settings, its simulator's port and
its ``ml-connector ping`` check (``connector_resources.system_declaration``). Flows and the ledger name it
``JDE``; it has no SaaS change feed (its tables are read by ``connector_assets.jde``) and no webhooks.
"""

from __future__ import annotations

from connector_resources.first_day import RecentOnRealSystems
from connector_resources.jde.resource import JdeAisResource, register_jde_ping
from connector_resources.setting_kinds import Number
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import Needs, Sandbox, System, base_url, login

SANDBOX = Sandbox(
    8711,
    "/jderest",
    activity={"new_suppliers": 2, "updated_suppliers": 2, "new_purchase_orders": 3, "new_vouchers": 3},
)


def _flow_ping(reads: Needs, writes: Needs) -> None:
    """Read each table the enabled flows read and look each orchestration they call up in ``discover``."""
    register_jde_ping(reads, writes)


SYSTEM = System(
    "jde_ais",
    "JD Edwards EnterpriseOne AIS server",
    (
        base_url("ML_JDE_AIS_URL", SANDBOX.url(), "AIS base URL up to and including /jderest"),
        *login("ML_JDE", "INTEGR8", "integr8-sandbox", "AIS user the connector logs in as"),
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
            "voucher_processor_version",
            "ML_JDE_VOUCHER_PROCESSOR_VERSION",
            "ZJDE0001",
            "the version of R04110ZA (Batch Voucher Processor) the site schedules; `ml-connector ping` "
            "reads its processing options (poservice) to say whether it purges processed batch rows",
        ),
        Setting(
            "page_size",
            "ML_JDE_PAGE_SIZE",
            "500",
            "rows per data-service page (maxPageSize); the server's DB Fetch Limit (jas.ini, default "
            "2000) caps it, and memory holds at most two pages per read",
        ),
        Setting(
            "next_page_interval_ms",
            "ML_JDE_NEXT_PAGE_INTERVAL_MS",
            "1000",
            "nextPageTimeInterval (ms) sent with every paged data-service read: 1000 or less, AIS fetches "
            "a next page only when it is asked for (the connector asks at once, a page ahead); more, AIS "
            "pre-fetches rows in the background for that long, which must stay below the HTML server's "
            "resultSetTimeout (jdbj.ini, default 60 s). Oracle sets no default: omitted, AIS pre-fetches "
            "every 5 s until the set is read or times out",
            kind=Number(unit="ms", whole=True, minimum=0),
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
    resource=JdeAisResource,
    sandbox=SANDBOX,
    flow_name="JDE",
    ping=register_jde_ping,
    flow_ping=_flow_ping,
    reading_posts=("/v2/dataservice",),  # the data service reads with a POST of its query
)
