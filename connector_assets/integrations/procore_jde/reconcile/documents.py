"""Requisitions against vouchers, commitments against purchase orders: the money of a Procore day in JDE.

Procore's side, per approved requisition of the day: what it approves for payment on each cost code (this
period's work and stored materials less this period's retainage, ``voucher_mappers.line_payable``: the
issue's rule for what a voucher pays), on the JDE account the cost code maps to today
(``CostCodeMap``); per commitment it bills: its schedule of values plus its approved change orders, by
account. JDE's side: the requisition's voucher batch (F0911Z1 distribution by account) and the
commitment's purchase order (F4311 lines by account, change orders' lines by their ``PCCO-<id>``
reference). Both read by key (``reads``).

What is named, in a finance user's words: a requisition with no voucher, or whose voucher distributes
another amount on an account; a commitment with approved requisitions but no purchase order; an approved
change order not on its order; an account whose order lines differ from what Procore commits. Each
missing record says why (the retry queue's reason, or that it was written and JDE no longer has it).
Every amount also lands in the per project and period balances (``balances``).
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.integrations.procore_jde.cost_codes import CostCodeMap
from connector_assets.integrations.procore_jde.order_mappers import (
    change_order_label,
    change_order_reference,
)
from connector_assets.integrations.procore_jde.purchase_orders import project_label, statuses
from connector_assets.integrations.procore_jde.reconcile.balances import Balances
from connector_assets.integrations.procore_jde.reconcile.reads import (
    JdeOrder,
    JdeVoucher,
    account_key,
)
from connector_assets.integrations.procore_jde.reconcile.report import Report, money
from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey, line_payable
from connector_assets.integrations.procore_jde.voucher_mappers import line_cost_code as invoice_cost_code
from connector_assets.procore.document_fields import line_cost_code
from connector_assets.procore.reads import ProcoreReads

NO_ACCOUNT = "no JDE account"


@dataclass
class Amounts:
    """Money by JDE account, with the cost codes that make each account's amount and, for a cost code
    with no account, why (its key is ``no JDE account (<code>)``)."""

    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unmapped: dict[str, str] = field(default_factory=dict)

    def add(self, account: str, code: str, value: Decimal) -> None:
        self.by_account[account] += value
        if code and code not in self.codes[account]:
            self.codes[account].append(code)

    def merge(self, other: "Amounts") -> None:
        """``other``'s amounts, cost codes and reasons added to these."""
        for account, value in other.by_account.items():
            self.by_account[account] += value
            for code in other.codes.get(account) or []:
                if code not in self.codes[account]:
                    self.codes[account].append(code)
        self.unmapped.update(other.unmapped)

    @property
    def total(self) -> Decimal:
        return sum(self.by_account.values(), Decimal(0))

    def where(self, account: str) -> str:
        """``cost code 03-100 (account M30.1310)``, as a finance user reads where an amount is charged."""
        codes = self.codes.get(account) or []
        named = ("cost code " if len(codes) == 1 else "cost codes ") + ", ".join(codes) if codes else ""
        if account in self.unmapped:
            return f"{named} ({NO_ACCOUNT}: {self.unmapped[account]})".strip()
        return f"{named} (account {account})".strip() if named else f"account {account}"


def charge(
    target: Amounts, costs: CostCodeMap, project_id: str, project_name: str, code: str | None, value: Decimal
) -> None:
    """``value`` on the account ``code`` maps to (or on ``no JDE account (<code>)``, saying why)."""
    found = costs.account(project_id, project_name, code or "")
    if isinstance(found, str):
        key = f"{NO_ACCOUNT} ({code or 'no cost code'})"
        target.unmapped[key] = found
        target.add(key, code or "", value)
    else:
        target.add(account_key(found.account), code or "", value)


def period_of(requisition: Mapping[str, Any]) -> str:
    """The billing period (month) a requisition bills: ``requisition_start``, else ``billing_date``."""
    for name in ("requisition_start", "billing_date"):
        text = str(requisition.get(name) or "").strip()
        if len(text) >= 7 and text[:4].isdigit():
            return text[:7]
    return "no period"


def project_of(commitment: Mapping[str, Any] | None, project_id: str) -> str:
    """``project 55 1234 - Sandbox Test Project``: the id and the name a finance user knows it by."""
    name = project_label(commitment or {})
    return f"project {project_id}" + (f" {name}" if name else "")


def commitment_name(commitment: Mapping[str, Any] | None, commitment_id: str) -> str:
    """``commitment PO-007 (881234)``."""
    number = str((commitment or {}).get("number") or "").strip()
    return f"commitment {number} ({commitment_id})" if number else f"commitment {commitment_id}"


def requisition_name(requisition: Mapping[str, Any], project: str, period: str) -> str:
    """``requisition 1280646 (INV-2025-03, project 55 Sandbox Test, period 2025-03)``."""
    invoice = str(requisition.get("invoice_number") or "").strip() or f"no. {requisition.get('number')}"
    return f"requisition {requisition.get('id')} ({invoice}, {project}, period {period})"


