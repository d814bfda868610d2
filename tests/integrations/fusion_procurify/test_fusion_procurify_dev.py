"""``make dev`` for Oracle Fusion <-> Procurify on both simulators on free ports: the seeded Procurify vendors
are paired by hand with the Fusion suppliers that can take an order and an invoice (once, whatever the
number of starts), and each activity round the Procurify sandbox's people purchase requisitions the flows can
carry and, a round later, receive and bill them approved."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fusion_procurify_parts import ACCOUNTS, DEPARTMENTS, paired_supplier
from fusion_procurify_world import BUSINESS_UNIT, FusionProcurifyWorld, fusion_procurify_world

from connector_assets.fusion.sandbox_operators import PARTIAL_EVERY, half_of
from connector_assets.integrations.fusion_procurify.sandbox import (
    ENTERED_BY,
    FusionProcurifyPeople,
    active_vendor_ids,
    fusion_procurify_people,
    fusion_procurify_sandbox_setup,
    mapped_line_problem,
    pair_seeded_vendors,
    suppliers_with_sites,
    written_invoices,
)


@pytest.fixture
def world(tmp_path: Path):
    with fusion_procurify_world(tmp_path) as world:
        yield world


def _pair_all(world: FusionProcurifyWorld) -> tuple[list[str], list[str], int]:
    suppliers = suppliers_with_sites(world.fusion_url, BUSINESS_UNIT)
    vendors = active_vendor_ids(world.resources["procurify"])
    return suppliers, vendors, pair_seeded_vendors(world.ledger, vendors, suppliers)


def test_seeded_vendors_are_paired_by_hand_once_with_suppliers_that_have_both_sites(world) -> None:
    suppliers, vendors, made = _pair_all(world)
    assert made == min(len(suppliers), len(vendors)) > 0
    for supplier in suppliers:  # each can take an order and an invoice in the business unit
        sites = [
            s
            for s in world.fusion_record("suppliers", supplier)["sites"]
            if s["ProcurementBU"] == BUSINESS_UNIT
        ]
        assert any(s.get("SitePurposePurchasingFlag") is not False for s in sites)
        assert any(s.get("SitePurposePayFlag") is not False for s in sites)
    matches = world.ledger.manual_matches("fusion_procurify", "vendor")
    assert len(matches) == made and {m.entered_by for m in matches} == {ENTERED_BY}
    assert {paired_supplier(world.ledger, v) for v in vendors[:made]} == set(suppliers[:made])
    # A second start pairs nothing more and changes no pair.
    assert pair_seeded_vendors(world.ledger, vendors, suppliers) == 0
    assert len(world.ledger.manual_matches("fusion_procurify", "vendor")) == made


def test_nothing_is_set_up_or_played_without_both_embedded_simulators(world) -> None:
    assert fusion_procurify_sandbox_setup([], world.db) == {}
    assert fusion_procurify_people([], world.db) is None
    assert world.ledger.manual_matches("fusion_procurify", "vendor") == []


def _lines(world: FusionProcurifyWorld, po_number: int) -> list[dict]:
    return world.procurify_record("purchase_orders", po_number)["api"]["order_items"]


def test_each_round_the_buyer_purchases_what_the_flows_carry_and_the_clerk_bills_it_a_round_later(
    world,
) -> None:
    _pair_all(world)
    accounts, departments = ACCOUNTS.read(), DEPARTMENTS.read()
    people = FusionProcurifyPeople(
        world.procurify_url, world.db, world.resources["procurify"], world.fusion_url, currency="USD"
    )
    suppliers_before = len(world.fusion_records("suppliers"))
    try:
        first = people.round()
        # Fusion's supplier administrators: one new supplier, two revised (the suppliers flow's work), and
        # one for each active vendor paired with none (test_fusion_procurify_dev_vendors).
        entered = first["suppliers_for_new_vendors"]
        assert (
            first["suppliers"] == 3
            and len(world.fusion_records("suppliers")) == suppliers_before + 1 + entered
        )
        assert first["billed"] == 0 and first["raised"] > 0 and first["purchase_orders"] >= 1
        bought = list(people.to_bill)
        assert len(bought) == first["purchase_orders"]
        for number in bought:
            po = world.procurify_record("purchase_orders", number)["api"]
            assert po["purchased_currency"]["name"] == "USD"
            assert paired_supplier(world.ledger, po["pref_vendor"]["id"]) is not None
            for item in _lines(world, number):
                assert mapped_line_problem(item, accounts, departments) is None
        second = people.round()
        assert second["billed"] == len(bought) and second["purchase_orders"] >= 1
        bills = [world.procurify_record("bills", uuid)["api"] for uuid in people.bills]
        assert len(bills) == len(bought)
        for bill, number in zip(bills, bought, strict=True):
            assert bill["status"] == 2  # entered approved: the invoices flow's statuses
            po = world.procurify_record("purchase_orders", number)["api"]
            lines = _lines(world, number)
            assert bill["vendor"]["id"] == po["pref_vendor"]["id"] and len(bill["items"]) == len(lines)
            assert all(item["receivedPassQty"] == item["approved_quantity"] for item in lines)
        # A requisition the buyer left alone is still pending: it names an unpaired vendor, another
        # currency or an unmapped line.
        assert first["raised"] + second["raised"] > first["purchase_orders"] + second["purchase_orders"]
    finally:
        people.dispose()


def test_a_line_is_refused_naming_its_unmapped_account_code_or_department() -> None:
    accounts = {"6100": "60000"}
    item = {
        "accountCode": "6100",
        "account": {"department": {"name": "Ops", "branch": {"name": "Head Office"}}},
    }
    assert mapped_line_problem(item, accounts, {"Head Office|*": "101-40"}) is None
    assert "account code '9999'" in mapped_line_problem(
        {**item, "accountCode": "9999"}, accounts, {"*": "101-30"}
    )
    assert "'Head Office|Ops'" in mapped_line_problem(item, accounts, {"Seattle Branch|*": "101-30"})


INVOICES_RUN = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")
PAYMENT_STATUS_RUN = (
    "fusion/payments",
    "fusion/invoices",
    "fusion_procurify/payment_status_mapped",
    "fusion_procurify/payment_status_written",
)


def _written(world: FusionProcurifyWorld, wanted: int) -> dict[str, str]:
    """``wanted`` approved bills written to Fusion now by the invoices flow: Fusion InvoiceId -> bill uuid.
    Bills are entered until that many are written (a random bill may name an account code the sandbox
    table does not map, and is queued instead)."""
    before, written = set(written_invoices(world.ledger)), {}
    for _ in range(3):
        for _ in range(wanted - len(written)):
            world.approved_bill()
        world.run(*INVOICES_RUN)
        written = {i: u for i, u in written_invoices(world.ledger).items() if i not in before}
        if len(written) >= wanted:
            break
    assert len(written) == wanted, world.queue("invoices")
    return written


def test_fusions_ap_team_pays_the_invoices_the_flow_wrote_every_fourth_half_and_the_bills_are_marked(
    world,
) -> None:
    world.master()
    [earlier] = _written(world, 1)  # written before this start: another pod's id, left alone
    people = FusionProcurifyPeople(
        world.procurify_url, world.db, world.resources["procurify"], world.fusion_url, currency="USD"
    )
    try:
        ours = _written(world, PARTIAL_EVERY)
        for invoice_id in ours:
            assert world.fusion_record("invoices", invoice_id)["ApprovalStatus"] == "Required"

        assert people.pay_invoices() == {"paid_in_full": PARTIAL_EVERY - 1, "paid_partly": 1}

        invoices = {i: world.fusion_record("invoices", i) for i in sorted(ours, key=int)}
        assert {i["ApprovalStatus"] for i in invoices.values()} == {"Approved"}
        *in_full, half = invoices.values()  # the fourth payment is the half one
        assert {i["PaidStatus"] for i in in_full} == {"Paid"}
        assert half["PaidStatus"] == "Partially paid"
        assert Decimal(str(half["AmountPaid"])) == Decimal(half_of(half["InvoiceAmount"]))
        untouched = world.fusion_record("invoices", earlier)
        assert (untouched["ApprovalStatus"], untouched["PaidStatus"]) == ("Required", "Unpaid")
        assert people.pay_invoices() == {"paid_in_full": 0, "paid_partly": 0}  # each paid once

        # The payment status flow carries it back: the bills paid in full are marked, the half one not.
        world.run(*PAYMENT_STATUS_RUN)
        marked = {ours[str(i["InvoiceId"])] for i in in_full}
        assert set(world.xrefs("paid_mark").values()) == marked
        assert {world.procurify_record("bills", u)["api"]["status"] for u in marked} == {4}
        assert world.procurify_record("bills", ours[str(half["InvoiceId"])])["api"]["status"] == 2
    finally:
        people.dispose()


def test_half_of_an_amount_rounds_down_to_the_cent_and_a_cent_is_paid_in_full() -> None:
    assert half_of(100.01) == "50.00" and half_of("7") == "3.50"
    assert half_of(0.01) is None
