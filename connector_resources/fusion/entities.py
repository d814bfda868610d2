"""The Fusion REST resources the connector uses, declared as data.

An entity is named in the business's words (``invoices``, ``purchase_orders``) and maps to the pod's
resource (``purchaseOrders``), its key attribute, its "updated" attribute and the child collections a
change read brings inline. Only names the reference confirms are relied on: the keys (``SupplierId``,
``POHeaderId``, ``RequisitionHeaderId``, ``InvoiceId``, ``CheckId``, ``_CODE_COMBINATION_ID``) and child
names (``lines``, ``invoiceLines``, ``relatedInvoices``). ``LastUpdateDate`` is the WHO column every
Fusion object carries (reference §2.6); for suppliers it is unconfirmed, and a pod that refuses it
fails the read with the pod's own message rather than reading a whole collection.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector_resources.declared import by_name
from connector_resources.errors import known_entity
from connector_resources.fusion.errors import FusionInputError

UPDATED = "LastUpdateDate"


@dataclass(frozen=True)
class Entity:
    """One Fusion resource as the client uses it."""

    name: str  # the client's name: "invoices", "purchase_orders"
    resource: str  # the pod's path segment: "invoices", "purchaseOrders"
    key: str  # the attribute that identifies a record (never used to build an item URL)
    label: str  # how one record is named in messages: "invoice", "purchase order"
    updated: str | None = UPDATED  # None: the resource has no change stamp (read whole)
    children: tuple[str, ...] = ()  # child collections a change read expands inline


_ALL = (
    Entity("suppliers", "suppliers", "SupplierId", "supplier"),
    Entity("purchase_orders", "purchaseOrders", "POHeaderId", "purchase order", children=("lines",)),
    Entity(
        "draft_purchase_orders",
        "draftPurchaseOrders",
        "POHeaderId",
        "draft purchase order",
        children=("lines",),
    ),
    Entity("requisitions", "purchaseRequisitions", "RequisitionHeaderId", "requisition", children=("lines",)),
    Entity("invoices", "invoices", "InvoiceId", "invoice", children=("invoiceLines",)),
    Entity("payments", "payablesPayments", "CheckId", "payment", children=("relatedInvoices",)),
    Entity(
        "account_combinations", "accountCombinationsLOV", "_CODE_COMBINATION_ID", "account combination", None
    ),
)

ENTITIES: dict[str, Entity] = by_name(*_ALL)
# What the generic source-asset factory reads by change stamp (drafts are read through purchase_orders
# on most pods, and through their own entity where INCOMPLETE orders are kept apart).
CHANGE_TRACKED: dict[str, str] = {
    e.name: e.updated for e in _ALL if e.updated and e.name != "draft_purchase_orders"
}


def entity(name: str) -> Entity:
    """The entity called ``name``; a clear error listing the known ones otherwise."""
    return known_entity(ENTITIES, name, "Fusion", lambda message: FusionInputError(message, field="entity"))
