"""The JDE purchase-order targets against the JDE simulator over loopback, written through the kit's own
``write_one`` and ledger: an order created once and adopted (not created twice) after a run died between
JDE's answer and the ledger write; its header kept up to date while its lines are left alone; lines added
to it found again by their line reference (F4311.VR01) and never added twice; and JDE's refusals told in a
finance user's words. What JDE holds is read back through the data service."""

from decimal import Decimal
from functools import partial
from typing import Any

import pandera.pandas as pa
import pytest
import sqlalchemy as sa
from bare_flows import bare_spec
from sandbox_logins import on_simulator

from connector_assets.flows.core import FlowSpec, Mapped, write_one
from connector_assets.jde.purchase_orders import (
    PO_HEADER_TABLE,
    PO_LINE_TABLE,
    PurchaseOrderLines,
    PurchaseOrders,
    parse_order_id,
)
from connector_assets.jde.targets import JdeRefused, VoucherChanged
from connector_resources.jde import Condition, JdeAisResource
from connector_resources.ledger import Ledger
from connector_resources.missing_records import MissingRecord
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from tests.sandbox.serving import served

pytestmark = pytest.mark.timeout(600)  # a simulator and Dagster runs: load 15 too

SUPPLIER = 1011  # in the JDE sandbox's F0401 at every scale


class NoFields(pa.DataFrameModel):
    pass


def _spec(entity: str) -> FlowSpec:
    return bare_spec("jde_po_test", f"{entity}s", entity, "source", "JDE", NoFields)


ORDERS, LINES = _spec("purchase_order"), _spec("change_order")


@pytest.fixture(scope="module")
def jde():
    yield from served(run_in_thread(JdeSandboxSettings(scale=0.02)), partial(on_simulator, JdeAisResource))


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'ledger.sqlite'}")


@pytest.fixture(scope="module")
def accounts(jde) -> dict[str, Any]:
    """A company of the sandbox, one of its business units, two postable accounts and a non-postable one."""
    with jde.session() as session:
        rows = list(session.browse("F0901", columns=["CO", "MCU", "OBJ", "SUB", "PEC"]))
    company = "00001"

    def text(row):
        return ".".join(p for p in (row["MCU"].strip(), row["OBJ"].strip(), row["SUB"].strip()) if p)

    postable = [r for r in rows if r["CO"] == company and r["PEC"] == "" and r["OBJ"].strip()]
    closed = next(r for r in rows if r["CO"] == company and r["PEC"] == "N")
    return {
        "company": company,
        "business_unit": postable[0]["MCU"].strip(),
        "postable": [text(r) for r in postable[:2]],
        "not_postable": text(closed),
    }


def _order(source_key: str, accounts: dict[str, Any], **changes: Any) -> Mapped:
    body = {
        "Order_Company": accounts["company"],
        "Order_Type": "OS",
        "Business_Unit": accounts["business_unit"],
        "Supplier": SUPPLIER,
        "Order_Date": "2026-03-02",
        "Requested_Date": "2026-03-16",
        "Reference": f"PC-{source_key}",
        "Remark": "SC-001 Drywall",
        "Lines": [
            {"Description": "Drywall labor", "Quantity": "1", "Unit_Cost": "12500.00", "Account": account}
            for account in accounts["postable"]
        ],
        **changes,
    }
    return Mapped(source_key=source_key, body=body, fields={})


def _added(order_id: str, reference: str, accounts: dict[str, Any], cost: str = "800.00") -> Mapped:
    company, number, order_type = parse_order_id(order_id)
    body = {
        "Order_Company": company,
        "Order_Number": number,
        "Order_Type": order_type,
        "Lines": [
            {
                "Description": "CO: extra framing",
                "Quantity": "2",
                "Unit_Cost": cost,
                "Account": account,
                "Requested_Date": "2026-04-01",
                "Reference": reference,
            }
            for account in accounts["postable"]
        ],  # fmt: skip
    }
    return Mapped(source_key=reference, body=body, fields={})


def _headers(session, reference: str) -> list[dict[str, Any]]:
    return list(
        session.browse(
            PO_HEADER_TABLE,
            columns=["KCOO", "DOCO", "DCTO", "AN8", "VR01", "RMK", "DRQJ"],
            conditions=[Condition(f"{PO_HEADER_TABLE}.VR01", "EQUAL", reference)],
        )
    )


