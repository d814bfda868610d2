"""JDE purchase order (F4301 + F4311) -> Procurify requisition body. Pure: every name and code handed in. The
description names only the order's keys (``find_requisitions`` adopts by it after a crash); each line's SKU
(``line_sku``) finds its PO line whatever a buyer renamed. Field by field and currencies:
docs/integrations/jde_procurify.md, "The flows" (purchase orders).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_assets.flows.amounts import quantum, rounded
from connector_assets.flows.instance import Instance
from connector_assets.jde.order_status import (
    STOCK_LINE,
    OrderPolicy,
    decimal,
    line_account,
    line_number,
    live_lines,
    text,
)
from connector_assets.procurify.source_orders import source_order_description

CENT = Decimal("0.01")
NAME_MAX = 255  # requisition line item_name (sandbox: 255; the reference gives no limit)
DESCRIPTION_MAX = 255


# -- keys and labels ----------------------------------------------------------------------------------


def order_description(header: Mapping[str, Any]) -> str:
    """The requisition's ``description``: ``JDE order 4011 OP (company 00001)``. Only the order's keys,
    so it stays the same whatever changes in the order, and ``find_requisitions`` finds it exactly; its
    shape tells another Procurify integration the order is JDE's (``procurify.source_orders``)."""
    number = f"{int(header['DOCO'])} {text(header['DCTO'])}"
    suffix = text(header.get("SFXO"))
    if suffix not in ("", "000"):
        number = f"{number}-{suffix}"
    return source_order_description("JDE", number, text(header["KCOO"]))


def line_sku(doco: Any, line: Mapping[str, Any]) -> str:
    """The Procurify line ``sku`` naming the JDE line: ``JDE 4011 line 1``."""
    return f"JDE {int(doco)} line {line_number(line)}"


# -- amounts --------------------------------------------------------------------------------------------


def _places_ok(value: Decimal, unit: Decimal = CENT) -> bool:
    return value == value.quantize(unit)


def line_amounts(line: Mapping[str, object]) -> tuple[Decimal, Decimal, bool]:
    """(quantity, unit price, as ordered) for a line: JDE's quantity (two decimals) and unit cost (in its
    currency's smallest unit: ``quantum`` of F4311 CRCD, the cent for most) when they make JDE's extended
    cost; otherwise one unit at the extended cost (``as ordered`` False)."""
    quantity = decimal(line.get("UORG")) or Decimal(0)
    price = decimal(line.get("PRRC")) or Decimal(0)
    extended = decimal(line.get("AEXP"))
    currency = text(line.get("CRCD"))
    unit = quantum(currency)
    product = rounded(quantity * price, currency)
    if (
        quantity > 0
        and _places_ok(quantity)
        and _places_ok(price, unit)
        and (extended is None or product == extended)
    ):
        return quantity.quantize(CENT), price.quantize(unit), True
    amount = extended if extended is not None else product
    return Decimal(1).quantize(CENT), rounded(amount, currency), False


def line_name(line: Mapping[str, object]) -> str:
    """The item name: the line's description (DSC1, DSC2), the stock item number in brackets; a line sent
    as one unit at its extended cost keeps what was ordered (``(250 x 63.2671)``)."""
    name = text(line.get("DSC1")) or text(line.get("DSC2")) or text(line.get("LITM")) or "-"
    item = text(line.get("LITM"))
    if item and item != name:
        name = f"{name} ({item})"
    quantity, price, as_ordered = line_amounts(line)
    if not as_ordered:
        ordered = decimal(line.get("UORG")) or Decimal(0)
        cost = decimal(line.get("PRRC")) or Decimal(0)
        suffix = f" ({ordered.normalize():f} x {cost.normalize():f})" if ordered else ""
        name = f"{name[: NAME_MAX - len(suffix)]}{suffix}"
    return name[:NAME_MAX]


def order_total(body: Mapping[str, Any]) -> Decimal:
    """The requisition's lines' total, each line rounded to its currency's smallest unit."""
    return sum(
        (
            rounded(Decimal(li["quantity"]) * Decimal(li["unit_price"]), li.get("currency_code"))
            for li in body.get("line_items", [])
        ),
        Decimal(0),
    )


