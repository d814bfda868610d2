"""JD Edwards dates and times as real ``date`` / ``time`` / ``datetime`` values.

JDE stores dates as Julian ``CYYDDD`` numbers (C = centuries after 1900, YY year, DDD day of year:
``125032`` is 2025-02-01, ``0`` is "no date") and times of day as ``HHMMSS`` numbers whose leading
zeros are lost (``93015`` is 09:30:15). AIS shows dates to a user in that user's own format, given at
login as a Java ``SimpleDateFormat`` pattern (``userInfo.simpleDateFormat``: ``MM/dd/yyyy``,
``dd/MM/yyyy``, ``dd.MM.yy`` ...), and which format data-service rows use is not confirmed (the
reference names the user's format, ``yyyyMMdd`` and ISO ``yyyy-MM-dd`` as candidates). So:

* ``DatePattern`` parses and produces one ``SimpleDateFormat`` pattern (the subset date formats use).
* ``parse_jde_date`` reads a row value in *any* of the plausible shapes, the user's pattern first,
  so the client works against whichever variant a server turns out to use.
* Everything here is pure (no I/O, no clock except the documented two-digit-year pivot) so it can be
  tested exhaustively and reused by mapping code.

Values are naive: AIS sends no time zone with UPMJ/UPMT (the server's local time is implied).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

__all__ = [
    "JULIAN",
    "DatePattern",
    "date_to_julian",
    "hhmmss_to_time",
    "jde_datetime",
    "julian_to_date",
    "parse_jde_date",
    "parse_jde_time",
    "pattern_from_jde_format",
    "time_to_hhmmss",
]

# The pseudo-pattern for raw Julian values (not a SimpleDateFormat: there ``D`` is day-of-year and
# ``Y`` week-year). Accepted by ``DatePattern`` so a server that wants Julian query values is one
# setting away.
JULIAN = "CYYDDD"

_MONTHS_SHORT = tuple(calendar.month_abbr)[1:]
_MONTHS_LONG = tuple(calendar.month_name)[1:]


# -- Julian CYYDDD -----------------------------------------------------------------------------------


def _as_int(value: Any, what: str) -> int:
    """An integer from an int, an integral Decimal or a string of digits; anything else is an error."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"{what} must be a whole number, got {value}")
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise ValueError(f"{what} must be digits, got {value!r}")
        return int(text)
    raise ValueError(f"{what} must be a number, got {type(value).__name__} {value!r}")


def julian_to_date(value: int | str | Decimal | None) -> date | None:
    """``CYYDDD`` -> ``date``; ``0``/blank/None -> None (JDE's "no date").

    The century digit is an offset from 1900, so ``99365`` (= ``099365``) is 1999-12-31 and
    ``100001`` is 2000-01-01. Day 366 is valid only in a leap year.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _as_int(value, "Julian date")
    if number == 0:
        return None
    if number < 0:
        raise ValueError(f"Julian date must not be negative, got {number}")
    year, day = 1900 + number // 1000, number % 1000
    days_in_year = 366 if calendar.isleap(year) else 365
    if not 1 <= day <= days_in_year:
        raise ValueError(f"Julian date {number:06d}: day {day} does not exist in {year} (1..{days_in_year})")
    return date.fromordinal(date(year, 1, 1).toordinal() + day - 1)


def date_to_julian(value: date) -> int:
    """``date`` -> ``CYYDDD`` (years before 1900 cannot be expressed and are refused)."""
    if isinstance(value, datetime):
        value = value.date()
    if value.year < 1900:
        raise ValueError(f"{value.isoformat()} is before 1900 and has no JDE Julian form")
    return (value.year - 1900) * 1000 + value.timetuple().tm_yday


# -- HHMMSS ------------------------------------------------------------------------------------------

_COLON_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def hhmmss_to_time(value: int | str | Decimal) -> time:
    """``HHMMSS`` number or string (leading zeros optional, ``93015`` = ``093015``) -> ``time``.

    ``HH:MM[:SS]`` strings are accepted too, in case a server renders times for people.
    """
    if isinstance(value, str) and ":" in value:
        match = _COLON_TIME.match(value.strip())
        if not match:
            raise ValueError(f"time must be HHMMSS or HH:MM:SS, got {value!r}")
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    else:
        number = _as_int(value, "HHMMSS time")
        if not 0 <= number <= 235959:
            raise ValueError(f"HHMMSS time must be between 0 and 235959, got {number}")
        hour, minute, second = number // 10000, number // 100 % 100, number % 100
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"{value!r} is not a time of day (hour {hour}, minute {minute}, second {second})")
    return time(hour, minute, second)


def time_to_hhmmss(value: time | datetime) -> int:
    """``time`` -> ``HHMMSS`` integer (sub-second precision is dropped: JDE has none)."""
    return value.hour * 10000 + value.minute * 100 + value.second


def parse_jde_time(value: Any) -> time | None:
    """A row's time column (UPMT, TDAY) -> ``time``; None/blank -> None. ``0`` is midnight."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return value
    return hhmmss_to_time(value)