def _lines(session, order_id: str, reference: str | None = None) -> list[dict[str, Any]]:
    company, number, order_type = parse_order_id(order_id)
    conditions = [
        Condition(f"{PO_LINE_TABLE}.KCOO", "EQUAL", company),
        Condition(f"{PO_LINE_TABLE}.DOCO", "EQUAL", number),
        Condition(f"{PO_LINE_TABLE}.DCTO", "EQUAL", order_type),
    ]
    if reference:
        conditions.append(Condition(f"{PO_LINE_TABLE}.VR01", "EQUAL", reference))
    return list(
        session.browse(PO_LINE_TABLE, columns=["LNID", "VR01", "PRRC", "UORG", "DSC1"], conditions=conditions)
    )


def _actions(ledger: Ledger, source_key: str) -> list[str]:
    with ledger.engine.begin() as conn:
        return list(
            conn.execute(
                sa.text(
                    "select action from mlc_audit_event where integration = 'jde_po_test' and source_id = :k "
                    "order by id"
                ),
                {"k": source_key},
            ).scalars()
        )


class DiesAfterCreate:
    """The target as a run sees it when the run dies right after JDE answered, before the ledger wrote."""

    def __init__(self, target) -> None:
        self.target = target

    def find(self, record: Mapped) -> str | None:
        return self.target.find(record)

    def create(self, record: Mapped) -> Any:
        self.target.create(record)
        raise KeyboardInterrupt("the run died before the ledger recorded the order")


def _write(spec: FlowSpec, target, ledger: Ledger, record: Mapped):
    return write_one(spec, target, ledger, record, run_id="test-run", partition=None)


@pytest.fixture(scope="module")
def written_order(jde, ledger, accounts) -> str:
    """An order a first run created in JDE and died before recording; the rerun adopts it."""
    record = _order("562949953421901", accounts)
    with jde.session() as session:
        with pytest.raises(KeyboardInterrupt):
            _write(
                ORDERS, DiesAfterCreate(PurchaseOrders(session, ledger, "r1", None, ORDERS)), ledger, record
            )
        assert len(_headers(session, "PC-562949953421901")) == 1
        result = _write(ORDERS, PurchaseOrders(session, ledger, "r2", None, ORDERS), ledger, record)
    assert result.action == "adopt", result
    return result.target_id


def test_an_order_a_dead_run_created_is_adopted_not_created_again(jde, ledger, written_order):
    company, number, order_type = parse_order_id(written_order)
    assert (company, order_type) == ("00001", "OS") and number >= 4000
    with jde.session() as session:
        [header] = _headers(session, "PC-562949953421901")
        assert (header["DOCO"], header["AN8"], header["DCTO"]) == (number, SUPPLIER, "OS")
        assert len(_lines(session, written_order)) == 2
    assert _actions(ledger, "562949953421901") == ["adopt"]


def test_a_new_order_is_created_and_its_id_is_jdes_order_key(jde, ledger, accounts):
    record = _order("562949953421902", accounts, Order_Type="OP", Reference="PC-562949953421902")
    with jde.session() as session:
        target = PurchaseOrders(session, ledger, "r3", None, ORDERS)
        assert target.find(record) is None
        result = _write(ORDERS, target, ledger, record)
        assert result.action == "create"
        [header] = _headers(session, "PC-562949953421902")
        assert result.target_id == f"00001:{header['DOCO']}:OP"
        assert target.find(record) == result.target_id  # a later search finds it by VR01


def test_a_changed_order_updates_its_header_and_leaves_its_lines_alone(jde, ledger, accounts, written_order):
    changed = _order(
        "562949953421901",
        accounts,
        Remark="SC-001 Drywall rev 2",
        Requested_Date="2026-05-04",
        Lines=[
            {
                "Description": "changed",
                "Quantity": "3",
                "Unit_Cost": "1.00",
                "Account": accounts["postable"][0],
            }
        ],
    )
    with jde.session() as session:
        before = _lines(session, written_order)
        result = _write(ORDERS, PurchaseOrders(session, ledger, "r4", None, ORDERS), ledger, changed)
        assert (result.action, result.target_id) == ("update", written_order)
        [header] = _headers(session, "PC-562949953421901")
        assert header["RMK"].strip() == "SC-001 Drywall rev 2"
        assert header["DRQJ"].isoformat() == "2026-05-04"
        assert _lines(session, written_order) == before


