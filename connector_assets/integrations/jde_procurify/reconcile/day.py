"""One day reconciled between JD Edwards and Procurify: what is read, in which order, what is compared.

The day is a UTC day, like the Procurify-sourced flows' partitions (the JDE tables staged for the same date
are read as its JDE side). Its keys (``reads``): the JDE orders sent to Procurify that changed on either
side that day, the bills staged that day (each brings its vendor and period, compared whole), the
suppliers and vendors the day concerns; the account codes are compared whole every day (small master
data). Then ``orders``, ``bills``, ``vendors`` and ``account_codes`` compare, each naming what differs.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.flows.retry_reasons import queued_by_flow
from connector_assets.integrations.jde_procurify import bills as bill_flow
from connector_assets.integrations.jde_procurify.account_codes import chart_of, orphan_codes, staged_chart
from connector_assets.integrations.jde_procurify.account_map import ACCOUNTS, AccountMap
from connector_assets.integrations.jde_procurify.bill_mappers import bill_vendor_id
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.integrations.jde_procurify.reconcile import reads
from connector_assets.integrations.jde_procurify.reconcile.account_codes import (
    compare_account_codes,
    expected_codes,
)
from connector_assets.integrations.jde_procurify.reconcile.bills import BillRows, compare_vendor_period
from connector_assets.integrations.jde_procurify.reconcile.orders import OrderRows, compare_order
from connector_assets.integrations.jde_procurify.reconcile.vendors import (
    compare_suppliers,
    compare_vendors,
    vendor_label,
)
from connector_assets.integrations.jde_procurify.vendor_pairs import paired_supplier, paired_vendor
from connector_assets.jde.reconcile_reads import suppliers_of_day
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_resources.ledger import Ledger

SYSTEMS = ("JDE", "Procurify")
FLOWS = ("account_codes", "suppliers", "vendors", "purchase_orders", "po_links", "bills")
ORDERS_TABLE, BILLS_TABLE = "per_order", "per_vendor_period"


def reconcile_day(staging: Any, jde: Any, procurify: Any, ledger: Ledger, day: str) -> Report:
    """The day compared (see the module docstring)."""
    report = Report(SYSTEMS, scope_label="Order / vendor, period / master data")
    queued = queued_by_flow(ledger, INTEGRATION, FLOWS)
    counted_jde = CountedJde(jde, report)
    with counted(procurify, report, "procurify") as session:
        _orders(report, staging, counted_jde, session, ledger, day, queued)
        bills = procurify_reads.bills_of_day(staging, day)
        vendor_ids = procurify_reads.vendors_of_day(staging, day, bills)
        _bills(report, counted_jde, session, ledger, bills, queued)
        _vendors(report, staging, counted_jde, session, ledger, day, vendor_ids, queued)
        _account_codes(report, staging, session, queued)
    return report


def _orders(
    report: Report, staging: Any, jde: Any, session: Any, ledger: Ledger, day: str, queued: Any
) -> None:
    keys = reads.day_orders(staging, ledger, day)
    rows = OrderRows()
    jde_side = reads.jde_orders(jde, keys)
    for key in sorted(keys):
        why = queued["purchase_orders"].get(key) or queued["po_links"].get(key)
        compare_order(report, rows, jde_side[key], reads.procurify_order(session, ledger, key), why)
    report.counts["orders_out_of_balance"] = rows.out_of_balance
    report.tables[ORDERS_TABLE] = rows.table()


def _bills(report: Report, jde: Any, session: Any, ledger: Ledger, bills: list[dict], queued: Any) -> None:
    statuses, posting, user = bill_flow.approved_statuses(), bill_flow.posting(), bill_flow.batch_user()
    scope: dict[str, set[str]] = defaultdict(set)  # vendor id -> periods
    names: dict[str, str] = {}
    for bill in bills:
        vendor_id, period = bill_vendor_id(bill), reads.bill_period(bill)
        if not vendor_id or period is None:
            continue
        posted = reads.posted_batch(ledger, str(bill.get("uuid")))
        if bill_flow.status_code(bill) in statuses or posted:
            scope[vendor_id].add(period)
            vendor = bill.get("vendor") if isinstance(bill.get("vendor"), dict) else {}
            names[vendor_id] = vendor_label(vendor, vendor_id)
    rows = BillRows()
    for vendor_id, periods in sorted(scope.items()):
        an8 = paired_supplier(ledger, vendor_id)
        batches = reads.jde_batches(jde, an8, posting, user) if an8 else []
        for period in sorted(periods):
            register = reads.register(session, ledger, vendor_id, period, statuses)
            here = [b for b in batches if b.period == period]
            approved = {b.uuid for b in register if b.approved}
            elsewhere = procurify_reads.bills_now(
                session, [b.source_key for b in here if b.source_key not in approved], reads.bill_period
            )
            why_missing = queued["bills"]  # the vendor without a supplier: said by compare_vendor_period
            compare_vendor_period(
                report, rows, names[vendor_id], an8, period, register, here, why_missing, elsewhere
            )
    rows.report_to(report, "vendor_periods", BILLS_TABLE)


def _vendors(
    report: Report,
    staging: Any,
    jde: Any,
    session: Any,
    ledger: Ledger,
    day: str,
    vendor_ids: set[str],
    queued: Any,
) -> None:
    an8s = suppliers_of_day(staging, day)
    supplier_pairs = {an8: paired_vendor(ledger, an8) for an8 in an8s}
    vendor_pairs = {v: paired_supplier(ledger, v) for v in vendor_ids}
    vendors = procurify_reads.procurify_vendors(
        session, vendor_ids | {v for v in supplier_pairs.values() if v}
    )
    suppliers = reads.jde_suppliers(jde, an8s | {a for a in vendor_pairs.values() if a})
    compare_suppliers(report, {a: suppliers[a] for a in an8s}, supplier_pairs, vendors, queued["suppliers"])
    compare_vendors(
        report, {v: vendors.get(v) for v in vendor_ids}, vendor_pairs, suppliers, queued["vendors"]
    )


def _account_codes(report: Report, staging: Any, session: Any, queued: Any) -> None:
    rows, gl = staged_chart(staging)
    accounts = AccountMap(ACCOUNTS.snapshot(staging))
    codes = list(session.iter_all("account_codes"))
    orphans = orphan_codes(procurify_reads.RowsRead(codes), accounts, gl)
    expected = expected_codes(chart_of(rows), accounts)
    compare_account_codes(report, expected, codes, orphans, queued["account_codes"])
