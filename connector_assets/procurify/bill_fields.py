"""A Procurify bill's fields as every flow that posts bills to an ERP reads them (JD Edwards, Oracle Fusion):
how a bill is named in messages, its vendor, its status, dates and currency, each item's amount, account
and PO line. One copy, so a change in how Procurify shapes a bill (reference 2.6) is read the same way on
both sides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector_assets.flows import amounts, instance
from connector_assets.flows.values import text, whole_number
from connector_assets.procurify.order_fields import account_code_of, account_department, id_of, name_of
from connector_assets.procurify.order_fields import item_account_code as line_account_code
from connector_resources.refusals import source_invalid
from connector_resources.said import Said, reworded, said


def describe(bill: Mapping[str, Any]) -> str:
    """``bill 7f1c... (invoice INV-000123, Granite Supply Co)``: how messages name a bill."""
    vendor = bill.get("vendor") if isinstance(bill.get("vendor"), Mapping) else {}
    number = str(bill.get("invoice_number") or "").strip() or "no invoice number"
    return f"bill {bill.get('uuid')} (invoice {number}, {vendor.get('name') or 'unknown vendor'})"


def bill_vendor_id(bill: Mapping[str, object]) -> str:
    """The id of the bill's vendor: ``vendor`` is ``{id, name}`` on the slim bill (reference 2.6); a full
    bill giving the bare id (its shape there is not listed) is read too. "" when it names none."""
    found = id_of(bill.get("vendor"))
    return found if found.isdigit() else ""


# Bill ``status`` codes by name (reference 2.6): a refusal or a reconciliation row names the status as a
# Procurify user sees it ("Payment Confirmed", not ``6``).
BILL_STATUS_NAMES = {
    0: "Draft",
    1: "Confirmed",
    2: "Approved",
    3: "Denied",
    4: "Paid",
    5: "Withdrawn",
    6: "Payment Confirmed",
    7: "Payment Approved",
    8: "Payment Limbo",
}


def status_code(bill: Mapping[str, object]) -> int | None:
    """The bill's ``status`` code (an integer in the reference; a digit string is read too)."""
    return whole_number(bill.get("status"))


def status_name(bill: Mapping[str, Any]) -> str:
    """The bill's status as a Procurify user reads it (``Approved``): its code's name, else the status as
    given, ``?`` when it is blank."""
    return BILL_STATUS_NAMES.get(status_code(bill), "") or text(bill.get("status")) or "?"


def bill_day(value: object) -> date | None:
    """A bill's date (``invoice_date``, ``gl_post_date``, ``due_date``: ISO text, a timestamp read for its
    day) as a ``date``; None when it is blank or no date."""
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def approved_statuses(variable: str) -> frozenset[int]:
    """The bill status codes (reference 2.6) that setting ``variable`` counts as approved."""
    return frozenset(int(code) for code in instance.read(variable))


def order_item(item: Mapping[str, object]) -> Mapping[str, Any] | None:
    """The PO line a bill item bills (``orderitem``), None for an item without one."""
    line = item.get("orderitem")
    return line if isinstance(line, Mapping) else None


def item_account_code(item: Mapping[str, object]) -> str | None:
    """The Procurify account code a bill item is charged to: its own account's, else its PO line's."""
    line = order_item(item)
    return account_code_of(item.get("account")) or (line_account_code(line) if line else "") or None


def item_account(item: Mapping[str, object]) -> tuple[str | None, str | None]:
    """The Procurify account code and department (``Location|Department``, the department table's key) a
    bill item is charged to: the item's own account's, else its PO line's (``orderitem.account``,
    ``orderitem.accountCode``)."""
    code, department = item_account_code(item), account_department(item.get("account"))
    line = order_item(item)
    if line is not None:
        department = department or account_department(line.get("account"))
    return code, department


def currency_code(bill: Mapping[str, object]) -> str:
    """The bill's currency as a code (``currency`` is ``{id, name, rate}``; a bare code is read too)."""
    return name_of(bill.get("currency")).upper()


def item_label(item: Mapping[str, object], position: int, limit: int) -> str:
    """How another system's line labels a bill item: its ``description`` (else ``name``), whitespace
    folded, cut to that system's ``limit`` (a label, not a key: the item is named in full in Procurify);
    ``Procurify bill item <position>`` when it has neither."""
    text = " ".join(str(item.get("description") or item.get("name") or "").split())
    return (text or f"Procurify bill item {position}")[:limit]


def item_amount(item: Mapping[str, object]) -> Decimal | Said:
    """The item's total (``total_cost``), else quantity x unit cost; or why it is not an amount (a phrase
    that keeps its refusal: the item's amount field is invalid)."""
    raw = item.get("total_cost")
    if raw not in (None, ""):
        value = amounts.amount(raw)
        if value is not None:
            return value
        return said(source_invalid(f"total {raw!r} is not an amount", field="items.amount", value=raw))
    quantity, unit = amounts.amount(item.get("quantity")), amounts.amount(item.get("unit_cost"))
    if quantity is None or unit is None:
        text = f"quantity {item.get('quantity')!r} x unit cost {item.get('unit_cost')!r} is not an amount"
        return said(source_invalid(text, field="items.amount"))
    return quantity * unit