def test_added_lines_carry_their_reference_and_are_never_added_twice(jde, ledger, accounts, written_order):
    record = _added(written_order, "PCCO-562949953430001", accounts)
    with jde.session() as session:
        target = PurchaseOrderLines(session, ledger, "r5", None, LINES)
        assert target.find(record) is None
        with pytest.raises(KeyboardInterrupt):
            _write(LINES, DiesAfterCreate(target), ledger, record)
        result = _write(LINES, PurchaseOrderLines(session, ledger, "r6", None, LINES), ledger, record)
        assert (result.action, result.target_id) == ("adopt", f"{written_order}:PCCO-562949953430001")
        added = _lines(session, written_order, "PCCO-562949953430001")
        assert len(added) == 2 and {line["DSC1"].strip() for line in added} == {"CO: extra framing"}
        assert len(_lines(session, written_order)) == 4  # the order's own 2 lines and the 2 added once
        # The same record again: unchanged, nothing sent.
        assert _write(LINES, target, ledger, record).action == "skip"
        # Changed after it was applied: refused, a person decides; JDE keeps the lines it has.
        with pytest.raises(VoucherChanged, match="after its lines were added to JDE purchase order"):
            _write(LINES, target, ledger, _added(written_order, "PCCO-562949953430001", accounts, "900.00"))
        assert len(_lines(session, written_order)) == 4


def test_a_deduction_is_added_as_a_line_with_a_negative_unit_cost(jde, accounts, written_order):
    record = _added(written_order, "PCCO-562949953430003", accounts, cost="-250.00")
    with jde.session() as session:
        target = PurchaseOrderLines(session, None, None, None)
        assert target.create(record) == f"{written_order}:PCCO-562949953430003"
        added = _lines(session, written_order, "PCCO-562949953430003")
        assert [(line["UORG"], line["PRRC"]) for line in added] == [(2, Decimal("-250.0000"))] * 2


def test_lines_for_an_order_jde_does_not_have_are_held_on_the_order_as_59a6(jde, accounts):
    """JDE's 59A6 is a missing record, not a refusal for good: the lines wait on the order (sent once it
    exists), in words naming the order and JDE's reason."""
    record = _added("00001:99999999:OP", "PCCO-562949953430002", accounts)
    with jde.session() as session:
        target = PurchaseOrderLines(session, None, None, None)
        held = pytest.raises(
            MissingRecord, match=r"purchase order 00001 99999999 OP: the purchase order does not exist"
        )
        with held as caught:
            target.create(record)
    assert caught.value.depends_on == "JDE:order:F4301:00001/99999999/OP"
    assert "JDE 59A6" in str(caught.value) and "check the order in JDE" in str(caught.value)


def test_an_order_on_a_non_postable_account_is_refused_as_59a3_and_nothing_is_written(jde, accounts):
    record = _order(
        "562949953421903",
        accounts,
        Lines=[{"Quantity": "1", "Unit_Cost": "10.00", "Account": accounts["not_postable"]}],
    )
    with jde.session() as session:
        target = PurchaseOrders(session, None, None, None)
        with pytest.raises(JdeRefused, match=r"an account is not postable in JDE \(JDE 59A3") as caught:
            target.create(record)
        assert str(caught.value).startswith(f"purchase order PC-562949953421903 for supplier {SUPPLIER}: ")
        assert accounts["not_postable"] in str(caught.value)
        assert target.find(record) is None and not _headers(session, "PC-562949953421903")


def test_an_order_under_the_reference_for_another_supplier_is_not_adopted_nor_doubled(
    jde, accounts, written_order
):
    other = _order("562949953421901", accounts, Supplier=1018)
    with (
        jde.session() as session,
        pytest.raises(VoucherChanged, match=r"for supplier\(s\) \[1011\], not supplier 1018"),
    ):
        PurchaseOrders(session, None, None, None).find(other)


def test_order_ids_parse_from_orders_and_added_lines():
    assert parse_order_id("00001:4711:OP") == ("00001", 4711, "OP")
    assert parse_order_id("00001:4711:OS:PCCO-12") == ("00001", 4711, "OS")
    for bad in ("00001:4711", "00001:x:OP", ":4711:OP", "00001:0:OP"):
        with pytest.raises(ValueError, match="is not a JDE order key"):
            parse_order_id(bad)
