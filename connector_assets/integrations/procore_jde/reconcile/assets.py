"""The reconciliation asset, job and schedule, and one day compared: its staged approved requisitions,
change orders and vendors read in Procore, JDE by key and by day. Docs: docs/integrations/procore_jde.md,
"Reconciliation"."""

from collections.abc import Sequence
from functools import partial
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.day_reconciliation import (
    DayReconciliation,
    ReconciliationWords,
    build_day_reconciliation,
)
from connector_assets.flows.reconciliation import Report, day_window
from connector_assets.flows.reconciliation_calls import counted
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.jde.documents import suppliers_by_number
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.purged_batches import purged_voucher_batches
from connector_assets.jde.reconcile_documents import InSession, voucher_batches
from connector_assets.jde.reconcile_orders import orders_by_reference, orders_changed
from connector_assets.procore.companies import vendor_companies
from connector_assets.procore.document_fields import vendor_id_of
from connector_assets.procore.reads import counted_companies
from connector_assets.procore.reconcile_documents import company_reads, latest_staged, linked_vendors
from connector_assets.procore.staged_documents import approved, staged_records
from connector_resources.ledger import Ledger

from ..change_orders import approved_change_orders
from ..integration import Own
from ..order_mappers import CHANGE_ORDER_PREFIX, OrderTypes, order_reference
from ..vendors import vendor_an8
from ..voucher_mappers import BatchKey
from ..vouchers import off_note, vouchers_enabled
from .balances import Balances
from .documents import (
    Context,
    approved_requisition,
    compare_voucher,
)
from .jde_only import (
    compare_jde_orders,
    read_totals,
    unexplained,
)
from .orders import commitment_side, compare_order
from .purged import purged_marks
from .vendors import compare_vendors

SYSTEMS = ("Procore", "JDE")
BALANCES = "per_project_period"


def reconcile_day(own: Own, staging: Any, jde: Any, procore: Any, ledger: Ledger, day: str) -> Report:
    """The Procore ``day`` compared with JDE (see the module's docstring) for ``own``."""
    report = Report(SYSTEMS, scope_label="Project, period / vendor")
    vouchers_on, name, staged_on = vouchers_enabled(own), own.name, own.procore
    # The latest staged version of each of the day's requisitions, if approved (deleted ones left out).
    requisitions = approved(
        latest_staged(staging, staged_on.requisitions, day), own.statuses("approved_statuses")
    )
    change_orders = approved_change_orders(own, staged_records(staging, staged_on.change_orders, day))
    report.counts["procore_requisitions_approved"] = len(requisitions)
    report.counts["procore_change_orders_approved"] = len(change_orders)
    balances = Balances(vouchers=vouchers_on)
    costs = own.costs.load(staging)
    cancelled = int(own.it.setting("cancelled_status"))
    with counted_companies(procore, report) as sessions:
        # Each record read in its own company: projects' from the staged records, vendors' from the staged
        # vendors and the ledger (their commitments' as they are read).
        staged_vendors = staged_records(staging, staged_on.vendors, day)
        known = vendor_companies(ledger, name)
        reads = company_reads(sessions, procore, (*requisitions, *change_orders), staged_vendors, known)
        flows = ("vendors", "purchase_orders", "vouchers", "change_orders")
        expectations = {flow: Expectations(ledger, name, [flow]) for flow in flows}
        types = OrderTypes.of_instance(own.it)
        context = Context(own, report, balances, costs, reads, expectations, {}, {}, types, cancelled)
        sides = [approved_requisition(context, record) for record in requisitions]
        commitments = {r.commitment_id: r.project_id for r in sides if r.commitment_id}
        billed = set(commitments)
        for change_order in change_orders:
            project = str(change_order.get("_project_id") or change_order.get("project_id") or "")
            commitments.setdefault(str(change_order.get("contract_id") or ""), project)
        commitments.pop("", None)
        orders_side = {cid: commitment_side(context, cid, pid) for cid, pid in commitments.items()}
        scope = {str(row["id"]) for row in staging.read_rows(staged_on.vendors, day)}
        scope |= {vendor for side in orders_side.values() if (vendor := vendor_id_of(side.record or {}))}
        linked = linked_vendors(ledger, name, "JDE")
        vendors = reads.vendors(scope | set(linked))
    target_of = own.written_target
    context.written = {
        "voucher": {r.key: target_of(ledger, "voucher", r.key) for r in sides},
        "purchase_order": {cid: target_of(ledger, "purchase_order", cid) for cid in commitments},
        "change_order": {
            co: target_of(ledger, "change_order", co)
            for order in orders_side.values()
            for co in order.change_orders
        },
    }
    context.an8s = {
        v: linked.get(v) or vendor_an8(own, ledger, v, vendors.get(v)) for v in scope | set(linked)
    }
    an8s = {int(a) for a in context.an8s.values() if a and a.isdigit()}
    with counted(jde, report, "jde") as session:
        keys = {r.key: BatchKey.for_requisition(r.key) for r in sides}
        batches = voucher_batches(session, keys) if vouchers_on else {}
        if vouchers_on:  # batch rows JDE purged (R04110ZA's option, R0411Z1P): the F0411 voucher by its marks
            gone = {r.key: r for r in sides if r.key not in batches and context.written["voucher"].get(r.key)}
            batches.update(purged_voucher_batches(session, purged_marks(gone, context.an8s)))
        references = {order_reference(cid): cid for cid in sorted(commitments)}
        written = context.written["purchase_order"]
        orders = orders_by_reference(session, references, written, CHANGE_ORDER_PREFIX, cancelled)
        found = suppliers_by_number(InSession(session), an8s) if an8s else []
        suppliers = {str(s.number): s for s in found}
        types = {t for t in (context.order_types.purchase_order, context.order_types.work_order) if t}
        changed = orders_changed(
            session, day_window(day), types, jde_timezone(), set(costs.projects.values())
        )
        others = unexplained(name, ledger, changed)
        read_totals(session, others, cancelled)
    for req in sides:
        if vouchers_on:
            compare_voucher(context, req, batches.get(req.key))
        else:
            balances.add_requisition(req, None)
    if not vouchers_on:
        report.counts["requisitions_not_vouchered_vouchers_off"] = len(sides)
        report.tables["vouchers"] = off_note(own)
    for cid, side in orders_side.items():
        compare_order(context, side, orders.get(cid), cid in billed)
    compare_vendors(report, context.an8s, scope, vendors, linked, suppliers, expectations["vendors"])
    compare_jde_orders(context, ledger, changed, others)
    report.counts["project_period_accounts"] = len(balances.rows)
    report.counts["project_period_accounts_out_of_balance"] = balances.out_of_balance
    report.tables[BALANCES] = balances.table()
    return report


WORDS = ReconciliationWords.of(
    """
    The day's approved Procore requisitions against their JDE vouchers and purchase order lines by cost
    code and account, per project and billing period; commitments without a JDE purchase order; approved
    change orders not on their order; vendors on one side only.

    Compare a Procore day's approved requisitions, commitments, change orders and vendors with JDE's
    vouchers, purchase orders and suppliers.

    Reconcile yesterday's Procore requisitions, commitments and vendors with JDE.
    """
)


def reconciliation(own: Own, flows: Sequence[Flow]) -> DayReconciliation:
    """``own``'s reconciliation, after its Procore -> JDE ``flows``."""
    specs, reconcile = [flow.spec for flow in flows], partial(reconcile_day, own)
    return build_day_reconciliation(own.name, ("jde", "procore"), specs, reconcile, jde_timezone, WORDS)
