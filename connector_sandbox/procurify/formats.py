"""How values are stored and how Procurify (Django REST Framework) renders them.

Stored form, chosen so SQL can filter and sort without conversion:

* timestamps: UTC text ``YYYY-MM-DDTHH:MM:SS.ffffff`` (fixed width, so text order is time order);
* dates: ``YYYY-MM-DD``;
* money: integers in its currency's minor unit (cents, whole yen, fils: ``currencies.decimals``);
* quantities (and percentages): integers in hundredths (no binary floats anywhere).

Rendered form follows DRF: datetimes ISO 8601 in UTC with ``Z`` and microseconds only when there are
some (so one list mixes ``...:10Z`` and ``...:10.511000Z``, which a client must parse alike), decimals as
strings, except the few totals Procurify sends as JSON floats (quirk 7). Money shows its currency's
decimals (``"245.00"`` USD, ``"3704"`` JPY, ``"7.534"`` KWD): the reference shows only two-decimal
amounts, and a yen amount with cents or a dinar one cut to two decimals would be another amount.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

STORED_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
# Django's default DATE_INPUT_FORMATS, the ones a django-filter date field accepts.
_DATE_INPUT_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y")
_CENT = Decimal("0.01")


def stored(moment: dt.datetime) -> str:
    """A timestamp as stored; naive values are taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    # isoformat with fixed microseconds is STORED_FORMAT, several times faster than strftime.
    return moment.isoformat(timespec="microseconds")


def render_datetime(text: str | None) -> str | None:
    """DRF's DateTimeField output: ISO 8601, ``Z`` for UTC, microseconds only when non-zero."""
    if text is None:
        return None
    seconds, _, micro = text.partition(".")
    return f"{seconds}Z" if not micro or int(micro) == 0 else f"{seconds}.{micro}Z"


def render_date_as_midnight(text: str | None) -> str | None:
    """A date-only value that the API types as a datetime (PO ``promise_date``)."""
    return None if text is None else f"{text}T00:00:00Z"


def hundredths(value: int | None) -> str | None:
    """Stored hundredths as a DRF decimal string: 24500 -> ``"245.00"``."""
    if value is None:
        return None
    return str((Decimal(value) / 100).quantize(_CENT))


def hundredths_float(value: int | None) -> float | None:
    """The same amount as a JSON float, for the fields Procurify types as numbers."""
    return None if value is None else round(value / 100, 2)


def to_hundredths(value: Decimal) -> int:
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def money(value: int | None, places: int) -> str | None:
    """Stored minor units as a decimal string with the currency's ``places``: 24500, 2 -> ``"245.00"``;
    3704, 0 -> ``"3704"``; 7534, 3 -> ``"7.534"``."""
    if value is None:
        return None
    return f"{Decimal(value).scaleb(-places):.{places}f}"


def money_float(value: int | None, places: int) -> float | None:
    """The same amount as a JSON float, for the totals Procurify types as numbers."""
    return None if value is None else round(value / 10**places, places)


def to_minor(value: Decimal, places: int) -> int:
    """An input amount in the currency's minor unit, rounded half up as ``to_hundredths`` rounds cents."""
    return int(value.scaleb(places).to_integral_value(rounding=ROUND_HALF_UP))


# A money column of a row joined to its currency as ``c``, in thousandths whatever the currency, so amounts
# in currencies of 0, 2 and 3 decimals can be compared, filtered and summed in SQL.
def in_thousandths(column: str, decimals: str = "c.decimals") -> str:
    return f"(({column}) * CASE {decimals} WHEN 0 THEN 1000 WHEN 1 THEN 100 WHEN 2 THEN 10 ELSE 1 END)"


def parse_decimal(value: object) -> Decimal | None:
    """A decimal from a JSON number or string, None when it is not one (DRF DecimalField input)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_input_date(text: str) -> dt.date | None:
    for pattern in _DATE_INPUT_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def parse_input_datetime(text: str, *, date_only_allowed: bool) -> dt.datetime | None:
    """An aware UTC datetime from Django form input; naive values are in the server zone (UTC).

    ``date_only_allowed`` is Django's DateTimeField (accepts ``2025-03-01`` as midnight); the ISO-only
    field behind ``*_after`` / ``*_before`` filters does not.
    """
    raw = text.strip()
    if not raw:
        return None
    if len(raw) == 10 and not date_only_allowed:
        return None
    candidate = raw.replace(" ", "T", 1)
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = dt.datetime.fromisoformat(candidate)
    except ValueError:
        if not date_only_allowed:
            return None
        day = parse_input_date(raw)
        if day is None:
            return None
        moment = dt.datetime.combine(day, dt.time.min)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def day_start(day: dt.date) -> str:
    return stored(dt.datetime.combine(day, dt.time.min))


def day_end(day: dt.date) -> str:
    return stored(dt.datetime.combine(day, dt.time.max))
