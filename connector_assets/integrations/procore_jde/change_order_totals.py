"""A change order added to its JDE order as one line of its ``grand_total`` (``total``, or ``auto`` without
line items), on the account of the commitment's largest schedule of values line (reference §2.4, §2.6).
Docs: docs/integrations/procore_jde.md, "The flows" (change orders, ``total``)."""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_assets.flows.core import Rejected
from connector_assets.procore.document_fields import line_cost_code
from connector_assets.procore.document_reads import schedule_of_values

from .cost_codes import CostCodeMap
from .order_mappers import Account

LINES, TOTAL, AUTO = "lines", "total", "auto"  # ML_PROCORE_JDE_CHANGE_ORDER_LINES


def line_amount(line: Mapping[str, Any]) -> Decimal | None:
    """A schedule of values line's amount, else its quantity x unit cost (a unit-accounted line)."""
    amount = amounts.amount(line.get("amount"))
    if amount is None:
        quantity, unit_cost = amounts.amount(line.get("quantity")), amounts.amount(line.get("unit_cost"))
        if quantity is not None and unit_cost is not None:
            amount = quantity * unit_cost
    return amount


def largest_line(lines: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The line of the largest amount; a tie goes to the first by position, then id (lines without an
    amount come last). None when there are no lines."""

    def rank(indexed: tuple[int, Mapping[str, Any]]) -> tuple[Decimal, int, int]:
        index, line = indexed
        amount = line_amount(line)
        position = line.get("position")
        return (
            -(amount if amount is not None else Decimal("-1e30")),
            int(position) if isinstance(position, int) else index,
            int(line["id"]) if isinstance(line.get("id"), int) else index,
        )

    ranked = sorted(enumerate(lines), key=rank)
    return ranked[0][1] if ranked else None


def total_line(change_order: Mapping[str, Any]) -> dict[str, Any]:
    """The change order as its one line: its ``grand_total`` (negative for a credit), described by its
    title (the number when it has none)."""
    number = change_order.get("number")
    return {
        "amount": change_order.get("grand_total"),
        "description": change_order.get("title") or f"Change order {number or change_order.get('id')}",
    }


def total_account(
    session: Any, books: CostCodeMap, project: str, label: str, commitment_id: str, kind: str | None = None
) -> Account | Rejected:
    """The account of the commitment's largest line (module docstring), why it has none, or the refusal
    when the commitment or its lines cannot be read. ``kind``: the commitment's kind when known (its
    lines are then read at that kind's path alone, ``schedule_of_values``)."""
    lines = schedule_of_values(session, commitment_id, int(project), kind, "JDE")
    if isinstance(lines, Rejected):
        return lines
    line = largest_line(lines)
    if line is None:
        return (
            f"commitment {commitment_id} has no schedule of values lines, so no account for the change "
            "order's total"
        )
    return books.account(project, label, line_cost_code(line, {}) or "")
