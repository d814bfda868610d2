"""F0911 (Account Ledger) in the JD Edwards AIS sandbox, exercised over loopback HTTP.

Every voucher carries its G/L distribution; the table is served by the data service like the others;
the batch voucher processor (R04110ZA) posts a voucher batch's F0911Z1 lines to F0911 under the new
document number. Expected values come from the sandbox's own reads, never from hard-coded data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.sandbox.test_jde_ais_sandbox import Sandbox as Served
from tests.sandbox.test_jde_ais_sandbox import (
    _orchestrate,
    _voucher,
    browse,
    condition,
    count,
    grid,
    julian,
    login,
)

from .serving import served_jde_open_in_february

pytestmark = pytest.mark.timeout(120)

DEVICE = "pytest-f0911"


class Sandbox(Served):
    """test_jde_ais_sandbox.py's ``Sandbox`` (base, admin, stored_rows), logged in, with table reads."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.token = login(self, device=DEVICE)

    def browse(
        self, table: str, columns: list[str], conditions: list[dict[str, Any]] | None = None, **extra: Any
    ) -> requests.Response:
        return browse(self, self.token, table, columns, conditions or None, device=DEVICE, **extra)

    def all_rows(
        self, table: str, columns: list[str], conditions: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        data = grid(self.browse(table, columns, conditions, maxPageSize="No Max"), table)
        assert data["summary"]["moreRecords"] is False, "test tables must fit under the DB fetch limit"
        return data["rowset"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # The documents these tests post are dated February to April 2025: the companies are open there.
    yield from served_jde_open_in_february(Sandbox)


def cents(value: float) -> int:
    return int(Decimal(str(value)).scaleb(2))


# --- seeded distribution -------------------------------------------------------------------------------


def test_every_seeded_voucher_has_a_balanced_distribution(sandbox: Sandbox) -> None:
    gross: dict[tuple, int] = defaultdict(int)
    for row in sandbox.all_rows("F0411", ["KCO", "DOC", "DCT", "AG"]):
        gross[(row["F0411_KCO"], row["F0411_DOC"], row["F0411_DCT"])] += cents(row["F0411_AG"])
    distributed: dict[tuple, int] = defaultdict(int)
    lines = sandbox.all_rows("F0911", ["KCO", "DOC", "DCT", "AA", "LT", "AM", "EXTL", "JELN"])
    for row in lines:
        distributed[(row["F0911_KCO"], row["F0911_DOC"], row["F0911_DCT"])] += cents(row["F0911_AA"])
    assert gross and distributed == gross
    assert {(r["F0911_LT"], r["F0911_AM"], r["F0911_EXTL"]) for r in lines} == {("AA", "2", " ")}
    assert {r["F0911_JELN"] for r in lines} >= {1.0}


def test_batch_vouchers_post_their_f0911z1_lines(sandbox: Sandbox) -> None:
    batch = sandbox.all_rows("F0911Z1", ["DOC", "EDLN", "ANI", "AID", "AA", "EDSP"])
    processed = [row for row in batch if row["F0911Z1_EDSP"] == "1"]
    assert processed
    docs = sorted({row["F0911Z1_DOC"] for row in processed})
    posted = sandbox.all_rows(
        "F0911", ["DOC", "JELN", "ANI", "AID", "AA", "PID"], [condition("F0911.DOC", "LIST", *map(str, docs))]
    )
    assert sorted(
        (r["F0911Z1_DOC"], r["F0911Z1_ANI"], r["F0911Z1_AID"], r["F0911Z1_AA"]) for r in processed
    ) == (sorted((r["F0911_DOC"], r["F0911_ANI"], r["F0911_AID"], r["F0911_AA"]) for r in posted))
    assert {r["F0911_PID"] for r in posted} == {"R04110ZA"}


def test_po_matched_vouchers_use_the_orders_gl_line_accounts(sandbox: Sandbox) -> None:
    order_accounts: dict[tuple, set[str]] = defaultdict(set)
    for row in sandbox.all_rows(
        "F4311", ["KCOO", "DOCO", "DCTO", "AID"], [condition("F4311.LNTY", "EQUAL", "J")]
    ):
        order_accounts[(row["F4311_KCOO"], str(row["F4311_DOCO"]), row["F4311_DCTO"])].add(row["F4311_AID"])
    lines = sandbox.all_rows(
        "F0911", ["DOC", "PKCO", "PO", "PDCT", "AID", "PID"], [condition("F0911.PO", "NOT_EQUAL", " ")]
    )
    entered = [r for r in lines if r["F0911_PID"] == "P0411"]  # batch vouchers follow their F0911Z1 lines
    checked = 0
    for row in entered:
        accounts = order_accounts.get((row["F0911_PKCO"], row["F0911_PO"], row["F0911_PDCT"]))
        if accounts:
            assert row["F0911_AID"] in accounts, row
            checked += 1
    assert checked > 0


# --- data service ---------------------------------------------------------------------------------------


def test_f0911_browses_with_a_doc_list_and_pages(sandbox: Sandbox) -> None:
    everything = sandbox.all_rows("F0911", ["KCO", "DCT", "DOC", "JELN"])
    docs = sorted({row["F0911_DOC"] for row in everything})[:7]
    # Primary-key order (KCO, DCT, DOC, DGJ, JELN ...); DGJ is one date per document.
    expected = [
        (r["F0911_DOC"], r["F0911_JELN"])
        for r in sorted(
            everything, key=lambda r: (r["F0911_KCO"], r["F0911_DCT"], r["F0911_DOC"], r["F0911_JELN"])
        )
        if r["F0911_DOC"] in docs
    ]
    assert len(expected) > 3
    columns = ["KCO", "DCT", "DOC", "DGJ", "JELN", "EXTL", "LT", "AA"]
    first = sandbox.browse(
        "F0911",
        columns,
        [condition("F0911.DOC", "LIST", *map(str, docs))],
        maxPageSize="3",
        enableNextPageProcessing=True,
    )
    assert grid(first, "F0911")["summary"] == {"records": 3, "moreRecords": True}
    rows, response = [], first
    while True:
        rows.extend(grid(response, "F0911")["rowset"])
        links = response.json().get("links")
        if not links:
            break
        response = requests.post(links[0]["href"], headers={"jde-AIS-Auth-Device": DEVICE}, timeout=10)
    assert [(r["F0911_DOC"], r["F0911_JELN"]) for r in rows] == expected
    assert set(rows[0]) == {f"F0911_{column}" for column in columns}
    where = [condition("F0911.DOC", "LIST", *map(str, docs))]
    assert count(sandbox, sandbox.token, "F0911", where, device=DEVICE) == len(expected)


# --- new vouchers ------------------------------------------------------------------------------------------


def test_batch_processor_posts_the_distribution_under_the_new_doc(sandbox: Sandbox) -> None:
    supplier = grid(sandbox.browse("F0401", ["AN8", "KCOP"], maxPageSize="1"), "F0401")["rowset"][0]
    accounts = sandbox.all_rows(
        "F0901",
        ["MCU", "OBJ", "SUB", "AID"],
        [condition("F0901.PEC", "EQUAL", " "), condition("F0901.OBJ", "EQUAL", "8150")],
    )
    numbers = [f"{r['F0901_MCU'].strip()}.{r['F0901_OBJ']}" for r in accounts if not r["F0901_SUB"].strip()][
        :2
    ]
    edtn = "SRC-INV-F0911"
    ref = {"company": supplier["F0401_KCOP"], "supplier": supplier["F0401_AN8"], "account": numbers[0]}
    distribution = [
        {"EDI_Line_Number": "1", "Account": numbers[0], "Amount": "1000.00", "Explanation": "Kran – Zürich"},
        {"EDI_Line_Number": "2", "Account": numbers[1], "Amount": "250.55"},
    ]
    inputs = _voucher(
        ref,
        edtn,
        EDI_Batch_Number="BATCH-F0911",
        Pay_Items=[{"EDI_Line_Number": "1", "Gross_Amount": "1250.55"}],
        Distribution=distribution,
    )
    created = _orchestrate(sandbox, sandbox.token, "ML_CreateVoucherBatch", inputs, DEVICE)
    assert created.status_code == 200 and created.json()["jde__status"] == "SUCCESS", created.text
    assert sandbox.all_rows("F0911", ["DOC"], [condition("F0911.VINV", "EQUAL", f"INV-{edtn}")]) == []

    result = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()
    (processed,) = [p for p in result["processed"] if p["EDTN"] == edtn]
    posted = sandbox.all_rows(
        "F0911",
        ["DOC", "DCT", "KCO", "JELN", "ANI", "AA", "ICU", "POST", "PID", "EXA", "DGJ", "VINV"],
        [condition("F0911.DOC", "EQUAL", str(processed["DOC"]))],
    )
    assert [(r["F0911_ANI"], r["F0911_AA"], r["F0911_JELN"]) for r in posted] == [
        (numbers[0], 1000.0, 1.0),
        (numbers[1], 250.55, 2.0),
    ]
    assert {
        (r["F0911_DCT"], r["F0911_KCO"], r["F0911_ICU"], r["F0911_POST"], r["F0911_PID"], r["F0911_DGJ"])
        for r in posted
    } == {("PV", supplier["F0401_KCOP"], processed["ICU"], " ", "R04110ZA", "02/14/2025")}
    assert posted[0]["F0911_EXA"] == "Kran – Zürich" and posted[0]["F0911_VINV"] == f"INV-{edtn}"
    stored = sandbox.stored_rows("F0911", DOC=processed["DOC"])
    assert {(r["UPMJ"], r["EXTL"]) for r in stored} == {(julian(dt.datetime.now(dt.UTC).date()), "")}


def test_activity_vouchers_come_with_their_distribution(sandbox: Sandbox) -> None:
    report = sandbox.activity(new_vouchers=3, others=0)
    assert len(report["new_vouchers"]) == 3
    for voucher in report["new_vouchers"]:
        pay_items = sandbox.stored_rows("F0411", KCO=voucher["KCO"], DOC=voucher["DOC"])
        lines = sandbox.stored_rows("F0911", KCO=voucher["KCO"], DOC=voucher["DOC"])
        assert len(lines) == len(pay_items) == voucher["pay_items"]
        assert sum(line["AA"] for line in lines) == sum(item["AG"] for item in pay_items)
        assert {(line["UPMJ"], line["UPMT"]) for line in lines} == {(report["UPMJ"], report["time"])}
