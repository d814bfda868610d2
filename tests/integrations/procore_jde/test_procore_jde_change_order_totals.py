"""A Procore change order as one line of its ``grand_total``, without a server: the
account rule (the commitment's largest line), a credit as a negative line, and the target telling a change
order added the other way (same total under its reference: nothing to do) from one changed since (refused).
Written through the kit's ``write_one``, a change order found added the other way counts as a skip, not an
update: nothing was written to JDE. Reconciled without its line items, its lines on the order are compared
with its grand_total, sign included: a credit JDE holds as a charge is named once, with both figures."""

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pandera.pandas as pa
import pytest
from bare_flows import bare_spec
from procore_jde_parts import OWN, CostCodeMap

from connector_assets.flows.core import Mapped, Unchanged, write_one
from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.procore_jde.change_order_totals import largest_line, total_line
from connector_assets.integrations.procore_jde.change_orders import PurchaseOrderLines
from connector_assets.integrations.procore_jde.order_mappers import map_change_order
from connector_assets.integrations.procore_jde.reconcile.balances import Balances
from connector_assets.integrations.procore_jde.reconcile.documents import Context
from connector_assets.integrations.procore_jde.reconcile.orders import (
    ChangeOrder,
    Commitment,
    PlannedLine,
    compare_order,
)
from connector_assets.jde.account_amounts import Amounts
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.reconcile_orders import OrderLine, ReferencedOrder
from connector_assets.jde.targets import VoucherChanged
from connector_resources.ledger import Ledger

BOOKS = CostCodeMap(
    {"*": "M30"},
    {"03": "{job}.7110.CONC"},
    GlAccounts([{"MCU": "         M30", "OBJ": "7110", "SUB": "CONC", "CO": "00001", "PEC": ""}]),
)
CHANGE_ORDER = {"id": 9001, "number": "CO-3", "title": "Deleted scope", "contract_id": 881234}


def test_the_largest_line_wins_and_a_tie_goes_to_the_first_by_position():
    lines = [
        {"id": 3, "position": 2, "amount": "900.00"},
        {"id": 1, "position": 3, "amount": "1200.00"},
        {"id": 2, "position": 1, "amount": "1200.00"},
        {"id": 4, "position": 4, "quantity": "10", "unit_cost": "100.00"},  # unit-accounted: 1000.00
    ]
    assert largest_line(lines)["id"] == 2
    assert largest_line([{"id": 9, "amount": None}, {"id": 8, "amount": "-5.00"}])["id"] == 8
    assert largest_line([]) is None


def _credit(grand_total: str = "-1500.40") -> Mapped:
    result = map_change_order(
        CHANGE_ORDER | {"grand_total": grand_total},
        [total_line(CHANGE_ORDER | {"grand_total": grand_total})],
        project="562949953432102",
        line_accounts=[BOOKS.account("562949953432102", "", "03")],
        order=("00001", 4711, "OP"),
        order_hold="procore_jde:purchase_order:procore:881234",
    )
    assert isinstance(result, Mapped), result
    return result


def test_a_credit_is_one_negative_line_with_the_change_order_s_reference():
    result = _credit()
    [line] = result.body["Lines"]
    assert (line["Quantity"], line["Unit_Cost"], line["Reference"]) == (1, "-1500.4000", "PCCO-9001")
    assert line["Account"] == "M30.7110.CONC"
    assert line["Description"] == "Deleted scope" and result.fields["total"] == "-1500.40"


class _Session:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def browse(self, table: str, **_: Any) -> list[dict[str, Any]]:
        assert table == "F4311"
        return self.rows


def _target(rows: list[dict[str, Any]]) -> PurchaseOrderLines:
    written = SimpleNamespace(target_id="00001:4711:OP:PCCO-9001")
    ledger = SimpleNamespace(get_xref=lambda *key: written)
    spec = SimpleNamespace(
        integration="procore_jde", entity="change_order", source_system="procore", target_system="JDE"
    )
    return PurchaseOrderLines(_Session(rows), ledger, "run", None, spec)  # type: ignore[arg-type]


def test_added_line_for_line_with_the_same_total_is_recognised_and_left_alone():
    lines = [{"VR01": "PCCO-9001", "AEXP": Decimal("-1000.40")}, {"VR01": "PCCO-9001", "AEXP": -500}]
    kept = _target(lines).update("00001:4711:OP:PCCO-9001", _credit())  # nothing raised, nothing written
    assert isinstance(kept, Unchanged) and "PCCO-9001 for -1500.40" in kept.reason


