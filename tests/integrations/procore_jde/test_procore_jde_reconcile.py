"""Procore -> JDE reconciliation: end to end through Dagster on both simulators, and the reads by key alone.

The world (one for the module, the steps build on each other as a day's runs do): a project manager
approves the open invoice of a commitment and a change order of it; the day runs through every flow
(vendors, purchase orders, vouchers, change orders); the reconciliation is in balance. Then one side
changes and the reconciliation names exactly that, in a finance user's words:

* JDE: someone edits the voucher's distribution in the batch file (P0411Z1 allows it before the batch is
  processed) -> "Procore approves X on cost code C (account A) but the JDE voucher PR<id> distributes Y";
* Procore: a second invoice of the commitment is approved on a cost code the table in force does not map
  -> its voucher is queued, and the reconciliation says the requisition has no voucher, with the reason.

The reads by key, the two-system report and the vendor comparison are also tested on their own (fake
sessions), which is where "a JDE supplier whose Procore vendor is gone" is shown: the Procore sandbox,
like Procore's reference, has no vendor deletion.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey, instance_for_test
from procore_jde_proofs import APPROVED, MASTER
from procore_jde_world import ProcoreJdeWorld, jde_settings, procore_jde_world
from test_flow_procore_jde_orders import _broken_table  # the sandbox table less one cost code

from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.procore_jde.reconcile.assets import (
    RECONCILIATION,
    reconciliation_jobs,
    reconciliation_schedules,
)
from connector_assets.integrations.procore_jde.reconcile.vendors import compare_vendors
from connector_assets.jde.reconcile_documents import account_key
from connector_resources import settings

pytestmark = pytest.mark.filterwarnings(
    "ignore:Asset job .* materializes assets with varying BackfillPolicies"
)
SOURCES = ("procore/vendors", "procore/requisitions", "procore/commitment_change_orders")
FLOWS = tuple(
    f"procore_jde/{flow}_{step}"
    for flow in ("vendors", "purchase_orders", "vouchers", "change_orders")
    for step in ("mapped", "written")
)
SANDBOX_TABLE = Path("mappings/sandbox/procore_jde_cost_codes.csv")


class Story:
    """The module's world and what it was given: the commitment, its approved invoice, its change order."""

    world: ProcoreJdeWorld
    commitment: dict[str, Any]
    requisition: dict[str, Any]
    change_order: dict[str, Any]
    jde_db: Path
    patch: pytest.MonkeyPatch


def _cast(world: ProcoreJdeWorld) -> tuple[dict, dict, dict]:
    """A commitment on a permitted project whose latest invoice is open (so it can be approved) and that
    has a change order waiting for approval."""
    commitments = world.invoiced_commitments()
    latest = world.latest_invoices()
    waiting = world.waiting_change_orders()
    for cid in sorted(commitments):
        if cid in latest and cid in waiting and latest[cid]["status"] not in APPROVED:
            return commitments[cid], latest[cid], waiting[cid]
    pytest.skip("the sandbox seed has no commitment fit for this story")


def _reconcile(world: ProcoreJdeWorld) -> tuple[Any, dict[str, Any]]:
    """The day's reconciliation: its check evaluation and its metadata values."""
    result = world.materialize(RECONCILIATION)
    [evaluation] = result.get_asset_check_evaluations()
    [event] = result.get_asset_materialization_events()
    values = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    return evaluation, values


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("procore_jde_reconcile")
    jde_db = tmp / "jde.sqlite"  # a file, so the test can edit a batch row as a JDE user would
    with (
        pytest.MonkeyPatch.context() as patch,
        procore_jde_world(tmp, jde=jde_settings(db_path=jde_db)) as world,
        instance_for_test() as instance,
    ):
        world.instance = instance
        commitment, requisition, change_order = _cast(world)
        world.link_vendor(commitment["vendor_id"], world.jde_rows("F0401")[0]["AN8"])
        world.clerk.approve_requisition(commitment["project_id"], requisition["id"])
        world.clerk.approve_change_order(change_order["project_id"], change_order["id"])
        world.run_whole(*MASTER)
        world.run(*SOURCES, *FLOWS)  # the day through every flow
        told = Story()
        told.world, told.commitment, told.requisition, told.change_order = (
            world,
            commitment,
            requisition,
            change_order,
        )
        told.jde_db, told.patch = jde_db, patch
        yield told


