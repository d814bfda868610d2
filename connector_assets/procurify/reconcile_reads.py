"""Procurify read back for a reconciliation: a vendor's bill register for a period, a bill, a PO, a
requisition and its lines, vendors (by id or the whole list) and the records changed in a day, each as the
comparison sees it.

Both reconciliations that compare Procurify with another system (JD Edwards <-> Procurify, Oracle Fusion <->
Procurify) read Procurify the same way, so they read it here, once: by id, or by the list filters the
reference documents (bills by ``vendor`` and date range, §2.6; requisitions by description, §2.4), or by
change window (``iter_changed``); nothing reads a whole history. What is the integration's stays its own and
is passed in: which date fields put a bill in a period, which statuses count as approved, whether the
integration sent a bill (its ledger's cross-reference).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.flows.amounts import amount
from connector_assets.flows.reconciliation import day_window
from connector_assets.flows.values import text
from connector_assets.procurify.bill_fields import bill_vendor_id, currency_code, in_currency, status_code
from connector_assets.procurify.bill_marks import has_payment
from connector_assets.procurify.bill_register import bills_in_period, status_name
from connector_assets.procurify.staged_bills import staged_bills
from connector_resources.procurify.errors import ProcurifyNotFoundError

# The Procurify source assets (``connector_assets.saas.assets``) a reconciliation reads a day's keys from.
STAGED_POS = asset_key("procurify", "purchase_orders")
STAGED_REQUISITIONS = asset_key("procurify", "requisitions")
STAGED_VENDORS = asset_key("procurify", "vendors")
PAID = 4  # bill status 4 Paid (reference 2.6)
PO_CANCELLED = "1"  # PO state 1 (reference 2.5)
REQUISITION_PURCHASED = "3"  # requisition status 3: purchased (reference 2.4)


def money_of(value: Any) -> Decimal:
    """An amount as Procurify answers it (text or number) as a ``Decimal``; blank or not a number is 0."""
    found = amount(value)
    return found if found is not None else Decimal(0)


def staged_records(staging: Any, asset: AssetKey, day: str) -> list[dict[str, Any]]:
    """The API records a Procurify source asset staged for the day (JSON documents)."""
    return [json.loads(row["record"]) for row in staging.read_rows(asset, day)]


def bills_of_day(staging: Any, day: str) -> list[dict[str, Any]]:
    """The bills staged for the day, latest version each (as the bills flows read them)."""
    return [bill for bill, _stamp in staged_bills(staging, day)]


def vendors_of_day(staging: Any, day: str, bills: Iterable[Mapping[str, Any]]) -> set[str]:
    """Procurify vendors a day concerns: those staged as changed that day, and those of the day's bills and
    staged POs (``pref_vendor``)."""
    ids = {str(v.get("id")) for v in staged_records(staging, STAGED_VENDORS, day) if v.get("id") is not None}
    ids |= {vendor_id for vendor_id in (bill_vendor_id(bill) for bill in bills) if vendor_id}
    for po in staged_records(staging, STAGED_POS, day):
        vendor = po.get("pref_vendor") if isinstance(po.get("pref_vendor"), Mapping) else {}
        if vendor.get("id") is not None:
            ids.add(str(vendor["id"]))
    return ids


def changed(session: Any, entity: str, day: str) -> Iterator[dict[str, Any]]:
    """Procurify's ``entity`` records (list rows) changed in the UTC day, streamed."""
    start, end = day_window(day)
    yield from session.iter_changed(entity, start, end)


# -- bills ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterBill:
    """A Procurify bill as its register shows it."""

    uuid: str
    invoice: str  # the supplier's invoice number
    period: str | None
    amount: Decimal  # in ``currency``, with its own decimals
    status: str  # "Approved", "Paid", ... as Procurify names it
    approved: bool  # its status counts as approved (the integration sends it)
    exported_elsewhere: bool = False  # exported by another process, never sent by this integration
    paid: bool = False  # status 4 Paid
    payment_under_way: bool = False  # a Procurify payment exists, the bill not Paid yet (6, 7, 8)
    currency: str = ""  # the bill's currency code ("" when it names none)

    @property
    def label(self) -> str:
        return f"bill {self.uuid} (invoice {self.invoice or 'none'})"


