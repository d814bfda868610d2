"""One UTC day reconciled between Oracle Fusion and Procurify: each side's changes read once from the system
itself, then the records they concern by key in lists, each kind compared by its module.
docs/integrations/fusion_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import partial
from typing import Any

from connector_assets.flows.reconciliation import Report, period_of
from connector_assets.flows.reconciliation_calls import counted
from connector_assets.flows.values import text
from connector_assets.fusion import reconcile_reads as fusion_reads
from connector_assets.fusion.reconcile_reads import FusionInvoice
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.bill_fields import bill_vendor_id, status_code
from connector_assets.procurify.order_fields import id_of
from connector_resources.ledger import Ledger

from .. import invoices as invoice_flow
from ..account_codes import orphan_codes
from ..own import Own
from ..po_numbers import fusion_order_number, po_source_key, source_key_of
from . import reads
from .account_codes import compare_account_codes
from .bills import (
    BillRows,
    compare_vendor_period,
    expected_of,
    invoice_only_in_fusion,
    invoice_without_bill,
)
from .orders import (
    compare_order,
    expected_order,
    order_only_in_fusion,
    order_without_po,
)
from .vendors import (
    Pair,
    compare_pair,
    supplier_label,
    supplier_without_vendor,
    vendor_without_supplier,
)

SYSTEMS = ("Procurify", "Fusion")
BILLS_TABLE, ORDERS_TABLE = "per_vendor_period", "per_order"


class Suppliers:
    """Fusion suppliers by SupplierId, read once a run in lists of ids (``fusion_suppliers``)."""

    def __init__(self, pod: Any) -> None:
        self.pod = pod
        self.known: dict[str, dict[str, Any] | None] = {}

    def seen(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.known[text(row.get("SupplierId"))] = row

    def get(self, ids: Iterable[str]) -> dict[str, dict[str, Any] | None]:
        wanted = {str(i) for i in ids if str(i)}
        missing = wanted - set(self.known)
        if missing:
            self.known.update(fusion_reads.fusion_suppliers(self.pod, missing))
        return {i: self.known.get(i) for i in wanted}


def reconcile_day(own: Own, staging: Any, procurify: Any, fusion: Any, ledger: Ledger, day: str) -> Report:
    """``own``'s day compared (see the module docstring)."""
    report = Report(SYSTEMS, scope_label="Where")
    gaps = reads.Gaps(ledger, own.name)
    with counted(procurify, report, "procurify") as session, counted(fusion, report, "fusion") as pod:
        suppliers = Suppliers(pod)
        vendor_ids = _bills(own, report, session, pod, day, gaps, suppliers)
        vendor_ids |= _orders(own, report, staging, session, pod, ledger, day, gaps)
        _vendors(own, report, session, pod, ledger, day, vendor_ids, gaps, suppliers)
        _account_codes(own, report, staging, session, gaps)
    return report


# -- bills ----------------------------------------------------------------------------------------------


