"""Accounting periods: the pod's calendar of period statuses and the Payables date rule (reference section 4).

Fusion keeps one status per monthly period, ledger and application (GL_PERIOD_STATUSES, served as
``accountingPeriodStatusLOV``). The seed builds the calendar once around the pod's today: its month
Open, the next Future Enterable, the twelve before Closed, older ones Permanently Closed, later ones Never
Opened. From then on only people move it: an operator closes and opens periods live
(``/sandbox/periods``), as people do on the Open and Close Periods page, and a restart on kept data finds
them as they were left (a month-end rehearsal stays closed; a pod restarted next month waits for its
month end as a running one does). A period never returns to Never Opened and a permanently closed one
never reopens.

Payables accounts an invoice only in an Open period. What a pod answers for an AccountingDate elsewhere
is unconfirmed, so ``BehaviourSettings.closed_period_answer`` plays refuse (default), roll_forward or
accept, and ``closed_period_message`` holds the refusal's words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import FusionError
from .keys import KeyCodec
from .payload import validation_error
from .settings import BehaviourSettings, PeriodSettings
from .store import Store

TABLE = "period_status"
STATUS_NAMES = {
    "O": "Open",
    "F": "Future Enterable",
    "C": "Closed",
    "P": "Permanently Closed",
    "N": "Never Opened",
}
# Months further back than this start Permanently Closed rather than Closed.
CLOSED_MONTHS = 12


def _month(start: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after the month of ``start`` (before, when negative)."""
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def period_name(start: dt.date) -> str:
    """Fusion's monthly period name: ``Nov-26``."""
    return start.strftime("%b-%y")


def starting_status(start: dt.date, open_month: dt.date, first_open: dt.date | None = None) -> str:
    """The status a month starts with when ``open_month`` is the (latest) Open one, and every month from
    ``first_open`` to it is Open too."""
    offset = _months_between(open_month, start)
    if offset == 0 or (first_open is not None and first_open <= start <= open_month):
        return "O"
    if offset == 1:
        return "F"
    if offset > 1:
        return "N"
    return "C" if -offset <= CLOSED_MONTHS else "P"


def _calendar_months(periods: PeriodSettings, today: dt.date) -> Iterator[dt.date]:
    open_month = periods.open_month(today)
    first = _month(min(today, periods.first_open_month(today)), -periods.months_before)
    last = _month(max(today, open_month), periods.months_after)
    month = first
    while month <= last:
        yield month
        month = _month(month, 1)


def applications(periods: PeriodSettings) -> tuple[int, ...]:
    return tuple(dict.fromkeys((periods.general_ledger_application_id, periods.payables_application_id)))


def open_calendar(store: Store, keys: KeyCodec, periods: PeriodSettings, today: dt.date) -> int:
    """(Re)build every ledger's and application's periods around ``today`` (the seed, and the operator's
    ``/sandbox/periods/reset``); returns the rows written."""
    open_month, first_open = periods.open_month(today), periods.first_open_month(today)
    rows: list[dict[str, Any]] = []
    for ledger in dict.fromkeys(periods.ledgers.values()):
        for application in applications(periods):
            for start in _calendar_months(periods, today):
                row_id = len(rows) + 1
                name = period_name(start)
                rows.append(
                    {
                        "sbx_id": row_id,
                        "accountingPeriodStatusLOVUniqID": keys.encode(TABLE, row_id),
                        "PeriodNameId": name,
                        "PeriodName": name,
                        "ApplicationId": application,
                        "LedgerId": ledger,
                        "ClosingStatus": starting_status(start, open_month, first_open),
                        "StartDate": start.isoformat(),
                        "EndDate": (_month(start, 1) - dt.timedelta(days=1)).isoformat(),
                        "PeriodYear": start.year,
                        "PeriodNumber": start.month,
                        "EffectivePeriodNumber": start.year * 10000 + start.month,
                        "AdjustmentPeriodFlag": 0,
                    }
                )
    with store.transaction():
        store.conn.execute(f'DELETE FROM "{TABLE}"')
        store.insert(TABLE, rows)
    return len(rows)


# --- the operator's moves ------------------------------------------------------------------------


class PeriodRefused(ValueError):
    """An operator's period change the calendar does not allow (answered 409)."""


def _scope(periods: PeriodSettings, ledger: int | None, application: int | None) -> tuple[str, list[Any]]:
    """SQL limiting rows to one ledger and / or application when given (each must be the calendar's)."""
    if ledger is not None and ledger not in periods.ledgers.values():
        raise ValueError(
            f"LedgerId {ledger} is not a ledger of the pod ({sorted(set(periods.ledgers.values()))})"
        )
    if application is not None and application not in applications(periods):
        raise ValueError(f"ApplicationId {application} is not one of {list(applications(periods))}")
    clauses, params = ["1=1"], []
    for column, value in (("LedgerId", ledger), ("ApplicationId", application)):
        if value is not None:
            clauses.append(f'"{column}" = ?')
            params.append(value)
    return " AND ".join(clauses), params


def _ledgers_and_applications(store: Store, where: str, params: list[Any]) -> list[tuple[int, int]]:
    return [
        (row["LedgerId"], row["ApplicationId"])
        for row in store.fetch(
            f'SELECT DISTINCT "LedgerId", "ApplicationId" FROM "{TABLE}" WHERE {where} '
            'ORDER BY "LedgerId", "ApplicationId"',
            params,
        )
    ]


