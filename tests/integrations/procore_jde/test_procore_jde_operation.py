"""Procore -> JDE operation: the shared test world works, and the integration's Definitions, jobs,
schedules and webhook sensor are wired (one job and schedule per flow, an early run per inbox batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from asset_runs import busy_day
from dagster import (
    AssetKey,
    AssetSelection,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
)
from instances import instance_for_test
from procore_jde_world import ProcoreJdeWorld, procore_day, procore_jde_world
from schedule_ticks import mark_closed, tick

from connector_assets.flows.jobs import build_day_close_schedule
from connector_assets.procore.inbox_events import PROJECT_TAG
from connector_assets.saas.assets import saas_partitions
from connector_resources import settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcoreJdeWorld]:
    with procore_jde_world(Path(tmp_path_factory.mktemp("procore_jde"))) as built:
        yield built


def test_procore_day_is_the_utc_day_of_a_stamp():
    assert procore_day("2025-03-04T23:59:59Z") == "2025-03-04"
    assert procore_day("2025-03-04T23:30:00-02:00") == "2025-03-05"


def test_the_world_reads_both_sandboxes_and_a_clerk_approves_a_requisition(world):
    # JDE: suppliers and orders are there; Procore: vendors and requisitions.
    assert world.jde_rows("F0401") and world.jde_rows("F4301", limit=5)
    assert world.procore_records("vendors", limit=5)
    made = world.activity(new_requisitions=1)
    [requisition_id] = made["records"]["new_requisitions"]
    row = world.procore_record("requisitions", requisition_id)
    assert row["status"] == "under_review"
    approved = world.clerk.approve_requisition(row["project_id"], requisition_id)
    assert approved["status"] == "approved"
    assert world.procore_record("requisitions", requisition_id)["status"] == "approved"
    assert procore_day(made["updated_at"]) == world.day


def test_the_world_stages_a_procore_day_and_counts_the_ledger(world):
    meta = world.run("procore/requisitions", partition=busy_day())["procore/requisitions"]
    assert meta["rows"] > 0
    assert world.xrefs("purchase_order") == {} and world.queue("purchase_orders") == {}
    assert world.inbox_event("Requisitions", 1, project_id=2, event_id=99) is True
    assert world.inbox_event("Requisitions", 1, project_id=2, event_id=99) is False  # a duplicate delivery
    [row] = world.ledger.inbox_pending(source="procore")
    world.ledger.inbox_mark(row.id, status="processed")  # the sensor's test starts from an empty inbox


# -- the daily schedule closes each whole day -----------------------------------------------------------


def _source_job(name: str) -> Any:
    """An asset job over a staged Procore entity: partitioned by UTC day like the Procore flows."""
    return define_asset_job(name, selection=AssetSelection.assets(AssetKey(["procore", "requisitions"])))


def test_a_daily_tick_closes_yesterday_in_the_partitions_time_zone_and_a_later_tick_polls_today():
    job = _source_job("procore_jde_test_close")
    schedule = build_day_close_schedule(
        "procore_jde_test_close_schedule",
        job,
        cron="0 2 * * *",
        timezone="America/Chicago",
        partitions_def=saas_partitions,
        description="test",
    )
    at = datetime(2026, 3, 10, 2, 0, tzinfo=ZoneInfo("America/Chicago"))  # 07:00 UTC on the 10th
    with instance_for_test() as instance:
        [first] = tick(schedule, at, instance)
        assert (first.partition_key, first.run_key) == ("2026-03-09", "close-2026-03-09")  # the whole UTC day
        # Once a run of this schedule holds yesterday, a later tick the same day polls today instead.
        mark_closed(instance, schedule.name, "2026-03-09")
        [later] = tick(schedule, at + timedelta(hours=1), instance)
        assert later.partition_key == "2026-03-10" and later.run_key.startswith("poll-")


# -- the integration's Definitions ---------------------------------------------------------------------------

FLOWS = ("vendors", "suppliers", "purchase_orders", "vouchers", "change_orders")


def _repository() -> Any:
    from connector_assets.definitions import defs

    return defs, defs.get_repository_def()


def test_every_flow_has_one_job_and_a_schedule_at_its_cron_setting_in_the_definitions():
    from connector_assets.deployment import known_names

    assert "procore_jde" in known_names()
    defs, _ = _repository()
    graph = defs.resolve_asset_graph()
    for flow in FLOWS:
        assert graph.get(AssetKey(["procore_jde", f"{flow}_mapped"])).group_name == "procore_jde"
        schedule = defs.resolve_schedule_def(f"procore_jde_{flow}_schedule")
        assert schedule.cron_schedule == settings.value(f"ML_PROCORE_JDE_{flow.upper()}_CRON")
        assert schedule.execution_timezone == settings.value("ML_JDE_TIMEZONE")
        assert schedule.job_name == f"procore_jde_{flow}"
        keys = {
            k.to_user_string()
            for k in defs.resolve_job_def(schedule.job_name).asset_layer.selected_asset_keys
        }
        assert [k for k in keys if k.endswith("_written")] == [f"procore_jde/{flow}_written"], (
            keys
        )  # one flow
        assert "jde/gl_accounts" not in keys  # F0901 keeps its own refresh schedule
    po_job = defs.resolve_job_def("procore_jde_purchase_orders").asset_layer.selected_asset_keys
    assert {AssetKey(["procore", "requisitions"]), AssetKey(["procore_jde", "cost_code_map"])} <= set(po_job)
    assert AssetKey(["procore_jde", "vendors_written"]) not in po_job  # another flow's step: ordering only


def test_the_daily_ticks_close_yesterday_in_each_flows_own_days():
    defs, repository = _repository()
    at = datetime(2026, 11, 21, 2, 10, tzinfo=ZoneInfo(settings.value("ML_JDE_TIMEZONE")))
    for flow in ("purchase_orders", "suppliers"):
        with (
            instance_for_test() as instance,
            build_schedule_context(
                instance=instance, scheduled_execution_time=at, repository_def=repository
            ) as context,
        ):
            result = defs.resolve_schedule_def(f"procore_jde_{flow}_schedule").evaluate_tick(context)
        zone = ZoneInfo("UTC" if flow != "suppliers" else settings.value("ML_JDE_TIMEZONE"))
        yesterday = (at.astimezone(zone).date() - timedelta(days=1)).isoformat()
        [request] = result.run_requests
        assert (request.partition_key, request.run_key) == (yesterday, f"close-{yesterday}")


def test_the_inbox_sensor_turns_a_stored_procore_event_into_one_run_per_flow_and_a_duplicate_into_none(world):
    defs, repository = _repository()
    sensor = defs.resolve_sensor_def("procore_jde_inbox_sensor")
    at = datetime.now(UTC)
    project = 562949953432100
    assert world.inbox_event("Requisitions", 41, project_id=project, event_id=7001, at=at)

    with instance_for_test() as instance:

        def evaluate(cursor: str | None) -> tuple[list[RunRequest], str | None]:
            with build_sensor_context(
                instance=instance,
                cursor=cursor,
                resources={"ledger": world.resources["ledger"]},
                repository_def=repository,
            ) as context:
                result = sensor.evaluate_tick(context)
            return list(result.run_requests or []), result.cursor

        requests, cursor = evaluate(None)
        # A requisition concerns the purchase orders (its commitment) and the vouchers: one run each.
        assert sorted(r.job_name for r in requests) == ["procore_jde_purchase_orders", "procore_jde_vouchers"]
        assert {r.partition_key for r in requests} == {procore_day(at)}
        assert {r.tags[PROJECT_TAG] for r in requests} == {str(project)}
        # The same delivery again: the receiver stores nothing, so the next tick requests nothing.
        assert not world.inbox_event("Requisitions", 41, project_id=project, event_id=7001, at=at)
        again, cursor = evaluate(cursor)
        assert again == []
        # A cost code change moves nothing by itself; a company vendor change starts the vendors flow.
        world.inbox_event("Cost Codes", 5, project_id=project, event_id=7002, at=at)
        world.inbox_event("Company Vendors", 9, event_id=7003, at=at)
        [vendors], _ = evaluate(cursor)
        assert vendors.job_name == "procore_jde_vendors" and PROJECT_TAG not in vendors.tags
    assert world.ledger.inbox_pending(source="procore") == []  # every row looked at is marked


def test_replay_handlers_are_registered_for_every_flow():
    from connector_assets.deployment import Deployment

    replays = Deployment.of(["procore_jde"]).replays()
    assert all(replays.handler_for("procore_jde", flow) for flow in FLOWS)


# -- ml-connector ping covers every Procore read of the flows ------------------------------------------

LINE_READS = {
    "commitment_line_items": ["procore_jde_purchase_orders"],
    "requisition_contract_items": ["procore_jde_vouchers"],
    "commitment_change_order_line_items": ["procore_jde_change_orders"],
}


def test_every_procore_read_the_flows_declare_has_a_ping_check():
    from connector_assets.definitions import DEPLOYMENT
    from connector_assets.flows.access import flow_access
    from connector_resources.procore.line_pings import PROCORE_CHECKED_READS, PROCORE_LINE_READS

    reads, _ = flow_access(DEPLOYMENT.definitions, DEPLOYMENT.specs).for_system("procore")
    assert set(reads) <= PROCORE_CHECKED_READS | set(PROCORE_LINE_READS), set(reads)
    # The lines live behind their own endpoints (v2.0 for change orders): declared by the flows reading them.
    assert "procore_jde_change_orders" in reads["commitment_change_order_line_items"]
    assert "procore_jde_purchase_orders" in reads["commitment_line_items"]
    assert "procore_jde_vouchers" in reads["requisition_contract_items"]


def test_a_procore_read_no_check_knows_fails_ping_naming_its_flow():
    from connector_resources.procore.line_pings import with_line_reads

    check = with_line_reads(lambda: "core ok", {"vendors": ["x"], "submittals": ["procore_jde_x"]})
    with pytest.raises(RuntimeError, match=r"submittals \(procore_jde_x\)"):
        check()
    assert with_line_reads(lambda: "core ok", {"vendors": ["x"]})() == "core ok"


def test_ping_reads_each_kind_of_line_and_names_the_flow_when_procore_serves_no_v2_change_order_lines(world):
    from connector_resources.procore import ProcoreError
    from connector_resources.procore.line_pings import procore_line_reads

    procore = world.resources["procore"]
    assert procore_line_reads(LINE_READS, procore) == (
        "read lines: commitment_change_order_line_items, commitment_line_items, requisition_contract_items"
    )
    variants = f"{world.procore_url}/sandbox/settings"
    requests.post(
        variants, json={"variants": {"change_order_line_items": False}}, timeout=10
    ).raise_for_status()
    try:
        with pytest.raises(ProcoreError) as failed:
            procore_line_reads(LINE_READS, procore)
    finally:
        requests.post(
            variants, json={"variants": {"change_order_line_items": True}}, timeout=10
        ).raise_for_status()
    message = str(failed.value)
    assert "commitment_change_order_line_items not readable" in message
    assert "needed by procore_jde_change_orders" in message
    assert "requisition_contract_items" not in message  # only the read that failed is named


# -- make dev: the Procore sandbox's hook, so the activity's approvals start early runs ----------------


def test_dev_registers_one_hook_on_the_procore_sandbox_with_triggers_for_what_the_sensor_acts_on(world):
    from connector_assets.integrations.procore_jde.hooks import ENTITY_FLOWS, procore_hook_resources
    from connector_assets.procore.inbox_events import PROCORE_HOOK_NAMESPACE, register_procore_hook
    from connector_resources.procore.entities import RESOURCE_ENTITIES

    resources = procore_hook_resources()
    assert {"Requisitions", "Commitment Change Orders", "Company Vendors"} <= set(resources)
    assert {RESOURCE_ENTITIES[name] for name in resources} == set(ENTITY_FLOWS)  # nothing that moves nothing
    procore, receiver = world.resources["procore"], "http://127.0.0.1:9/webhooks/procore"
    assert register_procore_hook(procore, receiver, resources) == ["created"]
    try:
        assert register_procore_hook(procore, receiver, resources) == ["adopted"]  # a restart: the same hook
        with procore.session() as session:
            [hook] = session.webhooks.list_hooks(PROCORE_HOOK_NAMESPACE)
            assert hook["destination_url"] == receiver
            triggers = session.webhooks.list_triggers(hook["id"])
        assert {("Requisitions", "update"), ("Commitment Change Orders", "update")} <= {
            (t["resource_name"], t["event_type"]) for t in triggers
        }
    finally:
        with procore.session() as session:
            session.webhooks.delete_hook(hook["id"])  # the module's sandbox delivers to nobody afterwards
