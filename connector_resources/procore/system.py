"""Procore as the project knows it: its settings, its simulator's port, its ``ml-connector ping`` check, its
change feed (the SaaS source assets), its concurrency pool per app and its webhook endpoint
(``connector_resources.system_declaration``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from connector_resources.procore.entities import ENTITY_SPECS
from connector_resources.procore.resource import (
    CONCURRENCY_POOL_LIMIT,
    ProcoreResource,
    register_procore_ping,
)
from connector_resources.procore.session import ProcoreSession
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import (
    ApiPool,
    Needs,
    SaasClient,
    Sandbox,
    System,
    base_url,
    max_age,
    oauth_client,
    webhook_max_age,
)

if TYPE_CHECKING:
    from connector_resources.webhooks.sources import WebhookSource

SANDBOX = Sandbox(8715, activity={"new_commitments": 1, "updated_requisitions": 1})


def _flow_ping(reads: Needs, writes: Needs) -> None:
    """Add one read of each line endpoint the flows read; writes are said unchecked."""
    from connector_resources.flow_pings import with_write_note
    from connector_resources.ping import _checks, register_ping
    from connector_resources.procore.line_pings import with_line_reads

    if SYSTEM.key in _checks:
        register_ping(SYSTEM.key, with_write_note(with_line_reads(_checks[SYSTEM.key], reads), writes))


def _paths(entity: str) -> tuple[str, ...]:
    return tuple(source.path for source in ENTITY_SPECS[entity].sources)


def _pool() -> str:
    return ProcoreResource.from_settings().concurrency_pool


def _webhook_sources(environ: Mapping[str, str] | None, future_skew: timedelta) -> dict[str, WebhookSource]:
    """The one endpoint of the hook, its token re-read when a delivery does not verify (``ml-connector
    procore-webhooks create / rotate`` store a new one in the vault while the receiver runs)."""
    from connector_resources.procore.webhook_source import procore_source
    from connector_resources.webhooks.live_secret import LiveSecret

    token = LiveSecret(SYSTEM.values(environ)["webhook_token"])
    token.prime()
    return {
        "procore": procore_source(
            "procore", token=token, max_age=max_age(SYSTEM, environ), future_skew=future_skew
        )
    }


SYSTEM = System(
    "procore",
    "Procore REST API",
    (
        base_url("ML_PROCORE_URL", SANDBOX.url(), "API host (api.procore.com or sandbox.procore.com)"),
        Setting(
            "auth_url",
            "ML_PROCORE_AUTH_URL",
            SANDBOX.url(),
            "login host (login.procore.com or login-sandbox.procore.com)",
            is_url=True,
        ),
        Setting(
            "company_id",
            "ML_PROCORE_COMPANY_ID",
            "4264807",
            "Procore company id(s) (Procore-Company-Id); comma-separated for several companies of "
            "one app, the first is the default",
            account=True,
        ),
        Setting(
            "project_ids",
            "ML_PROCORE_PROJECT_IDS",
            "",
            "comma-separated project ids (blank: every permitted project)",
        ),
        *oauth_client("ML_PROCORE", "sandbox-procore-secret", "DMSA OAuth2"),
        Setting(
            "webhook_token",
            "ML_PROCORE_WEBHOOK_TOKEN",
            "sandbox-procore-hook",
            "value of the destination header Procore sends with every webhook",
            secret=True,
        ),
        webhook_max_age(
            "ML_PROCORE",
            "780",
            "deliveries whose timestamp is older are refused (Procore retries for 12 hours, then discards)",
        ),
    ),
    resource=ProcoreResource,
    sandbox=SANDBOX,
    ping=register_procore_ping,
    flow_ping=_flow_ping,
    client=SaasClient(ProcoreSession, "Procore", _paths),
    # Procore limits calls per app (hourly and 10-second windows, reference §3), whatever the company: its
    # reads (every configured company in one step) are in one pool per app, ``procore_<client id>``.
    pool=ApiPool("procore_", CONCURRENCY_POOL_LIMIT, _pool),
    webhooks=_webhook_sources,
)
