"""JDE <-> Procurify flows against servers other than our sandboxes' defaults: what the references
(``docs/reference/procurify.md``, ``docs/reference/jde-ais.md``) leave open, played both ways.

* JDE: the in-list operator's JSON spelling is unconfirmed (jde-ais 2.5). With the JDE simulator refusing
  ``BETWEEN`` / ``LIST`` / ``STR_CONTAIN`` / ``STR_END_WITH`` (setting ``unconfirmed_operators=False``) the
  bills flow posts, and the paid-marks flow finds a paid voucher of a Procurify bill and marks it once.
* Procurify ``mark-as-paid``: its answer is undocumented. A 204 without a body (variant
  ``mark_as_paid_answer=no_content``) marks the bill once (the bill, read back, says Paid); a 204 that
  paid nothing (variant ``mark_as_paid=partial``) is not recorded as a mark: the reason names the status.
* Procurify bill ``group``: listed without its shape (procurify 2.6), while payments' ``bill_groups`` are
  ids. With ``group`` a nested ``{"id": ...}`` (variant ``bill_group=object``) a payment still finds its
  bill and is recorded on its voucher once.
* Pure readings of the other open shapes: a bill's vendor as a bare id, an order item's ``orderNum`` as a
  summary object.

The whole module runs on one world whose JDE refuses the unconfirmed operators, so every flow it runs
(bills, payments, paid marks and the JDE source assets they read) is proven without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import requests
from jde_money import paid as paid_in_jde
from jde_procurify_world import JdeProcurifyWorld, jde_procurify_world

from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_procurify.bill_mappers import batch_key
from connector_assets.procurify.bill_fields import bill_vendor_id
from connector_assets.procurify.bill_paid_marks import ProcurifyBillPaidMarks
from connector_assets.procurify.order_fields import requisition_numbers
from connector_assets.procurify.payments import group_id, payment_bills, payment_groups
from connector_sandbox.jde_ais import JdeSandboxSettings

BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
PAYMENTS = ("procurify/payments", "jde_procurify/payments_mapped", "jde_procurify/payments_written")
MARKS = ("jde/ap_ledger", "jde_procurify/paid_marks_mapped", "jde_procurify/paid_marks_written")
BATCH_USER = "MLPRCFY"  # ML_JDE_PROCURIFY_BATCH_USER's default
PAYMENT = "0b5e0d6c7a8f4d1e9f7a2c3b4d5e6f70"  # reference 2.7's form: 32 hex digits, no dashes


# -- pure readings of shapes the reference leaves open ------------------------------------------------------


def test_a_bill_group_is_read_as_an_id_or_as_an_object_carrying_it():
    assert [group_id(v) for v in (512, "512", {"id": 512, "name": "G"}, {"id": "512"})] == [512] * 4
    assert [group_id(v) for v in (None, "", {"name": "G"}, True, "G-1")] == [None] * 5
    payment = {"uuid": PAYMENT, "bill_groups": [512, {"id": 513}, "x"]}
    assert payment_groups(payment) == [512, 513]
    bills = [
        # the payment named with dashes and in capitals: the same uuid (hex compared)
        {"uuid": "b-1", "group": {"id": 512}, "payment_uuid": str(UUID(PAYMENT)).upper()},
        {"uuid": "b-2", "group": 513, "payment_uuid": None},
        {"uuid": "b-3", "group": {"id": 514}, "payment_uuid": None},  # another group: not this payment's
        {"uuid": "b-4", "group": {"id": 512}, "payment_uuid": "ffff" * 8},  # another payment's
    ]
    assert [b["uuid"] for b in payment_bills(payment, bills)] == ["b-1", "b-2"]


def test_a_bills_vendor_is_read_from_its_summary_or_a_bare_id():
    assert bill_vendor_id({"vendor": {"id": 2041, "name": "Granite Supply Co"}}) == "2041"
    assert bill_vendor_id({"vendor": 2041}) == bill_vendor_id({"vendor": "2041"}) == "2041"
    assert bill_vendor_id({"vendor": None}) == bill_vendor_id({}) == bill_vendor_id({"vendor": {}}) == ""


def test_a_po_lines_requisition_is_read_from_its_number_or_a_summary_object():
    po = {
        "order_items": [
            {"id": 1, "orderNum": 3001},
            {"id": 2, "orderNum": "3002"},
            {"id": 3, "orderNum": {"num": 3003, "uuid": "9c1e2f0a"}},
            {"id": 4, "orderNum": None},
            {"id": 5, "orderNum": {"uuid": "only-a-uuid"}},
            {"id": 6, "orderNum": 3001},
        ]
    }
    assert requisition_numbers(po) == [3001, 3002, 3003]


# -- the flows against the other plausible servers ----------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JdeProcurifyWorld]:
    jde = JdeSandboxSettings(scale=0.05, unconfirmed_operators=False)
    with jde_procurify_world(Path(tmp_path_factory.mktemp("jde_procurify_fidelity")), jde=jde) as made:
        made.master()
        yield made


@pytest.fixture(autouse=True)
def default_variants(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts and ends on the simulator's default behaviours (the module shares one)."""
    yield
    if "world" in request.fixturenames:
        world: JdeProcurifyWorld = request.getfixturevalue("world")
        requests.post(f"{world.procurify_url}/sandbox/variants/reset", timeout=10).raise_for_status()


