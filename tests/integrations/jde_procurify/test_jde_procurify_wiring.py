"""JD Edwards <-> Procurify is wired into ml-connector: every flow the design names is in the
``Definitions`` with its job and its schedule at its own ``ML_JDE_PROCURIFY_*_CRON``, its queued records
can be replayed, and ``ml-connector ping`` checks what the flows read and write in both systems (named by
flow), against the JDE and Procurify simulators on free ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from built_parts import built
from click.testing import CliRunner
from dagster import AssetKey, DagsterInstance, DailyPartitionsDefinition, RunRequest
from instances import instance_for_test
from jde_procurify_parts import PARTS
from sandbox_logins import jde_settings_env
from schedule_ticks import mark_closed, tick

from connector_assets.definitions import defs
from connector_assets.deployment import Deployment, known_names
from connector_assets.flows.access import flow_access
from connector_assets.flows.assembly import Flow
from connector_assets.flows.jobs import mapped_asset
from connector_cli.main import cli
from connector_resources import settings
from connector_resources.procurify import forget_shared_tokens
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.jde_ais import run_in_thread as run_jde
from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.procurify import run_in_thread as run_procurify
from connector_sandbox.procurify.settings import SandboxApplication

# The design's flows (notes: flow, entity, route) and the setting holding each one's cadence.
DESIGN = {
    "account_codes": "ML_JDE_PROCURIFY_ACCOUNT_CODES_CRON",
    "suppliers": "ML_JDE_PROCURIFY_SUPPLIERS_CRON",
    "vendors": "ML_JDE_PROCURIFY_VENDORS_CRON",
    "purchase_orders": "ML_JDE_PROCURIFY_PURCHASE_ORDERS_CRON",
    "po_links": "ML_JDE_PROCURIFY_PO_LINKS_CRON",
    "bills": "ML_JDE_PROCURIFY_BILLS_CRON",
    "payments": "ML_JDE_PROCURIFY_PAYMENTS_CRON",
    "paid_marks": "ML_JDE_PROCURIFY_PAID_MARKS_CRON",
}
LOGIN = {"client_id": "ml-connector-sandbox", "client_secret": "sandbox-procurify-secret"}


def _flows() -> dict[str, Flow]:
    return {flow.name: flow for flow in PARTS.flows}


def _job_keys(job_name: str) -> set[str]:
    return {k.to_user_string() for k in defs.resolve_job_def(job_name).asset_layer.executable_asset_keys}


def test_every_flow_of_the_design_is_in_the_definitions():
    assert "jde_procurify" in known_names()
    assert {flow.name: flow.cron_setting for flow in PARTS.flows} == DESIGN
    assert [flow.name for flow in PARTS.flows] == list(DESIGN)  # in the order records move
    graph = defs.resolve_asset_graph()
    for name, flow in _flows().items():
        assert flow.spec.integration == "jde_procurify" and flow.spec.flow == f"jde_procurify_{name}"
        for step in ("mapped", "written"):
            assert graph.has(AssetKey(["jde_procurify", f"{name}_{step}"])), (name, step)
        assert graph.get(AssetKey(["jde_procurify", f"{name}_mapped"])).group_name == "jde_procurify"
    for table in ("jde_procurify/account_map", "jde_procurify/department_map"):
        assert graph.has(AssetKey.from_user_string(table))


def test_each_flow_has_a_job_of_its_own_steps_and_the_sources_it_maps_from():
    own_steps = {f"jde_procurify/{name}_{step}" for name in DESIGN for step in ("mapped", "written")}
    graph = defs.resolve_asset_graph()
    for name, flow in _flows().items():
        keys = _job_keys(flow.spec.flow)
        assert {f"jde_procurify/{name}_mapped", f"jde_procurify/{name}_written"} <= keys, name
        assert keys & own_steps == {f"jde_procurify/{name}_mapped", f"jde_procurify/{name}_written"}, name
        assert "jde/gl_accounts" not in keys  # F0901 keeps its own refresh schedule
        parents = {k.to_user_string() for k in graph.get(flow.spec.key("mapped")).parent_keys}
        sources = {p for p in parents if p not in own_steps and p != "jde/gl_accounts"}
        assert sources <= keys, (name, sources - keys)  # every staged source and mapping table it reads
    # What the flows read, by the design: JDE suppliers, JDE orders, Procurify bills and payments.
    assert {"jde/suppliers", "jde/address_book"} <= _job_keys("jde_procurify_suppliers")
    assert {"jde/po_headers", "jde/po_lines"} <= _job_keys("jde_procurify_purchase_orders")
    assert "procurify/bills" in _job_keys("jde_procurify_bills")
    assert "procurify/payments" in _job_keys("jde_procurify_payments")


def test_each_flow_has_a_schedule_at_its_own_cron_setting(monkeypatch):
    repository = defs.get_repository_def()
    for name, setting in DESIGN.items():
        schedule = repository.get_schedule_def(f"jde_procurify_{name}_schedule")
        assert schedule.job_name == f"jde_procurify_{name}"
        assert schedule.cron_schedule == settings.value(setting), name
    # The cron is read from the setting: another value makes another schedule.
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILLS_CRON", "5 */3 * * *")
    by_name = {s.name: s.cron_schedule for s in built("jde_procurify").schedules}
    assert by_name["jde_procurify_bills_schedule"] == "5 */3 * * *"
    assert by_name["jde_procurify_account_codes_schedule"] == settings.value(DESIGN["account_codes"])


def test_the_days_reconciliation_has_its_job_and_schedule_at_its_cron_setting():
    repository = defs.get_repository_def()
    schedule = repository.get_schedule_def("jde_procurify_reconcile_schedule")
    assert schedule.cron_schedule == settings.value("ML_JDE_PROCURIFY_RECONCILE_CRON")
    assert "jde_procurify/reconciliation" in _job_keys(schedule.job_name)


def _tick(name: str, instance: DagsterInstance, at: datetime) -> list[RunRequest]:
    return tick(defs.get_repository_def().get_schedule_def(f"jde_procurify_{name}_schedule"), at, instance)


def test_a_daily_flow_closes_the_previous_day_then_polls_today():
    flow = _flows()["bills"]
    assert isinstance(mapped_asset(flow.spec, flow.assets).partitions_def, DailyPartitionsDefinition)
    at = datetime(2026, 3, 5, 0, 15, tzinfo=UTC)
    with instance_for_test() as instance:
        [first] = _tick("bills", instance, at)
        assert first.partition_key == "2026-03-04" and first.run_key == "close-2026-03-04"
        mark_closed(instance, "jde_procurify_bills_schedule", "2026-03-04")
        [later] = _tick("bills", instance, at.replace(hour=1))
        assert later.partition_key == "2026-03-05" and later.run_key.startswith("poll-")


def test_a_flow_read_whole_runs_its_job_at_each_tick():
    """The account codes read F0901 whole (no day partitions): each tick runs the job once."""
    flows = _flows()
    unpartitioned = [
        name for name, flow in flows.items() if mapped_asset(flow.spec, flow.assets).partitions_def is None
    ]
    assert unpartitioned == ["account_codes"]
    for name in unpartitioned:
        with instance_for_test() as instance:
            [request] = _tick(name, instance, datetime(2026, 3, 5, 5, 30, tzinfo=UTC))
            assert request.partition_key is None and request.run_key == "tick-2026-03-05T05:30"


def test_every_flow_can_be_replayed():
    replays = Deployment.of(["jde_procurify"]).replays()
    for name in DESIGN:
        assert _flows()[name].replay is not None, f"{name}: its module states no replay"
        assert replays.handler_for("jde_procurify", name) is not None, name
    assert sorted(replays.flows()["jde_procurify"]) == sorted(flow.name for flow in PARTS.flows)


# -- ml-connector ping --------------------------------------------------------------------------------


def test_ping_knows_what_the_flows_read_and_write_in_each_system():
    from connector_assets.definitions import DEPLOYMENT

    access = flow_access(DEPLOYMENT.definitions, DEPLOYMENT.specs)
    flows = {f"jde_procurify_{name}" for name in DESIGN}

    def users(kind: str, system: str) -> set[str]:
        names = getattr(access, kind).get(system, {})
        return {flow for needing in names.values() for flow in needing if flow in flows}

    # every flow reads or writes something ping checks, in the system it writes to
    for name in DESIGN:
        spec = _flows()[name].spec
        assert f"jde_procurify_{name}" in users("writes", spec.target_system), name
    jde_reads, jde_writes = access.reads["JDE"], access.writes["JDE"]
    assert "jde_procurify_suppliers" in jde_reads["F0401"] and "jde_procurify_suppliers" in jde_reads["F0101"]
    assert "jde_procurify_purchase_orders" in jde_reads["F4301"]
    assert "jde_procurify_purchase_orders" in jde_reads["F4311"]
    assert "jde_procurify_vendors" in jde_writes["ML_AddUpdateSupplier"]
    assert "jde_procurify_bills" in jde_writes["ML_CreateVoucherBatch"]
    assert "jde_procurify_payments" in jde_writes["ML_RecordPayment"]
    procurify_reads = access.reads["procurify"]
    assert "jde_procurify_bills" in procurify_reads["bills"]
    assert "jde_procurify_payments" in procurify_reads["payments"]
    assert "jde_procurify_po_links" in procurify_reads["purchase_orders"]


@pytest.fixture
def ping_env(tmp_path, monkeypatch) -> Iterator[dict[str, str]]:
    """Both simulators on free ports, and ml-connector's settings pointing at them."""
    jde_url, stop_jde = run_jde(JdeSandboxSettings(scale=0.05))
    try:
        jde_settings_env(monkeypatch, tmp_path, jde_url)
        monkeypatch.setenv("ML_PROCURIFY_CLIENT_ID", LOGIN["client_id"])
        monkeypatch.setenv("ML_PROCURIFY_CLIENT_SECRET", LOGIN["client_secret"])
        yield {"jde": jde_url}
    finally:
        stop_jde()
        forget_shared_tokens()


