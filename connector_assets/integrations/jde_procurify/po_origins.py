"""Which JDE order a Procurify purchase order came from, as this integration's ledger tells it: the purchase
order flow's ``purchase_order`` cross-reference (JDE order ``KCOO:DOCO:DCTO`` -> requisition uuid) and the
``po_links`` flow's ``po_link`` (JDE order -> Procurify PO number), asked through Procurify's ``PoLinks``
(``connector_assets.procurify.po_links``). Following a PO's lines to their requisitions, and those to their
uuids, is Procurify's side too (``connector_assets.procurify.po_origins``).
"""

from collections.abc import Iterable

from connector_assets.procurify.po_links import PoLinks
from connector_assets.procurify.po_origins import order_of
from connector_resources.ledger import Ledger

from .integration import INTEGRATION, PO_ROUTE, ROUTE

ORDER_ENTITY = "purchase_order"  # the purchase order flow's xref: JDE order -> requisition uuid
LINK_ENTITY = "po_link"  # the po_links flow's xref: JDE order -> Procurify PO number
LINKS = PoLinks(INTEGRATION, ORDER_ENTITY, LINK_ENTITY, order_route=ROUTE, link_route=PO_ROUTE)
linked_pos = LINKS.linked_pos  # every PO linked to a JDE order (reconciliation)
requisition_sent = LINKS.requisition_sent  # the day a JDE order's requisition was recorded


def jde_orders(ledger: Ledger, procurify_pos: Iterable[int]) -> dict[int, str | None]:
    """Procurify PO number -> the JDE order ``KCOO:DOCO:DCTO`` (a suffix kept when the link has one) it was
    linked to by the ``po_links`` flow, None for a PO not linked (not from JDE, or not linked yet): which
    JDE order a bill of those POs was raised against (the bills flow's order reference)."""
    found: dict[int, str | None] = {}
    for number in procurify_pos:
        if number not in found:
            key = LINKS.link_of(ledger, number)
            found[number] = order_of(key) if key else None
    return found
