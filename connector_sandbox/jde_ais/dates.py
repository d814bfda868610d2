"""JDE date and time representations.

The database keeps dates as Julian ``CYYDDD`` integers and times as ``HHMMSS`` integers; AIS hands
dates out as strings in a Java ``SimpleDateFormat`` pattern (the user's ``simpleDateFormat`` by
default). Only the letters JDE date formats actually use are supported, so an unexpected pattern fails
loudly at start-up instead of producing wrong dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache


def to_julian(day: dt.date) -> int:
    """``CYYDDD``: century offset from 1900, two-digit year, day of the year (2025-02-01 -> 125032)."""
    return (day.year - 1900) * 1000 + day.timetuple().tm_yday


def from_julian(value: int) -> dt.date | None:
    """The calendar date of a ``CYYDDD`` number; ``0`` is JDE's "no date" and gives ``None``."""
    if value == 0:
        return None
    year, day_of_year = 1900 + value // 1000, value % 1000
    if not 1 <= day_of_year <= (366 if calendar.isleap(year) else 365):
        raise ValueError(f"{value} is not a Julian CYYDDD date (day of year {day_of_year})")
    return dt.date(year, 1, 1) + dt.timedelta(days=day_of_year - 1)


def to_hhmmss(moment: dt.datetime | dt.time) -> int:
    """Time of day as the integer JDE stores in UPMT/TDAY; leading zeros vanish (09:30:15 -> 93015)."""
    return moment.hour * 10_000 + moment.minute * 100 + moment.second


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic, clamping to the month's last day (Jan 31 + 1 month -> Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


_TOKEN = re.compile(r"yyyy|yy|MM|M|dd|d|[^A-Za-z]")


@dataclass(frozen=True)
class DatePattern:
    """A compiled Java date pattern (``MM/dd/yyyy``, ``dd/MM/yyyy``, ``yyyyMMdd`` ...)."""

    pattern: str
    tokens: tuple[str, ...]
    regex: re.Pattern[str]

    def format(self, day: dt.date) -> str:
        parts = []
        for token in self.tokens:
            if token == "yyyy":
                parts.append(f"{day.year:04d}")
            elif token == "yy":
                parts.append(f"{day.year % 100:02d}")
            elif token == "MM":
                parts.append(f"{day.month:02d}")
            elif token == "M":
                parts.append(str(day.month))
            elif token == "dd":
                parts.append(f"{day.day:02d}")
            elif token == "d":
                parts.append(str(day.day))
            else:
                parts.append(token)
        return "".join(parts)

    def parse(self, text: str) -> dt.date:
        """The date ``text`` denotes; ``ValueError`` naming the expected pattern otherwise."""
        match = self.regex.fullmatch(text.strip())
        if not match:
            raise ValueError(f"{text!r} does not match the date format {self.pattern}")
        fields = match.groupdict()
        year = int(fields["year"])
        if len(fields["year"]) == 2:
            year += 2000  # two-digit years: JDE's century-change default keeps them in 20xx
        try:
            return dt.date(year, int(fields["month"]), int(fields["day"]))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a real date in the format {self.pattern}: {exc}") from exc

    @property
    def jde_code(self) -> str:
        """The three-letter order code tokenrequest reports as ``dateFormat`` (MDE, DME, EMD)."""
        letters = {"y": "E", "M": "M", "d": "D"}
        return "".join(letters[token[0]] for token in self.tokens if token[0] in letters)

    @property
    def separator(self) -> str:
        """The first separator character, reported as ``dateSeperator`` (Oracle's spelling)."""
        return next((token for token in self.tokens if not token[0].isalpha()), "")


@lru_cache(maxsize=32)
def compile_pattern(pattern: str) -> DatePattern:
    """Compile once per pattern; rendering a million rows must not re-parse it each time."""
    tokens = tuple(_TOKEN.findall(pattern))
    if "".join(tokens) != pattern:
        raise ValueError(f"date pattern {pattern!r} uses letters other than y, M and d")
    groups = []
    for token in tokens:
        if token in ("yyyy", "yy"):
            groups.append(rf"(?P<year>\d{{{len(token)}}})")
        elif token in ("MM", "M"):
            groups.append(r"(?P<month>\d{2})" if token == "MM" else r"(?P<month>\d{1,2})")
        elif token in ("dd", "d"):
            groups.append(r"(?P<day>\d{2})" if token == "dd" else r"(?P<day>\d{1,2})")
        else:
            groups.append(re.escape(token))
    try:
        regex = re.compile("".join(groups))
    except re.error as exc:  # a field given twice, e.g. "yyyy-MM-dd-yyyy"
        raise ValueError(f"date pattern {pattern!r} repeats a field") from exc
    if set(regex.groupindex) != {"year", "month", "day"}:
        raise ValueError(f"date pattern {pattern!r} needs a year, a month and a day")
    return DatePattern(pattern, tokens, regex)


ISO_PATTERN = compile_pattern("yyyy-MM-dd")
COMPACT_PATTERN = compile_pattern("yyyyMMdd")
