"""One UTC day reconciled between Oracle Fusion and Procurify: what is read, in which order, what is
compared.

Bills. The vendor-periods of the day: each Procurify bill changed that day that is approved or was sent
(its vendor, the month of its ``invoice_date``), and each Fusion invoice of ours changed that day (its
bill read from Procurify by uuid gives the vendor and period; a bill Procurify no longer has is named
at once). Each vendor-period is then compared whole (``bills.compare_vendor_period``): the vendor's
register for the month against the Fusion invoices of its bills, and each pair's paid status.

Purchase orders (the default source, Procurify POs): each Procurify PO changed that day against the
Fusion order of its number, then each Fusion order of ours changed that day (not already compared)
against the Procurify PO of its number (``orders``). With ``ML_FUSION_PROCURIFY_ORDER_SOURCE=
requisitions`` the Fusion orders carry requisition numbers (``PFYR60``): those are counted, not compared
(a requisition split per vendor has no one Procurify record to read back); the report's ``per_order``
table says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from connector_assets.flows.reconciliation import Report, period_of
from connector_assets.flows.reconciliation_calls import counted
from connector_assets.flows.retry_reasons import queued_by_flow
from connector_assets.flows.values import text
from connector_assets.fusion import reconcile_reads as fusion_reads
from connector_assets.fusion.reconcile_reads import FusionInvoice
from connector_assets.integrations.fusion_procurify import invoices as invoice_flow
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.po_numbers import (
    order_prefix,
    po_source_key,
    source_key_of,
)
from connector_assets.integrations.fusion_procurify.purchase_orders import order_source
from connector_assets.integrations.fusion_procurify.reconcile import reads
from connector_assets.integrations.fusion_procurify.reconcile.bills import (
    BillRows,
    compare_vendor_period,
    invoice_without_bill,
)
from connector_assets.integrations.fusion_procurify.reconcile.orders import (
    compare_fusion_po,
    compare_procurify_po,
)
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.bill_fields import bill_vendor_id
from connector_resources.ledger import Ledger

SYSTEMS = ("Procurify", "Fusion")
FLOWS = ("purchase_orders", "invoices", "payment_status")
BILLS_TABLE, ORDERS_TABLE = "per_vendor_period", "per_order"


def reconcile_day(staging: Any, procurify: Any, fusion: Any, ledger: Ledger, day: str) -> Report:
    """The day compared (see the module docstring). ``staging`` is unused: every side is read from its
    system (the signature is the shared reconciliation asset's)."""
    report = Report(SYSTEMS, scope_label="Vendor, period / purchase orders")
    queued = queued_by_flow(ledger, INTEGRATION, FLOWS)
    with counted(procurify, report, "procurify") as session, counted(fusion, report, "fusion") as pod:
        _bills(report, session, pod, ledger, day, queued)
        _orders(report, session, pod, ledger, day, queued)
    return report


def _bills(report: Report, session: Any, pod: Any, ledger: Ledger, day: str, queued: Any) -> None:
    statuses = invoice_flow.approved_statuses()
    scope: dict[str, set[str]] = defaultdict(set)  # vendor id -> periods
    names: dict[str, str] = {}
    known: dict[str, dict[str, Any]] = {}  # InvoiceId -> the copy read in the change window

    def concern(bill: dict[str, Any]) -> None:
        vendor_id, period = bill_vendor_id(bill), period_of(bill.get("invoice_date"))
        if vendor_id and period:
            scope[vendor_id].add(period)
            names.setdefault(vendor_id, reads.vendor_name_of(bill))

    for bill in procurify_reads.changed(session, "bills", day):
        uuid = text(bill.get("uuid"))
        if invoice_flow.status_code(bill) in statuses or reads.sent_invoice(ledger, uuid):
            concern(bill)
    for uuid, invoice in reads.changed_invoices(pod, ledger, day):
        known[text(invoice.get("InvoiceId"))] = invoice
        bill = procurify_reads.bill_now(session, uuid)
        if bill is None:
            found = fusion_reads.fusion_invoice(pod, text(invoice.get("InvoiceId")), invoice)
            invoice_without_bill(report, found, uuid)
            continue
        concern(bill)

    rows = BillRows()
    for vendor_id, periods in sorted(scope.items(), key=lambda v: int(v[0])):
        vendor = f"Procurify vendor {vendor_id}" + (f" ({names[vendor_id]})" if names.get(vendor_id) else "")
        supplier_id = paired_supplier(ledger, vendor_id)
        for period in sorted(periods):
            register = reads.register(session, ledger, vendor_id, period, statuses)
            invoices: dict[str, FusionInvoice] = {}
            for bill in register:
                invoice_id = reads.sent_invoice(ledger, bill.uuid)
                if invoice_id is not None:
                    invoices[bill.uuid] = fusion_reads.fusion_invoice(pod, invoice_id, known.get(invoice_id))
            supplier = _supplier_label(supplier_id, invoices.values())
            compare_vendor_period(
                report,
                rows,
                vendor,
                supplier,
                period,
                register,
                invoices,
                queued["invoices"],
                queued["payment_status"],
            )
    rows.report_to(report, "vendor_periods", BILLS_TABLE)


def _supplier_label(supplier_id: str | None, invoices: Any) -> str | None:
    """``Fusion supplier <name> (<SupplierId>)``: the name as an invoice of ours carries it, when one
    does; None when the vendor has no Fusion supplier."""
    if supplier_id is None:
        return None
    name = next((i.supplier for i in invoices if i.found and i.supplier), "")
    return f"Fusion supplier {name} ({supplier_id})" if name else f"Fusion supplier {supplier_id}"


def _orders(report: Report, session: Any, pod: Any, ledger: Ledger, day: str, queued: Any) -> None:
    prefix = order_prefix()
    by_pos = order_source() == "purchase_orders"
    compared: set[str] = set()
    lines: list[str] = []
    if by_pos:
        for row in procurify_reads.changed(session, "purchase_orders", day):
            number = text(row.get("procurify_PO"))
            if not number.isdigit():
                continue
            key = po_source_key(number)
            compared.add(key)
            po = procurify_reads.procurify_po_of(row, number)
            order = reads.fusion_order(pod, ledger, key, prefix)
            compare_procurify_po(report, po, order, queued["purchase_orders"].get(key))
            status = order.status or ("?" if order.found else "-")
            lines.append(f"| {po.label} | {order.label} | {status} |")
    else:
        lines.append(
            "| (requisitions are the source) | Procurify requisitions are not read back: a requisition "
            "split per vendor has no single Procurify record | - |"
        )
    for order in fusion_reads.changed(pod, "purchase_orders", day):
        key = source_key_of(text(order.get("OrderNumber")), prefix)
        if key is None or key in compared:
            continue  # Fusion's own order, or compared from Procurify's side already
        if not key.startswith("PO"):
            report.counts["fusion_orders_of_requisitions_not_compared"] += 1
            continue
        compared.add(key)
        number = key.removeprefix("PO")
        found = fusion_reads.fusion_po_of(order, number)
        po = procurify_reads.procurify_po(session, number)
        compare_fusion_po(report, found, po, queued["purchase_orders"].get(key))
        lines.append(f"| {po.label} | {found.label} | {found.status or '?'} |")
    header = "| Procurify | Fusion | Fusion status |\n|---|---|---|"
    report.tables[ORDERS_TABLE] = (
        header + "\n" + "\n".join(sorted(lines)) if lines else "No purchase order changed this day."
    )
