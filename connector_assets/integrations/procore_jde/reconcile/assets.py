"""The reconciliation asset, job and schedule, and one day compared: its staged approved requisitions,
change orders and vendors read in Procore, JDE by key and by day. Docs: docs/integrations/procore_jde.md,
"Reconciliation"."""

from typing import Any

from connector_assets.flows.day_reconciliation import ReconciliationWords, build_day_reconciliation
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
from connector_assets.procore.staged_documents import approved, staged_records, statuses
from connector_resources import settings
from connector_resources.ledger import Ledger

from ..change_orders import (
    CHANGE_ORDERS_FLOW,
    approved_change_orders,
)
from ..cost_codes import CostCodeMap
from ..integration import INTEGRATION, setting, written_target
from ..order_mappers import (
    CHANGE_ORDER_PREFIX,
    OrderTypes,
    order_reference,
)
from ..procore_side import CHANGE_ORDERS_ASSET, REQUISITIONS_ASSET, STAGED_VENDORS
from ..purchase_orders import (
    APPROVED_SETTING,
    PURCHASE_ORDERS_FLOW,
)
from ..vendors import VENDORS_FLOW, vendor_an8
from ..voucher_mappers import BatchKey
from ..vouchers import OFF_NOTE, VOUCHERS_FLOW, vouchers_enabled
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
FLOWS = (VENDORS_FLOW, PURCHASE_ORDERS_FLOW, VOUCHERS_FLOW, CHANGE_ORDERS_FLOW)
BALANCES = "per_project_period"
CANCELLED_SETTING = setting("CANCELLED_STATUS")


def reconcile_day(staging: Any, jde: Any, procore: Any, ledger: Ledger, day: str) -> Report:
    """The Procore ``day`` compared with JDE (see the module's docstring)."""
    report = Report(SYSTEMS, scope_label="Project, period / vendor")
    vouchers_on = vouchers_enabled()
    # The latest staged version of each of the day's requisitions, if approved (deleted ones left out).
    requisitions = approved(latest_staged(staging, REQUISITIONS_ASSET, day), statuses(APPROVED_SETTING))
    change_orders = approved_change_orders(staged_records(staging, CHANGE_ORDERS_ASSET, day))
    report.counts["procore_requisitions_approved"] = len(requisitions)
    report.counts["procore_change_orders_approved"] = len(change_orders)
    balances = Balances(vouchers=vouchers_on)
    costs = CostCodeMap.load(staging)
    cancelled = int(settings.read(CANCELLED_SETTING))
    with counted_companies(procore, report) as sessions:
        # Each record read in its own company: projects' from the staged records, vendors' from the staged
        # vendors and the ledger (their commitments' as they are read).
        staged_vendors = staged_records(staging, STAGED_VENDORS, day)
        known = vendor_companies(ledger, INTEGRATION)
        reads = company_reads(sessions, procore, (*requisitions, *change_orders), staged_vendors, known)
        expectations = {spec.name: Expectations(ledger, INTEGRATION, [spec.name]) for spec in FLOWS}
        context = Context(
            report, balances, costs, reads, expectations, {}, {}, OrderTypes.from_settings(), cancelled
        )
        sides = [approved_requisition(context, record) for record in requisitions]
        commitments = {r.commitment_id: r.project_id for r in sides if r.commitment_id}
        billed = set(commitments)
        for change_order in change_orders:
            project = str(change_order.get("_project_id") or change_order.get("project_id") or "")
            commitments.setdefault(str(change_order.get("contract_id") or ""), project)
        commitments.pop("", None)
        orders_side = {cid: commitment_side(context, cid, pid) for cid, pid in commitments.items()}
        scope = {str(row["id"]) for row in staging.read_rows(STAGED_VENDORS, day)}
        scope |= {vendor for side in orders_side.values() if (vendor := vendor_id_of(side.record or {}))}
        linked = linked_vendors(ledger, INTEGRATION, "JDE")
        vendors = reads.vendors(scope | set(linked))
    context.written = {
        "voucher": {r.key: written_target(ledger, "voucher", r.key) for r in sides},
        "purchase_order": {cid: written_target(ledger, "purchase_order", cid) for cid in commitments},
        "change_order": {
            co: written_target(ledger, "change_order", co)
            for side in orders_side.values()
            for co in side.change_orders
        },
    }
    context.an8s = {v: linked.get(v) or vendor_an8(ledger, v, vendors.get(v)) for v in scope | set(linked)}
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
        others = unexplained(ledger, changed)
        read_totals(session, others, cancelled)
    for req in sides:
        if vouchers_on:
            compare_voucher(context, req, batches.get(req.key))
        else:
            balances.add_requisition(req, None)
    if not vouchers_on:
        report.counts["requisitions_not_vouchered_vouchers_off"] = len(sides)
        report.tables["vouchers"] = OFF_NOTE
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
RECONCILE = build_day_reconciliation(
    INTEGRATION, ("jde", "procore"), FLOWS, reconcile_day, jde_timezone, WORDS
)
RECONCILIATION = RECONCILE.name
WIRING = RECONCILE.wiring()  # what the component takes (``IntegrationParts.assembled``)
reconciliation_assets, reconciliation_jobs, reconciliation_schedules = WIRING
