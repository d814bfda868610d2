"""Requisitions against vouchers: what a Procore day approves for payment (computed as the vouchers flow
sends it), against the JDE batch or F0411 voucher. Fields compared: docs/integrations/procore_jde.md,
"Reconciliation"."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.periods import FIRST_OPEN_DAY, gl_date_policy
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, Report, currencies_differ, money
from connector_assets.flows.reconciliation_expected import Expectations
from connector_assets.flows.values import iso_day
from connector_assets.jde.account_amounts import (
    Amounts,
    Record,
    charge,
    compare_accounts,
    missing_in_jde,
    not_compared,
)
from connector_assets.jde.job_cost_distribution import settlement
from connector_assets.jde.reconcile_documents import VoucherBatch
from connector_assets.jde.reconcile_reads import order_label
from connector_assets.procore.document_fields import project_label
from connector_assets.procore.document_reads import payment_due
from connector_assets.procore.reads import ProcoreReads
from connector_assets.procore.reconcile_documents import (
    period_of,
    project_of,
    read_requisition,
    requisition_name,
)

from ..cost_codes import CostCodeMap
from ..integration import Own
from ..order_mappers import OrderTypes
from ..voucher_mappers import (
    BatchKey,
    commitment_currency,
    line_payable,
)
from ..voucher_mappers import line_cost_code as invoice_cost_code
from .balances import Balances

NOT_WRITTEN = "not written yet, and not in the retry queue either"


@dataclass
class Context:
    """What every comparison of the day shares: the instance, the report, the balances, the mapping, the
    Procore reads, the retry queue per flow, the ledger's written targets, each vendor's JDE address number,
    the order types by kind of commitment and the F4311 status from which a line is cancelled."""

    own: Own
    report: Report
    balances: Balances
    costs: CostCodeMap
    procore: ProcoreReads
    expectations: dict[str, Expectations]  # flow -> its queue (``flows.reconciliation_expected``)
    written: dict[str, dict[str, str | None]]  # entity -> source key -> JDE id
    an8s: dict[str, str | None]  # Procore vendor id -> its JDE address number (None: it has none)
    order_types: OrderTypes = OrderTypes()
    cancelled_status: int = 980


def missing(
    context: Context, flow: str, entity: str, key: str, record: Record, total: Decimal, words: str, field: str
) -> None:
    """A Procore record JDE holds nothing of: a difference when it was written and is gone (its JDE id
    said) or was never written and the queue does not know it; an expected gap with the queue's reason
    when the flow queued, held or abandoned it (under ``key``, the flow's key)."""
    target = context.written.get(entity, {}).get(key)
    if target:
        why = f"it was written as {target}, which JDE no longer holds"
    else:
        expectations = context.expectations.get(flow)
        if expectations is not None and expectations.account_for(context.report, record.name, key):
            return
        why = NOT_WRITTEN
    missing_in_jde(context.report, record._replace(kind="missing in JDE"), total, f"{words} ({why})", field)


# -- requisitions against vouchers ---------------------------------------------------------------------------


@dataclass
class ApprovedRequisition:
    """The Procore side of one approved requisition: where it belongs and what it approves by account."""

    record: dict[str, Any]
    key: str
    project_id: str
    project: str
    period: str
    commitment_id: str
    commitment: dict[str, Any] | None
    label: str
    approved: Amounts
    problem: str | None = None

    @property
    def currency(self) -> str:
        """``commitment_currency``; blank: the voucher takes the supplier's in JDE."""
        return commitment_currency(self.commitment)

    @property
    def name(self) -> str:
        """``requisition 1280646 (INV-7)``: as a Procore user finds it."""
        invoice = str(self.record.get("invoice_number") or "").strip() or f"no. {self.record.get('number')}"
        return f"requisition {self.key} ({invoice})"


def approved_requisition(context: Context, record: dict[str, Any]) -> ApprovedRequisition:
    """One staged approved requisition with its lines read live, by account."""
    read = read_requisition(context.procore, record)
    project, period = project_of(read.commitment, read.project_id), period_of(record)
    approved, problem, name = Amounts(), read.problem, project_label(read.commitment or {})
    payable_lines = 0
    currency = commitment_currency(read.commitment) or None
    for position, line in enumerate(read.lines, start=1):
        payable = line_payable(line, currency)  # rounded in the commitment's currency, as the flow does
        if isinstance(payable, str):
            problem = problem or f"line {position}: {payable}"
        elif payable:
            payable_lines += 1
            charge(approved, context.costs, read.project_id, name, invoice_cost_code(line), payable)
    due = amounts.amount(payment_due(record))
    if problem is None and due is not None:
        settle(approved, due, payable_lines, currency)
    return ApprovedRequisition(
        record,
        str(record.get("id")),
        read.project_id,
        project,
        period,
        str(record.get("commitment_id") or ""),
        read.commitment,
        requisition_name(record, project, period),
        approved,
        problem,
    )


def settle(approved: Amounts, due: Decimal, lines: int, currency: str | None) -> None:
    """Procore's lines made to come to its ``current_payment_due`` as the vouchers flow makes them
    (``settlement``, in ``currency``'s smallest unit); a larger difference is left as the lines say."""
    found = settlement(approved.by_account, due, lines, amounts.quantum(currency))
    if found.account is not None:
        approved.by_account[found.account] += found.difference


def compare_voucher(context: Context, req: ApprovedRequisition, voucher: VoucherBatch | None) -> None:
    """One requisition against its JDE voucher: there at all, its status, its header, its amounts."""
    report, scope = context.report, f"{req.project}, {req.period}"
    key = BatchKey.for_requisition(req.key)
    batch = f"voucher batch {key.user}/{key.batch}/{key.transaction}"
    record = Record("voucher amount", req.name, scope, req.label, voucher.name if voucher else batch)
    if req.problem is not None:
        return not_compared(report, record._replace(kind="not compared"), req.problem, _gross(voucher))
    live = voucher is not None and not voucher.gone and not voucher.voided
    context.balances.add_requisition(req, voucher if live else None)
    origin = str(req.record.get("origin_id") or "").strip()
    if voucher is None and origin and not context.written.get("voucher", {}).get(req.key):
        report.counts["requisitions_synced_elsewhere"] += 1  # vouchered by another process (origin_id)
        return
    if voucher is None or voucher.gone:
        if voucher is None and req.approved.total == 0:
            report.counts["requisitions_nothing_payable"] += 1
            return
        approves = f"{req.label}: Procore approves {money(req.approved.total)}"
        words = f"{approves} but JDE has no voucher batch {key.batch} for it"
        if voucher is not None:
            words = f"{approves} but JDE {voucher.name}, made from batch {key.batch}, is gone"
        return missing(context, "vouchers", "voucher", req.key, record, req.approved.total, words, "voucher")
    report.compared += 1
    if voucher.voided:
        whole = voucher.voided >= voucher.pay_items
        status = "voided" if whole else f"{voucher.voided} of {voucher.pay_items} pay items voided"
        return differ(
            context, "status", record, "status", str(req.record.get("status") or "approved"), status,
            f"{req.label}: approved in Procore, but JDE {voucher.name} is {status}",
        )  # fmt: skip
    report.counts["requisitions_vouchered"] += 1
    _header(context, req, voucher, record)
    if currencies_differ(req.currency, voucher.currency):
        return differ(
            context, CURRENCY_MISMATCH, record, "currency", req.currency, voucher.currency,
            f"{req.label}: Procore approves {money(req.approved.total, req.currency)} {req.currency} but JDE "
            f"{voucher.name} is in {voucher.currency} ({money(voucher.gross, voucher.currency)}); amounts in "
            "two currencies are not compared",
        )  # fmt: skip
    named = compare_accounts(
        report,
        record,
        ("Procore", "approves", req.approved),
        (f"the JDE voucher {key.batch}", "distributes", voucher.by_account),
    )
    if not named and voucher.gross != req.approved.total:
        differ(
            context, "voucher amount", record, "gross", money(req.approved.total), money(voucher.gross),
            f"{req.label}: Procore approves {money(req.approved.total)} but JDE {voucher.name} is for "
            f"{money(voucher.gross)}",
        )  # fmt: skip


def _header(context: Context, req: ApprovedRequisition, voucher: VoucherBatch, record: Record) -> None:
    """What the vouchers flow writes on the pay item, against what JDE holds: the supplier, the invoice
    number, the invoice and G/L dates, the order."""
    source = req.record
    vendor = str(((req.commitment or {}).get("vendor") or {}).get("id") or "")
    an8 = context.an8s.get(vendor) if vendor else None
    invoice = str(source.get("invoice_number") or "").strip() or f"REQ-{source.get('number')}"
    invoice_date = iso_day(source.get("billing_date"))
    gl_date = iso_day(source.get("requisition_end")) or invoice_date
    order = context.written.get("purchase_order", {}).get(req.commitment_id)
    held = {
        "supplier": (an8, voucher.supplier),
        "invoice number": (invoice, voucher.invoice),
        "invoice date": (invoice_date, _iso(voucher.invoice_date)),
        "G/L date": (gl_date, _iso(voucher.gl_date)),
        "purchase order": (order_name(order), order_name(voucher.order)),
    }
    moved = gl_date_policy(context.own.name) == FIRST_OPEN_DAY
    for field, (expected, found) in held.items():
        if field == "G/L date" and moved and expected and found and found > expected:
            context.report.counts["gl_dates_moved_to_an_open_period"] += 1  # the policy re-dates, and says so
            continue
        if expected and expected != found:
            kind = "date" if field.endswith("date") else field
            words = f"{req.label}: the {field} is {expected} in Procore but {found or 'blank'} on JDE"
            differ(context, kind, record, field, expected, found or "-", f"{words} {voucher.name}")


def differ(
    context: Context, kind: str, record: Record, field: str, procore: Any, jde: Any, words: str
) -> None:
    """A field of ``record`` that differs, Procore's value first."""
    context.report.differ(
        kind, record.name, record.scope, procore, jde, words, counterpart=record.counterpart, field=field
    )


def order_name(key: str | None) -> str:
    """``order 4011 OP 00001`` of an order key ``KCOO:DOCO:DCTO``; blank for none."""
    return f"order {order_label(key)}" if key else ""


def _gross(voucher: VoucherBatch | None) -> str:
    return "-" if voucher is None else money(voucher.gross)


def _iso(day: Any) -> str:
    return day.isoformat() if day is not None else ""
