"""Requisitions against vouchers, commitments against purchase orders: the money of a Procore day in JDE.

Procore's side, per approved requisition of the day: what it approves for payment on each cost code (this
period's work and stored materials less this period's retainage, ``voucher_mappers.line_payable``: the
issue's rule for what a voucher pays), on the JDE account the cost code maps to today
(``CostCodeMap``); per commitment it bills: its schedule of values plus its approved change orders, by
account. JDE's side: the requisition's voucher batch (F0911Z1 distribution by account) and the
commitment's purchase order (F4311 lines by account, change orders' lines by their ``PCCO-<id>``
reference). Both read on each system's side: JDE's by key (``jde.reconcile_documents``), Procore's live
(``procore.reads``, ``procore.reconcile_documents``).

A change order is found on its order by its reference, whichever way the flow added it
(``ML_PROCORE_JDE_CHANGE_ORDER_LINES``, ``change_orders``), so one added one way and reconciled after the
setting changed (or Procore's line items endpoint came or went) still reconciles: the lines under its
reference are its lines where Procore's line items are read and match them account by account, or its
``grand_total`` on the account of the commitment's largest line (how it is added as its total). Where its
line items are not read (the setting says ``total``, or Procore does not serve them: reference §2.6 has no
line item read), the lines under its reference are compared with its ``grand_total``, sign included.

What is named, in a finance user's words: a requisition with no voucher, or whose voucher distributes
another amount on an account; a commitment with approved requisitions but no purchase order; an approved
change order not on its order, or on it for another amount than its grand_total; an account whose order
lines differ from what Procore commits. Each missing record says why (the retry queue's reason, or that it
was written and JDE no longer has it). Every amount also lands in the per project and period balances
(``balances``).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.reconciliation import Report, money
from connector_assets.integrations.procore_jde.change_order_totals import TOTAL, largest_line
from connector_assets.integrations.procore_jde.change_orders import change_order_mode
from connector_assets.integrations.procore_jde.cost_codes import CostCodeMap
from connector_assets.integrations.procore_jde.order_mappers import (
    change_order_label,
    change_order_reference,
)
from connector_assets.integrations.procore_jde.purchase_orders import statuses
from connector_assets.integrations.procore_jde.reconcile.balances import Balances
from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey, line_payable
from connector_assets.integrations.procore_jde.voucher_mappers import line_cost_code as invoice_cost_code
from connector_assets.jde.account_amounts import (
    Amounts,
    Record,
    charge,
    compare_accounts,
    missing_in_jde,
    not_compared,
)
from connector_assets.jde.reconcile_documents import ReferencedOrder, VoucherBatch
from connector_assets.procore.document_fields import line_cost_code
from connector_assets.procore.reads import ProcoreReads
from connector_assets.procore.reconcile_documents import (
    commitment_name,
    line_amount,
    period_of,
    project_name,
    project_of,
    read_commitment,
    read_requisition,
    requisition_name,
)


@dataclass
class Context:
    """What every comparison of the day shares: the report, the balances, the mapping, the Procore reads,
    the queued reasons per flow, the ledger's written targets."""

    report: Report
    balances: Balances
    costs: CostCodeMap
    procore: ProcoreReads
    queued: dict[str, dict[str, str]]  # flow -> source key -> why it waits (``flows.retry_reasons``)
    written: dict[str, dict[str, str | None]]  # entity -> source key -> JDE id


def why_missing(context: Context, flow: str, entity: str, key: str, jde_has_it: str) -> str:
    """Why JDE does not hold a record, in words: written and since gone, queued (with the reason), held
    (what for), or neither."""
    target = context.written.get(entity, {}).get(key)
    if target:
        return f"it was written as {target}, which {jde_has_it}"
    return context.queued.get(flow, {}).get(key) or "not written yet, and not in the retry queue either"


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


def approved_requisition(context: Context, record: dict[str, Any]) -> ApprovedRequisition:
    """One staged approved requisition with its lines read live, by account."""
    read = read_requisition(context.procore, record)
    project, period = project_of(read.commitment, read.project_id), period_of(record)
    approved, problem, name = Amounts(), read.problem, project_name(read.commitment or {})
    for position, line in enumerate(read.lines, start=1):
        payable = line_payable(line)
        if isinstance(payable, str):
            problem = problem or f"line {position}: {payable}"
        elif payable:
            charge(approved, context.costs, read.project_id, name, invoice_cost_code(line), payable)
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


