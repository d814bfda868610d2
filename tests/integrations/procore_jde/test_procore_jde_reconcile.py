"""Procore -> JDE reconciliation: end to end through Dagster on both simulators, and the comparisons alone.

The world (one for the module, the steps build on each other as a day's runs do): a project manager
approves the open invoices of three commitments (A, B, C) and a change order of A; the day runs through
every flow (vendors, purchase orders, vouchers, change orders); the reconciliation is in balance, record
by record. Then one side changes and the reconciliation names exactly that, record by record, in both
systems, with the field and both values:

* JDE, before the batches are processed: an AP clerk edits A's voucher distribution in the batch file
  (P0411Z1 allows it) -> the voucher's amount on that account, both amounts;
* Procore: a second invoice of A is approved on a cost code the table in force does not map -> its
  voucher is queued, and the reconciliation counts it as an expected gap with the queue's reason, not as a
  difference;
* JDE, behind the connector's back, as other JDE users would (AIS orchestrations, the A/P clerk's
  screens): a line amount changed on A's order, a line of A's order cancelled, B's whole order cancelled,
  C's supplier renamed (F0101), C's voucher batch deleted, A's voucher voided once processed, an order
  created directly in JDE on A's job -> each named once, by record, with both values.

The vendor comparison is also tested on its own (fake ledger), which is where "a JDE supplier whose
Procore vendor is gone" is shown: the Procore sandbox, like Procore's reference, has no vendor deletion.
"""

from __future__ import annotations

import csv
import sqlite3
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from built_parts import built
from dagster import AssetKey
from instances import instance_for_test
from mapping_rows import remove_rows, save_rows
from procore_jde_parts import COST_CODES, OWN, PARTS, RECONCILIATION, CostCodeMap
from procore_jde_proofs import APPROVED, MASTER
from procore_jde_world import ProcoreJdeWorld, jde_settings, procore_jde_world

from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.procore_jde.reconcile.vendors import compare_vendors
from connector_assets.jde.documents import JdeSupplier
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
RENAMED = "Renamed Behind Procore Ltd"


class Story:
    """The module's world and what it was given: commitments A (two lines or more, a change order), B and
    C, each with its approved invoice; the JDE supplier each vendor is linked to."""

    world: ProcoreJdeWorld
    commitments: dict[str, dict[str, Any]]  # "A", "B", "C" -> the commitment
    requisitions: dict[str, dict[str, Any]]  # "A", "B", "C" -> its approved invoice
    change_order: dict[str, Any]
    suppliers: dict[str, int]  # "A", "B", "C" -> the AN8 its vendor is linked to
    jde_db: Path

    @property
    def commitment(self) -> dict[str, Any]:
        return self.commitments["A"]

    @property
    def requisition(self) -> dict[str, Any]:
        return self.requisitions["A"]


def _cast(world: ProcoreJdeWorld) -> dict[str, tuple[dict, dict]]:
    """A: a commitment with two lines or more whose latest invoice is open (so it can be approved) and
    that has a change order waiting for approval; B and C: two more with an open latest invoice, each of
    its own vendor."""
    commitments = world.invoiced_commitments()
    latest = world.latest_invoices()
    waiting = world.waiting_change_orders()
    settled = {  # commitments with an approved change order of the seed's history (never sent: named)
        co["contract_id"]
        for co in world.procore_records("commitment_change_orders")
        if co["status"] == "approved" and co["deleted_at"] is None
    }
    open_ = [
        c
        for c in sorted(commitments)
        if c in latest and latest[c]["status"] not in APPROVED and c not in settled
    ]
    lines = {c: len(world.procore_records("commitment_line_items", commitment_id=c)) for c in open_}
    first = next((c for c in open_ if c in waiting and lines[c] >= 2), None)
    if first is None:
        pytest.skip("the sandbox seed has no commitment fit for this story")
    vendors = {commitments[first]["vendor_id"]}
    cast = {"A": first}
    for name in ("B", "C"):
        pick = next(
            (c for c in open_ if c not in cast.values() and commitments[c]["vendor_id"] not in vendors), None
        )
        if pick is None:
            pytest.skip("the sandbox seed has too few commitments of distinct vendors")
        cast[name] = pick
        vendors.add(commitments[pick]["vendor_id"])
    return {name: (commitments[c], latest[c]) for name, c in cast.items()} | {"change_order": waiting[first]}


def _reconcile(world: ProcoreJdeWorld) -> tuple[Any, dict[str, Any]]:
    """The day's reconciliation: its check evaluation and its metadata values."""
    result = world.materialize(RECONCILIATION)
    [evaluation] = result.get_asset_check_evaluations()
    [event] = result.get_asset_materialization_events()
    values = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    return evaluation, values