def test_a_clean_sync_is_in_balance_per_project_and_period(story: Story):
    world = story.world
    for flow in ("vendors", "purchase_orders", "vouchers", "change_orders"):
        assert world.queue(flow) == {}, (flow, world.queue(flow))
    check, meta = _reconcile(world)
    assert check.passed, check.description
    assert check.description == "Procore and JDE agree" and meta["differences"] == 0
    assert meta["procore_requisitions_approved"] >= 1 and meta["requisitions_vouchered"] >= 1
    assert meta["commitments_on_order"] >= 1 and meta["change_orders_on_order"] >= 1
    assert meta["procore_vendors_in_jde"] >= 1
    # The balances: the commitment's project and the invoice's billing month, amounts equal on both sides.
    table = meta["per_project_period"]
    period = str(story.requisition["requisition_start"])[:7]
    assert f"| project {story.commitment['project_id']} " in table and f" | {period} | " in table
    assert meta["project_period_accounts"] >= 1 and meta["project_period_accounts_out_of_balance"] == 0
    # Read by key: a handful of calls, not a table per day.
    assert meta["jde_api_calls"] <= 12 and meta["procore_api_calls"] <= 40


def test_with_vouchers_off_requisitions_are_not_held_against_vouchers(story: Story, monkeypatch):
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")
    check, meta = _reconcile(story.world)
    assert check.passed, check.description
    assert meta["requisitions_not_vouchered_vouchers_off"] >= 1 and "requisitions_vouchered" not in meta
    assert "vouchers are off" in meta["vouchers"] and meta["commitments_on_order"] >= 1
    assert meta["project_period_accounts_out_of_balance"] == 0


def test_a_voucher_distribution_edited_in_jde_is_named_with_both_amounts(story: Story):
    world, requisition = story.world, story.requisition
    batch = f"PR{requisition['id']}"
    rows = world.jde_rows("F0911Z1", EDUS="MLPROCORE", EDBT=batch)
    assert rows, "the voucher was not written"
    row = rows[0]
    with sqlite3.connect(story.jde_db) as conn:  # an AP clerk corrects the batch before it is processed
        conn.execute(
            'UPDATE "F0911Z1" SET "AA" = "AA" - 5000 WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? '
            'AND "EDLN" = ?',
            (row["EDUS"], row["EDBT"], row["EDTN"], row["EDLN"]),
        )
    check, meta = _reconcile(world)
    assert not check.passed
    assert meta["voucher_amount"] == 1 and meta["differences"] == 1, meta["difference_table"]
    account = account_key(row["ANI"])
    was, now = Decimal(row["AA"]) / 100, Decimal(row["AA"] - 5000) / 100
    assert (
        f"requisition {requisition['id']} ({requisition['invoice_number']}, project "
        f"{story.commitment['project_id']} " in check.description
    )
    assert (
        f"period {str(requisition['requisition_start'])[:7]}): Procore approves {was:,.2f} on cost code"
        in (check.description)
    )
    assert (
        f"(account {account}) but the JDE voucher {batch} distributes {now:,.2f} there" in check.description
    )
    assert meta["project_period_accounts_out_of_balance"] == 1
    with sqlite3.connect(story.jde_db) as conn:  # put it back for the next test
        conn.execute(
            'UPDATE "F0911Z1" SET "AA" = ? WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? AND "EDLN" = ?',
            (row["AA"], row["EDUS"], row["EDBT"], row["EDTN"], row["EDLN"]),
        )


