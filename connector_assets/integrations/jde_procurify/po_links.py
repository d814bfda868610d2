"""Procurify -> Procurify: a purchased requisition's PO linked to the JDE order it came from.

(The flow itself follows; this first part is what the purchase order flow needs right away.)
The `po_link` cross-reference is keyed on the JDE order (``KCOO:DOCO:DCTO``, the same key as the
`purchase_order` xref of the requisition) and holds the Procurify PO number (``procurify_PO``), so a
changed JDE order can find the PO to revise.
"""

from __future__ import annotations

from connector_resources.ledger import Ledger

from .integration import INTEGRATION, PO_ROUTE

ENTITY = "po_link"


def linked_po(ledger: Ledger, order_source_key: str) -> str | None:
    """The Procurify PO number (``procurify_PO``) linked to a JDE order (``KCOO:DOCO:DCTO``), or None.

    None until the order's requisition has been purchased in Procurify and this flow has linked the PO
    (a PO whose link write is still under way has no target id yet, and counts as not linked).
    """
    xref = ledger.get_xref(
        INTEGRATION, ENTITY, PO_ROUTE.source_system, order_source_key, PO_ROUTE.target_system
    )
    return xref.target_id if xref and xref.target_id else None
