"""JDE purchase orders -> Procurify requisitions (``jde_procurify.purchase_orders``).

Pure mapper tests first (which orders are approved, lines and amounts, the revision of a purchased
order's PO), then runs through Dagster against the JDE and Procurify simulators on ephemeral ports: a new
approved order is held until its supplier syncs, then created once and skipped after; a crash after the
create is adopted by its description; an unmapped account is refused naming it; a changed order revises
its linked PO, and what the API cannot do is queued with the reason.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector_assets.integrations.jde_procurify.departments import (
    DEPARTMENTS,
    Placement,
    ProcurifyDepartments,
    placement,
)
from connector_assets.integrations.jde_procurify.order_mappers import (
    OrderPolicy,
    all_done,
    line_amounts,
    line_name,
    not_approved,
    order_description,
    order_source_key,
    requisition_body,
    requisition_lines,
    revision,
)

POLICY = OrderPolicy(frozenset({"OP"}), approved_status=220, closed_status=980, stock_account="{bu}.1410")
HEADER = {
    "KCOO": "00001",
    "DOCO": 4011,
    "DCTO": "OP",
    "SFXO": "000",
    "MCU": "         M30",
    "AN8": 4343,
    "CRCD": "USD",
    "HOLD": " ",
    "DRQJ": "2025-03-20",
    "TRDJ": "2025-03-01",
}


def line(lnid: str, **values: object) -> dict[str, object]:
    base: dict[str, object] = {
        "LNID": lnid,
        "LNTY": "J",
        "ANI": "M30.6110",
        "MCU": "         M30",
        "DSC1": "Safety gloves",
        "UOM": "BX",
        "UORG": "10",
        "PRRC": "24.5000",
        "AEXP": "245.00",
        "LTTR": "220",
        "NXTR": "280",
    }
    return {**base, **values}


# -- pure -----------------------------------------------------------------------------------------------


def test_an_order_is_keyed_and_described_by_its_number_type_and_company_only():
    assert order_source_key(HEADER) == "00001:4011:OP"
    assert order_source_key({**HEADER, "SFXO": "001"}) == "00001:4011:OP:001"
    assert order_description(HEADER) == "JDE order 4011 OP (company 00001)"
    assert order_description({**HEADER, "DESC": "changed", "AN8": 1}) == order_description(HEADER)


def test_only_an_order_off_hold_with_every_live_line_approved_is_sent():
    approved = [line("1.0"), line("2.0", LTTR="280", NXTR="400")]
    assert not_approved(HEADER, approved, POLICY) is None
    assert not_approved({**HEADER, "HOLD": "A1"}, approved, POLICY) == "on hold in JDE (F4301 hold code A1)"
    waiting = [line("1.0"), line("2.0", LTTR="210", NXTR="220")]
    assert not_approved(HEADER, waiting, POLICY) == "line(s) 2 not approved yet (last status below 220)"
    # A cancelled line neither blocks nor counts; an order of cancelled lines only is not approved.
    assert not_approved(HEADER, [line("1.0"), line("2.0", LTTR="980", NXTR="999")], POLICY) is None
    assert not_approved(HEADER, [line("1.0", LTTR="980", NXTR="999")], POLICY) == "every line is cancelled"
    assert all_done([line("1.0", LTTR="400", NXTR="999"), line("2.0", LTTR="980", NXTR="999")], POLICY)
    assert not all_done(approved, POLICY)


def test_a_line_goes_as_ordered_when_procurify_can_hold_it_to_the_cent_else_one_unit_at_jde_s_extended_cost():
    assert line_amounts(line("1.0")) == (Decimal("10.00"), Decimal("24.50"), True)
    fractional = line("1.0", UORG="250", PRRC="63.2671", AEXP="15816.77", LNTY="S", ANI="", LITM="CEM-25")
    assert line_amounts(fractional) == (Decimal("1.00"), Decimal("15816.77"), False)
    assert line_name(fractional) == "Safety gloves (CEM-25) (250 x 63.2671)"


def test_requisition_lines_name_the_vendor_code_and_jde_line_and_refuse_an_account_without_a_code():
    lines = [
        line("1.0"),
        line("2.0", LNTY="S", ANI="", LITM="CEM-25", DSC1="Cement 25kg"),
        line("3.0", LTTR="980", NXTR="999"),
    ]
    codes = {"M30.6110": "6100", "M30.1410": "M30.1410"}
    mapped = requisition_lines(HEADER, lines, POLICY, codes, "Granite Supply Co")
    assert not mapped.problems
    assert [li["sku"] for li in mapped.lines] == ["JDE 4011 line 1", "JDE 4011 line 2"]  # line 3 cancelled
    first = mapped.lines[0]
    assert first == {
        "item_name": "Safety gloves",
        "sku": "JDE 4011 line 1",
        "vendor_name": "Granite Supply Co",
        "account_code": "6100",
        "unit_price": "24.50",
        "quantity": "10.00",
        "unit": "BX",
        "custom_fields": [],
        "currency_code": "USD",
    }
    assert mapped.lines[1]["account_code"] == "M30.1410"  # the stock account, {bu} = the branch/plant
    refused = requisition_lines(HEADER, [line("1.0", ANI="M30.6990")], POLICY, {"M30.6990": None}, "X")
    assert refused.problems == ["line 1: account M30.6990 has no Procurify account code"]
    body = requisition_body(HEADER, "Seattle Branch", "Operations", mapped.lines)
    assert body["description"] == "JDE order 4011 OP (company 00001)"
    assert (body["location_name"], body["department_name"], body["required_date"]) == (
        "Seattle Branch",
        "Operations",
        "2025-03-20",
    )


def _po(state: int = 0, **first: object) -> dict[str, object]:
    return {
        "procurify_PO": 1187,
        "state": state,
        "pref_vendor": {"id": 2041},
        "order_items": [
            {
                "id": 71,
                "PO_line_num": 1,
                "sku": "JDE 4011 line 1",
                "name": "Safety gloves",
                "quantity": "10.00",
                "price": "24.50",
                "account": {"account_code": {"code": "6100"}},
                **first,
            },
            {"id": 72, "PO_line_num": 2, "sku": "JDE 4011 line 2", "name": "Rope", "quantity": "1"}
            | {"price": "9"},
        ],
    }


def _body(*lines: dict[str, object]) -> dict[str, object]:
    codes = {"M30.6110": "6100"}
    return requisition_body(
        HEADER, "L", "D", requisition_lines(HEADER, list(lines), POLICY, codes, "Granite").lines
    )


def test_a_changed_order_revises_quantity_price_and_name_of_matching_lines_and_names_what_the_api_cannot():
    changed = _body(
        line("1.0", UORG="12", AEXP="294.00", DSC1="Safety gloves XL"),
        line("2.0", DSC1="Rope", UORG="1", PRRC="9", AEXP="9.00"),
    )
    plan = revision(_po(), changed, "2041", "00001:4011:OP")
    assert plan.order_items == [{"id": 71, "quantity": "12.00", "name": "Safety gloves XL"}]
    assert plan.problems == []
    added = _body(line("1.0"), line("2.0", DSC1="Rope", UORG="1", PRRC="9", AEXP="9.00"), line("3.0"))
    problems = revision(_po(), added, "2041", "k").problems
    assert len(problems) == 1 and "line 3 was added in JDE" in problems[0]
    assert "'JDE 4011 line 3'" in problems[0]
    removed = revision(_po(), _body(line("1.0")), "2041", "k").problems
    assert len(removed) == 1 and "line 2 (Rope) is cancelled or gone in JDE" in removed[0]
    closed = revision(_po(state=3), changed, "2041", "k")
    assert closed.order_items == [] and "PO 1187 is closed" in closed.problems[0]
    other_vendor = revision(_po(), changed, "9999", "k").problems
    assert "cannot change a PO's vendor" in other_vendor[0]


def test_the_department_table_places_a_business_unit_and_procurify_s_departments_check_the_names():
    table = DEPARTMENTS.read()
    assert placement("         M30", table) == Placement("Seattle Branch", "Operations")
    assert placement("ZZZ", table) is None
    default = {**table, "*": "Head Office|Operations"}
    assert placement("ZZZ", default) == Placement("Head Office", "Operations")
    known = ProcurifyDepartments(
        [
            {"name": "Operations", "branch": {"name": "Seattle Branch"}, "active": True},
            {"name": "Finance", "branch": {"name": "Seattle Branch"}, "active": False},
        ]
    )
    assert known.problem(Placement("Seattle Branch", "Operations"), "M30") is None
    assert "inactive" in (known.problem(Placement("Seattle Branch", "Finance"), "M30") or "")
    assert "no location named 'Atlantis'" in (known.problem(Placement("Atlantis", "Operations"), "M30") or "")


def test_a_malformed_department_row_is_refused_naming_the_line(tmp_path, monkeypatch: pytest.MonkeyPatch):
    bad = tmp_path / "departments.csv"
    bad.write_text("jde_business_unit,procurify_department\nM30,Seattle Branch\n", encoding="utf-8")
    monkeypatch.setenv("ML_JDE_PROCURIFY_DEPARTMENT_MAP", str(bad))
    with pytest.raises(ValueError, match="line 2: jde_business_unit M30 .* Location name\\|Department name"):
        DEPARTMENTS.read()
