"""Fusion's buyers on demand (an operator route, not part of Fusion): a change order on an open purchase
order, approved.

Our reference documents orders as read only through ``purchaseOrders`` and changes "through
draftPurchaseOrders", without the change-order requests themselves; in a pod a buyer changes an open order's
quantities and prices in the purchasing work area, a change order approved like the order was. This route
plays that buyer, so a test can change an order the connector wrote behind its back (what a reconciliation
must notice): each named line gets its new quantity and / or price, its amount recomputed, its schedule and
distribution quantities with it, the header's ``Ordered`` total summed again, everything stamped now.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request

from connector_sandbox.admin import Refused

from .activity import ACTIVITY_USER
from .ap_team import now_stamp, target_row
from .state import SandboxState
from .values import epoch_ms

CHANGEABLE = ("OPEN", "CLOSED FOR RECEIVING", "CLOSED FOR INVOICING")
_LINE_FIELDS = {"LineNumber", "Quantity", "Price"}


def _stored(value: Any, places: int, name: str, line: Any) -> int:
    """A positive decimal of at most ``places`` places, as the store keeps it (scaled to an integer)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refused(f"line {line}: {name} must be a decimal; got {value!r}") from None
    step = Decimal(1).scaleb(-places)
    if not number.is_finite() or number <= 0 or number != number.quantize(step):
        raise Refused(f"line {line}: {name} must be above 0 with at most {places} places; got {value!r}")
    return int(number.scaleb(places))


def _changes(body: dict[str, Any]) -> list[dict[str, Any]]:
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines:
        raise Refused("lines must be a list of {LineNumber, Quantity?, Price?}")
    for line in lines:
        if not isinstance(line, dict) or set(line) - _LINE_FIELDS or "LineNumber" not in line:
            raise Refused(f"each line takes LineNumber and Quantity and / or Price; got {line!r}")
        if not {"Quantity", "Price"} & set(line):
            raise Refused(f"line {line['LineNumber']}: give Quantity or Price to change")
    return lines


async def change_order(request: Request, state: SandboxState) -> dict[str, Any]:
    """``POST /sandbox/purchase_orders/{POHeaderId}/change`` ``{"lines": [{"LineNumber", "Quantity"?,
    "Price"?}]}``: the buyer's approved change order. Answers ``{"POHeaderId", "OrderNumber", "Ordered",
    "lines": [{"LineNumber", "Quantity", "Price", "Amount"}]}``; 404 unknown order or line, 409 an order
    that is not open (a draft, canceled, finally closed), 400 a bad body."""
    header_id, header, body = await target_row(request, state, "po_header", "POHeaderId", {"lines"})
    wanted = _changes(body)
    if header["StatusCode"] not in CHANGEABLE:
        raise Refused(f"order {header['OrderNumber']} is {header['Status']}: no change order on it", 409)
    store = state.store
    lines = {
        row["LineNumber"]: row
        for row in store.fetch("SELECT * FROM po_line WHERE sbx_parent = ?", (header_id,))
    }
    stamp = {"LastUpdateDate": epoch_ms(now_stamp(state).updated), "LastUpdatedBy": ACTIVITY_USER}
    answered = []
    with store.transaction():
        for change in wanted:
            line = lines.get(change["LineNumber"])
            if line is None:
                raise Refused(f"order {header['OrderNumber']} has no line {change['LineNumber']}", 404)
            quantity = _stored(
                change.get("Quantity", Decimal(line["Quantity"]).scaleb(-4)),
                4,
                "Quantity",
                line["LineNumber"],
            )
            price = _stored(
                change.get("Price", Decimal(line["Price"]).scaleb(-4)), 4, "Price", line["LineNumber"]
            )
            amount = int((Decimal(quantity) * Decimal(price) / Decimal(10**6)).quantize(Decimal(1)))
            store.update(
                "po_line", line["sbx_id"], {"Quantity": quantity, "Price": price, "Amount": amount, **stamp}
            )
            for schedule in store.fetch("SELECT * FROM po_schedule WHERE sbx_parent = ?", (line["sbx_id"],)):
                store.update("po_schedule", schedule["sbx_id"], {"Quantity": quantity, **stamp})
                for dist in store.fetch(
                    "SELECT sbx_id FROM po_distribution WHERE sbx_parent = ?", (schedule["sbx_id"],)
                ):
                    store.update("po_distribution", dist["sbx_id"], {"Quantity": quantity, **stamp})
            lines[line["LineNumber"]] = {**line, "Quantity": quantity, "Price": price, "Amount": amount}
            answered.append(line["LineNumber"])
        ordered = sum(row["Amount"] or 0 for row in lines.values())
        store.update("po_header", header_id, {"Ordered": ordered, **stamp})
    return {
        "POHeaderId": header_id,
        "OrderNumber": header["OrderNumber"],
        "Ordered": str(Decimal(ordered).scaleb(-2)),
        "lines": [
            {
                "LineNumber": number,
                "Quantity": str(Decimal(lines[number]["Quantity"]).scaleb(-4).normalize()),
                "Price": str(Decimal(lines[number]["Price"]).scaleb(-4).normalize()),
                "Amount": str(Decimal(lines[number]["Amount"]).scaleb(-2)),
            }
            for number in answered
        ],
    }
