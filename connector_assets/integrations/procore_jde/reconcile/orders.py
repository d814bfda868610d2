"""Commitments against purchase orders, line by line in order (the flow writes one line per schedule of
values line, never rewritten), each approved change order against the lines under its ``PCCO-<id>``.
Docs: docs/integrations/procore_jde.md, "Reconciliation"."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import zip_longest
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.reconciliation import money
from connector_assets.jde.account_amounts import Amounts, Record, charge, compare_accounts, not_compared
from connector_assets.jde.reconcile_documents import account_key
from connector_assets.jde.reconcile_orders import OrderLine, ReferencedOrder
from connector_assets.procore.document_fields import (
    line_cost_code,
    order_date_of,
    project_label,
    vendor_id_of,
)
from connector_assets.procore.reconcile_documents import (
    commitment_name,
    line_amount,
    project_of,
    read_commitment,
)

from ..change_order_totals import TOTAL, largest_line
from ..order_mappers import (
    CHANGE_ORDER_PREFIX,
    change_order_label,
    change_order_reference,
)
from .documents import Context, differ, missing


@dataclass
class ChangeOrder:
    """The Procore side of one approved change order: its words, its ``grand_total``, its lines by account
    (None when they are not read: ``total``, or no endpoint) and ``as_total``, its grand_total on the
    account of the commitment's largest line, where the flow adds it as one line (``change_order_totals``)."""

    label: str
    grand_total: Decimal
    lines: Amounts | None
    as_total: Amounts

    @property
    def total(self) -> Decimal:
        """What Procore approves: its lines' sum where they are read, else its grand_total."""
        return self.lines.total if self.lines is not None else self.grand_total


@dataclass(frozen=True)
class PlannedLine:
    """One schedule of values line as the purchase orders flow writes it: its position, amount, cost code
    and the JDE account the code maps to today (None, with ``why``, when it maps to none)."""

    position: int
    amount: Decimal
    code: str
    account: str | None
    why: str = ""


@dataclass
class Commitment:
    """The Procore side of one commitment: its record, what it commits by account and line by line
    (schedule of values), and its approved change orders by id."""

    key: str
    record: dict[str, Any] | None
    project_id: str
    project: str
    label: str
    committed: Amounts
    change_orders: dict[str, ChangeOrder]
    problem: str | None = None
    lines: list[PlannedLine] = field(default_factory=list)


def commitment_side(context: Context, commitment_id: str, project_id: str) -> Commitment:
    """A commitment, its schedule of values and its approved change orders (their lines where they are
    read: not when the instance's ``change_order_lines`` says total), by account and line by line."""
    approved = context.own.statuses("change_order_statuses")
    lines = context.own.it.setting("change_order_lines") != TOTAL
    read = read_commitment(context.procore, commitment_id, project_id, approved, lines)
    record, project_id, name = read.record, read.project_id, project_label(read.record or {})
    project, label = project_of(record, project_id), commitment_name(record, commitment_id)
    side = Commitment(commitment_id, record, project_id, project, label, Amounts(), {})
    for position, line in enumerate(read.lines, start=1):
        value = line_amount(line)
        if value is None:
            side.problem = f"line {position}: amount {line.get('amount')!r} is not an amount"
            continue
        code = line_cost_code(line, {}) or ""
        charge(side.committed, context.costs, project_id, name, code, value)
        found = context.costs.account(project_id, name, code)
        if isinstance(found, str):
            side.lines.append(PlannedLine(position, value, code, None, found))
        else:
            side.lines.append(PlannedLine(position, value, code, account_key(found.account)))
    side.problem = read.problem or side.problem
    largest = largest_line(read.lines)
    for change_order, co_lines in read.change_orders:
        made = change_order_side(context, change_order, co_lines, (project_id, name), largest)
        if isinstance(made, str):
            side.problem = made
        else:
            side.change_orders[str(change_order["id"])] = made
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
    """A commitment against its JDE purchase order: there at all, cancelled, its header, its lines, its
    change orders. ``billed``: an approved requisition of the day bills it (so it must have an order)."""
    report, scope = context.report, side.project
    record = Record(
        "line amount", side.label, scope, f"{side.label} on {side.project}", order.name if order else ""
    )
    if side.problem is not None:
        jde = money(order.total) if order else "-"
        return not_compared(report, record._replace(kind="not compared", label=side.label), side.problem, jde)
    if order is None:
        if not billed:
            report.counts["change_orders_waiting_for_an_order"] += len(side.change_orders)
            return
        context.balances.add_order(side, side.committed, None)
        words = f"{side.label} has approved requisitions but no JDE purchase order"
        return missing(
            context, "purchase_orders", "purchase_order", side.key, record, side.committed.total, words,
            "purchase order",
        )  # fmt: skip
    report.compared += 1
    report.counts["commitments_on_order"] += 1
    expected, apart = Amounts(), SetApart()
    expected.merge(side.committed)
    if order.cancelled:
        status = str((side.record or {}).get("status") or "approved")
        context.balances.add_order(side, expected, order)
        return differ(
            context, "status", record, "status", status, "cancelled (every line)",
            f"{record.label} is {status} in Procore, but every line of JDE {order.name} is cancelled",
        )  # fmt: skip
    _header(context, side, order, record)
    _schedule_of_values(context, side, order, record)
    for change_order_id, change_order in sorted(side.change_orders.items()):
        found = _change_order(context, side, change_order_id, change_order, order, apart)
        if found is not None:
            expected.merge(found)
    approved = {change_order_reference(c) for c in side.change_orders}
    for reference, total in sorted(order.by_reference.items()):
        if reference not in approved:
            change_order = reference.removeprefix(CHANGE_ORDER_PREFIX)
            differ(
                context, "only in JDE", record._replace(counterpart=f"{order.name} lines {reference}"),
                "change order lines", "-", money(total),
                f"JDE {order.name} of {side.label} holds {money(total)} of lines {reference}, but change "
                f"order {change_order} is not approved in Procore",
            )  # fmt: skip
    context.balances.add_order(side, apart.with_procore(expected), order)


