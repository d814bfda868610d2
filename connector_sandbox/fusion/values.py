"""Conversions between JSON, query literals and stored values, per attribute kind.

Stored forms keep SQL comparisons and sorting right: amounts are scaled integers (no binary floats),
timestamps epoch milliseconds UTC, dates ``yyyy-MM-dd`` text, booleans 0/1. The pod serves JSON
numbers for amounts and accepts them as strings too (reference quirk 14).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import Attr, Kind

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$")
_SPACE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")
_INT = re.compile(r"^[+-]?\d+$")


class ValueProblem(ValueError):
    """A value that does not fit its attribute; the message says what was expected."""


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.astimezone(dt.UTC).timestamp() * 1000)


def from_epoch_ms(value: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(value / 1000, dt.UTC)


def render_timestamp(value: int, *, millis: bool) -> str:
    moment = from_epoch_ms(value)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "+00:00"


def to_json(attr: Attr, stored: Any, *, millis: bool = True) -> Any:
    """The JSON value a client sees for a stored value (``None`` stays ``null``)."""
    if stored is None:
        return None
    if attr.kind is Kind.NUMBER:
        number = Decimal(stored).scaleb(-attr.scale)
        return int(number) if number == number.to_integral_value() else float(number)
    if attr.kind is Kind.BOOL:
        return bool(stored)
    if attr.kind is Kind.DATETIME:
        return render_timestamp(int(stored), millis=millis)
    return stored


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueProblem("a number")
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str | int | float) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValueProblem("a number")
    return number


def parse_timestamp(text: str, *, forms: tuple[str, ...] = ("date", "iso", "space")) -> dt.datetime:
    """A timestamp literal in one of the accepted forms; naive values are UTC (the pod's clock)."""
    text = text.strip()
    if "date" in forms and _DATE.match(text):
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    if ("iso" in forms and _ISO.match(text)) or ("space" in forms and _SPACE.match(text)):
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    allowed = {"date": "yyyy-MM-dd", "iso": "yyyy-MM-ddTHH:mm:ss[+hh:mm]", "space": "yyyy-MM-dd HH:mm:ss"}
    raise ValueProblem("a timestamp as " + " or ".join(allowed[form] for form in forms))


def to_storage(attr: Attr, value: Any, *, timestamp_forms: tuple[str, ...] = ("date", "iso", "space")) -> Any:
    """A JSON payload value or a query literal, converted for storage; ``ValueProblem`` if it cannot be."""
    if value is None:
        return None
    kind = attr.kind
    if kind is Kind.STRING:
        if not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueProblem("a string")
            value = str(value)
        if attr.max_length is not None and len(value) > attr.max_length:
            raise ValueProblem(f"at most {attr.max_length} characters, got {len(value)}")
        return value
    if kind is Kind.INT:
        if isinstance(value, bool):
            raise ValueProblem("an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value.strip())
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ValueProblem("an integer")
    if kind is Kind.NUMBER:
        number = _decimal(value)
        scaled = number.scaleb(attr.scale)
        if scaled != scaled.to_integral_value():
            raise ValueProblem(f"a number with at most {attr.scale} decimals")
        return int(scaled)
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return int(value.strip().lower() == "true")
        raise ValueProblem("true or false")
    if kind is Kind.DATE:
        if isinstance(value, str) and _DATE.match(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise ValueProblem("a date as yyyy-MM-dd")
    if kind is Kind.DATETIME:
        if not isinstance(value, str):
            raise ValueProblem("a timestamp string")
        try:
            return epoch_ms(parse_timestamp(value, forms=timestamp_forms))
        except ValueError as exc:
            raise ValueProblem(str(exc)) from None
    raise AssertionError(kind)  # pragma: no cover - every kind is handled above
