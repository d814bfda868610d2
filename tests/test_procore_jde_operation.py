"""Procore -> JDE operation: the shared test world works, and the integration's Definitions, jobs,
schedules and webhook sensor are wired (one job and schedule per flow, an early run per inbox batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from procore_jde_world import ProcoreJdeWorld, busy_day, procore_day, procore_jde_world


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
    meta = world.run("procore_requisitions", partition=busy_day())["procore_requisitions"]
    assert meta["rows"] > 0
    assert world.xrefs("purchase_order") == {} and world.queue("purchase_orders") == {}
    assert world.inbox_event("Requisitions", 1, project_id=2, event_id=99) is True
    assert world.inbox_event("Requisitions", 1, project_id=2, event_id=99) is False  # a duplicate delivery
