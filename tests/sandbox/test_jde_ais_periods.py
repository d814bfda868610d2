"""Accounting periods in the JD Edwards AIS sandbox: F0010 / F0008 and the fiscal date edits.

The companies start on November 2026 (a setting), so the open days are 2026-11-01 to 2026-12-31 until a
test moves a company's period (``PUT /sandbox/periods/{company}``) or rolls it. Each test sets the period
it needs first, so the order the tests run in does not matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.jde_ais.settings import PeriodSettings
from tests.sandbox.test_jde_ais_sandbox import Sandbox as Served
from tests.sandbox.test_jde_ais_sandbox import _first_error, _orchestrate, browse, grid, login

from .serving import served

pytestmark = pytest.mark.timeout(120)

DEVICE = "pytest-periods"
NOVEMBER = dt.date(2026, 11, 15)


class Sandbox(Served):
    """A served sandbox, logged in, with the keys its tests post to and its period routes."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.token = login(self, device=DEVICE)
        supplier = self.rows("F0401", ["AN8", "KCOP"])[0]
        accounts = self.rows("F0901", ["MCU", "OBJ", "SUB", "PEC", "CO"], maxPageSize="No Max")
        postable = [
            f"{row['F0901_MCU'].strip()}.{row['F0901_OBJ']}"
            for row in accounts
            if row["F0901_PEC"] == " " and row["F0901_OBJ"] == "8150" and not row["F0901_SUB"].strip()
        ]
        self.supplier, self.company = supplier["F0401_AN8"], supplier["F0401_KCOP"]
        self.accounts = postable[:2]

    def rows(self, table: str, columns: list[str], **extra: Any) -> list[dict[str, Any]]:
        return grid(browse(self, self.token, table, columns, None, device=DEVICE, **extra), table)["rowset"]

    def call(self, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return _orchestrate(self, self.token, name, inputs, DEVICE).json()

    def open_on(self, day: dt.date, company: str | None = None) -> None:
        answer = requests.put(
            f"{self.admin}/periods/{company or self.company}", json={"date": day.isoformat()}, timeout=10
        )
        assert answer.status_code == 200, answer.text

    def periods(self, company: str | None = None) -> dict[str, Any]:
        listed = requests.get(f"{self.admin}/periods", timeout=10).json()["companies"]
        return next(entry for entry in listed if entry["company"] == (company or self.company))

    def entry(self, batch: str, edtn: str, gl_date: dt.date) -> dict[str, Any]:
        """What a voucher and a journal entry both carry: the EDI keys, the company and the GL date."""
        edi = {"EDI_User_ID": "MLCONNECTR", "EDI_Batch_Number": batch, "EDI_Transaction_Number": edtn}
        return {**edi, "Company": self.company, "GL_Date": _us(gl_date)}

    def voucher(self, edtn: str, gl_date: dt.date) -> dict[str, Any]:
        return {
            **self.entry("BATCH-PERIODS", edtn, gl_date),
            "Supplier": str(self.supplier),
            "Invoice_Number": f"INV-{edtn}",
            "Invoice_Date": _us(gl_date),
            "Pay_Items": [{"EDI_Line_Number": "1", "Gross_Amount": "100.00"}],
            "Distribution": [{"EDI_Line_Number": "1", "Account": self.accounts[0], "Amount": "100.00"}],
        }

    def journal(self, edtn: str, gl_date: dt.date) -> dict[str, Any]:
        return {
            **self.entry("JE-PERIODS", edtn, gl_date),
            "Lines": [
                {"EDI_Line_Number": "1", "Account": self.accounts[0], "Amount": "75.00"},
                {"EDI_Line_Number": "2", "Account": self.accounts[1], "Amount": "-75.00"},
            ],
        }

    def payment(self, reference: str, payment_date: dt.date) -> dict[str, Any]:
        """A payment of 0.01 on an open voucher of the company."""
        vouchers = self.rows("F0411", ["KCO", "DOC", "DCT", "CO", "AAP", "PST"], maxPageSize="No Max")
        voucher = next(
            row
            for row in vouchers
            if row["F0411_CO"] == self.company and row["F0411_PST"] == "A" and row["F0411_AAP"] > 1
        )
        return {
            "Document_Company": voucher["F0411_KCO"],
            "Document_Number": str(voucher["F0411_DOC"]),
            "Document_Type": voucher["F0411_DCT"],
            "Payment_Amount": "0.01",
            "Payment_Date": _us(payment_date),
            "Payment_Reference": reference,
        }


def _us(day: dt.date) -> str:
    return day.strftime("%m/%d/%Y")  # INTEGR8's simpleDateFormat


def _settings(**periods: Any) -> JdeSandboxSettings:
    # The anchor keeps 2026 among the seeded fiscal years whatever the clock says.
    return JdeSandboxSettings(
        scale=0.02,
        anchor_date=NOVEMBER,
        periods=PeriodSettings(current_period_date=NOVEMBER, **periods),
    )


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from served(run_in_thread(_settings()), Sandbox)


def _warnings(answer: dict[str, Any]) -> list[dict[str, Any]]:
    assert answer["jde__status"] == "SUCCESS", answer
    (step,) = answer["Errors/Warnings"]
    assert step["Errors"] == []
    return step["Warnings"]


def test_f0010_and_f0008_are_read_through_the_data_service(sandbox: Sandbox) -> None:
    constants = sandbox.rows("F0010", ["CO", "DTPN", "DFYJ", "PNC", "APPN", "APFJ", "ARPN", "ARFJ", "NNP"])
    companies = {row["F0901_CO"] for row in sandbox.rows("F0901", ["CO"], maxPageSize="No Max")}
    assert {row["F0010_CO"] for row in constants} == companies | {"00000"}
    other = next(row for row in constants if row["F0010_CO"] != sandbox.company)
    assert (other["F0010_DTPN"], other["F0010_NNP"]) == ("R", 12)
    # Every ledger of a company nobody moved is on the setting's period: November of fiscal year 2026.
    assert (other["F0010_PNC"], other["F0010_APPN"], other["F0010_ARPN"]) == (11, 11, 11)
    assert {other["F0010_DFYJ"], other["F0010_APFJ"], other["F0010_ARFJ"]} == {"01/01/2026"}
    patterns = sandbox.rows("F0008", ["DTPN", "FY", "CTRY", "DFYJ", "D01J", "D02J", "D12J", "D13J", "D14J"])
    year = next(row for row in patterns if row["F0008_DFYJ"] == "01/01/2026")
    assert (year["F0008_DTPN"], year["F0008_FY"], year["F0008_CTRY"]) == ("R", 26, 20)
    assert (year["F0008_D01J"], year["F0008_D02J"]) == ("01/31/2026", "02/28/2026")
    assert {year["F0008_D12J"], year["F0008_D13J"], year["F0008_D14J"]} == {"12/31/2026"}


def test_a_voucher_before_the_current_period_is_refused_with_pbco(sandbox: Sandbox) -> None:
    sandbox.open_on(NOVEMBER)
    answer = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-PBCO", dt.date(2026, 10, 29)))
    assert answer["jde__status"] == "ERROR"
    error = _first_error(answer)
    assert (error["CODE"], error["TITLE"]) == ("PBCO", "Error: PBCO Post Before Cut Off")
    assert error["MOBILE"] == (
        "PBCO Post Before Cut Off: The G/L date (GL_Date) 2026-10-29 is outside the open periods of company "
        f"{sandbox.company} (current A/P period 11 of fiscal year 2026: open 2026-11-01 to 2026-12-31)"
    )
    assert sandbox.stored_rows("F0411Z1", EDTN="PER-PBCO") == []
    assert sandbox.stored_rows("F0911Z1", EDTN="PER-PBCO") == []


def test_an_earlier_fiscal_year_is_pyeb_and_no_pattern_is_an_error(sandbox: Sandbox) -> None:
    sandbox.open_on(NOVEMBER)
    earlier = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-PYEB", dt.date(2025, 12, 31)))
    assert _first_error(earlier)["CODE"] == "PYEB"
    assert "(GL_Date) 2025-12-31" in _first_error(earlier)["MOBILE"]
    nowhere = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-NOFP", dt.date(2060, 1, 15)))
    assert _first_error(nowhere)["CODE"] == "NOFP"
    assert sandbox.stored_rows("F0411Z1", EDTN="PER-PYEB") == []
    assert sandbox.stored_rows("F0911Z1", EDTN="PER-NOFP") == []


def test_after_the_open_periods_vouchers_and_journals_warn_paco_then_waco(sandbox: Sandbox) -> None:
    sandbox.open_on(dt.date(2026, 3, 10))  # open: March and April 2026
    paco = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-PACO", dt.date(2026, 6, 15)))
    (warning,) = _warnings(paco)
    assert (warning["CODE"], warning["TITLE"], warning["ERRORCONTROL"]) == (
        "PACO",
        "Warning: PACO Post After Cut Off",
        "GL_Date",
    )
    assert "open 2026-03-01 to 2026-04-30" in warning["MOBILE"]
    assert len(sandbox.stored_rows("F0411Z1", EDTN="PER-PACO")) == 1
    waco = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-WACO", dt.date(2027, 2, 1)))
    (warning,) = _warnings(waco)
    assert warning["CODE"] == "WACO" and "current G/L period 3 of fiscal year 2026" in warning["MOBILE"]
    assert len(sandbox.stored_rows("F0911Z1", EDTN="PER-WACO")) == 2
    open_day = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-OPEN", dt.date(2026, 4, 30)))
    assert open_day["jde__status"] == "SUCCESS" and "Errors/Warnings" not in open_day


def test_a_journal_before_the_current_period_is_refused(sandbox: Sandbox) -> None:
    sandbox.open_on(NOVEMBER)
    answer = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-JE-PBCO", dt.date(2026, 9, 30)))
    assert _first_error(answer)["CODE"] == "PBCO"
    assert "current G/L period 11 of fiscal year 2026" in _first_error(answer)["MOBILE"]
    assert sandbox.stored_rows("F0911Z1", EDTN="PER-JE-PBCO") == []


def test_a_payment_dated_in_a_closed_period_is_refused_and_one_far_ahead_warns(sandbox: Sandbox) -> None:
    sandbox.open_on(NOVEMBER)
    refused = sandbox.call("ML_RecordPayment", sandbox.payment("PER-PAY-1", dt.date(2026, 10, 31)))
    error = _first_error(refused)
    assert error["CODE"] == "PBCO" and "The G/L date (Payment_Date) 2026-10-31" in error["MOBILE"]
    recorded = requests.get(f"{sandbox.admin}/payments", timeout=10).json()["payments"]
    assert "PER-PAY-1" not in {payment["reference"] for payment in recorded}
    ahead = sandbox.call("ML_RecordPayment", sandbox.payment("PER-PAY-2", dt.date(2027, 3, 1)))
    assert [warning["CODE"] for warning in _warnings(ahead)] == ["WACO"]


def test_the_batch_processor_leaves_a_closed_period_transaction_unprocessed(sandbox: Sandbox) -> None:
    sandbox.open_on(dt.date(2026, 10, 5))  # open: October and November
    for edtn, day in (("PER-R-OCT", dt.date(2026, 10, 20)), ("PER-R-NOV", dt.date(2026, 11, 3))):
        assert sandbox.call("ML_CreateVoucherBatch", sandbox.voucher(edtn, day))["jde__status"] == "SUCCESS"
    sandbox.open_on(dt.date(2026, 11, 5))  # October is closed before R04110ZA runs
    ahead = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-R-FEB", dt.date(2027, 2, 10)))
    assert [warning["CODE"] for warning in _warnings(ahead)] == ["WACO"]
    result = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()
    (rejected,) = [entry for entry in result["rejected"] if entry["EDTN"] == "PER-R-OCT"]
    assert [message["mnemonic"] for message in rejected["messages"]] == ["PBCO"]
    assert "(F0411Z1.DGJ) 2026-10-20" in rejected["reason"]
    assert {row["EDSP"] for row in sandbox.stored_rows("F0411Z1", EDTN="PER-R-OCT")} == {"0"}
    processed = {entry["EDTN"] for entry in result["processed"]}
    assert {"PER-R-NOV", "PER-R-FEB"} <= processed and "PER-R-OCT" not in processed
    assert [w["mnemonic"] for w in result["warnings"] if w["EDTN"] == "PER-R-FEB"] == ["WACO"]
    assert {row["EDSP"] for row in sandbox.stored_rows("F0411Z1", EDTN="PER-R-NOV")} == {"1"}


def test_a_roll_moves_the_open_window(sandbox: Sandbox) -> None:
    sandbox.open_on(dt.date(2026, 11, 20))
    assert (
        sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-ROLL-1", dt.date(2026, 11, 30)))[
            "jde__status"
        ]
        == "SUCCESS"
    )
    rolled = requests.post(f"{sandbox.admin}/periods/roll", json={"company": sandbox.company}, timeout=10)
    assert rolled.status_code == 200, rolled.text
    entry = sandbox.periods()
    assert entry["gl"] == {
        "period": 12,
        "fiscal_year": 2026,
        "open_from": "2026-12-01",
        "open_to": "2027-01-31",
    }
    assert entry["ap"] == entry["ar"] == entry["gl"]
    again = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-ROLL-2", dt.date(2026, 11, 30)))
    assert _first_error(again)["CODE"] == "PBCO"
    # Across the year end: January 2027 is the next period, open.
    january = sandbox.call("ML_CreateJournalBatch", sandbox.journal("PER-ROLL-3", dt.date(2027, 1, 31)))
    assert january["jde__status"] == "SUCCESS" and "Errors/Warnings" not in january
    ahead_of_gl = requests.post(
        f"{sandbox.admin}/periods/roll", json={"company": sandbox.company, "ledger": "ap"}, timeout=10
    )
    assert ahead_of_gl.status_code == 400 and "G/L period" in ahead_of_gl.json()["error"]
    assert sandbox.periods()["ap"]["period"] == 12


