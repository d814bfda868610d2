"""Procurify purchase orders and requisitions as Fusion draft purchase orders, and what differs between a
Procurify order and the Fusion order made of it. Pure: no I/O; every input is handed in.

The order (``draft_order``):

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

What a changed order may do in Fusion (``order_differences``): the header attributes the draft resource lets
an integration change (``Description``; Oracle documents PATCH of Description, Buyer and PaymentTerms on
drafts and, from 25A, on open orders through a change order) are sent; a different supplier, currency,
line count, quantity, price or item is not: ``draftPurchaseOrders`` makes orders, it does not re-price an
open one, and a second order would duplicate the spend. Those come back as problems the flow queues for a
buyer. The line attributes compared (``Quantity``, ``Price``, ``Description``) are unconfirmed names
(fusion.md 2.4): one absent on every Fusion line is a problem too, naming it, since a change to it cannot
be seen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from connector_assets.integrations.fusion_procurify.departments import department_key
from connector_resources.fusion import FusionInputError
from connector_resources.fusion.payloads import DraftPurchaseOrder, PurchaseOrderLine

DESCRIPTION_MAX = 240  # Fusion purchase order Description (the sandbox's attribute width; Oracle's column)
LINE_DESCRIPTION_MAX = 240
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


def text(value: Any) -> str:
    """A value as trimmed text; None and blanks are ""."""
    return "" if value is None else str(value).strip()


def code_of(value: Any) -> int | None:
    """A status / state code (an integer in the reference; a digit string is read too)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = text(value)
    return int(raw) if raw.isdigit() else None


