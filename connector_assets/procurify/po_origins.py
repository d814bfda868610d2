"""Which source order a Procurify PO came from: its lines' ``orderNum`` -> the requisition's uuid -> the order
recorded for it (``order_of_requisition``), from the staged requisition headers first, then the requisitions
still waiting for a PO (a cost bounded by those, never by Procurify's volume); a number neither finds is not
ours. Depth: docs/integrations/jde_procurify.md, "The flows" (PO links).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.procurify.order_fields import po_day, requisition_numbers
from connector_assets.runtime.staging import StagingResource
from connector_resources.procurify.session import ProcurifySession

# The deployment's staged requisition headers; an instance reaching a Procurify account of its own stages its
# own copy (``saas.own_side``), so a finder is given the key it reads.
STAGED_REQUISITIONS = asset_key("procurify", "requisitions")
STAGED_PURCHASE_ORDERS = asset_key("procurify", "purchase_orders")  # the deployment's, beside them
SIBLING = "/"  # a second PO of one order is keyed ``<order>/<procurify_PO>``
CREATED_SLACK = timedelta(days=1)  # the requisition's `date` against the ledger's clock (time zones)


def order_of(link_key: str) -> str:
    """The order of a PO link's source key (a sibling's ends ``/<PO>``)."""
    return link_key.split(SIBLING, 1)[0]


def link_key(order_key: str, procurify_po: int, first: bool) -> str:
    """A PO link's source key: the order for its first PO, ``<order>/<procurify_PO>`` for another (a
    requisition purchased as one PO per vendor, or in parts)."""
    return order_key if first else f"{order_key}{SIBLING}{procurify_po}"


@dataclass(frozen=True)
class PoOrigin:
    """A Procurify PO and, per requisition its lines came from, the order of that requisition (None: not a
    requisition the integration created)."""

    procurify_po: int
    requisitions: dict[int, str | None]
    day: date | None = None

    @property
    def orders(self) -> list[str]:
        """The source orders among its requisitions, sorted."""
        return sorted({key for key in self.requisitions.values() if key})

    @property
    def foreign(self) -> list[int]:
        """Its requisitions that did not come from the source system."""
        return sorted(num for num, key in self.requisitions.items() if not key)


@dataclass
class OriginFinder:
    """Finds ``PoOrigin``s for one run: staged headers first, then the waiting requisitions (module
    docstring); what it has read is kept for the run, so each source is read at most once.
    ``order_of_requisition``: requisition uuid -> the order it was made for (None: not ours); ``waiting``:
    uuid -> the day it was sent, of the requisitions no PO is linked to yet."""

    session: ProcurifySession  # a ProcurifySession
    staging: StagingResource  # the StagingResource
    partition: str | None
    order_of_requisition: Callable[[str], str | None]
    waiting: Callable[[], Mapping[str, date]]
    requisitions: AssetKey  # where the requisition headers it reads are staged
    _uuids: dict[int, str] = field(default_factory=dict)  # requisition num -> uuid
    _staged_days: set[str] = field(default_factory=set)
    _waiting: dict[str, date] | None = None  # ``waiting()``, asked once
    _waiting_read: bool = False
    _checked: set[str] = field(default_factory=set)  # uuids asked ``order_of_requisition``
    _holds_ours: bool = False  # whether any of them is ours
    requisition_reads: int = 0  # API list reads of requisitions (metadata)

    def may_be_ours(self, po: Mapping[str, object]) -> bool:
        """Whether a listed PO header (its ``date``) can have come from a requisition of ours, before it is
        read by number: not when none of ours waits for its PO and none is among the headers staged for the
        partition, the PO's day or any day staged before in the run, the only places ``origin`` finds a
        line's requisition (it would find each not ours). A header without a date is read."""
        day = po_day(po)
        if day is None:
            return True
        self._stage_days([self.partition, day.isoformat()])
        if self._holds_ours or self._waiting_now():
            return True
        for uuid in set(self._uuids.values()) - self._checked:
            self._checked.add(uuid)
            if self.order_of_requisition(uuid) is not None:
                self._holds_ours = True
                break
        return self._holds_ours

    def _waiting_now(self) -> Mapping[str, date]:
        if self._waiting is None:
            self._waiting = dict(self.waiting())
        return self._waiting

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
        return self.order_of_requisition(uuid) if uuid else None

    def _remember(self, rows: Iterable[Mapping[str, object]]) -> None:
        for row in rows:
            num, uuid = row.get("num"), row.get("uuid")
            if num is not None and str(num).strip().isdigit() and uuid:
                self._uuids.setdefault(int(str(num).strip()), str(uuid))

    def _stage_days(self, days: Iterable[str | None]) -> None:
        for day in days:
            if day and day not in self._staged_days:
                self._staged_days.add(day)
                rows = self.staging.read_rows(self.requisitions, day)
                self._remember(json.loads(row["record"]) for row in rows)

    def _read_waiting(self) -> None:
        """Read back, once per run, the requisitions of ours that no PO is linked to yet."""
        if self._waiting_read:
            return
        self._waiting_read = True
        waiting = self._waiting_now()
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