def largest_item(bill: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The bill's item of the largest amount (either sign; the first of equals), None when no item has an
    amount: where a flow charges what the bill carries besides its items (tax, freight) by default."""
    best: tuple[Decimal, Mapping[str, Any]] | None = None
    for item in bill.get("items") or []:
        if not isinstance(item, Mapping):
            continue
        amount = item_amount(item)
        if isinstance(amount, Decimal) and (best is None or abs(amount) > abs(best[0])):
            best = (amount, item)
    return best[1] if best is not None else None


def cents(value: Decimal) -> Decimal:
    """``value`` rounded half up to the cent: how every ERP side compares and sends bill amounts."""
    return value.quantize(amounts.CENT, rounding=ROUND_HALF_UP)


def in_currency(value: Decimal, currency: str | None) -> Decimal:
    """``value`` rounded half up to the smallest unit of ``currency`` (the yen, the cent, the fils): how a
    bill's float total (quirk 7) is read in its own currency. Items are never rounded (``priced_items``)."""
    return amounts.rounded(value, currency)


def bill_tax(bill: Mapping[str, object], problems: list[str]) -> Decimal | None:
    """The bill's ``tax_amount`` (0 when blank); None, with a problem appended, when it is not an amount."""
    raw = bill.get("tax_amount")
    tax = amounts.amount(raw if raw not in (None, "") else 0)
    if tax is None:
        text = f"the tax amount {raw!r} is not an amount"
        problems.append(said(source_invalid(text, field="tax_amount", value=raw)))
    return tax


def bill_total(bill: Mapping[str, object], problems: list[str]) -> Decimal | None:
    """Procurify's ``total_cost_with_tax`` (a float in the API, quirk 7: read through its text); None, with
    a problem appended, when it is not an amount."""
    raw = bill.get("total_cost_with_tax")
    total = amounts.amount(raw) if raw not in (None, "") else None
    if total is None:
        text = f"the bill total (total_cost_with_tax) {raw!r} is not an amount"
        problems.append(said(source_invalid(text, field="total_cost_with_tax", value=raw)))
    return total


def invoice_number(bill: Mapping[str, object], problems: list[str], *, limit: int, too_long: str) -> str:
    """The bill's ``invoice_number``, trimmed, never cut (a shortened number would no longer match the
    supplier's invoice); a problem appended when there is none or it is over the ERP's ``limit``
    (``too_long`` ends the message: the ERP's limit and what a person does instead)."""
    number = str(bill.get("invoice_number") or "").strip()
    if not number:
        problems.append(said(source_invalid("it has no invoice number", field="invoice_number")))
    elif len(number) > limit:
        text = f"the invoice number {number!r} has {len(number)} characters, more than {too_long}"
        problems.append(said(source_invalid(text, field="invoice_number", value=number)))
    return number


def priced_items(
    bill: Mapping[str, Any], problems: list[str], currency: str | None = None
) -> Iterator[tuple[int, Mapping[str, Any], str, Decimal]]:
    """Each bill item with an amount in cents (in ``currency``'s own decimals when given: whole yen, fils),
    as (position from 1, the item, how messages name it, its amount); an entry that is no item, or whose
    amount is none or finer than that, is a problem appended to ``problems`` (named by item) and not
    yielded: the bill is then refused, never sent short."""
    for position, item in enumerate(bill.get("items") or [], start=1):
        if not isinstance(item, Mapping):
            text = f"item {position} is not a bill item ({item!r}); the full bill was not read"
            problems.append(said(source_invalid(text, field="items")))
            continue
        where = f"item {item.get('id') or position}"
        amount = item_amount(item)
        if isinstance(amount, Said):
            problems.append(reworded(amount, f"{where}: {amount}"))
            continue
        if currency is not None and not amounts.fits(amount, currency):
            too_fine = amounts.CurrencyDecimalsError(amount, currency, field="items.amount")
            problems.append(said(source_invalid(f"{where}: {too_fine}", field=too_fine.field, value=amount)))
            continue
        if currency is None and amount != cents(amount):
            text = f"{where}: amount {amount} has more than 2 decimals"
            problems.append(said(source_invalid(text, field="items.amount", value=amount)))
            continue
        yield position, item, where, amount


# -- the bill's additional ``costs`` (freight and the like). The full bill carries ``costs`` (reference §2.6)
# but the reference lists no shape for an entry, so an amount is read from ``amount``, ``total_cost``,
# ``value`` or ``cost``, or from a bare number; an entry with none of them is a problem naming its position
# (never dropped: the bill would no longer add up).

_AMOUNT_FIELDS = ("amount", "total_cost", "value", "cost")
_LABEL_FIELDS = ("name", "description", "type", "cost_type")


def cost_amount(cost: object) -> Decimal | None:
    """The amount of one of the bill's additional ``costs`` (see the module docstring); None if none."""
    if isinstance(cost, Mapping):
        for name in _AMOUNT_FIELDS:
            if cost.get(name) not in (None, ""):
                return amounts.amount(cost[name])
        return None
    return amounts.amount(cost)


def cost_label(cost: object) -> str:
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
