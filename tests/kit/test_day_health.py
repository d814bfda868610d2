"""A day with a failed record must not look green, and a replay that writes it must say so where the day is
shown; the replay's audit lines name its run and the record's day.

Dagster colours a day of the ``no_failed_records`` check (asset -> Checks: one cell per day) only when the
day's evaluation targets the day's latest materialization; the write step used to yield its check before
its materialization (and a range logged each day's before materializing it), so every day was blank there,
and the only colour shown was the Partitions tab's green "Materialized". A replay resolved the record and
left the day's failed check as it was, and its audit lines read ``run=- partition=-``.

Real Dagster on the project's dagster.yaml (``instance_at``), a real ledger on SQLite, the UI's fields read
through GraphQL from a code server loading ``tests/day_health_flow.py``, as the webserver does.
"""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext

import day_health_flow as flow
import pytest
from click.testing import CliRunner
from dagster import materialize
from dagster_graphql.test.utils import define_out_of_process_workspace, execute_dagster_graphql
from dagster_server import instance_at
from given_replays import given_to_commands, replays_of, with_deployment
from ledger_entries import held_on, queued
from roots import ROOT

from connector_assets.flows.replays import replay_handler
from connector_assets.operations.replay import replay_retry_queue
from connector_cli.dev import prepare_dagster_home
from connector_cli.main import cli
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.replay import (
    ReplayOutcome,
    audit_run,
    release_waiting,
    replay_items,
)

FLOW_FILE = str(ROOT / "tests" / "day_health_flow.py")
WRITTEN = ["day_health", "things_written"]

# What the asset's Partitions tab and the check's partitions read (``PartitionHealthQuery``,
# ``useAssetCheckPartitionData``), and a day's latest check execution (the check's history).
DAY_STATUS = """query($k: AssetKeyInput!, $day: String!) {
  assetNodeOrError(assetKey: $k) { ... on AssetNode {
    assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }
    assetChecksOrError { ... on AssetChecks { checks { name partitionStatuses {
      ... on AssetCheckTimePartitionStatuses { ranges { startKey endKey status } } } } } } } }
  assetCheckExecutions(assetKey: $k, checkName: "no_failed_records", limit: 1, partition: $day) {
    runId status partition evaluation { severity metadataEntries { label ... on TextMetadataEntry { text }
      ... on IntMetadataEntry { intValue } } } } }"""


def _by_day(ranges: list[dict]) -> dict[str, str]:
    """Ranges of statuses (``startKey``..``endKey``) as the status of each of ``flow.DAYS``."""
    return {
        day: next((r["status"] for r in ranges if r["startKey"] <= day <= r["endKey"]), "MISSING")
        for day in flow.DAYS
    }


