"""Procore commitments and change orders -> JDE purchase order inputs: the pure mappers, on a small F0901
and real ``CostCodeMap`` refusals (so the reasons a finance user reads are the ones the flow produces)."""

from dataclasses import replace
from decimal import Decimal

import pytest
from procore_jde_accounts import LABEL, M30_ACCOUNTS
from procore_jde_parts import CHANGE_ORDERS_FLOW, PURCHASE_ORDERS_FLOW, CostCodeMap

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.integrations.procore_jde.order_mappers import (
    OrderTypes,
    map_change_order,
    map_commitment,
)
from connector_assets.jde.accounts import GlAccounts
from connector_assets.procore.document_fields import line_cost_code

PROJECT = "562949953432102"
HOLD = "procore_jde:vendor:procore:77"
BOOKS = CostCodeMap(
    {"*": "M30"},
    {"03": "{job}.7110.CONC", "01": "{job}.7120", "09": "M30.7000", "05": "M30.7999"},
    GlAccounts(M30_ACCOUNTS),
)
TYPES = OrderTypes("OP", "OS")


def commitment(**changes):
    record = {
        "id": 881234,
        "number": "PO-007",
        "title": "Rebar supply",
        "_commitment_type": "PurchaseOrderContract",
        "vendor": {"id": 77, "company": "Granite Supply Co"},
        "project": {"id": int(PROJECT), "name": LABEL},
        "contract_date": "2025-03-01",
        "accounting_method": "amount",
        "currency_configuration": {"currency_iso_code": "eur"},
    }
    return {**record, **changes}


def line(code="03", **fields):
    return {"description": "Rebar", "_cost_code": code, **fields}


def mapped(record, lines, an8="4343"):
    accounts = [BOOKS.account(PROJECT, LABEL, line_cost_code(x, {}) or "") for x in lines]
    return map_commitment(
        record,
        lines,
        job=BOOKS.job(PROJECT, LABEL),
        line_accounts=accounts,
        an8=an8,
        vendor_hold=HOLD,
        order_types=TYPES,
    )


def test_an_amount_accounted_commitment_is_one_line_per_sov_line_at_quantity_one():
    result = mapped(commitment(), [line(amount="12500.00"), line("01", amount="300.50", description="Site")])
    assert isinstance(result, Mapped) and result.depends_on is None
    body = result.body
    assert body["Order_Company"] == "00001" and body["Business_Unit"] == "M30" and body["Order_Type"] == "OP"
    assert body["Supplier"] == 4343 and body["Order_Date"] == "2025-03-01" and body["Currency_Code"] == "EUR"
    assert body["Reference"] == "PC-881234" and body["Remark"] == "PO-007 Rebar supply"
    assert body["Lines"] == [
        {
            "Line_Type": "J",
            "Description": "Rebar",
            "Quantity": 1,
            "Unit_Cost": "12500.0000",
            "Account": "M30.7110.CONC",
        },
        {
            "Line_Type": "J",
            "Description": "Site",
            "Quantity": 1,
            "Unit_Cost": "300.5000",
            "Account": "M30.7120",
        },
    ]
    assert result.fields["total"] == "12800.50" and result.fields["lines"] == 2


def test_a_unit_accounted_line_keeps_its_whole_quantity_and_unit_cost():
    record = commitment(accounting_method="unit")
    result = mapped(record, [line(quantity="40", unit_cost="12.3456", amount="493.82", uom="EA")])
    assert isinstance(result, Mapped)
    assert result.body["Lines"][0] | {"Account": None} == {
        "Line_Type": "J",
        "Description": "Rebar",
        "Quantity": 40,
        "Unit_Cost": "12.3456",
        "Account": None,
    }


def test_a_fractional_quantity_goes_as_one_at_the_line_amount_and_the_line_says_so():
    record = commitment(accounting_method="unit")
    lines = [
        line(
            quantity="2.5",
            unit_cost="40.00",
            amount="100.00",
            uom="TON",
            description="Reinforcing steel bars",
        )
    ]
    result = mapped(record, lines)
    assert isinstance(result, Mapped)
    only = result.body["Lines"][0]
    assert only["Quantity"] == 1 and only["Unit_Cost"] == "100.0000"
    assert "2.5 TON @40" in only["Description"] and len(only["Description"]) <= 30
    assert only["Description"].startswith("Reinforcing")


def test_a_zero_quantity_unit_line_is_refused():
    result = mapped(commitment(accounting_method="unit"), [line(quantity="0", unit_cost="5", amount="0.00")])
    assert isinstance(result, Rejected) and "quantity 0" in result.reason


def test_every_unresolved_account_is_named_with_cost_code_project_and_account():
    lines = [
        line("99", amount="1.00", description="Paint"),
        line("09", amount="2.00"),
        line("05", amount="3.00"),
    ]
    result = mapped(commitment(), lines)
    assert isinstance(result, Rejected) and result.source_key == "881234"
    reason = result.reason
    assert reason.startswith("commitment 881234 (PO-007 Rebar supply) on project 562949953432102")
    assert f"cost code 99 on project {PROJECT} ({LABEL}) has no row in procore_jde/cost_code_map" in reason
    assert "maps to account M30.7000, which is not postable (posting edit code N" in reason
    assert "maps to account M30.7999, not found in F0901" in reason
    assert "line 1 (Paint)" in reason


