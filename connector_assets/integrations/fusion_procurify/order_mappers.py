"""Procurify purchase orders and requisitions as Fusion draft purchase orders. Pure: no I/O; every input is
handed in.

The order (``fusion.draft_orders.draft_order``, from what is mapped here):

* header: ``OrderNumber`` (``po_numbers.fusion_order_number``), the business unit, the supplier and its
  purchasing site (looked up by the caller), the currency (the PO's ``purchased_currency``, the
  requisition's ``currency``), the optional buyer setting, and ``Description`` = the notes of the Procurify
  requisition(s) the order came from (their ``description``), cut to Fusion's 240 characters: what Fusion
  later carries to the supplier invoice;
* one line per live order item (``live_items``: not rejected for purchase, not denied, not a draft line):
  ``LineNumber`` = the PO line number (``PO_line_num``; the item order for a requisition), ``Quantity``,
  ``Price`` (decimal strings, never floats), ``Description`` = the item name, ``UOM`` = its unit, and the
  charge account = ``ChargeAccounts.combination(item account code, item department)`` (one schedule, one
  distribution). A line whose account cannot be made refuses the order naming the record, the line and the
  account ("Procurify PO 1187 line 2 (Rebar): ...").

How the draft is kept (``body_of`` / ``draft_of``) and what a changed order may do in Fusion
(``order_differences``) are Fusion's rules, on the Fusion side (``connector_assets.fusion.draft_orders``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.values import decimal, text, whole_number
from connector_assets.fusion.draft_orders import DESCRIPTION_MAX, LINE_DESCRIPTION_MAX
from connector_assets.integrations.fusion_procurify.departments import department_key
from connector_resources.fusion.payloads import PurchaseOrderLine

# Order item statuses (procurify.md 2.4) that put nothing on an order: rejected for purchase, approval
# denied, request draft.
DEAD_ITEM_STATUSES = frozenset({4, 7, 8})
PO_CANCELLED = 1  # PO ``state`` 1 (procurify.md 2.5)
PO_STATE_NAMES = {0: "purchased", 1: "cancelled", 2: "legacy", 3: "closed", 4: "paid", 5: "reopened"}
REQUISITION_APPROVED = 1
REQUISITION_STATUS_NAMES = {
    0: "Pending",
    1: "Approved",
    2: "Denied",
    3: "Purchased",
    4: "Cancelled",
    5: "Received",
    6: "Draft",
}

Combination = Callable[[str, str | None], tuple[str | None, str | None]]


def name_of(value: Any) -> str:
    """A nested ``{id, name}`` object's name, or the value itself as text."""
    return text(value.get("name")) if isinstance(value, Mapping) else text(value)


def id_of(value: Any) -> str:
    """A nested ``{id, ...}`` object's id, or the value itself as text."""
    return text(value.get("id")) if isinstance(value, Mapping) else text(value)


def order_num(item: Mapping[str, Any]) -> str:
    """An order item's requisition number (``orderNum``: a number, or a summary object carrying ``num``)."""
    value = item.get("orderNum")
    return text(value.get("num")) if isinstance(value, Mapping) else text(value)


def item_vendor(item: Mapping[str, Any]) -> str:
    """The vendor id of an order item (``vendor`` object; ``po_vendor`` / ``pref_vendor`` as fallbacks)."""
    for name in ("vendor", "po_vendor", "pref_vendor"):
        found = id_of(item.get(name))
        if found:
            return found
    return ""


def item_account_code(item: Mapping[str, Any]) -> str:
    """The order item's account code (``account.account_code.code``, else ``accountCode``)."""
    account = item.get("account")
    if isinstance(account, Mapping):
        code = account.get("account_code")
        found = text(code.get("code")) if isinstance(code, Mapping) else text(code)
        if found:
            return found
    return text(item.get("accountCode"))


def item_department(item: Mapping[str, Any]) -> str | None:
    """The order item's department as the department table keys it (``Location|Department``, from
    ``account.department``, else the item's own ``department``), None when it names none."""
    account = item.get("account")
    if isinstance(account, Mapping):
        found = department_key(account.get("department"))
        if found:
            return found
    return department_key(item.get("department"))


def live_items(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The items that put something on an order (not rejected, denied or draft), in line order."""
    live = [i for i in items if whole_number(i.get("status")) not in DEAD_ITEM_STATUSES]
    return sorted(live, key=lambda i: (_po_line(i) or 10**9, whole_number(i.get("id")) or 0))


def _po_line(item: Mapping[str, Any]) -> int | None:
    number = whole_number(item.get("PO_line_num"))
    return number if number and number > 0 else None


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
    numbers = [_po_line(i) for i in items]
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
            problems.append(f"{where}: quantity {item.get('quantity')!r} is not a positive number")
        if price is None or price < 0:
            problems.append(f"{where}: price {item.get('price')!r} is not an amount")
        if not name:
            problems.append(f"{where}: the item has no name (Fusion needs a line description)")
        code = item_account_code(item)
        account: str | None = None
        if not code:
            problems.append(f"{where}: the item has no account code")
        else:
            account, why = combination(code, item_department(item))
            if account is None:
                problems.append(f"{where}: {why or f'account code {code} has no Fusion charge account'}")
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