def _header(context: Context, side: Commitment, order: ReferencedOrder, record: Record) -> None:
    """What the purchase orders flow writes on the header, against the order: the supplier, the project's
    job business unit and company, the order type of the commitment's kind, the order date."""
    commitment = side.record or {}
    vendor = vendor_id_of(commitment)
    job = context.costs.job(side.project_id, project_label(commitment))
    kind = commitment.get("_commitment_type") or commitment.get("type")
    held = {
        "supplier": (context.an8s.get(vendor) if vendor else None, order.supplier),
        "business unit": (None if isinstance(job, str) else job.business_unit, order.business_unit),
        "company": (None if isinstance(job, str) else job.company, order.company),
        "order type": (context.order_types.of(kind), order.order_type),
        "order date": (order_date_of(commitment), order.order_date.isoformat() if order.order_date else ""),
    }
    for name, (expected, found) in held.items():
        if expected and str(expected).strip() != str(found).strip():
            words = f"{record.label}: the {name} is {expected} in Procore but {found or 'blank'} on JDE"
            kind_of = "date" if name.endswith("date") else name
            differ(context, kind_of, record, name, expected, found or "-", f"{words} {order.name}")


def _schedule_of_values(context: Context, side: Commitment, order: ReferencedOrder, record: Record) -> None:
    """The schedule of values line for line against the order's own lines (not a change order's), in line
    order (``_line``); the lines whose cost code maps to no account today named once, against the accounts
    JDE holds them on."""
    held = [line for line in order.lines if not line.reference.startswith(CHANGE_ORDER_PREFIX)]
    unmapped: list[tuple[PlannedLine, OrderLine]] = []
    for planned, line in zip_longest(side.lines, held):
        if _line(context, side, order, record, planned, line) and planned.account is None:
            unmapped.append((planned, line))
    if unmapped:
        codes = ", ".join(dict.fromkeys(p.code for p, _line in unmapped))
        reasons = "; ".join(dict.fromkeys(p.why for p, _line in unmapped))
        mine = sum((p.amount for p, _line in unmapped), Decimal(0))
        theirs = sum((line.extended for _p, line in unmapped), Decimal(0))
        there = ", ".join(f"{money(line.extended)} on account {line.account}" for _p, line in unmapped)
        words = (
            f"{record.label}: Procore commits {money(mine)} on cost code {codes}, which has no JDE account "
            f"in the table in force ({reasons}); JDE {order.name} has {there}"
        )
        field_name = f"account of cost code {codes}"
        differ(context, "cost code without account", record, field_name, money(mine), money(theirs), words)


