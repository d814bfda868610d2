"""The day's JDE purchase orders against their Coupa purchase orders, header and every line by line number.

The JDE side is read and mapped as the flow does (``changed_purchase_orders``, then ``order_record`` with
the staged account snapshot), so a line the flow sends as an amount line (``line_amount_fields``) is
compared as one. What is compared: docs/integrations/jde_coupa.md, "Reconciliation".
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector_assets.coupa.reconcile_day import shown, shown_money, shown_quantity
from connector_assets.coupa.reconcile_reads import amount_of, by_key, code_of, number_of, text
from connector_assets.flows.reconciliation import CURRENCY_MISMATCH, currencies_differ
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.jde.documents import JdePurchaseOrder, changed_purchase_orders
from connector_assets.jde.order_status import OrderPolicy, status

from ..purchase_orders import line_total, order_record
from .sides import Day, Kind, Own, Said, in_coupa, planned
from .suppliers import label as supplier_label

CANCELLED, CLOSED, OPEN = "cancelled", "closed", "open"
COUPA_STATES = {"cancelled": CANCELLED, "closed": CLOSED, "soft_closed": CLOSED}
CLOSED_NEXT = 999  # F4311 NXTR of a line with nothing left to do
POLICY = OrderPolicy()


def jde_state(lines: list[dict[str, Any]]) -> str:
    """``cancelled`` when every line is (last status 980 or above), ``closed`` when every other line's next
    status is 999, else ``open``."""
    live = [line for line in lines if (status(line.get("LTTR")) or 0) < POLICY.closed_status]
    if not live:
        return CANCELLED
    if all((status(line.get("NXTR")) or 0) >= CLOSED_NEXT for line in live):
        return CLOSED
    return OPEN


def compare_orders(day: Day, own: Own, names: dict[str, str]) -> None:
    accounts = own.mapping.accounts.snapshot(day.staging)
    orders, refused = planned(
        changed_purchase_orders(day.staging, day.jde, day.day),
        lambda o: order_record(o, accounts, own.mapping),
    )
    keys = [*orders, *refused]
    found = by_key(day.coupa, "purchase_orders", "po_number", keys, lambda r: text(r.get("po-number")))
    totals = SideTotals(
        ("Supplier", "JDE orders", "JDE total", "Coupa orders", "Coupa total"), "JDE", "No orders that day."
    )

    def said(key: str) -> Said:
        order = (orders.get(key) or refused[key])[0]
        record = f"purchase order {key}"
        what = f"{record} of {supplier_label(order.supplier, names.get(order.supplier, ''))}"
        amount = _jde_total(order, orders[key][1]) if key in orders else None
        return Said(order.supplier, record, what, amount)

    matched = {key: rows[0] for key, rows in found.items() if rows}
    for key, named, coupa in in_coupa(
        day,
        Kind(own.purchase_orders, "purchase_orders", "purchase order", "total"),
        keys,
        matched,
        refused,
        said,
        totals,
    ):
        if key in orders:
            order, body = orders[key]
            _compare(day, named.record, named.what, named.supplier, order, body, coupa)
    totals.report_to(day.report, "order_suppliers", "orders_per_supplier")


def _jde_total(order: JdePurchaseOrder, body: dict[str, Any]) -> Decimal:
    """The order's amount as JDE states it: each line's extended cost (AEXP), or what Coupa is sent to
    total for a line without one."""
    by_line = {int(Decimal(str(line["LNID"]))): line for line in order.lines}
    total = Decimal(0)
    for line in body["order-lines"]:
        extended = amount_of((by_line.get(line["line-num"]) or {}).get("AEXP"))
        total += (
            extended if extended is not None else line_total(line, order.currency if order.foreign else None)
        )
    return total


def _compare(
    day: Day,
    record: str,
    what: str,
    supplier: str,
    order: JdePurchaseOrder,
    body: dict[str, Any],
    coupa: dict[str, Any],
) -> None:
    counterpart = f"purchase order {coupa['id']}"

    def differ(kind: str, field_name: str, jde_value: str, coupa_value: str, where: str = "") -> None:
        subject = f"{what}{where}"
        day.field(kind, subject, record, supplier, counterpart, field_name, jde_value, coupa_value)

    if text(coupa.get("po-number")) != body["po-number"]:
        differ("PO number", "po-number", shown(body["po-number"]), shown(coupa.get("po-number")))
    if number_of(coupa.get("supplier")) != body["supplier"]["number"]:
        differ(
            "supplier", "supplier", shown(body["supplier"]["number"]), shown(number_of(coupa.get("supplier")))
        )
    if code_of(coupa.get("currency")) != body["currency"]["code"]:
        their_currency = code_of(coupa.get("currency"))
        differ(CURRENCY_MISMATCH, "currency", shown(body["currency"]["code"]), shown(their_currency))
    coupa_state = COUPA_STATES.get(text(coupa.get("status")), OPEN)
    jde = jde_state(order.lines)
    if coupa_state != OPEN and coupa_state != jde:
        differ("status", "status", jde, text(coupa.get("status")))
    if currencies_differ(body["currency"]["code"], code_of(coupa.get("currency"))):
        return  # amounts in two currencies: the mismatch is named, the amounts are not compared
    foreign = order.currency if order.foreign else None  # rounded in its own smallest unit
    # Coupa shows lines removed from an order only when asked (show_deleted_lines=true, Compass "PO's and PO
    # Changes Integration into your ERP"); this read does not ask, so every line shown stands.
    lines = {
        int(line["line-num"]): line
        for line in coupa.get("order-lines") or []
        if line.get("line-num") is not None
    }
    differs = False
    for line in body["order-lines"]:
        number = int(line["line-num"])
        where = f", line {number}"
        theirs = lines.pop(number, None)
        if theirs is None:
            missing = shown_money(line_total(line, foreign))
            differ("line missing in Coupa", f"line {number}", missing, "missing", where)
            differs = True
            continue
        differs |= _compare_line(differ, line, theirs, where, foreign)
    for number in sorted(lines):
        theirs = lines[number]
        differ("line only in Coupa", f"line {number}", "missing", shown_money(amount_of(theirs.get("total"))))
        differs = True
    wanted = sum((line_total(line, foreign) for line in body["order-lines"]), Decimal(0))
    if not differs and amount_of(coupa.get("total")) != wanted:  # lines agree: the header's own total
        differ("order total", "total", shown_money(wanted), shown_money(amount_of(coupa.get("total"))))


def _compare_line(
    differ: Any, line: dict[str, Any], theirs: dict[str, Any], where: str, foreign: str | None = None
) -> bool:
    """One order line as the flow sends it against Coupa's; True when any field differs. ``foreign``: the
    order's currency when it was entered in a foreign one (its totals round to that currency's unit)."""
    found = False
    price, their_price = Decimal(str(line["price"])), amount_of(theirs.get("price"))
    quantity_line = line.get("quantity") is not None
    if price != their_price:
        kind = "line price" if quantity_line else "line amount"
        differ(kind, "price", shown_money(price), shown_money(their_price), where)
        found = True
    if quantity_line:
        quantity, their_quantity = Decimal(str(line["quantity"])), amount_of(theirs.get("quantity"))
        if quantity != their_quantity:
            differ(
                "line quantity", "quantity", shown_quantity(quantity), shown_quantity(their_quantity), where
            )
            found = True
    total, their_total = line_total(line, foreign), amount_of(theirs.get("total"))
    if not found and total != their_total:
        differ("line amount", "total", shown_money(total), shown_money(their_total), where)
        found = True
    account, their_account = code_of(line.get("account")), code_of(theirs.get("account"))
    if account != their_account:
        differ("line account", "account", shown(account), shown(their_account), where)
        found = True
    if text(line.get("description")) != text(theirs.get("description")):
        description = shown(line.get("description"))
        differ("line description", "description", description, shown(theirs.get("description")), where)
        found = True
    return found
