"""BILL as the project knows it: its settings, its simulator's port, its ``ml-connector ping`` check, its
change feed (the SaaS source assets), its concurrency pool per organization and its webhook endpoint
(``connector_resources.system_declaration``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from connector_resources.bill.listing import ENTITY_SPECS
from connector_resources.bill.resource import (
    CONCURRENCY_POOL_LIMIT,
    DOCUMENTED_IN_FLIGHT_CAP,
    BillResource,
    register_bill_ping,
)
from connector_resources.bill.session import BillSession
from connector_resources.setting_model import SERVER_PORTS, Setting, sandbox_url
from connector_resources.system_declaration import (
    ApiPool,
    SaasClient,
    Sandbox,
    System,
    base_url,
    login,
    max_age,
    webhook_max_age,
)

if TYPE_CHECKING:
    from connector_resources.webhooks.sources import WebhookSource

SANDBOX = Sandbox(
    8713,
    "/connect",
    # The AP team pays a bill, and the bank clears a payment made in an earlier round (which bills: the
    # ``activity_pays`` JD Edwards <-> BILL's set-up chose, the bills JDE sent).
    activity={"new_vendors": 1, "new_bills": 2, "new_payments": 1, "cleared_payments": 1},
    # The seeded payments (of bills no ERP sent) end two days back: the first day-closing runs meet only the
    # payments of bills JD Edwards sent.
    world=(("payments_quiet_days", 2),),
)


def _paths(entity: str) -> tuple[str, ...]:
    return (f"/{ENTITY_SPECS[entity].path}",)


def _pool() -> str:
    return BillResource.from_settings().concurrency_pool


def _webhook_sources(environ: Mapping[str, str] | None, future_skew: timedelta) -> dict[str, WebhookSource]:
    """The one endpoint of the subscription, its key re-read when a delivery does not verify: ``ml-connector
    bill-webhooks create / rotate`` store a new key in the vault while the receiver runs (and it may start
    before the first key exists)."""
    from connector_resources.bill.webhook_source import bill_source
    from connector_resources.webhooks.live_secret import LiveSecret

    values = SYSTEM.values(environ)
    key = LiveSecret(values["webhook_key"])
    key.prime()
    return {
        "bill": bill_source(
            "bill",
            security_key=key,
            time_field=values["webhook_time_field"],
            max_age=max_age(SYSTEM, environ),
            future_skew=future_skew,
        )
    }


SYSTEM = System(
    "bill",
    "BILL v3 API",
    (
        base_url(
            "ML_BILL_URL",
            SANDBOX.url(),
            "API gateway base up to /connect (gateway.stage or gateway.prod)",
        ),
        *login("ML_BILL", "sandbox@ml-connector.invalid", "sandbox-bill", "BILL API user name"),
        Setting(
            "organization_id", "ML_BILL_ORG_ID", "00801SANDBOXORG00001", "BILL organization id", account=True
        ),
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
            sandbox_url(SERVER_PORTS["webhooks"], "/webhooks/bill"),
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
        webhook_max_age(
            "ML_BILL",
            "4320",
            "deliveries whose event time is older are refused (retry span undocumented; a refused "
            "delivery is retried until BILL disables the subscription, so keep this wide)",
        ),
    ),
    resource=BillResource,
    sandbox=SANDBOX,
    ping=register_bill_ping,
    client=SaasClient(BillSession, "BILL", _paths),
    # BILL answers a 4th concurrent call per org with BDC_1322: every step calling BILL is in one pool per
    # org, one step at a time, each using up to the client's 3 in flight (docs/integrations/jde_bill.md,
    # "BILL's limits").
    pool=ApiPool("bill_", CONCURRENCY_POOL_LIMIT, _pool, session_in_flight=DOCUMENTED_IN_FLIGHT_CAP),
    webhooks=_webhook_sources,
)
