"""The manual matches file is loaded first by every flow reading vendor pairs, and a match answers the
queue items it resolves: the asset ``fusion_procurify/manual_matches`` is in the job of
each such flow, upstream of its mapped step; a row for a vendor the ``vendors`` flow refused (no supplier
of its name) pairs it and resolves that refusal instead of leaving it failed; a replay loads the file
before its first record, so a row entered since the last run answers the queued vendor."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from dagster import AssetKey
from fusion_procurify_parts import INTEGRATION, MATCHES, paired_supplier
from fusion_procurify_parts import VENDORS as vendors_flow
from fusion_procurify_world import FusionProcurifyWorld, module_world  # noqa: F401  (a fixture, used by name)

from connector_assets.definitions import defs
from connector_assets.fusion.supplier_names import fold
from connector_assets.procurify.vendor_list import LIST_PAGE_SIZE

ASSET, FILE_SETTING = MATCHES.asset, MATCHES.file_setting  # the manual matches file's asset and setting
VENDORS = ("fusion_procurify/vendors_mapped", "fusion_procurify/vendors_written")
PAIR_READERS = ("suppliers", "vendors", "purchase_orders", "invoices")


def test_every_flow_reading_vendor_pairs_runs_the_matches_file_first_in_its_job() -> None:
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    for flow in PAIR_READERS:
        job = repository.get_job(f"{INTEGRATION}_{flow}")
        assert ASSET.to_python_identifier() in {str(n) for n in job.graph.node_names()}, flow
        mapped = graph.get(AssetKey([INTEGRATION, f"{flow}_mapped"]))
        assert ASSET in mapped.parent_keys, flow  # loaded before the flow reads pairs


@pytest.fixture(scope="module")
def suppliers(world: FusionProcurifyWorld) -> list[dict[str, Any]]:
    """Active Fusion suppliers with a site whose names no Procurify vendor has: each test takes its own."""
    seeded = {fold(v["name"]) for v in world.in_procurify("vendors").values()}
    return [
        s
        for s in world.fusion_suppliers_with_site()
        if s.get("Status") != "INACTIVE" and fold(s["Supplier"]) not in seeded
    ]


def refused_vendor(world: FusionProcurifyWorld, name: str) -> str:
    """A vendor made in Procurify whose name no Fusion supplier has: the vendors flow refuses it."""
    with world.resources["procurify"].session() as session:
        vendor = str(session.create_vendor({"name": name, "email": ["ap@example.com"]})["id"])
    world.run(*VENDORS)
    assert vendor in world.queue("vendors"), world.queue("vendors")
    return vendor


def match_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vendor: str, supplier: dict) -> None:
    path = tmp_path / "vendor_xref.csv"
    path.write_text(f"procurify_vendor_id,fusion_supplier_number\n{vendor},{supplier['SupplierNumber']}\n")
    monkeypatch.setenv(FILE_SETTING, str(path))


def vendor_items(world: FusionProcurifyWorld, vendor: str) -> list[str]:
    return [i.status for i in world.ledger.queue_for(vendor) if i.flow == "vendors"]


def test_a_row_of_the_file_resolves_the_vendors_refusal_it_answers(world, suppliers, tmp_path, monkeypatch):
    vendor = refused_vendor(world, "Nobody Of That Name 5120")
    match_file(tmp_path, monkeypatch, vendor, suppliers[0])

    world.run(ASSET, *VENDORS)  # the vendors job: the file first, then the poll

    assert paired_supplier(world.ledger, vendor) == str(suppliers[0]["SupplierId"])
    assert vendor not in world.queue("vendors"), world.queue("vendors")
    assert vendor_items(world, vendor) == ["resolved"]


def test_a_replay_loads_the_file_first_and_the_match_answers_the_queued_vendor(
    world, suppliers, tmp_path, monkeypatch
):
    vendor = refused_vendor(world, "Nobody Of That Name 5121")
    match_file(tmp_path, monkeypatch, vendor, suppliers[1])

    world.replay_queued("vendors", vendors_flow)  # its replay loads the file first (``Replay.first``)

    assert paired_supplier(world.ledger, vendor) == str(suppliers[1]["SupplierId"])
    assert vendor_items(world, vendor) == ["resolved"]  # answered, not abandoned


def _vendor_reads(world: FusionProcurifyWorld) -> Counter[str]:
    """Procurify's vendor reads so far, by endpoint (the simulator's own counter)."""
    calls = requests.get(f"{world.procurify_url}/sandbox/state", timeout=10).json()["calls"]
    return Counter({k: v for k, v in calls.items() if k.startswith("GET /api/v3/vendors")})


def test_a_replay_reads_a_chunk_of_queued_vendors_by_list_when_that_costs_fewer_calls(world):
    names = [f"Nobody Of That Name 53{i:02d}" for i in range(12)]
    with world.resources["procurify"].session() as session:
        vendors = [str(session.create_vendor({"name": n, "email": ["ap@example.com"]})["id"]) for n in names]
    world.run(*VENDORS)
    queued = world.queue("vendors")
    assert set(vendors) <= set(queued), queued

    before = _vendor_reads(world)
    world.replay_queued("vendors", vendors_flow)
    reads = _vendor_reads(world) - before

    assert reads["GET /api/v3/vendors/{id:int}/"] == 0, reads  # none one at a time
    assert 0 < reads["GET /api/v3/vendors/"] < len(queued), reads  # its pages (and the count asked first)
    assert all(vendor_items(world, v) == ["failed"] for v in vendors)  # still no supplier of that name


def test_a_replay_of_several_chunks_reads_the_vendor_list_once(world, monkeypatch):
    """The list a replay's first chunk read serves its later chunks (``vendor_list.replay_vendors``): one
    count and one set of pages for the whole replay, not one per chunk of queued vendors."""
    names = [f"Still Nobody Of That Name 54{i:02d}" for i in range(12)]
    with world.resources["procurify"].session() as session:
        vendors = [str(session.create_vendor({"name": n, "email": ["ap@example.com"]})["id"]) for n in names]
        listed = session.count("vendors")
    world.run(*VENDORS)
    assert set(vendors) <= set(world.queue("vendors"))
    monkeypatch.setattr("connector_resources.replay.REPLAY_CHUNK", 5)  # three chunks at least

    before = _vendor_reads(world)
    world.replay_queued("vendors", vendors_flow)
    reads = _vendor_reads(world) - before

    assert reads["GET /api/v3/vendors/{id:int}/"] == 0, reads
    assert reads["GET /api/v3/vendors/"] == 1 + math.ceil(listed / LIST_PAGE_SIZE), reads  # read once
    assert all(vendor_items(world, v) == ["failed"] for v in vendors)
