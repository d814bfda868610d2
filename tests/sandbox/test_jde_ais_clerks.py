"""The A/P clerk's operator routes: P0411Z1 deletes an unprocessed batch transaction (never a processed one),
P0411 voids a voucher (void flag, nothing open; never a paid one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from connector_sandbox.jde_ais import JdeSandboxSettings, PeriodSettings, run_in_thread
from tests.sandbox.test_jde_ais_sandbox import Sandbox, _orchestrate, _voucher, browse, grid, login

from .serving import served

pytestmark = pytest.mark.timeout(120)

DEVICE = "pytest-clerks"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    periods = PeriodSettings(current_period_date=dt.date(2025, 2, 1))  # the vouchers below are of February
    yield from served(run_in_thread(JdeSandboxSettings(scale=0.02, periods=periods)), Sandbox)


def _batch(sandbox: Sandbox, edtn: str) -> dict[str, str]:
    """A two pay item batch voucher written through ML_CreateVoucherBatch; its F0411Z1 key."""
    token = login(sandbox, device=DEVICE)
    supplier = grid(browse(sandbox, token, "F0401", ["AN8", "KCOP"], maxPageSize="1", device=DEVICE), "F0401")
    row = supplier["rowset"][0]
    accounts = browse(
        sandbox, token, "F0901", ["MCU", "OBJ", "SUB", "PEC"], device=DEVICE, maxPageSize="No Max"
    )
    account = next(
        f"{a['F0901_MCU'].strip()}.{a['F0901_OBJ']}"
        for a in grid(accounts, "F0901")["rowset"]
        if a["F0901_OBJ"] == "8150" and a["F0901_PEC"] == " " and not a["F0901_SUB"].strip()
    )
    ref = {"company": row["F0401_KCOP"], "supplier": row["F0401_AN8"], "account": account}
    inputs = _voucher(ref, edtn, EDI_Batch_Number=f"B-{edtn}")
    created = _orchestrate(sandbox, token, "ML_CreateVoucherBatch", inputs, DEVICE)
    assert created.status_code == 200 and created.json()["jde__status"] == "SUCCESS", created.text
    return {"EDUS": inputs["EDI_User_ID"], "EDBT": f"B-{edtn}", "EDTN": edtn}


def _post(sandbox: Sandbox, path: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{sandbox.admin}/{path}", json=body, timeout=10)


def test_an_unprocessed_batch_transaction_is_deleted_with_its_distribution(sandbox: Sandbox) -> None:
    key = _batch(sandbox, "CLERK-DELETE")
    assert sandbox.stored_rows("F0411Z1", **key) and sandbox.stored_rows("F0911Z1", **key)

    answer = _post(sandbox, "vouchers/batch/delete", key)

    assert answer.status_code == 200, answer.text
    assert answer.json()["deleted"]["F0411Z1"] == 2
    assert sandbox.stored_rows("F0411Z1", **key) == [] and sandbox.stored_rows("F0911Z1", **key) == []
    again = _post(sandbox, "vouchers/batch/delete", key)
    assert again.status_code == 404 and "no F0411Z1 transaction" in again.json()["error"]


def test_a_processed_voucher_is_voided_not_deleted(sandbox: Sandbox) -> None:
    key = _batch(sandbox, "CLERK-VOID")
    processed = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()["processed"]
    (made,) = [p for p in processed if p["EDTN"] == key["EDTN"]]
    refused = _post(sandbox, "vouchers/batch/delete", key)
    assert refused.status_code == 400 and "cannot change processed rows" in refused.json()["error"]
    (item, *_rest) = sandbox.stored_rows("F0411", DOC=made["DOC"])
    assert item["VOD"].strip() == "" and item["AAP"] > 0

    answer = _post(sandbox, "vouchers/void", {"KCO": item["KCO"], "DOC": made["DOC"], "DCT": item["DCT"]})

    assert answer.status_code == 200, answer.text
    items = sandbox.stored_rows("F0411", DOC=made["DOC"])
    assert {(r["VOD"], r["AAP"], r["PID"], r["USER"]) for r in items} == {("V", 0, "P0411", "APCLERK")}
    assert [r["AG"] for r in items] == [100_000, 25_055]  # the gross stays: what was voided
    twice = _post(sandbox, "vouchers/void", {"KCO": item["KCO"], "DOC": made["DOC"], "DCT": item["DCT"]})
    assert twice.status_code == 400 and "already voided" in twice.json()["error"]


def test_a_paid_voucher_or_an_unknown_one_is_not_voided(sandbox: Sandbox) -> None:
    paid = next(r for r in sandbox.stored_rows("F0411", PST="P") if r["VOD"].strip() == "")
    answer = _post(sandbox, "vouchers/void", {"KCO": paid["KCO"], "DOC": paid["DOC"], "DCT": paid["DCT"]})
    assert answer.status_code == 400 and "void its payment first" in answer.json()["error"]
    assert sandbox.stored_rows("F0411", DOC=paid["DOC"], SFX=paid["SFX"])[0]["VOD"].strip() == ""
    unknown = _post(sandbox, "vouchers/void", {"KCO": "00001", "DOC": 999_999, "DCT": "PV"})
    assert unknown.status_code == 404
    loose = _post(sandbox, "vouchers/void", {"DOC": 1})
    assert loose.status_code == 400
