"""A Fusion ledger's Payables accounting periods, read from the period status list, for every payables
invoice written to Fusion; the connector decides before it writes (``flows.periods.post_on``). Only
``ClosingStatus`` ``O`` is open: docs/integrations/fusion_procurify.md, "Month end".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connector_assets.flows import close_calendar
from connector_assets.flows.periods import Calendar, Period, Posting, period_checks, post_on
from connector_assets.flows.replays import Resources
from connector_assets.fusion.values import attribute_text, day, flag
from connector_resources import settings
from connector_resources.held_outside import Kind, OutsideCheck

KIND = ("FUSION", "period", "ledger")  # what invoices waiting on a Fusion period are held on
RESOURCE_ENV = "ML_FUSION_PERIODS_RESOURCE"
APPLICATION_ENV = "ML_FUSION_PAYABLES_APPLICATION_ID"
LEDGER_ENV = "ML_FUSION_LEDGER_ID"
OPEN = "O"
STATUSES = {
    "O": "Open",
    "F": "Future Enterable",
    "C": "Closed",
    "P": "Permanently Closed",
    "N": "Never Opened",
}


@dataclass(frozen=True)
class FusionPeriod:
    """One row of the period status list: its name (``Nov-26``), days and ``ClosingStatus`` code."""

    name: str
    start: date
    end: date
    status: str

    @property
    def open(self) -> bool:
        return self.status == OPEN

    def status_words(self) -> str:
        """The status as Fusion's users say it; a closed one with what Payables makes of it."""
        words = STATUSES.get(self.status, f"status {self.status or 'blank'}")
        if self.open:
            return "open"
        return f"{words} (Payables accounts only in an Open period)"


def fusion_periods(rows: Iterable[Mapping[str, Any]]) -> list[FusionPeriod]:
    """The regular periods the rows describe, in date order, each once (a row repeated by paging, or an
    adjustment period overlapping a regular one, is left out; a row without its days too)."""
    found: dict[tuple[date, date], FusionPeriod] = {}
    for row in rows:
        start, end = day(row.get("StartDate")), day(row.get("EndDate"))
        if start is None or end is None or end < start or flag(row.get("AdjustmentPeriodFlag")):
            continue
        name = attribute_text(row.get("PeriodName")) or attribute_text(row.get("PeriodNameId"))
        status = attribute_text(row.get("ClosingStatus")).upper()
        found.setdefault((start, end), FusionPeriod(name or f"{start:%b-%y}", start, end, status))
    return sorted(found.values(), key=lambda p: p.start)


@dataclass
class FusionCalendar:
    """One ledger's periods for one application (Payables): ``Calendar`` for ``flows.periods``."""

    ledger: str
    application: int
    periods: list[FusionPeriod]
    where: str = field(init=False)
    ledger_id: str = field(init=False)

    def __post_init__(self) -> None:
        self.where = f"Fusion ledger {self.ledger} (Payables periods, ApplicationId {self.application})"
        self.ledger_id = f"{self.ledger}.{self.application}"

    def period_of(self, day: date) -> Period | None:
        found = next((p for p in self.periods if p.start <= day <= p.end), None)
        if found is None:
            return None
        return Period(found.name, found.start, found.end, found.open, found.status_words())

    def first_open_day(self) -> date | None:
        return next((p.start for p in self.periods if p.open), None)


class PeriodsUnknown(ValueError):
    """The ledger's Payables periods cannot be read (no row for it): the invoice is not sent unjudged;
    queued with what to check, and sent by the replay after the setting is right."""


def read_calendar(session: Any, ledger: str, application: int) -> FusionCalendar | None:
    """``ledger``'s periods of ``application`` as the pod lists them now; None when it lists none."""
    rows = session.period_statuses(settings.read(RESOURCE_ENV), application_id=application, ledger_id=ledger)
    periods = fusion_periods(rows)
    return FusionCalendar(ledger, application, periods) if periods else None


class FusionPeriods:
    """The Payables calendar a Fusion target's invoices are judged by, read once on its session."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._calendar: FusionCalendar | None = None

    def calendar(self) -> FusionCalendar:
        if self._calendar is None:
            ledger, application = settings.read(LEDGER_ENV), settings.read(APPLICATION_ENV)
            calendar = read_calendar(self.session, ledger, application)
            if calendar is None:
                raise PeriodsUnknown(
                    f"Fusion lists no accounting period of ledger {ledger} for ApplicationId {application} "
                    f"({settings.read(RESOURCE_ENV)}): check {LEDGER_ENV} (the ledger of the business unit) "
                    f"and {APPLICATION_ENV}; nothing is sent until its periods can be read"
                )
            self._calendar = calendar
        return self._calendar

    def posting(self, *, integration: str, document: str, field: str, day: date) -> Posting:
        """When ``document`` posts (its ``field``, dated ``day``): held first if the integration's close is
        in progress, then by the ledger's Payables periods and the integration's policy."""
        close_calendar.hold_during_close(integration, "Oracle Fusion")
        calendar = self.calendar()
        return post_on(KIND, calendar, integration=integration, document=document, field=field, day=day)


def fusion_period_checks(resources: Resources) -> dict[Kind, OutsideCheck]:
    """The sweep releasing the invoices held on closed Fusion periods once their period is open (or their
    policy re-dates them) (a Fusion flow's ``Replay.outside``), reading the period statuses on
    ``resources()["fusion"]`` (built when a sweep asks)."""

    def calendar_of(ledger_id: str) -> Calendar | None:
        ledger, _, application = ledger_id.partition(".")
        with resources()["fusion"].session() as session:
            return read_calendar(session, ledger, int(application))

    return period_checks(KIND, calendar_of)
