"""A Procurify bill's additional ``costs`` (freight and the like), read the same way by every flow that posts
bills to another system (JD Edwards, Oracle Fusion).

The full bill carries ``costs`` (reference §2.6) but the reference lists no shape for an entry, so an amount
is read from ``amount``, ``total_cost``, ``value`` or ``cost``, or from a bare number; an entry with none of
them is a problem naming its position (never dropped: the bill would no longer add up).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connector_assets.flows import amounts
from connector_resources.refusals import source_invalid
from connector_resources.said import said

_AMOUNT_FIELDS = ("amount", "total_cost", "value", "cost")
_LABEL_FIELDS = ("name", "description", "type", "cost_type")


def cost_amount(cost: Any) -> Decimal | None:
    """The amount of one of the bill's additional ``costs`` (see the module docstring); None if none."""
    if isinstance(cost, Mapping):
        for name in _AMOUNT_FIELDS:
            if cost.get(name) not in (None, ""):
                return amounts.amount(cost[name])
        return None
    return amounts.amount(cost)


def cost_label(cost: Any) -> str:
    """The cost's own name (``name``, ``description``, ``type``), folded to one line; "" when it has none."""
    if isinstance(cost, Mapping):
        for name in _LABEL_FIELDS:
            value = cost.get(name)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())
    return ""


def additional_costs(bill: Mapping[str, Any]) -> tuple[list[tuple[int, Any, Decimal]], list[str]]:
    """The bill's non-zero additional costs as (position from 1, the entry, amount), and a problem for
    each entry that holds no amount (a phrase that keeps its refusal: the cost's amount is invalid)."""
    found: list[tuple[int, Any, Decimal]] = []
    problems: list[str] = []
    for position, cost in enumerate(bill.get("costs") or [], start=1):
        value = cost_amount(cost)
        if value is None:
            text = f"additional cost {position} ({cost!r}) has no amount"
            problems.append(said(source_invalid(text, field="costs.amount")))
        elif value:
            found.append((position, cost, value))
    return found, problems
