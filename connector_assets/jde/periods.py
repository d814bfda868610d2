"""A JD Edwards company's accounting periods (F0010, F0008) for every money write into JDE, and its currency
(F0010 ``CRCD``). Open periods, PBCO / PYEB / PACO / WACO and the settings: docs/operations.md, "Month end:
accounting periods and the close".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from connector_assets.flows import close_calendar
from connector_assets.flows.periods import (
    CLOSED_PERIOD,
    FIRST_OPEN_DAY,
    Calendar,
    Period,
    PeriodClosed,
    Posting,
    period_checks,
    policy_setting,
    post_on,
)
from connector_assets.flows.replays import Resources
from connector_assets.jde.lookup import browse_in
from connector_assets.runtime.run_reads import RunReads
from connector_resources import settings
from connector_resources.error_kinds import error_chain
from connector_resources.held_outside import Kind, OutsideCheck, Said, outside_key
from connector_resources.jde.session import JdeSession
from connector_resources.refusals import master_missing
from connector_resources.replay import WaitsFor

COMPANY_CONSTANTS = "F0010"
FISCAL_PATTERNS = "F0008"
PERIOD_TABLES = (COMPANY_CONSTANTS, FISCAL_PATTERNS)  # what every money flow into JDE reads (its ``reads``)
KIND = ("JDE", "period", "ledger")  # what records waiting on a JDE period are held on
CURRENCY_KIND = ("JDE", "company", "F0010")  # what money records wait on when a company has no currency
CURRENCY_SAID = "the company's currency in JDE's company constants (F0010 CRCD)"
AP, GL = "AP", "GL"
AP_PERIODS_ENV = "ML_JDE_AP_PERIODS"
PBCO_ENV = "ML_JDE_PBCO_ALLOWED"
END_COLUMNS = tuple(f"D{n:02d}J" for n in range(1, 15))
CONSTANT_COLUMNS = ["CO", "NAME", "DTPN", "DFYJ", "PNC", "APPN", "APFJ", "CRCD"]
PATTERN_COLUMNS = ["DTPN", "DFYJ", "FY", *END_COLUMNS]


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _number(value: object) -> int | None:
    try:
        return int(str(value).strip()) if str(value or "").strip() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class FiscalPeriod:
    year_start: date  # DFYJ of the pattern row: names the fiscal year
    number: int
    start: date
    end: date


def fiscal_periods(rows: Sequence[Mapping[str, object]]) -> list[FiscalPeriod]:
    """The periods F0008 rows of one pattern lay out, in date order: period n runs from the day after
    period n-1's end (period 1 from the fiscal year's start) to its own end; periods 13 and 14 ending on
    period 12's end day do not exist (a 12-period year)."""
    periods: list[FiscalPeriod] = []
    for row in sorted(rows, key=lambda r: _day(r.get("DFYJ")) or date.min):
        year_start = _day(row.get("DFYJ"))
        if year_start is None:
            continue
        start = year_start
        for number, column in enumerate(END_COLUMNS, start=1):
            end = _day(row.get(column))
            if end is None or end < start:
                break
            periods.append(FiscalPeriod(year_start, number, start, end))
            start = end + timedelta(days=1)
    return periods


@dataclass
class JdeCalendar:
    """One company's open window for one ledger (A/P or G/L): ``Calendar`` for ``flows.periods``."""

    company: str
    ledger: str
    periods: list[FiscalPeriod]
    current: FiscalPeriod | None
    pbco_allowed: bool = False
    currency: str = ""  # F0010 CRCD: the company's (domestic) currency, blank when F0010 names none
    where: str = field(init=False)
    ledger_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.where = f"JDE company {self.company} ({'A/P' if self.ledger == AP else 'G/L'} periods)"
        self.ledger_id = f"{self.company}.{self.ledger}"

    def open_periods(self) -> list[FiscalPeriod]:
        """The current period and the next one (none when F0010's current period is in no pattern)."""
        if self.current is None:
            return []
        at = self.periods.index(self.current)
        return self.periods[at : at + 2]

    def period_of(self, day: date) -> Period | None:
        found = next((p for p in self.periods if p.start <= day <= p.end), None)
        if found is None:
            return None
        name = f"period {found.number} of the fiscal year starting {found.year_start.isoformat()}"
        window = self.open_periods()
        if found in window:
            return Period(name, found.start, found.end, True, "open")
        if window and found.start > window[-1].end:
            return Period(name, found.start, found.end, True, "after the open periods (JDE warns PACO/WACO)")
        current = self.current
        assert current is not None or not window
        if current is not None and found.year_start < current.year_start:
            return Period(name, found.start, found.end, False, "closed: a prior fiscal year (PYEB)")
        if self.pbco_allowed:
            return Period(name, found.start, found.end, True, "before the current period (PBCO allowed)")
        return Period(name, found.start, found.end, False, "closed: before the current period (PBCO)")

    def first_open_day(self) -> date | None:
        window = self.open_periods()
        return window[0].start if window else None


