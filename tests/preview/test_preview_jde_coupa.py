"""A preview of JD Edwards -> Coupa writes nothing, and the real run of the same days does what it said."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from asset_runs import busy_day
from jde_coupa_world import jde_coupa_world
from preview_proofs import (
    last_audit_id,
    ledger_rows,
    mismatches,
    preview,
    real_actions,
    run_for_real,
    write_requests,
)
from request_log import logged_simulators

import connector_assets.integrations.jde_coupa as package
from connector_assets.deployment import deployment_definitions
from connector_resources.ledger import schema

INTEGRATION = "jde_coupa"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with logged_simulators() as logs, jde_coupa_world(tmp_path_factory.mktemp("preview_jde_coupa")) as made:
        made.logs = logs
        made.defs = deployment_definitions([package])
        yield made


def _clear(world) -> None:
    for served in world.logs.values():
        for log in served:
            log.clear()


def test_a_preview_writes_nothing_and_the_run_does_what_it_said(world, tmp_path):
    day = date.fromisoformat(busy_day())
    before = ledger_rows(world.ledger)
    _clear(world)
    seen = preview(
        world.defs, INTEGRATION, day, day, tmp_path / "fit", ledger=world.ledger, resources=world.resources
    )
    assert all(flow.success for flow in seen.flows), [flow.error for flow in seen.flows]
    assert write_requests(world.logs) == [], "the preview sent a write"
    assert ledger_rows(world.ledger) == before, "the preview changed the ledger"
    verdicts = {row.verdict for row in seen.rows}
    assert {"create", "hold"} <= verdicts, seen.rows
    created = next(r for r in seen.rows if r.flow == "suppliers" and r.verdict == "create")
    assert json.loads(created.changes)["number"] == created.source_key  # the body it would POST

    after = last_audit_id(world.ledger)
    run_for_real(world.defs, INTEGRATION, day, day, resources=world.resources)
    assert mismatches(seen.rows, real_actions(world.ledger, INTEGRATION, after)) == []


def test_records_both_systems_hold_preview_as_adopted_and_the_rest_unchanged(world, tmp_path):
    """The first backfill against suppliers Coupa already holds: the cross-reference is gone, the natural
    key finds each one, and the preview names the record it would adopt, as the run then does."""
    day = date.fromisoformat(busy_day())
    x = schema.xref
    with world.ledger.engine.begin() as conn:
        [(source_key, coupa_id)] = conn.execute(
            sa.select(x.c.source_key, x.c.target_id)
            .where(x.c.integration == INTEGRATION, x.c.entity == "supplier")
            .order_by(x.c.source_key)
            .limit(1)
        ).all()
        conn.execute(sa.delete(x).where(x.c.integration == INTEGRATION, x.c.source_key == source_key))
    seen = preview(
        world.defs,
        INTEGRATION,
        day,
        day,
        tmp_path / "fit",
        flows=["suppliers"],
        ledger=world.ledger,
        resources=world.resources,
    )
    verdicts = seen.verdicts()
    adopted = verdicts[("suppliers", source_key)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", coupa_id), adopted
    assert adopted.matched_by, "the natural key that matched is named"
    assert "unchanged" in {r.verdict for r in seen.rows}, "the suppliers the first run wrote are left alone"
    after = last_audit_id(world.ledger)
    run_for_real(world.defs, INTEGRATION, day, day, resources=world.resources, flows=["suppliers"])
    assert mismatches(seen.rows, real_actions(world.ledger, INTEGRATION, after)) == []