def line_amount(line: Mapping[str, Any]) -> Decimal | None:
    """A commitment or change order line's amount: Procore's ``amount``, else quantity x unit cost."""
    found = amounts.amount(line.get("amount")) if line.get("amount") not in (None, "") else None
    if found is not None:
        return found
    quantity, unit_cost = amounts.amount(line.get("quantity")), amounts.amount(line.get("unit_cost"))
    if quantity is None or unit_cost is None:
        return None
    return (quantity * unit_cost).quantize(amounts.CENT)


@dataclass
class Context:
    """What every comparison of the day shares: the report, the balances, the mapping, the Procore reads,
    the queued reasons per flow, the ledger's written targets."""

    report: Report
    balances: Balances
    costs: CostCodeMap
    procore: ProcoreReads
    queued: dict[str, dict[str, str]]  # flow -> source key -> reason
    written: dict[str, dict[str, str | None]]  # entity -> source key -> JDE id


def why_missing(context: Context, flow: str, entity: str, key: str, jde_has_it: str) -> str:
    """Why JDE does not hold a record, in words: written and since gone, queued (with the reason), held
    (what for), or neither."""
    target = context.written.get(entity, {}).get(key)
    if target:
        return f"it was written as {target}, which {jde_has_it}"
    reason = context.queued.get(flow, {}).get(key)
    if reason:
        return reason if reason.startswith("held: ") else f"queued: {reason}"
    return "not written yet, and not in the retry queue either"


# -- account by account ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """A compared document: the kind of difference its amounts make, how the report names it, where it
    belongs, and how a sentence about it starts."""

    kind: str
    name: str
    scope: str
    label: str


def compare_accounts(
    report: Report,
    record: Record,
    procore: tuple[str, Amounts],
    jde: tuple[str, str, Mapping[str, Decimal]],
) -> None:
    """Procore's amounts against JDE's, account by account; ``procore`` is (verb, amounts), ``jde`` (the
    document's name, verb, amounts by account).

    A cost code with no JDE account in today's table cannot be put on an account: its amount is named
    once, with the table's reason, against whatever JDE holds on accounts Procore's mapped codes do not
    explain (typically the account the code mapped to when the document was written), instead of as two
    unrelated account differences.
    """
    verb, ours = procore
    name, jde_verb, theirs = jde
    unmapped = [a for a in ours.by_account if a in ours.unmapped]
    jde_only = sorted(a for a in theirs if a not in ours.by_account and theirs[a])
    for account in sorted(a for a in ours.by_account if a not in ours.unmapped):
        mine, held = ours.by_account[account], theirs.get(account, Decimal(0))
        if mine != held:
            report.differ(
                record.kind,
                record.name,
                record.scope,
                money(mine),
                money(held),
                f"{record.label}: Procore {verb} {money(mine)} on {ours.where(account)} but {name} "
                f"{jde_verb} {money(held)} there",
            )
    if unmapped:
        mine = sum((ours.by_account[a] for a in unmapped), Decimal(0))
        held = sum((theirs[a] for a in jde_only), Decimal(0))
        codes = ", ".join(code for a in unmapped for code in ours.codes.get(a) or [])
        reasons = "; ".join(dict.fromkeys(ours.unmapped[a] for a in unmapped))
        there = (
            ", ".join(f"{money(theirs[a])} on account {a}" for a in jde_only) or "nothing on other accounts"
        )
        report.differ(
            "cost code without account",
            record.name,
            record.scope,
            money(mine),
            money(held),
            f"{record.label}: Procore {verb} {money(mine)} on cost code {codes}, which has no JDE account in "
            f"the table in force ({reasons}); {name} {jde_verb} {there}",
        )
        return
    for account in jde_only:
        report.differ(
            record.kind,
            record.name,
            record.scope,
            money(0),
            money(theirs[account]),
            f"{record.label}: {name} {jde_verb} {money(theirs[account])} on account {account}, where Procore "
            f"{verb} nothing",
        )


def missing_in_jde(report: Report, record: Record, total: Decimal, words: str) -> None:
    """A Procore document JDE holds nothing of: its total against ``-``."""
    report.differ(record.kind, record.name, record.scope, money(total), "-", words)


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
    key = str(record.get("id"))
    commitment_id = str(record.get("commitment_id") or "")
    project_id = str(record.get("_project_id") or record.get("project_id") or "")
    commitment = context.procore.commitment(commitment_id, project_id or None) if commitment_id else None
    problem = commitment if isinstance(commitment, str) else None
    found = commitment if isinstance(commitment, dict) else None
    project_id = project_id or str((found or {}).get("_project_id") or "")
    project, period = project_of(found, project_id), period_of(record)
    label = requisition_name(record, project, period)
    approved = Amounts()
    lines = context.procore.requisition_lines(project_id, key) if project_id else "its project is unknown"
    if isinstance(lines, str):
        problem = problem or lines
        lines = []
    for position, line in enumerate(lines, start=1):
        payable = line_payable(line)
        if isinstance(payable, str):
            problem = problem or f"line {position}: {payable}"
            continue
        if payable:
            charge(
                approved,
                context.costs,
                project_id,
                project_label(found or {}),
                invoice_cost_code(line),
                payable,
            )
    return ApprovedRequisition(
        record, key, project_id, project, period, commitment_id, found, label, approved, problem
    )


def compare_voucher(context: Context, req: ApprovedRequisition, voucher: JdeVoucher | None) -> None:
    """One requisition's approved amounts against its JDE voucher batch, account by account."""
    report, scope = context.report, f"{req.project}, {req.period}"
    batch = BatchKey.for_requisition(req.key).batch
    if req.problem is not None:
        report.differ(
            "not compared",
            f"requisition {req.key}",
            scope,
            "?",
            "-" if voucher is None else money(voucher.gross),
            f"{req.label}: {req.problem}; not compared with JDE",
        )
        return
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
        ("approves", req.approved),
        (f"the JDE voucher {batch}", "distributes", voucher.by_account),
    )


