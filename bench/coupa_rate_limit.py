"""Benchmark: how close our Coupa client gets to Coupa's rate limit on the wire, and with how many 429s.

Run by hand (not by pytest):

    .venv/bin/python bench/coupa_rate_limit.py --repeats 3

The Coupa simulator runs in its own process with Coupa's documented limit (25 requests/s, burst of 20,
429 without Retry-After; per client, counted when a call arrives). Three loads, each ``--repeats`` times
from fresh buckets on both sides, through ``CoupaResource.session()`` with the shipped pacing (24/s,
burst 18 of Coupa's 20: two kept back for the spread between when we send a call and when it arrives):

* **sustained**: 120 invoice GETs from 20 threads at 20 ms a call. Goal: never above 25/s after the
  burst (the rate from the 21st call on), 0 429s.
* **read**: every invoice in one change-window read, pages of 4 (many calls from little data) on the
  shipped 20 read threads, 60 ms a call. Goal: within 10 % of Coupa's 25/s (>= 22.5 req/s), 0 429s.
* **stricter**: the same read against a server admitting 8/s (burst 4; a budget shared with another
  integration), client burst 4 on 4 threads, 20 ms a call. Goal: the pacer learns the limit from few
  429s (<= 25 % of the calls) and keeps >= 75 % of the allowed rate (accepted calls per second).

The tests (``tests/resources/test_coupa_rate_limit.py``) check what the client decides, whatever the
machine's load: every call planned by the pacer, on a plan Coupa's limiter admits whole. Whether the
calls also arrive on that plan, and so draw no 429, depends on the machine: a thread waiting for the CPU
sends late and its call can land beside the next one. That, and the rates, are this bench's figures;
they mean something on a quiet machine (the report gives the load average before and after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from backfill import command, print_report, served  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "ml-connector-sandbox", "sandbox-coupa-secret"
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Simulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def faults(self, **values: Any) -> None:
        requests.post(f"{self.url}/sandbox/faults", json=values, timeout=10).raise_for_status()

    def fresh(self) -> None:
        """Refilled buckets and zeroed counters on the simulator's side; a second's idle refills ours."""
        requests.post(f"{self.url}/sandbox/calls/reset", timeout=10).raise_for_status()
        time.sleep(1.0)

    def rate_limited(self) -> int:
        return requests.get(f"{self.url}/sandbox/state", timeout=10).json()["rate_limited"]

    def invoice_ids(self) -> list[int]:
        answer = requests.get(f"{self.url}/sandbox/records/invoices", params={"limit": 5000}, timeout=30)
        answer.raise_for_status()
        return [record["id"] for record in answer.json()["records"]]


def resource(url: str, **fields: Any) -> Any:
    from connector_resources.coupa import CoupaResource

    return CoupaResource(
        base_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_warmup_seconds=0, **fields
    )


def sustained(sim: Simulator, calls: int = 120, threads: int = 20) -> dict[str, Any]:
    """``calls`` invoice GETs from ``threads`` threads released together; when each was answered."""
    sim.faults(rate_limit_enabled=True, rate_limit_per_second=25, rate_limit_burst=20, latency_ms=20)
    ids = sim.invoice_ids()
    wanted = [ids[n % len(ids)] for n in range(calls)]
    answered: list[float] = []
    lock = threading.Lock()
    with resource(sim.url, rate_per_second=24.0).session() as session:
        sim.fresh()
        gate = threading.Barrier(threads)

        def one(index: int) -> None:
            if index < threads:
                gate.wait()
            session.get("invoices", wanted[index])
            with lock:
                answered.append(time.monotonic())

        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, range(calls)))
        seconds = time.monotonic() - started
    answered.sort()
    after_burst = (calls - 20) / (answered[-1] - answered[19])
    return {
        "calls": calls,
        "seconds": round(seconds, 2),
        "req_per_s": round(calls / seconds, 1),
        "after_burst_req_per_s": round(after_burst, 1),
        "429s": sim.rate_limited(),
    }


def read(sim: Simulator, *, server_rate: float, server_burst: int, latency_ms: int, **fields: Any) -> dict:
    """Every invoice in one change-window read, pages of 4."""
    sim.faults(
        rate_limit_enabled=True,
        rate_limit_per_second=server_rate,
        rate_limit_burst=server_burst,
        latency_ms=latency_ms,
    )
    with resource(sim.url, rate_per_second=24.0, page_size=4, **fields).session() as session:
        sim.fresh()
        before = session.metrics.calls
        started = time.monotonic()
        rows = list(session.iter_changed("invoices", EPOCH, datetime.now(UTC) + timedelta(days=1)))
        seconds = time.monotonic() - started
        calls = session.metrics.calls - before
    throttled = sim.rate_limited()
    return {
        "rows": len(rows),
        "calls": calls,
        "seconds": round(seconds, 2),
        "req_per_s": round(calls / seconds, 1),
        "accepted_req_per_s": round((calls - throttled) / seconds, 1),
        "429s": throttled,
        "429_share": round(throttled / calls, 3),
    }


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]} | {"runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5, help="simulator data (0.5: 951 invoices)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each load (medians reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        db_path = os.path.join(workdir, "coupa.sqlite")
        with served("connector_sandbox.coupa", args.scale, ["--db-path", db_path]) as url:
            sim = Simulator(url)
            load_before = os.getloadavg()
            loads = {
                "sustained": [sustained(sim) for _ in range(args.repeats)],
                "read": [
                    read(sim, server_rate=25, server_burst=20, latency_ms=60) for _ in range(args.repeats)
                ],
                "stricter": [
                    read(sim, server_rate=8, server_burst=4, latency_ms=20, rate_burst=4, read_workers=4)
                    for _ in range(args.repeats)
                ],
            }
            report = {
                "command": command(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                **{name: medians(runs) for name, runs in loads.items()},
            }
            print_report(report, markdown)


def markdown(report: dict[str, Any]) -> str:
    s, r, t = report["sustained"], report["read"], report["stricter"]
    rows = [
        "| load | calls | req/s | goal | 429s |",
        "|---|---|---|---|---|",
        f"| sustained, 120 GETs on 20 threads | {s['calls']} | {s['after_burst_req_per_s']} after the "
        f"burst | <= 25 | {s['429s']} |",
        f"| read, pages of 4 on 20 threads | {r['calls']} | {r['req_per_s']} | >= 22.5 | {r['429s']} |",
        f"| read, server at 8/s | {t['calls']} | {t['accepted_req_per_s']} accepted | >= 6 | "
        f"{t['429s']} ({t['429_share']:.0%} of calls; goal <= 25 %) |",
        "",
        f"medians of {len(s['runs'])} runs; load average before {report['load_average_before'][0]:.1f}, "
        f"after {report['load_average_after'][0]:.1f}",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
