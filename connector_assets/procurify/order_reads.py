"""Reading Procurify's purchase orders and requisitions for a flow: the latest staged version of each, a PO in
full by number (the list has no lines, §2.5), a requisition's order items (``orderNum``, re-checked here), and
requisition headers: the list has no number filter (§2.4), so a vendor's (``pref_vendor``) or all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from dagster import AssetKey

from connector_assets.flows.values import text
from connector_assets.procurify.order_fields import item_vendor, order_num
from connector_assets.procurify.vendor_list import whole_list
from connector_assets.runtime.run_reads import RunReads
from connector_assets.runtime.staging import StagingResource
from connector_resources.procurify.session import ProcurifySession

Requisitions = dict[str, dict[str, Mapping[str, Any]]]  # vendor id -> requisition number -> requisition
EVERY = "*"  # the ``Requisitions`` key of the whole list read (``read_whole_when_cheaper``); {}: not read
EARLIEST = datetime.min.replace(tzinfo=UTC)


def staged_versions(
    staging: StagingResource,
    asset: AssetKey,
    partition: str | None,
    key: str = "",
    stamp_of: Callable[[dict[str, Any]], datetime] = lambda _record: EARLIEST,
) -> list[tuple[dict[str, Any], datetime]]:
    """The partition's staged records of ``asset``, the latest version of each (by its ``key`` field, else
    the row id), with its change time (UTC; the record's ``stamp_of`` when the row has none): how every
    Procurify flow reads its staged orders, bills and payments."""
    latest: dict[str, tuple[dict[str, Any], datetime]] = {}
    for row in staging.read_rows(asset, partition):
        record = json.loads(row["record"])
        ident = (text(record.get(key)) if key else "") or text(row["id"])
        stamp = row["updated_at"] or stamp_of(record)
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        if ident not in latest or stamp >= latest[ident][1]:
            latest[ident] = (record, stamp)
    return list(latest.values())


def latest_staged(staging: Any, asset: AssetKey, partition: str | None, key: str) -> list[dict[str, Any]]:
    """The partition's staged records of ``asset``, the latest version of each (by ``key``)."""
    return [record for record, _ in staged_versions(staging, asset, partition, key)]


def requisition_items(session: ProcurifySession, num: str) -> list[dict[str, Any]]:
    """A requisition's order items (``orderNum`` filter, re-checked here); none for a blank number."""
    if not num:
        return []
    return [r for r in session.iter_all("order_items", filters={"orderNum": num}) if order_num(r) == num]


class ProcurifyOrderReads:
    """The PO and requisition reads of one mapping step (or replay) on one Procurify session; requisitions
    are read once (``requisitions``: a cache that may outlive the step, ``requisitions_for_run``)."""

    def __init__(self, session: Any, requisitions: Requisitions | None = None) -> None:
        self.session = session
        self.requisitions: Requisitions = {} if requisitions is None else requisitions

    def purchase_order(self, number: str | int) -> dict[str, Any]:
        return self.session.get("purchase_orders", number)  # in full, with its ``order_items``

    def order_items(self, num: str) -> list[dict[str, Any]]:
        return requisition_items(self.session, num)

    def read_whole_when_cheaper(self, vendor_ids: Iterable[str]) -> None:
        """Decided once: every requisition read by number (``requisitions_of`` answers from it) when the
        whole list costs fewer calls than one list for each of ``vendor_ids`` not read (``whole_list``)."""
        if EVERY not in self.requisitions:
            unread = {vendor for vendor in vendor_ids if vendor not in self.requisitions}
            listed = whole_list(self.session, len(unread), "requisitions", "num") if unread else None
            self.requisitions[EVERY] = listed or {}

    def requisitions_of(self, vendor_id: str) -> dict[str, Mapping[str, Any]]:
        """The requisitions with a line for ``vendor_id`` (``pref_vendor``), by number, read once; all of
        them when the whole list was read (a number names one requisition, whichever vendor)."""
        if self.requisitions.get(EVERY):
            return self.requisitions[EVERY]
        if vendor_id not in self.requisitions:
            rows = self.session.iter_all("requisitions", filters={"pref_vendor": vendor_id})
            self.requisitions[vendor_id] = {text(r.get("num")): r for r in rows}
        return self.requisitions[vendor_id]

    def requisition(self, num: str) -> Mapping[str, object] | None:
        """Requisition ``num`` (its header), found among the requisitions of its items' vendors; None when
        it has no items or none of their vendors lists it."""
        vendors = sorted({item_vendor(i) for i in self.order_items(num) if item_vendor(i)})
        return next((self.requisitions_of(v)[num] for v in vendors if num in self.requisitions_of(v)), None)


# The requisitions ``ProcurifyOrderReads`` reads, shared by every day of one run (one read a run, not a day).
requisitions_for_run: RunReads[Requisitions] = RunReads(dict)
