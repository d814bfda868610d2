"""Procurify read back for a reconciliation (JD Edwards and Oracle Fusion alike): bill registers, bills, POs,
requisitions, vendors and a day's changes, by id or the reference's list filters, never a whole history;
what is the integration's (period dates, approved statuses, what it sent) is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dagster import AssetKey

from connector_assets.flows.amounts import amount
from connector_assets.flows.reconciliation import day_window
from connector_assets.flows.values import text
from connector_assets.procurify.bill_fields import currency_code, in_currency, status_code, status_name
from connector_assets.procurify.bill_marks import has_payment
from connector_assets.procurify.bill_reads import staged_bills
from connector_assets.runtime.staging import StagingResource
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.procurify.session import ProcurifySession

PAID = 4  # bill status 4 Paid (reference 2.6)


def bills_of_day(staging: StagingResource, asset: AssetKey, day: str) -> list[dict[str, Any]]:
    """The bills staged at ``asset`` for the day, latest version each (as the bills flows read them)."""
    return [bill for bill, _stamp in staged_bills(staging, asset, day)]


def changed(session: ProcurifySession, entity: str, day: str) -> Iterator[dict[str, Any]]:
    """Procurify's ``entity`` records (list rows) changed in the UTC day, streamed."""
    start, end = day_window(day)
    yield from session.iter_changed(entity, start, end)


# -- bills ----------------------------------------------------------------------------------------------


def month(period: str) -> tuple[date, date]:
    """First and last day of ``2026-11``."""
    first = date.fromisoformat(f"{period}-01")
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def bills_in_period(
    session: ProcurifySession,
    vendor_id: str,
    period: str,
    date_fields: Iterable[str],
    period_of_bill: Callable[[Mapping[str, Any]], str | None],
) -> dict[str, dict[str, Any]]:
    """Bill uuid -> the vendor's Procurify bill (list row) dated in ``period``: one list read per field of
    ``date_fields`` over the month (``vendor``, ``<field>_0`` / ``<field>_1``, reference 2.6), kept when
    ``period_of_bill`` (the integration's rule) says it is the period's; a later read wins for a bill two
    reads return; bills without a uuid are left out."""
    first, last = month(period)
    found: dict[str, dict[str, object]] = {}
    for field in date_fields:
        filters = {"vendor": vendor_id, f"{field}_0": first, f"{field}_1": last}
        for bill in session.iter_all("bills", filters=filters):
            uuid = str(bill.get("uuid") or "").strip()
            if uuid and period_of_bill(bill) == period:
                found[uuid] = bill
    return found


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


def register_bill(
    bill: Mapping[str, object], period: str, statuses: frozenset[int], sent: bool
) -> RegisterBill:
    """The bill of a register of ``period``; ``statuses`` count as approved, ``sent``: the integration sent
    it (so an export by another process does not put it aside)."""
    status, currency = status_code(bill), currency_code(bill)
    return RegisterBill(
        uuid=text(bill.get("uuid")),
        invoice=text(bill.get("invoice_number")),
        period=period,
        # Read in the bill's currency, as the flows send it (whole yen, a dinar's fils); not a number: 0.
        amount=in_currency(amount(bill.get("total_cost_with_tax")) or Decimal(0), currency or None),
        status=status_name(bill),
        approved=status in statuses,
        exported_elsewhere=bool(bill.get("last_export_date")) and not sent,
        paid=status == PAID,
        payment_under_way=status != PAID and has_payment(bill),
        currency=currency,
    )


def record_now(session: ProcurifySession, entity: str, ident: Any) -> dict[str, Any] | None:
    """Procurify's ``entity`` record ``ident`` as it is now (read by id), None when Procurify has none."""
    try:
        return session.get(entity, ident)
    except ProcurifyNotFoundError:
        return None


def bill_now(session: ProcurifySession, uuid: str) -> dict[str, Any] | None:
    """The bill as Procurify has it now (full read), None when Procurify has no such bill."""
    return record_now(session, "bills", uuid)


# -- purchase orders and requisitions -------------------------------------------------------------------


def po_details(session: Any, numbers: Iterable[Any]) -> dict[str, dict[str, Any] | None]:
    """PO number -> the PO read by number (with its ``order_items``), None when Procurify has no such PO:
    one call per PO (the list carries no lines, reference 2.5)."""
    ordered = sorted({str(n) for n in numbers}, key=lambda n: (len(n), n))
    return {number: record_now(session, "purchase_orders", number) for number in ordered}


def requisition_and_items(
    session: Any, uuid: str, description: str, since: date
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Requisition ``uuid``, found by its ``description`` among those created since ``since`` (Procurify
    reads requisitions by list filter only), and its lines (order items by ``orderNum``); (None, []) when
    not found."""
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


def procurify_vendors(
    session: ProcurifySession, vendor_ids: Iterable[str]
) -> dict[str, dict[str, object] | None]:
    """Vendor id -> Procurify's record, None when Procurify has no such vendor (404)."""
    ordered = sorted({v for v in vendor_ids if str(v).isdigit()}, key=int)
    return {vendor_id: record_now(session, "vendors", vendor_id) for vendor_id in ordered}


class RowsRead:
    """Rows already read, served to a function that reads through ``session.iter_all`` (such as
    ``account_codes.orphan_codes``), so a list is read from Procurify once per run."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def iter_all(self, entity: str, **_filters: Any) -> Iterator[dict[str, Any]]:
        return iter(self.rows)
