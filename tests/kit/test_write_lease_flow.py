"""A record another run is writing, end to end through the real suppliers flow (Dagster, the JDE and Coupa
simulators, the ledger): the run does not send it, holds it with a reason that names the other run (not a
failure), and once that run is gone without having written it a replay writes it, exactly once.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from asset_runs import materialized, named
from dagster import AssetKey, materialize
from instances import instance_for_test
from jde_coupa_parts import SUPPLIERS_FLOW, jde_coupa_assets
from jde_coupa_world import jde_coupa_world, replay_into_coupa

from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.flows.assets import apply_write_pool_limits, write_pool
from connector_assets.jde.assets import jde_assets
from connector_resources.bill import BillResource
from connector_resources.ledger import schema
from connector_resources.procore import ProcoreResource
from connector_resources.replay import release_synced, replay_items

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy mass-update day
CHAIN = ("jde/suppliers", "jde/address_book", "jde_coupa/suppliers_mapped")
OTHER_RUN = "2f1c9a4e-0000-4000-8000-elsewhere000"


@pytest.fixture
def world(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.3")
    with jde_coupa_world(tmp_path) as world:
        yield world.resources, world.ledger


def _run(resources, *names):
    every = [*jde_assets, *jde_coupa_assets]
    return materialized(named(names, every), resources, partition_key=DAY, raise_on_error=False)


def _in_coupa(resources, natural_key) -> list[dict]:
    with resources["coupa"].session(flow="suppliers") as session:
        return session.search("suppliers", {"number": natural_key["number"]}, limit=5)


def test_a_record_another_run_is_writing_is_held_not_sent_and_written_once_after_that_run_died(world):
    resources, ledger = world
    _run(resources, *CHAIN)
    staged = [
        json.loads(row["payload"])
        for row in resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), DAY)
    ]
    assert len(staged) >= 2
    busy = staged[0]
    key = ("jde_coupa", "supplier", "JDE", busy["source_key"], "coupa")
    # Another run is creating this supplier right now: it holds the record's lease.
    ledger.claim_xref(*key, owner=OTHER_RUN, lease=timedelta(minutes=5))

    written = _run(resources, "jde_coupa/suppliers_written")["jde_coupa/suppliers_written"]
    assert written["leased"].value == 1 and written["fail"].value == 0, written
    assert written["create"].value + written["adopt"].value == len(staged) - 1
    assert _in_coupa(resources, busy["natural_key"]) == []  # not sent by this run
    [item] = ledger.open_items(integration="jde_coupa", flow="suppliers")
    assert (item.source_key, item.status, item.attempts) == (busy["source_key"], "held", 0)
    assert item.depends_on == SUPPLIERS_FLOW.dependency_key(busy["source_key"])
    assert f"being written to coupa by {OTHER_RUN}" in item.reason and "avoid a duplicate" in item.reason
    assert [e.action for e in ledger.history(busy["source_key"])] == ["hold"]
    assert ledger.get_xref(*key).lease_owner == OTHER_RUN  # the other run's lease is untouched

    # While the other run's lease is live, a replay leaves the record held.
    replays = replay_into_coupa(SUPPLIERS_FLOW, CoupaSuppliers, resources)
    assert release_synced(ledger, replays) == []

    # That run was killed before it created the supplier: its lease runs out (moved into the past here).
    with ledger.transaction() as conn:
        conn.execute(
            sa.update(schema.xref)
            .where(schema.xref.c.source_key == busy["source_key"])
            .values(lease_expires_at=schema.xref.c.updated_at)
        )
    [released] = release_synced(ledger, replays)
    assert released.status == "failed" and "lease lapsed" in released.reason
    summary = replay_items(ledger, ledger.due(integration="jde_coupa", flow="suppliers"), replays)
    assert summary.replayed == [item.id] and not summary.failed, summary
    assert len(_in_coupa(resources, busy["natural_key"])) == 1
    xref = ledger.get_xref(*key)
    assert xref.state == "synced" and xref.lease_owner is None
    assert ledger.open_items(integration="jde_coupa", flow="suppliers") == []


def test_each_flow_writes_in_its_target_systems_pool_limited_to_one_step():
    """Two runs of one flow never write at once, and neither do two flows writing to one API (one run per
    day in a backfill would otherwise put several paced clients on Coupa's 25 req/s together)."""
    from dagster import AssetsDefinition

    from connector_assets.definitions import DEPLOYMENT, defs

    specs = {spec.key("written"): spec for spec in DEPLOYMENT.specs.values()}
    written = {
        asset.key.to_user_string(): asset.op.pool
        for asset in defs.assets or []
        if isinstance(asset, AssetsDefinition) and asset.key in specs
    }
    assert len(written) >= 5, written  # three JDE -> Coupa flows, two Coupa -> JDE flows
    # Each flow's target system, from its spec (JDE -> Coupa writes Coupa, Coupa -> JDE writes JDE, ...).
    target = {name: specs[AssetKey.from_user_string(name)].target_system.lower() for name in written}
    # BILL writes share BILL's organization pool with its reads (one BILL step at a time, 3 requests each:
    # connector_resources.bill.resource), Procore writes the app's pool procore_<client id> (its limits are
    # per app, whatever the company); every other target has its write_<system> pool.
    shared = {
        "bill": BillResource.from_settings().concurrency_pool,
        "procore": ProcoreResource.from_settings().concurrency_pool,
    }
    expected = {t: shared.get(t, f"write_{t}") for t in target.values()}
    assert all(pool == expected[target[name]] for name, pool in written.items()), written
    assert written["jde_coupa/suppliers_written"] == write_pool(SUPPLIERS_FLOW)
    with instance_for_test() as instance:
        limits = apply_write_pool_limits(instance, defs.assets or [])
        assert set(written.values()) <= set(limits)
        for pool in written.values():
            assert instance.event_log_storage.get_concurrency_info(pool).slot_count == 1


def test_the_lease_of_a_run_the_instance_reports_ended_is_taken_over_at_once(world):
    """A killed run's rerun from the UI is a new run, not a re-execution: it must not wait out the lease of
    a run Dagster already reports as failed, nor hold the record; it searches the target and writes it."""
    from dagster import DagsterRunStatus
    from dagster._core.storage.dagster_run import DagsterRun

    resources, ledger = world
    _run(resources, *CHAIN)
    staged = [
        json.loads(row["payload"])
        for row in resources["staging"].read_rows(AssetKey(["jde_coupa", "suppliers_mapped"]), DAY)
    ]
    dead = staged[0]
    key = ("jde_coupa", "supplier", "JDE", dead["source_key"], "coupa")
    with instance_for_test() as instance:
        instance.add_run(
            DagsterRun(job_name="__ASSET_JOB", run_id=OTHER_RUN, status=DagsterRunStatus.FAILURE)
        )
        ledger.claim_xref(*key, owner=OTHER_RUN, lease=timedelta(minutes=30))
        result = materialize(
            [a for a in jde_coupa_assets if a.key.to_user_string() == "jde_coupa/suppliers_written"],
            resources=resources,
            instance=instance,
            partition_key=DAY,
        )
    [written] = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    assert written["leased"].value == 0 and written["fail"].value == 0, written
    assert len(_in_coupa(resources, dead["natural_key"])) == 1
    xref = ledger.get_xref(*key)
    assert xref.state == "synced" and xref.lease_owner is None
    assert ledger.open_items(integration="jde_coupa", flow="suppliers") == []