class Desk:
    """People on both sides: Procurify's AP clerk (bills approved and paid) and JDE's payment run."""

    def __init__(self, world: JdeProcurifyWorld) -> None:
        self.world = world

    def approved_bill(self) -> dict[str, Any]:
        """An expense bill entered now and approved, its vendor paired with a JDE supplier (the pair as
        the vendors flow records it)."""
        return self.world.approved_bill()

    def voucher(self, bill: dict[str, Any]) -> dict[str, Any]:
        """The F0411 voucher R04110ZA made of the bill's batch (its pay item, as stored)."""
        return self.world.bill_voucher(bill["uuid"], BATCH_USER)

    def jde_pays(self, *bills: dict[str, Any]) -> None:
        """JDE's own payment run pays the bills' vouchers in full (``JdeProcurifyWorld.jde_pays``)."""
        self.world.jde_pays(*(bill["uuid"] for bill in bills))


@pytest.fixture(scope="module")
def desk(world: JdeProcurifyWorld) -> Desk:
    return Desk(world)


def _mark_calls(world: JdeProcurifyWorld) -> int:
    return world.procurify_state()["calls"].get("POST /api/v3/ap/bills/mark-as-paid/", 0)


def _paid_in_jde_then_marked(world: JdeProcurifyWorld, desk: Any, bill: dict[str, Any]) -> None:
    """JDE's batch processor makes the posted bill's voucher and JDE pays it; the marks flow then marks the
    bill paid in Procurify once (status 4) and records it."""
    world.process_vouchers()
    desk.jde_pays(bill)
    written = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert written["create"] == 1, written
    assert world.procurify_record("bills", bill["uuid"])["api"]["status"] == 4
    assert world.xrefs("bill_paid")[bill["uuid"]] == bill["uuid"]


def test_a_jde_paid_bill_is_marked_once_on_a_jde_that_knows_no_in_list_operator(world, desk):
    bill = desk.approved_bill()
    world.run(*BILLS)
    assert world.xrefs("bill")[bill["uuid"]] == batch_key(BATCH_USER, bill["uuid"]).target_id
    _paid_in_jde_then_marked(world, desk, bill)
    calls = _mark_calls(world)
    again = world.run(*MARKS)["jde_procurify/paid_marks_written"]
    assert again.get("create", 0) == 0 and again["skip"] >= 1, again
    assert _mark_calls(world) == calls


def test_a_mark_answered_with_no_content_is_recorded_once_procurify_shows_the_bill_paid(world, desk):
    world.procurify_variants(mark_as_paid_answer="no_content")
    bill = desk.approved_bill()
    world.run(*BILLS)
    _paid_in_jde_then_marked(world, desk, bill)
    assert world.queue("paid_marks").get(bill["uuid"]) is None


def test_a_mark_answered_with_no_content_that_paid_nothing_is_not_recorded(world, desk):
    """A server that pays the eligible bills, skips the rest and answers 204 (both undocumented): the bill
    changed between mapping and writing (sent back to Confirmed), so the answer says nothing and the bill
    says it is not paid."""
    world.procurify_variants(mark_as_paid_answer="no_content", mark_as_paid="partial")
    bill = desk.approved_bill()
    world.bill_status(bill["uuid"], 1)
    record = Mapped(
        bill["uuid"],
        {"bill_uuids": [bill["uuid"]], "payment_date": date.today().isoformat()},
        {"bill_uuid": bill["uuid"], "payment_date": date.today().isoformat(), "voucher": "00001:1:PV"},
        natural_key={"bill_uuid": bill["uuid"]},
    )
    with world.resources["procurify"].session() as session:
        target = ProcurifyBillPaidMarks(session)
        with pytest.raises(ValueError, match="without saying it was paid, and the bill is still Confirmed"):
            target.create(record)
    assert world.procurify_record("bills", bill["uuid"])["api"]["status"] == 1
    assert bill["uuid"] not in world.xrefs("bill_paid")


def test_a_payment_finds_its_bill_when_bills_give_their_group_as_an_object(world, desk):
    world.procurify_variants(bill_group="object")
    bill = desk.approved_bill()
    world.run(*BILLS)
    world.process_vouchers()
    paid = world._operator("payments", {"bill_uuids": [bill["uuid"]], "status": "paid"})
    reference = f"PFY{paid['payment_id']}"
    group = _group_of(world, bill)
    [listed] = [b for b in world.in_procurify("bills", group=group).values() if b["uuid"] == bill["uuid"]]
    assert listed["group"] == {"id": group}  # the shape this server gives

    written = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    assert written["create"] == 1, written
    [recorded] = world.jde_payments(reference)
    voucher = desk.voucher(bill)
    assert (recorded["kco"].strip(), int(recorded["doc"])) == (voucher["KCO"].strip(), int(voucher["DOC"]))
    total = Decimal(str(bill["total_cost_with_tax"])).quantize(Decimal("0.01"))
    assert paid_in_jde(recorded) == total  # in the bill's currency (a foreign voucher's: its own)
    key = f"{paid['payment_uuid']}:{bill['uuid']}"
    assert world.xrefs("payment")[key] and world.queue("payments").get(key) is None

    again = world.run(*PAYMENTS)["jde_procurify/payments_written"]
    assert again.get("create", 0) == 0, again
    assert len(world.jde_payments(reference)) == 1


def _group_of(world: JdeProcurifyWorld, bill: dict[str, Any]) -> int:
    """The bill's group id as stored (the variant only changes how the API renders it)."""
    return int(world.procurify_record("bills", bill["uuid"])["row"]["group_id"])