def register_bill(bill: Mapping[str, Any], period: str, statuses: frozenset[int], sent: bool) -> RegisterBill:
    """The bill of a register of ``period``; ``statuses`` count as approved, ``sent``: the integration sent
    it (so an export by another process does not put it aside)."""
    status, currency = status_code(bill), currency_code(bill)
    return RegisterBill(
        uuid=text(bill.get("uuid")),
        invoice=text(bill.get("invoice_number")),
        period=period,
        # Read in the bill's currency, as the flows send it: whole yen, a dinar's fils.
        amount=in_currency(money_of(bill.get("total_cost_with_tax")), currency or None),
        status=status_name(bill, status),
        approved=status in statuses,
        exported_elsewhere=bool(bill.get("last_export_date")) and not sent,
        paid=status == PAID,
        payment_under_way=status != PAID and has_payment(bill),
        currency=currency,
    )


def register(
    session: Any,
    vendor_id: str,
    period: str,
    date_fields: Sequence[str],
    period_of_bill: Callable[[Mapping[str, Any]], str | None],
    statuses: frozenset[int],
    sent: Callable[[str], bool],
) -> list[RegisterBill]:
    """The vendor's Procurify bills dated in the period, any status, each once, by uuid
    (``bill_register.bills_in_period``: one list read per field of ``date_fields``); ``sent(uuid)``: the
    integration sent the bill."""
    found = bills_in_period(session, vendor_id, period, date_fields, period_of_bill)
    return [register_bill(found[uuid], period, statuses, sent(uuid)) for uuid in sorted(found)]


def bill_now(session: Any, uuid: str) -> dict[str, Any] | None:
    """The bill as Procurify has it now (full read), None when Procurify has no such bill."""
    try:
        return session.get("bills", uuid)
    except ProcurifyNotFoundError:
        return None


def bills_now(
    session: Any, uuids: Iterable[str], period_of_bill: Callable[[Mapping[str, Any]], str | None]
) -> dict[str, str]:
    """Bill uuid -> where Procurify has it now (``Approved, dated 2026-10``, the period by the integration's
    rule), for bills the other side holds that are not in their period's register; ``not found`` when
    Procurify has no such bill."""
    found = {}
    for uuid in sorted(set(uuids)):
        bill = bill_now(session, uuid)
        if bill is None:
            found[uuid] = "not found"
            continue
        found[uuid] = (
            f"{status_name(bill, status_code(bill))}, dated {period_of_bill(bill) or 'without a date'}"
        )
    return found


# -- purchase orders and requisitions -------------------------------------------------------------------


@dataclass(frozen=True)
class ProcurifyPo:
    """A Procurify PO as Procurify holds it now (``found`` False: Procurify has no such PO)."""

    number: str  # procurify_PO
    found: bool
    cancelled: bool = False
    vendor: str = ""

    @property
    def label(self) -> str:
        return f"Procurify PO {self.number}" + (f" ({self.vendor})" if self.vendor else "")


def procurify_po_of(po: Mapping[str, Any] | None, number: str) -> ProcurifyPo:
    """A PO record (a list row or a full read) as the comparison sees it; None: Procurify has none."""
    if po is None:
        return ProcurifyPo(number, False)
    vendor = po.get("pref_vendor")
    return ProcurifyPo(
        number=text(po.get("procurify_PO")) or number,
        found=True,
        cancelled=text(po.get("state")) == PO_CANCELLED,
        vendor=text(vendor.get("name")) if isinstance(vendor, Mapping) else "",
    )


def procurify_po(session: Any, number: str) -> ProcurifyPo:
    """Procurify PO ``number`` as Procurify holds it now."""
    try:
        return procurify_po_of(session.get("purchase_orders", number), number)
    except ProcurifyNotFoundError:
        return ProcurifyPo(number, False)


@dataclass(frozen=True)
class ProcurifyOrderTotal:
    """What an order sent to Procurify is there: its POs (or its requisition while not purchased)."""

    what: str  # "PO 1187", "POs 1187, 1188", "requisition 41 (not purchased yet)"
    found: bool
    subtotal: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    problem: str = ""  # why a part could not be read, in words