def _ping_procurify(monkeypatch, sandbox: ProcurifySandboxSettings) -> tuple[int, str]:
    url, stop = run_procurify(sandbox)
    try:
        monkeypatch.setenv("ML_PROCURIFY_URL", url)
        result = CliRunner().invoke(cli, ["ping", "--system", "procurify"])
        return result.exit_code, result.output
    finally:
        stop()


def test_ping_reads_every_procurify_entity_the_flows_read_and_names_their_writes(ping_env, monkeypatch):
    code, output = _ping_procurify(monkeypatch, ProcurifySandboxSettings(scale=0.05))
    assert code == 0, output
    line = next(x for x in output.splitlines() if " procurify " in x)
    assert line.startswith("ok   procurify"), output
    from connector_assets.definitions import DEPLOYMENT

    for entity in flow_access(DEPLOYMENT.definitions, DEPLOYMENT.specs).reads["procurify"]:
        assert f"{entity} " in line.split("entities (", 1)[1], (entity, line)
    unchecked = line.split("write access not checked", 1)[1]
    assert "vendors (" in unchecked and "jde_procurify_suppliers" in unchecked
    assert "jde_procurify_paid_marks" in unchecked  # bills marked paid


def test_ping_fails_naming_the_flows_a_refused_procurify_entity_would_stop(ping_env, monkeypatch):
    # An API application created without the payments permission: payments cannot be read.
    application = SandboxApplication(
        **LOGIN, permissions=frozenset({"vendors", "requisitions", "purchase_orders", "ap", "setup"})
    )
    code, output = _ping_procurify(
        monkeypatch, ProcurifySandboxSettings(scale=0.05, applications=(application,))
    )
    assert code == 1, output
    assert "FAIL procurify" in output
    refused = output.split("payments:", 1)[1]
    assert "needed by" in refused and "jde_procurify_payments" in refused.split("|")[0]


def test_jde_ping_checks_the_tables_and_orchestrations_of_the_procurify_flows(ping_env):
    result = CliRunner().invoke(cli, ["ping", "--system", "jde_ais"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "jde_ais" in x)
    checked = set(line.split("table(s) (", 1)[1].split(")", 1)[0].split(", "))
    assert {"F0101", "F0401", "F4301", "F4311", "F0411"} <= checked
    offered = line.split("orchestrations offered (", 1)[1].split(")", 1)[0]
    assert {"ML_AddUpdateSupplier", "ML_CreateVoucherBatch", "ML_RecordPayment"} <= set(offered.split(", "))