def test_allow_pbco_makes_an_earlier_period_a_warning_under_its_own_code() -> None:
    settings = _settings(allow_pbco=True, message_codes={"PBCO": "4361"})
    with contextmanager(served)(run_in_thread(settings), Sandbox) as sandbox:
        answer = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-ALLOW", dt.date(2026, 10, 29)))
        (warning,) = _warnings(answer)
        assert (warning["CODE"], warning["TITLE"]) == ("4361", "Warning: PBCO Post Before Cut Off")
        assert len(sandbox.stored_rows("F0411Z1", EDTN="PER-ALLOW")) == 1
        # An earlier fiscal year stays an error.
        earlier = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher("PER-ALLOW-2", dt.date(2025, 6, 1)))
        assert _first_error(earlier)["CODE"] == "PYEB"


def test_with_the_edits_off_any_date_is_posted() -> None:
    with contextmanager(served)(run_in_thread(_settings(gl_date_edits=False)), Sandbox) as sandbox:
        for edtn, day in (("PER-OFF-1", dt.date(2024, 1, 15)), ("PER-OFF-2", dt.date(2060, 1, 15))):
            answer = sandbox.call("ML_CreateVoucherBatch", sandbox.voucher(edtn, day))
            assert answer["jde__status"] == "SUCCESS" and "Errors/Warnings" not in answer
        result = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()
        assert {"PER-OFF-1", "PER-OFF-2"} <= {entry["EDTN"] for entry in result["processed"]}
        assert result["rejected"] == [] and result["warnings"] == []
