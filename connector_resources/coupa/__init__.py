"""Coupa Core API: OAuth client credentials, exact change-window reads, writes without duplicates.

Typical use inside an asset::

    with coupa.session() as s:  # every read scope
        for invoice in s.iter_changed("invoices", start, end):  # updated-at in [start, end)
            ...  # Coupa's JSON object plus "_updated_at" (tz-aware UTC)

    with coupa.session(flow="invoices") as s:
        found = s.find_invoice("INV-1", {"number": "JDE-10442"})  # by invoice number + supplier
        created = found or s.create_invoice({...})  # a lost answer: CoupaOutcomeUnknownError

Modules: ``resource`` (the Dagster resource, rate limit, ping), ``session`` (reads, natural-key
searches, writes), ``paging`` (exact id-keyed pages, parallel slices), ``auth`` (shared OAuth
tokens, warm-up, refresh at 20 h), ``entities`` (paths, change fields, scopes per flow), ``values``
(query values, request bodies, timestamps), ``errors``.
"""

from connector_resources.coupa import errors
from connector_resources.coupa.auth import CoupaOAuth, forget_tokens, shared_oauth
from connector_resources.coupa.entities import (
    ALL_SCOPES,
    ENTITIES,
    FLOW_SCOPES,
    READ_SCOPES,
    WRITE_SCOPES,
    Entity,
)
from connector_resources.coupa.errors import *  # noqa: F403 (its __all__)
from connector_resources.coupa.resource import CoupaResource, register_coupa_ping
from connector_resources.coupa.session import UPDATED_AT_KEY, CoupaSession

__all__ = [
    *errors.__all__,
    "ALL_SCOPES",
    "ENTITIES",
    "FLOW_SCOPES",
    "READ_SCOPES",
    "UPDATED_AT_KEY",
    "WRITE_SCOPES",
    "CoupaOAuth",
    "CoupaResource",
    "CoupaSession",
    "Entity",
    "forget_tokens",
    "register_coupa_ping",
    "shared_oauth",
]