def _bills(
    own: Own, report: Report, session: Any, pod: Any, day: str, gaps: reads.Gaps, suppliers: Suppliers
) -> set[str]:
    """The day's vendor-periods compared (``bills``); the vendor ids concerned."""
    ledger = gaps.ledger
    statuses = invoice_flow.approved_statuses(own.it)
    scope: dict[str, set[str]] = defaultdict(set)  # vendor id -> periods
    names: dict[str, str] = {}
    full: dict[str, dict[str, Any]] = {}  # bill uuid -> the full bill, for the bills compared line by line
    lines_of: set[str] = set()  # bills the day changed that were sent: compared line by line

    def concern(bill: dict[str, Any]) -> None:
        vendor_id, period = bill_vendor_id(bill), period_of(bill.get("invoice_date"))
        if vendor_id and period:
            scope[vendor_id].add(period)
            names.setdefault(vendor_id, reads.vendor_name_of(bill))

    for bill in procurify_reads.changed(session, "bills", day):
        uuid = text(bill.get("uuid"))
        sent = reads.sent_invoice(own.name, ledger, uuid) is not None
        if sent:
            lines_of.add(uuid)
        if status_code(bill) in statuses or sent:
            concern(bill)
    theirs: list[dict[str, Any]] = []
    for invoice in fusion_reads.changed(pod, "invoices", day):
        invoice_id = text(invoice.get("InvoiceId"))
        uuid = reads.bill_of_invoice(own.name, ledger, invoice_id)
        if uuid is None:
            theirs.append(invoice)
            continue
        bill = procurify_reads.bill_now(session, uuid)
        if bill is None:
            invoice_without_bill(report, fusion_reads.invoice_of(pod, invoice_id, invoice), uuid)
            continue
        full[uuid] = bill
        lines_of.add(uuid)
        concern(bill)

    registers = {
        (vendor_id, period): reads.register(own.name, session, ledger, vendor_id, period, statuses)
        for vendor_id, periods in scope.items()
        for period in periods
    }
    sent = {
        row.bill.uuid: invoice_id
        for register in registers.values()
        for row in register
        if (invoice_id := reads.sent_invoice(own.name, ledger, row.bill.uuid)) is not None
    }
    invoices = fusion_reads.fusion_invoices(pod, sent.values())
    for uuid in sorted((lines_of & set(sent)) - set(full)):
        bill = procurify_reads.bill_now(session, uuid)
        if bill is not None:
            full[uuid] = bill
    paired = {vendor_id: own.pairing.paired_supplier(ledger, vendor_id) for vendor_id in scope}
    known = suppliers.get(s for s in paired.values() if s)

    rows = BillRows()
    for (vendor_id, period), register in sorted(registers.items(), key=lambda r: (int(r[0][0]), r[0][1])):
        vendor = f"Procurify vendor {vendor_id}" + (f" ({names[vendor_id]})" if names.get(vendor_id) else "")
        supplier_id = paired[vendor_id]
        supplier = known.get(supplier_id) if supplier_id else None
        label = supplier_label(supplier_id, supplier) if supplier_id else None
        compare_vendor_period(
            report,
            rows,
            vendor,
            label,
            period,
            [row.bill for row in register],
            {uuid: invoices[sent[uuid]] for uuid in (row.bill.uuid for row in register) if uuid in sent},
            gaps,
            {row.bill.uuid: expected_of(row.row, full.get(row.bill.uuid)) for row in register},
            text((supplier or {}).get("SupplierNumber")),
        )
    rows.report_to(report, "vendor_periods", BILLS_TABLE)
    _invoices_only_in_fusion(own, report, pod, ledger, day, theirs)
    return set(scope)


def _invoices_only_in_fusion(
    own: Own, report: Report, pod: Any, ledger: Ledger, day: str, invoices: list[dict[str, Any]]
) -> None:
    """Fusion invoices created that day in the business unit, not ours, whose supplier is paired with a
    Procurify vendor: no bill explains them. An invoice of a supplier no vendor is paired with is Fusion's
    own business (counted)."""
    created = [
        i
        for i in invoices
        if fusion_reads.created_on(i, day) and text(i.get("BusinessUnit")) in ("", pod.business_unit)
    ]
    if not created:
        return
    by_number = fusion_reads.suppliers_by_number(pod, (text(i.get("SupplierNumber")) for i in created))
    for invoice in created:
        supplier = by_number.get(text(invoice.get("SupplierNumber")))
        vendor_id = own.pairing.paired_vendor(ledger, text(supplier.get("SupplierId"))) if supplier else None
        if vendor_id is None:
            report.counts["fusion_invoices_of_unpaired_suppliers"] += 1
            continue
        found: FusionInvoice = fusion_reads.invoice_of(pod, text(invoice.get("InvoiceId")), invoice)
        invoice_only_in_fusion(report, found, f"Procurify vendor {vendor_id}")


# -- purchase orders -------------------------------------------------------------------------------------