def roll(store: Store, periods: PeriodSettings, ledger: int | None, application: int | None) -> list[dict]:
    """Month end: in each ledger and application, the Open periods close, the one after the latest opens
    and the one after that becomes Future Enterable (when Never Opened). Returns the periods now Open."""
    where, params = _scope(periods, ledger, application)
    opened = []
    with store.transaction():
        for ledger_id, application_id in _ledgers_and_applications(store, where, params):
            rows = store.fetch(
                f'SELECT * FROM "{TABLE}" WHERE "LedgerId" = ? AND "ApplicationId" = ? ORDER BY "StartDate"',
                (ledger_id, application_id),
            )
            latest = max((i for i, row in enumerate(rows) if row["ClosingStatus"] == "O"), default=None)
            if latest is None:
                raise PeriodRefused(
                    f"ledger {ledger_id} application {application_id} has no Open period to roll"
                )
            if latest + 1 >= len(rows):
                raise PeriodRefused(
                    f"ledger {ledger_id} application {application_id}: no period after the last one"
                )
            for row in rows[: latest + 1]:
                if row["ClosingStatus"] == "O":
                    store.update(TABLE, row["sbx_id"], {"ClosingStatus": "C"})
            store.update(TABLE, rows[latest + 1]["sbx_id"], {"ClosingStatus": "O"})
            if latest + 2 < len(rows) and rows[latest + 2]["ClosingStatus"] == "N":
                store.update(TABLE, rows[latest + 2]["sbx_id"], {"ClosingStatus": "F"})
            opened.append(
                {
                    "LedgerId": ledger_id,
                    "ApplicationId": application_id,
                    "PeriodName": rows[latest + 1]["PeriodName"],
                }
            )
    return opened


def set_status(
    store: Store,
    periods: PeriodSettings,
    name: str,
    status: str,
    ledger: int | None,
    application: int | None,
) -> int:
    """One period's status in every ledger and application (or the one given); returns the rows changed."""
    if status not in STATUS_NAMES:
        raise ValueError(f"ClosingStatus must be one of {', '.join(STATUS_NAMES)}")
    where, params = _scope(periods, ledger, application)
    rows = store.fetch(f'SELECT * FROM "{TABLE}" WHERE "PeriodName" = ? AND {where}', [name, *params])
    if not rows:
        raise LookupError(f"no period {name!r} in the calendar")
    for row in rows:
        current = row["ClosingStatus"]
        if current == "P" and status != "P":
            raise PeriodRefused(f"period {name} of ledger {row['LedgerId']} is Permanently Closed")
        if status == "N" and current != "N":
            raise PeriodRefused(
                f"period {name} of ledger {row['LedgerId']} was opened; it cannot be Never Opened"
            )
    with store.transaction():
        for row in rows:
            if row["ClosingStatus"] != status:
                store.update(TABLE, row["sbx_id"], {"ClosingStatus": status})
    return len(rows)


def calendar(store: Store) -> list[dict[str, Any]]:
    """Every period row, for the operator (canonical names, dates as text)."""
    return [
        {key: value for key, value in row.items() if not key.startswith("sbx_")}
        for row in store.fetch(f'SELECT * FROM "{TABLE}" ORDER BY "LedgerId", "ApplicationId", "StartDate"')
    ]


# --- Payables' rule ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayablesPeriods:
    """Where a write's AccountingDate must fall: the Open Payables periods of the invoice's ledger."""

    store: Store
    periods: PeriodSettings
    behaviour: BehaviourSettings

    def accounting_date(self, business_unit: str, date: str, *, record: str, attribute: str) -> str:
        """The date to store for ``date`` (yyyy-MM-dd) on a document of ``business_unit``: itself in an
        Open period; else refused (400), moved forward or kept, as ``closed_period_answer`` says."""
        answer = self.behaviour.closed_period_answer
        ledger = self.periods.ledgers.get(business_unit)
        if answer == "accept" or ledger is None:
            return date
        application = self.periods.payables_application_id
        period = self.store.fetch_one(
            f'SELECT * FROM "{TABLE}" WHERE "LedgerId" = ? AND "ApplicationId" = ? AND "StartDate" <= ? '
            'AND "EndDate" >= ? AND "AdjustmentPeriodFlag" = 0',
            (ledger, application, date, date),
        )
        if period is not None and period["ClosingStatus"] == "O":
            return date
        if answer == "roll_forward":
            later = self.store.fetch_one(
                f'SELECT MIN("StartDate") AS day FROM "{TABLE}" WHERE "LedgerId" = ? AND "ApplicationId" = ? '
                'AND "ClosingStatus" = \'O\' AND "StartDate" > ?',
                (ledger, application, date),
            )
            if later is not None and later["day"] is not None:
                return str(later["day"])
        raise self.refusal(date, period, record=record, attribute=attribute)

    def refusal(
        self, date: str, period: dict[str, Any] | None, *, record: str, attribute: str
    ) -> FusionError:
        # A month outside the calendar was never opened either.
        name = period["PeriodName"] if period else period_name(dt.date.fromisoformat(date))
        status = STATUS_NAMES[period["ClosingStatus"] if period else "N"]
        message = self.behaviour.closed_period_message.format(date=date, period=name, status=status)
        return validation_error(f"{record}: {message}", attribute, "SBX-AP-PERIOD")
