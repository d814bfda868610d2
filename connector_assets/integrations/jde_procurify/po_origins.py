"""Which JDE order a Procurify purchase order came from: the PO's lines -> their requisitions -> the JDE
order whose requisition it was (the purchase order flow's ``purchase_order`` cross-reference, JDE order
``KCOO:DOCO:DCTO`` -> requisition uuid).

What the reference gives to follow that chain (§2.4, §2.5): a PO read by number
(``GET /api/v2/purchase_orders/{n}/``; the list has no lines) carries ``order_items`` whose ``orderNum`` is
the requisition *number*; requisition headers carry ``num`` and ``uuid``; the purchase order flow recorded
each requisition by *uuid* (what ``POST /api/v3/requisitions/`` answers). The API has no read of one
requisition by number, so a number is turned into a uuid by, in order:

1. the requisition headers staged for the day and for the PO's own day (``procurify_requisitions``):
   purchasing a requisition sets its status to 3 Purchased, which stamps it modified the day the PO is
   made, so this is the usual answer and costs no call;
2. otherwise the requisitions still waiting for their PO: those the purchase order flow created and no PO
   is linked to yet (the ledger), read back by the days they were created (``date_0`` / ``date_1``, one day
   of slack either side) and matched on ``uuid``. This covers a server that does not stamp a purchased
   requisition as modified, and its cost is bounded by the orders waiting, never by Procurify's volume.

A number that neither finds is not a requisition of ours: the PO did not come from JDE and is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import Ledger, schema

from .integration import INTEGRATION, PO_ROUTE, ROUTE

STAGED_REQUISITIONS = "procurify_requisitions"
ORDER_ENTITY = "purchase_order"  # the purchase order flow's xref: JDE order -> requisition uuid
LINK_ENTITY = "po_link"  # this flow's xref: JDE order -> Procurify PO number
SIBLING = "/"  # a second PO of one JDE order is keyed ``KCOO:DOCO:DCTO/<procurify_PO>``
CREATED_SLACK = timedelta(days=1)  # the requisition's `date` against the ledger's clock (time zones)


def order_of(link_key: str) -> str:
    """The JDE order (``KCOO:DOCO:DCTO``) of a ``po_link`` source key (a sibling's ends ``/<PO>``)."""
    return link_key.split(SIBLING, 1)[0]


def po_day(po: Mapping[str, Any]) -> date | None:
    """The day (UTC) a PO was made: its ``date`` (§2.5), None when absent or unreadable."""
    text = str(po.get("date") or "").strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def requisition_numbers(po_detail: Mapping[str, Any]) -> list[int]:
    """The requisition numbers (``order_items[].orderNum``) of a PO read by number, sorted, each once.
    ``orderNum`` is the requisition number (reference 2.5); the ``orderNum__status`` filter suggests a
    relation, so a nested object carrying ``num`` is read too (as the purchase order flow reads it)."""
    numbers = set()
    for item in po_detail.get("order_items") or []:
        value = item.get("orderNum") if isinstance(item, Mapping) else None
        if isinstance(value, Mapping):  # a summary of the requisition (``{"num": ...}``), read the same way
            value = value.get("num")
        if value is not None and not isinstance(value, bool) and str(value).strip().isdigit():
            numbers.add(int(str(value).strip()))
    return sorted(numbers)


@dataclass(frozen=True)
class PoOrigin:
    """A Procurify PO and, per requisition its lines came from, the JDE order of that requisition (None:
    not a requisition the purchase order flow created)."""

    procurify_po: int
    requisitions: dict[int, str | None]
    day: date | None = None

    @property
    def orders(self) -> list[str]:
        """The JDE orders among its requisitions, sorted."""
        return sorted({key for key in self.requisitions.values() if key})

    @property
    def foreign(self) -> list[int]:
        """Its requisitions that did not come from JDE."""
        return sorted(num for num, key in self.requisitions.items() if not key)


@dataclass
class OriginFinder:
    """Finds ``PoOrigin``s for one run: staged headers first, then the waiting requisitions (module
    docstring); what it has read is kept for the run, so each source is read at most once."""

    ledger: Ledger
    session: Any  # a ProcurifySession
    staging: Any  # the StagingResource
    partition: str | None
    _uuids: dict[int, str] = field(default_factory=dict)  # requisition num -> uuid
    _staged_days: set[str] = field(default_factory=set)
    _waiting_read: bool = False
    requisition_reads: int = 0  # API list reads of requisitions (metadata)

    def origin(self, po_detail: Mapping[str, Any]) -> PoOrigin:
        number = int(str(po_detail["procurify_PO"]))
        day = po_day(po_detail)
        numbers = requisition_numbers(po_detail)
        self._stage_days([self.partition, day.isoformat() if day else None])
        if any(num not in self._uuids for num in numbers):
            self._read_waiting()
        return PoOrigin(number, {num: self._order_of(num) for num in numbers}, day)

    def _order_of(self, num: int) -> str | None:
        uuid = self._uuids.get(num)
        if not uuid:
            return None
        xref = self.ledger.find_xref_by_target(INTEGRATION, ORDER_ENTITY, ROUTE.target_system, uuid)
        return xref.source_key if xref is not None and xref.source_system == ROUTE.source_system else None

    def _remember(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            num, uuid = row.get("num"), row.get("uuid")
            if num is not None and str(num).strip().isdigit() and uuid:
                self._uuids.setdefault(int(str(num).strip()), str(uuid))

    def _stage_days(self, days: Iterable[str | None]) -> None:
        for day in days:
            if day and day not in self._staged_days:
                self._staged_days.add(day)
                rows = self.staging.read_rows(STAGED_REQUISITIONS, day)
                self._remember(json.loads(row["record"]) for row in rows)

    def _read_waiting(self) -> None:
        """Read back, once per run, the requisitions of ours that no PO is linked to yet."""
        if self._waiting_read:
            return
        self._waiting_read = True
        waiting = {uuid: created for uuid, created in waiting_requisitions(self.ledger).items()}
        known = set(self._uuids.values())
        days = sorted({created for uuid, created in waiting.items() if uuid not in known})
        for start, end in day_ranges(days):
            filters = {"date_0": start - CREATED_SLACK, "date_1": end + CREATED_SLACK}
            self.requisition_reads += 1
            rows = self.session.iter_all("requisitions", filters=filters)
            self._remember(row for row in rows if str(row.get("uuid")) in waiting)


def day_ranges(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days merged into ranges of consecutive days (``[d1, d1+1, d5]`` -> two ranges)."""
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and day <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], day))
        else:
            ranges.append((day, day))
    return ranges


def waiting_requisitions(ledger: Ledger) -> dict[str, date]:
    """Requisition uuid -> the day it was sent, of every JDE order the purchase order flow sent to Procurify
    (its ``purchase_order`` xref names a requisition) that no Procurify PO is linked to yet (neither as the
    order's first PO nor as another)."""
    x = schema.xref
    linked = sa.select(x.c.source_key).where(
        x.c.integration == INTEGRATION,
        x.c.entity == LINK_ENTITY,
        x.c.source_system == PO_ROUTE.source_system,
        x.c.target_system == PO_ROUTE.target_system,
        x.c.target_id.is_not(None),
    )
    sent = sa.select(x.c.source_key, x.c.target_id, x.c.created_at).where(
        x.c.integration == INTEGRATION,
        x.c.entity == ORDER_ENTITY,
        x.c.source_system == ROUTE.source_system,
        x.c.target_system == ROUTE.target_system,
        x.c.target_id.is_not(None),
    )
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
    query = sa.select(x.c.target_id).where(
        x.c.integration == INTEGRATION,
        x.c.entity == LINK_ENTITY,
        x.c.source_system == PO_ROUTE.source_system,
        x.c.target_system == PO_ROUTE.target_system,
        x.c.target_id.is_not(None),
        sa.or_(x.c.source_key == order_key, x.c.source_key.startswith(order_key + SIBLING, autoescape=True)),
    )
    with ledger.read_transaction() as conn:
        return sorted(int(t) for (t,) in conn.execute(query) if str(t).isdigit())


def requisition_sent(ledger: Ledger, order_key: str) -> date | None:
    """The day the purchase order flow first recorded the JDE order's requisition (ledger clock)."""
    xref = ledger.get_xref(INTEGRATION, ORDER_ENTITY, ROUTE.source_system, order_key, ROUTE.target_system)
    return xref.created_at.date() if xref is not None else None