def po_total(session: Any, numbers: Sequence[Any]) -> ProcurifyOrderTotal:
    """The POs ``numbers`` together, each read by number: a cancelled one counts nothing; ``found`` False
    naming the numbers Procurify does not have."""
    subtotal = total = Decimal(0)
    missing, cancelled = [], []
    for number in numbers:
        try:
            po = session.get("purchase_orders", number)
        except ProcurifyNotFoundError:
            missing.append(str(number))
            continue
        if str(po.get("state")) == PO_CANCELLED:
            cancelled.append(str(number))
            continue
        subtotal += money_of(po.get("subtotal"))
        total += money_of(po.get("total"))
    what = f"PO{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in numbers)}"
    if cancelled:
        what += f" (cancelled: {', '.join(cancelled)})"
    if missing:
        return ProcurifyOrderTotal(what, False, problem=f"PO {', '.join(missing)} not found")
    return ProcurifyOrderTotal(what, True, subtotal, total)


def requisition_total(session: Any, uuid: str, description: str, since: date) -> ProcurifyOrderTotal:
    """Requisition ``uuid``, found by its ``description`` among those created since ``since`` (Procurify
    reads requisitions by list filter only): its ``totalPrice`` and whether it is purchased yet."""
    found = [
        r
        for r in session.find_requisitions(description=description, created_since=since)
        if str(r.get("uuid")) == uuid
    ]
    if not found:
        return ProcurifyOrderTotal(f"requisition {uuid}", False, problem="not found by its description")
    requisition = found[0]
    purchased = str(requisition.get("status")) == REQUISITION_PURCHASED
    state = " (purchased, PO not linked yet)" if purchased else " (not purchased yet)"
    total = money_of(requisition.get("totalPrice"))
    return ProcurifyOrderTotal(f"requisition {requisition.get('num')}{state}", True, total, total)


def po_details(session: Any, numbers: Iterable[Any]) -> dict[str, dict[str, Any] | None]:
    """PO number -> the PO read by number (with its ``order_items``), None when Procurify has no such PO:
    one call per PO (the list carries no lines, reference 2.5)."""
    found: dict[str, dict[str, Any] | None] = {}
    for number in sorted({str(n) for n in numbers}, key=lambda n: (len(n), n)):
        try:
            found[number] = session.get("purchase_orders", number)
        except ProcurifyNotFoundError:
            found[number] = None
    return found


def requisition_and_items(
    session: Any, uuid: str, description: str, since: date
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Requisition ``uuid`` (found by its ``description`` among those created since ``since``, as
    ``requisition_total`` finds it) and its lines (order items by ``orderNum``); (None, []) when not
    found."""
    found = [
        r
        for r in session.find_requisitions(description=description, created_since=since)
        if str(r.get("uuid")) == uuid
    ]
    if not found:
        return None, []
    requisition = found[0]
    items = list(session.iter_all("order_items", filters={"orderNum": requisition.get("num")}))
    return requisition, items


# -- vendors and account codes --------------------------------------------------------------------------


def all_vendors(session: Any) -> dict[str, dict[str, Any]]:
    """Vendor id -> every vendor Procurify holds (the list has no change filter, reference 2.3: read whole,
    ``ceil(vendors / page size)`` calls); each row carries ``_updated_at`` (its ``dateModified``)."""
    return {str(v.get("id")): v for v in session.iter_all("vendors") if v.get("id") is not None}


def procurify_vendors(session: Any, vendor_ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
    """Vendor id -> Procurify's record, None when Procurify has no such vendor (404)."""
    found: dict[str, dict[str, Any] | None] = {}
    for vendor_id in sorted({v for v in vendor_ids if str(v).isdigit()}, key=int):
        try:
            found[vendor_id] = session.get("vendors", vendor_id)
        except ProcurifyNotFoundError:
            found[vendor_id] = None
    return found


class RowsRead:
    """Rows already read, served to a function that reads through ``session.iter_all`` (such as
    ``account_codes.orphan_codes``), so a list is read from Procurify once per run."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def iter_all(self, entity: str, **_filters: Any) -> Iterator[dict[str, Any]]:
        return iter(self.rows)