def _rows(meta: dict[str, Any]) -> list[dict[str, str]]:
    """The reconciliation's full list (``differences_csv``), one dict per row."""
    with open(meta["differences_csv"], newline="", encoding="utf-8") as source:
        return list(csv.DictReader(source))


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("procore_jde_reconcile")
    jde_db = tmp / "jde.sqlite"  # a file, so the test can edit a batch row as a JDE user would
    with (
        procore_jde_world(tmp, jde=jde_settings(db_path=jde_db)) as world,
        instance_for_test() as instance,
    ):
        world.instance = instance
        cast = _cast(world)
        change_order = cast.pop("change_order")
        suppliers = [row["AN8"] for row in world.jde_rows("F0401")[:3]]
        told = Story()
        told.world, told.change_order, told.jde_db = world, change_order, jde_db
        told.commitments = {name: pair[0] for name, pair in cast.items()}
        told.requisitions = {name: pair[1] for name, pair in cast.items()}
        told.suppliers = dict(zip(cast, suppliers, strict=True))
        for name, (commitment, requisition) in cast.items():
            world.link_vendor(commitment["vendor_id"], told.suppliers[name])
            world.clerk.approve_requisition(commitment["project_id"], requisition["id"])
        world.clerk.approve_change_order(change_order["project_id"], change_order["id"])
        world.run_whole(*MASTER)
        world.run(*SOURCES, *FLOWS)  # the day through every flow
        yield told


def test_a_clean_sync_is_in_balance_record_by_record(story: Story):
    world = story.world
    for flow in ("vendors", "purchase_orders", "vouchers", "change_orders"):
        assert world.queue(flow) == {}, (flow, world.queue(flow))
    check, meta = _reconcile(world)
    assert check.passed, check.description
    assert check.description == "Procore and JDE agree" and meta["differences"] == 0
    assert meta["procore_requisitions_approved"] == 3 and meta["requisitions_vouchered"] == 3
    assert meta["commitments_on_order"] == 3 and meta["change_orders_on_order"] >= 1
    assert meta["procore_vendors_in_jde"] >= 3
    assert meta["order_lines_compared"] >= 4 and meta["jde_orders_of_the_day"] >= 3
    # Records compared: the three requisitions, their commitments, the vendors (the day's and the linked).
    assert meta["records_compared"] >= 9
    assert _rows(meta) == []  # the full list, empty
    # The balances: the commitment's project and the invoice's billing month, amounts equal on both sides.
    table = meta["per_project_period"]
    period = str(story.requisition["requisition_start"])[:7]
    assert f"| project {story.commitment['project_id']} " in table and f" | {period} | " in table
    assert meta["project_period_accounts"] >= 1 and meta["project_period_accounts_out_of_balance"] == 0
    # Read by key and by day: a handful of calls for the day, not a table; said per record compared.
    assert meta["jde_api_calls"] <= 16 and meta["api_calls_per_record"] <= 8


def test_the_reconciliation_reads_the_commitments_by_list_not_one_by_one(story: Story):
    """The three requisitions' commitments come from their projects' lists (``filters[id][]``, reference
    §2.4), of the kind each requisition names; none is read by id."""
    world = story.world
    before = world.procore_state()["calls"]
    check, _meta = _reconcile(world)
    after = world.procore_state()["calls"]
    grown = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert check.passed, check.description
    listed = sum(n for k, n in grown.items() if k.endswith("_order_contracts"))
    projects = {str(c["project_id"]) for c in story.commitments.values()}
    assert 1 <= listed <= len(projects), grown
    assert not [k for k in grown if "_contracts/{id}" in k], grown


