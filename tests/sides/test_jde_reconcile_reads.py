"""JD Edwards read back for a reconciliation (``jde.reconcile_reads``) on a stand-in session: a flow's
voucher batches at the voucher's gross once processed, journal batches negated, suppliers with why one is
not to buy from."""

from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from connector_assets.jde.reconcile_reads import order_label, suppliers_by_number, written_batches
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


def test_voucher_batches_are_read_at_the_vouchers_gross_once_processed():
    processed = {
        "EDSP": "1",
        "KCO": "00001",
        "DOC": "10234",
        "DCT": "PV",
        "VINV": "INV  1",
        "DGJ": "2026-11-03",
    }
    foreign = {"EDSP": "0", "DOC": "0", "DGJ": "2026-11-04", "AG": "3", "ACR": "4", "CRRM": "F"}
    pay_items = [
        {"EDBT": "PFY1", "EDTN": "T1", "AG": "5", **processed},
        {"EDBT": "PFY2", "EDTN": "T2", **foreign},
        {"EDBT": "HIST", "EDTN": "T3", "DGJ": "2026-11-04", "AG": "1"},
    ]
    voucher = [
        {"KCO": "00001", "DOC": 10234, "DCT": "PV", "AG": "6"},
        {"KCO": "00001", "DOC": 10234, "DCT": "PV", "AG": "1"},
    ]
    jde = Jde({BATCH_TABLE: pay_items, AP_LEDGER.table: voucher})
    first, second = written_batches(jde, "4343", "voucher", "EDIUSER", "PFY", source_of)
    assert (first.source_key, first.amount, first.document, first.invoice, first.period) == (
        "PFY1/T1",
        Decimal(7),
        "00001 10234 PV",
        "INV 1",
        "2026-11",
    )
    assert (second.amount, second.where) == (Decimal(4), "batch EDIUSER/PFY2/T2 (not processed yet)")
    assert (f"{BATCH_TABLE}.AN8", 4343) in jde.browsed[0][1]


def test_journal_batches_are_the_ap_credit_negated():
    line = {"EDBT": "PFY1", "EDTN": "T1", "EXA": "Inv INV-1", "DGJ": "2026-10-31", "AA": "-12.50"}
    jde = Jde({JOURNAL_TABLE: [line]})
    (batch,) = written_batches(jde, "0004343", "journal", "EDIUSER", "PFY", source_of)
    assert (batch.amount, batch.invoice, batch.period, batch.document) == (
        Decimal("12.50"),
        "INV-1",
        "2026-10",
        "",
    )
    assert (f"{JOURNAL_TABLE}.SBL", "4343") in jde.browsed[0][1]


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