def compare_voucher(context: Context, req: ApprovedRequisition, voucher: VoucherBatch | None) -> None:
    """One requisition's approved amounts against its JDE voucher batch, account by account."""
    report, scope = context.report, f"{req.project}, {req.period}"
    batch = BatchKey.for_requisition(req.key).batch
    if req.problem is not None:
        jde = "-" if voucher is None else money(voucher.gross)
        return not_compared(
            report, Record("not compared", f"requisition {req.key}", scope, req.label), req.problem, jde
        )
    context.balances.add_requisition(req, voucher)
    origin = str(req.record.get("origin_id") or "").strip()
    if voucher is None and origin and not context.written.get("voucher", {}).get(req.key):
        report.counts["requisitions_synced_elsewhere"] += 1  # vouchered by another process (origin_id)
        return
    if voucher is None:
        if req.approved.total == 0:
            report.counts["requisitions_nothing_payable"] += 1
            return
        missing_in_jde(
            report,
            Record("requisition without voucher", f"requisition {req.key}", scope, req.label),
            req.approved.total,
            f"{req.label}: Procore approves {money(req.approved.total)} but JDE has no voucher batch "
            f"{batch} for it ({why_missing(context, 'vouchers', 'voucher', req.key, 'JDE no longer holds')})",
        )
        return
    report.counts["requisitions_vouchered"] += 1
    compare_accounts(
        report,
        Record("voucher amount", f"requisition {req.key}", scope, req.label),
        ("Procore", "approves", req.approved),
        (f"the JDE voucher {batch}", "distributes", voucher.by_account),
    )


# -- commitments against purchase orders ---------------------------------------------------------------------


@dataclass
class ChangeOrder:
    """The Procore side of one approved change order: its words, its ``grand_total``, its lines by account
    (None when they are not read: module docstring) and ``as_total``, its grand_total on the account of the
    commitment's largest line, where the flow adds it as one line (``change_order_totals``)."""

    label: str
    grand_total: Decimal
    lines: Amounts | None
    as_total: Amounts

    @property
    def total(self) -> Decimal:
        """What Procore approves: its lines' sum where they are read, else its grand_total."""
        return self.lines.total if self.lines is not None else self.grand_total


@dataclass
class Commitment:
    """The Procore side of one commitment: what it commits by account (schedule of values), and its
    approved change orders by id."""

    key: str
    record: dict[str, Any] | None
    project_id: str
    project: str
    label: str
    committed: Amounts
    change_orders: dict[str, ChangeOrder]
    problem: str | None = None


def commitment_side(context: Context, commitment_id: str, project_id: str) -> Commitment:
    """A commitment, its schedule of values and its approved change orders (their lines where they are
    read: not when ``ML_PROCORE_JDE_CHANGE_ORDER_LINES`` says total), by account."""
    approved = statuses("ML_PROCORE_JDE_CHANGE_ORDER_STATUSES")
    lines = change_order_mode() != TOTAL
    read = read_commitment(context.procore, commitment_id, project_id, approved, lines)
    record, project_id, name = read.record, read.project_id, project_name(read.record or {})
    project, label = project_of(record, project_id), commitment_name(record, commitment_id)
    side = Commitment(commitment_id, record, project_id, project, label, Amounts(), {})
    for position, line in enumerate(read.lines, start=1):
        value = line_amount(line)
        if value is None:
            side.problem = f"line {position}: amount {line.get('amount')!r} is not an amount"
            continue
        charge(side.committed, context.costs, project_id, name, line_cost_code(line, {}), value)
    side.problem = read.problem or side.problem
    largest = largest_line(read.lines)
    for change_order, co_lines in read.change_orders:
        found = change_order_side(context, change_order, co_lines, (project_id, name), largest)
        if isinstance(found, str):
            side.problem = found
        else:
            side.change_orders[str(change_order["id"])] = found
    return side


def change_order_side(
    context: Context,
    change_order: Mapping[str, Any],
    co_lines: list[dict[str, Any]] | str | None,
    project: tuple[str, str],
    largest: Mapping[str, Any] | None,
) -> ChangeOrder | str:
    """One approved change order by account (``project``: its id and name; ``largest``: the commitment's
    largest line), or why it cannot be compared."""
    label = change_order_label(change_order)
    if isinstance(co_lines, str):
        return f"{label}: {co_lines}"
    grand_total = amounts.amount(change_order.get("grand_total"))
    lines = None if co_lines is None else Amounts()
    for line in co_lines or []:
        value = line_amount(line)
        if value is not None and lines is not None:
            charge(lines, context.costs, *project, line_cost_code(line, {}), value)
    if grand_total is None:
        if lines is None:
            return (
                f"{label}: its grand_total {change_order.get('grand_total')!r} is not an amount and its line "
                "items are not read"
            )
        grand_total = lines.total
    as_total = Amounts()
    if largest is not None:
        charge(as_total, context.costs, *project, line_cost_code(largest, {}), grand_total)
    return ChangeOrder(label, grand_total, lines, as_total)