def test_with_vouchers_off_requisitions_are_not_held_against_vouchers(story: Story, monkeypatch):
    monkeypatch.setenv("ML_PROCORE_JDE_VOUCHERS", "off")
    check, meta = _reconcile(story.world)
    assert check.passed, check.description
    assert meta["requisitions_not_vouchered_vouchers_off"] == 3 and "requisitions_vouchered" not in meta
    assert "vouchers are off" in meta["vouchers"] and meta["commitments_on_order"] == 3
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
    try:
        check, meta = _reconcile(world)
    finally:
        with sqlite3.connect(story.jde_db) as conn:  # put it back for the next test
            conn.execute(
                'UPDATE "F0911Z1" SET "AA" = ? WHERE "EDUS" = ? AND "EDBT" = ? AND "EDTN" = ? AND "EDLN" = ?',
                (row["AA"], row["EDUS"], row["EDBT"], row["EDTN"], row["EDLN"]),
            )
    assert not check.passed
    assert meta["voucher_amount"] == 1 and meta["differences"] == 1, meta["difference_table"]
    account = account_key(row["ANI"])
    was, now = Decimal(row["AA"]) / 100, Decimal(row["AA"] - 5000) / 100
    [named] = _rows(meta)
    assert named["Procore record"].startswith(f"requisition {requisition['id']} ")
    assert named["JDE record"] == f"voucher batch MLPROCORE/{batch}/PROCORE-REQ-{requisition['id']}"
    assert named["field"] == f"amount on account {account}"
    assert (named["Procore"], named["JDE"]) == (f"{was:,.2f}", f"{now:,.2f}")
    assert (
        f"period {str(requisition['requisition_start'])[:7]}): Procore approves {was:,.2f} on cost code"
        in check.description
    )
    assert (
        f"(account {account}) but the JDE voucher {batch} distributes {now:,.2f} there" in check.description
    )
    assert meta["project_period_accounts_out_of_balance"] == 1


