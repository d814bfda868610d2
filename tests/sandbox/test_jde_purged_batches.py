"""Batches JDE processed and purged (R04110ZA's and R09110Z's "purge processed transactions", R0411Z1P) before
a retry read them: the voucher and the journal entry they became are recognised in F0411 / F0911 by what they
carry, so the retry adopts them instead of writing them twice. Against the AIS simulator, no Dagster."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import requests
from sandbox_admin import SandboxAdmin

from connector_assets.flows.core import Mapped
from connector_assets.jde.batch_bodies import LedgerLine, journal_batch_body, voucher_batch_body
from connector_assets.jde.targets import BatchKey, JournalBatches, VoucherBatches
from connector_resources.jde import JdeAisResource
from connector_resources.token_store import release_process_tokens
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from sandbox.serving import served


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxAdmin]:
    started = run_in_thread(JdeSandboxSettings(scale=0.02))
    yield from served(started, lambda url: SandboxAdmin(url.removesuffix("/jderest")))


@pytest.fixture(autouse=True)
def _reset(sandbox: SandboxAdmin) -> Iterator[None]:
    yield
    sandbox.admin("POST", "faults/reset")
    release_process_tokens()


def _rows(sandbox: SandboxAdmin, table: str, **where: Any) -> list[dict[str, Any]]:
    return sandbox.admin("GET", f"rows/{table}", params={"limit": 100_000, **where}).json()["rows"]


def _accounts(sandbox: SandboxAdmin, company: str) -> list[str]:
    """Two postable accounts of ``company`` (BU.OBJ[.SUB])."""
    found = []
    for row in _rows(sandbox, "F0901", CO=company):
        if row["PEC"].strip() or row["OBJ"] != "8150":
            continue
        sub = row["SUB"].strip()
        found.append(f"{row['MCU'].strip()}.{row['OBJ']}" + (f".{sub}" if sub else ""))
    return found[:2]


def _session(sandbox: SandboxAdmin) -> Any:
    return JdeAisResource(
        base_url=f"{sandbox.url}/jderest", username="INTEGR8", password="integr8-sandbox", keep_sessions=False
    ).session()


def _domestic(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the JDE target sends it to a USD company (``place_currency``), dates as dates."""
    sent = {**body, "Currency_Code": "USD", "Currency_Mode": "D"}
    return {k: date.fromisoformat(v) if k in ("GL_Date", "Invoice_Date") else v for k, v in sent.items()}


@pytest.mark.parametrize("purge", ["on_processing", "r0411z1p"])
def test_a_voucher_batch_purged_after_processing_is_adopted_by_its_f0411_voucher(sandbox, purge):
    company = "00001"  # a dollar company
    supplier = next(r for r in _rows(sandbox, "F0401") if r["KCOP"].strip() == company)
    today = date.today().isoformat()
    key = BatchKey("MLTEST", f"PRG{purge[:8].upper()}", f"PURGED-VOUCHER-{purge[:6].upper()}")
    body = voucher_batch_body(
        key, company=company, supplier=supplier["AN8"], invoice_number=f"INV-{purge}", invoice_date=today,
        gl_date=today, due_date=None, currency="", remark=f"Test invoice {purge}", gross=Decimal("125.40"),
        distribution=[LedgerLine(_accounts(sandbox, company)[0], Decimal("125.40"), "purge test")],
    )  # fmt: skip
    record = Mapped(purge, body, {})
    sandbox.admin("POST", "faults", json={"purge_processed_batches": purge == "on_processing"})
    with _session(sandbox) as s:
        s.orchestrate("ML_CreateVoucherBatch", _domestic({k: v for k, v in body.items() if v is not None}))
        target = VoucherBatches(s, ledger=None, run_id=None, partition=None)
        assert target._adoptable(record) == key.target_id  # the unprocessed batch, as always
        sandbox.admin("POST", "process-vouchers")
        if purge == "r0411z1p":
            sandbox.admin("POST", "purge-batches")
        assert _rows(sandbox, "F0411Z1", EDTN=key.transaction) == []
        assert target._adoptable(record) == key.target_id  # the F0411 voucher it became
        other = Mapped(purge, {**body, "Remark": "another document"}, {})
        assert target._adoptable(other) is None  # not ours: written, not adopted


def test_a_journal_batch_purged_after_posting_is_adopted_by_its_f0911_entry(sandbox):
    company = "00001"
    debit, credit = _accounts(sandbox, company)
    today = date.today().isoformat()
    key = BatchKey("MLTEST", "PRGJOURNAL", "PURGED-JOURNAL-1")
    lines = [
        LedgerLine(debit, Decimal("77.10"), "purge test debit"),
        LedgerLine(credit, Decimal("-77.10"), "c"),
    ]
    body = journal_batch_body(key, company=company, gl_date=today, explanation="purge test", lines=lines)
    record = Mapped("j1", body, {})
    sandbox.admin("POST", "faults", json={"purge_processed_journals": True})
    with _session(sandbox) as s:
        s.orchestrate("ML_CreateJournalBatch", _domestic(body))
        target = JournalBatches(s, ledger=None, run_id=None, partition=None)
        [posted] = requests.post(f"{sandbox.url}/sandbox/process-journals", timeout=10).json()["processed"]
        assert posted["EDTN"] == key.transaction
        assert _rows(sandbox, "F0911Z1", EDTN=key.transaction) == []
        assert target._adoptable(record) == key.target_id
        changed = [
            LedgerLine(debit, Decimal("77.11"), "purge test debit"),
            LedgerLine(credit, Decimal("-77.11"), "c"),
        ]
        other = Mapped(
            "j2", journal_batch_body(key, company=company, gl_date=today, explanation="x", lines=changed), {}
        )
        assert target._adoptable(other) is None