def decimal(value: Any) -> Decimal | None:
    """A money or quantity value (decimal string, int or Decimal) as Decimal; None when blank or not one."""
    if value is None or isinstance(value, bool | float):
        return None if value is None else Decimal(str(value))
    try:
        number = value if isinstance(value, Decimal) else Decimal(text(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


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
    live = [i for i in items if code_of(i.get("status")) not in DEAD_ITEM_STATUSES]
    return sorted(live, key=lambda i: (_po_line(i) or 10**9, code_of(i.get("id")) or 0))


def _po_line(item: Mapping[str, Any]) -> int | None:
    number = code_of(item.get("PO_line_num"))
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


def draft_order(
    *,
    order_number: str,
    business_unit: str,
    supplier: str,
    supplier_site: str,
    currency: str | None,
    description: str | None,
    buyer: str | None,
    lines: Sequence[PurchaseOrderLine],
) -> DraftPurchaseOrder:
    """The draft purchase order (checked when its payload is built: ``FusionInputError`` names the field)."""
    return DraftPurchaseOrder(
        supplier=supplier,
        supplier_site=supplier_site,
        order_number=order_number,
        procurement_bu=business_unit,
        currency_code=currency or None,
        buyer=buyer or None,
        description=description,
        lines=tuple(lines),
    )


def body_of(draft: DraftPurchaseOrder) -> dict[str, Any]:
    """The draft as the JSON the ledger keeps (and hashes): header and lines, amounts as decimal strings."""
    return {
        "OrderNumber": draft.order_number,
        "ProcurementBU": draft.procurement_bu,
        "Supplier": draft.supplier,
        "SupplierSite": draft.supplier_site,
        "CurrencyCode": draft.currency_code,
        "Buyer": draft.buyer,
        "Description": draft.description,
        "lines": [
            {
                "LineNumber": line.line_number,
                "Quantity": format(Decimal(str(line.quantity)), "f"),
                "Price": format(Decimal(str(line.price)), "f"),
                "Description": line.description,
                "UOM": line.uom,
                "POChargeAccount": line.charge_account,
            }
            for line in draft.lines
        ],
    }


def draft_of(body: Mapping[str, Any]) -> DraftPurchaseOrder:
    """The draft back from ``body_of``'s JSON (a queued record, or the write step's input)."""
    return DraftPurchaseOrder(
        supplier=body["Supplier"],
        supplier_site=body["SupplierSite"],
        order_number=body["OrderNumber"],
        procurement_bu=body.get("ProcurementBU"),
        currency_code=body.get("CurrencyCode"),
        buyer=body.get("Buyer"),
        description=body.get("Description"),
        lines=tuple(
            PurchaseOrderLine(
                line_number=int(line["LineNumber"]),
                quantity=Decimal(line["Quantity"]),
                price=Decimal(line["Price"]),
                description=line.get("Description"),
                uom=line.get("UOM"),
                charge_account=line.get("POChargeAccount"),
            )
            for line in body.get("lines") or ()
        ),
    )


def checked_payload(draft: DraftPurchaseOrder) -> tuple[dict[str, Any] | None, str | None]:
    """The draft's ``POST`` body, or the rule it breaks (record and field named) before anything is sent."""
    try:
        return draft.payload(), None
    except FusionInputError as exc:
        return None, str(exc)


def order_total(body: Mapping[str, Any]) -> Decimal:
    """Quantity x price over the body's lines (what the order commits)."""
    return sum(
        (Decimal(line["Quantity"]) * Decimal(line["Price"]) for line in body.get("lines") or ()), Decimal(0)
    )


@dataclass(frozen=True)
class Differences:
    """What a changed Procurify order asks of its Fusion order: ``header`` attribute changes Fusion lets an
    integration make, and ``problems`` it does not (each in words a buyer acts on)."""

    header: dict[str, Any]
    problems: list[str]


# Header attributes the draft purchase order resource documents as changeable by PATCH and that the body
# carries. ``Buyer`` only when the body names one (blank = the pod's default, not a change).
PATCHABLE = ("Description", "Buyer")
# Line attributes compared, and how a buyer calls them. fusion.md 2.4 confirms only POLineId and LineNumber.
COMPARED_LINE_ATTRIBUTES = (("Quantity", "quantity"), ("Price", "price"), ("Description", "item"))
SHOWN_LINES = 10  # lines named in an "absent attribute" problem before "and N more"


def absent_line_attributes(
    ours: Mapping[int, Mapping[str, Any]], theirs: Mapping[int | None, Mapping[str, Any]]
) -> list[str]:
    """A problem for each compared line attribute that no Fusion line of the order carries. Its name is
    unconfirmed (fusion.md 2.4), so on a pod spelling it otherwise a change in Procurify cannot be seen:
    queued saying so, never passed as "no difference" (a repriced line neither sent nor queued)."""
    common = sorted(n for n in set(ours) & set(theirs) if n is not None)
    problems = []
    for name, what in COMPARED_LINE_ATTRIBUTES:
        if not common or any(name in theirs[n] for n in common):
            continue
        wanted = [(n, text(ours[n].get(name))) for n in common if text(ours[n].get(name))]
        if not wanted:
            continue
        shown = [f"line {n}: {what} {value} in Procurify" for n, value in wanted[:SHOWN_LINES]]
        if len(wanted) > SHOWN_LINES:
            shown.append(f"and {len(wanted) - SHOWN_LINES} more")
        problems.append(
            f"Fusion's order lines carry no {name} attribute (its name is unconfirmed; this pod may spell "
            f"it otherwise), so the {what} could not be compared ({'; '.join(shown)}): check them in Fusion"
        )
    return problems


def order_differences(
    order: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], body: Mapping[str, Any]
) -> Differences:
    """Compare the Fusion order (header and ``lines`` as read) with the body mapped from Procurify now. A
    line attribute absent on every Fusion line is a problem naming it (``absent_line_attributes``)."""
    header: dict[str, Any] = {}
    for name in PATCHABLE:
        wanted = body.get(name)
        if name == "Buyer" and not wanted:
            continue
        if text(order.get(name)) != text(wanted):
            header[name] = wanted
    problems: list[str] = []
    number = text(order.get("OrderNumber")) or text(body.get("OrderNumber"))
    for name, what in (
        ("Supplier", "supplier"),
        ("SupplierSite", "supplier site"),
        ("CurrencyCode", "currency"),
    ):
        have, want = text(order.get(name)), text(body.get(name))
        if want and have and have != want:
            problems.append(f"the {what} is {want} in Procurify now, {have} on Fusion order {number}")
    theirs = {code_of(line.get("LineNumber")): line for line in lines}
    ours = {int(line["LineNumber"]): line for line in body.get("lines") or ()}
    added = sorted(set(ours) - set(theirs))
    gone = sorted(n for n in set(theirs) - set(ours) if n is not None)
    if added:
        problems.append(f"line(s) {', '.join(map(str, added))} are new in Procurify")
    if gone:
        problems.append(
            f"line(s) {', '.join(map(str, gone))} of Fusion order {number} are no longer in Procurify"
        )
    problems.extend(absent_line_attributes(ours, theirs))
    for n in sorted(set(ours) & set(theirs)):
        mine, fusion = ours[n], theirs[n]
        for name, what in (("Quantity", "quantity"), ("Price", "price")):
            want, have = decimal(mine.get(name)), decimal(fusion.get(name))
            if want is not None and have is not None and want != have:
                problems.append(f"line {n}: {what} {want} in Procurify, {have} in Fusion")
        want_text, have_text = text(mine.get("Description")), text(fusion.get("Description"))
        if want_text and have_text and want_text != have_text:
            problems.append(f"line {n}: item {want_text!r} in Procurify, {have_text!r} in Fusion")
    return Differences(header, problems)
