"""Procurify as the project knows it: its settings, its simulator's port, its ``ml-connector ping`` check
and its change feed (the SaaS source assets) (``connector_resources.system_declaration``). No webhooks.
"""

from __future__ import annotations

from connector_resources.procurify.entities import SPECS
from connector_resources.procurify.resource import ProcurifyResource, register_procurify_ping
from connector_resources.procurify.session import ProcurifySession
from connector_resources.setting_model import Setting
from connector_resources.system_declaration import (
    NO_PLANTED_FAULTS,
    Needs,
    SaasClient,
    Sandbox,
    System,
    base_url,
    oauth_client,
)

SANDBOX = Sandbox(
    8714,
    # Vendors made in Procurify (-> JDE suppliers), bills approved and paid (-> JDE vouchers, payments).
    activity={
        "new_vendors": 1,
        "new_requisitions": 2,
        "new_bills": 1,
        "updated_bills": 2,
        "new_payments": 1,
        "updated_payments": 1,
    },
    world=NO_PLANTED_FAULTS,
)


def _flow_ping(reads: Needs, writes: Needs) -> None:
    """Read one row of each entity the flows read (a refusal names the flows); writes are said unchecked."""
    from connector_resources.flow_pings import with_write_note
    from connector_resources.ping import _checks, register_ping

    register_procurify_ping(reads)
    if writes:
        register_ping(SYSTEM.key, with_write_note(_checks[SYSTEM.key], writes))


def _paths(entity: str) -> tuple[str, ...]:
    return (SPECS[entity].path,)


SYSTEM = System(
    "procurify",
    "Procurify API",
    (
        base_url(
            "ML_PROCURIFY_URL",
            SANDBOX.url(),
            "customer domain, e.g. https://acme.procurify.com",
            account=True,
        ),
        *oauth_client("ML_PROCURIFY", "sandbox-procurify-secret"),
        Setting(
            "max_attempts",
            "ML_PROCURIFY_MAX_ATTEMPTS",
            "6",
            "attempts per Procurify call on a 504, a timeout, a 429 or another 5xx (backoff with "
            "full jitter between them); then a per-record read queues its record and a day's list "
            "read fails the partition",
        ),
    ),
    resource=ProcurifyResource,
    sandbox=SANDBOX,
    ping=register_procurify_ping,
    flow_ping=_flow_ping,
    client=SaasClient(ProcurifySession, "Procurify", _paths),
    # Procurify's OpenAPI publishes PUT alone on one account code or department
    # (Accountcodes_updateAccountCode, departments_update): the session reads them from their lists.
    unreadable_records=tuple(SPECS[e].path for e in SPECS if SPECS[e].detail_unconfirmed),
)
