"""Money dated into accounting periods: JDE's open window read from F0010 / F0008 rows, the policy's two
answers (hold naming the document, date, period and what to do; or the first open day, said), the replay
sweep's release once the period opens or the policy changes, and the close calendar's windows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from connector_assets.flows import close_calendar
from connector_assets.flows.periods import PeriodClosed, is_period_hold, post_on, ready_to_post
from connector_assets.jde.periods import AP, GL, KIND, JdeCalendar, fiscal_periods, read_calendar
from connector_resources.held_outside import ready_outside
from connector_resources.settings import SettingError


def _pattern(year: int) -> dict[str, object]:
    """F0008 row of pattern R for calendar year ``year``: 12 monthly periods, 13 and 14 on December 31."""
    ends = [
        date(year, m + 1, 1).toordinal() - 1 if m < 12 else date(year, 12, 31).toordinal()
        for m in range(1, 13)
    ]
    row: dict[str, object] = {"DTPN": "R", "DFYJ": date(year, 1, 1).isoformat(), "FY": year % 100}
    for n, end in enumerate([*ends, ends[-1], ends[-1]], start=1):
        row[f"D{n:02d}J"] = date.fromordinal(end).isoformat()
    return row


class Session:
    """The two data-service reads ``read_calendar`` makes, answered from rows (and counted)."""

    def __init__(self, constants: list[dict[str, object]], patterns: list[dict[str, object]]) -> None:
        self.tables = {"F0010": constants, "F0008": patterns}
        self.reads: list[str] = []

    def browse(self, table: str, **_query: object):
        self.reads.append(table)
        return iter(self.tables[table])


def _company(period: int, ap_period: int | None = None) -> dict[str, object]:
    return {
        "CO": "00001", "DTPN": "R", "DFYJ": "2026-01-01", "PNC": period,
        "APPN": period if ap_period is None else ap_period, "APFJ": "2026-01-01",
    }  # fmt: skip


def _calendar(period: int = 11, ledger: str = AP, **kw: object) -> JdeCalendar:
    calendar = read_calendar(
        Session([_company(period, **kw)], [_pattern(2026), _pattern(2027)]), "00001", ledger
    )
    assert calendar is not None
    return calendar


def test_fiscal_patterns_lay_out_twelve_monthly_periods_a_year() -> None:
    periods = fiscal_periods([_pattern(2027), _pattern(2026)])
    assert len(periods) == 24
    assert (periods[9].number, periods[9].start, periods[9].end) == (
        10,
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    assert periods[12].start == date(2027, 1, 1)


def test_the_current_and_next_period_are_open_and_earlier_ones_closed() -> None:
    calendar = _calendar(11)
    assert calendar.first_open_day() == date(2026, 11, 1)
    for day, is_open, status in [
        (date(2026, 11, 30), True, "open"),
        (date(2026, 12, 31), True, "open"),
        (date(2027, 2, 1), True, "after the open periods (JDE warns PACO/WACO)"),
        (date(2026, 10, 29), False, "closed: before the current period (PBCO)"),
    ]:
        period = calendar.period_of(day)
        assert period is not None and (period.open, period.status) == (is_open, status), day
    assert calendar.period_of(date(2025, 6, 1)) is None  # no F0008 row for 2025: outside every pattern


def test_the_next_period_is_open_across_the_year_end() -> None:
    calendar = _calendar(12)
    period = calendar.period_of(date(2027, 1, 15))
    assert period is not None and period.open and period.status == "open"


def test_ap_periods_are_read_from_their_own_columns_or_the_gl_ones_by_setting(monkeypatch) -> None:
    assert _calendar(11, AP, ap_period=10).first_open_day() == date(2026, 10, 1)
    assert _calendar(11, GL, ap_period=10).first_open_day() == date(2026, 11, 1)
    monkeypatch.setenv("ML_JDE_AP_PERIODS", "gl")
    assert _calendar(11, AP, ap_period=10).first_open_day() == date(2026, 11, 1)


def test_pbco_allowed_sends_a_date_before_the_current_period(monkeypatch) -> None:
    monkeypatch.setenv("ML_JDE_PBCO_ALLOWED", "on")
    period = _calendar(11).period_of(date(2026, 10, 29))
    assert period is not None and period.open and "PBCO allowed" in period.status


def test_refuse_holds_the_record_naming_document_date_period_and_what_to_do() -> None:
    calendar = _calendar(11)
    assert (
        post_on(
            KIND, calendar, integration="jde_procurify", document="d", field="G/L date", day=date(2026, 11, 3)
        ).moved
        is False
    )
    with pytest.raises(PeriodClosed) as held:
        post_on(
            KIND, calendar, integration="jde_procurify", document="Procurify invoice INV-7",
            field="G/L date", day=date(2026, 10, 29),
        )  # fmt: skip
    reason = held.value.reason
    for words in (
        "Procurify invoice INV-7", "2026-10-29", "period 10", "2026-10-01 to 2026-10-31", "JDE company 00001",
        "PBCO", "ML_JDE_PROCURIFY_GL_DATE_POLICY=first_open_day", "2026-11-01",
    ):  # fmt: skip
        assert words in reason, words
    assert held.value.depends_on == "JDE:period:ledger:00001.AP/2026-10-29@jde_procurify"
    assert is_period_hold(held.value.depends_on)
    assert not is_period_hold("JDE:voucher_batch:F0411Z1:A/B/C")


def test_first_open_day_moves_the_date_and_says_so(monkeypatch) -> None:
    monkeypatch.setenv("ML_JDE_BILL_GL_DATE_POLICY", "first_open_day")
    posting = post_on(
        KIND, _calendar(11), integration="jde_bill", document="BILL payment P-1", field="payment date",
        day=date(2026, 10, 29),
    )  # fmt: skip
    assert (posting.day, posting.source_day, posting.moved) == (date(2026, 11, 1), date(2026, 10, 29), True)
    assert "posted on 2026-11-01" in posting.note and "source date 2026-10-29 is kept" in posting.note
    # The project-wide policy still holds the others.
    with pytest.raises(PeriodClosed):
        post_on(
            KIND,
            _calendar(11),
            integration="jde_procurify",
            document="x",
            field="G/L date",
            day=date(2026, 10, 29),
        )


def test_a_held_record_is_ready_once_its_period_opens_or_its_policy_redates(monkeypatch) -> None:
    held = ["2026-10-29@jde_procurify", "2026-09-30@jde_bill"]
    assert ready_to_post(_calendar(11), held) == {}
    assert set(ready_to_post(_calendar(10), held)) == {"2026-10-29@jde_procurify"}  # October reopened
    monkeypatch.setenv("ML_JDE_BILL_GL_DATE_POLICY", "first_open_day")
    assert set(ready_to_post(_calendar(11), held)) == {"2026-09-30@jde_bill"}


def test_the_close_calendar_holds_money_during_business_days_and_named_days(monkeypatch) -> None:
    zone = ZoneInfo("America/Chicago")
    close = close_calendar.parse("business days 1-3; 2026-11-27", zone)
    # December 2026 starts on a Tuesday: business days 1-3 are Dec 1, 2 and 3; the window ends Dec 4, 00:00.
    assert close.until(datetime(2026, 12, 2, 15, tzinfo=UTC)) == datetime(2026, 12, 4, tzinfo=zone)
    assert close.until(datetime(2026, 12, 4, 12, tzinfo=UTC)) is None
    assert close.until(datetime(2026, 11, 27, 12, tzinfo=UTC)) == datetime(2026, 11, 28, tzinfo=zone)
    with pytest.raises(SettingError, match="cannot read 'every friday'"):
        close_calendar.parse("every friday", zone, "ML_X_CLOSE_CALENDAR")

    monkeypatch.setenv("ML_JDE_BILL_CLOSE_CALENDAR", "business days 1-3")
    monkeypatch.setenv("ML_JDE_BILL_CLOSE_TIMEZONE", "America/Chicago")
    with pytest.raises(close_calendar.CloseInProgress) as held:
        close_calendar.hold_during_close("jde_bill", "JD Edwards", now=datetime(2026, 12, 1, 18, tzinfo=UTC))
    assert "period close in progress, until 2026-12-04 00:00 CST" in held.value.reason
    close_calendar.hold_during_close("jde_procurify", "JD Edwards", now=datetime(2026, 12, 1, 18, tzinfo=UTC))
    # The replay sweep releases it once the close has ended, or once no close is declared any more.
    ident = held.value.depends_on.split(":", 3)[3]
    assert close_calendar.ended([ident], now=datetime(2026, 12, 2, tzinfo=UTC)) == {}
    assert list(close_calendar.ended([ident], now=datetime(2026, 12, 4, 7, tzinfo=UTC))) == [ident]
    monkeypatch.delenv("ML_JDE_BILL_CLOSE_CALENDAR")
    checks = close_calendar.close_checks()  # what a money flow lists in its replay
    assert list(ready_outside([held.value.depends_on], checks)) == [held.value.depends_on]


def test_replay_says_which_held_records_wait_on_a_period_or_the_close() -> None:
    from connector_assets.flows.periods import period_checks
    from connector_resources.ledger.records import QueueOverview
    from connector_resources.replay_report import queue_report

    # What a JDE flow lists in its replay: the period check, and the close's.
    outside = {**period_checks(KIND, lambda _ledger: None), **close_calendar.close_checks()}
    period = "JDE:period:ledger:00001.AP/2026-10-29@jde_procurify"
    close = "CLOSE:window:until:2026-12-04T06:00:00+00:00@jde_procurify"
    overview = QueueOverview(0, 0, None, 5, [(period, 3), (close, 2)], frozenset())
    text = "\n".join(queue_report(overview, outside=outside))
    assert "3 held record(s) are dated in a closed accounting period: a replay sends them once" in text
    assert "2 held record(s) wait for a declared period close to end" in text
