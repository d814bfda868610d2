"""Amounts as the flows carry them: ``Decimal`` inside, two-decimal text on the way out, never floats."""

from decimal import Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def amount(value: Any) -> Decimal | None:
    """``value`` (text or number, as an API renders it) as a finite ``Decimal``; None when it is not one."""
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def money(value: Decimal) -> str:
    """Two-decimal text (``12.50``), as the JDE orchestrations and the SaaS APIs take amounts."""
    return f"{value.quantize(CENT):f}"
