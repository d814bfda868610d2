"""Procore (construction ERP side: directory, commitments, subcontractor invoices, budget) through its
REST API, as a Dagster resource.

Typical use inside an asset::

    with procore.session() as s:  # one DMSA token for the batch
        for row in s.iter_changed("requisitions", start, end):  # [start, end), streamed
            ...  # Procore's JSON + "_updated_at", "_project_id"
        found = s.find_adoptable_vendor(origin_id="JDE-V-10442", name="Granite Supply Co")
        vendor = found or s.create_vendor({"name": "Granite Supply Co", "origin_id": "JDE-V-10442"})
        hook = s.webhooks.ensure_hook("ml-connector", "https://receiver.example/procore")

Modules: ``resource`` (settings, session building, ping), ``session`` (calls, change detection,
single records, vendor writes), ``entities`` (what is read where, and how changes are found),
``paging`` (Link/Total paging, date filters), ``ratelimit`` (pacing by ``X-Rate-Limit-*``),
``order_lines`` (commitment, change order and invoice lines with their cost codes),
``payloads`` (checked request bodies), ``webhooks`` (hooks, triggers, delivery checks, payloads),
``errors``.
"""

from connector_resources.procore import errors
from connector_resources.procore.entities import ENTITY_SPECS, RESOURCE_ENTITIES, EntitySpec, ListSource
from connector_resources.procore.errors import *  # noqa: F403 (its __all__)
from connector_resources.procore.order_lines import ProcoreLinesUnavailableError
from connector_resources.procore.paging import next_page, parse_link_header, parse_timestamp, updated_range
from connector_resources.procore.ratelimit import RateLimitPacer, read_budget
from connector_resources.procore.resource import ProcoreResource, register_procore_ping
from connector_resources.procore.session import APPROVED_REQUISITION_STATUSES, ProcoreSession
from connector_resources.procore.webhooks import (
    EVENT_TYPES,
    HookSync,
    ProcoreEvent,
    ProcoreWebhooks,
    TriggerSync,
    delivery_headers,
    parse_procore_event,
    verify_procore_delivery,
)

__all__ = [
    *errors.__all__,
    "APPROVED_REQUISITION_STATUSES",
    "ENTITY_SPECS",
    "EVENT_TYPES",
    "RESOURCE_ENTITIES",
    "EntitySpec",
    "HookSync",
    "ListSource",
    "ProcoreEvent",
    "ProcoreLinesUnavailableError",
    "ProcoreResource",
    "ProcoreSession",
    "ProcoreWebhooks",
    "RateLimitPacer",
    "TriggerSync",
    "delivery_headers",
    "next_page",
    "parse_link_header",
    "parse_procore_event",
    "parse_timestamp",
    "read_budget",
    "register_procore_ping",
    "updated_range",
    "verify_procore_delivery",
]
