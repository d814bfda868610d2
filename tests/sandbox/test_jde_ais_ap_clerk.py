"""An A/P clerk's work in the JD Edwards AIS sandbox (``/sandbox/vouchers``, ``/sandbox/batches``), over
loopback HTTP: a voucher entered for a supplier, a pay item's gross changed, a voucher voided, an unprocessed
batch transaction deleted, and what E1 refuses (a paid voucher, a processed batch). What each did is read
back through the operator's stored rows, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.sandbox.test_jde_ais_sandbox import Sandbox, _orchestrate, _voucher, browse, grid, login

from .serving import served_jde_open_in_february

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # The batch this module posts is dated February 2025 (``_voucher``): the companies are open there.
    yield from served_jde_open_in_february(Sandbox)


def clerk(sandbox: Sandbox, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(f"{sandbox.admin}/{path}", json=body or {}, timeout=10)


def _batch(sandbox: Sandbox, edtn: str) -> str:
    """A two pay item batch voucher written through ML_CreateVoucherBatch; its F0411Z1 key as a route path."""
    supplier = supplier_of(sandbox)
    token = login(sandbox)
    accounts = grid(
        browse(sandbox, token, "F0901", ["MCU", "OBJ", "SUB", "PEC"], maxPageSize="No Max"), "F0901"
    )
    account = next(
        f"{a['F0901_MCU'].strip()}.{a['F0901_OBJ']}"
        for a in accounts["rowset"]
        if a["F0901_OBJ"] == "8150" and a["F0901_PEC"] == " " and not a["F0901_SUB"].strip()
    )
    ref = {"company": supplier["company"], "supplier": supplier["an8"], "account": account}
    inputs = _voucher(ref, edtn, EDI_Batch_Number=f"B-{edtn}")
    created = _orchestrate(sandbox, token, "ML_CreateVoucherBatch", inputs)
    assert created.status_code == 200 and created.json()["jde__status"] == "SUCCESS", created.text
    return f"{inputs['EDI_User_ID']}/B-{edtn}/{edtn}"


def supplier_of(sandbox: Sandbox) -> dict[str, Any]:
    token = login(sandbox)
    row = grid(browse(sandbox, token, "F0401", ["AN8", "KCOP"], maxPageSize="1"), "F0401")["rowset"][0]
    return {"an8": row["F0401_AN8"], "company": row["F0401_KCOP"]}


def test_a_clerk_enters_a_voucher_changes_its_gross_and_voids_it(sandbox: Sandbox) -> None:
    supplier = supplier_of(sandbox)
    entered = clerk(
        sandbox, "vouchers", {"supplier": supplier["an8"], "gross": "1234.56", "invoice": "INV-77"}
    )
    assert entered.status_code == 200, entered.text
    made = entered.json()
    key = f"{made['KCO']}/{made['DOC']}/{made['DCT']}"
    [item] = sandbox.stored_rows("F0411", KCO=made["KCO"], DOC=made["DOC"])
    assert (item["AN8"], item["AG"], item["AAP"], item["VINV"], item["PST"], item["VOD"]) == (
        supplier["an8"],
        123456,
        123456,
        "INV-77",
        "A",
        "",
    )
    assert item["USER"] == "APCLERK" and item["PID"] == "P0411"
    [line] = sandbox.stored_rows("F0911", KCO=made["KCO"], DOC=made["DOC"])
    assert line["AA"] == 123456

    changed = clerk(sandbox, f"vouchers/{key}/gross", {"gross": "1334.56"})
    assert changed.status_code == 200, changed.text
    [item] = sandbox.stored_rows("F0411", KCO=made["KCO"], DOC=made["DOC"])
    [line] = sandbox.stored_rows("F0911", KCO=made["KCO"], DOC=made["DOC"])
    assert (item["AG"], item["AAP"], line["AA"]) == (133456, 133456, 133456)

    voided = clerk(sandbox, f"vouchers/{key}/void")
    assert voided.status_code == 200, voided.text
    [item] = sandbox.stored_rows("F0411", KCO=made["KCO"], DOC=made["DOC"])
    assert (item["VOD"], item["AG"], item["AAP"]) == ("V", 133456, 0)  # the gross stays: what was voided
    again = clerk(sandbox, f"vouchers/{key}/gross", {"gross": "1.00"})
    assert again.status_code == 400 and "voided" in again.json()["error"]


def test_a_paid_voucher_is_neither_changed_nor_voided_and_unknown_ones_are_404(sandbox: Sandbox) -> None:
    [paid] = sandbox.stored_rows("F0411", PST="P", limit=1)
    key = f"{paid['KCO']}/{paid['DOC']}/{paid['DCT']}"
    refused = clerk(sandbox, f"vouchers/{key}/void")
    assert refused.status_code == 400 and "void the payment first" in refused.json()["error"]
    assert sandbox.stored_rows("F0411", DOC=paid["DOC"], SFX=paid["SFX"])[0]["VOD"].strip() == ""
    changed = clerk(sandbox, f"vouchers/{key}/gross", {"gross": "5.00", "pay_item": paid["SFX"]})
    assert changed.status_code == 400 and "paid" in changed.json()["error"]
    assert clerk(sandbox, "vouchers/00001/1/PV/void").status_code == 404
    assert clerk(sandbox, "vouchers", {"supplier": 1}).status_code == 404
    assert clerk(sandbox, f"vouchers/{key}/gross", {"gross": "1.001"}).status_code == 400


def test_an_unprocessed_batch_transaction_is_deleted_with_its_distribution(sandbox: Sandbox) -> None:
    path = _batch(sandbox, "CLERK-DELETE")
    edus, edbt, edtn = path.split("/")
    key = {"EDUS": edus, "EDBT": edbt, "EDTN": edtn}
    assert sandbox.stored_rows("F0411Z1", **key) and sandbox.stored_rows("F0911Z1", **key)

    answer = clerk(sandbox, f"batches/{path}/delete")

    assert answer.status_code == 200, answer.text
    assert answer.json()["deleted"] == {"F0411Z1": 2, "F0911Z1": 1}  # two pay items, one distribution line
    assert sandbox.stored_rows("F0411Z1", **key) == [] and sandbox.stored_rows("F0911Z1", **key) == []
    again = clerk(sandbox, f"batches/{path}/delete")
    assert again.status_code == 404 and "no F0411Z1 transaction" in again.json()["error"]


def test_a_processed_voucher_is_voided_not_deleted(sandbox: Sandbox) -> None:
    path = _batch(sandbox, "CLERK-VOID")
    processed = requests.post(f"{sandbox.admin}/process-vouchers", timeout=10).json()["processed"]
    (made,) = [p for p in processed if p["EDTN"] == "CLERK-VOID"]
    refused = clerk(sandbox, f"batches/{path}/delete")
    assert refused.status_code == 400 and "cannot change processed rows" in refused.json()["error"]
    (item, *_rest) = sandbox.stored_rows("F0411", DOC=made["DOC"])
    assert item["VOD"].strip() == "" and item["AAP"] > 0

    answer = clerk(sandbox, f"vouchers/{item['KCO']}/{made['DOC']}/{item['DCT']}/void")

    assert answer.status_code == 200, answer.text
    items = sandbox.stored_rows("F0411", DOC=made["DOC"])
    assert {(r["VOD"], r["AAP"], r["PID"], r["USER"]) for r in items} == {("V", 0, "P0411", "APCLERK")}
    assert [r["AG"] for r in items] == [100_000, 25_055]  # the gross stays: what was voided
    twice = clerk(sandbox, f"vouchers/{item['KCO']}/{made['DOC']}/{item['DCT']}/void")
    assert twice.status_code == 400 and "already voided" in twice.json()["error"]
    assert clerk(sandbox, "batches/MLCONNECTR/BATCH-TEST-001/NO-SUCH/delete").status_code == 404
    assert clerk(sandbox, f"vouchers/{item['KCO']}/not-a-number/{item['DCT']}/void").status_code == 404