def test_an_invoice_whose_voucher_was_refused_for_an_unmapped_cost_code_is_named_with_the_reason(
    story: Story, tmp_path: Path
):
    world, commitment = story.world, story.commitment
    made = world.new_invoice(commitment)
    with world.resources["procore"].session() as session:
        lines = list(session.requisition_lines(commitment["project_id"], made["id"]))
    line = lines[0]  # 100.00 of work billed on its first line this period, then approved
    world.clerk.call(
        "PATCH",
        f"requisitions/{made['id']}/contract_items/{line['id']}",
        {"project_id": commitment["project_id"], "contract_item": {"work_completed_this_period": "100.00"}},
        project_id=commitment["project_id"],
    )
    world.clerk.approve_requisition(commitment["project_id"], made["id"])
    code = line["_cost_code"]
    story.patch.setenv(
        "ML_PROCORE_JDE_COST_CODE_MAP", str(_broken_table(tmp_path / "t.csv", code.split("-")[0]))
    )
    try:
        world.run("procore/requisitions", "procore_jde/cost_code_map", *FLOWS[4:6])  # vouchers
        reason = world.queue("vouchers")[str(made["id"])]
        assert f"cost code {code.split('-')[0]}" in reason or f"cost code {code}" in reason
        check, meta = _reconcile(world)
    finally:
        story.patch.setenv("ML_PROCORE_JDE_COST_CODE_MAP", str(SANDBOX_TABLE.resolve()))
        world.run_whole("procore_jde/cost_code_map")
    assert not check.passed and meta["requisition_without_voucher"] == 1
    words = next(
        line for line in meta["difference_table"].splitlines() if f"requisition {made['id']} (" in line
    )
    assert f"but JDE has no voucher batch PR{made['id']} for it (queued: {reason})" in words.replace(
        "\\|", "|"
    )
    # What was written before the table lost the code (the first invoice's voucher, the order) is named
    # once per document: the code has no account in the table in force, JDE holds its amount elsewhere.
    assert meta["cost_code_without_account"] == 2 and meta["differences"] == 3, meta["difference_table"]
    assert (
        f"on cost code {code}, which has no JDE account in the table in force (cost code {code}"
        in (meta["difference_table"])
    )
    assert f"no JDE account ({code})" in meta["per_project_period"]  # no account to balance on


def test_the_reconciliation_reads_after_every_flow_and_runs_on_its_own_schedule(monkeypatch):
    """Lineage: source -> mapped -> written -> target -> reconciliation; the cadence is a setting."""
    from connector_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey.from_user_string(RECONCILIATION))
    targets = {f"procore_jde/{f}_in_jde" for f in ("vendors", "purchase_orders", "vouchers", "change_orders")}
    assert node.parent_keys == {AssetKey.from_user_string(t) for t in targets}
    for target in targets:
        written = AssetKey.from_user_string(target.replace("_in_jde", "_written"))
        assert graph.get(AssetKey.from_user_string(target)).parent_keys == {written}
    assert [job.name for job in reconciliation_jobs] == ["procore_jde_reconcile"]
    schedule = defs.resolve_schedule_def("procore_jde_reconcile_schedule")
    assert schedule.job_name == "procore_jde_reconcile"
    assert schedule.cron_schedule == settings.value("ML_PROCORE_JDE_RECONCILE_CRON")
    assert schedule.execution_timezone == settings.value("ML_JDE_TIMEZONE")
    monkeypatch.setenv("ML_PROCORE_JDE_RECONCILE_CRON", "15 6 * * *")
    [again] = reconciliation_schedules()
    assert again.cron_schedule == "15 6 * * *" and again.name == "procore_jde_reconcile_schedule"


# -- the comparisons alone (JDE read by key: tests/sides/test_jde_reconcile_documents.py) -------------------


def test_vendors_on_one_side_only_are_named_in_words():
    class Ledger:
        def get_xref(self, *_args, **_kw):
            return None

    report = Report(("Procore", "JDE"))
    vendors = {
        "5512098": {"id": 5512098, "name": "Granite Supply Co", "is_active": True, "origin_id": None},
        "77": {"id": 77, "name": "Retired Rentals", "is_active": False, "origin_id": None},
        "88": {"id": 88, "name": "Linked Ltd", "is_active": True, "origin_id": "JDE-V-20001"},
        "99": {"id": 99, "name": "Old Link Co", "is_active": True, "origin_id": "JDE-V-30001"},
        "5512099": None,  # Procore answers 404
    }
    compare_vendors(
        report,
        Ledger(),
        {"5512098", "77", "88", "99"},
        vendors,
        {"5512099": "10442"},
        {"10442": "Gone Vendor Inc", "20001": "Linked Ltd"},
        {"5512098": "queued: field name is too long"},
    )
    words = [d.words for d in report.differences]
    assert words == [
        "vendor Old Link Co (Procore 99) says it is JDE supplier 30001 (origin_id 'JDE-V-30001'), which JDE "
        "does not hold (no F0401 row)",
        "vendor Granite Supply Co (Procore 5512098) has no JDE supplier (queued: field name is too long)",
        "JDE supplier 10442 (added from Procore vendor 5512099) no longer exists in Procore",
    ]
    assert (
        report.counts["procore_vendors_inactive_not_in_jde"] == 1
        and report.counts["procore_vendors_in_jde"] == 1
    )
    assert "| What | Record | Where | Procore | JDE | In words |" in report.table()
