"""Foreign-currency vouchers, journals and payments in the JD Edwards AIS sandbox, over loopback HTTP.

What the reference's "Multi-currency batch vouchers and journals" says JDE does: a foreign document is
written in its own currency (``ACR``, currency mode ``F``), the batch processors compute the domestic side
from the rate (the one stated, else F0015 on the G/L date), F0911 keeps domestic amounts in ledger ``AA`` and
foreign ones in ledger ``CA``, amounts keep their currency's decimals (JPY none, KWD three), and a foreign
voucher is paid in its own currency with the rate difference realized as a gain or loss. Expected domestic
amounts are worked out here by hand from the seeded rates (EUR -> USD 1.0834, JPY -> USD 0.00667, KWD -> USD
3.251), never read back from the sandbox's own arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais.activity import process_voucher_batches
from connector_sandbox.jde_ais.currency import set_rate
from connector_sandbox.jde_ais.settings import PeriodSettings
from connector_sandbox.jde_ais.state import SandboxState
from tests.sandbox.test_jde_ais_sandbox import Sandbox as Served
from tests.sandbox.test_jde_ais_sandbox import (
    _first_error,
    _orchestrate,
    browse,
    condition,
    grid,
    julian,
    login,
)

from .serving import served_jde_open_in_february

pytestmark = pytest.mark.timeout(120)

DEVICE = "pytest-currency"
COMPANY = "00001"  # a USD company


class Sandbox(Served):
    """test_jde_ais_sandbox.py's ``Sandbox``, logged in, with table reads and the orchestrations."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.token = login(self, device=DEVICE)

    def rows(self, table: str, columns: list[str], *conditions: dict[str, Any]) -> list[dict[str, Any]]:
        response = browse(self, self.token, table, columns, list(conditions) or None, device=DEVICE)
        return grid(response, table)["rowset"]

    def call(self, name: str, inputs: dict[str, Any]) -> requests.Response:
        return _orchestrate(self, self.token, name, inputs, device=DEVICE)

    def process(self, what: str = "vouchers") -> dict[str, Any]:
        answer = requests.post(f"{self.admin}/process-{what}", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # The documents are dated February 2025: the companies are open there.
    yield from served_jde_open_in_february(Sandbox)


@pytest.fixture(scope="module")
def world(sandbox: Sandbox) -> dict[str, Any]:
    """A USD supplier of company 00001, two of its postable accounts and one of its purchase orders."""
    supplier = next(
        row
        for row in sandbox.rows("F0401", ["AN8", "KCOP", "CRRP"], condition("F0401.KCOP", "EQUAL", COMPANY))
        if row["F0401_CRRP"] == "USD"
    )
    accounts = sandbox.rows(
        "F0901",
        ["MCU", "OBJ", "SUB", "PEC"],
        condition("F0901.CO", "EQUAL", COMPANY),
        condition("F0901.OBJ", "EQUAL", "6110"),
    )
    numbers = [
        f"{row['F0901_MCU'].strip()}.{row['F0901_OBJ']}"
        + (f".{row['F0901_SUB'].strip()}" if row["F0901_SUB"].strip() else "")
        for row in accounts
        if row["F0901_PEC"] == " "
    ]
    order = sandbox.rows("F4301", ["KCOO", "DOCO", "DCTO"], condition("F4301.KCOO", "EQUAL", COMPANY))[0]
    return {
        "supplier": supplier["F0401_AN8"],
        "accounts": numbers[:3],
        "order": (order["F4301_KCOO"], order["F4301_DOCO"], order["F4301_DCTO"]),
    }


def voucher(
    world: dict[str, Any], edtn: str, currency: str, items: list[str], lines: list[str], **more: Any
) -> dict:
    """ML_CreateVoucherBatch inputs for a foreign voucher: pay items and lines in ``currency``'s amounts."""
    accounts = world["accounts"]
    return {
        "EDI_User_ID": "MLCONNECTR",
        "EDI_Batch_Number": "FX-BATCH",
        "EDI_Transaction_Number": edtn,
        "Company": COMPANY,
        "Supplier": str(world["supplier"]),
        "Invoice_Number": f"INV-{edtn}",
        "Invoice_Date": "02/13/2025",
        "GL_Date": "02/14/2025",
        "Currency_Code": currency,
        "Currency_Mode": "F",
        "Pay_Items": [{"EDI_Line_Number": str(n), "Currency_Amount": a} for n, a in enumerate(items, 1)],
        "Distribution": [
            {"EDI_Line_Number": str(n), "Account": accounts[(n - 1) % len(accounts)], "Currency_Amount": a}
            for n, a in enumerate(lines, 1)
        ],
        **more,
    }


def refused(response: requests.Response) -> tuple[str, str]:
    """The error code and its text of a refused call."""
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["jde__status"] == "ERROR"
    error = _first_error(body)
    return error["CODE"], error["MOBILE"]


def posted(sandbox: Sandbox, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    response = sandbox.call(name, inputs)
    assert response.status_code == 200, response.text
    return response.json()


def processed_voucher(sandbox: Sandbox, edtn: str) -> tuple[list[dict], list[dict]]:
    """The F0411 pay items and F0911 lines R04110ZA made of transaction ``edtn``."""
    answer = sandbox.process()
    done = [entry for entry in answer["processed"] if entry["EDTN"] == edtn]
    assert done, answer
    doc = str(done[0]["DOC"])
    items = sandbox.rows(
        "F0411",
        ["SFX", "AG", "AAP", "ACR", "FAP", "CRCD", "CRRM", "CRR", "PKCO", "PO", "PDCT"],
        condition("F0411.DOC", "EQUAL", doc),
        condition("F0411.KCO", "EQUAL", COMPANY),
    )
    lines = sandbox.rows(
        "F0911",
        ["JELN", "LT", "AA", "CRCD", "CRRM", "CRR", "PKCO", "PO", "PDCT"],
        condition("F0911.DOC", "EQUAL", doc),
        condition("F0911.DCT", "EQUAL", "PV"),
    )
    return items, lines


def total(rows: list[dict[str, Any]], column: str, **where: str) -> Decimal:
    """The sum of ``column`` over ``rows`` matching ``where``, exactly (amounts come back as JSON numbers)."""
    return sum(
        (Decimal(str(row[column])) for row in rows if all(row[k] == v for k, v in where.items())), Decimal(0)
    )


# --- the currency tables ----------------------------------------------------------------------------------


def test_currency_codes_and_rates_are_readable_with_their_decimals(sandbox: Sandbox) -> None:
    codes = {row["F0013_CRCD"]: row["F0013_CDEC"] for row in sandbox.rows("F0013", ["CRCD", "CDEC"])}
    assert codes["JPY"] == "0" and codes["KWD"] == "3" and codes["EUR"] == codes["USD"] == "2"
    rates = sandbox.rows("F0015", ["CRCD", "CRDC", "CRR", "EFT"], condition("F0015.CRDC", "EQUAL", "USD"))
    assert {row["F0015_CRCD"]: row["F0015_CRR"] for row in rates}["EUR"] == 1.0834
    # Rates into every company's currency, from each currency the flows send.
    for target in ("USD", "EUR", "CNY"):
        sources = {
            row["F0015_CRCD"]
            for row in sandbox.rows("F0015", ["CRCD"], condition("F0015.CRDC", "EQUAL", target))
        }
        assert {"EUR", "JPY", "KWD", "GBP", "CAD", "CNY", "USD"} - {target} <= sources


# --- vouchers through R04110ZA ------------------------------------------------------------------------------


def test_eur_voucher_against_an_order_posts_both_currencies_to_the_cent(
    sandbox: Sandbox, world: dict[str, Any]
) -> None:
    company, number, kind = world["order"]
    inputs = voucher(
        world,
        "FX-EUR-1",
        "EUR",
        ["1000.00"],
        ["600.00", "400.00"],
        Order_Company=company,
        Order_Number=str(number),
        Order_Type=kind,
    )
    answer = posted(sandbox, "ML_CreateVoucherBatch", inputs)
    assert answer["Currency_Amount"] == "1000.00" and answer["Gross_Amount"] == ""
    (staged,) = sandbox.stored_rows("F0411Z1", EDTN="FX-EUR-1")
    # Written as Oracle's mapping says: the currency amount, mode F, no rate stated, the domestic side blank.
    assert (staged["ACR"], staged["FAP"], staged["AG"], staged["AAP"]) == (100000, 100000, 0, 0)
    assert (staged["CRRM"], staged["CRCD"], staged["CRR"]) == ("F", "EUR", 0)
    staged_lines = sandbox.stored_rows("F0911Z1", EDTN="FX-EUR-1")
    assert [(line["ACR"], line["AA"], line["LT"], line["CRRM"]) for line in staged_lines] == [
        (60000, 0, "AA", "F"),
        (40000, 0, "AA", "F"),
    ]
    items, lines = processed_voucher(sandbox, "FX-EUR-1")
    (item,) = items
    # 1,000.00 EUR at 1.0834 is 1,083.40 USD: nothing short.
    assert (item["F0411_ACR"], item["F0411_FAP"], item["F0411_AG"], item["F0411_AAP"]) == (
        1000.0,
        1000.0,
        1083.4,
        1083.4,
    )
    assert (item["F0411_CRRM"], item["F0411_CRCD"], item["F0411_CRR"]) == ("F", "EUR", 1.0834)
    assert (item["F0411_PKCO"], item["F0411_PO"].strip(), item["F0411_PDCT"]) == (company, str(number), kind)
    assert total(lines, "F0911_AA", F0911_LT="AA") == Decimal("1083.40")
    assert total(lines, "F0911_AA", F0911_LT="CA") == Decimal("1000.00")
    assert sorted(Decimal(str(line["F0911_AA"])) for line in lines if line["F0911_LT"] == "AA") == [
        Decimal("433.36"),
        Decimal("650.04"),
    ]
    assert {
        (line["F0911_CRCD"], line["F0911_CRRM"], line["F0911_PKCO"], line["F0911_PO"].strip())
        for line in lines
    } == {("EUR", "F", company, str(number))}


def test_jpy_voucher_keeps_no_decimals_and_its_lines_add_up_to_the_gross(
    sandbox: Sandbox, world: dict[str, Any]
) -> None:
    # 123,457 JPY at 0.00667 is 823.458 -> 823.46 USD; the lines alone would round to 274.49 + 274.48 + 274.48
    # = 823.45, so the cent goes on the largest line.
    posted(
        sandbox,
        "ML_CreateVoucherBatch",
        voucher(world, "FX-JPY-1", "JPY", ["123457"], ["41153", "41152", "41152"]),
    )
    (staged,) = sandbox.stored_rows("F0411Z1", EDTN="FX-JPY-1")
    assert staged["ACR"] == 123457  # stored with JPY's 0 decimals, not 1234.57
    items, lines = processed_voucher(sandbox, "FX-JPY-1")
    (item,) = items
    assert item["F0411_ACR"] == 123457 and item["F0411_AG"] == 823.46
    domestic = [Decimal(str(line["F0911_AA"])) for line in lines if line["F0911_LT"] == "AA"]
    assert sorted(domestic) == [Decimal("274.48"), Decimal("274.48"), Decimal("274.50")]
    assert sum(domestic) == Decimal("823.46")
    assert sorted(line["F0911_AA"] for line in lines if line["F0911_LT"] == "CA") == [41152, 41152, 41153]


def test_kwd_voucher_keeps_three_decimals(sandbox: Sandbox, world: dict[str, Any]) -> None:
    # 1,234.567 KWD at 3.251 is 4,013.577317 -> 4,013.58 USD.
    inputs = voucher(world, "FX-KWD-1", "KWD", ["1000.000", "234.567"], ["1234.567"])
    assert posted(sandbox, "ML_CreateVoucherBatch", inputs)["Currency_Amount"] == "1234.567"
    items, lines = processed_voucher(sandbox, "FX-KWD-1")
    assert [item["F0411_ACR"] for item in items] == [1000.0, 234.567]
    # Each pay item converted (3,251.00 and 762.577317 -> 762.58), adding up to the voucher's 4,013.58.
    assert [item["F0411_AG"] for item in items] == [3251.0, 762.58]
    assert total(lines, "F0911_AA", F0911_LT="AA") == Decimal("4013.58")
    assert total(lines, "F0911_AA", F0911_LT="CA") == Decimal("1234.567")


def test_a_stated_rate_overrides_the_rate_table(sandbox: Sandbox, world: dict[str, Any]) -> None:
    inputs = voucher(world, "FX-RATE-1", "EUR", ["200.00"], ["200.00"], Exchange_Rate="1.1")
    posted(sandbox, "ML_CreateVoucherBatch", inputs)
    assert sandbox.stored_rows("F0411Z1", EDTN="FX-RATE-1")[0]["CRR"] == 11000000
    (item,), _ = processed_voucher(sandbox, "FX-RATE-1")
    assert (item["F0411_AG"], item["F0411_CRR"]) == (220.0, 1.1)


def test_foreign_amounts_filter_and_sort_in_their_own_currency(
    sandbox: Sandbox, world: dict[str, Any]
) -> None:
    posted(sandbox, "ML_CreateVoucherBatch", voucher(world, "FX-FIND-J", "JPY", ["5000"], ["5000"]))
    posted(sandbox, "ML_CreateVoucherBatch", voucher(world, "FX-FIND-K", "KWD", ["5.5"], ["5.5"]))
    found = sandbox.rows("F0411Z1", ["EDTN", "ACR"], condition("F0411Z1.ACR", "EQUAL", "5000"))
    assert [(row["F0411Z1_EDTN"], row["F0411Z1_ACR"]) for row in found] == [("FX-FIND-J", 5000)]
    found = sandbox.rows("F0411Z1", ["EDTN", "ACR"], condition("F0411Z1.ACR", "BETWEEN", "5.4", "5.6"))
    assert [(row["F0411Z1_EDTN"], row["F0411Z1_ACR"]) for row in found] == [("FX-FIND-K", 5.5)]
    # Stored, 5.500 KWD is 5500 and 5,000 JPY is 5000; ordered by amount, the yen come first.
    order = {"orderBy": [{"column": "F0411Z1.ACR", "direction": "DESC"}]}
    response = browse(
        sandbox,
        sandbox.token,
        "F0411Z1",
        ["EDTN"],
        [condition("F0411Z1.EDTN", "STR_START_WITH", "FX-FIND-")],
        device=DEVICE,
        aggregation=order,
    )
    assert [row["F0411Z1_EDTN"] for row in grid(response, "F0411Z1")["rowset"]] == ["FX-FIND-J", "FX-FIND-K"]


# --- what ML_CreateVoucherBatch refuses -------------------------------------------------------------------


def _refusals(world: dict[str, Any]) -> list[tuple[str, dict[str, Any], str, str]]:
    foreign = voucher(world, "FX-BAD", "EUR", ["10.00"], ["10.00"])
    domestic = {**foreign, "Currency_Mode": "D"}
    domestic_amounts = {
        "Pay_Items": [{"EDI_Line_Number": "1", "Gross_Amount": "10.00"}],
        "Distribution": [{"EDI_Line_Number": "1", "Account": world["accounts"][0], "Amount": "10.00"}],
    }
    return [
        ("mode D in a foreign currency", {**domestic, **domestic_amounts}, "59A0", "Currency_Code"),
        ("mode F in the company's currency", {**foreign, "Currency_Code": "USD"}, "59A0", "Currency_Mode"),
        (
            "a domestic amount in mode F",
            {
                **foreign,
                "Pay_Items": [{"EDI_Line_Number": "1", "Currency_Amount": "10.00", "Gross_Amount": "10.00"}],
            },
            "59A0",
            "Pay_Items[0].Gross_Amount",
        ),
        (
            "no currency amount in mode F",
            {
                **foreign,
                "Distribution": [
                    {"EDI_Line_Number": "1", "Account": world["accounts"][0], "Amount": "10.00"}
                ],
            },
            "59A0",
            "Distribution[0]",
        ),
        (
            "a currency amount in mode D",
            {
                **domestic,
                "Currency_Code": "USD",
                "Pay_Items": [{"EDI_Line_Number": "1", "Currency_Amount": "10.00"}],
                "Distribution": domestic_amounts["Distribution"],
            },
            "59A0",
            "Pay_Items[0].Currency_Amount",
        ),
        ("yen with decimals", voucher(world, "FX-BAD", "JPY", ["10.5"], ["10.5"]), "59A0", "JPY"),
        ("an unknown currency", {**foreign, "Currency_Code": "XYZ"}, "59AE", "XYZ"),
        ("lines that do not add up", voucher(world, "FX-BAD", "EUR", ["10.00"], ["9.99"]), "59A5", "EUR"),
        ("a rate of zero", {**foreign, "Exchange_Rate": "0"}, "59A0", "Exchange_Rate"),
        (
            "a rate for a domestic voucher",
            {**domestic, **domestic_amounts, "Currency_Code": "USD", "Exchange_Rate": "1.1"},
            "59A0",
            "Exchange_Rate",
        ),
    ]


@pytest.mark.parametrize("case", range(10))
def test_voucher_refusals_name_the_field(sandbox: Sandbox, world: dict[str, Any], case: int) -> None:
    what, inputs, code, named = _refusals(world)[case]
    got, text = refused(sandbox.call("ML_CreateVoucherBatch", inputs))
    assert (got, named in text) == (code, True), f"{what}: {got} {text}"
    assert sandbox.stored_rows("F0411Z1", EDTN="FX-BAD") == []


def test_a_rate_entered_later_turns_59ad_into_a_voucher(sandbox: Sandbox, world: dict[str, Any]) -> None:
    inputs = voucher(world, "FX-CHF-1", "CHF", ["250.00"], ["250.00"])
    code, text = refused(sandbox.call("ML_CreateVoucherBatch", inputs))
    assert code == "59AD" and "CHF to USD" in text and "2025-02-14" in text
    # A rate effective after the G/L date is not the rate on it.
    rate = {"from": "CHF", "to": "USD", "rate": "1.1300000"}
    answer = requests.post(
        f"{sandbox.admin}/exchange-rates", json={**rate, "effective": "2025-03-01"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert refused(sandbox.call("ML_CreateVoucherBatch", inputs))[0] == "59AD"
    answer = requests.post(
        f"{sandbox.admin}/exchange-rates", json={**rate, "effective": "2025-01-01"}, timeout=10
    )
    assert answer.json() == {"from": "CHF", "to": "USD", "rate": "1.1300000", "effective": "2025-01-01"}
    posted(sandbox, "ML_CreateVoucherBatch", inputs)
    (item,), _ = processed_voucher(sandbox, "FX-CHF-1")
    assert (item["F0411_AG"], item["F0411_CRR"]) == (282.5, 1.13)


def test_the_rate_route_refuses_what_p0015a_would(sandbox: Sandbox) -> None:
    for body in (
        {"from": "XYZ", "to": "USD", "rate": "1"},
        {"from": "EUR", "to": "EUR", "rate": "1"},
        {"from": "EUR", "to": "USD", "rate": "-1"},
        {"from": "EUR", "to": "USD", "rate": "1.123456789"},
    ):
        answer = requests.post(f"{sandbox.admin}/exchange-rates", json=body, timeout=10)
        assert answer.status_code == 400, body


def test_r04110za_leaves_a_foreign_batch_without_a_rate_unprocessed_until_one_appears() -> None:
    """A batch keyed straight into F0411Z1 (P0411Z1, not the orchestration) in BHD, which has no rate yet:
    the processor rejects it and leaves it unprocessed; once treasury enters the rate it becomes a voucher."""
    periods = PeriodSettings(current_period_date=dt.date(2025, 2, 1))
    state = SandboxState.build(JdeSandboxSettings(scale=0.02, periods=periods))
    try:
        store, now = state.store, SandboxState.now()
        an8 = store.conn.execute('SELECT "AN8" FROM "F0401" WHERE "KCOP" = ? LIMIT 1', (COMPANY,)).fetchone()[
            0
        ]
        key = {"EDUS": "APCLERK", "EDBT": "HAND-1", "EDTN": "HAND-BHD-1", "EDLN": 1, "EDSP": "0", "EDTR": "V"}
        common = {**key, "KCO": COMPANY, "CO": COMPANY, "DCT": "PV", "DGJ": julian(dt.date(2025, 2, 14))}
        money = {"CRRM": "F", "CRCD": "BHD", "ACR": 1500}  # 1.500 BHD, stored with its 3 decimals
        store.insert("F0411Z1", [{**common, **money, "FAP": 1500, "SFX": "001", "AN8": an8}])
        store.insert("F0911Z1", [{**common, **money, "LT": "AA", "JELN": 10}])
        answer = process_voucher_batches(store, now, periods)
        (rejection,) = [entry for entry in answer["rejected"] if entry["EDTN"] == "HAND-BHD-1"]
        assert "BHD to USD" in rejection["reason"]
        assert store.conn.execute(
            'SELECT "EDSP" FROM "F0411Z1" WHERE "EDTN" = ?', ("HAND-BHD-1",)
        ).fetchone() == ("0",)
        set_rate(store, "BHD", "USD", "2.6595000", dt.date(2025, 1, 1), now)
        answer = process_voucher_batches(store, now, periods)
        (done,) = [entry for entry in answer["processed"] if entry["EDTN"] == "HAND-BHD-1"]
        row = store.conn.execute(
            'SELECT "AG", "ACR", "CRR" FROM "F0411" WHERE "DOC" = ? AND "KCO" = ?', (done["DOC"], COMPANY)
        ).fetchone()
        assert row == (399, 1500, 26595000)  # 1.500 BHD x 2.6595 = 3.98925 -> 3.99 USD
    finally:
        state.close()


# --- journals ----------------------------------------------------------------------------------------------


def test_foreign_journal_balances_in_both_currencies(sandbox: Sandbox, world: dict[str, Any]) -> None:
    accounts = world["accounts"]
    inputs = {
        "EDI_User_ID": "MLCONNECTR",
        "EDI_Batch_Number": "FX-JOURNAL",
        "EDI_Transaction_Number": "FX-JE-1",
        "Company": COMPANY,
        "GL_Date": "02/14/2025",
        "Currency_Code": "EUR",
        "Currency_Mode": "F",
        # At 1.0834 the lines round to 0.05 + 0.05 - 0.11 = -0.01 USD: the processor evens it on the largest.
        "Lines": [
            {"EDI_Line_Number": "1", "Account": accounts[0], "Currency_Amount": "0.05"},
            {"EDI_Line_Number": "2", "Account": accounts[1], "Currency_Amount": "0.05"},
            {"EDI_Line_Number": "3", "Account": accounts[0], "Currency_Amount": "-0.10"},
        ],
    }
    unbalanced = {
        **inputs,
        "Lines": [*inputs["Lines"][:2], {**inputs["Lines"][2], "Currency_Amount": "-0.11"}],
    }
    assert refused(sandbox.call("ML_CreateJournalBatch", unbalanced))[0] == "59A5"
    assert (
        refused(
            sandbox.call(
                "ML_CreateJournalBatch",
                {**inputs, "Lines": [{**line, "Amount": "1.00"} for line in inputs["Lines"]]},
            )
        )[0]
        == "59A0"
    )
    posted(sandbox, "ML_CreateJournalBatch", inputs)
    staged = sandbox.stored_rows("F0911Z1", EDTN="FX-JE-1")
    assert [(row["ACR"], row["AA"], row["CRRM"], row["CRCD"], row["LT"]) for row in staged] == [
        (5, 0, "F", "EUR", "AA"),
        (5, 0, "F", "EUR", "AA"),
        (-10, 0, "F", "EUR", "AA"),
    ]
    answer = sandbox.process("journals")
    (done,) = [entry for entry in answer["processed"] if entry["EDTN"] == "FX-JE-1"]
    lines = sandbox.rows(
        "F0911",
        ["JELN", "LT", "AA", "CRR"],
        condition("F0911.DOC", "EQUAL", str(done["DOC"])),
        condition("F0911.DCT", "EQUAL", "JE"),
    )
    domestic = sorted(Decimal(str(line["F0911_AA"])) for line in lines if line["F0911_LT"] == "AA")
    assert domestic == [Decimal("-0.10"), Decimal("0.05"), Decimal("0.05")] and sum(domestic) == 0
    assert total(lines, "F0911_AA", F0911_LT="CA") == 0
    assert {line["F0911_CRR"] for line in lines} == {1.0834}
    assert sandbox.stored_rows("F0911Z1", EDTN="FX-JE-1")[0]["EDSP"] == "1"


# --- payments ----------------------------------------------------------------------------------------------


def _payment(doc: int, reference: str, **amounts: str) -> dict[str, Any]:
    return {
        "Document_Company": COMPANY,
        "Document_Number": str(doc),
        "Payment_Date": "02/20/2025",
        "Payment_Reference": reference,
        **amounts,
    }


def test_foreign_payment_relieves_both_currencies_and_realizes_the_rate_difference(
    sandbox: Sandbox, world: dict[str, Any]
) -> None:
    posted(sandbox, "ML_CreateVoucherBatch", voucher(world, "FX-PAY-1", "EUR", ["1000.00"], ["1000.00"]))
    answer = sandbox.process()
    (doc,) = [entry["DOC"] for entry in answer["processed"] if entry["EDTN"] == "FX-PAY-1"]
    foreign = {"Currency_Mode": "F", "Currency_Code": "EUR"}
    # Refused: domestic mode on a foreign voucher, another currency, more than is open in EUR.
    assert (
        refused(sandbox.call("ML_RecordPayment", _payment(doc, "P-0", Payment_Amount="400.00")))[0] == "59A0"
    )
    wrong = _payment(doc, "P-0", Currency_Mode="F", Currency_Code="USD", Currency_Amount="400.00")
    assert refused(sandbox.call("ML_RecordPayment", wrong))[0] == "59AE"
    too_much = _payment(doc, "P-0", **foreign, Currency_Amount="1000.01")
    assert refused(sandbox.call("ML_RecordPayment", too_much))[0] == "59AC"
    # 400.00 EUR at the bank's 1.1 is 440.00 USD; it relieves 400/1000 of 1,083.40 = 433.36: a 6.64 loss.
    first = posted(
        sandbox,
        "ML_RecordPayment",
        _payment(doc, "P-1", **foreign, Currency_Amount="400.00", Exchange_Rate="1.1"),
    )
    assert (first["Open_Amount"], first["Currency_Open_Amount"], first["Pay_Status"]) == (
        "650.04",
        "600.00",
        "A",
    )
    # The rest at F0015's 1.0834 (650.04 USD) relieves all that is left: no difference.
    second = posted(sandbox, "ML_RecordPayment", _payment(doc, "P-2", **foreign, Currency_Amount="600.00"))
    assert (second["Open_Amount"], second["Currency_Open_Amount"], second["Pay_Status"]) == (
        "0.00",
        "0.00",
        "P",
    )
    (item,) = sandbox.rows("F0411", ["AAP", "FAP", "PST"], condition("F0411.DOC", "EQUAL", str(doc)))
    assert (item["F0411_AAP"], item["F0411_FAP"], item["F0411_PST"]) == (0.0, 0.0, "P")
    payments = {
        p["reference"]: p for p in requests.get(f"{sandbox.admin}/payments", timeout=10).json()["payments"]
    }
    assert (
        payments["P-1"]["amount"],
        payments["P-1"]["domestic_relieved"],
        payments["P-1"]["gain_loss"],
    ) == (44000, 43336, 664)
    assert (
        payments["P-2"]["amount"],
        payments["P-2"]["domestic_relieved"],
        payments["P-2"]["gain_loss"],
    ) == (65004, 65004, 0)
    assert (
        payments["P-1"]["currency"],
        payments["P-1"]["currency_amount"],
        payments["P-1"]["exchange_rate"],
    ) == ("EUR", 40000, 11000000)
    details = sandbox.rows(
        "F0414",
        ["PAAP", "PFAP", "CRRM", "CRCD", "CRR", "HCRR", "RMK"],
        condition("F0414.DOC", "EQUAL", str(doc)),
        condition("F0414.KCO", "EQUAL", COMPANY),
    )
    first_detail = next(row for row in details if row["F0414_RMK"] == "P-1")
    assert (first_detail["F0414_PAAP"], first_detail["F0414_PFAP"], first_detail["F0414_CRRM"]) == (
        440.0,
        400.0,
        "F",
    )
    assert (first_detail["F0414_CRR"], first_detail["F0414_HCRR"], first_detail["F0414_CRCD"]) == (
        1.1,
        1.0834,
        "EUR",
    )


def test_a_domestic_voucher_is_not_paid_in_foreign_mode(sandbox: Sandbox, world: dict[str, Any]) -> None:
    inputs = {
        **voucher(world, "FX-DOM-1", "USD", [], []),
        "Currency_Mode": "D",
        "Pay_Items": [{"EDI_Line_Number": "1", "Gross_Amount": "50.00"}],
        "Distribution": [{"EDI_Line_Number": "1", "Account": world["accounts"][0], "Amount": "50.00"}],
    }
    assert posted(sandbox, "ML_CreateVoucherBatch", inputs)["Gross_Amount"] == "50.00"
    answer = sandbox.process()
    (doc,) = [entry["DOC"] for entry in answer["processed"] if entry["EDTN"] == "FX-DOM-1"]
    code, text = refused(
        sandbox.call("ML_RecordPayment", _payment(doc, "D-1", Currency_Mode="F", Currency_Amount="50.00"))
    )
    assert code == "59A0" and "domestic" in text
    paid = posted(sandbox, "ML_RecordPayment", _payment(doc, "D-2", Payment_Amount="50.00"))
    assert (paid["Open_Amount"], paid["Currency_Open_Amount"], paid["Pay_Status"]) == ("0.00", "", "P")


def test_the_clerk_changes_a_foreign_gross_in_its_own_currency(
    sandbox: Sandbox, world: dict[str, Any]
) -> None:
    posted(sandbox, "ML_CreateVoucherBatch", voucher(world, "FX-CLERK-1", "JPY", ["10000"], ["10000"]))
    (doc,) = [entry["DOC"] for entry in sandbox.process()["processed"] if entry["EDTN"] == "FX-CLERK-1"]
    url = f"{sandbox.admin}/vouchers/{COMPANY}/{doc}/PV/gross"
    assert requests.post(url, json={"gross": "20000.5"}, timeout=10).status_code == 400
    answer = requests.post(url, json={"gross": "20000"}, timeout=10)
    assert answer.json()["ACR"] == "20000" and answer.json()["AG"] == "133.40"  # 20,000 x 0.00667
    (item,) = sandbox.rows("F0411", ["AG", "AAP", "ACR", "FAP"], condition("F0411.DOC", "EQUAL", str(doc)))
    assert (item["F0411_AG"], item["F0411_AAP"], item["F0411_ACR"], item["F0411_FAP"]) == (
        133.4,
        133.4,
        20000,
        20000,
    )