def ui_view(workspace, day: str = flow.BAD_DAY) -> dict:
    """The asset's day colours, the check's day colours, and ``day``'s latest check execution, read as the
    webserver answers the UI (a fresh request on the code server of ``tests/day_health_flow.py``)."""
    result = execute_dagster_graphql(
        workspace.create_request_context(), DAY_STATUS, {"k": {"path": WRITTEN}, "day": day}
    )
    assert not result.errors, result.errors
    node = result.data["assetNodeOrError"]
    [check] = node["assetChecksOrError"]["checks"]
    [execution] = result.data["assetCheckExecutions"]
    return {
        "asset": _by_day(node["assetPartitionStatuses"]["ranges"]),
        "check": _by_day(check["partitionStatuses"]["ranges"]),
        "execution": execution,
        "metadata": {
            e["label"]: e.get("text", e.get("intValue")) for e in execution["evaluation"]["metadataEntries"]
        },
    }


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A DAGSTER_HOME with the project's dagster.yaml, the flow's ledger and staging, the mapping broken."""
    home = prepare_dagster_home(ROOT, tmp_path / "dagster_home")
    for name, value in {
        "DAY_HEALTH_DIR": str(tmp_path),  # the code server's resources (``day_health_flow.defs``)
        "DAGSTER_HOME": str(home),  # the CLI's instance
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path}/ledger.sqlite",
    }.items():
        monkeypatch.setenv(name, value)
    flow.FIXED["fixed"] = False
    flow.TARGET.rows.clear()
    flow.TARGET.creates.clear()
    given_to_commands(monkeypatch, _replays())  # what the CLI replays with
    with instance_at(home) as instance, define_out_of_process_workspace(FLOW_FILE, "defs", instance) as ui:
        yield instance, str(tmp_path), ui


def _replays():
    """The deployment's replays with this flow's own handlers (its target is the test's)."""
    handlers = {
        (spec.integration, spec.name): replay_handler(spec, lambda: nullcontext(flow.TARGET), lambda: {})
        for spec in (flow.SPEC, flow.WHOLE_SPEC)
    }
    return with_deployment(handlers)


def _run_days(instance, folder: str, *, as_range: bool) -> None:
    assets, resources = [flow.MAPPED, flow.WRITTEN], flow.resources(folder)
    if as_range:  # a backfill: the range in one run (``flow_backfill_policy``)
        tags = {
            "dagster/asset_partition_range_start": flow.DAYS[0],
            "dagster/asset_partition_range_end": flow.DAYS[-1],
        }
        assert materialize(assets, instance=instance, resources=resources, tags=tags).success
        return
    for day in flow.DAYS:  # scheduled runs: one a day
        assert materialize(assets, instance=instance, resources=resources, partition_key=day).success


@pytest.mark.parametrize("as_range", [False, True], ids=["a run a day", "a backfill's one run"])
def test_a_day_with_one_refused_record_is_red_in_the_days_the_ui_shows(world, as_range):
    instance, folder, ui = world
    _run_days(instance, folder, as_range=as_range)

    view = ui_view(ui)
    # The check's cell of each day: red for the day with the refused record, green for the others.
    assert view["check"] == {"2026-11-11": "SUCCEEDED", "2026-11-12": "FAILED", "2026-11-13": "SUCCEEDED"}
    assert view["execution"]["evaluation"]["severity"] == "ERROR" and view["metadata"]["failed"] == 1
    # A few refusals write what passes: every day is materialized (its downstream steps ran), the refused
    # record waits in the retry queue, and nothing was sent twice.
    assert set(view["asset"].values()) == {"MATERIALIZED"}
    assert flow.TARGET.creates == Counter({f"{day}-G{i}": 1 for day in flow.DAYS for i in range(3)})
    ledger = Ledger(f"sqlite:///{folder}/ledger.sqlite")
    assert [i.source_key for i in ledger.open_items(integration="day_health")] == [flow.REFUSED]
    ledger.dispose()


def test_the_replay_job_writing_the_days_last_failed_record_turns_the_day_green(world):
    instance, folder, ui = world
    _run_days(instance, folder, as_range=False)
    flow.FIXED["fixed"] = True  # the mapping fixed: the replay writes the refused record

    db_url = f"sqlite:///{folder}/ledger.sqlite"
    result = replay_retry_queue.execute_in_process(
        instance=instance, resources={"ledger": LedgerResource(db_url=db_url), "replays": _replays()}
    )
    assert result.success
    assert flow.TARGET.creates[flow.REFUSED] == 1 and max(flow.TARGET.creates.values()) == 1

    # Its audit lines name the replay's run and the record's day.
    ledger = Ledger(db_url)
    replayed = [e for e in ledger.history(flow.REFUSED) if e.action in ("create", "replay")]
    assert {(e.action, e.run_id, e.partition_key) for e in replayed} == {
        ("create", result.run_id, flow.BAD_DAY),
        ("replay", result.run_id, flow.BAD_DAY),
    }
    ledger.dispose()

    # The day's check passes, naming the replay that resolved it.
    view = ui_view(ui)
    assert view["check"] == dict.fromkeys(flow.DAYS, "SUCCEEDED")
    assert view["execution"]["runId"] == result.run_id
    assert view["metadata"]["evaluated_after"] == f"replay run {result.run_id}"
    assert view["metadata"]["failed"] == 0


def test_a_cli_replay_turns_the_day_green_and_its_audit_lines_say_replay_by_cli(world):
    instance, folder, ui = world
    _run_days(instance, folder, as_range=True)
    assert ui_view(ui)["check"][flow.BAD_DAY] == "FAILED"
    flow.FIXED["fixed"] = True

    replay = CliRunner().invoke(cli, ["replay", "--integration", "day_health"])
    assert replay.exit_code == 0, replay.output
    assert f"{flow.BAD_DAY} day_health/things_written: no_failed_records passed" in replay.output
    assert "RUN_START" not in replay.output  # the check's run is in the instance, not on the console

    view = ui_view(ui)
    assert view["check"][flow.BAD_DAY] == "SUCCEEDED"
    assert view["metadata"]["evaluated_after"] == "replay by CLI"

    audit = CliRunner().invoke(cli, ["audit", flow.REFUSED])
    assert audit.exit_code == 0, audit.output
    lines = [line for line in audit.output.splitlines() if " create " in line or " replay " in line]
    assert len(lines) == 2, audit.output
    assert all(f"run=replay by CLI partition={flow.BAD_DAY}:" in line for line in lines), audit.output

    # The day fails again (a later run met the record refused again), and a second CLI replay of it records
    # its own verdict: Dagster keeps one run-less evaluation per day, so each is logged in a run.
    flow.FIXED["fixed"] = False
    resources = flow.resources(folder)
    day = materialize(
        [flow.MAPPED, flow.WRITTEN], instance=instance, resources=resources, partition_key=flow.BAD_DAY
    )
    assert day.success and ui_view(ui)["check"][flow.BAD_DAY] == "FAILED"
    flow.FIXED["fixed"] = True
    again = CliRunner().invoke(cli, ["replay", "--integration", "day_health"])
    assert again.exit_code == 0, again.output
    assert ui_view(ui)["check"][flow.BAD_DAY] == "SUCCEEDED"
    assert flow.TARGET.creates[flow.REFUSED] == 1  # written once: the second replay found it written


WHOLE_CHECK = """query { assetCheckExecutions(assetKey: {path: ["day_health_whole", "things_written"]},
  checkName: "no_failed_records", limit: 1) { runId status partition } }"""


def test_an_unpartitioned_flows_check_turns_green_after_the_replay_job_too(world):
    instance, folder, ui = world
    whole = [flow.WHOLE_MAPPED, flow.WHOLE_WRITTEN]
    assert materialize(whole, instance=instance, resources=flow.resources(folder)).success
    [before] = execute_dagster_graphql(ui.create_request_context(), WHOLE_CHECK).data["assetCheckExecutions"]
    assert before["status"] == "FAILED" and before["partition"] is None
    flow.FIXED["fixed"] = True

    db_url = f"sqlite:///{folder}/ledger.sqlite"
    config = {"ops": {"replay_queued_records": {"config": {"integration": "day_health_whole"}}}}
    replay = replay_retry_queue.execute_in_process(
        instance=instance,
        resources={"ledger": LedgerResource(db_url=db_url), "replays": _replays()},
        run_config=config,
    )
    assert replay.success
    [after] = execute_dagster_graphql(ui.create_request_context(), WHOLE_CHECK).data["assetCheckExecutions"]
    assert after == {"runId": replay.run_id, "status": "SUCCEEDED", "partition": None}


def test_a_cli_replays_release_of_what_waited_says_replay_by_cli_too(tmp_path):
    """The records a CLI replay's write releases (held on it) are audited as released by that replay."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    queued(ledger, ("itest", "vendors", "vendor"), "V1", "Coupa answered 503")
    held_on(ledger, ("itest", "orders", "order"), "PO1", "itest:vendor:SRC:V1", "waits for vendor V1")

    def write_vendor(item, book):  # what ``write_record`` does once the vendor is written
        release_waiting(book, "itest:vendor:SRC:V1", reason="released: vendor V1 written", run_id=None)
        return ReplayOutcome(target_id="T-V1", detail="created")

    replays = replays_of({("itest", "vendors"): write_vendor})
    replay_items(ledger, ledger.open_items(integration="itest", status="failed"), replays)  # as the CLI does
    [release] = [e for e in ledger.history("PO1") if e.action == "release"]
    assert audit_run(release.run_id, release.detail) == "replay by CLI"
    [replayed] = [e for e in ledger.history("V1") if e.action == "replay"]
    assert audit_run(replayed.run_id, replayed.detail) == "replay by CLI"
    ledger.dispose()
