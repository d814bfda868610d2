"""Time as the sandbox stores and renders it, and Procore's ``from...to`` date-time ranges.

Stored stamps are whole seconds in UTC (``2025-03-04T18:22:10Z``, the reference's rendering), so text
order is time order and a filter is a plain string comparison in SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ONE_SECOND = dt.timedelta(seconds=1)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds: the fraction is dropped)."""
    return moment.astimezone(dt.UTC).strftime(_STAMP_FORMAT)


def now_stamp() -> str:
    return stamp(utc_now())


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, _STAMP_FORMAT).replace(tzinfo=dt.UTC)


class RangeError(ValueError):
    """A filter value that is not a date or date-time (range)."""


def _instant(text: str) -> tuple[dt.datetime, bool]:
    """(UTC datetime, date_only) of one bound; naive date-times are taken as UTC."""
    text = text.strip()
    if _DATE_ONLY.match(text):
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC), True
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RangeError(text) from None
    if "T" not in text.upper():
        raise RangeError(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC), False


def _floor(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


def _ceil(moment: dt.datetime) -> dt.datetime:
    return _floor(moment) + (_ONE_SECOND if moment.microsecond else dt.timedelta())


@dataclass(frozen=True)
class StampRange:
    """``lower <= column`` and ``column < upper_exclusive`` on whole-second stamps."""

    lower: str | None
    upper_exclusive: str | None

    def sql(self, column: str) -> tuple[str, list[str]]:
        clauses, params = [], []
        if self.lower is not None:
            clauses.append(f"{column} >= ?")
            params.append(self.lower)
        if self.upper_exclusive is not None:
            clauses.append(f"{column} < ?")
            params.append(self.upper_exclusive)
        return " AND ".join(clauses) or "1=1", params


def parse_range(value: str, end: Literal["inclusive", "exclusive"]) -> StampRange:
    """Procore's ``filters[x]=<from>...<to>``; a single value means that day / that exact second.

    Bounds may be dates (``2025-03-01``) or ISO-8601 date-times with ``Z`` or ``+HH:MM`` offsets. A
    ``+`` sent unencoded in a query string arrives as a space and is refused, as a strict server would.
    """
    if "..." in value:
        start_text, _, end_text = value.partition("...")
        if not start_text.strip() or not end_text.strip():
            raise RangeError(value)
        start, _ = _instant(start_text)
        finish, finish_is_date = _instant(end_text)
        lower = _ceil(start)
        if finish_is_date:
            upper = finish + dt.timedelta(days=1) if end == "inclusive" else finish
        elif end == "inclusive":
            upper = _floor(finish) + _ONE_SECOND
        else:
            upper = _ceil(finish)
        return StampRange(stamp(lower), stamp(upper))
    moment, is_date = _instant(value)
    if is_date:
        return StampRange(stamp(moment), stamp(moment + dt.timedelta(days=1)))
    # A fractional instant equals no whole-second stamp: the range is empty, not an error.
    return StampRange(stamp(_ceil(moment)), stamp(_floor(moment) + _ONE_SECOND))
