"""What a JD Edwards purchase order line or voucher is charged to (account and business unit), read one way
for every flow out of JDE. An account is what users type (F4311 / F0911 ANI, ``BU.OBJ[.SUB]``), else
composed from its parts; a stock line (LNTY S) carries none, so it is charged to its branch/plant. A
voucher on an order is charged as the order's first line; one without by its F0911 distribution, which
must add up to its gross less tax.
"""

from datetime import date, datetime
from decimal import Decimal

from connector_assets.flows.reconciliation import amount as jde_amount  # an amount or quantity column
from connector_assets.jde.documents import JdePurchaseOrder, JdeVoucher

Charge = tuple[str | None, str]  # (account as typed, None for a stock line; business unit)


def jde_day(value: object) -> date | None:
    """A date the readers give (a ``date``, a ``datetime`` or ISO text), None when blank."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    return date.fromisoformat(text[:10]) if len(text) >= 10 else None


def line_number(line: dict) -> str:
    """F4311 LNID as users read it (1.000 is line 1, 1.100 line 1.1)."""
    return f"{Decimal(str(line.get('LNID') or 0)).normalize():f}"


def typed_account(row: dict) -> str:
    """The account as users type it: ``ANI`` as entered, else ``BU.OBJ[.SUB]`` from its parts ("" when
    there is no object account)."""
    typed = str(row.get("ANI") or "").strip()
    if typed:
        return typed
    parts = [str(row.get(k) or "").strip() for k in ("MCU", "OBJ", "SUB")]
    return ".".join(p for p in parts if p) if parts[1] else ""


def order_line_cost(line: dict) -> tuple[Decimal, str]:
    """An F4311 line's extended cost (AEXP, else quantity x unit cost) and how a person reads it: its
    description (DSC1, else the item LITM), with the quantity and unit cost when it has a quantity."""
    quantity, price = jde_amount(line.get("UORG")), jde_amount(line.get("PRRC"))
    amount = jde_amount(line.get("AEXP")) if line.get("AEXP") not in (None, "") else quantity * price
    text = str(line.get("DSC1") or "").strip() or str(line.get("LITM") or "").strip() or "-"
    return amount, f"{text} ({quantity.normalize():f} x {price.normalize():f})" if quantity else text


def order_line_charge(line: dict) -> Charge | None:
    """An F4311 line's account and business unit (the account's first segment); a stock line's branch/plant
    (MCU) with no account; None when the line has neither an account nor stock."""
    typed = str(line.get("ANI") or "").strip()
    if typed:
        return typed, typed.split(".")[0]
    if str(line.get("LNTY") or "").strip() == "S":
        return None, str(line.get("MCU") or "").strip()
    return None


def voucher_order_charge(voucher: JdeVoucher, order: JdePurchaseOrder | None) -> Charge | str:
    """The account (None: stock) and business unit a voucher on an order is charged to: the order's first
    line (as the voucher's own lines in JDE are distributed to the order's accounts), or why none."""
    line = order.lines[0] if order is not None and order.lines else voucher.order_line
    if line is None:
        return f"purchase order {voucher.order} has no lines in F4311 to take the GL account from"
    charge = order_line_charge({**line, "MCU": line.get("MCU") or voucher.pay_items[0].get("MCU")})
    return charge or f"the first line of purchase order {voucher.order} has no account (F4311 ANI)"


def voucher_totals(voucher: JdeVoucher) -> tuple[Decimal, Decimal, Decimal]:
    """A voucher's tax (F0411 STAM), its pay items' gross less tax (AG - STAM) and its F0911 distribution
    (AA): the last two must be equal for the distribution to stand for the voucher. All in the voucher's
    currency: a foreign voucher's gross is ACR and its distribution the ledger CA lines (``documents``);
    ``ForeignAmountMissing`` when an amount in that currency is not there to read."""
    tax = voucher.tax()
    net = voucher.gross() - tax
    distributed = sum((jde_amount(row.get("AA")) for row in voucher.distribution), Decimal(0))
    return tax, net, distributed