def jde_datetime(day: date | None, clock: time | int | str | None) -> datetime | None:
    """A JDE date plus its separate time column (UPMJ + UPMT, or UPMJ + TDAY) as one ``datetime``.

    No date -> None (a time without a day means nothing); no time -> midnight, which is what JDE
    itself implies when a program bypasses the time audit column.
    """
    if day is None:
        return None
    moment = parse_jde_time(clock) if not isinstance(clock, time) else clock
    return datetime.combine(day, moment or time(0, 0, 0))


# -- SimpleDateFormat patterns -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    letter: str  # y, M, d, D
    count: int


_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")
_SUPPORTED = frozenset("yMdD")


def _tokenize(pattern: str) -> list[_Field | str]:
    tokens: list[_Field | str] = []
    position = 0
    while position < len(pattern):
        match = _TOKEN.match(pattern, position)
        if match is None:  # an unbalanced quote
            raise ValueError(f"date pattern {pattern!r}: unterminated quote at position {position}")
        text = match.group(0)
        position = match.end()
        if text.startswith("'"):
            tokens.append(text[1:-1].replace("''", "'") if text != "''" else "'")
        elif text[0].isalpha():
            if text[0] not in _SUPPORTED:
                raise ValueError(
                    f"date pattern {pattern!r}: letter {text[0]!r} is not supported "
                    "(only y, M, d and D make sense in a date-only format)"
                )
            tokens.append(_Field(text[0], len(text)))
        else:
            tokens.append(text)
    return tokens


