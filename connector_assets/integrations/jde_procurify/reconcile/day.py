"""One UTC day reconciled between JD Edwards and Procurify (the JDE tables staged for that date are its JDE
side): orders, bills, pairs and the chart compared in that order by ``orders``, ``bills``, ``vendors`` and
``account_codes``. Cost: docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.reconciliation import Report, day_window, period_of
from connector_assets.flows.reconciliation_calls import CountedJde, counted
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.jde import reconcile_reads as jde_reads
from connector_assets.jde.account_codes import chart_of, staged_chart
from connector_assets.jde.supplier_documents import changed_suppliers, read_suppliers
from connector_assets.procurify import reconcile_reads as procurify_reads
from connector_assets.procurify.account_codes import written_codes
from connector_assets.procurify.account_departments import CodeDepartments
from connector_assets.procurify.bill_fields import bill_vendor_id, status_code
from connector_assets.procurify.order_fields import words
from connector_assets.runtime.session_source import SessionSource
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde.session import JdeSession
from connector_resources.ledger import Ledger
from connector_resources.procurify import UPDATED_AT
from connector_resources.procurify.session import ProcurifySession

from ..account_codes import map_chart, orphan_codes
from ..bills import approved_statuses, posted_as
from ..own import Own
from ..payment_mappers import bill_of_payment_key
from ..purchase_orders import order_policy
from . import reads
from .account_codes import compare_account_codes
from .bills import (
    BillContext,
    BillRows,
    compare_bill,
    compare_bill_gone,
    compare_voucher_only_in_jde,
    procurify_bill,
)
from .orders import (
    OrderComparison,
    OrderRows,
    compare_new_po,
    compare_unsent,
)
from .purged import purged_batches, purged_vouchers
from .vendors import (
    compare_pair,
    compare_unpaired_supplier,
    compare_unpaired_vendor,
)

SYSTEMS = ("JDE", "Procurify")
FLOWS = ("account_codes", "suppliers", "vendors", "bills")  # each flow's queue apart; the others paired below
ORDERS_TABLE, BILLS_TABLE = "per_order", "per_vendor_period"


def expectations(instance: str, ledger: Ledger) -> dict[str, Expectations]:
    """Each flow's retry queue, read once, apart (a payment's key ``<payment>:<bill>`` must not explain a
    bill the bills flow never posted); ``settled`` is the two flows that settle a paid bill, a payment
    asked for by its bill (one held for JDE's batch processor explains the bill's paid status)."""
    found = {flow: Expectations(ledger, instance, [flow]) for flow in FLOWS}
    found["settled"] = Expectations(
        ledger, instance, ["payments", "paid_marks"], asked_as=bill_of_payment_key
    )
    found["orders"] = Expectations(ledger, instance, ["purchase_orders", "po_links"])
    return found


def day_reconciler(own: Own, account_codes: FlowSpec) -> Callable[..., Report]:
    """``own``'s day compared (see the module docstring); ``account_codes``: its flow writing the codes."""

    def reconcile_day(
        staging: StagingResource,
        jde: SessionSource[JdeSession],
        procurify: SessionSource[ProcurifySession],
        ledger: Ledger,
        day: str,
    ) -> Report:
        report = Report(SYSTEMS, scope_label="Where")
        queues = expectations(own.name, ledger)
        counted_jde = CountedJde(jde, report)
        pairs = reads.vendor_pairs(own, ledger)
        with counted(procurify, report, "procurify") as session:
            _orders(own, report, staging, counted_jde, session, ledger, day, queues)
            _bills(own, report, staging, counted_jde, session, ledger, day, pairs, queues)
            _vendors(own, report, staging, counted_jde, session, day, pairs, queues)
            _account_codes(own, account_codes, report, staging, session, ledger, queues)
        return report

    return reconcile_day


def _orders(
    own: Own,
    report: Report,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    session: object,
    ledger: Ledger,
    day: str,
    queues: dict,
) -> None:
    policy = order_policy(own.it)
    codes = own.account_map(own.accounts.snapshot(staging))
    staged = reads.staged_orders(staging, day, policy)
    touched, unlinked = reads.procurify_day_orders(own, session, ledger, day)
    keys = staged | touched
    orders = reads.jde_orders(jde, keys)
    rows = OrderRows()
    for key in sorted(keys):
        order = reads.jde_order(own, key, orders.get(key), policy, codes, ledger)
        procurify = reads.procurify_order(own, session, ledger, key)
        if procurify is None:
            found = orders.get(key)
            if found is not None and reads.to_send(found, policy):
                compare_unsent(report, order, queues["orders"])
            continue
        OrderComparison(report, order, queues["orders"]).compare(procurify)
        pos = [po for po in procurify.pos.values() if po is not None]
        rows.add(order.label, procurify.what, order.total if order.found else None, pos)
    for number, (po, origin) in sorted(reads.origins(own, session, staging, ledger, day, unlinked).items()):
        compare_new_po(report, number, po or unlinked[number], origin, queues["orders"])
    report.counts["orders_out_of_balance"] = rows.out_of_balance
    report.tables[ORDERS_TABLE] = rows.table()


