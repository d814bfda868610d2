"""The write step writing several records at once (``FlowSpec.write_concurrency``, ``flows.writer``) against
the real BILL simulator (with latency, so parallel calls overlap), real Dagster, a real ledger on SQLite
and PostgreSQL. Every guarantee of the one-at-a-time writer must hold: one BILL record per source record,
the counts, queued failures, held records, resolved queue items, and the two ways a day stops.

The flow here is a small test flow (synthetic vendors, no JDE) on the kit, so what is proven is the kit's
writer, not one integration's mapping.
"""

from __future__ import annotations

import threading
import uuid

import pandera.pandas as pa
import pytest
import requests
from asset_runs import metadata_by_asset
from dagster import materialize
from instances import instance_for_test
from ledger_entries import queued
from pandera.typing import Series
from partition_writes import write_once
from sandbox_logins import on_simulator

from connector_assets.flows.assets import UNREACHABLE_AFTER, build_flow_assets
from connector_assets.flows.core import Mapped
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.flows.targets import FlowRoute, SessionTarget
from connector_assets.runtime.staging import StagingResource
from connector_resources.bill import BillResource
from connector_resources.bill.auth import forget_sessions
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill import run_in_thread as run_bill

ROUTE = FlowRoute("write_conc_test", "JDE", "bill")
ORG = "00801SANDBOXORG00001"
RECORDS: list[Mapped] = []  # what the test flow's mapper yields (set by each test)


class VendorRecord(pa.DataFrameModel):
    name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 100})


class Vendors(SessionTarget):
    """BILL vendors found by exact name: the natural key of the test records."""

    resource = "bill"
    writes = ("vendors",)

    def find(self, record: Mapped) -> str | None:
        rows = self.session.find_vendors(name=record.natural_key["name"])
        return str(rows[0]["id"]) if rows else None

    def create(self, record: Mapped) -> str:
        return str(self.session.create_vendor(record.body)["id"])

    def update(self, target_id: str, record: Mapped) -> None:
        self.session.update_vendor(target_id, record.body)


def _map(context, partition):
    yield from RECORDS


PARALLEL = ROUTE.flow("vendors", "vendor", VendorRecord, _map, None, Vendors, systemic_min=10_000)
ASSETS = build_flow_assets(
    PARALLEL,
    partitions_def=None,
    upstream=[],
    resource_keys={"bill"},
    kinds={"bill"},
)


def _records(count: int) -> list[Mapped]:
    tag = uuid.uuid4().hex[:8]
    return [
        Mapped(
            f"V{i:03d}",
            {"name": f"Parallel {tag} {i}", "accountType": "BUSINESS"},
            {"name": f"Parallel {tag} {i}"},
            {"name": f"Parallel {tag} {i}"},
        )
        for i in range(count)
    ]


class Sandbox:
    def __init__(self, base: str) -> None:
        self.base, self.admin = base, base.removesuffix("/connect") + "/sandbox"

    def state(self) -> dict:
        return requests.get(f"{self.admin}/state", timeout=15).json()

    def post(self, path: str, body: dict) -> None:
        requests.post(f"{self.admin}/{path}", json=body, timeout=15).raise_for_status()

    def creates(self) -> int:
        return self.state()["calls"].get("POST /connect/v3/vendors", 0)


@pytest.fixture
def world(tmp_path, db_url):
    base, stop = run_bill(BillSandboxSettings(scale=0.02))
    sandbox = Sandbox(base)
    sandbox.post("faults", {"latency_ms": 30})  # parallel calls overlap, as slow real ones do
    forget_sessions()
    resources = {
        "bill": on_simulator(BillResource, base, backoff_base=0.01, backoff_cap=0.2, max_attempts=2),
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=db_url),
        "target_boundary": UNWRAPPED,
    }
    try:
        yield sandbox, resources, Ledger(db_url)
    finally:
        forget_sessions()
        stop()


def _run(resources, *, written_only: bool = False):
    assets = ASSETS[1:2] if written_only else ASSETS[:2]
    with instance_for_test() as instance:
        result = materialize(assets, resources=resources, instance=instance, raise_on_error=False)
    failure = next((e for e in result.all_events if e.event_type_value == "STEP_FAILURE"), None)
    metadata = metadata_by_asset(result) if result.success else {}
    return metadata.get(PARALLEL.key("written").to_user_string()), failure


def _open(ledger: Ledger):
    return {i.source_key: i for i in ledger.open_items(integration="write_conc_test", flow="vendors")}


