"""Benchmark: how close a BILL write step comes to BILL's in-flight ceiling (3 requests per organization).

Run by hand (not by pytest):

    .venv/bin/python bench/bill_in_flight.py --latency-ms 150 --records 120

It starts the BILL simulator in a process of its own (so its handlers do not share the client's GIL, as
BILL's servers do not) with ``latency_ms`` on every call (``connector_sandbox.bill.settings``: the
injected latency is served inside the caller's in-flight slot, as a slow real call would hold it), then
writes N new vendors through the kit's write loop (``connector_assets.flows.writer.PartitionWriter``, what
``<flow>_written`` runs for a day: ledger claim, search by name, create, record the id, audit) on one BILL
session, first with the flow's ``write_concurrency`` (BILL: 3), then one at a time for comparison.

With every request taking at least ``latency`` seconds and at most 3 in flight, the ceiling is
``3 / latency`` requests per second. Reported per way: records, BILL requests (the simulator's count),
seconds, requests per second, the share of the ceiling, the simulator's highest in-flight count, and its
BDC_1322 answers (a fourth request in flight: must be 0).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandera.pandas as pa
import requests
from pandera.typing import Series

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from backfill import _wait  # noqa: E402 - the sibling bench's start-up wait
from dagster_server import free_port  # noqa: E402
from kit.test_write_concurrency import Vendors  # noqa: E402 - BILL vendors by exact name, as that test writes them
from sandbox_logins import on_simulator  # noqa: E402

from connector_assets.flows.core import Lease, Mapped  # noqa: E402
from connector_assets.flows.targets import FlowRoute  # noqa: E402
from connector_assets.flows.writer import PartitionWriter, write_workers  # noqa: E402
from connector_resources.bill import BillResource  # noqa: E402
from connector_resources.ledger import Ledger  # noqa: E402

ORG = "00801SANDBOXORG00001"


class VendorRecord(pa.DataFrameModel):
    name: Series[str]


FLOW = FlowRoute("bench_bill", "JDE", "bill").flow(
    "vendors", "vendor", VendorRecord, lambda c, p: [], None, Vendors
)


def _records(count: int) -> list[Mapped]:
    tag = uuid.uuid4().hex[:8]
    return [
        Mapped(f"{tag}-{i:05d}", {"name": f"Bench {tag} {i}", "accountType": "BUSINESS"}, {"name": "x"},
               {"name": f"Bench {tag} {i}"})
        for i in range(count)
    ]  # fmt: skip


def _state(admin: str) -> dict:
    return requests.get(f"{admin}/state", timeout=15).json()


def measure(
    resource: BillResource, admin: str, ledger: Ledger, count: int, workers: int | None, latency: float
):
    records = _records(count)
    requests.post(f"{admin}/rate-limits/reset", timeout=15).raise_for_status()  # fresh high-water mark
    counts = dict.fromkeys(("create", "update", "adopt", "skip", "fail", "leased", "released"), 0)
    with resource.session() as session:
        session.login()
        target = Vendors(session)
        used = workers or write_workers(FLOW, target)
        before = _state(admin)
        writer = PartitionWriter(
            FLOW, target, ledger, run_id=f"bench-{uuid.uuid4()}", partition=None,
            lease=Lease(f"bench-{uuid.uuid4()}"), queued={}, counts=counts,
        )  # fmt: skip
        started = time.perf_counter()
        writer.run(records, used)
        seconds = time.perf_counter() - started
    after = _state(admin)
    calls = sum(after["calls"].values()) - sum(before["calls"].values())
    ceiling = min(used, 3) / latency
    return {
        "workers": used,
        "records": count,
        "created": counts["create"],
        "failed": counts["fail"],
        "requests": calls,
        "seconds": round(seconds, 2),
        "req_per_s": round(calls / seconds, 2),
        "ceiling_req_per_s": round(3 / latency, 2),
        "share_of_3_in_flight_ceiling": round(calls / seconds / (3 / latency), 3),
        "share_of_own_ceiling": round(calls / seconds / ceiling, 3),
        "max_in_flight": after["limits"]["max_in_flight"].get(ORG, 0),
        "BDC_1322": after["error_codes"].get("BDC_1322", 0) - before["error_codes"].get("BDC_1322", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--records", type=int, default=120)
    parser.add_argument("--sequential", action="store_true", help="also measure one record at a time")
    parser.add_argument("--workers", type=int, nargs="*", default=[], help="also measure these worker counts")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "connector_sandbox.bill", "--port", str(port), "--scale", "0.02"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base, admin = f"http://127.0.0.1:{port}/connect", f"http://127.0.0.1:{port}/sandbox"
    _wait(admin + "/state", server, seconds=300)
    requests.post(f"{admin}/faults", json={"latency_ms": args.latency_ms}, timeout=15).raise_for_status()
    try:
        with tempfile.TemporaryDirectory() as folder:
            ledger = Ledger(f"sqlite:///{Path(folder) / 'ledger.sqlite'}")
            resource = on_simulator(BillResource, base)
            latency = args.latency_ms / 1000
            ways = [None, *args.workers, *([1] if args.sequential else [])]
            for workers in ways:
                result = measure(resource, admin, ledger, args.records, workers, latency)
                print(" ".join(f"{k}={v}" for k, v in result.items()))
            ledger.dispose()
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