def _orders(
    own: Own, report: Report, staging: Any, session: Any, pod: Any, ledger: Ledger, day: str, gaps: reads.Gaps
) -> set[str]:
    """The day's purchase orders compared (``orders``); the vendor ids concerned."""
    prefix, setting = own.it.setting("order_prefix"), own.it.variable("order_prefix")
    by_pos = own.it.setting("order_source") == "purchase_orders"
    # Our order numbers are sent (ML_FUSION_SEND_UNCONFIRMED=OrderNumber): an order of ours not in the
    # ledger (made by hand with our number, adopted) is found by it, as the flow finds it.
    numbered = "OrderNumber" in getattr(pod, "send_unconfirmed", frozenset())
    lines: list[str] = []
    keys: dict[str, str | None] = {}  # PO<n> -> the Fusion POHeaderId (None: none known)
    for row in procurify_reads.changed(session, "purchase_orders", day) if by_pos else ():
        number = text(row.get("procurify_PO"))
        if number.isdigit():
            keys[po_source_key(number)] = None
    for order in fusion_reads.changed(pod, "purchase_orders", day):
        header_id = text(order.get("POHeaderId"))
        number = text(order.get("OrderNumber"))
        key = reads.order_key_of(own.name, ledger, header_id) or source_key_of(number, prefix)
        if key is None:
            _order_only_in_fusion(own, report, ledger, day, pod, order)
        elif not key.startswith("PO"):
            report.counts["fusion_orders_of_requisitions_not_compared"] += 1
        elif by_pos:
            keys[key] = header_id
    if not by_pos:
        lines.append(
            "| (requisitions are the source) | Procurify requisitions are not read back: a requisition "
            "split per vendor has no single Procurify record | - |"
        )
    for key in keys:
        keys[key] = keys[key] or reads.sent_order(own.name, ledger, key)
    found = fusion_reads.fusion_orders(pod, [h for h in keys.values() if h])
    charges = own.charges.load(staging) if keys else None
    vendors: set[str] = set()
    for key, header_id in sorted(keys.items(), key=lambda k: int(k[0].removeprefix("PO"))):
        number = key.removeprefix("PO")
        record = found.get(header_id) if header_id else None
        if header_id and record is None:
            order = fusion_reads.FusionPo(fusion_order_number(key, prefix, setting), False, header_id)
        elif record is not None:
            order = fusion_reads.fusion_po_of(record, fusion_order_number(key, prefix, setting))
        elif numbered:  # no order known: one made (or adopted) with our number counts as there
            order = fusion_reads.fusion_order(pod, None, fusion_order_number(key, prefix, setting))
        else:  # Fusion numbers the orders: ours are known by the ledger's POHeaderId only
            order = fusion_reads.FusionPo(fusion_order_number(key, prefix, setting), False)
        po = reads.procurify_po_now(session, number)
        if po is None:
            if order.found:
                order_without_po(report, order, key)
                lines.append(f"| Procurify PO {number} (not in Procurify) | {order.label} | {order.status} |")
            continue
        assert charges is not None
        expected = expected_order(po, key, partial(own.pairing.paired_supplier, ledger), charges.combination)
        vendors.add(expected.vendor_id)
        compare_order(report, expected, order, gaps)
        status = order.status or ("?" if order.found else "-")
        lines.append(f"| {expected.label} | {order.label if order.found else '-'} | {status} |")
    header = "| Procurify | Fusion | Fusion status |\n|---|---|---|"
    report.tables[ORDERS_TABLE] = (
        header + "\n" + "\n".join(sorted(lines)) if lines else "No purchase order changed this day."
    )
    return {v for v in vendors if v}


def _order_only_in_fusion(
    own: Own, report: Report, ledger: Ledger, day: str, pod: Any, order: dict[str, Any]
) -> None:
    """A Fusion order no key of ours names: one created that day in the business unit for a supplier paired
    with a Procurify vendor is named; the others are Fusion's own business (counted)."""
    unit = text(order.get("ProcurementBU")) or text(order.get("BillToBU"))
    if not fusion_reads.created_on(order, day) or unit not in ("", pod.business_unit):
        report.counts["fusion_orders_not_ours"] += 1
        return
    supplier_id = text(order.get("SupplierId"))
    vendor_id = own.pairing.paired_vendor(ledger, supplier_id) if supplier_id.isdigit() else None
    if vendor_id is None:
        report.counts["fusion_orders_of_unpaired_suppliers"] += 1
        return
    found = fusion_reads.fusion_po_of(order, text(order.get("OrderNumber")))
    order_only_in_fusion(report, found, f"Procurify vendor {vendor_id}")