def _bills(
    own: Own,
    report: Report,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    session: Any,
    ledger: Ledger,
    day: str,
    pairs: dict[str, str],
    queues: dict,
) -> None:
    it = own.it
    statuses, posting, user = approved_statuses(it), it.setting("bill_posting"), it.setting("batch_user")
    vendor_of = {an8: vendor for vendor, an8 in pairs.items()}
    staged_bills = procurify_reads.bills_of_day(staging, own.procurify.bills, day)
    changed = {str(b.get("uuid")): b for b in staged_bills}
    changed.update({str(b.get("uuid")): b for b in procurify_reads.changed(session, "bills", day)})
    scope: dict[str, set[str]] = defaultdict(set)  # vendor id -> periods
    for uuid, bill in changed.items():
        vendor_id, period = bill_vendor_id(bill), reads.bill_period(bill)
        if vendor_id and period and (status_code(bill) in statuses or posted_as(own.name, ledger, uuid)):
            scope[vendor_id].add(period)
    ours: set[str] = set()
    # Vouchers keyed in JDE for a paired supplier are looked for under either posting: under journal
    # posting the flow writes no voucher, so each one is AP's own (a voucher of ours from before the posting
    # changed is still told apart by its batch, and left to the voucher posting's comparison).
    states = jde_reads.vouchers_changed_on(jde, day)
    sources = reads.our_vouchers(jde, states, user)
    if posting == "voucher":  # batch rows JDE purged: the voucher is its bill's by what it carries in F0411
        unmapped = [state for state in states if state.document not in sources]
        sources.update(purged_vouchers(own, jde, session, ledger, unmapped))
    for state in states:
        vendor_id = vendor_of.get(state.an8)
        if state.document in sources:
            if posting != "voucher":
                continue
            ours.add(sources[state.document])
            if vendor_id and period_of(state.gl_date):
                scope[vendor_id].add(period_of(state.gl_date))  # type: ignore[arg-type]
        elif vendor_id and state.entered == day:
            compare_voucher_only_in_jde(report, state, vendor_id, day)
    found: dict[str, dict[str, Any]] = {}
    for vendor_id, periods in sorted(scope.items()):
        for period in sorted(periods):
            found.update(reads.register(session, vendor_id, period))
    batches = reads.batches(jde, set(found) | ours, posting, user)
    if posting == "voucher":
        known = {uuid: document for document, uuid in sources.items()}
        gone = {uuid: found.get(uuid) for uuid in sorted((set(found) | ours) - set(batches))}
        batches.update(purged_batches(own, jde, ledger, gone, known))
    for uuid in sorted(ours - set(found)):  # a voucher of ours changed in JDE, its bill in no register read
        bill = procurify_reads.bill_now(session, uuid)
        if bill is not None:
            found[uuid] = bill
        elif uuid in batches:
            compare_bill_gone(report, batches[uuid])
    journals = reads.payment_journals(jde, found, user) if posting == "journal" else {}
    rows = BillRows()
    _start, end = day_window(day)
    for uuid, row in sorted(found.items()):
        changed_at = row.get(UPDATED_AT)
        if changed_at is not None and changed_at >= end:
            report.counts["bills_changed_after_the_day"] += 1  # the flows may not have seen it yet
            continue
        posted = posted_as(own.name, ledger, uuid)
        bill = procurify_bill(row, statuses, posted is not None)
        context = BillContext(pairs.get(bill.vendor_id), posted, queues["bills"], queues["settled"])
        context.journal, context.journal_paid = posting == "journal", journals.get(uuid)
        compare_bill(report, rows, bill, batches.get(uuid), context)
    rows.report_to(report, "vendor_periods", BILLS_TABLE)


def _vendors(
    own: Own,
    report: Report,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    session: Any,
    day: str,
    pairs: dict[str, str],
    queues: dict,
) -> None:
    vendors = procurify_reads.all_vendors(session)
    of_day = {str(n) for n in changed_suppliers(staging, day, lambda _others: set())}
    start, end = day_window(day)
    unpaired = {
        vendor_id: vendor
        for vendor_id, vendor in vendors.items()
        if vendor_id not in pairs and vendor.get(UPDATED_AT) is not None and start <= vendor[UPDATED_AT] < end
    }
    named = {words(v.get("external_id")) for v in unpaired.values()}
    numbers = {int(a) for a in {*pairs.values(), *of_day, *named} if a.isdigit() and len(a) <= 8}
    documents = {str(d.number): d for d in read_suppliers(jde, numbers)}
    fallback = own.it.setting("vendor_fallback_email")
    for vendor_id, an8 in sorted(pairs.items(), key=lambda p: (len(p[0]), p[0])):
        vendor, document = vendors.get(vendor_id), documents.get(an8)
        queued = (queues["suppliers"], queues["vendors"])
        compare_pair(report, vendor_id, an8, vendor, document, fallback, own.it, queued)
    paired = set(pairs.values())
    for an8 in sorted(of_day - paired, key=lambda a: (len(a), a)):
        compare_unpaired_supplier(report, an8, documents.get(an8), queues["suppliers"])
    for vendor_id, vendor in sorted(unpaired.items(), key=lambda v: (len(v[0]), v[0])):
        named_supplier = (
            documents.get(str(int(x))) if (x := words(vendor.get("external_id"))).isdigit() else None
        )
        compare_unpaired_vendor(report, vendor_id, vendor, queues["vendors"], own.it, named_supplier)


def _account_codes(
    own: Own,
    flow: FlowSpec,
    report: Report,
    staging: StagingResource,
    session: Any,
    ledger: Ledger,
    queues: dict,
) -> None:
    rows, gl = staged_chart(staging)
    accounts = own.account_map(own.accounts.snapshot(staging))
    codes = list(session.iter_all("account_codes"))
    orphans = orphan_codes(procurify_reads.RowsRead(codes), accounts, gl)
    written = written_codes(ledger, flow)
    expected = list(map_chart(chart_of(rows), accounts, CodeDepartments.none(), written))
    compare_account_codes(report, expected, codes, orphans, queues["account_codes"])
