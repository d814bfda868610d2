"""Accounting periods: F0010 Company Constants, F0008 Date Fiscal Patterns and the G/L date edits.

A company's current periods (G/L ``PNC``/``DFYJ``, A/P ``APPN``/``APFJ``, A/R ``ARPN``/``ARFJ``) live in
F0010; its fiscal date pattern (``DTPN``, blank = ``R``) names F0008 rows holding each fiscal year's period
end dates. The current period and the next one (across the year end too) are open; a G/L date elsewhere
draws PYEB, PBCO, PACO or WACO as business function X0903 "Fiscal Date Edits" does (reference section 5).
The sandbox seeds the calendar pattern ``R`` (monthly periods, 13 and 14 ending with 12), every company on
the period holding the clock's today; an operator moves the periods through ``/sandbox/periods``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .dates import add_months, from_julian, to_hhmmss, to_julian
from .settings import PeriodSettings
from .store import Store
from .vocabulary import COMPANIES

Ledger = Literal["gl", "ap", "ar"]
# F0010's current period and start of that fiscal year per ledger, and the name a message gives it.
LEDGER_COLUMNS: dict[str, tuple[str, str, str]] = {
    "gl": ("PNC", "DFYJ", "G/L"),
    "ap": ("APPN", "APFJ", "A/P"),
    "ar": ("ARPN", "ARFJ", "A/R"),
}
CALENDAR_PATTERN = "R"
# JDE's company 00000 holds the defaults; a company without its own F0010 row takes its periods.
DEFAULT_COMPANY = "00000"
_END_COLUMNS = tuple(f"D{period:02d}J" for period in range(1, 15))
# Fiscal years seeded around the seeded history and the clock's year: earlier years exist in every real
# JDE (a date there is PYEB, not "no pattern"), the next ones are set up ahead of the year end.
_YEARS_BEFORE, _YEARS_AFTER = 3, 2


class PeriodRefused(ValueError):
    """An operator's period change JDE would not accept (no such period, G/L behind A/P or A/R)."""


