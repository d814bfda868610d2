"""Procurify purchase orders and requisitions as Fusion draft purchase orders (pure: every input handed in):
one line per live item with its charge account, decimal strings, never floats; the draft's keeping is
``fusion.draft_orders``'. Field by field: docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.values import decimal, text
from connector_assets.fusion.draft_orders import DESCRIPTION_MAX, LINE_DESCRIPTION_MAX
from connector_assets.procurify.order_fields import item_account_code, item_department, po_line
from connector_resources.fusion.payloads import PurchaseOrderLine
from connector_resources.refusals import source_invalid
from connector_resources.said import reworded, said

Combination = Callable[[str, str | None], tuple[str | None, str | None]]


def notes(descriptions: Iterable[Any]) -> str | None:
    """The order's Description: the distinct requisition notes in order, joined by "; ", at most 240
    characters (cut with an ellipsis); None when there are none."""
    seen: list[str] = []
    for value in descriptions:
        one = " ".join(text(value).split())
        if one and one not in seen:
            seen.append(one)
    joined = "; ".join(seen)
    if not joined:
        return None
    return joined if len(joined) <= DESCRIPTION_MAX else joined[: DESCRIPTION_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class MappedLines:
    lines: list[PurchaseOrderLine]
    problems: list[str]


def order_lines(label: str, items: Sequence[Mapping[str, Any]], combination: Combination) -> MappedLines:
    """Each live item as a draft line with its charge account; every line's problems, each naming the
    record, the line and the field."""
    lines: list[PurchaseOrderLine] = []
    problems: list[str] = []
    numbers = [po_line(i) for i in items]
    use_po_numbers = all(numbers) and len(set(numbers)) == len(numbers)
    for position, item in enumerate(items, start=1):
        number = numbers[position - 1] if use_po_numbers else position
        assert number is not None
        name = text(item.get("name"))[:LINE_DESCRIPTION_MAX]
        where = f"{label} line {number}" + (f" ({name})" if name else "")
        quantity = decimal(item.get("quantity"))
        if quantity is None:
            quantity = decimal(item.get("approved_quantity"))
        price = decimal(item.get("price"))
        if price is None:
            price = decimal(item.get("approved_price"))
        if quantity is None or quantity <= 0:
            raw = item.get("quantity")
            sentence = f"{where}: quantity {raw!r} is not a positive number"
            problems.append(said(source_invalid(sentence, field="quantity", value=raw)))
        if price is None or price < 0:
            raw = item.get("price")
            problems.append(
                said(source_invalid(f"{where}: price {raw!r} is not an amount", field="price", value=raw))
            )
        if not name:
            sentence = f"{where}: the item has no name (Fusion needs a line description)"
            problems.append(said(source_invalid(sentence, field="name")))
        code = item_account_code(item)
        account: str | None = None
        if not code:
            problems.append(
                said(source_invalid(f"{where}: the item has no account code", field="account code"))
            )
        else:
            account, why = combination(code, item_department(item))
            if account is None:
                why = why or f"account code {code} has no Fusion charge account"
                problems.append(reworded(why, f"{where}: {why}"))
        if quantity is None or price is None or not name or account is None:
            continue
        lines.append(
            PurchaseOrderLine(
                line_number=number,
                quantity=quantity,
                price=price,
                description=name,
                uom=text(item.get("unit")) or None,
                charge_account=account,
            )
        )
    return MappedLines(lines, problems)
