"""Oracle Fusion Cloud ERP (Financials / Procurement REST API) as a Dagster resource.

Typical use inside an asset::

    with fusion.session() as s:
        for invoice in s.iter_changed("invoices", start, end):  # LastUpdateDate in [start, end)
            ...  # {"InvoiceId": 300100187048034, "invoiceLines": [...], "_updated_at": datetime(...)}
        found = s.find_invoice("INV-1", "Acme")  # by number + supplier, before any create
        created = found or s.create_invoice(Invoice(...))  # lost answer: FusionOutcomeUnknownError
        s.validate_invoice(created)  # Validation(result, status); by number, unit, supplier; safe to repeat
        order = s.submit_draft_purchase_order(draft)  # the OPEN order; a second call sends nothing
        s.update_with_etag("invoices", created, {"Description": "..."})  # If-Match; 412 twice: conflict

Modules: ``resource`` (the Dagster resource, auth choice, ping), ``session`` (reads, searches, writes,
error translation), ``paging`` (exact limit/offset paging despite the silent cap and drifting offsets),
``query`` (``q`` for framework version 1 and 2+, timestamp literals), ``payloads`` (typed invoices and
draft purchase orders that check themselves), ``entities`` (which resources, keys and stamps),
``errors`` (typed errors and the reader of the pod's error bodies).
"""

from connector_resources.fusion import errors
from connector_resources.fusion.entities import CHANGE_TRACKED, ENTITIES, Entity
from connector_resources.fusion.errors import *  # noqa: F403 (its __all__)
from connector_resources.fusion.payloads import (
    DraftPurchaseOrder,
    Invoice,
    InvoiceDistribution,
    InvoiceLine,
    PurchaseOrderLine,
)
from connector_resources.fusion.resource import FusionResource, register_fusion_ping, split_pod_url
from connector_resources.fusion.session import FusionSession, self_link

__all__ = [
    *errors.__all__,
    "CHANGE_TRACKED",
    "ENTITIES",
    "DraftPurchaseOrder",
    "Entity",
    "FusionResource",
    "FusionSession",
    "Invoice",
    "InvoiceDistribution",
    "InvoiceLine",
    "PurchaseOrderLine",
    "register_fusion_ping",
    "self_link",
    "split_pod_url",
]
