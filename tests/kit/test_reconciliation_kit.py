"""The reconciliation kit's small pieces (``flows.reconciliation``, ``flows.day_reconciliation``,
``flows.reconciliation_totals``): words declared as text, days and periods, tables, totals into a report."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from connector_assets.flows.day_reconciliation import ReconciliationWords, _zone_name
from connector_assets.flows.reconciliation import Report, day_window, iso_day, markdown_table, period_of
from connector_assets.flows.reconciliation_totals import SideTotals


def test_words_are_three_paragraphs_each_joined_on_one_line():
    words = ReconciliationWords.of(
        """
        The day's orders against
        the other side's.

        Compare a day.

        Reconcile yesterday.
        """
    )
    assert words == ReconciliationWords(
        "The day's orders against the other side's.", "Compare a day.", "Reconcile yesterday."
    )


def test_a_zone_is_named_whether_given_as_a_name_a_zone_or_read_at_load_time():
    assert _zone_name("UTC") == "UTC"
    assert _zone_name(lambda: ZoneInfo("America/Chicago")) == "America/Chicago"
    assert _zone_name(lambda: "Europe/Paris") == "Europe/Paris"


def test_days_and_periods_read_as_a_system_answers_them():
    assert day_window("2026-11-23") == (
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    assert iso_day(datetime(2026, 11, 23, 10, 5)) == "2026-11-23" == iso_day(date(2026, 11, 23))
    assert iso_day("2026-11-23T10:00:00Z") == "2026-11-23" and iso_day("2026-11") is None
    assert (
        period_of("2026-11-23") == "2026-11" and period_of(None) is None and period_of("abcd-11-23") is None
    )


def test_a_table_shows_its_first_rows_escaped_and_counts_the_rest():
    table = markdown_table(("A", "B"), [("x|y", 1), ("z", 2), ("w", 3)], 3, 2, "more rows.")
    assert table.splitlines() == [
        "| A | B |",
        "|---|---|",
        "| x\\|y | 1 |",
        "| z | 2 |",
        "",
        "... and 1 more rows.",
    ]


def test_side_totals_go_into_the_report_as_counts_and_a_table():
    totals = SideTotals(
        columns=("Vendor", "Bills", "Amount", "Vouchers", "Amount"), first="procurify", empty="-"
    )
    totals.add(("Acme",), "procurify", Decimal("10.00"))
    totals.add(("Acme",), "jde", Decimal("12.00"))
    totals.touch(("Zed",))
    report = Report(("JDE", "Procurify"))
    totals.report_to(report, "vendor_periods", "per_vendor_period")
    assert report.counts["vendor_periods"] == 2 and report.counts["vendor_periods_out_of_balance"] == 1
    assert "| Acme | 1 | 10.00 | 1 | 12.00 | 2.00 |" in report.tables["per_vendor_period"]