# -- vendors ---------------------------------------------------------------------------------------------


def _vendors(
    own: Own,
    report: Report,
    session: Any,
    pod: Any,
    ledger: Ledger,
    day: str,
    vendor_ids: set[str],
    gaps: reads.Gaps,
    suppliers: Suppliers,
) -> None:
    """The pairs the day concerns, and the unpaired records among them (``vendors``)."""
    changed_suppliers = {text(s.get("SupplierId")): s for s in fusion_reads.changed(pod, "suppliers", day)}
    suppliers.seen(changed_suppliers.values())
    changed_vendors = {
        id_of(v) or text(v.get("id")): v for v in procurify_reads.changed(session, "vendors", day)
    }
    pairs: dict[tuple[str, str], None] = {}
    unpaired_suppliers, unpaired_vendors = [], []
    for supplier_id in sorted(changed_suppliers):
        vendor_id = own.pairing.paired_vendor(ledger, supplier_id)
        if vendor_id is None:
            unpaired_suppliers.append(supplier_id)
        else:
            pairs[(vendor_id, supplier_id)] = None
    for vendor_id in sorted(set(changed_vendors) | {v for v in vendor_ids if v}, key=lambda v: (len(v), v)):
        supplier_id = own.pairing.paired_supplier(ledger, vendor_id)
        if supplier_id is None:
            unpaired_vendors.append(vendor_id)
        else:
            pairs[(vendor_id, supplier_id)] = None
    wanted = {v for v, _s in pairs} | set(unpaired_vendors)
    vendors: dict[str, dict[str, Any] | None] = {
        v: changed_vendors[v] for v in wanted if v in changed_vendors
    }
    vendors.update(read_vendors(session, wanted - set(vendors)))
    known = suppliers.get(s for _v, s in pairs)
    for vendor_id, supplier_id in pairs:
        compare_pair(
            report,
            Pair(
                vendor_id,
                supplier_id,
                vendors.get(vendor_id),
                known.get(supplier_id),
                manual=own.pairing.manual_vendor(ledger, supplier_id) == vendor_id,
                synced=reads.written_by_suppliers_flow(own.name, ledger, supplier_id) == vendor_id,
            ),
            gaps.queues["suppliers"],
        )
    for supplier_id in unpaired_suppliers:
        supplier_without_vendor(report, supplier_id, changed_suppliers[supplier_id], gaps)
    for vendor_id in unpaired_vendors:
        vendor = vendors.get(vendor_id)
        if vendor is not None:
            vendor_without_supplier(report, vendor_id, vendor, gaps)
    report.counts["vendor_pairs_compared"] = len(pairs)


def read_vendors(session: Any, ids: set[str]) -> dict[str, dict[str, Any] | None]:
    """Vendor id -> Procurify's record (None: none), each read by id, or the whole list when that costs
    fewer calls (its pages, counted by one call, fewer than the vendors wanted)."""
    if len(ids) <= 2:
        return procurify_reads.procurify_vendors(session, ids)
    count = session.count("vendors")
    pages = -(-count // max(getattr(session, "page_size", 50), 1)) if count is not None else None
    if pages is None or pages >= len(ids):
        return procurify_reads.procurify_vendors(session, ids)
    listed = {text(v.get("id")): v for v in session.iter_all("vendors")}
    return {i: listed.get(i) for i in ids}


# -- account codes ---------------------------------------------------------------------------------------


def _account_codes(own: Own, report: Report, staging: Any, session: Any, gaps: reads.Gaps) -> None:
    """The account table whole against Procurify's codes (``account_codes``)."""
    charges = own.charges.load(staging)
    codes = list(session.iter_all("account_codes"))
    orphans = orphan_codes(codes, charges)
    compare_account_codes(report, charges, codes, orphans, gaps)
