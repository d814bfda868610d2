"""Building ``q`` and ``finder`` strings for either REST framework version, and timestamp literals.

The ``q`` syntax depends on the ``REST-Framework-Version`` header (reference §1, §2.2, quirk 5), so the
client always sends the header and builds ``q`` for the version it sends:

* **version 1, query by example**: ``Attr=value`` criteria joined by ``;`` (AND), values unquoted; a
  range on one attribute is ``Attr>=a and <b`` (two ``;`` criteria on one attribute may collapse into
  one in a QBE row, so the documented ``and`` continuation is used). Unquoted values cannot carry
  every text: ``;`` ends a criterion, ``*`` / ``%`` may be wildcards, quotes may be stripped and `` and ``
  / `` or `` continue the criterion. Such values are *not sent*: the search asks the pod for the rest of
  its conditions and checks every condition on the answers itself (``v1_safe``).
* **version 2 and later**: expressions ``Attr = 'text' and Attr2 >= 'x'``, text and dates in single
  quotes with ``''`` escaping a quote; any text can be expressed.

Searches always re-check equality on the answers, so pod-side wildcard or case quirks cannot make a
search adopt the wrong record.

**Timestamp literals** (quirk 13): which forms a pod accepts in ``q`` is unconfirmed. The client tries,
in this order, and remembers the first the pod does not refuse with a 400:

1. ``offset``: ``2025-01-15T00:00:00+00:00``. Unambiguous whatever the pod's time zone; not in the
   reference's list, so a pod may refuse it.
2. ``iso``: ``2025-01-15T00:00:00`` (naive, read as UTC).
3. ``space``: ``2025-01-15 00:00:00`` (naive, read as UTC).
4. ``date``: ``2025-01-15`` (whole days; the exact bounds are applied client-side).

Naive forms assume the pod reads them as UTC: an **assumption** (the reference does not say; its
example stamps are all ``+00:00``), which is why the unambiguous form is tried first. Every form is
whole seconds or whole days: the pod is asked for the enclosing range (lower bound floored, upper
bound ceiled) and the exact ``[start, end)`` is applied to the answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from connector_resources.fusion.errors import FusionInputError

TimestampStyle = Literal["offset", "iso", "space", "date"]
TIMESTAMP_STYLES: tuple[TimestampStyle, ...] = ("offset", "iso", "space", "date")

# What an unquoted v1 value cannot carry without changing the query's meaning (see module docstring).
_V1_UNSAFE = re.compile(r"""[;'"*%<>=!\\]|\s(?:and|or)\s|^\s|\s$""", re.IGNORECASE)
# Finder variables are ``Name;Var=value,Var2=value``: these characters would end the value.
_FINDER_UNSAFE = re.compile(r"[;,=]")
_ATTRIBUTE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_attribute(name: str) -> str:
    """An attribute name as the pod spells it (PascalCase, or ``_SEGMENT1``); refuses anything that
    could smuggle syntax into ``q`` / ``orderBy`` / ``fields``."""
    if not isinstance(name, str) or not _ATTRIBUTE.match(name):
        raise FusionInputError(f"{name!r} is not an attribute name", field=str(name))
    return name


def as_utc(moment: datetime, what: str) -> datetime:
    """``moment`` in UTC; a naive datetime is refused because its zone would be a guess."""
    if not isinstance(moment, datetime):
        raise FusionInputError(f"{what} must be a datetime, got {type(moment).__name__}", field=what)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise FusionInputError(
            f"{what} {moment.isoformat()} has no time zone; pass an aware UTC datetime", field=what
        )
    return moment.astimezone(UTC)


def floor_to(moment: datetime, style: TimestampStyle) -> datetime:
    """The latest instant at or before ``moment`` a literal of ``style`` can express (UTC)."""
    moment = moment.astimezone(UTC)
    if style == "date":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(microsecond=0)


def ceil_to(moment: datetime, style: TimestampStyle) -> datetime:
    """The earliest instant at or after ``moment`` a literal of ``style`` can express (UTC)."""
    floor = floor_to(moment, style)
    if floor == moment.astimezone(UTC):
        return floor
    return floor + (timedelta(days=1) if style == "date" else timedelta(seconds=1))


def timestamp_literal(moment: datetime, style: TimestampStyle) -> str:
    """``moment`` (already floored or ceiled) written in ``style``."""
    moment = moment.astimezone(UTC)
    if style == "offset":
        return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    if style == "iso":
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "space":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.strftime("%Y-%m-%d")


def _v2_value(value: Any) -> str:
    if isinstance(value, bool):
        # How a pod spells booleans in q is unconfirmed; refusing beats a query that means something else.
        raise FusionInputError("boolean values cannot be searched with q; filter the answers instead")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        raise FusionInputError(f"float {value!r} in a query; pass Decimal or int")
    if isinstance(value, datetime):
        return "'" + timestamp_literal(value, "offset") + "'"
    if isinstance(value, date):
        return "'" + value.isoformat() + "'"
    return "'" + str(value).replace("'", "''") + "'"


def v1_safe(value: Any) -> bool:
    """Whether ``value`` can be sent unquoted in a version 1 ``q`` without changing its meaning."""
    if isinstance(value, bool | float):
        return False
    if isinstance(value, int | Decimal | date):
        return True
    text = str(value)
    return bool(text) and not _V1_UNSAFE.search(text)


def _v1_value(value: Any) -> str:
    if isinstance(value, datetime):
        return timestamp_literal(value, "offset")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def equals_q(conditions: Mapping[str, Any], version: int) -> tuple[str | None, dict[str, Any]]:
    """``q`` for ``Attr = value`` conditions (AND) and the conditions left out of it.

    Under version 1 a value that cannot travel unquoted is left out (returned second) for the caller
    to check on the answers. Refuses when nothing at all could be sent, since that would read the
    whole collection to find one record.
    """
    parts: list[str] = []
    skipped: dict[str, Any] = {}
    for name, value in conditions.items():
        check_attribute(name)
        if value is None:
            raise FusionInputError(f"search value for {name} is empty", field=name)
        if version >= 2:
            parts.append(f"{name} = {_v2_value(value)}")
        elif v1_safe(value):
            parts.append(f"{name}={_v1_value(value)}")
        else:
            skipped[name] = value
    if not parts and conditions:
        names = ", ".join(conditions)
        raise FusionInputError(
            f"cannot search on {names} with REST framework version 1: the value(s) contain characters an "
            "unquoted query-by-example value cannot carry (; ' \" * % < > = ! or the words and/or); "
            "use framework_version 2 or later",
            field=next(iter(conditions)),
        )
    joiner = " and " if version >= 2 else ";"
    return (joiner.join(parts) if parts else None), skipped


def in_q(attribute: str, values: Sequence[Any]) -> str:
    """``attribute in (v1, v2, ...)``: one of several values (framework version 2 and later, §2.2)."""
    check_attribute(attribute)
    if not values:
        raise FusionInputError(f"an in-list on {attribute} needs at least one value", field=attribute)
    return f"{attribute} in ({', '.join(_v2_value(value) for value in values)})"


def window_q(attribute: str, low: datetime, high: datetime, style: TimestampStyle, version: int) -> str:
    """``attribute >= low and < high`` for the framework ``version``, with literals in ``style``."""
    check_attribute(attribute)
    lo, hi = timestamp_literal(low, style), timestamp_literal(high, style)
    if version >= 2:
        return f"{attribute} >= '{lo}' and {attribute} < '{hi}'"
    return f"{attribute}>={lo} and <{hi}"


def finder(name: str, variables: Mapping[str, Any]) -> str:
    """``Name;Var=value,Var2=value`` (reference §2.2); refuses values that would end a variable."""
    check_attribute(name)
    parts = []
    for var, value in variables.items():
        check_attribute(var)
        text = str(value)
        if not text or _FINDER_UNSAFE.search(text):
            raise FusionInputError(
                f"finder {name} variable {var} value {text!r} is empty or contains ; , or =", field=var
            )
        parts.append(f"{var}={text}")
    return f"{name};{','.join(parts)}" if parts else name


def parse_timestamp(value: Any) -> datetime | None:
    """A Fusion timestamp (``2019-08-01T10:15:30.123+00:00``, ``...Z``, or a bare date) as aware UTC.

    A value without an offset is read as UTC (the pod's zone). None when it cannot be read.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