# -- the requisition ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLinesMapped:
    """An order's lines as Procurify lines, or the problems that stop it (one sentence per line).
    ``unmapped``: the accounts among the problems that have no Procurify code, the only ones the account
    map (or the account scope) can fix; a line with no account at all is fixed on the JDE line."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


def missing_account(line: Mapping[str, object], number: str, *, it: Instance) -> str:
    """Why a line has no account and where that is fixed: the JDE order line itself (no mapping table can
    give a line the account nobody entered), or for a stock line ``it``'s stock-account setting."""
    if text(line.get("LNTY")).upper() == STOCK_LINE:
        return (
            f"line {number} is a stock line with no G/L account in JDE (F4311.ANI blank) and "
            f"{it.variable('stock_account')} is blank: set that setting to the account stock lines are "
            "charged to, or enter the account on that line in JDE, then replay"
        )
    return (
        f"line {number} has no G/L account in JDE (F4311.ANI blank): the account is missing on the order "
        "line itself, so the account map cannot supply one; enter it on that line in JDE, then replay"
    )


def requisition_lines(
    header: Mapping[str, object],
    lines: Sequence[Mapping[str, object]],
    policy: OrderPolicy,
    codes: Mapping[str, str | None],
    vendor_name: str | None,
    *,
    it: Instance,
) -> OrderLinesMapped:
    """The live lines as ``line_items``; ``codes`` = JDE account -> Procurify code (None: no code); ``it``
    the instance whose settings supply what JDE leaves out. A line without an account, or whose account
    has no Procurify code, is a problem naming the line and account."""
    result = OrderLinesMapped()
    currency = order_currency(header, lines, it=it)
    for line in live_lines(lines, policy):
        account = line_account(line, policy)
        number = line_number(line)
        if account is None:
            result.problems.append(missing_account(line, number, it=it))
            continue
        code = codes.get(account)
        if not code:
            result.problems.append(f"line {number}: account {account} has no Procurify account code")
            if account not in result.unmapped:
                result.unmapped.append(account)
            continue
        quantity, price, as_ordered = line_amounts(line)
        item: dict[str, object] = {
            "item_name": line_name(line),
            "sku": line_sku(header["DOCO"], line),
            "vendor_name": vendor_name,
            "account_code": code,
            "unit_price": str(price),
            "quantity": str(quantity),
            "unit": (text(line.get("UOM")) or "each") if as_ordered else "lot",
            "custom_fields": [],
        }
        if currency:  # RequisitionLineCreateRequest requires it; an order with none is refused first
            item["currency_code"] = currency
        result.lines.append(item)
    return result


def order_currency(
    header: Mapping[str, object], lines: Sequence[Mapping[str, object]] = (), *, it: Instance
) -> str:
    """The currency the order's lines go in (RequisitionLineCreateRequest requires ``currency_code``):
    F4301 CRCD, else the lines' F4311 CRCD, else ``it``'s ``order_currency``; "" when none."""
    found = text(header.get("CRCD")).upper()
    found = found or next((text(li.get("CRCD")).upper() for li in lines if text(li.get("CRCD"))), "")
    return found or str(it.setting("order_currency")).strip().upper()


def required_date(header: Mapping[str, object], *, it: Instance) -> str:
    """The requisition's ``required_date`` (RequisitionCreateRequest requires it): F4301 DRQJ, else the
    order date (TRDJ) when ``it``'s ``required_date`` is ``order_date``; "" when none."""
    order_date = str(it.setting("required_date")).strip() == "order_date"
    required = header.get("DRQJ") or (header.get("TRDJ") if order_date else None)
    return str(required)[:10] if required else ""


def missing_required(
    header: Mapping[str, object], lines: Sequence[Mapping[str, object]], *, it: Instance
) -> tuple[str, str] | None:
    """(field, why) when the order lacks what Procurify's requisition create requires and none of ``it``'s
    settings supplies it: the JDE field and the setting are named; None when nothing is missing."""
    if not order_currency(header, lines, it=it):
        return "F4301 CRCD", (
            "names no currency (F4301 CRCD and every line's F4311 CRCD blank) and Procurify requires each "
            "requisition line's currency: enter it on the order in JDE, or set "
            f"{it.variable('order_currency')} to the currency such orders are in, then replay"
        )
    if not required_date(header, it=it):
        return "F4301 DRQJ", (
            "has no requested date (F4301 DRQJ blank) and Procurify requires the requisition's "
            "required_date: enter it on the order in JDE, or set "
            f"{it.variable('required_date')}=order_date to send the order date, then replay"
        )
    return None


def requisition_body(
    header: Mapping[str, object],
    location: str,
    department: str,
    line_items: Sequence[Mapping[str, object]],
    *,
    it: Instance,
) -> dict[str, object]:
    """``POST /api/v3/requisitions/`` body: by names, the JDE order in ``description``; required date
    (``required_date``) checked present by ``missing_required`` before."""
    body: dict[str, object] = {
        "description": order_description(header)[:DESCRIPTION_MAX],
        "location_name": location,
        "department_name": department,
        "line_items": line_items,
    }
    required = required_date(header, it=it)
    if required:
        body["required_date"] = required
    return body
