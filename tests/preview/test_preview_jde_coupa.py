"""A preview of JD Edwards -> Coupa writes nothing, and the real run of the same days does what it said."""

from __future__ import annotations

import json
from datetime import date

import pytest
from asset_runs import busy_day
from jde_coupa_parts import SUPPLIERS_FLOW
from jde_coupa_world import jde_coupa_world
from preview_proofs import (
    equip_for_previews,
    forget_xref,
    previewed_writing_nothing,
    run_as_previewed,
)
from request_log import logged_simulators

import connector_assets.integrations.jde_coupa as package

INTEGRATION = "jde_coupa"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with logged_simulators() as logs, jde_coupa_world(tmp_path_factory.mktemp("preview_jde_coupa")) as made:
        yield equip_for_previews(made, logs, package)


def test_a_preview_writes_nothing_and_the_run_does_what_it_said(world, tmp_path):
    day = date.fromisoformat(busy_day())
    seen = previewed_writing_nothing(world, INTEGRATION, day, day, tmp_path / "fit")
    verdicts = {row.verdict for row in seen.rows}
    assert "create" in verdicts, seen.rows
    # Day one: the suppliers no window of the day reads are pulled by the orders' and invoices' run, each
    # its own row of the suppliers flow, and no record is left waiting for one.
    pulled = [r for r in seen.rows if r.pull == "parent"]
    assert pulled and {r.flow for r in pulled} == {"suppliers"}
    assert any(r.pull == "child" for r in seen.rows)
    assert not [r for r in seen.rows if r.kind.startswith("waits_for_record")], "a wait no flow clears"
    created = next(r for r in seen.rows if r.flow == "suppliers" and r.verdict == "create")
    assert json.loads(created.changes)["number"] == created.source_key  # the body it would POST

    run_as_previewed(world, INTEGRATION, day, day, seen)


def test_records_both_systems_hold_preview_as_adopted_and_the_rest_unchanged(world, tmp_path):
    """The first backfill against suppliers Coupa already holds: the cross-reference is gone, the natural
    key finds each one, and the preview names the record it would adopt, as the run then does."""
    day = date.fromisoformat(busy_day())
    # One of the day's own suppliers (a supplier pulled for the day's orders is not read by its window).
    staged = world.resources["staging"].read_rows(SUPPLIERS_FLOW.key("mapped"), day.isoformat())
    source_key, coupa_id = forget_xref(
        world.ledger, INTEGRATION, "supplier", min(r["source_key"] for r in staged)
    )
    seen = previewed_writing_nothing(world, INTEGRATION, day, day, tmp_path / "fit", flows=["suppliers"])
    verdicts = seen.verdicts()
    adopted = verdicts[("suppliers", source_key)]
    assert (adopted.verdict, adopted.target_id) == ("adopt", coupa_id), adopted
    assert adopted.matched_by, "the natural key that matched is named"
    assert "unchanged" in {r.verdict for r in seen.rows}, "the suppliers the first run wrote are left alone"
    run_as_previewed(world, INTEGRATION, day, day, seen, flows=["suppliers"])