def test_an_invoice_whose_voucher_was_refused_for_an_unmapped_cost_code_is_an_expected_gap(
    story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    world, commitment = story.world, story.commitment
    made = world.new_invoice(commitment)
    with world.resources["procore"].session() as session:
        lines = list(session.requisition_lines(commitment["project_id"], made["id"]))
    line = lines[0]  # 100.00 of work billed on its first line this period, then approved
    world.clerk.call(
        "PATCH",
        f"requisitions/{made['id']}/contract_items/{line['id']}",
        {"requisition_contract_item": {"work_completed_this_period": "100.00"}},
        project_id=commitment["project_id"],
    )
    world.clerk.approve_requisition(commitment["project_id"], made["id"])
    code = line["_cost_code"]
    top = code.split("-")[0]
    # The table in force loses every row of the code (on any project), as an operator's change would.
    keys = [key for key in COST_CODES.current() if key.split("/")[-1].split("-")[0] == top]
    removed = remove_rows(COST_CODES, keys, note=f"cost code {top} taken out of the table")
    try:
        # Its billing period (the first the commitment has no invoice for) is in a closed JDE period: a
        # voucher held on it is not read until it opens; re-dated by the policy, it is read and mapped.
        with monkeypatch.context() as policy:
            policy.setenv("ML_PROCORE_JDE_GL_DATE_POLICY", "first_open_day")
            world.run("procore/requisitions", "procore_jde/cost_code_map", *FLOWS[4:6])  # vouchers
        reason = world.queue("vouchers")[str(made["id"])]
        assert f"cost code {top}" in reason or f"cost code {code}" in reason
        check, meta = _reconcile(world)
    finally:
        save_rows(COST_CODES, removed, note=f"cost code {top} back", resources=world.resources)
        world.run_whole("procore_jde/cost_code_map")
    # The refused voucher is not a difference: it is counted as queued, with the queue's reason.
    assert "requisition_without_voucher" not in meta and "missing_in_jde" not in meta
    assert meta["expected_in_the_retry_queue"] == 1 and meta["expected_gaps"] == 1
    assert f"| requisition {made['id']} (" in meta["expected_table"]
    assert reason.replace("|", "\\|")[:60] in meta["expected_table"]
    [expected] = [r for r in _rows(meta) if r["kind"].startswith("expected")]
    assert expected["words"] == reason
    # What was written before the table lost the code (A's voucher and order, and those of any other
    # commitment charged to it) is named once per document: the code has no account in the table in force,
    # JDE holds its amount elsewhere.
    lost = [r for r in _rows(meta) if r["kind"] == "cost code without account"]
    assert meta["cost_code_without_account"] == len(lost) >= 2, meta["difference_table"]
    mine = [r for r in lost if r["Procore record"].startswith(f"requisition {story.requisition['id']} (")]
    mine += [r for r in lost if r["Procore record"].endswith(f"({commitment['id']})")]
    assert [r["JDE record"].split(" ")[0] for r in mine] == ["voucher", "order"], lost
    assert all(r["field"].startswith(f"account of cost code {code.split('-')[0]}") for r in mine)
    assert (
        f"on cost code {code}, which has no JDE account in the table in force (cost code {code}"
        in (meta["difference_table"])
    )
    assert f"no JDE account ({code})" in meta["per_project_period"]  # no account to balance on
    assert not check.passed


# -- differences planted in JDE behind the connector's back ------------------------------------------------


def _orchestrate(world: ProcoreJdeWorld, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A JDE user's orchestration through AIS (a buyer changing an order, someone in the address book)."""
    with world.resources["jde"].session() as session:
        return session.orchestrate(name, inputs).outputs


def _clerk(world: ProcoreJdeWorld, path: str) -> dict[str, Any]:
    """An A/P clerk at the voucher screens (P0411Z1, P0411): the simulator's operator routes."""
    answer = requests.post(f"{world.jde_root}/sandbox/{path}", json={}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _order(world: ProcoreJdeWorld, commitment: dict[str, Any]) -> tuple[str, int, str]:
    company, number, kind = world.xrefs("purchase_order")[str(commitment["id"])].split(":")[:3]
    return company, int(number), kind


def _lines(world: ProcoreJdeWorld, order: tuple[str, int, str]) -> list[dict[str, Any]]:
    """The order's F4311 lines as stored, by line number."""
    rows = world.jde_rows("F4311", KCOO=order[0], DOCO=order[1], DCTO=order[2])
    return sorted(rows, key=lambda r: r["LNID"])


def _label(order: tuple[str, int, str]) -> str:
    return f"order {order[1]} {order[2]} {order[0]}"


def test_every_kind_of_difference_planted_in_jde_is_named_by_record_with_both_values(story: Story):
    world = story.world
    a, b = _order(world, story.commitments["A"]), _order(world, story.commitments["B"])
    a_lines, b_lines = _lines(world, a), _lines(world, b)
    # A buyer changes the quantity of the first line of A's order, and cancels its second.
    first, second = a_lines[0], a_lines[1]
    changed = {"Line_Number": str(Decimal(first["LNID"]) / 1000), "Quantity": int(first["UORG"]) + 1}
    cancelled = {"Line_Number": str(Decimal(second["LNID"]) / 1000), "Cancel": "Y"}
    _orchestrate(
        world,
        "ML_UpdatePurchaseOrder",
        {"Order_Company": a[0], "Order_Number": a[1], "Order_Type": a[2], "Lines": [changed, cancelled]},
    )
    # B's order is cancelled whole: every line of it.
    every = [{"Line_Number": str(Decimal(r["LNID"]) / 1000), "Cancel": "Y"} for r in b_lines]
    _orchestrate(
        world,
        "ML_UpdatePurchaseOrder",
        {"Order_Company": b[0], "Order_Number": b[1], "Order_Type": b[2], "Lines": every},
    )
    # Someone renames C's supplier in the address book.
    an8 = story.suppliers["C"]
    was_named = world.jde_rows("F0101", AN8=an8)[0]["ALPH"]
    _orchestrate(world, "ML_AddUpdateSupplier", {"Address_Number": an8, "Alpha_Name": RENAMED})
    # The A/P clerk deletes C's voucher batch before it is processed; the others are processed (R04110ZA),
    # then A's voucher is voided.
    c_id, a_id = story.requisitions["C"]["id"], story.requisitions["A"]["id"]
    _clerk(world, f"batches/MLPROCORE/PR{c_id}/PROCORE-REQ-{c_id}/delete")
    world.process_vouchers()
    [voucher, *_] = world.jde_rows("F0411Z1", EDUS="MLPROCORE", EDBT=f"PR{a_id}")
    assert voucher["EDSP"] == "1", voucher
    _clerk(world, f"vouchers/{voucher['KCO']}/{voucher['DOC']}/{voucher['DCT']}/void")
    # A buyer creates an order on A's job directly in JDE, of the flow's order type.
    header = world.jde_rows("F4301", KCOO=a[0], DOCO=a[1], DCTO=a[2])[0]
    created = _orchestrate(
        world,
        "ML_CreatePurchaseOrder",
        {
            "Order_Company": a[0],
            "Order_Type": a[2],
            "Business_Unit": header["MCU"].strip(),
            "Supplier": story.suppliers["B"],
            "Order_Date": date.fromisoformat(world.day),
            "Reference": "PHONE ORDER 7",
            "Lines": [{"Line_Type": "J", "Account": first["ANI"], "Quantity": 1, "Unit_Cost": "1234.50"}],
        },
    )

    check, meta = _reconcile(world)

    rows = [r for r in _rows(meta) if not r["kind"].startswith("expected")]
    assert not check.passed
    label_a, label_b = _label(a), _label(b)

    def named(kind: str, jde_record: str) -> dict[str, str]:
        found = [r for r in rows if r["kind"] == kind and r["JDE record"] == jde_record]
        assert len(found) == 1, (kind, jde_record, rows)
        return found[0]

    # A line amount: the order line in JDE, the commitment in Procore, the field, both amounts.
    row = named("line amount", f"{label_a} line 1")
    amount_now = Decimal(_lines(world, a)[0]["AEXP"]) / 100
    assert (
        row["Procore record"].startswith("commitment ")
        and f"({story.commitments['A']['id']})" in row["Procore record"]
    )
    assert row["field"] == "amount of line 1"
    assert (row["Procore"], row["JDE"]) == (f"{Decimal(first['AEXP']) / 100:,.2f}", f"{amount_now:,.2f}")
    # A line cancelled, and a whole order cancelled: status drift.
    row = named("status", f"{label_a} line 2")
    assert row["field"] == "status of line 2" and row["JDE"] == "cancelled" and row["Procore"] != "cancelled"
    row = named("status", label_b)
    assert row["field"] == "status" and row["JDE"] == "cancelled (every line)"
    assert f"({story.commitments['B']['id']})" in row["Procore record"]
    # The supplier renamed: vendor and supplier, both names.
    row = named("name", f"supplier {an8}")
    assert (row["Procore"], row["JDE"]) == (was_named.strip(), RENAMED)
    assert row["Procore record"].endswith(f"(Procore {story.commitments['C']['vendor_id']})")
    # C's voucher deleted: the requisition with its amount, nothing in JDE, written and gone.
    batch_c = f"voucher batch MLPROCORE/PR{c_id}/PROCORE-REQ-{c_id}"
    row = named("missing in JDE", batch_c)
    assert row["Procore record"].startswith(f"requisition {c_id} (") and row["JDE"] == "-"
    assert "which JDE no longer holds" in row["words"]
    # A's voucher voided once processed: the voucher by its number, its status.
    row = named("status", f"voucher {voucher['KCO']} {voucher['DOC']} {voucher['DCT']}")
    assert row["Procore record"].startswith(f"requisition {a_id} (") and row["JDE"] == "voided"
    # The order made in JDE: only in JDE, its total, on A's project's job.
    order = f"order {created['Order_Number']} {a[2]} {a[0]}"
    row = named("only in JDE", order)
    assert (row["Procore record"], row["Procore"], row["JDE"]) == ("-", "-", "1,234.50")
    assert "PHONE ORDER 7" in row["words"]
    # Nothing else: one row per planted difference; counts per kind; the queued invoice is still expected.
    assert len(rows) == meta["differences"] == 7, rows
    assert meta["status"] == 3 and meta["line_amount"] == meta["name"] == 1
    assert meta["missing_in_jde"] == meta["only_in_jde"] == 1
    assert meta["expected_in_the_retry_queue"] == 1
    assert "**only in JDE**: 1" in meta["difference_table"]


# -- the lineage, the schedule ---------------------------------------------------------------------------


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
    assert [job.name for job in PARTS.jobs if job.name.endswith("_reconcile")] == ["procore_jde_reconcile"]
    schedule = defs.resolve_schedule_def("procore_jde_reconcile_schedule")
    assert schedule.job_name == "procore_jde_reconcile"
    assert schedule.cron_schedule == settings.value("ML_PROCORE_JDE_RECONCILE_CRON")
    assert schedule.execution_timezone == settings.value("ML_JDE_TIMEZONE")
    monkeypatch.setenv("ML_PROCORE_JDE_RECONCILE_CRON", "15 6 * * *")
    [again] = [s for s in built("procore_jde").schedules if s.name == "procore_jde_reconcile_schedule"]
    assert again.cron_schedule == "15 6 * * *" and again.name == "procore_jde_reconcile_schedule"


# -- the comparisons alone (JDE read by key: tests/sides/test_jde_reconcile_documents.py) -------------------


def test_vendors_are_compared_field_by_field_and_named_on_one_side_only():
    class Queue:
        """The vendors flow's queue: it holds vendor 5512098, and vendor 44's update JDE refused."""

        def account_for(self, report: Report, record: str, *keys: str) -> bool:
            if "5512098" not in keys and "44" not in keys:
                return False
            report.expect("in the retry queue", record, "field name is too long")
            return True

    def supplier(an8: int, name: str, tax: str = "", hold: str = "N") -> JdeSupplier:
        return JdeSupplier(an8, {"AN8": an8, "HDPY": hold}, {"AN8": an8, "ALPH": name, "TAX": tax})

    report = Report(("Procore", "JDE"))
    vendors = {
        "5512098": {"id": 5512098, "name": "Granite Supply Co", "is_active": True, "origin_id": None},
        "77": {"id": 77, "name": "Retired Rentals", "is_active": False, "origin_id": None},
        "88": {"id": 88, "name": "Linked  Ltd", "is_active": True, "origin_id": "JDE-V-20001"},
        "99": {"id": 99, "name": "Old Link Co", "is_active": True, "origin_id": "JDE-V-30001"},
        "55": {
            "id": 55,
            "name": "Fresh Paint",
            "is_active": True,
            "business_register": {"identifier": "12-3"},
        },
        "66": {"id": 66, "name": "Closed Shop", "is_active": False},
        "44": {"id": 44, "name": "Renamed Rebar Ltd", "is_active": True},
        "5512099": None,  # Procore answers 404
    }
    compare_vendors(
        report,
        {"88": "20001", "99": "30001", "55": "40001", "66": "50001", "44": "60001", "5512099": "10442"},
        {"5512098", "77", "88", "99", "55", "66", "44"},
        vendors,
        {"5512099": "10442", "55": "40001", "66": "50001"},
        {
            "10442": supplier(10442, "Gone Vendor Inc"),
            "20001": supplier(20001, "Linked Ltd"),
            "40001": supplier(40001, "Fresh Paints", "12-4"),
            "50001": supplier(50001, "Closed Shop"),
            "60001": supplier(60001, "Rebar Ltd"),
        },
        Queue(),
    )
    rows = [(d.kind, d.record, d.counterpart, d.field, d.values) for d in report.differences]
    assert rows == [
        (
            "name",
            "vendor Fresh Paint (Procore 55)",
            "supplier 40001",
            "name",
            ("Fresh Paint", "Fresh Paints"),
        ),
        ("tax ID", "vendor Fresh Paint (Procore 55)", "supplier 40001", "tax ID", ("12-3", "12-4")),
        (
            "status",
            "vendor Closed Shop (Procore 66)",
            "supplier 50001",
            "status",
            ("inactive", "payment hold N"),
        ),
        ("missing in JDE", "vendor Old Link Co (Procore 99)", "supplier 30001", "supplier", ("99", "-")),
        ("only in JDE", "-", "supplier 10442", "vendor", ("-", "Gone Vendor Inc")),
    ]
    words = [d.words for d in report.differences]
    assert words[3] == (
        "vendor Old Link Co (Procore 99) says it is JDE supplier 30001 (origin_id 'JDE-V-30001'), which JDE "
        "does not hold (no F0401 row)"
    )
    assert words[4] == (
        "JDE supplier 10442 (Gone Vendor Inc) (added from Procore vendor 5512099) no longer exists in Procore"
    )
    # A queued vendor is an expected gap, and so is one JDE holds under another name while the flow's
    # queue holds its update (once, not a difference); an inactive one never synced is counted; spaces
    # fold as sent.
    assert [(e.kind, e.record) for e in report.expected] == [
        ("in the retry queue", "vendor Renamed Rebar Ltd (Procore 44) (name differs)"),
        ("in the retry queue", "vendor Granite Supply Co (Procore 5512098)"),
    ]
    assert report.counts["procore_vendors_inactive_not_in_jde"] == 1
    assert report.counts["procore_vendors_in_jde"] == report.compared == 4
    assert "| What | Procore | JDE record | Field | Where | Procore | JDE | In words |" in report.table()


def _voucher_against(monkeypatch, policy: str, **held: Any) -> Report:
    """Requisition 7 (INV-7, 100.00 on M30.7110, G/L date 2026-09-30) against a voucher batch holding
    ``held`` on top of what the flow wrote, under G/L date policy ``policy``."""
    from datetime import date

    from connector_assets.integrations.procore_jde.reconcile.balances import Balances
    from connector_assets.integrations.procore_jde.reconcile.documents import (
        ApprovedRequisition,
        Context,
        compare_voucher,
    )
    from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey
    from connector_assets.jde.account_amounts import Amounts
    from connector_assets.jde.reconcile_documents import VoucherBatch

    monkeypatch.setenv("ML_PROCORE_JDE_GL_DATE_POLICY", policy)
    approved = Amounts()
    approved.add("M30.7110", "03", Decimal("100.00"))
    record = {
        "id": 7,
        "invoice_number": "INV-7",
        "billing_date": "2026-10-05",
        "requisition_end": "2026-09-30",
    }
    commitment = {"id": 9, "vendor": {"id": 55}, "currency_configuration": {"currency_iso_code": "USD"}}
    req = ApprovedRequisition(
        record, "7", "1", "project 1", "2026-09", "9", commitment, "requisition 7", approved
    )
    voucher = VoucherBatch(
        BatchKey.for_requisition("7"), Decimal("100.00"), 1, "1016", "00001:4011:OP", "INV-7"
    )
    voucher.invoice_date, voucher.gl_date = date(2026, 10, 5), date(2026, 9, 30)
    voucher.by_account["M30.7110"] = Decimal("100.00")
    for name, value in held.items():
        setattr(voucher, name, value)
    report = Report(("Procore", "JDE"))
    context = Context(
        OWN, report, Balances(), None, None, {}, {"purchase_order": {"9": "00001:4011:OP"}}, {"55": "1016"}
    )  # type: ignore[arg-type]
    compare_voucher(context, req, voucher)
    return report


def test_a_voucher_header_is_compared_field_by_field(monkeypatch):
    from datetime import date

    clean = _voucher_against(monkeypatch, "refuse")
    assert clean.differences == [] and clean.compared == 1
    changed = _voucher_against(
        monkeypatch,
        "refuse",
        supplier="2020",
        invoice="INV-7B",
        order="00001:4999:OP",
        gl_date=date(2026, 10, 1),
    )
    assert [(d.kind, d.field, d.values) for d in changed.differences] == [
        ("supplier", "supplier", ("1016", "2020")),
        ("invoice number", "invoice number", ("INV-7", "INV-7B")),
        ("date", "G/L date", ("2026-09-30", "2026-10-01")),
        ("purchase order", "purchase order", ("order 4011 OP 00001", "order 4999 OP 00001")),
    ]
    assert {d.counterpart for d in changed.differences} == {"voucher batch MLPROCORE/PR7/PROCORE-REQ-7"}
    # Re-dated into the first open period by the policy: counted, not a difference.
    moved = _voucher_against(monkeypatch, "first_open_day", gl_date=date(2026, 10, 1))
    assert moved.differences == [] and moved.counts["gl_dates_moved_to_an_open_period"] == 1
    # The gross changed on the voucher alone (P0411), the distribution as written: named as the gross.
    report = _voucher_against(monkeypatch, "refuse", gross=Decimal("110.00"), document=("00001", 10234, "PV"))
    [gross] = report.differences
    assert (gross.kind, gross.field, gross.values) == ("voucher amount", "gross", ("100.00", "110.00"))
    assert gross.counterpart == "voucher 00001 10234 PV"


class _Lines:
    """Procore's reads as the reconciliation makes them, for one commitment and its requisition's lines."""

    def __init__(self, commitment: dict[str, Any], lines: list[dict[str, Any]]) -> None:
        self.found, self.lines = commitment, lines

    def commitment(self, _commitment_id: str, _project_id: str | None) -> dict[str, Any]:
        return self.found

    def requisition_lines(self, _project_id: str, _requisition_id: str) -> list[dict[str, Any]]:
        return self.lines


def _retained(code: str) -> dict[str, Any]:
    """A line of 10.05 at 10 % retainage: 1.005 held, rounded per line to 1.01, so it pays 9.04."""
    return {
        "description": f"work on {code}",
        "_cost_code": code,
        "work_completed_this_period": "10.05",
        "materials_presently_stored": "0.00",
        "work_completed_from_previous_application": "0.00",
        "retainage_percent": "10.0",
        "total_retainage": "1.01",
    }


def _written(body: dict[str, Any], currency: str = "") -> Any:
    """The voucher batch JDE holds for a body the vouchers flow sent, as the reconciliation reads it."""
    from connector_assets.integrations.procore_jde.voucher_mappers import BatchKey
    from connector_assets.jde.reconcile_documents import VoucherBatch

    gross = sum(Decimal(item["Gross_Amount"]) for item in body["Pay_Items"])
    order = f"{body['Order_Company']}:{body['Order_Number']}:{body['Order_Type']}"
    voucher = VoucherBatch(
        BatchKey.for_requisition("7"), gross, 1, str(body["Supplier"]), order, body["Invoice_Number"]
    )
    voucher.currency = currency
    voucher.invoice_date = date.fromisoformat(body["Invoice_Date"])
    voucher.gl_date = date.fromisoformat(body["GL_Date"])
    for line in body["Distribution"]:
        voucher.by_account[account_key(line["Account"])] += Decimal(line["Amount"])
    return voucher


def test_the_reconciliation_expects_the_rounding_on_the_account_the_flow_put_it_on():
    # Seven lines of 10.05 at 10 %, each paying 9.04 (retainage rounded per line): 63.28 by the lines,
    # 63.31 by Procore's G702 (retainage rounded on the total). The flow writes 63.31, the 0.03 on the
    # largest account; the reconciliation summed the lines per account and named that account 0.03 apart
    # from what was written. Both now settle by one rule (``job_cost_distribution.settlement``).
    from connector_assets.integrations.procore_jde.reconcile.balances import Balances
    from connector_assets.integrations.procore_jde.reconcile.documents import (
        Context,
        approved_requisition,
        compare_voucher,
    )
    from connector_assets.integrations.procore_jde.voucher_mappers import VoucherInputs, map_requisition
    from connector_assets.jde.accounts import GlAccounts
    from connector_assets.jde.job_cost_distribution import Settlement, settlement

    lines = [_retained("03-100")] * 2 + [_retained("03-200")] * 2 + [_retained("05-100")] * 3
    costs = CostCodeMap(
        {"1": "M30"},
        {"03-100": "{job}.1310", "03-200": "{job}.1310", "05-100": "{job}.1340"},
        GlAccounts(
            [{"MCU": "M30", "OBJ": obj, "SUB": "", "CO": "00200", "PEC": ""} for obj in ("1310", "1340")]
        ),
    )
    requisition = {
        "id": 7, "number": 3, "invoice_number": "INV-7", "commitment_id": 9, "project_id": 1,
        "billing_date": "2026-10-05", "requisition_end": "2026-09-30", "status": "approved",
        "summary": {"current_payment_due": "63.31"},
    }  # fmt: skip
    commitment = {"id": 9, "vendor": {"id": 55}, "currency_configuration": {"currency_iso_code": "USD"}}
    inputs = VoucherInputs(
        requisition, lines, commitment, "1", "Site", "1016", "00200:4011:OP", "po:9", "vendor:55",
        datetime(2026, 10, 5, tzinfo=UTC),
    )  # fmt: skip
    mapped = map_requisition(inputs, costs)
    assert [(d["Account"], d["Amount"]) for d in mapped.body["Distribution"]] == [  # type: ignore[union-attr]
        ("M30.1310", "36.19"),  # 4 x 9.04 = 36.16, + 0.03
        ("M30.1340", "27.12"),
    ]
    context = Context(
        OWN, Report(("Procore", "JDE")), Balances(), costs, _Lines(commitment, lines), {},
        {"purchase_order": {"9": "00200:4011:OP"}}, {"55": "1016"},
    )  # type: ignore[arg-type]  # fmt: skip
    req = approved_requisition(context, requisition)
    assert dict(req.approved.by_account) == {"M30.1310": Decimal("36.19"), "M30.1340": Decimal("27.12")}
    compare_voucher(context, req, _written(mapped.body, "USD"))  # type: ignore[union-attr]
    assert context.report.differences == [] and context.report.compared == 1
    # The rule on its own: 0.03 over seven payable lines is rounding, on the first of the largest lines;
    # over two it is a real difference, left for a person.
    raw = {"M30.1310": Decimal("36.16"), "M30.1340": Decimal("27.12")}
    assert settlement(raw, Decimal("63.31"), 7) == Settlement(Decimal("0.03"), "M30.1310")
    assert settlement(raw, Decimal("63.31"), 2).too_large
    assert settlement({"A": Decimal("5"), "B": Decimal("5")}, Decimal("10.01"), 2).account == "A"


def test_a_voucher_in_another_currency_is_a_currency_mismatch_not_an_amount_difference(monkeypatch):
    # Procore approves 100.00 in USD; JDE holds the voucher in EUR: its own kind, amounts not compared.
    report = _voucher_against(monkeypatch, "refuse", currency="EUR", gross=Decimal("92.30"))
    [mismatch] = report.differences
    assert (mismatch.kind, mismatch.field, mismatch.values) == (
        "currency mismatch",
        "currency",
        ("USD", "EUR"),
    )
    assert "100.00 USD" in mismatch.words and "EUR (92.30)" in mismatch.words


# Last in the module: R0411Z1P deletes every processed batch of the module's world.
def test_after_jde_purged_the_processed_batch_rows_the_day_reconciles_as_before(story: Story):
    """R0411Z1P (or R04110ZA's "purge processed transactions") leaves only the F0411 vouchers: each
    requisition's voucher is found by its remark ``Procore invoice <number>``, invoice number and supplier,
    with its F0911 distribution, so the report is the one a keeping site gets, no voucher missing."""
    world = story.world
    requests.post(f"{world.jde_root}/sandbox/process-vouchers", timeout=60).raise_for_status()
    _check, before = _reconcile(world)
    purged = requests.post(f"{world.jde_root}/sandbox/purge-batches", timeout=10).json()["purged"]
    assert purged

    _check, after = _reconcile(world)

    assert after["differences"] == before["differences"], after["difference_table"]
    assert sorted(map(str, _rows(after))) == sorted(map(str, _rows(before))), after["difference_table"]
    assert after["requisitions_vouchered"] == before["requisitions_vouchered"] >= 1
