"""A Fusion ledger's Payables periods read from period status rows (``connector_assets.fusion.periods``): only
Open posts, statuses said in words, adjustment and repeated rows left out, the calendar read once per
session, and the policy's two answers on an invoice dated in a closed period."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from connector_assets.flows.periods import PeriodClosed, is_period_hold, post_on
from connector_assets.fusion.periods import (
    KIND,
    FusionCalendar,
    FusionPeriods,
    PeriodsUnknown,
    fusion_periods,
    read_calendar,
)

LEDGER = "300000046975971"
INTEGRATION = "fusion_procurify"


def _row(name: str, start: str, end: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "PeriodNameId": name, "PeriodName": name, "StartDate": start, "EndDate": end, "ClosingStatus": status,
        "ApplicationId": 200, "LedgerId": int(LEDGER), **more,
    }  # fmt: skip


ROWS = [
    _row("Nov-26", "2026-11-01", "2026-11-30", "O"),
    _row("Sep-26", "2026-09-01", "2026-09-30", "P"),
    _row("Oct-26", "2026-10-01T00:00:00+00:00", "2026-10-31T00:00:00+00:00", "C"),
    _row("Dec-26", "2026-12-01", "2026-12-31", "F"),
    _row("Adj-26", "2026-12-31", "2026-12-31", "O", AdjustmentPeriodFlag=True),
    _row("Jan-27", "2027-01-01", "2027-01-31", "N"),
    _row("Nov-26", "2026-11-01", "2026-11-30", "O"),  # repeated by a sliding offset
]


class Session:
    """``period_statuses`` answered from rows, each call kept."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows, self.calls = rows, []

    def period_statuses(self, resource: str, *, application_id: int, ledger_id: str) -> list[dict[str, Any]]:
        self.calls.append((resource, application_id, ledger_id))
        return self.rows


def test_only_open_posts_and_each_status_is_said_in_words() -> None:
    calendar = FusionCalendar(LEDGER, 200, fusion_periods(ROWS))
    assert [p.name for p in calendar.periods] == ["Sep-26", "Oct-26", "Nov-26", "Dec-26", "Jan-27"]
    assert calendar.first_open_day() == date(2026, 11, 1)
    assert calendar.ledger_id == f"{LEDGER}.200" and LEDGER in calendar.where
    said = {}
    for day in ("2026-09-15", "2026-10-29", "2026-11-30", "2026-12-31", "2027-01-02"):
        period = calendar.period_of(date.fromisoformat(day))
        assert period is not None, day
        said[period.name] = (period.open, period.status)
    assert said == {
        "Sep-26": (False, "Permanently Closed (Payables accounts only in an Open period)"),
        "Oct-26": (False, "Closed (Payables accounts only in an Open period)"),
        "Nov-26": (True, "open"),
        "Dec-26": (False, "Future Enterable (Payables accounts only in an Open period)"),  # the adjustment
        "Jan-27": (False, "Never Opened (Payables accounts only in an Open period)"),  # period is not used
    }
    assert calendar.period_of(date(2026, 8, 31)) is None


def test_the_calendar_is_read_once_a_session_with_the_settings(monkeypatch) -> None:
    monkeypatch.setenv("ML_FUSION_PERIODS_RESOURCE", "periodStatusesV2")
    monkeypatch.setenv("ML_FUSION_PAYABLES_APPLICATION_ID", "10036")
    session = Session(ROWS)
    periods = FusionPeriods(session)
    for day in (date(2026, 11, 3), date(2026, 11, 20)):
        posting = periods.posting(integration=INTEGRATION, document="d", field="AccountingDate", day=day)
        assert posting.day == day and not posting.moved
    assert session.calls == [("periodStatusesV2", 10036, LEDGER)]


def test_a_ledger_without_periods_is_not_judged_by_guess(monkeypatch) -> None:
    assert read_calendar(Session([]), LEDGER, 200) is None
    monkeypatch.setenv("ML_FUSION_LEDGER_ID", "42")
    with pytest.raises(PeriodsUnknown, match="ledger 42 .*check ML_FUSION_LEDGER_ID"):
        FusionPeriods(Session([])).calendar()


def test_an_invoice_in_a_closed_period_is_held_or_posted_on_the_first_open_day(monkeypatch) -> None:
    calendar = FusionCalendar(LEDGER, 200, fusion_periods(ROWS))
    document = "Procurify invoice INV-7 of supplier Acme"
    with pytest.raises(PeriodClosed) as held:
        post_on(
            KIND, calendar, integration="fusion_procurify", document=document, field="AccountingDate",
            day=date(2026, 10, 29),
        )  # fmt: skip
    for words in (
        document, "2026-10-29", "Oct-26 (2026-10-01 to 2026-10-31), Closed", f"Fusion ledger {LEDGER}",
        "ML_FUSION_PROCURIFY_GL_DATE_POLICY=first_open_day", "2026-11-01",
    ):  # fmt: skip
        assert words in held.value.reason, words
    assert held.value.depends_on == f"FUSION:period:ledger:{LEDGER}.200/2026-10-29@fusion_procurify"
    assert is_period_hold(held.value.depends_on)
    monkeypatch.setenv("ML_FUSION_PROCURIFY_GL_DATE_POLICY", "first_open_day")
    posting = post_on(
        KIND, calendar, integration="fusion_procurify", document=document, field="AccountingDate",
        day=date(2026, 10, 29),
    )  # fmt: skip
    assert (posting.day, posting.moved) == (date(2026, 11, 1), True)
