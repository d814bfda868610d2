"""Procore -> JDE: a cost code whose JDE account JDE's chart has not set up yet waits for it.

An account the cached F0901 lacks whose job business unit holds accounts and whose object account is used
in some business unit (``jde.missing_master.of_jde_chart``: an account not set up yet for that job) holds
the requisition's voucher, the commitment's order or the change order on ``JDE:account:F0901:<account>``
(``Rejected.held_on``: queued held, never counted refused, never sent, mapped again once a replay sweep
finds the account in JDE). An account of an object JDE's chart has nowhere, or a job business unit JDE has
no account on, stays a refusal: the table is wrong. Pure units over a small F0901 and the real
``CostCodeMap``; the flow's reads stubbed where they carry the hold through (``VoucherReader``,
``commitment_record``, ``change_order_record``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from procore_jde_accounts import LABEL
from procore_jde_parts import CostCodeMap, VoucherReader, change_order_record, commitment_record
from procore_requisitions import PROJECT, WrittenLedger, line, voucher_inputs

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.voucher_mappers import VoucherInputs, map_requisition
from connector_assets.jde import missing_master
from connector_assets.jde.accounts import GlAccounts
from connector_assets.procore.companies import tagged
from connector_resources.missing_records import is_missing_hold

# Job M30 (company 00200) has 1310; object 1350 and 1360 are the chart's (unit 9 uses them), not M30's yet.
F0901 = [
    {"MCU": "M30", "OBJ": "1310", "SUB": "", "CO": "00200", "PEC": ""},
    {"MCU": "9", "OBJ": "1350", "SUB": "", "CO": "00001", "PEC": ""},
    {"MCU": "9", "OBJ": "1360", "SUB": "", "CO": "00001", "PEC": ""},
]
CODES = {"03": "{job}.1310", "05": "{job}.1350", "06": "{job}.1360", "07": "{job}.7999"}
WAIT = "JDE:account:F0901:M30.1350"


def costs(f0901: list[dict[str, str]] = F0901, job: str = "M30") -> CostCodeMap:
    return CostCodeMap({"*": job}, CODES, GlAccounts(f0901))


def inputs(*lines: dict[str, Any], order_id: str | None = "00200:4711:OP") -> VoucherInputs:
    return voucher_inputs(list(lines), currency="USD", order_id=order_id)


# -- vouchers ------------------------------------------------------------------------------------------------


def test_a_requisition_on_an_account_not_set_up_yet_is_held_on_it_and_sent_once_jde_has_it():
    record = map_requisition(inputs(line("03", "100.00"), line("05", "50.00")), costs())
    assert isinstance(record, Rejected) and record.held_on == WAIT, record
    assert is_missing_hold(record.held_on, missing_master.KINDS)
    assert record.reason.startswith("requisition 1280646 (invoice INV-2025-03, Granite Supply Co): ")
    assert f"cost code 05 on project {PROJECT} ({LABEL}) maps to account M30.1350, not found in F0901" in (
        record.reason
    )
    assert "Held until account M30.1350 exists in JDE's account master (F0901)" in record.reason

    # JDE sets the account up for the job: the same requisition is the voucher it would have been.
    ready = costs([*F0901, {"MCU": "M30", "OBJ": "1350", "SUB": "", "CO": "00200", "PEC": ""}])
    written = map_requisition(inputs(line("03", "100.00"), line("05", "50.00")), ready)
    assert isinstance(written, Mapped), written
    assert [(d["Account"], d["Amount"]) for d in written.body["Distribution"]] == [
        ("M30.1310", "100.00"),
        ("M30.1350", "50.00"),
    ]


def test_the_hold_on_an_account_comes_before_the_wait_for_the_order():
    # No JDE order yet either: held on the account first; once it exists, mapped waiting for the order.
    record = map_requisition(inputs(line("05", "50.00"), order_id=None), costs())
    assert isinstance(record, Rejected) and record.held_on == WAIT


def test_two_accounts_not_set_up_are_both_named_and_the_first_is_held_on():
    record = map_requisition(inputs(line("05", "50.00"), line("06", "20.00")), costs())
    assert isinstance(record, Rejected) and record.held_on == WAIT
    assert "Held until accounts M30.1350 and M30.1360 exist in JDE's account master (F0901)" in record.reason
    assert "M30.1360, not found in F0901" in record.reason


def test_an_object_jdes_chart_has_nowhere_or_a_job_jde_lacks_stays_a_refusal():
    nowhere = map_requisition(inputs(line("07", "50.00")), costs())
    assert isinstance(nowhere, Rejected) and nowhere.held_on is None
    assert "maps to account M30.7999, not found in F0901" in nowhere.reason
    no_job = map_requisition(inputs(line("05", "50.00")), costs(job="M99"))
    assert isinstance(no_job, Rejected) and no_job.held_on is None
    assert "job business unit M99, not found in F0901 (no account on it" in no_job.reason


def test_a_wait_beside_a_refusal_is_a_refusal_naming_both():
    record = map_requisition(inputs(line("05", "50.00"), line("07", "10.00")), costs())
    assert isinstance(record, Rejected) and record.held_on is None
    assert "M30.7999, not found in F0901" in record.reason and "M30.1350, not found in F0901" in record.reason


def test_each_document_waits_for_its_own_accounts_and_the_map_itself_still_refuses():
    shared = costs()
    assert isinstance(map_requisition(inputs(line("05", "50.00")), shared), Rejected)
    assert isinstance(map_requisition(inputs(line("03", "50.00")), shared), Mapped)  # nothing carried over
    # A reconciliation's (or a table check's) look through the map itself: the account is not there.
    assert shared.account(PROJECT, LABEL, "05") == (
        f"cost code 05 on project {PROJECT} ({LABEL}) maps to account M30.1350, not found in F0901"
    )


class _Session:
    """Procore as the voucher, order and change order reads see it: one commitment, its lines."""

    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.lines = lines

    def get(self, entity: str, id: Any, *, project_id: Any = None) -> dict[str, Any]:
        return {
            "id": 881234,
            "number": "PO-007",
            "title": "Rebar supply",
            "_commitment_type": "PurchaseOrderContract",
            "_project_id": int(PROJECT),
            "vendor": {"id": 5512098, "company": "Granite Supply Co"},
            "project": {"id": int(PROJECT), "name": LABEL},
            "contract_date": "2025-03-01",
            "accounting_method": "amount",
        }

    def requisition_lines(self, project_id: Any, requisition_id: Any) -> list[dict[str, Any]]:
        return self.lines

    def commitment_lines(self, project_id: Any, commitment_id: Any, kind: Any) -> list[dict[str, Any]]:
        return self.lines

    def change_order_lines(self, project_id: Any, change_order_id: Any, **_: Any) -> list[dict[str, Any]]:
        return self.lines


class _Suppliers:
    def an8(self, vendor_id: str, read: Any) -> str:
        return "4343"


def test_the_voucher_reader_and_the_company_tag_keep_the_hold():
    requisition = {
        "id": 1280646,
        "number": 19,
        "commitment_id": 881234,
        "status": "approved",
        "_project_id": int(PROJECT),
        "billing_date": "2025-04-02",
        "summary": {"current_payment_due": "50.00"},
    }
    reader = VoucherReader(_Session([line("05", "50.00")]), WrittenLedger(), costs(), _Suppliers())
    record = reader.record(requisition, datetime(2025, 4, 2, tzinfo=UTC))
    assert isinstance(record, Rejected) and record.held_on == WAIT, record
    assert record.payload == {"project_id": PROJECT}  # a replay reads it from its project
    kept = tagged(record, 4)
    assert isinstance(kept, Rejected) and kept.held_on == WAIT and kept.payload["procore_company_id"] == 4


# -- purchase orders and change orders -----------------------------------------------------------------------


def test_a_commitment_with_a_line_on_an_account_not_set_up_yet_is_held_whole_on_it():
    lines = [{"description": "Rebar", "_cost_code": "03", "amount": "100.00"}]
    lines.append({"description": "Formwork", "_cost_code": "05", "amount": "40.00"})
    record = commitment_record(_Session(lines), _Suppliers(), costs(), "881234", int(PROJECT))
    assert isinstance(record, Rejected) and record.held_on == WAIT, record
    assert record.reason.startswith("commitment 881234 (PO-007 Rebar supply): cost code 05")
    assert "Held until account M30.1350" in record.reason and record.payload == {"project_id": PROJECT}
    refused = commitment_record(
        _Session([{"description": "Paint", "_cost_code": "07", "amount": "5.00"}, *lines]),
        _Suppliers(),
        costs(),
        "881234",
        int(PROJECT),
    )
    assert isinstance(refused, Rejected) and refused.held_on is None and "M30.1350" in refused.reason


def test_a_change_order_line_on_an_account_not_set_up_yet_holds_the_change_order_on_it():
    change_order = {"id": 901, "number": "CO-1", "contract_id": 881234, "_project_id": int(PROJECT)}
    lines = [{"description": "Extra formwork", "_cost_code": "05", "amount": "40.00"}]
    record = change_order_record(
        _Session(lines), WrittenLedger(), costs(), lambda project: LABEL, change_order, mode="lines"
    )
    assert isinstance(record, Rejected) and record.held_on == WAIT, record
    assert record.reason.startswith("change order 901 (CO-1) of commitment 881234: cost code 05")
