"""Coupa Core API: OAuth client credentials, exact change-window reads, writes without duplicates.

Typical use inside an asset::

    with coupa.session() as s:  # every read scope
        for invoice in s.iter_changed("invoices", start, end):  # updated-at in [start, end)
            ...  # Coupa's JSON object plus "_updated_at" (tz-aware UTC)

    with coupa.session(flow="invoices") as s:
        result = s.adopt_or_create_invoice({...})  # searches by invoice number + supplier first
        result.action, result.id  # "created" | "adopted"

Modules: ``resource`` (the Dagster resource, rate limit, ping), ``session`` (reads, natural-key
searches, writes), ``paging`` (exact id-keyed pages, parallel slices), ``auth`` (shared OAuth
tokens, warm-up, refresh at 20 h), ``entities`` (paths, change fields, scopes per flow), ``values``
(query values, request bodies, timestamps), ``errors``.
"""

from connector_resources.coupa.auth import CoupaOAuth, forget_tokens, shared_oauth
from connector_resources.coupa.entities import (
    ALL_SCOPES,
    ENTITIES,
    FLOW_SCOPES,
    READ_SCOPES,
    WRITE_SCOPES,
    Entity,
)
from connector_resources.coupa.errors import (
    CoupaAmbiguousMatchError,
    CoupaAuthError,
    CoupaError,
    CoupaInputError,
    CoupaMessage,
    CoupaNotFoundError,
    CoupaOutcomeUnknownError,
    CoupaQueryError,
    CoupaRateLimitError,
    CoupaResponseError,
    CoupaScopeError,
    CoupaUnavailableError,
    CoupaValidationError,
)
from connector_resources.coupa.resource import CoupaResource, register_coupa_ping
from connector_resources.coupa.session import UPDATED_AT_KEY, CoupaSession, WriteResult

__all__ = [
    "ALL_SCOPES",
    "ENTITIES",
    "FLOW_SCOPES",
    "READ_SCOPES",
    "UPDATED_AT_KEY",
    "WRITE_SCOPES",
    "CoupaAmbiguousMatchError",
    "CoupaAuthError",
    "CoupaError",
    "CoupaInputError",
    "CoupaMessage",
    "CoupaNotFoundError",
    "CoupaOAuth",
    "CoupaOutcomeUnknownError",
    "CoupaQueryError",
    "CoupaRateLimitError",
    "CoupaResource",
    "CoupaResponseError",
    "CoupaScopeError",
    "CoupaSession",
    "CoupaUnavailableError",
    "CoupaValidationError",
    "Entity",
    "WriteResult",
    "forget_tokens",
    "register_coupa_ping",
    "shared_oauth",
]