@dataclass(frozen=True)
class FiscalYear:
    """One F0008 row: a pattern's fiscal year, its first day and its 14 period end dates."""

    pattern: str
    first_day: dt.date
    ends: tuple[dt.date, ...]

    @property
    def last_day(self) -> dt.date:
        return self.ends[-1]

    @property
    def label(self) -> int:
        """The fiscal year's name: the year it begins in (F0008 ``CTRY`` * 100 + ``FY``)."""
        return self.first_day.year

    @property
    def normal_periods(self) -> int:
        """Periods ending after the one before: 12 when 13 and 14 end on the day period 12 does."""
        previous = self.first_day - dt.timedelta(days=1)
        count = 0
        for end in self.ends:
            if end > previous:
                count += 1
            previous = end
        return count

    def bounds(self, period: int) -> tuple[dt.date, dt.date]:
        """First and last day of ``period`` (empty, first > last, for an adjustment period)."""
        first = self.first_day if period == 1 else self.ends[period - 2] + dt.timedelta(days=1)
        return first, self.ends[period - 1]

    def period_of(self, day: dt.date) -> int:
        """The period holding ``day`` (a day of this year)."""
        return next(number for number, end in enumerate(self.ends, start=1) if day <= end)

    def holds(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day


def calendar_year(year: int) -> FiscalYear:
    """Pattern ``R``: the calendar year in twelve monthly periods; 13 and 14 end with period 12."""
    first = dt.date(year, 1, 1)
    month_ends = [add_months(first, months) - dt.timedelta(days=1) for months in range(1, 13)]
    return FiscalYear(CALENDAR_PATTERN, first, (*month_ends, month_ends[-1], month_ends[-1]))


def fiscal_years(conn: sqlite3.Connection, pattern: str) -> list[FiscalYear]:
    """The F0008 years of ``pattern``, oldest first."""
    ends = ", ".join(f'"{column}"' for column in _END_COLUMNS)
    rows = conn.execute(
        f'SELECT "DFYJ", {ends} FROM "F0008" WHERE "DTPN" = ? ORDER BY "DFYJ"', (pattern,)
    ).fetchall()
    years = []
    for first, *period_ends in rows:
        first_day = from_julian(first)
        if first_day is not None:
            years.append(
                FiscalYear(pattern, first_day, tuple(from_julian(end) or first_day for end in period_ends))
            )
    return years


@dataclass(frozen=True)
class OpenPeriods:
    """A company ledger's current period and the days open to it: the current and the next period."""

    company: str
    ledger: Ledger
    year: FiscalYear
    period: int
    first_day: dt.date
    last_day: dt.date
    years: tuple[FiscalYear, ...]

    def describe(self) -> str:
        label = LEDGER_COLUMNS[self.ledger][2]
        return (
            f"current {label} period {self.period} of fiscal year {self.year.label}: "
            f"open {self.first_day.isoformat()} to {self.last_day.isoformat()}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "fiscal_year": self.year.label,
            "open_from": self.first_day.isoformat(),
            "open_to": self.last_day.isoformat(),
        }


def _following(years: Iterable[FiscalYear], year: FiscalYear, period: int) -> tuple[FiscalYear, int] | None:
    """The period after ``period``: the next normal one, else period 1 of the next fiscal year."""
    if period < year.normal_periods:
        return year, period + 1
    after = year.last_day + dt.timedelta(days=1)
    return next(((later, 1) for later in years if later.first_day == after), None)


def _company_row(conn: sqlite3.Connection, company: str) -> dict[str, Any] | None:
    """The company's F0010 row, else company 00000's (JDE's defaults), else None."""
    for code in (company, DEFAULT_COMPANY):
        cursor = conn.execute('SELECT * FROM "F0010" WHERE "CO" = ?', (code,))
        row = cursor.fetchone()
        if row is not None:
            return dict(zip((column[0] for column in cursor.description), row, strict=True))
    return None


def open_periods(conn: sqlite3.Connection, company: str, ledger: Ledger) -> OpenPeriods | None:
    """The open window of ``company``'s ``ledger`` (None when neither it nor 00000 is in F0010)."""
    row = _company_row(conn, company)
    if row is None:
        return None
    period_column, year_column, _ = LEDGER_COLUMNS[ledger]
    years = tuple(fiscal_years(conn, row["DTPN"].strip() or CALENDAR_PATTERN))
    start = from_julian(row[year_column])
    year = next((candidate for candidate in years if candidate.first_day == start), None)
    if year is None:
        raise PeriodRefused(f"company {company}: F0008 has no fiscal year beginning {start}")
    period = row[period_column] or 1  # a blank current period is period 1
    first_day, last_day = year.bounds(period)
    following = _following(years, year, period)
    if following is not None:
        last_day = max(last_day, following[0].bounds(following[1])[1])
    return OpenPeriods(company, ledger, year, period, first_day, last_day, years)


@dataclass(frozen=True)
class GlDateMessage:
    """What the fiscal date edit says about one G/L date: an error stops the transaction, a warning not."""

    mnemonic: str
    title: str
    error: bool
    text: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        return {"mnemonic": self.mnemonic, "code": self.code, "error": self.error, "text": self.text}


_TITLES = {
    "PYEB": "Prior Year-End Balance",
    "PBCO": "Post Before Cut Off",
    "PACO": "Post After Cut Off",
    "WACO": "Way After Cut Off",
    # Not one of X0903's four: the date falls in no fiscal year of the company's pattern.
    "NOFP": "Date Not In Fiscal Pattern",
}
RESOLUTION = (
    "Enter a G/L date in an open period of the company, or have the company's current period moved "
    "(or Allow PBCO Postings set in the General Accounting Constants)."
)


def gl_date_edit(
    conn: sqlite3.Connection,
    settings: PeriodSettings,
    company: str,
    day: dt.date,
    system: Literal["gl", "ap"],
    field: str,
) -> GlDateMessage | None:
    """X0903 on ``day`` for ``company``: None when the date is open (or the edits are off), else the
    message. A/P (system 04) checks the A/P period unless ``settings.ap_period`` says G/L; the rest G/L."""
    if not settings.gl_date_edits:
        return None
    window = open_periods(conn, company, "ap" if system == "ap" and settings.ap_period == "ap" else "gl")
    if window is None or window.first_day <= day <= window.last_day:
        return None
    year = next((candidate for candidate in window.years if candidate.holds(day)), None)
    if year is None:
        mnemonic, error = "NOFP", True
    elif year.first_day < window.year.first_day:
        mnemonic, error = "PYEB", True
    elif day < window.first_day:
        mnemonic, error = "PBCO", not settings.allow_pbco
    elif year is window.year:
        # The reference: PACO is a warning when the pattern covers the year, else an error; a date in no
        # pattern is NOFP above, so within the current year PACO only warns.
        mnemonic, error = "PACO", False
    else:
        mnemonic, error = "WACO", False
    title = _TITLES[mnemonic]
    where = (
        f"is in no fiscal year of date pattern {year or window.year.pattern} (F0008)"
        if year is None
        else "is outside the open periods"
    )
    text = (
        f"{mnemonic} {title}: The G/L date ({field}) {day.isoformat()} {where} of company {company} "
        f"({window.describe()})"
    )
    return GlDateMessage(mnemonic, title, error, text, settings.message_codes.get(mnemonic, mnemonic))


def _stamp(now: dt.datetime, program: str) -> dict[str, Any]:
    return {
        "USER": "JDE",
        "PID": program,
        "JOBN": "JDEBATCH",
        "UPMJ": to_julian(now.date()),
        "UPMT": to_hhmmss(now),
    }


def _fiscal_year_row(year: FiscalYear, stamp: dict[str, Any]) -> dict[str, Any]:
    return {
        "DTPN": year.pattern,
        "FY": year.first_day.year % 100,
        "CTRY": year.first_day.year // 100,
        "DFYJ": to_julian(year.first_day),
        **{column: to_julian(end) for column, end in zip(_END_COLUMNS, year.ends, strict=True)},
        **stamp,
    }


def _position(year: FiscalYear, period: int) -> dict[str, dict[str, int]]:
    """F0010 columns of every ledger current on ``period`` of ``year`` (the financial-reporting period
    and year follow the G/L)."""
    start = to_julian(year.first_day)
    return {
        "gl": {"PNC": period, "DFYJ": start, "PNF": period, "DFF": year.first_day.year % 100},
        "ap": {"APPN": period, "APFJ": start},
        "ar": {"ARPN": period, "ARFJ": start},
    }


def seed_periods(
    store: Store, settings: PeriodSettings, years: range, today: dt.date, now: dt.datetime
) -> None:
    """F0008 pattern ``R`` for ``years`` and an F0010 row per company (and 00000) when they are empty; then,
    when F0010 was made now, every company on the period of ``settings.current_period_date`` if one is set.

    Why only then: F0010 is kept with the data, and after its first start only people move a company's
    periods (``/sandbox/periods``); a setting applied at every start would undo a month-end rehearsal.
    """
    made = False
    with store.transaction() as conn:
        if not conn.execute('SELECT 1 FROM "F0008" LIMIT 1').fetchone():
            stamp = _stamp(now, "P0008")
            store.insert(
                "F0008", [_fiscal_year_row(calendar_year(year), stamp) for year in years], connection=conn
            )
        if not conn.execute('SELECT 1 FROM "F0010" LIMIT 1').fetchone():
            year = calendar_year(today.year)
            current = {
                column: value
                for columns in _position(year, year.period_of(today)).values()
                for column, value in columns.items()
            }
            stamp = _stamp(now, "P0010")
            rows = [
                {"CO": DEFAULT_COMPANY, "NAME": "Default Company", "CRCD": "USD", "AN8": 0},
                *(
                    {"CO": c.code, "NAME": c.name[:30], "CRCD": c.currency, "AN8": c.address_number}
                    for c in COMPANIES
                ),
            ]
            store.insert(
                "F0010",
                [{**row, "DTPN": CALENDAR_PATTERN, "NNP": 12, **current, **stamp} for row in rows],
                connection=conn,
            )
            made = True
    if made and settings.current_period_date is not None:
        for company in companies(store.conn):
            set_period(store, company, "all", settings.current_period_date, now)


def companies(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute('SELECT "CO" FROM "F0010" ORDER BY "CO"')]


def _ledgers(ledger: str) -> tuple[Ledger, ...]:
    if ledger == "all":
        return ("gl", "ap", "ar")
    if ledger not in LEDGER_COLUMNS:
        raise PeriodRefused(f"ledger {ledger!r} must be one of gl, ap, ar, all")
    return (ledger,)  # type: ignore[return-value]


def _apply(store: Store, company: str, moves: dict[Ledger, tuple[FiscalYear, int]], now: dt.datetime) -> None:
    """Write the ledgers' new current periods, refusing a G/L period behind the A/P or A/R one."""
    conn = store.conn
    if not conn.execute('SELECT 1 FROM "F0010" WHERE "CO" = ?', (company,)).fetchone():
        raise PeriodRefused(f"company {company!r} is not in F0010; one of {companies(conn)}")
    positions = {}
    for ledger in ("gl", "ap", "ar"):
        if ledger in moves:
            year, period = moves[ledger]  # type: ignore[index]
        else:
            window = open_periods(conn, company, ledger)  # type: ignore[arg-type]
            assert window is not None
            year, period = window.year, window.period
        positions[ledger] = (year.first_day, period)
    for ledger in ("ap", "ar"):
        if positions["gl"] < positions[ledger]:
            raise PeriodRefused(
                f"company {company}: the G/L period may move ahead of the {LEDGER_COLUMNS[ledger][2]} one, "
                "not behind it"
            )
    changes: dict[str, Any] = _stamp(now, "P0010")
    for ledger, (year, period) in moves.items():
        changes.update(_position(year, period)[ledger])
    assignments = ", ".join(f'"{column}" = ?' for column in changes)
    with store.transaction() as conn:
        conn.execute(f'UPDATE "F0010" SET {assignments} WHERE "CO" = ?', (*changes.values(), company))


def _pattern_years(conn: sqlite3.Connection, company: str) -> list[FiscalYear]:
    row = _company_row(conn, company)
    return fiscal_years(conn, (row or {}).get("DTPN", "").strip() or CALENDAR_PATTERN)


def set_period(
    store: Store,
    company: str,
    ledger: str,
    day: dt.date | None,
    now: dt.datetime,
    *,
    period: int | None = None,
    fiscal_year: int | None = None,
) -> None:
    """Make the period holding ``day`` (or ``period`` of ``fiscal_year``) current for ``ledger``."""
    years = _pattern_years(store.conn, company)
    if day is not None:
        year = next((candidate for candidate in years if candidate.holds(day)), None)
        if year is None:
            raise PeriodRefused(f"{day.isoformat()} is in no fiscal year of F0008")
        period = year.period_of(day)
    else:
        year = next((candidate for candidate in years if candidate.label == fiscal_year), None)
        if year is None or period is None or not 1 <= period <= 14:
            raise PeriodRefused(f"period {period} of fiscal year {fiscal_year} is not in F0008")
    _apply(store, company, dict.fromkeys(_ledgers(ledger), (year, period)), now)


def roll_period(store: Store, company: str, ledger: str, now: dt.datetime) -> None:
    """Close each ``ledger``'s current period of ``company``: the next one becomes current."""
    conn = store.conn
    years = _pattern_years(conn, company)
    moves: dict[Ledger, tuple[FiscalYear, int]] = {}
    for name in _ledgers(ledger):
        window = open_periods(conn, company, name)
        assert window is not None
        following = _following(years, window.year, window.period)
        if following is None:
            raise PeriodRefused(
                f"company {company}: F0008 has no fiscal year after {window.year.label} to roll into"
            )
        moves[name] = following
    _apply(store, company, moves, now)


def periods_summary(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every company's pattern and, per ledger, its current period and open days."""
    summary = []
    for company in companies(conn):
        row = _company_row(conn, company)
        assert row is not None
        entry: dict[str, Any] = {"company": company, "name": row["NAME"], "pattern": row["DTPN"]}
        for ledger in LEDGER_COLUMNS:
            window = open_periods(conn, company, ledger)  # type: ignore[arg-type]
            assert window is not None
            entry[ledger] = window.as_dict()
        summary.append(entry)
    return {"companies": summary}


def seeded_years(*days: dt.date) -> range:
    """The fiscal years F0008 is seeded with: a few before the earliest of ``days``, two after the last."""
    years = [day.year for day in days]
    return range(min(years) - _YEARS_BEFORE, max(years) + _YEARS_AFTER + 1)
