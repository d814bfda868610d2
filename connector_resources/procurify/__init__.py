"""Procurify (one customer domain) through its REST API: change windows read page by page,
vendors / account codes / requisitions / PO revisions / bill payment status written.

Typical use inside an asset::

    with procurify.session() as s:  # client-credentials token, cached until it expires
        for po in s.iter_changed("purchase_orders", start, end):
            ...  # the API's object plus "_updated_at" (UTC datetime)
        vendor = s.find_vendor("JDE-...") or s.create_vendor({"name": ..., "external_id": "JDE-..."})

Modules: ``resource`` (the Dagster resource, ping), ``session`` (reads), ``writes`` (creates,
updates and the natural-key searches that make them safe to repeat), ``entities`` (what
each collection is and how its changes are found), ``paging`` (envelope, page checks), ``auth``
(OAuth on the customer host), ``payloads`` (checks before writing), ``values`` (decimals,
timestamps), ``errors``.
"""

from connector_resources.procurify.auth import DEFAULT_AUDIENCE, ProcurifyAuth, forget_shared_tokens
from connector_resources.procurify.entities import CHANGE_ENTITIES, PING_ENTITIES, SNAPSHOT_ENTITIES
from connector_resources.procurify.errors import (
    ProcurifyAuthError,
    ProcurifyDuplicateError,
    ProcurifyError,
    ProcurifyFilterIgnoredError,
    ProcurifyNotFoundError,
    ProcurifyOutcomeUnknownError,
    ProcurifyPermissionError,
    ProcurifyProtocolError,
    ProcurifyRateLimitError,
    ProcurifyUnavailableError,
    ProcurifyValidationError,
)
from connector_resources.procurify.resource import ProcurifyResource, register_procurify_ping
from connector_resources.procurify.session import UPDATED_AT, ProcurifySession
from connector_resources.procurify.values import parse_timestamp

__all__ = [
    "CHANGE_ENTITIES",
    "DEFAULT_AUDIENCE",
    "PING_ENTITIES",
    "SNAPSHOT_ENTITIES",
    "UPDATED_AT",
    "ProcurifyAuth",
    "ProcurifyAuthError",
    "ProcurifyDuplicateError",
    "ProcurifyError",
    "ProcurifyFilterIgnoredError",
    "ProcurifyNotFoundError",
    "ProcurifyOutcomeUnknownError",
    "ProcurifyPermissionError",
    "ProcurifyProtocolError",
    "ProcurifyRateLimitError",
    "ProcurifyResource",
    "ProcurifySession",
    "ProcurifyUnavailableError",
    "ProcurifyValidationError",
    "forget_shared_tokens",
    "parse_timestamp",
    "register_procurify_ping",
]