def compare_order(context: Context, side: Commitment, order: ReferencedOrder | None, billed: bool) -> None:
    """A commitment against its JDE purchase order: missing, change orders not on it, amounts by account.
    ``billed``: an approved requisition of the day bills it (so it must have an order)."""
    report, scope = context.report, side.project
    if side.problem is not None:
        label = f"{side.label} on {side.project}"
        return not_compared(
            report,
            Record("not compared", side.label, scope, label),
            side.problem,
            order.key if order else "-",
        )
    if order is None:
        if not billed:
            report.counts["change_orders_waiting_for_an_order"] += len(side.change_orders)
            return
        context.balances.add_order(side, side.committed, None)
        missing_in_jde(
            report,
            Record("commitment without purchase order", side.label, scope, side.label),
            side.committed.total,
            f"{side.label} has approved requisitions but no JDE purchase order ("
            f"{why_missing(context, 'purchase_orders', 'purchase_order', side.key, 'JDE no longer has')})",
        )
        return
    report.counts["commitments_on_order"] += 1
    expected, apart = Amounts(), SetApart()
    expected.merge(side.committed)
    for change_order_id, change_order in sorted(side.change_orders.items()):
        reference = change_order_reference(change_order_id)
        if reference not in order.by_reference:
            why = why_missing(context, "change_orders", "change_order", change_order_id, "JDE no longer has")
            label, total = change_order.label, change_order.total
            missing_in_jde(
                report,
                Record("change order not on purchase order", f"change order {change_order_id}", scope, label),
                total,
                f"{label} of {side.label}, approved in Procore for {money(total)}, is not on JDE order "
                f"{order.key} ({why})",
            )
            continue
        report.counts["change_orders_on_order"] += 1
        expected.merge(on_order(context, side, change_order_id, change_order, order, apart))
    context.balances.add_order(side, apart.with_procore(expected), order)
    compare_accounts(
        report,
        Record("purchase order amount", side.label, scope, f"{side.label} on {side.project}"),
        ("Procore", "commits", expected),
        (f"JDE order {order.key}", "has", apart.left_of(order.by_account)),
    )


@dataclass
class SetApart:
    """The change orders of an order left out of its comparison by account: those compared by their total
    alone whose total differs (named once, as the change order). ``jde``: their lines on the order, by
    account; ``procore``: their grand_total where the flow adds it (``as_total``), for the balances."""

    jde: Amounts = field(default_factory=Amounts)
    procore: Amounts = field(default_factory=Amounts)

    def with_procore(self, expected: Amounts) -> Amounts:
        """``expected`` plus Procore's amounts of the change orders set apart: what the balances show."""
        shown = Amounts()
        shown.merge(expected)
        shown.merge(self.procore)
        return shown

    def left_of(self, by_account: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """The order's amounts by account less the lines set apart: what is compared by account."""
        return {a: v - self.jde.by_account.get(a, Decimal(0)) for a, v in by_account.items()}


def on_order(
    context: Context,
    side: Commitment,
    change_order_id: str,
    change_order: ChangeOrder,
    order: ReferencedOrder,
    apart: SetApart,
) -> Amounts:
    """A change order JDE holds lines of (by its reference): what Procore commits by account for it, to be
    compared with the order's accounts (module docstring). Lines read and matching: its lines; one line of
    its grand_total on the largest line's account: that (added as its total); lines not read: the lines
    JDE holds when they add up to its grand_total, else the difference is named here and they are set
    apart (``apart``). Lines read and matching neither: its lines, whose differences the order's accounts
    name."""
    reference = change_order_reference(change_order_id)
    held = {a: v for a, v in order.reference_accounts[reference].items() if v}
    if change_order.lines is not None and held == _nonzero(change_order.lines):
        return change_order.lines
    if held == _nonzero(change_order.as_total):
        context.report.counts["change_orders_on_order_as_total"] += 1
        return change_order.as_total
    if change_order.lines is not None:
        return change_order.lines
    found = Amounts()
    for account, value in held.items():
        found.add(account, "", value)
    jde_total, approved = found.total, change_order.grand_total
    if jde_total == approved:
        context.report.counts["change_orders_on_order_as_total"] += 1
        return found
    apart.jde.merge(found)
    apart.procore.merge(change_order.as_total)
    difference = jde_total - approved
    context.report.differ(
        "change order amount",
        f"change order {change_order_id}",
        side.project,
        money(approved),
        money(jde_total),
        f"{change_order.label} of {side.label}, approved in Procore for {money(approved)} (its grand_total), "
        f"is on JDE order {order.key} for {money(jde_total)} (lines {reference}): JDE holds "
        f"{money(abs(difference))} {'more' if difference > 0 else 'less'} than Procore approves",
    )
    return Amounts()


def _nonzero(found: Amounts) -> dict[str, Decimal]:
    return {account: value for account, value in found.by_account.items() if value}