class _Jde(_Session):
    """F4311 as JDE holds it, and the orchestrations called (each call's lines added to F4311)."""

    def __init__(self) -> None:
        super().__init__([])
        self.calls: list[str] = []

    def orchestrate(self, name: str, inputs: dict[str, Any]) -> Any:
        self.calls.append(name)
        for line in inputs["Lines"]:
            amount = Decimal(line["Unit_Cost"]) * line["Quantity"]
            self.rows.append({"VR01": line["Reference"], "AEXP": amount})
        return SimpleNamespace(outputs={})


class _NoFields(pa.DataFrameModel):
    pass


def test_a_change_order_found_added_the_other_way_is_a_skip_not_an_update(tmp_path):
    spec = bare_spec("procore_jde_test", "change_orders", "change_order", "procore", "JDE", _NoFields)
    ledger, jde = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}"), _Jde()

    def write(record: Mapped) -> Any:
        target = PurchaseOrderLines(jde, ledger, "run", None, spec)
        return write_one(spec, target, ledger, record, run_id="run", partition=None)

    line_for_line = map_change_order(
        CHANGE_ORDER | {"grand_total": "-1500.40"},
        [{"amount": "-1000.40", "description": "a"}, {"amount": "-500.00", "description": "b"}],
        project="562949953432102",
        line_accounts=[BOOKS.account("562949953432102", "", "03")] * 2,
        order=("00001", 4711, "OP"),
        order_hold="procore_jde:purchase_order:procore:881234",
    )
    assert isinstance(line_for_line, Mapped), line_for_line
    assert write(line_for_line).action == "create" and len(jde.rows) == 2
    as_its_total = write(_credit())  # the setting changed: the same change order, mapped as its total
    assert (as_its_total.action, as_its_total.target_id) == ("skip", "00001:4711:OP:PCCO-9001")
    assert "added the other way" in as_its_total.reason
    assert jde.calls == ["ML_UpdatePurchaseOrder"] and len(jde.rows) == 2  # nothing written the second time
    assert write(_credit()).action == "skip"  # the ledger keeps the new mapping: no read of JDE needed


def test_a_change_order_changed_since_its_lines_were_added_is_still_refused():
    with pytest.raises(VoucherChanged, match="after its lines were added"):
        _target([{"VR01": "PCCO-9001", "AEXP": Decimal("-1400.40")}]).update(
            "00001:4711:OP:PCCO-9001", _credit()
        )


def _reconciled_credit(jde_cents: dict[str, int]) -> Report:
    """Commitment 881234 (1,000.00 on M30.7110.CONC) with change order 9001, a credit of -1,500.40 whose
    line items are not read, against a JDE order holding ``jde_cents`` (account -> cents) under PCCO-9001."""
    account = "M30.7110.CONC"
    committed, as_total = Amounts(), Amounts()
    committed.add(account, "03", Decimal("1000.00"))
    as_total.add(account, "03", Decimal("-1500.40"))
    change_order = ChangeOrder("change order CO-3 (9001)", Decimal("-1500.40"), None, as_total)
    side = Commitment("881234", {}, "55", "project 55", "commitment PO-7 (881234)", committed, {})
    side.change_orders["9001"] = change_order
    side.lines.append(PlannedLine(1, Decimal("1000.00"), "03", account))
    order = ReferencedOrder("00001:4711:OP", "PC-881234", "1011", business_unit="M30")
    order.add(OrderLine(Decimal(1), "PC-881234", account, Decimal("1000.00"), "220", "280", False), "PCCO-")
    for number, (where, cents) in enumerate(jde_cents.items(), start=2):
        line = OrderLine(Decimal(number), "PCCO-9001", where, Decimal(cents) / 100, "220", "280", False)
        order.add(line, "PCCO-")
    report = Report(("Procore", "JDE"))
    context = Context(OWN, report, Balances(), BOOKS, None, {}, {}, {})  # type: ignore[arg-type]
    compare_order(context, side, order, billed=False)
    return report


def test_without_line_items_a_change_order_on_its_order_for_its_grand_total_reconciles():
    split = _reconciled_credit({"M30.7110.CONC": -100040, "M30.7120": -50000})  # added line for line
    assert split.differences == [] and split.counts["change_orders_on_order_as_total"] == 1


def test_without_line_items_a_credit_jde_holds_as_a_charge_is_named_once_with_both_figures():
    report = _reconciled_credit({"M30.7110.CONC": 150040})  # the sign lost in JDE
    [difference] = report.differences  # not again as an account difference of the order
    assert difference.kind == "change order amount" and difference.field == "grand_total"
    assert difference.counterpart == "order 4711 OP 00001 lines PCCO-9001"
    assert difference.values == ("-1,500.40", "1,500.40")
    assert difference.words == (
        "change order CO-3 (9001) of commitment PO-7 (881234), approved in Procore for -1,500.40 (its "
        "grand_total), is on JDE order 4711 OP 00001 for 1,500.40 (lines PCCO-9001): JDE holds 3,000.80 "
        "more than Procore approves"
    )
