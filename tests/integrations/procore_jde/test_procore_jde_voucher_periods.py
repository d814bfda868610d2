"""Procore -> JDE: a voucher whose G/L date is in a closed JDE A/P period is held on that period before its
requisition's lines are read, with the reason, kind and dependency the JDE write step gives it (one
judgement: ``VoucherBatches.period_wait`` asks the ``JdePeriods.posting`` the write step asks); one that
may post is read and mapped as before; the period tables are read once per run, whichever step asks.
Pure units: Procore and JDE's data service stubbed, counting what they are asked."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from procore_jde_accounts import LABEL
from procore_jde_parts import CostCodeMap, VoucherReader
from procore_requisitions import PROJECT, WrittenLedger, line

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.vouchers import VoucherBatches
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.periods import AP, JdePeriods
from connector_resources.refusals import code_of
from connector_resources.replay import WaitsFor

F0901 = [{"MCU": "M30", "OBJ": "1310", "SUB": "", "CO": "00200", "PEC": ""}]


def _pattern(year: int) -> dict[str, object]:
    """F0008 of pattern R for calendar year ``year``: twelve monthly periods."""
    row: dict[str, object] = {"DTPN": "R", "DFYJ": f"{year}-01-01", "FY": year % 100}
    for n in range(1, 15):
        month = min(n, 12)
        end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        row[f"D{n:02d}J"] = date.fromordinal(end.toordinal() - 1).isoformat()
    return row


class Jde:
    """JDE's data service as ``read_calendars`` reads it (company 00200 in period 11 of 2026), counted."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        company = {"CO": "00200", "DTPN": "R", "DFYJ": "2026-01-01", "PNC": 11, "APPN": 11, "CRCD": "USD"}
        self.tables = {"F0010": [company], "F0008": [_pattern(2025), _pattern(2026)]}

    def browse(self, table: str, **_query: object):
        self.reads.append(table)
        return iter(self.tables[table])

    @contextmanager
    def session(self):
        yield self


class Procore:
    """One commitment and a requisition's lines, the line reads counted."""

    def __init__(self) -> None:
        self.line_reads = 0

    def get(self, entity: str, id: Any, *, project_id: Any = None) -> dict[str, Any]:
        vendor = {"id": 5512098, "company": "Granite Supply Co"}
        project = {"id": int(PROJECT), "name": LABEL}
        return {"id": 881234, "_project_id": int(PROJECT), "vendor": vendor, "project": project}

    def requisition_lines(self, project_id: Any, requisition_id: Any, **_: Any) -> list[dict[str, Any]]:
        self.line_reads += 1
        return [line("03", "50.00")]


class Suppliers:
    def an8(self, vendor_id: str, read: Any) -> str:
        return "4343"


def _requisition(period_end: str) -> dict[str, Any]:
    return {
        "id": 1280646, "number": 19, "invoice_number": "INV-7", "commitment_id": 881234, "status": "approved",
        "_project_id": int(PROJECT), "billing_date": period_end, "requisition_end": period_end,
        "summary": {"current_payment_due": "50.00"},
    }  # fmt: skip


def _reader(procore: Procore, periods: JdePeriods | None) -> VoucherReader:
    costs = CostCodeMap({"*": "M30"}, {"03": "{job}.1310"}, GlAccounts(F0901))
    return VoucherReader(procore, WrittenLedger(), costs, Suppliers(), periods=periods)


def _write_step_hold(periods: JdePeriods, body: dict[str, Any]) -> WaitsFor:
    """What the write step raises for the mapped body (``BatchTarget.create`` -> ``JdeTarget.posting``)."""
    try:
        periods.posting(
            integration="procore_jde", company=body["Company"], ledger=AP,
            document=VoucherBatches.invoice(body, "Procore"), field="G/L date",
            day=date.fromisoformat(body["GL_Date"]),
        )  # fmt: skip
    except WaitsFor as waits:
        return waits
    raise AssertionError("the period is open")


def test_a_voucher_in_a_closed_period_is_held_on_it_unread_as_the_write_step_would_hold_it():
    procore, jde = Procore(), Jde()
    held = _reader(procore, JdePeriods(None, opens=jde.session)).record(
        _requisition("2025-03-31"), datetime.now(UTC)
    )
    assert isinstance(held, Rejected) and procore.line_reads == 0, held
    assert held.payload == {"project_id": PROJECT}  # a replay reads it from its project
    # The same requisition mapped in full (no periods judged) is what the write step would hold.
    mapped = _reader(Procore(), None).record(_requisition("2025-03-31"), datetime.now(UTC))
    assert isinstance(mapped, Mapped)
    waits = _write_step_hold(JdePeriods(Jde()), mapped.body)
    assert (held.reason, held.held_on) == (waits.reason, waits.depends_on)
    assert held.refusal == waits.refusal and code_of(held.refusal.kind) == "period_closed"
    assert held.held_on == "JDE:period:ledger:00200.AP/2025-03-31@procore_jde"
    assert "Procore invoice INV-7 (voucher batch MLPROCORE/PR1280646/PROCORE-REQ-1280646)" in held.reason


def test_a_voucher_that_may_post_is_read_and_mapped_and_a_redated_one_too(monkeypatch):
    procore, jde = Procore(), Jde()
    reader = _reader(procore, JdePeriods(None, opens=jde.session))
    assert isinstance(reader.record(_requisition("2026-11-30"), datetime.now(UTC)), Mapped)
    assert procore.line_reads == 1
    monkeypatch.setenv("ML_PROCORE_JDE_GL_DATE_POLICY", "first_open_day")  # the write step re-dates it
    assert isinstance(reader.record(_requisition("2025-03-31") | {"id": 1280647}, datetime.now(UTC)), Mapped)
    assert procore.line_reads == 2 and jde.reads == ["F0010", "F0008"]  # the calendar read once


def test_the_period_tables_are_read_once_per_run_whichever_step_asks_first():
    jde = Jde()
    mapping = JdePeriods(None, "run-1", opens=jde.session)  # a source step: a session opened when due
    writing = JdePeriods(jde, "run-1")  # the write step's target session
    assert mapping.calendar("00200", AP) is not None and writing.calendar("00200 ", AP) is not None
    assert jde.reads == ["F0010", "F0008"]
    JdePeriods(jde, "run-2").calendar("00200", AP)  # another run reads them again
    JdePeriods(jde).calendar("00200", AP)  # and a replay's session (no run) too
    assert jde.reads == ["F0010", "F0008"] * 3
