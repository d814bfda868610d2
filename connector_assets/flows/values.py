"""JSON values as the SaaS APIs render them, read one way: text trimmed (None and blanks are ""), money and
quantities as ``Decimal`` (never float), counts and codes that may come as digit strings (``"12.50"`` or
``12.5``, a line ``"3"``); two copies read them slightly differently before.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation


def text(value: object) -> str:
    """A value as trimmed text; None and blanks are ""."""
    return "" if value is None else str(value).strip()


def decimal(value: object) -> Decimal | None:
    """A money or quantity value (decimal string, int or Decimal) as Decimal; None when blank or not one."""
    if value is None or isinstance(value, bool | float):
        return None if value is None else Decimal(str(value))
    try:
        number = value if isinstance(value, Decimal) else Decimal(text(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def whole_number(value: object) -> int | None:
    """A line number or other count (an integer, or a digit string); None when it is neither."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = text(value)
    return int(raw) if raw.isdigit() else None


def iso_day(value: object) -> str | None:
    """A date or stamp's day as ``yyyy-mm-dd`` (its first ten characters), None when it is not a date."""
    day = text(value)[:10]
    try:
        return date.fromisoformat(day).isoformat()
    except ValueError:
        return None
