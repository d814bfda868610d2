"""Which JDE order a Procurify purchase order came from, as this integration's ledger tells it: the purchase
order flow's ``purchase_order`` cross-reference (JDE order ``KCOO:DOCO:DCTO`` -> requisition uuid) and the
``po_links`` flow's ``po_link`` (JDE order -> Procurify PO number), asked through Procurify's ``PoLinks``
(``connector_assets.procurify.po_links``). Following a PO's lines to their requisitions, and those to their
uuids, is Procurify's side too (``connector_assets.procurify.po_origins``).
"""

from connector_assets.procurify.po_links import PoLinks

from .integration import INTEGRATION, PO_ROUTE, ROUTE

ORDER_ENTITY = "purchase_order"  # the purchase order flow's xref: JDE order -> requisition uuid
LINK_ENTITY = "po_link"  # the po_links flow's xref: JDE order -> Procurify PO number
LINKS = PoLinks(INTEGRATION, ORDER_ENTITY, LINK_ENTITY, order_route=ROUTE, link_route=PO_ROUTE)
linked_pos = LINKS.linked_pos  # every PO linked to a JDE order (reconciliation)
requisition_sent = LINKS.requisition_sent  # the day a JDE order's requisition was recorded
