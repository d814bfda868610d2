"""Oracle Fusion Cloud ERP (Financials / Procurement REST API) as a Dagster resource.

Typical use inside an asset::

    with fusion.session() as s:
        for invoice in s.iter_changed("invoices", start, end):  # LastUpdateDate in [start, end)
            ...  # {"InvoiceId": 300100187048034, "invoiceLines": [...], "_updated_at": datetime(...)}
        outcome = s.ensure_invoice(Invoice(...))  # found / created / adopted, never doubled

Modules: ``resource`` (the Dagster resource, auth choice, ping), ``session`` (reads, searches, writes,
error translation), ``paging`` (exact limit/offset paging despite the silent cap and drifting offsets),
``query`` (``q`` for framework version 1 and 2+, timestamp literals), ``payloads`` (typed invoices and
draft purchase orders that check themselves), ``entities`` (which resources, keys and stamps),
``errors`` (typed errors and the reader of the pod's error bodies).
"""

from connector_resources.fusion.entities import CHANGE_TRACKED, ENTITIES, Entity
from connector_resources.fusion.errors import (
    ErrorBody,
    FieldMessage,
    FusionAmbiguousMatchError,
    FusionAuthError,
    FusionConflictError,
    FusionError,
    FusionInputError,
    FusionNotFoundError,
    FusionOutcomeUnknownError,
    FusionPermissionError,
    FusionQueryError,
    FusionRateLimitError,
    FusionResponseError,
    FusionUnavailableError,
    FusionValidationError,
    parse_error_body,
)
from connector_resources.fusion.payloads import (
    DraftPurchaseOrder,
    Invoice,
    InvoiceDistribution,
    InvoiceLine,
    PurchaseOrderLine,
)
from connector_resources.fusion.resource import FusionResource, register_fusion_ping, split_pod_url
from connector_resources.fusion.session import CreateOutcome, FusionSession, self_link

__all__ = [
    "CHANGE_TRACKED",
    "ENTITIES",
    "CreateOutcome",
    "DraftPurchaseOrder",
    "Entity",
    "ErrorBody",
    "FieldMessage",
    "FusionAmbiguousMatchError",
    "FusionAuthError",
    "FusionConflictError",
    "FusionError",
    "FusionInputError",
    "FusionNotFoundError",
    "FusionOutcomeUnknownError",
    "FusionPermissionError",
    "FusionQueryError",
    "FusionRateLimitError",
    "FusionResource",
    "FusionResponseError",
    "FusionSession",
    "FusionUnavailableError",
    "FusionValidationError",
    "Invoice",
    "InvoiceDistribution",
    "InvoiceLine",
    "PurchaseOrderLine",
    "parse_error_body",
    "register_fusion_ping",
    "self_link",
    "split_pod_url",
]
