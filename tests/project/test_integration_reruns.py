"""The conformance suite's end-to-end half, asked the same way of every integration
component the project loads: every flow, run by its own job's selection for a day of the one sandbox world
(``sandbox_world``: the six simulators set up as ``make dev`` sets them up), then run again until a pass
creates nothing -> no record is ever created twice, and every record a refusal stopped is in the retry
queue with its reason.

The flows, their order and what each job runs come from the loaded components (each package's
``IntegrationParts``), never from a list here: a flow is covered as soon as it is declared. A pass may
create records a held one waits for (an order's supplier changed on another day), whose holds the next pass
releases; so the day is settled when a pass creates nothing, and a flow that creates again on every rerun
fails here. The behaviour behind each flow (adoption after a crash, outages, concurrent runs) stays proven
by the integration's own tests.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from asset_runs import busy_day, run_named, today
from dagster import AssetsDefinition
from instances import instance_for_test
from sandbox_world import sandbox_world

from connector_assets.definitions import defs
from connector_assets.deployment import integration_components
from connector_assets.jde.assets import jde_assets
from connector_assets.saas.assets import saas_assets
from connector_sandbox.registry import make_activity

REPOSITORY = defs.get_repository_def()
ASSETS = [a for a in defs.assets or [] if isinstance(a, AssetsDefinition)]
# Staged sources a flow's mapped step reads; a poll job of their own stages some (Coupa's invoices).
SOURCES = {key for a in [*jde_assets, *saas_assets] for key in a.keys}
PASSES_AT_MOST = 4
# The one world is shared, so the integrations run in the order records move between them (JDE's suppliers
# reach Coupa before Coupa's invoices come back); one not named here runs after these, by name.
ORDER = ("jde_coupa", "coupa_jde", "jde_bill", "procore_jde", "jde_procurify", "fusion_procurify")
COMPONENTS = sorted(integration_components(), key=lambda c: (ORDER + (c.name,)).index(c.name))


def _audit(ledger: Any, integration: str) -> Counter:
    """The integration's audit events, counted by (action, flow, source record)."""
    with ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text("select action, flow, source_id from mlc_audit_event where integration = :i"),
            {"i": integration},
        ).all()
    return Counter(tuple(row) for row in rows)


def _creates(audit: Counter) -> int:
    return sum(n for (action, _flow, _key), n in audit.items() if action == "create")


def _flow_runs(package) -> list[list[str]]:
    """What each declared flow's own job runs (in declaration order), plus the staged sources its mapped
    step reads, by asset key."""
    runs = []
    for spec in package.specs:
        mapped = spec.key("mapped")
        jobs = [
            job
            for job in REPOSITORY.get_all_jobs()
            if not job.name.startswith("__ASSET_JOB") and mapped in job.asset_layer.selected_asset_keys
        ]
        own = next((job for job in jobs if job.name == spec.flow), min(jobs, key=lambda job: len(job.name)))
        keys = set(own.asset_layer.executable_asset_keys)
        keys |= REPOSITORY.asset_graph.get(mapped).parent_keys & SOURCES
        runs.append(sorted(k.to_user_string() for k in keys))
    return runs


def _pass(world, package, day: str) -> Counter:
    """Every flow of ``package`` run once for ``day``; the audit events the pass added."""
    before = _audit(world.ledger, package.name)
    for names in _flow_runs(package):
        partitioned = any(a.partitions_def is not None for a in ASSETS if a.key.to_user_string() in names)
        run_named(world.resources, names, ASSETS, day if partitioned else None, instance=world.instance)
    return _audit(world.ledger, package.name) - before


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with sandbox_world(tmp_path_factory.mktemp("world")) as world, instance_for_test() as instance:
        world.instance = instance  # one Dagster instance for every run, as one deployment has
        yield world


@pytest.mark.parametrize("package", COMPONENTS, ids=lambda package: package.name)
def test_every_flow_rerun_on_its_day_creates_nothing_twice_and_queues_refusals_with_reasons(package, world):
    name = package.name
    # Read whole on a schedule of their own (JDE's F0901, Fusion's account combinations), and the package's
    # tables: staged first, as an operator's first day does.
    tables = {k.to_user_string() for t in package.tables for k in t.keys}
    whole = {a.key.to_user_string() for a in ASSETS if a.partitions_def is None}
    run_named(
        world.resources, sorted((tables | {"jde/gl_accounts"}) & whole), ASSETS, None, instance=world.instance
    )
    # The sandboxes' busy day (a mass update of seeded history); an integration whose sources have nothing
    # of it to sync (Coupa's seeded invoices are exported already) takes today, after a round of activity.
    day = busy_day()
    passes = [_pass(world, package, day)]
    if not passes[0]:
        make_activity(world.running)
        day = today()
        passes = [_pass(world, package, day)]
    assert passes[0], f"{name}: no flow met a record on {day}, so the rerun proves nothing"
    while _creates(passes[-1]) and len(passes) < PASSES_AT_MOST:
        passes.append(_pass(world, package, day))
    created = [_creates(p) for p in passes]
    print(f"{name} {day}: creates per pass {created}")
    assert created[-1] == 0, f"{name}: still creating after {len(passes)} passes of {day}: {created}"
    twice = {key: n for key, n in _audit(world.ledger, name).items() if key[0] == "create" and n > 1}
    assert not twice, f"{name}: created more than once: {twice}"
    reasonless = [i.source_key for i in world.ledger.open_items(integration=name) if not i.reason.strip()]
    assert not reasonless, f"{name}: queued without a reason: {reasonless}"