def test_six_at_once_write_each_record_once_with_every_guarantee_of_the_sequential_writer(world, monkeypatch):
    sandbox, resources, ledger = world
    RECORDS[:] = _records(24)
    key = ("write_conc_test", "vendor", "JDE")
    # An earlier run's failure for V000 (resolved when written) and a live lease of another run on V001.
    queued(ledger, ("write_conc_test", "vendors", "vendor"), "V000", "earlier failure")
    ledger.claim_xref(*key, "V001", "bill", owner="another-live-run")
    before = sandbox.creates()
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.2")  # V001's holder is not waited for long
    written, failure = _run(resources)
    assert failure is None
    counts = {k: v.value for k, v in written.items() if isinstance(v.value, int)}
    assert counts["create"] == 23 and counts["leased"] == 1 and counts["fail"] == 0, counts
    state = sandbox.state()
    assert state["limits"]["max_in_flight"][ORG] == 3  # 6 records at once: the cap filled, never passed,
    assert "BDC_1322" not in state["error_codes"]  # no fourth request was ever sent
    assert sandbox.creates() - before == 23  # one BILL vendor per record, none twice
    ids = [ledger.get_xref(*key, r.source_key, "bill").target_id for r in RECORDS[2:]]
    assert None not in ids and len(set(ids)) == 22
    queue = _open(ledger)
    assert set(queue) == {"V001"} and queue["V001"].status == "held"  # V000 resolved, V001 held
    # Again: everything is known and unchanged, nothing is sent.
    again, _ = _run(resources, written_only=True)
    assert again["skip"].value == 23 and again["create"].value == 0


def test_two_runs_of_six_threads_on_the_same_records_create_each_once(world):
    """The ledger across threads and runs: twelve writers, two lease owners, one BILL vendor per record."""
    sandbox, resources, ledger = world
    records = _records(18)
    before = sandbox.creates()
    outcomes: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run(owner: str) -> None:
        try:
            with resources["bill"].session() as session:
                outcomes.append(
                    write_once(PARALLEL, Vendors(session), ledger, records, workers=6, run_id=owner)
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"run-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sandbox.creates() - before == 18
    assert all(o["fail"] == 0 for o in outcomes), outcomes
    assert sum(o["create"] for o in outcomes) == 18
    for record in records:
        assert len(resources["bill"].session().find_vendors(name=record.natural_key["name"])) == 1


def test_an_unreachable_target_stops_the_day_and_queues_every_record(world):
    sandbox, resources, ledger = world
    RECORDS[:] = _records(30)
    with resources["bill"].session() as session:
        session.login()  # logged in before BILL goes down
    sandbox.post("faults", {"random_error_rate": 1.0, "random_error_status": 503})
    written, failure = _run(resources)
    assert failure is not None and "answered none of the" in failure.step_failure_data.error.message
    assert set(_open(ledger)) == {r.source_key for r in RECORDS}  # nothing lost
    assert sandbox.creates() == 0
    tried = sandbox.state()["calls"].get("GET /connect/v3/vendors", 0)
    # Stopped after a few (the failures in a row, and the records already being written), not all 30;
    # each search is tried twice (max_attempts=2).
    assert 0 < tried <= (UNREACHABLE_AFTER + PARALLEL.write_concurrency) * 2 < 30 * 2


def test_bills_hourly_cap_stops_sending_at_once_and_queues_the_rest_naming_when(world):
    sandbox, resources, ledger = world
    RECORDS[:] = _records(20)
    with resources["bill"].session() as session:
        session.login()
    used = sandbox.state()["limits"]["requests_this_window"]
    sandbox.post("settings", {"limits": {"requests_per_hour": used + 12}})  # about 6 records' worth
    written, failure = _run(resources)
    assert failure is not None
    message = failure.step_failure_data.error.message
    assert "refuses every call until" in message and "UTC" in message and "local" in message
    xrefs = [ledger.get_xref("write_conc_test", "vendor", "JDE", r.source_key, "bill") for r in RECORDS]
    created = {x.source_key for x in xrefs if x is not None and x.target_id}
    queue = _open(ledger)
    assert created and set(queue) == {r.source_key for r in RECORDS} - created  # nothing lost
    unsent = [i for i in queue.values() if "not sent" in i.reason]
    assert unsent and all("accepts calls again at" in i.reason and "UTC" in i.reason for i in unsent)
    state = sandbox.state()
    # At most one refused request per record being written when the cap hit (6 workers): no retry storm.
    assert state["error_codes"].get("BDC_1144", 0) <= PARALLEL.write_concurrency == 6
    assert "BDC_1322" not in state["error_codes"]