def read_calendars(session: JdeSession, company: str) -> dict[str, JdeCalendar] | None:
    """``company``'s A/P and G/L calendars as F0010 and F0008 say now, from one read of each (both ledgers
    share the company's row and pattern); None when F0010 has no row for it (the money write then goes as
    the source dated it: JDE's own edit still applies)."""
    constants = list(browse_in(session, COMPANY_CONSTANTS, "CO", [company], CONSTANT_COLUMNS))
    if not constants:
        return None
    row = constants[0]
    pattern = str(row.get("DTPN") or "").strip() or "R"  # blank means the calendar pattern R
    periods = fiscal_periods(list(browse_in(session, FISCAL_PATTERNS, "DTPN", [pattern], PATTERN_COLUMNS)))
    calendars, pbco = {}, settings.read(PBCO_ENV)
    currency = str(row.get("CRCD") or "").strip().upper()
    for ledger in (AP, GL):
        number, year_start = _current(row, ledger)
        current = next(
            (p for p in periods if p.number == number and (year_start is None or p.year_start == year_start)),
            None,
        )
        calendars[ledger] = JdeCalendar(
            company, ledger, periods, current, pbco_allowed=pbco, currency=currency
        )
    return calendars


def read_calendar(session: Any, company: str, ledger: str) -> JdeCalendar | None:
    """``company``'s calendar for ``ledger`` (``read_calendars``)."""
    calendars = read_calendars(session, company)
    return calendars[ledger] if calendars is not None else None


def _current(row: Mapping[str, object], ledger: str) -> tuple[int, date | None]:
    """The current period number (blank = 1) and fiscal year start F0010 gives ``ledger``."""
    if ledger == AP and settings.read(AP_PERIODS_ENV) == "ap":
        return _number(row.get("APPN")) or 1, _day(row.get("APFJ")) or _day(row.get("DFYJ"))
    return _number(row.get("PNC")) or 1, _day(row.get("DFYJ"))


Calendars = dict[str, dict[str, JdeCalendar] | None]  # company -> its A/P and G/L calendars (None: no row)
_RUNS: RunReads[Calendars] = RunReads(dict)
Opens = Callable[[], AbstractContextManager[Any]]


class JdePeriods:
    """The calendars a JDE step's writes (and a source step's holds before its reads) are judged by, each
    company's read once for the run ``run_id`` (None: once for this object), on ``session`` or on one
    ``opens()`` opens when a read is due (a step that may need none)."""

    def __init__(self, session: Any, run_id: str | None = None, opens: Opens | None = None) -> None:
        self.session, self.opens = session, opens
        self._calendars: Calendars = _RUNS(run_id) if run_id else {}

    def calendar(self, company: str, ledger: str) -> JdeCalendar | None:
        key = company.strip()
        if key not in self._calendars:
            with self.opens() if self.opens else nullcontext(self.session) as session:
                self._calendars[key] = read_calendars(session, key)
        calendars = self._calendars[key]
        return calendars[ledger] if calendars is not None else None

    def currency(self, company: str, document: str) -> str:
        """``company``'s currency (F0010 ``CRCD``), from the read its calendar made; raises
        ``CompanyCurrencyUnknown`` (``document`` waits, named) when F0010 has no row for it or no currency."""
        calendar = self.calendar(company, GL)
        if calendar is None or not calendar.currency:
            raise CompanyCurrencyUnknown(company.strip(), document, missing=calendar is None)
        return calendar.currency

    def posting(
        self, *, integration: str, company: str, ledger: str, document: str, field: str, day: date
    ) -> Posting:
        """When ``document`` posts (its ``field``, dated ``day``): held first if the integration's close is
        in progress, then by the company's open periods and the integration's policy."""
        close_calendar.hold_during_close(integration, "JD Edwards")
        calendar = self.calendar(company, ledger)
        if calendar is None:
            return Posting(day, day)
        return post_on(KIND, calendar, integration=integration, document=document, field=field, day=day)


