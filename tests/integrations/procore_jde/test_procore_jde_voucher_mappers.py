"""Procore requisition -> JDE batch voucher mapper (``procore_jde.voucher_mappers``), without any server:
the cost-code map is the real ``CostCodeMap`` over an in-memory F0901, the requisitions are shaped as the
Procore client returns them (reference §2.5, the simulator's rendering)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pytest
from procore_jde_accounts import LABEL
from procore_jde_parts import VOUCHERS_FLOW, CostCodeMap, vouchers_enabled
from procore_requisitions import PO_KEY, PROJECT, VENDOR_KEY, line, requisition
from procore_requisitions import voucher_inputs as inputs

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.voucher_mappers import (
    BatchKey,
    ProcoreVoucherRecord,
    Skipped,
    VoucherInputs,
    line_payable,
    map_requisition,
    synced_elsewhere,
)
from connector_assets.jde.accounts import GlAccounts
from connector_resources import settings

F0901 = [
    {"MCU": "M30", "OBJ": "1310", "SUB": "", "CO": "00200", "PEC": ""},
    {"MCU": "M30", "OBJ": "1340", "SUB": "", "CO": "00200", "PEC": ""},
    {"MCU": "M30", "OBJ": "1300", "SUB": "", "CO": "00200", "PEC": "N"},
    {"MCU": "9", "OBJ": "1310", "SUB": "", "CO": "00001", "PEC": ""},
]


def costs() -> CostCodeMap:
    return CostCodeMap(
        {PROJECT: "M30"},
        {"03-100": "{job}.1310", "03-200": "{job}.1310", "05-100": "{job}.1340", "09": "{job}.1300"},
        GlAccounts(F0901),
    )


def valid(record: Mapped) -> None:
    ProcoreVoucherRecord.validate(pd.DataFrame([record.fields]), lazy=True)


def test_lines_by_cost_code_become_one_voucher_against_the_purchase_order():
    lines = [
        line("03-100", "1000.00"),
        line("03-200", "250.50", "49.50"),  # same account as 03-100: merged
        line("05-100", "300.00"),
        line("05-100", "0.00"),  # nothing billed this period: dropped
    ]
    record = map_requisition(inputs(lines), costs())
    assert isinstance(record, Mapped), record
    body = record.body
    assert BatchKey.of_body(body) == BatchKey("MLPROCORE", "PR1280646", "PROCORE-REQ-1280646")
    assert body["Distribution"] == [
        {
            "EDI_Line_Number": 1,
            "Account": "M30.1310",
            "Amount": "1300.00",
            "Explanation": "cost codes 03-100, 03-200",
        },
        {
            "EDI_Line_Number": 2,
            "Account": "M30.1340",
            "Amount": "300.00",
            "Explanation": "05-100 work on 05-100",
        },
    ]
    assert body["Pay_Items"] == [{"EDI_Line_Number": 1, "Gross_Amount": "1600.00", "Business_Unit": "M30"}]
    assert (body["Order_Company"], body["Order_Number"], body["Order_Type"]) == ("00200", 4711, "OP")
    assert (body["Company"], body["Supplier"], body["Currency_Code"], body["Pay_Status"]) == (
        "00200",
        4343,
        "EUR",
        "A",
    )
    assert body["Invoice_Number"] == "INV-2025-03"
    assert (body["Invoice_Date"], body["GL_Date"]) == ("2025-04-02", "2025-03-31")  # GL: the work's period
    assert body["Remark"] == "Procore invoice 19"
    assert record.depends_on is None and record.fields["waits_for"] == ""
    assert record.natural_key["target_id"] == "MLPROCORE/PR1280646/PROCORE-REQ-1280646"
    valid(record)


def test_without_an_invoice_number_the_requisition_number_stands_in():
    record = map_requisition(inputs([line("03-100", "10.00")], invoice_number=None), costs())
    assert isinstance(record, Mapped) and record.body["Invoice_Number"] == "REQ-19"


def test_this_periods_retainage_is_held_back_and_earlier_retainage_is_not_vouchered_again():
    # 10 %: 600.00 billed before (60.00 retained then); 400.00 work + 100.00 stored now -> 110.00 retained
    # to date, so 50.00 this period: the voucher pays 450.00, as Procore's current payment due says.
    retained = line(
        "03-100",
        "400.00",
        "100.00",
        work_completed_from_previous_application="600.00",
        retainage_percent="10.0",
        total_retainage="110.00",
    )
    assert line_payable(retained) == pytest.approx(450)
    record = map_requisition(inputs([retained], summary={"current_payment_due": "450.00"}), costs())
    assert isinstance(record, Mapped), record
    assert record.body["Pay_Items"][0]["Gross_Amount"] == "450.00"
    assert [d["Amount"] for d in record.body["Distribution"]] == ["450.00"]


def test_a_retainage_release_is_paid_by_the_invoice_that_releases_it():
    release = line(
        "03-100",
        "0.00",
        work_completed_from_previous_application="1000.00",
        retainage_percent="10.0",
        total_retainage="0.00",  # the 100.00 held before is released now
    )
    record = map_requisition(inputs([release]), costs())
    assert isinstance(record, Mapped) and record.body["Pay_Items"][0]["Gross_Amount"] == "100.00"


def test_a_payment_due_that_differs_from_the_lines_is_refused_with_both_figures():
    record = map_requisition(
        inputs([line("03-100", "1000.00")], summary={"current_payment_due": "900.00"}), costs()
    )
    assert isinstance(record, Rejected)
    assert "1000.00" in record.reason and "900.00" in record.reason
    assert "current payment due" in record.reason and "1280646" in record.reason
    # a cent of rounding is not a difference: the voucher is written at what Procore says is payable
    close = map_requisition(
        inputs([line("03-100", "1000.00")], summary={"current_payment_due": "999.99"}), costs()
    )
    assert isinstance(close, Mapped) and close.body["Pay_Items"][0]["Gross_Amount"] == "999.99"
    assert [d["Amount"] for d in close.body["Distribution"]] == ["999.99"]


def test_retainage_rounded_per_line_is_settled_on_the_largest_line_to_procores_payable():
    # Seven lines of 10.05 at 10 %: each line holds 1.005 -> 1.01 (half-up, per line), so the lines pay
    # 7 x 9.04 = 63.28; Procore's G702 rounds the retainage on the total (70.35 x 10 % = 7.035 -> 7.04)
    # and says 63.31 is payable. The voucher must be 63.31, the 0.03 on the largest account's line.
    def retained(code: str) -> dict[str, Any]:
        return line(code, "10.05", retainage_percent="10.0", total_retainage="1.01")

    lines = [retained("03-100")] * 2 + [retained("03-200")] * 2 + [retained("05-100")] * 3
    assert sum(line_payable(each) for each in lines) == Decimal("63.28")
    for _ in range(2):  # the same line every time: a rerun sends the same body
        record = map_requisition(inputs(lines, summary={"current_payment_due": "63.31"}), costs())
        assert isinstance(record, Mapped), record
        assert record.body["Pay_Items"][0]["Gross_Amount"] == "63.31"
        assert record.fields["gross_amount"] == "63.31"
        assert [(d["Account"], d["Amount"]) for d in record.body["Distribution"]] == [
            ("M30.1310", "36.19"),  # 4 x 9.04 = 36.16 + 0.03
            ("M30.1340", "27.12"),
        ]
    # Fewer lines cannot round that far apart: 3 cents over 2 payable lines is a real difference.
    record = map_requisition(
        inputs([retained("03-100"), retained("05-100")], summary={"current_payment_due": "18.11"}), costs()
    )
    assert isinstance(record, Rejected) and "18.08" in record.reason and "18.11" in record.reason


def test_an_unmapped_cost_code_is_named_with_its_project_and_the_others_too():
    record = map_requisition(
        inputs([line("07-100", "10.00"), line("09-300", "5.00"), line(None, "1.00")]), costs()
    )
    assert isinstance(record, Rejected)
    assert (
        f"cost code 07-100 on project {PROJECT} ({LABEL}) has no row in procore_jde/cost_code_map"
        in record.reason
    )
    # 09-300 falls back to division 09, whose account is a summary account
    assert (
        "cost code 09-300" in record.reason
        and "M30.1300" in record.reason
        and "not postable" in record.reason
    )
    assert "has no cost code" in record.reason


def test_a_project_without_a_job_is_refused():
    mapping = CostCodeMap({}, {"03-100": "{job}.1310"}, GlAccounts(F0901))
    record = map_requisition(inputs([line("03-100", "10.00")]), mapping)
    assert (
        isinstance(record, Rejected)
        and f"project {PROJECT} ({LABEL}) has no job business unit" in record.reason
    )


def test_accounts_of_another_company_than_the_job_are_refused():
    mapping = CostCodeMap({PROJECT: "M30"}, {"03-100": "9.1310"}, GlAccounts(F0901))
    record = map_requisition(inputs([line("03-100", "10.00")]), mapping)
    assert isinstance(record, Rejected) and "company 00001" in record.reason and "00200" in record.reason


def test_without_its_purchase_order_in_jde_the_voucher_is_held_on_it():
    record = map_requisition(inputs([line("03-100", "10.00")], order_id=None, an8=None), costs())
    assert isinstance(record, Mapped), record
    assert record.depends_on == PO_KEY and record.fields["waits_for"] == PO_KEY
    assert "Order_Number" not in record.body and record.fields["supplier_number"] == ""
    valid(record)  # writable once released (the replay maps it again with the order)


def test_a_vendor_without_an_address_number_holds_the_voucher_on_the_vendor():
    record = map_requisition(inputs([line("03-100", "10.00")], an8=None), costs())
    assert isinstance(record, Mapped) and record.depends_on == VENDOR_KEY
    valid(record)


def test_the_schema_refuses_a_voucher_without_supplier_or_order_that_waits_for_nothing():
    record = map_requisition(inputs([line("03-100", "10.00")]), costs())
    assert isinstance(record, Mapped)
    broken = {**record.fields, "supplier_number": ""}
    with pytest.raises(pa.errors.SchemaErrors):
        ProcoreVoucherRecord.validate(pd.DataFrame([broken]), lazy=True)


def test_a_15_digit_id_gets_a_compact_batch_key_that_fits_and_is_the_same_every_time():
    # Procore ids are 64-bit; a second region's company has 15-digit ids.
    keys = set()
    for _ in range(2):
        record = map_requisition(inputs([line("03-100", "10.00")], id=562949954702010), costs())
        assert isinstance(record, Mapped), record
        keys.add(BatchKey.of_body(record.body))
        assert record.natural_key["target_id"] == "MLPROCORE/PQ5JJRN03BUI/PROCOREQ-5JJRN03BUI"
        valid(record)
    assert keys == {BatchKey("MLPROCORE", "PQ5JJRN03BUI", "PROCOREQ-5JJRN03BUI")}
    # every 64-bit id fits EDBT A(15) / EDTN A(22); ids that fitted before keep the keys they had
    widest = BatchKey.for_requisition(str(2**64 - 1))
    assert (widest.batch, widest.transaction) == ("PQ3W5E11264SGSF", "PROCOREQ-3W5E11264SGSF")
    assert len(widest.batch) <= 15 and len(widest.transaction) <= 22
    today = BatchKey.for_requisition("9999999999")
    assert (today.batch, today.transaction) == ("PR9999999999", "PROCORE-REQ-9999999999")
    assert BatchKey.for_requisition("10000000000").transaction == "PROCOREQ-4LDQPDS"


def test_an_id_that_is_no_64_bit_procore_id_is_refused_saying_so():
    for bad in (2**64, "12ab"):
        record = map_requisition(inputs([line("03-100", "10.00")], id=bad), costs())
        assert isinstance(record, Rejected), bad
        assert "is not a 64-bit Procore id" in record.reason and "batch key" in record.reason


def test_nothing_payable_is_skipped_not_queued():
    record = map_requisition(inputs([line("03-100", "0.00"), line("05-100", "0.00")]), costs())
    assert isinstance(record, Skipped) and "nothing payable" in record.reason


def test_a_credit_is_refused_for_a_person():
    credit = line(
        "03-100",
        "0.00",
        work_completed_from_previous_application="100.00",
        total_retainage="20.00",
        retainage_percent="10.0",
    )
    record = map_requisition(inputs([credit]), costs())
    assert isinstance(record, Rejected) and "-10.00" in record.reason and "debit memo" in record.reason


def test_bad_amounts_and_dates_are_named():
    record = map_requisition(
        inputs([line("03-100", "ten")], billing_date="soon", invoice_number="X" * 26), costs()
    )
    assert isinstance(record, Rejected)
    assert "'ten' is not an amount" in record.reason
    assert "billing date 'soon'" in record.reason and "longer than JDE's 25" in record.reason


def test_a_requisition_another_process_synced_to_an_erp_is_not_vouchered_again():
    synced = requisition(origin_id="JDE-INV-1280000")
    skipped = synced_elsewhere(synced, ours=False)
    assert isinstance(skipped, Skipped) and "origin_id JDE-INV-1280000" in skipped.reason
    assert synced_elsewhere(synced, ours=True) is None  # our own voucher: changes still reach the kit
    assert synced_elsewhere(requisition(origin_id=None), ours=False) is None


def test_with_the_setting_off_the_mapped_step_maps_nothing_reads_nothing_and_says_so(monkeypatch):
    noted: dict[str, Any] = {}
    context = SimpleNamespace(
        log=SimpleNamespace(info=lambda text: None),
        add_output_metadata=lambda metadata, output_name: noted.update(metadata),
        resources=None,  # touching any resource would fail
    )
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")
    assert not vouchers_enabled()
    assert list(VOUCHERS_FLOW.map_records(context, "2025-04-02")) == []
    assert "vouchers are off" in noted["vouchers"]
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "On")
    assert vouchers_enabled()
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "maybe")
    with pytest.raises(settings.SettingError, match="ML_PROCORE_JDE_VOUCHERS='maybe': expected on or off"):
        vouchers_enabled()


def test_the_voucher_is_in_the_commitments_currency_and_names_its_jde_order():
    record = map_requisition(inputs([line("03-100", "1000.00")]), costs())
    assert isinstance(record, Mapped), record
    assert (record.body["Currency_Code"], record.fields["currency"]) == ("EUR", "EUR")
    assert (record.body["Order_Company"], record.body["Order_Number"], record.body["Order_Type"]) == (
        "00200",
        4711,
        "OP",
    )


def test_an_amount_finer_than_the_commitments_currency_is_refused_naming_the_account():
    jpy = VoucherInputs(
        **{
            **inputs([line("03-100", "1000.50")]).__dict__,
            "commitment": {"id": 881234, "currency_configuration": {"currency_iso_code": "JPY"}},
        }
    )
    record = map_requisition(jpy, costs())
    assert isinstance(record, Rejected)
    assert (
        "amount 1000.50 on account M30.1310 has more decimals than the commitment's currency JPY has (0)"
        in (record.reason)
    )
    whole = VoucherInputs(**{**jpy.__dict__, "lines": [line("03-100", "150000")]})
    mapped = map_requisition(whole, costs())
    assert isinstance(mapped, Mapped) and mapped.body["Pay_Items"][0]["Gross_Amount"] == "150000"
    valid(mapped)