# -- commitments against purchase orders ---------------------------------------------------------------------


@dataclass
class Commitment:
    """The Procore side of one commitment: what it commits by account (schedule of values), and its
    approved change orders (id -> (label, total, amounts by account))."""

    key: str
    record: dict[str, Any] | None
    project_id: str
    project: str
    label: str
    committed: Amounts
    change_orders: dict[str, tuple[str, Decimal, Amounts]]
    problem: str | None = None


def commitment_side(context: Context, commitment_id: str, project_id: str) -> Commitment:
    """A commitment, its schedule of values and its approved change orders' lines, by account."""
    found = context.procore.commitment(commitment_id, project_id or None)
    record = found if isinstance(found, dict) else None
    project_id = project_id or str((record or {}).get("_project_id") or "")
    name = project_label(record or {})
    side = Commitment(
        commitment_id,
        record,
        project_id,
        project_of(record, project_id),
        commitment_name(record, commitment_id),
        Amounts(),
        {},
        found if isinstance(found, str) else None,
    )
    if record is None:
        return side
    lines = context.procore.commitment_lines(record, project_id)
    if isinstance(lines, str):
        side.problem = lines
        return side
    for position, line in enumerate(lines, start=1):
        value = line_amount(line)
        if value is None:
            side.problem = f"line {position}: amount {line.get('amount')!r} is not an amount"
            continue
        charge(side.committed, context.costs, project_id, name, line_cost_code(line, {}), value)
    change_orders = context.procore.change_orders(project_id)
    if isinstance(change_orders, str):
        side.problem = f"its change orders: {change_orders}"
        return side
    approved = statuses("ML_PROCORE_JDE_CHANGE_ORDER_STATUSES")
    for change_order in change_orders:
        if str(change_order.get("contract_id")) != commitment_id:
            continue
        if str(change_order.get("status") or "").lower() not in approved:
            continue
        amounts_of = Amounts()
        co_lines = context.procore.change_order_lines(project_id, change_order)
        label = change_order_label(change_order)
        if isinstance(co_lines, str):
            side.problem = f"{label}: {co_lines}"
            continue
        for line in co_lines:
            value = line_amount(line)
            if value is not None:
                charge(amounts_of, context.costs, project_id, name, line_cost_code(line, {}), value)
        side.change_orders[str(change_order["id"])] = (label, amounts_of.total, amounts_of)
    return side


def compare_order(context: Context, side: Commitment, order: JdeOrder | None, billed: bool) -> None:
    """A commitment against its JDE purchase order: missing, change orders not on it, amounts by account.
    ``billed``: an approved requisition of the day bills it (so it must have an order)."""
    report, scope = context.report, side.project
    if side.problem is not None:
        report.differ(
            "not compared",
            side.label,
            scope,
            "?",
            "-" if order is None else order.key,
            f"{side.label} on {side.project}: {side.problem}; not compared with JDE",
        )
        return
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
    expected = Amounts()
    expected.merge(side.committed)
    for change_order_id, (label, total, lines) in sorted(side.change_orders.items()):
        reference = change_order_reference(change_order_id)
        if reference not in order.by_reference:
            why = why_missing(context, "change_orders", "change_order", change_order_id, "JDE no longer has")
            missing_in_jde(
                report,
                Record("change order not on purchase order", f"change order {change_order_id}", scope, label),
                total,
                f"{label} of {side.label}, approved in Procore for {money(total)}, is not on JDE order "
                f"{order.key} ({why})",
            )
            continue
        report.counts["change_orders_on_order"] += 1
        expected.merge(lines)
    context.balances.add_order(side, expected, order)
    compare_accounts(
        report,
        Record("purchase order amount", side.label, scope, f"{side.label} on {side.project}"),
        ("commits", expected),
        (f"JDE order {order.key}", "has", order.by_account),
    )
