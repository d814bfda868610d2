"""JD Edwards read back for a reconciliation (``jde.reconcile_reads``) on a stand-in session: suppliers
with why one is not to buy from; batches found by their transaction numbers with their voucher field by
field (void, paid, open amount, dates, currency), the vouchers changed on a day and which of them a flow's
batches made."""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from connector_assets.jde.reconcile_reads import (
    batch_sources,
    batches_by_transaction,
    order_label,
    vouchers_changed_on,
)
from connector_assets.jde.reconcile_suppliers import suppliers_by_number
from connector_assets.jde.tables import ADDRESS_BOOK, AP_LEDGER, SUPPLIERS
from connector_assets.jde.targets import BATCH_TABLE, JOURNAL_TABLE


class Jde:
    """Rows by table; every browse answers the table's rows (the reads filter what they asked for)."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.tables, self.browsed = tables, []

    @contextmanager
    def session(self):
        yield self

    def browse(self, table: str, *, columns: Any, conditions: Any, match: str = "") -> list[dict[str, Any]]:
        self.browsed.append((table, [(c.column, c.value) for c in conditions]))
        return self.tables.get(table, [])


def source_of(batch: str, transaction: str) -> str | None:
    return f"{batch}/{transaction}" if batch.startswith("PFY") else None


def test_suppliers_are_read_with_their_name_and_why_one_is_not_to_buy_from():
    jde = Jde(
        {
            SUPPLIERS.table: [{"AN8": 4343, "HDPY": "Y"}],
            ADDRESS_BOOK.table: [{"AN8": 4343, "ALPH": "Granite"}],
        }
    )
    found = suppliers_by_number(jde, ["4343", "4344"], lambda n, s, b: "held" if s["HDPY"] == "Y" else "")
    assert found["4343"].label == "JDE supplier 4343 (Granite)" and found["4343"].inactive == "held"
    assert found["4344"].found is False
    assert order_label("00001:4011:OP:001") == "4011 OP-001 00001"


PROCESSED = {"EDUS": "EDIUSER", "EDSP": "1", "KCO": "00001", "DCT": "PV", "AN8": "4343", "DGJ": "2026-11-03"}


def pay_item(doc: int, sfx: str, gross: str, **more: Any) -> dict[str, Any]:
    base = {
        "KCO": "00001",
        "DOC": doc,
        "DCT": "PV",
        "SFX": sfx,
        "AN8": 4343,
        "AG": gross,
        "AAP": gross,
        "PST": "A",
        "VOD": " ",
        "VINV": "INV-1",
        "DIVJ": "2026-11-02",
        "DGJ": "2026-11-03",
        "DICJ": "2026-11-04",
        "CRCD": "usd",
    }
    return {**base, **more}


def test_batches_found_by_transaction_carry_their_voucher_field_by_field():
    z_rows = [
        {**PROCESSED, "EDBT": "PFY1", "EDTN": "T1", "DOC": "10234", "VINV": "INV-1"},
        {**PROCESSED, "EDBT": "PFY2", "EDTN": "T2", "DOC": "10235", "VINV": "INV-2"},
        {"EDUS": "EDIUSER", "EDSP": "0", "EDBT": "PFY3", "EDTN": "T3", "AN8": "4343", "AG": "9", "DOC": "0",
         "VINV": "INV-3", "DIVJ": "2026-11-05", "DGJ": "2026-11-06", "CRCD": "CAD"},
        {**PROCESSED, "EDUS": "OTHERUSER", "EDBT": "PFY4", "EDTN": "T4", "DOC": "10236"},
        {**PROCESSED, "EDBT": "HIST", "EDTN": "T5", "DOC": "10237"},
    ]  # fmt: skip
    vouchers = [
        pay_item(10234, "001", "6", PST="P", AAP="0"),
        pay_item(10234, "002", "1", PST="P", AAP="0"),
        pay_item(10235, "001", "0", VOD="V", AAP="0"),
    ]
    jde = Jde({BATCH_TABLE: z_rows, AP_LEDGER.table: vouchers})
    first, second, third = batches_by_transaction(
        jde, ["T1", "T2", "T3", "T4"], "voucher", "EDIUSER", "PFY", source_of
    )
    assert (first.source_key, first.amount, first.document, first.paid, first.voided, first.open_amount) == (
        "PFY1/T1",
        Decimal(7),
        "00001 10234 PV",
        True,
        False,
        Decimal(0),
    )
    assert (first.an8, first.invoice_date, first.gl_date, first.currency, first.period) == (
        "4343",
        "2026-11-02",
        "2026-11-03",
        "USD",
        "2026-11",
    )
    assert (second.voided, second.paid, second.amount) == (True, False, Decimal(0))
    assert (third.document, third.amount, third.invoice_date, third.currency, third.open_amount) == (
        "",
        Decimal(9),
        "2026-11-05",
        "CAD",
        None,
    )
    assert [c for _t, conditions in jde.browsed[:1] for c in conditions] == [
        (f"{BATCH_TABLE}.EDTN", t) for t in ("T1", "T2", "T3", "T4")
    ]
    assert batches_by_transaction(jde, [], "voucher", "EDIUSER", "PFY", source_of) == []


def test_journal_batches_found_by_transaction_are_their_ap_credit_lines():
    lines = [
        {"EDUS": "EDIUSER", "EDBT": "PFY1", "EDTN": "T1", "SBLT": "A", "SBL": "00004343", "AA": "-12.50",
         "EXA": "Inv INV-1", "DGJ": "2026-10-31"},
        {"EDUS": "EDIUSER", "EDBT": "PFY1", "EDTN": "T1", "SBLT": " ", "SBL": " ", "AA": "12.50"},
    ]  # fmt: skip
    (batch,) = batches_by_transaction(
        Jde({JOURNAL_TABLE: lines}), ["T1"], "journal", "EDIUSER", "PFY", source_of
    )
    assert (batch.amount, batch.invoice, batch.an8, batch.gl_date, batch.document) == (
        Decimal("12.50"),
        "INV-1",
        "4343",
        "2026-10-31",
        "",
    )


def test_the_vouchers_changed_on_a_day_are_read_whole_and_ours_told_apart_by_their_batches():
    vouchers = [
        pay_item(10234, "001", "6", PST="P", AAP="0"),
        pay_item(10234, "002", "1"),
        pay_item(10240, "001", "50", CRRM="F", ACR="40", FAP="40"),
    ]
    jde = Jde({AP_LEDGER.table: vouchers})
    partly, foreign = vouchers_changed_on(jde, "2026-11-04")
    assert (partly.label, partly.gross, partly.open_amount, partly.paid, partly.entered) == (
        "voucher 00001 10234 PV",
        Decimal(7),
        Decimal(1),
        False,
        "2026-11-04",
    )
    assert (foreign.gross, foreign.open_amount, foreign.an8, foreign.currency) == (
        Decimal(40),
        Decimal(40),
        "4343",
        "USD",
    )
    assert jde.browsed[0] == (AP_LEDGER.table, [(f"{AP_LEDGER.table}.UPMJ", date(2026, 11, 4))])
    z_rows = [
        {**PROCESSED, "EDBT": "PFY1", "EDTN": "T1", "DOC": "10234"},
        {**PROCESSED, "EDUS": "OTHERUSER", "EDBT": "PFY9", "EDTN": "T9", "DOC": "10240"},
    ]
    found = batch_sources(
        Jde({BATCH_TABLE: z_rows}), [partly.document, foreign.document], "EDIUSER", "PFY", source_of
    )
    assert found == {("00001", "10234", "PV"): ("PFY1/T1", "EDIUSER/PFY1/T1")}


def test_foreign_vouchers_and_journals_are_read_in_their_own_currency():
    # F0411 of a 1,000 EUR voucher in a USD company: ACR / FAP in EUR beside AG / AAP in USD; a KWD
    # journal's AP credit line in F0911Z1: ACR with its three decimals.
    z_rows = [{**PROCESSED, "EDBT": "PFY1", "EDTN": "T1", "DOC": "10300", "CRRM": "F", "CRCD": "EUR"}]
    vouchers = [
        pay_item(10300, "001", "1083.40", AAP="541.70", ACR="1000.00", FAP="500.00", CRRM="F", CRCD="EUR")
    ]
    jde = Jde({BATCH_TABLE: z_rows, AP_LEDGER.table: vouchers})
    (batch,) = batches_by_transaction(jde, ["T1"], "voucher", "EDIUSER", "PFY", source_of)
    assert (batch.amount, batch.open_amount, batch.currency) == (Decimal("1000.00"), Decimal("500.00"), "EUR")
    lines = [
        {"EDUS": "EDIUSER", "EDBT": "PFY2", "EDTN": "T2", "SBLT": "A", "SBL": "4343", "AA": None,
         "ACR": "-12.345", "CRRM": "F", "CRCD": "KWD", "EXA": "Inv INV-2", "DGJ": "2026-10-31"},
    ]  # fmt: skip
    (journal,) = batches_by_transaction(
        Jde({JOURNAL_TABLE: lines}), ["T2"], "journal", "EDIUSER", "PFY", source_of
    )
    assert (journal.amount, journal.currency) == (Decimal("12.345"), "KWD")


def test_payment_journals_are_the_debits_under_the_flows_user_and_batch_prefix_by_transaction():
    from connector_assets.jde.reconcile_reads import journal_payments

    def line(batch: str, transaction: str, aa: str, user: str = "EDIUSER", **more: Any) -> dict[str, Any]:
        return {"EDUS": user, "EDBT": batch, "EDTN": transaction, "AA": aa, "CRCD": "USD", **more}

    lines = [
        line("PMTAAA", "BILL1", "70.00"),  # a first payment: debit A/P, credit the bank
        line("PMTAAA", "BILL1", "-70.00"),
        line("PMTBBB", "BILL1", "50.00"),  # a second payment of the same bill
        line("PMTBBB", "BILL1", "-50.00"),
        line("PMTCCC", "BILL2", None, ACR="1000.00", CRRM="F", CRCD="EUR"),  # foreign: ACR
        line("PFY0000001", "BILL1", "999.00"),  # the bill's own journal, not a payment
        line("PMTDDD", "BILL1", "5.00", user="OTHER"),
    ]
    jde = Jde({JOURNAL_TABLE: lines})
    assert journal_payments(jde, ["BILL1", "BILL2", "BILL3"], "EDIUSER", "PMT") == {
        "BILL1": (Decimal("120.00"), "USD"),
        "BILL2": (Decimal("1000.00"), "EUR"),
    }
    assert journal_payments(jde, [], "EDIUSER", "PMT") == {}
