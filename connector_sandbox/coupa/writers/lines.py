"""The fields order lines and invoice lines share: quantity or amount type, description, price,
quantity, line number, account, unit of measure and total. Each document keeps its own rules around
them (deleting, defaults, PO matching) and calls these in the order its validation reports errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..validation import Errors
from .common import WriteContext, money_text, quantity_text, resolve


def active_account(
    ctx: WriteContext, errors: Errors, body: dict[str, Any], *, required: bool
) -> dict[str, Any] | None:
    """The account a line charges, by id or code; an inactive one is an error."""
    account = resolve(ctx, errors, body, "account", "accounts", ("code",), required=required)
    if account is not None and not account.get("active"):
        errors.add("account", "is inactive")
    return account


def priced_fields(
    errors: Errors,
    given: dict[str, Any],
    line: dict[str, Any],
    *,
    creating: bool,
    prefix: str,
    positive_quantity: bool = False,
) -> str:
    """Type (``<prefix>QuantityLine`` or ``<prefix>AmountLine``), description, price and quantity.

    A line without a type is a quantity line when the body gives a quantity; an amount line has no
    quantity. Returns the line's type."""
    quantity_line, amount_line = f"{prefix}QuantityLine", f"{prefix}AmountLine"
    line_type = errors.choice(given, "type", (quantity_line, amount_line))
    line_type = (
        line_type or line.get("type") or (amount_line if given.get("quantity") is None else quantity_line)
    )
    line["type"] = line_type
    description = errors.text(given, "description", required=creating, max_length=255)
    if description is not None:
        line["description"] = description
    price = errors.decimal(given, "price", required=creating)
    if price is not None:
        line["price"] = str(price)
    quantity = errors.decimal(given, "quantity", required=creating and line_type == quantity_line)
    if quantity is not None:
        if positive_quantity and quantity <= 0:
            errors.add("quantity", "must be greater than 0")
        line["quantity"] = quantity_text(quantity)
    if line_type == amount_line:
        line["quantity"] = None
    return line_type


def line_number(
    errors: Errors, given: dict[str, Any], line: dict[str, Any], used: set[int], *, creating: bool
) -> None:
    """``line-num`` is unique within the document; a new line without one takes the next free number."""
    number = errors.integer(given, "line-num")
    if number is not None and number != line.get("line-num"):
        if number in used:
            errors.add("line-num", "has already been taken")
        used.add(number)
        line["line-num"] = number
    elif creating:
        line["line-num"] = max(used, default=0) + 1
        used.add(line["line-num"])


def given_uom(given: dict[str, Any], line: dict[str, Any]) -> bool:
    """A unit of measure is given by its code (the name defaults to it); False when the body has none."""
    uom = given.get("uom")
    if not (isinstance(uom, dict) and uom.get("code")):
        return False
    line["uom"] = {"id": None, "code": uom["code"], "name": uom.get("name") or uom["code"]}
    return True


def line_total(line: dict[str, Any], decimals: int) -> None:
    """The total is price times quantity (the price alone on amount lines), in the currency's decimals."""
    if line.get("price") is not None:
        amount = Decimal(line["price"]) * (Decimal(line["quantity"]) if line.get("quantity") else 1)
        line["total"] = money_text(amount, decimals)