def _shift_years(value: date, years: int) -> date:
    """``value`` moved by whole years (29 February becomes 28 February in a common year)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


def _java_two_digit_year(parsed: date, today: date) -> date:
    """Java's rule for ``yy``: the date lies within 80 years before and 20 years after today.

    ``parsed`` got the first year with those two digits that is not before the window's start year;
    a date before the window's first day moves 100 years on (today 2026-06-15: ``01.02.46`` is 2046,
    ``01.07.46`` is 1946).
    """
    start = _shift_years(today, -80)
    return _shift_years(parsed, 100) if parsed < start else parsed


@dataclass(frozen=True)
class DatePattern:
    """One ``SimpleDateFormat`` date pattern (``MM/dd/yyyy``, ``dd.MM.yy``, ``yyyyMMdd`` ...).

    Supports the letters date formats use: ``y`` (``yy`` = two digits with Java's 80/20 pivot),
    ``M`` (``MMM``/``MMMM`` = English month names), ``d`` and ``D`` (day of year), quoted literals
    and any separator. ``CYYDDD`` is accepted as the JDE Julian form. Parsing is strict about
    separators and lenient about missing leading zeros (``2/1/2025``), as Java's parser is.
    """

    pattern: str
    _tokens: tuple[_Field | str, ...] = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern.strip():
            raise ValueError("date pattern is empty")
        if self.is_julian:
            object.__setattr__(self, "_tokens", ())
            object.__setattr__(self, "_regex", None)
            return
        tokens = tuple(_tokenize(self.pattern))
        fields = [t for t in tokens if isinstance(t, _Field)]
        letters = {f.letter for f in fields}
        if "y" not in letters or not ({"M", "d"} <= letters or "D" in letters):
            raise ValueError(
                f"date pattern {self.pattern!r} must contain a year and a month and day (or a day of year)"
            )
        object.__setattr__(self, "_tokens", tokens)
        object.__setattr__(self, "_regex", re.compile("^" + self._regex_source(tokens) + "$"))

    @property
    def is_julian(self) -> bool:
        return self.pattern.strip().upper() == JULIAN

    @staticmethod
    def _regex_source(tokens: tuple[_Field | str, ...]) -> str:
        parts = []
        for index, token in enumerate(tokens):
            if isinstance(token, str):
                parts.append(re.escape(token))
                continue
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            # Java reads adjacent numeric fields (yyyyMMdd) by their widths; separated ones leniently.
            fixed = isinstance(following, _Field)
            if token.letter == "M" and token.count >= 3:
                parts.append(r"([A-Za-z]+)")
            elif token.letter == "y" and token.count == 2:
                parts.append(r"(\d{2})")
            elif fixed:
                parts.append(rf"(\d{{{token.count}}})")
            elif token.letter == "y":
                parts.append(r"(\d{1,4})")
            elif token.letter == "D":
                parts.append(r"(\d{1,3})")
            else:
                parts.append(r"(\d{1,2})")
        return "".join(parts)

    def format(self, value: date) -> str:
        """``value`` written the way this pattern writes it."""
        if isinstance(value, datetime):
            value = value.date()
        if self.is_julian:
            return str(date_to_julian(value))
        out = []
        for token in self._tokens:
            if isinstance(token, str):
                out.append(token)
            elif token.letter == "y":
                out.append(f"{value.year % 100:02d}" if token.count == 2 else f"{value.year:0{token.count}d}")
            elif token.letter == "M":
                if token.count >= 4:
                    out.append(_MONTHS_LONG[value.month - 1])
                elif token.count == 3:
                    out.append(_MONTHS_SHORT[value.month - 1])
                else:
                    out.append(f"{value.month:0{token.count}d}")
            elif token.letter == "d":
                out.append(f"{value.day:0{token.count}d}")
            else:  # D: day of year
                out.append(f"{value.timetuple().tm_yday:0{token.count}d}")
        return "".join(out)

    def parse(self, text: str, *, today: date | None = None) -> date:
        """``text`` in this pattern -> ``date``; ``ValueError`` naming the pattern when it does not fit.

        ``today`` anchors the two-digit-year pivot (Java's: 80 years back, 20 ahead); tests pass it.
        """
        if self.is_julian:
            result = julian_to_date(text)
            if result is None:
                raise ValueError(f"{text!r} is a blank Julian date")
            return result
        assert self._regex is not None
        match = self._regex.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} does not match the date pattern {self.pattern!r}")
        year = month = day = day_of_year = None
        two_digit_year = False
        window_start = _shift_years(today or date.today(), -80)
        groups = iter(match.groups())
        for token in self._tokens:
            if isinstance(token, str):
                continue
            raw = next(groups)
            if token.letter == "y":
                year = int(raw)
                if token.count == 2:
                    # The first such year not before the window's start; a date in that very year but
                    # before the start day is finished by ``_java_two_digit_year``.
                    year += window_start.year - window_start.year % 100
                    if year < window_start.year:
                        year += 100
                    two_digit_year = True
            elif token.letter == "M":
                month = self._month(raw, text) if token.count >= 3 else int(raw)
            elif token.letter == "d":
                day = int(raw)
            else:
                day_of_year = int(raw)
        assert year is not None
        if day_of_year is not None and (month is None or day is None):
            if not 1 <= day_of_year <= (366 if calendar.isleap(year) else 365):
                raise ValueError(f"{text!r}: day of year {day_of_year} does not exist in {year}")
            result = date.fromordinal(date(year, 1, 1).toordinal() + day_of_year - 1)
        else:
            assert month is not None and day is not None
            try:
                result = date(year, month, day)
            except ValueError as exc:
                raise ValueError(f"{text!r} is not a real date in pattern {self.pattern!r}: {exc}") from None
        return _java_two_digit_year(result, today or date.today()) if two_digit_year else result

    def _month(self, name: str, text: str) -> int:
        lowered = name.lower()
        for index, (short, long) in enumerate(zip(_MONTHS_SHORT, _MONTHS_LONG, strict=True), start=1):
            if lowered in (short.lower(), long.lower()):
                return index
        raise ValueError(f"{text!r}: {name!r} is not an English month name (pattern {self.pattern!r})")

    def __str__(self) -> str:
        return self.pattern


# JDE's own user-profile date format codes (``userInfo.dateFormat``): M month, D day, Y two-digit
# year, E four-digit year. The reference shows ``"MDE"`` next to ``"MM/dd/yyyy"``, which is where the
# E = yyyy reading comes from; the codes are only a fallback for a login answer without
# ``simpleDateFormat``.
_JDE_FORMAT_PARTS = {"M": "MM", "D": "dd", "Y": "yy", "E": "yyyy"}


def pattern_from_jde_format(code: str, separator: str | None) -> str:
    """``("MDE", "/")`` -> ``"MM/dd/yyyy"``; ValueError for a code that is not three known letters."""
    letters = (code or "").strip().upper()
    if len(letters) != 3 or any(letter not in _JDE_FORMAT_PARTS for letter in letters):
        raise ValueError(f"JDE date format code {code!r} is not three of M, D, Y, E")
    sep = separator if separator is not None and separator.strip() else "/"
    return sep.join(_JDE_FORMAT_PARTS[letter] for letter in letters)


# -- reading a row value whatever the server chose ---------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.+\-Z]*)?$")
_COMPACT = DatePattern("yyyyMMdd")


def parse_jde_date(
    value: Any, pattern: DatePattern | None = None, *, today: date | None = None
) -> date | None:
    """A date column value from AIS -> ``date``; blank/None/0 -> None.

    Tried in this order, because which one a server uses is unconfirmed:

    1. the logged-in user's ``pattern`` (``MM/dd/yyyy``, ``dd/MM/yyyy`` ...), which must win so an
       ambiguous ``01/02/2025`` reads the way that user's server wrote it;
    2. ISO ``yyyy-MM-dd`` (optionally with a time part, which is dropped);
    3. ``yyyyMMdd`` (eight digits);
    4. a Julian ``CYYDDD`` number or string of up to six digits (what the database stores).

    Raises ``ValueError`` naming the value when none fits.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return julian_to_date(value)
    if not isinstance(value, str):
        raise ValueError(f"date value {value!r} is a {type(value).__name__}, not a string or number")
    text = value.strip()
    if not text or text == "0":
        return None
    if pattern is not None:
        try:
            return pattern.parse(text, today=today)
        except ValueError:
            pass
    iso = _ISO_DATE.match(text)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    if len(text) == 8 and text.isdigit():
        return _COMPACT.parse(text)
    if len(text) <= 6 and text.isdigit():
        return julian_to_date(text)
    expected = f"{pattern.pattern}, " if pattern is not None else ""
    raise ValueError(f"{value!r} is not a date in any known form ({expected}yyyy-MM-dd, yyyyMMdd, CYYDDD)")
