"""Which Procurify PO is which source order, as an integration's ledger holds it in two cross-references: the
requisition flow's (order -> requisition uuid) and the link flow's (the order, or ``<order>/<procurify_PO>``
for another PO of it, -> the PO number). Declared once per integration (``jde_procurify.po_origins``). A
claimed cross-reference with no target id yet (a write under way) is not a link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from dagster import AssetKey

from connector_assets.flows.targets import FlowRoute
from connector_assets.procurify.po_origins import SIBLING, OriginFinder, order_of
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger, schema
from connector_resources.procurify.session import ProcurifySession


@dataclass(frozen=True)
class PoLinks:
    """The links of Procurify POs to ``integration``'s orders in its ledger (module docstring)."""

    integration: str
    order_entity: str
    link_entity: str
    order_route: FlowRoute
    link_route: FlowRoute
    requisitions: AssetKey  # where the integration's requisition headers are staged (``po_origins``)

    def _linked(self, columns: tuple[Any, ...], entity: str, route: FlowRoute) -> sa.Select:
        """``columns`` of this integration's ``entity`` xrefs on ``route`` that name their target."""
        x = schema.xref
        return sa.select(*columns).where(
            x.c.integration == self.integration,
            x.c.entity == entity,
            x.c.source_system == route.source_system,
            x.c.target_system == route.target_system,
            x.c.target_id.is_not(None),
        )

    def first_link(self, ledger: Ledger, order_key: str) -> str | None:
        """The PO linked under the order's own key (its first PO), or None."""
        route = self.link_route
        xref = ledger.get_xref(
            self.integration, self.link_entity, route.source_system, order_key, route.target_system
        )
        return xref.target_id if xref and xref.target_id else None

    def linked_po(self, ledger: Ledger, order_source_key: str) -> str | None:
        """The Procurify PO number linked to an order, or None until its requisition is purchased and the link
        written (a link write under way has no target id yet). An order purchased as several POs names its
        first here; when only the others could be linked (the first refused, e.g. closed), the lowest of them.
        """
        first = self.first_link(ledger, order_source_key)
        if first is not None:
            return first
        others = self.linked_pos(ledger, order_source_key)
        return str(others[0]) if others else None

    def linked_pos(self, ledger: Ledger, order_key: str) -> list[int]:
        """Every Procurify PO linked to an order (its first PO and any sibling), sorted."""
        x = schema.xref
        query = self._linked((x.c.target_id,), self.link_entity, self.link_route).where(
            sa.or_(
                x.c.source_key == order_key, x.c.source_key.startswith(order_key + SIBLING, autoescape=True)
            )
        )
        with ledger.read_transaction() as conn:
            return sorted(int(t) for (t,) in conn.execute(query) if str(t).isdigit())

    def link_of(self, ledger: Ledger, procurify_po: int) -> str | None:
        """The link source key PO ``procurify_po`` is linked under, None when it is not linked."""
        route = self.link_route
        known = ledger.find_xref_by_target(
            self.integration, self.link_entity, route.target_system, str(procurify_po)
        )
        return known.source_key if known is not None and known.target_id else None

    def requisition_sent(self, ledger: Ledger, order_key: str) -> date | None:
        """The day the requisition flow first recorded the order's requisition (ledger clock)."""
        route = self.order_route
        xref = ledger.get_xref(
            self.integration, self.order_entity, route.source_system, order_key, route.target_system
        )
        return xref.created_at.date() if xref is not None else None

    def waiting_requisitions(self, ledger: Ledger) -> dict[str, date]:
        """Requisition uuid -> the day it was sent, of every order the requisition flow sent to Procurify
        (its xref names a requisition) that no Procurify PO is linked to yet (neither as the order's first
        PO nor as another)."""
        x = schema.xref
        linked = self._linked((x.c.source_key,), self.link_entity, self.link_route)
        sent = self._linked(
            (x.c.source_key, x.c.target_id, x.c.created_at), self.order_entity, self.order_route
        )
        with ledger.read_transaction() as conn:
            done = {order_of(str(key)) for (key,) in conn.execute(linked)}
            return {
                str(uuid): created.date()
                for key, uuid, created in conn.execute(sent)
                if uuid and str(key) not in done
            }

    def origin_finder(
        self, ledger: Ledger, session: ProcurifySession, staging: StagingResource, partition: str | None
    ) -> OriginFinder:
        """The ``OriginFinder`` for one run, asking this ledger which order a requisition was made for and
        which requisitions still wait for their PO."""

        def order_of_requisition(uuid: str) -> str | None:
            route = self.order_route
            xref = ledger.find_xref_by_target(self.integration, self.order_entity, route.target_system, uuid)
            return xref.source_key if xref is not None and xref.source_system == route.source_system else None

        return OriginFinder(
            session,
            staging,
            partition,
            order_of_requisition,
            lambda: self.waiting_requisitions(ledger),
            self.requisitions,
        )

    def po_of_key(self, ledger: Ledger, key: str, flow: str) -> int | None:
        """Which PO a link source key is about: named in a sibling's key, linked, or queued by ``flow``."""
        if SIBLING in key:
            tail = key.rsplit(SIBLING, 1)[1]
            return int(tail) if tail.isdigit() else None
        linked = self.first_link(ledger, key)
        return int(linked) if linked and linked.isdigit() else self._queued_po(ledger, key, flow)

    def _queued_po(self, ledger: Ledger, key: str, flow: str) -> int | None:
        """The PO a queued link was about (its payload), for a key that does not name one itself."""
        for item in reversed(ledger.queue_for(key)):
            if item.integration != self.integration or item.flow != flow:
                continue
            payload = item.payload or {}
            value = payload.get("procurify_PO", (payload.get("body") or {}).get("procurify_PO"))
            if value is not None and str(value).isdigit():
                return int(value)
        return None
