"""The reconciliation kit's small pieces (``flows.reconciliation``, ``flows.day_reconciliation``,
``flows.reconciliation_totals``): words declared as text, days and periods, tables, totals into a report."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ledger_entries import queued

from connector_assets.flows.day_reconciliation import ReconciliationWords, _zone_name
from connector_assets.flows.reconciliation import (
    Report,
    currencies_differ,
    day_window,
    iso_day,
    markdown_table,
    money,
    period_of,
)
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


def test_money_reads_in_its_currencys_decimals_and_a_currency_mismatch_needs_two_currencies():
    assert money(Decimal("1000"), "JPY") == "1,000" and money(Decimal("1000.00"), "eur") == "1,000.00"
    assert money(Decimal("12.345"), "KWD") == "12.345" and money(Decimal("1234.5")) == "1,234.50"
    assert money(Decimal("1000.5"), "JPY") == "1,000.5"  # what a system holds, never rounded away
    assert money(None, "EUR") == "-"
    assert currencies_differ("eur", "USD") and not currencies_differ("EUR", "eur ")
    assert not currencies_differ("", "USD") and not currencies_differ("EUR", None)


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


def test_every_kind_shows_its_first_rows_and_the_csv_holds_them_all(tmp_path):
    from dagster import AssetKey

    from connector_assets.flows.reconciliation import PER_KIND, write_differences
    from connector_assets.runtime.staging import StagingResource

    report = Report(("JDE", "Coupa"), scope_label="Supplier")
    for n in range(PER_KIND + 5):  # one kind with more rows than shown ...
        report.differ("missing in Coupa", f"supplier {n}", n, f"S{n}", "-", f"supplier {n} is not in Coupa")
    report.differ(  # ... cannot hide another kind
        "amount",
        "voucher 00001/7/PV",
        4472,
        "75,461.36",
        "75,561.36",
        "voucher 00001/7/PV: 75,461.36 in JDE but 75,561.36 in Coupa",
        counterpart="invoice 88",
        field="line 1 amount",
    )
    report.expect("in the retry queue", "voucher 00001/9/PV", "a credit is entered as a vendor credit")
    report.compared, report.calls["coupa"] = 20, 3
    table = report.table()
    assert "**missing in Coupa**: 15" in table and "... and 5 more missing in Coupa" in table
    assert (
        "| amount | voucher 00001/7/PV | invoice 88 | line 1 amount | 4472 | 75,461.36 | 75,561.36 |" in table
    )
    name = AssetKey(["jde_coupa", "reconciliation"])
    path = write_differences(StagingResource(base_dir=str(tmp_path)), name, "2026-11-23", report)
    assert path == str(tmp_path / "jde_coupa" / "reconciliation" / "2026-11-23.differences.csv")
    lines = (
        (tmp_path / "jde_coupa" / "reconciliation" / "2026-11-23.differences.csv").read_text().splitlines()
    )
    assert len(lines) == 1 + 16 + 1 and lines[-1].startswith(
        "expected: in the retry queue,voucher 00001/9/PV"
    )
    meta = report.metadata(path)
    assert meta["missing_in_coupa"] == 15 and meta["amount"] == 1
    assert meta["expected_in_the_retry_queue"] == 1
    assert meta["differences"] == 16 and meta["api_calls_per_record"] == 0.15
    assert meta["differences_csv"].path == path


def test_a_queued_record_is_found_under_the_key_its_flow_used(ledger):
    from connector_assets.flows.reconciliation_expected import Expectations, key_variants

    assert {"00001/4471/PV", "1/4471/PV"} <= key_variants("voucher:00001/4471/PV/001")
    # a payment of one bill is not another payment of the same bill
    assert "00n02BILL00000000001" not in key_variants("stp02PAYMENT0000001:00n02BILL00000000001")
    credit = "a credit is entered in BILL as a vendor credit, not a bill"
    queued(ledger, ("jde_bill", "bills", "bill"), "voucher:00001/4471/PV", credit)
    item = queued(ledger, ("jde_bill", "vendors", "vendor"), "4472", "no tax id")
    ledger.abandon(item.id, reason="a one-off vendor, paid by hand")
    expected = Expectations(ledger, "jde_bill")
    report = Report(("JDE", "BILL"))
    assert expected.account_for(report, "voucher 00001/4471/PV", "00001/4471/PV")
    assert expected.account_for(report, "supplier 4472", "4472")
    assert not expected.account_for(report, "supplier 4473", "4473")
    assert [(e.kind, e.reason) for e in report.expected] == [
        ("in the retry queue", "a credit is entered in BILL as a vendor credit, not a bill"),
        ("abandoned by an operator", "a one-off vendor, paid by hand"),
    ]
    assert report.differences == [] and report.counts["expected_abandoned_by_an_operator"] == 1


def test_a_record_held_differently_while_its_update_is_queued_is_one_expected_gap(ledger):
    from connector_assets.flows.queued_differences import queued_differences
    from connector_assets.flows.reconciliation_expected import Expectations

    queued(ledger, ("jde_coupa", "suppliers", "supplier"), "4472", "Coupa refused the update: name is locked")
    queue = Expectations(ledger, "jde_coupa", ["suppliers"])
    report = Report(("JDE", "Coupa"))
    report.differ("only in Coupa", "-", "", "-", "supplier 9", "supplier 9 is only in Coupa")
    with queued_differences(report, queue, "supplier 4472", "4472"):  # queued: one expected gap
        report.differ("name", "supplier 4472", 4472, "'Acme'", "'Acme Ltd'", "name", field="name")
        report.differ("status", "supplier 4472", 4472, "'active'", "'inactive'", "status", field="status")
    with queued_differences(report, queue, "supplier 4473", "4473"):  # not queued: named
        report.differ("name", "supplier 4473", 4473, "'Zed'", "'Zed Ltd'", "name", field="name")
    with queued_differences(report, queue, "supplier 4472", "4472"):  # queued but the same: nothing
        pass
    assert [(d.kind, d.record, d.values) for d in report.differences] == [
        ("only in Coupa", "-", ("-", "supplier 9")),
        ("name", "supplier 4473", ("'Zed'", "'Zed Ltd'")),
    ]
    assert [(e.kind, e.record, e.reason) for e in report.expected] == [
        (
            "in the retry queue",
            "supplier 4472 (name, status differ)",
            "Coupa refused the update: name is locked",
        ),
    ]
    assert report.counts == {"only_in_coupa": 1, "name": 1, "expected_in_the_retry_queue": 1}