def test_a_line_without_a_cost_code_is_refused():
    result = mapped(commitment(), [line(None, amount="1.00")])
    assert isinstance(result, Rejected) and "has no cost code" in result.reason


def test_an_unknown_project_job_is_refused_naming_the_project():
    books = CostCodeMap({"1": "M30"}, {"03": "{job}.7110.CONC"}, GlAccounts(M30_ACCOUNTS))
    lines = [line(amount="1.00")]
    result = map_commitment(
        commitment(),
        lines,
        job=books.job(PROJECT, LABEL),
        line_accounts=[books.account(PROJECT, LABEL, "03")],
        an8="4343",
        vendor_hold=HOLD,
        order_types=TYPES,
    )
    assert (
        isinstance(result, Rejected)
        and f"project {PROJECT} ({LABEL}) has no job business unit" in result.reason
    )


def test_a_vendor_without_a_jde_number_holds_the_order_on_the_vendor():
    result = mapped(commitment(), [line(amount="5.00")], an8=None)
    assert isinstance(result, Mapped) and result.depends_on == HOLD
    assert result.body["Supplier"] is None and result.fields["supplier"] is None


def test_order_type_follows_the_kind_of_commitment():
    work = mapped(commitment(_commitment_type="WorkOrderContract"), [line(amount="5.00")])
    assert isinstance(work, Mapped) and work.body["Order_Type"] == "OS"
    odd = mapped(commitment(_commitment_type="PrimeContract"), [line(amount="5.00")])
    assert isinstance(odd, Rejected) and "neither a purchase order nor a work order" in odd.reason


def test_a_long_number_and_title_are_cut_to_the_remark_s_30_characters():
    record = commitment(
        number="SC-2025-000123", title="Structural steel erection, levels 3 to 9, incl. cranage"
    )
    result = mapped(record, [line(amount="5.00", description="x" * 50)])
    assert isinstance(result, Mapped)
    assert result.body["Remark"] == "SC-2025-000123 Structural stee" and len(result.body["Remark"]) == 30
    assert result.body["Lines"][0]["Description"] == "x" * 30


def test_a_commitment_without_contract_date_or_lines_is_refused():
    result = mapped(commitment(contract_date=None), [])
    assert isinstance(result, Rejected)
    assert (
        "contract date None is not a date" in result.reason and "no schedule of values lines" in result.reason
    )


def change_order(**changes):
    return {"id": 9001, "number": "CO-3", "title": "Extra rebar", "contract_id": 881234, **changes}


def mapped_change(lines, order=("00001", 4711, "OP")):
    accounts = [BOOKS.account(PROJECT, LABEL, line_cost_code(x, {}) or "") for x in lines]
    return map_change_order(
        change_order(),
        lines,
        project=PROJECT,
        line_accounts=accounts,
        order=order,
        order_hold="procore_jde:purchase_order:procore:881234",
    )


def test_a_change_order_adds_quantity_one_lines_with_its_reference():
    result = mapped_change([line(amount="600.00"), line("01", amount="-150.25", description="Credit")])
    assert isinstance(result, Mapped) and result.depends_on is None
    assert result.body["Order_Number"] == 4711 and result.body["Order_Company"] == "00001"
    assert [(x["Quantity"], x["Unit_Cost"], x["Account"], x["Reference"]) for x in result.body["Lines"]] == [
        (1, "600.0000", "M30.7110.CONC", "PCCO-9001"),
        (1, "-150.2500", "M30.7120", "PCCO-9001"),
    ]
    assert Decimal(result.fields["total"]) == Decimal("449.75")


def test_a_change_order_waits_for_its_commitment_s_order():
    result = mapped_change([line(amount="600.00")], order=None)
    assert isinstance(result, Mapped) and result.depends_on == "procore_jde:purchase_order:procore:881234"


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ([line("99", amount="1.00")], f"cost code 99 on project {PROJECT} ({LABEL}) has no row"),
        ([], "has no line items in Procore"),
        ([line(amount="lots")], "amount 'lots' is not an amount"),
    ],
)
def test_a_change_order_that_cannot_be_added_whole_is_refused(lines, words):
    result = mapped_change(lines)
    assert isinstance(result, Rejected) and words in result.reason
    assert result.reason.startswith("change order 9001 (CO-3 Extra rebar) of commitment 881234")


def test_held_and_ready_records_pass_their_flow_s_schema():
    from connector_assets.flows.core import validate

    def with_project(record):
        return Mapped(
            record.source_key,
            record.body,
            {**record.fields, "project_id": PROJECT},
            depends_on=record.depends_on,
        )

    orders = [with_project(mapped(commitment(), [line(amount="5.00")], an8=a)) for a in ("4343", None)]
    assert not validate(PURCHASE_ORDERS_FLOW, orders).rejected
    changes = [
        with_project(mapped_change([line(amount="-5.00")], order=o)) for o in (("00001", 4711, "OP"), None)
    ]
    # The flow adds the digest of the change order as Procore listed it (change_orders.procore_version).
    changes = [replace(c, fields={**c.fields, "procore_version": "0" * 64}) for c in changes]
    assert not validate(CHANGE_ORDERS_FLOW, changes).rejected
    long = with_project(mapped(commitment(), [line(amount="5.00")]))
    broken = Mapped(long.source_key, long.body, {**long.fields, "order_date": "01.03.2025"})
    assert "order_date" in validate(PURCHASE_ORDERS_FLOW, [broken]).rejected[0].reason
