"""Wire formats BILL v3 uses: 20-character prefixed ids, timestamps, dates and money.

Amounts are carried as integer cents inside the sandbox (computed with ``Decimal``) and rendered as
JSON numbers; timestamps are integer epoch milliseconds inside and ``...T15:00:00.000+00:00`` outside.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Documented prefixes (reference 2.4); funding-account and line-item prefixes are sandbox inventions.
PREFIX = {
    "organization": "008",
    "user": "006",
    "vendor": "009",
    "bill": "00n",
    "payment": "stp",
    "bill_payment": "blp",
    "chart-of-accounts": "0ca",
    "departments": "0de",
    "locations": "loc",
    "accounting-classes": "cls",
    "items": "itm",  # invented
    "jobs": "job",  # invented
    "employees": "emp",  # invented
    "line_item": "bli",  # invented
    "BANK_ACCOUNT": "bac",  # invented
    "CARD_ACCOUNT": "crd",  # invented
    "WALLET": "wlt",  # invented
    "AP_CARD": "apc",  # invented
}

_ID_ALPHABET = string.ascii_uppercase + string.digits + string.ascii_lowercase


def new_id(kind: str, rng: random.Random) -> str:
    """``<prefix>02<15 characters>``: 20 characters, like ``00902BILKFECNEV2oji1``."""
    # One draw of random bits turned into 15 base-62 digits: seeding makes hundreds of thousands of ids.
    number, digits = rng.getrandbits(90), []
    for _ in range(15):
        number, digit = divmod(number, 62)
        digits.append(_ID_ALPHABET[digit])
    return PREFIX[kind] + "02" + "".join(digits)


def now_ms() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp() * 1000)


def ms_to_datetime(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def render_time(ms: int) -> str:
    """v3 style: ISO with milliseconds and a colon offset (quirk 11)."""
    moment = ms_to_datetime(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}+00:00"


# yyyy-MM-dd['T'HH:mm[:ss[.SSS]][X]] (reference 2.5); X = Z, +hh, +hhmm or +hh:mm.
_FILTER_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


def parse_filter_time(text: str) -> int:
    """Epoch ms of a filter value; raises ValueError with the accepted patterns."""
    match = _FILTER_TIME.match(text)
    if not match:
        hint = " (a '+' offset must be sent as %2B)" if " " in text else ""
        raise ValueError(f"{text!r} is not yyyy-MM-dd['T'HH:mm[:ss[.SSS]][X]]{hint}")
    year, month, day, hour, minute, second, millis, zone = match.groups()
    offset = dt.timedelta(0)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    moment = dt.datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        int(millis or 0) * 1000,
        tzinfo=dt.timezone(offset),
    )
    return int(moment.timestamp() * 1000)


def parse_date(text: object) -> dt.date:
    """A ``yyyy-MM-dd`` date; raises ValueError otherwise."""
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", text):
        raise ValueError(f"{text!r} is not a date in yyyy-MM-dd format")
    return dt.date.fromisoformat(text)


def to_decimal(value: object) -> Decimal:
    """A JSON number (or numeric string) as Decimal; bools and non-finite values are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def to_cents(value: object) -> int:
    """Money with at most two decimals, as integer cents."""
    number = to_decimal(value)
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimals")
    return int(number * 100)


def round_cents(number: Decimal) -> int:
    """quantity x price rounded half-up to the cent."""
    return int(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100)


def money(cents: int) -> float:
    """JSON number for cents; exact for every amount below 10**13."""
    return cents / 100