def _line(
    context: Context,
    side: Commitment,
    order: ReferencedOrder,
    record: Record,
    planned: PlannedLine | None,
    line: OrderLine | None,
) -> bool:
    """One schedule of values line against its order line: one side only, cancelled, its amount, its
    account; True when both are there and compared (its account left to the caller when it has none)."""
    if line is None:
        assert planned is not None
        at, value = f"line {planned.position}", money(planned.amount)
        words = f"{record.label}: {at} ({value}) is not on JDE {order.name}"
        differ(context, "missing in JDE", record, at, value, "-", words)
        return False
    on_line, value = record._replace(counterpart=f"{order.name} {line.label}"), money(line.extended)
    if planned is None:
        if line.cancelled:
            context.report.counts["order_lines_cancelled_only_in_jde"] += 1
            return False
        words = f"JDE {order.name} {line.label} holds {value} on account {line.account}, which no line of"
        differ(context, "only in JDE", on_line, "line", "-", value, f"{words} {side.label} explains")
        return False
    context.report.counts["order_lines_compared"] += 1
    at, jde = f"line {planned.position}", f"JDE {order.name} {line.label}"
    if line.cancelled:
        words = (
            f"{record.label}: {at} ({money(planned.amount)}) is committed in Procore but {jde} is cancelled"
        )
        status = f"{words} (status {line.last_status})"
        differ(context, "status", on_line, f"status of {at}", "committed", "cancelled", status)
        return False
    if planned.amount != line.extended:
        commits = (
            f"{record.label}: Procore commits {money(planned.amount)} on {at} (cost code {planned.code})"
        )
        words = f"{commits} but {jde} is for {value}"
        differ(context, "line amount", on_line, f"amount of {at}", money(planned.amount), value, words)
    if planned.account is not None and planned.account != line.account:
        maps = f"{record.label}: cost code {planned.code} of {at} maps to account {planned.account}"
        words = f"{maps} but {jde} is on account {line.account}"
        differ(context, "account", on_line, f"account of {at}", planned.account, line.account, words)
    return True


def _change_order(
    context: Context,
    side: Commitment,
    change_order_id: str,
    change_order: ChangeOrder,
    order: ReferencedOrder,
    apart: "SetApart",
) -> Amounts | None:
    """One approved change order against the lines under its reference: missing, cancelled, or by account;
    what Procore commits for it (None when it is not on the order, cancelled or named as a whole)."""
    reference = change_order_reference(change_order_id)
    label = f"{change_order.label} of {side.label}"
    record = Record(
        "line amount",
        f"change order {change_order_id}",
        side.project,
        label,
        f"{order.name} lines {reference}",
    )
    if not any(line.reference == reference for line in order.lines):
        words = f"{label}, approved in Procore for {money(change_order.total)}, is not on JDE {order.name}"
        missing(
            context, "change_orders", "change_order", change_order_id, record, change_order.total, words,
            "change order lines",
        )  # fmt: skip
        return None
    if reference not in order.reference_accounts:  # every line under it cancelled
        differ(
            context, "status", record, "status of change order lines", "approved", "cancelled",
            f"{label} is approved in Procore, but every line {reference} of JDE {order.name} is cancelled",
        )  # fmt: skip
        return None
    context.report.counts["change_orders_on_order"] += 1
    found = on_order(context, side, change_order_id, change_order, order, apart)
    if found is not None:
        compare_accounts(
            context.report,
            record,
            ("Procore", "approves", found),
            (f"JDE {order.name} (lines {reference})", "has", order.reference_accounts[reference]),
        )
    return found


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


def on_order(
    context: Context,
    side: Commitment,
    change_order_id: str,
    change_order: ChangeOrder,
    order: ReferencedOrder,
    apart: SetApart,
) -> Amounts | None:
    """What Procore commits by account for a change order JDE holds lines of (by its reference), whichever
    way the flow added it (its lines, or its grand_total as one line); where its lines were not read and
    JDE's do not add up to its grand_total, the difference is named here (None) and they are set apart."""
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
        f"is on JDE {order.name} for {money(jde_total)} (lines {reference}): JDE holds "
        f"{money(abs(difference))} {'more' if difference > 0 else 'less'} than Procore approves",
        counterpart=f"{order.name} lines {reference}",
        field="grand_total",
    )
    return None


def _nonzero(found: Amounts) -> dict[str, Decimal]:
    return {account: value for account, value in found.by_account.items() if value}
