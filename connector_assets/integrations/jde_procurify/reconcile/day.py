"""One UTC day reconciled between JD Edwards and Procurify (the JDE tables staged for that date are its JDE
side): orders, bills, pairs and the chart compared in that order by ``orders``, ``bills``, ``vendors`` and
``account_codes``. Cost: docs/integrations/jde_procurify.md, "Reconciliation".
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

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

from .. import bills as bill_flow
from ..account_codes import (
    ACCOUNT_CODES_FLOW,
    map_chart,
    orphan_codes,
)
from ..account_map import ACCOUNTS, AccountMap
from ..integration import INTEGRATION
from ..payment_mappers import bill_of_payment_key
from ..procurify_side import BILLS_ASSET
from ..purchase_orders import order_policy
from ..suppliers import fallback_email
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


def expectations(ledger: Ledger) -> dict[str, Expectations]:
    """Each flow's retry queue, read once, apart (a payment's key ``<payment>:<bill>`` must not explain a
    bill the bills flow never posted); ``settled`` is the two flows that settle a paid bill, a payment
    asked for by its bill (one held for JDE's batch processor explains the bill's paid status)."""
    found = {flow: Expectations(ledger, INTEGRATION, [flow]) for flow in FLOWS}
    found["settled"] = Expectations(
        ledger, INTEGRATION, ["payments", "paid_marks"], asked_as=bill_of_payment_key
    )
    found["orders"] = Expectations(ledger, INTEGRATION, ["purchase_orders", "po_links"])
    return found


def reconcile_day(
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    procurify: SessionSource[ProcurifySession],
    ledger: Ledger,
    day: str,
) -> Report:
    """The day compared (see the module docstring)."""
    report = Report(SYSTEMS, scope_label="Where")
    queues = expectations(ledger)
    counted_jde = CountedJde(jde, report)
    pairs = reads.vendor_pairs(ledger)
    with counted(procurify, report, "procurify") as session:
        _orders(report, staging, counted_jde, session, ledger, day, queues)
        _bills(report, staging, counted_jde, session, ledger, day, pairs, queues)
        _vendors(report, staging, counted_jde, session, day, pairs, queues)
        _account_codes(report, staging, session, ledger, queues)
    return report


def _orders(
    report: Report,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    session: object,
    ledger: Ledger,
    day: str,
    queues: dict,
) -> None:
    policy = order_policy()
    codes = AccountMap(ACCOUNTS.snapshot(staging))
    staged = reads.staged_orders(staging, day, policy)
    touched, unlinked = reads.procurify_day_orders(session, ledger, day)
    keys = staged | touched
    orders = reads.jde_orders(jde, keys)
    rows = OrderRows()
    for key in sorted(keys):
        order = reads.jde_order(key, orders.get(key), policy, codes, ledger)
        procurify = reads.procurify_order(session, ledger, key)
        if procurify is None:
            found = orders.get(key)
            if found is not None and reads.to_send(found, policy):
                compare_unsent(report, order, queues["orders"])
            continue
        OrderComparison(report, order, queues["orders"]).compare(procurify)
        pos = [po for po in procurify.pos.values() if po is not None]
        rows.add(order.label, procurify.what, order.total if order.found else None, pos)
    for number, (po, origin) in sorted(reads.origins(session, staging, ledger, day, unlinked).items()):
        compare_new_po(report, number, po or unlinked[number], origin, queues["orders"])
    report.counts["orders_out_of_balance"] = rows.out_of_balance
    report.tables[ORDERS_TABLE] = rows.table()


def _bills(
    report: Report,
    staging: StagingResource,
    jde: SessionSource[JdeSession],
    session: Any,
    ledger: Ledger,
    day: str,
    pairs: dict[str, str],
    queues: dict,
) -> None:
    statuses, posting, user = bill_flow.approved_statuses(), bill_flow.posting(), bill_flow.batch_user()
    vendor_of = {an8: vendor for vendor, an8 in pairs.items()}
    changed = {str(b.get("uuid")): b for b in procurify_reads.bills_of_day(staging, BILLS_ASSET, day)}
    changed.update({str(b.get("uuid")): b for b in procurify_reads.changed(session, "bills", day)})
    scope: dict[str, set[str]] = defaultdict(set)  # vendor id -> periods
    for uuid, bill in changed.items():
        vendor_id, period = bill_vendor_id(bill), reads.bill_period(bill)
        if vendor_id and period and (status_code(bill) in statuses or bill_flow.posted_as(ledger, uuid)):
            scope[vendor_id].add(period)
    ours: set[str] = set()
    # Vouchers keyed in JDE for a paired supplier are looked for under either posting: under journal
    # posting the flow writes no voucher, so each one is AP's own (a voucher of ours from before the posting
    # changed is still told apart by its batch, and left to the voucher posting's comparison).
    states = jde_reads.vouchers_changed_on(jde, day)
    sources = reads.our_vouchers(jde, states, user)
    if posting == "voucher":  # batch rows JDE purged: the voucher is its bill's by what it carries in F0411
        unmapped = [state for state in states if state.document not in sources]
        sources.update(purged_vouchers(jde, session, ledger, unmapped))
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
        batches.update(purged_batches(jde, ledger, gone, known))
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
        posted = bill_flow.posted_as(ledger, uuid)
        bill = procurify_bill(row, statuses, posted is not None)
        context = BillContext(pairs.get(bill.vendor_id), posted, queues["bills"], queues["settled"])
        context.journal, context.journal_paid = posting == "journal", journals.get(uuid)
        compare_bill(report, rows, bill, batches.get(uuid), context)
    rows.report_to(report, "vendor_periods", BILLS_TABLE)


def _vendors(
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
    fallback = fallback_email()
    for vendor_id, an8 in sorted(pairs.items(), key=lambda p: (len(p[0]), p[0])):
        vendor, document = vendors.get(vendor_id), documents.get(an8)
        compare_pair(
            report, vendor_id, an8, vendor, document, fallback, (queues["suppliers"], queues["vendors"])
        )
    paired = set(pairs.values())
    for an8 in sorted(of_day - paired, key=lambda a: (len(a), a)):
        compare_unpaired_supplier(report, an8, documents.get(an8), queues["suppliers"])
    for vendor_id, vendor in sorted(unpaired.items(), key=lambda v: (len(v[0]), v[0])):
        named_supplier = (
            documents.get(str(int(x))) if (x := words(vendor.get("external_id"))).isdigit() else None
        )
        compare_unpaired_vendor(report, vendor_id, vendor, queues["vendors"], named_supplier)


def _account_codes(
    report: Report, staging: StagingResource, session: Any, ledger: Ledger, queues: dict
) -> None:
    rows, gl = staged_chart(staging)
    accounts = AccountMap(ACCOUNTS.snapshot(staging))
    codes = list(session.iter_all("account_codes"))
    orphans = orphan_codes(procurify_reads.RowsRead(codes), accounts, gl)
    written = written_codes(ledger, ACCOUNT_CODES_FLOW)
    expected = list(map_chart(chart_of(rows), accounts, CodeDepartments.none(), written))
    compare_account_codes(report, expected, codes, orphans, queues["account_codes"])
