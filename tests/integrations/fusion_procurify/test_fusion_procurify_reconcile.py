"""Oracle Fusion <-> Procurify reconciliation: the pure comparisons (``reconcile.bills``, ``orders``)
then the day end to end on both simulators (``fusion_procurify_world``): after the flows synced a bill and a
purchase order the report is clean; an invoice amount changed in Fusion, a bill moved back in Procurify, a
bill marked paid in Procurify while Fusion has not paid it, a bill held for want of a supplier and a PO not
sent are each named in the report and its ``in_balance`` check.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from asset_runs import materialized
from dagster import AssetKey
from fusion_procurify_proofs import usd_po
from fusion_procurify_world import FusionProcurifyWorld, fusion_procurify_world

from connector_assets.flows.reconciliation import Report, period_of
from connector_assets.fusion.reconcile_reads import FusionInvoice, FusionPo
from connector_assets.integrations.fusion_procurify import account_map, charge_accounts, departments, wiring
from connector_assets.integrations.fusion_procurify.reconcile.assets import (
    RECONCILIATION,
    reconciliation_assets,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.fusion_procurify.reconcile.bills import BillRows, compare_vendor_period
from connector_assets.integrations.fusion_procurify.reconcile.day import reconcile_day
from connector_assets.integrations.fusion_procurify.reconcile.orders import (
    compare_fusion_po,
    compare_procurify_po,
)
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, paired_vendor
from connector_assets.procurify.reconcile_reads import ProcurifyPo, RegisterBill

VENDOR, SUPPLIER, PERIOD = "Procurify vendor 7 (Acme)", "Fusion supplier Acme (300100)", "2026-11"
INVOICES = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")
ORDERS = (
    "procurify/purchase_orders",
    "fusion_procurify/purchase_orders_mapped",
    "fusion_procurify/purchase_orders_written",
)


def bill(
    uuid: str, amount: str, *, status: str = "Approved", paid: bool = False, **fields: Any
) -> RegisterBill:
    return RegisterBill(
        uuid=uuid,
        invoice=f"INV-{uuid}",
        period=PERIOD,
        amount=Decimal(amount),
        status=status,
        approved=status in ("Approved", "Paid"),
        paid=paid,
        **fields,
    )


def invoice(invoice_id: str, amount: str, *, paid: str = "unpaid", **fields: Any) -> FusionInvoice:
    return FusionInvoice(
        invoice_id=invoice_id,
        found=True,
        number=f"N{invoice_id}",
        supplier="Acme",
        amount=Decimal(amount),
        paid=paid,  # type: ignore[arg-type]
        paid_how="PaidStatus",
        **fields,
    )


def compared(
    register: list[RegisterBill],
    invoices: dict[str, FusionInvoice],
    *,
    missing: dict[str, str] | None = None,
    unpaid: dict[str, str] | None = None,
    supplier: str | None = SUPPLIER,
) -> tuple[Report, BillRows]:
    report, rows = Report(("Procurify", "Fusion")), BillRows()
    compare_vendor_period(
        report, rows, VENDOR, supplier, PERIOD, register, invoices, missing or {}, unpaid or {}
    )
    return report, rows


# -- pure: bills --------------------------------------------------------------------------------------------


def test_a_register_matching_fusion_is_clean_and_totals_per_vendor_and_period() -> None:
    report, rows = compared(
        [bill("a", "100.00"), bill("b", "25.50")], {"a": invoice("1", "100.00"), "b": invoice("2", "25.50")}
    )
    assert report.differences == []
    assert report.counts["bills_in_balance"] == 2 and report.counts["paid_status_agrees"] == 2
    assert rows.rows[(VENDOR, SUPPLIER, PERIOD)] == [2, Decimal("125.50"), 2, Decimal("125.50")]
    assert rows.out_of_balance == 0
    assert "| 2 | 125.50 | 2 | 125.50 | 0.00 |" in rows.table()


def test_an_amount_that_differs_is_named_with_both_amounts_and_the_difference() -> None:
    report, rows = compared([bill("a", "100.00")], {"a": invoice("1", "90.00")})
    [difference] = report.differences
    assert difference.kind == "invoice amount" and difference.values == ("90.00", "100.00")
    assert "bill a (invoice INV-a)" in difference.words and "(difference -10.00)" in difference.words
    assert rows.out_of_balance == 1


def test_a_bill_missing_in_fusion_names_the_queue_reason_or_says_it_was_never_sent() -> None:
    held = "held: waits for vendor 7's Fusion supplier"
    report, _ = compared([bill("a", "10.00"), bill("b", "20.00")], {}, missing={"a": held})
    words = [d.words for d in report.differences]
    assert report.counts["bill_missing_in_fusion"] == 2
    assert any("bill a" in w and held in w for w in words)
    assert any("bill b" in w and "not sent yet" in w for w in words)
    report, _ = compared([bill("c", "5.00")], {}, supplier=None)
    assert "the vendor has no Fusion supplier yet" in report.differences[0].words


def test_an_invoice_canceled_or_gone_in_fusion_leaves_its_bill_missing() -> None:
    report, rows = compared(
        [bill("a", "10.00"), bill("b", "20.00")],
        {"a": invoice("1", "10.00", canceled=True), "b": FusionInvoice("2", False)},
    )
    words = sorted(d.words for d in report.differences)
    assert "canceled in Fusion" in words[0] and "no longer in Fusion" in words[1]
    assert rows.rows[(VENDOR, SUPPLIER, PERIOD)][2] == 0  # nothing counted on Fusion's side


def test_an_invoice_of_ours_whose_bill_is_no_longer_approved_is_named() -> None:
    report, rows = compared([bill("a", "10.00", status="Confirmed")], {"a": invoice("1", "10.00")})
    [difference] = report.differences
    assert difference.kind == "invoice without approved bill"
    assert "Confirmed in Procurify now" in difference.words
    assert rows.rows[(VENDOR, SUPPLIER, PERIOD)] == [0, Decimal(0), 1, Decimal("10.00")]


def test_a_bill_exported_by_another_process_is_counted_not_compared() -> None:
    report, _ = compared([bill("a", "10.00", exported_elsewhere=True)], {})
    assert report.differences == [] and report.counts["bills_exported_by_another_process"] == 1


def test_paid_status_that_disagrees_names_the_side_behind() -> None:
    report, _ = compared(
        [bill("a", "10.00"), bill("b", "20.00", status="Paid", paid=True)],
        {"a": invoice("1", "10.00", paid="paid"), "b": invoice("2", "20.00", paid="partial")},
        unpaid={"1": "queued: the bill is Confirmed"},
    )
    words = {d.record.split()[1]: d.words for d in report.differences}
    assert (
        "is paid in Fusion" in words["a"]
        and "Procurify is behind (queued: the bill is Confirmed)" in words["a"]
    )
    assert "Paid but Fusion invoice N2" in words["b"] and "partially paid" in words["b"]
    assert "Fusion is behind" in words["b"]
    assert report.counts["paid_status"] == 2


def test_partial_unknown_and_under_way_paid_states_are_counted_not_named() -> None:
    report, _ = compared(
        [bill("a", "10.00"), bill("b", "20.00"), bill("c", "30.00", payment_under_way=True)],
        {
            "a": invoice("1", "10.00", paid="partial"),
            "b": invoice("2", "20.00", paid="unknown"),
            "c": invoice("3", "30.00", paid="paid"),
        },
    )
    assert report.differences == []
    assert report.counts["bills_partially_paid_in_fusion"] == 1
    assert report.counts["paid_status_unknown_in_fusion"] == 1
    assert report.counts["paid_in_fusion_payment_under_way_in_procurify"] == 1


def test_the_period_is_the_month_of_the_invoice_date() -> None:
    assert period_of("2026-11-23") == "2026-11" and period_of("2026-11-23T10:00:00Z") == "2026-11"
    assert period_of("") is None and period_of(None) is None


# -- pure: purchase orders ------------------------------------------------------------------------------


def test_pos_on_one_side_only_are_named() -> None:
    report = Report(("Procurify", "Fusion"))
    compare_procurify_po(report, ProcurifyPo("1187", True, vendor="Acme"), FusionPo("PFY1187", False), None)
    compare_procurify_po(report, ProcurifyPo("1188", True), FusionPo("PFY1188", False), "held: vendor 7")
    compare_fusion_po(
        report, FusionPo("PFY1189", True, "55", "OPEN", "Acme"), ProcurifyPo("1189", False), None
    )
    compare_procurify_po(
        report, ProcurifyPo("1190", True, cancelled=True), FusionPo("PFY1190", True, "56", "OPEN"), None
    )
    words = [d.words for d in report.differences]
    assert "Procurify PO 1187 (Acme) is purchased in Procurify but Fusion has no order PFY1187" in words[0]
    assert "not sent yet" in words[0] and "(held: vendor 7)" in words[1]
    assert "carries the number of Procurify PO 1189, which Procurify does not have" in words[2]
    assert "cancelled in Procurify but Fusion order PFY1190, POHeaderId 56 is OPEN" in words[3]
    assert report.counts["po_only_in_procurify"] == 2 and report.counts["po_only_in_fusion"] == 2


def test_pos_on_both_sides_or_cancelled_before_sending_are_counted() -> None:
    report = Report(("Procurify", "Fusion"))
    compare_procurify_po(report, ProcurifyPo("1", True), FusionPo("PFY1", True, "9", "OPEN"), None)
    compare_procurify_po(report, ProcurifyPo("2", True, cancelled=True), FusionPo("PFY2", False), None)
    compare_fusion_po(
        report, FusionPo("PFY3", True, "10", "CANCELED"), ProcurifyPo("3", True, cancelled=True), None
    )
    assert report.differences == []
    assert report.counts["pos_on_both_sides"] == 2
    assert report.counts["procurify_pos_cancelled_before_sent"] == 1


# -- wiring ---------------------------------------------------------------------------------------------


def test_wiring_loads_the_asset_job_and_day_closing_schedule() -> None:
    assets, jobs, schedules = wiring.reconciliation()
    assert [a.key.to_user_string() for a in assets] == [RECONCILIATION]
    assert assets == reconciliation_assets and jobs == reconciliation_jobs
    [schedule] = reconciliation_schedules()
    assert schedule.name == "fusion_procurify_reconcile_schedule"
    assert schedule.cron_schedule == "40 6 * * *"  # ML_FUSION_PROCURIFY_RECONCILE_CRON's default
    assert len(schedules) == 1


# -- end to end -------------------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path):
    with fusion_procurify_world(tmp_path) as running:
        materialized(
            [
                account_map.fusion_procurify_account_map,
                departments.fusion_procurify_department_map,
                charge_accounts.fusion_procurify_account_combinations,
            ],
            {k: running.resources[k] for k in ("fusion", "procurify", "staging", "ledger")},
        )
        yield running


def today_report(world: FusionProcurifyWorld) -> Report:
    r = world.resources
    return reconcile_day(r["staging"], r["procurify"], r["fusion"], world.ledger, world.day)


def purchasing_supplier(world: FusionProcurifyWorld) -> str:
    for supplier in world.fusion_suppliers_with_site(purpose="SitePurposePurchasingFlag"):
        if paired_vendor(world.ledger, supplier["SupplierId"]) is None:
            return str(supplier["SupplierId"])
    raise AssertionError("no unpaired Fusion supplier with a purchasing site")


def synced_world(world: FusionProcurifyWorld) -> tuple[dict[str, Any], dict[str, Any]]:
    """A bill and a PO made today and synced by the invoices and purchase orders flows; any other PO the
    purchases made today (other currencies, other vendors) left as one the flows would refuse."""
    po = usd_po(world)["po"]
    world.pair_vendor(po["pref_vendor"]["id"], purchasing_supplier(world))
    made = world.approved_bill()
    world.run(*ORDERS)
    world.run(*INVOICES)
    assert made["uuid"] in world.xrefs("invoice"), world.queue("invoices")
    assert f"PO{po['procurify_PO']}" in world.xrefs("purchase_order"), world.queue("purchase_orders")
    return made, po


def differences(report: Report, kind: str) -> list[str]:
    return [d.words for d in report.differences if d.kind == kind]


def test_after_a_clean_sync_the_report_is_clean_then_names_each_change(world: FusionProcurifyWorld) -> None:
    made, po = synced_world(world)
    report = today_report(world)
    # Clean for what synced; the only differences are the POs the same purchases made for vendors without
    # a Fusion supplier, which the purchase orders flow holds: named with its hold, exactly those.
    held = {key for key, why in world.queue("purchase_orders").items() if "waits for" in why}
    named = {d.record.split()[2] for d in report.differences}
    assert {d.kind for d in report.differences} <= {"PO only in Procurify"}
    assert {f"PO{n}" for n in named} == held
    assert all("(held: " in d.words for d in report.differences)
    assert report.counts["bills_in_balance"] >= 1 and report.counts["pos_on_both_sides"] >= 1
    assert report.calls["fusion"] > 0 and report.calls["procurify"] > 0

    # Fusion: a clerk changes the invoice amount (PATCH). Procurify: the AP clerk marks the bill Paid.
    invoice_id = world.xrefs("invoice")[made["uuid"]]
    with world.resources["fusion"].session() as fusion:
        fusion.update_invoice(fusion.get("invoices", invoice_id), {"InvoiceAmount": Decimal("1.23")})
    world.bill_status(made["uuid"], 4)
    report = today_report(world)
    [amount] = differences(report, "invoice amount")
    assert made["uuid"] in amount and "is 1.23 in Fusion" in amount
    [paid] = differences(report, "paid status")
    assert made["uuid"] in paid and "Fusion is behind" in paid

    # The asset says the same through its in_balance check (a warning) and its metadata.
    result = world.materialize(RECONCILIATION)
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "in_balance" and not check.passed
    assert "Fusion is behind" in (check.description or "")
    metadata = result.asset_materializations_for_node(
        AssetKey.from_user_string(RECONCILIATION).to_python_identifier()
    )[0].metadata
    assert metadata["paid_status"].value == 1 and metadata["invoice_amount"].value == 1
    assert made["uuid"] in metadata["difference_table"].value
    assert "per_vendor_period" in metadata and "per_order" in metadata


def test_bills_and_pos_not_in_fusion_are_named_with_why(world: FusionProcurifyWorld) -> None:
    made, _po = synced_world(world)
    unpaired = world.activity(new_bills=1)["bills"]["created"][0]
    world.bill_status(unpaired, 2)
    vendor_id = world.procurify_record("bills", unpaired)["api"]["vendor"]["id"]
    if paired_supplier(world.ledger, vendor_id) is not None:
        pytest.skip("the seeded bill's vendor is paired already")  # the seed decides; not this test's case
    pending = usd_po(world)["po"]  # purchased after the sync: not sent
    world.run(*INVOICES)
    report = today_report(world)
    missing = differences(report, "bill missing in Fusion")
    [held] = [w for w in missing if unpaired in w]
    assert "held:" in held and "has no Fusion invoice" in held
    [only] = [w for w in differences(report, "PO only in Procurify") if str(pending["procurify_PO"]) in w]
    assert f"Fusion has no order PFY{pending['procurify_PO']}" in only
    assert made["uuid"] not in " ".join(missing)

    world.bill_status(made["uuid"], 1)  # the AP clerk moves the sent bill back to Confirmed
    [back] = [
        w for w in differences(today_report(world), "invoice without approved bill") if made["uuid"] in w
    ]
    assert "Confirmed in Procurify now" in back
