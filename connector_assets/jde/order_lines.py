"""A JD Edwards purchase order line charged to an account (line type J), as ``ML_CreatePurchaseOrder`` and
``ML_UpdatePurchaseOrder`` take it. The contracts take whole quantities above zero (F4311.UORG) and unit
costs with four decimals (PRRC): a line whose quantity extends to the amount to the cent goes as it is,
any other (2.5 t of rebar) as quantity 1 at the amount, its description saying what was ordered; a
deduction is a negative unit cost.
"""

from decimal import ROUND_HALF_UP, Decimal

from connector_assets.flows import amounts

TEXT_MAX = 30  # F4301.RMK, F4311.DSC1
UNIT_COST = Decimal("0.0001")  # F4311.PRRC: four decimals


def unit_cost(value: Decimal) -> str:
    return f"{value.quantize(UNIT_COST):f}"


def with_note(description: str, note: str) -> str:
    """``description`` cut so that ``note`` (what a finance user must know about the line) still fits."""
    room = TEXT_MAX - len(note) - 1
    return f"{description[:room].rstrip()} {note}".strip() if room > 0 else note[:TEXT_MAX]


def amount_line(description: str, amount: Decimal) -> dict[str, object]:
    """A line of quantity 1 at ``amount`` (its account is added by the caller)."""
    return {"Line_Type": "J", "Description": description, "Quantity": 1, "Unit_Cost": unit_cost(amount)}


def unit_line(
    description: str, quantity: Decimal, cost: Decimal, amount: Decimal | None, uom: str
) -> tuple[dict[str, object], Decimal]:
    """A unit-accounted line (quantity above zero) and its extended cost: ``amount`` (the source's, to the
    cent), else quantity x ``cost``. As quantity x cost when JDE extends that to the same cent, else as 1
    at the extended cost with ``[<quantity> <uom> @<cost>]`` in the description."""
    product = (quantity * cost).quantize(amounts.CENT, rounding=ROUND_HALF_UP)
    extended = amount.quantize(amounts.CENT) if amount is not None else product
    whole = quantity == quantity.to_integral_value()
    if whole and cost == cost.quantize(UNIT_COST) and product == extended:
        line = {
            "Line_Type": "J",
            "Description": description,
            "Quantity": int(quantity),
            "Unit_Cost": unit_cost(cost),
        }
        return line, extended
    note = f"[{quantity.normalize():f}{' ' + uom if uom else ''} @{cost.normalize():f}]"
    return amount_line(with_note(description, note), extended), extended