class CompanyCurrencyUnknown(WaitsFor):  # noqa: N818 - a state: the record waits for its company's currency
    """A money record for a JDE company whose currency F0010 does not give (no row, or a blank ``CRCD``):
    whether its amounts are domestic (``AG``/``AA``) or foreign (``ACR``) cannot be told, and a guess would
    post a foreign amount as domestic money. Held on the company, not sent, and released once F0010 names
    its currency (``jde_period_checks``)."""

    def __init__(self, company: str, document: str, *, missing: bool) -> None:
        where = (
            "has no row in JDE's company constants (F0010)" if missing else "has no currency in F0010 (CRCD)"
        )
        reason = (
            f"{document} waits: JDE company {company} {where}, so the integration cannot tell whether its "
            "amounts are the company's own currency or foreign money. Set the company up in JDE (company "
            "names, P0010, with its currency); held, not sent, until F0010 names it"
        )
        refusal = master_missing(reason, system="JDE", what="company currency (F0010)", value=company)
        super().__init__(outside_key(CURRENCY_KIND, company), reason, refusal)


def company_currencies(session: JdeSession, companies: list[str]) -> dict[str, str]:
    """The currency F0010 gives each of ``companies`` (those with a row and a ``CRCD``), one read each."""
    found: dict[str, str] = {}
    for company in companies:
        rows = browse_in(session, COMPANY_CONSTANTS, "CO", [company], ["CO", "CRCD"])
        currency = next((str(r.get("CRCD") or "").strip().upper() for r in rows), "")
        if currency:
            found[company] = currency
    return found


PERIOD_EDITS = ("PYEB", "PBCO", "PACO", "WACO")  # JDE's G/L date edits, as its refusal's codes


def refused_period(
    error: BaseException,
    *,
    integration: str,
    company: str,
    ledger: str,
    document: str,
    day: date,
    said: str = "",
) -> PeriodClosed | None:
    """JDE's own refusal of a G/L date (its error codes name a date edit: PBCO, PYEB, ...) as a hold on the
    calendar, when the calendar read before the write judged otherwise (a period closed meanwhile, a JDE
    whose F0010 says something else): held like any closed period, released once it opens. None for any
    other refusal. The error's codes decide (``error_chain``: JDE's answer it was raised from), never its
    words; ``said`` (default: the error's words) is how the reason quotes JDE."""
    codes = {str(c) for e in error_chain(error) for c in getattr(e, "codes", None) or ()}
    if not codes.intersection(PERIOD_EDITS):
        return None
    refusal = said or str(error)
    where = f"JDE company {company}"
    reason = (
        f"JD Edwards refused {document}, dated {day.isoformat()}, as in {CLOSED_PERIOD} of {where}: "
        f"{refusal}. "
        "Re-date it in the source system, have the accountants open that period (or allow PBCO postings), "
        f"or post it on the first open day ({policy_setting(integration)}={FIRST_OPEN_DAY}); held, not sent "
        "again until the period opens or the policy changes"
    )
    return PeriodClosed(KIND, f"{company}.{ledger}", integration, day, reason)


def jde_period_checks(resources: Resources) -> dict[Kind, OutsideCheck]:
    """The sweeps releasing the money records held on closed JDE periods once their period is open (or
    their policy re-dates them), and those held on a company F0010 gave no currency once it does (a JDE
    flow's ``Replay.outside``), reading F0010 / F0008 on ``resources()["jde"]`` (built when a sweep asks)."""

    def calendar_of(ledger_id: str) -> Calendar | None:
        company, _, ledger = ledger_id.partition(".")
        with resources()["jde"].session() as session:
            return read_calendar(session, company, ledger)

    def currencies_named(companies: list[str]) -> dict[str, str]:
        with resources()["jde"].session() as session:
            found = company_currencies(session, companies)
        return {
            company: f"JDE's F0010 names company {company}'s currency now ({c})"
            for company, c in found.items()
        }

    return {**period_checks(KIND, calendar_of), CURRENCY_KIND: Said(currencies_named, CURRENCY_SAID)}
