"""Which JDE order a Procurify purchase order came from, as the ledger of this integration tells it: the
purchase order flow's ``purchase_order`` cross-reference (JDE order ``KCOO:DOCO:DCTO`` -> requisition uuid)
and the ``po_links`` flow's ``po_link`` (JDE order -> Procurify PO number). Following a PO's lines to their
requisitions, and those to their uuids, is Procurify's side (``connector_assets.procurify.po_origins``);
``origin_finder`` hands it these two ledger questions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from connector_assets.flows.targets import FlowRoute
from connector_assets.procurify.po_origins import SIBLING, OriginFinder, order_of
from connector_resources.ledger import Ledger, schema

from .integration import INTEGRATION, PO_ROUTE, ROUTE

ORDER_ENTITY = "purchase_order"  # the purchase order flow's xref: JDE order -> requisition uuid
LINK_ENTITY = "po_link"  # this flow's xref: JDE order -> Procurify PO number


def origin_finder(ledger: Ledger, session: Any, staging: Any, partition: str | None) -> OriginFinder:
    """Procurify's ``OriginFinder`` for one run, asking this integration's ledger which JDE order a
    requisition was made for and which requisitions still wait for their PO."""

    def order_of_requisition(uuid: str) -> str | None:
        xref = ledger.find_xref_by_target(INTEGRATION, ORDER_ENTITY, ROUTE.target_system, uuid)
        return xref.source_key if xref is not None and xref.source_system == ROUTE.source_system else None

    return OriginFinder(
        session, staging, partition, order_of_requisition, lambda: waiting_requisitions(ledger)
    )


def _linked(columns: tuple[Any, ...], entity: str, route: FlowRoute) -> sa.Select:
    """``columns`` of this integration's ``entity`` xrefs on ``route`` that name their target."""
    x = schema.xref
    return sa.select(*columns).where(
        x.c.integration == INTEGRATION,
        x.c.entity == entity,
        x.c.source_system == route.source_system,
        x.c.target_system == route.target_system,
        x.c.target_id.is_not(None),
    )


def waiting_requisitions(ledger: Ledger) -> dict[str, date]:
    """Requisition uuid -> the day it was sent, of every JDE order the purchase order flow sent to Procurify
    (its ``purchase_order`` xref names a requisition) that no Procurify PO is linked to yet (neither as the
    order's first PO nor as another)."""
    x = schema.xref
    linked = _linked((x.c.source_key,), LINK_ENTITY, PO_ROUTE)
    sent = _linked((x.c.source_key, x.c.target_id, x.c.created_at), ORDER_ENTITY, ROUTE)
    with ledger.read_transaction() as conn:
        done = {order_of(str(key)) for (key,) in conn.execute(linked)}
        return {
            str(uuid): created.date()
            for key, uuid, created in conn.execute(sent)
            if uuid and str(key) not in done
        }


def linked_pos(ledger: Ledger, order_key: str) -> list[int]:
    """Every Procurify PO linked to a JDE order (its first PO and any sibling), sorted."""
    x = schema.xref
    query = _linked((x.c.target_id,), LINK_ENTITY, PO_ROUTE).where(
        sa.or_(x.c.source_key == order_key, x.c.source_key.startswith(order_key + SIBLING, autoescape=True)),
    )
    with ledger.read_transaction() as conn:
        return sorted(int(t) for (t,) in conn.execute(query) if str(t).isdigit())


def requisition_sent(ledger: Ledger, order_key: str) -> date | None:
    """The day the purchase order flow first recorded the JDE order's requisition (ledger clock)."""
    xref = ledger.get_xref(INTEGRATION, ORDER_ENTITY, ROUTE.source_system, order_key, ROUTE.target_system)
    return xref.created_at.date() if xref is not None else None
