"""Benchmark: read a window of Coupa invoices end to end, our client against the peer coupa-async-client.

Run by hand (not by pytest):

    .venv/bin/python bench/coupa_extract_vs_peer.py --scale 0.5 --latency-ms 100 --repeats 5

The peer side needs the peer client, which is **not** a project dependency (install it into the venv
for this bench only; the bench skips that side with a message when it is missing):

    .venv/bin/pip install coupa-async-client==0.1.0

The Coupa simulator runs in its own process with Coupa's documented rate limit (25 requests/s, burst
of 20, 429 without Retry-After), seeded with ``--scale`` (0.5 = 951 invoices), answering every API call
after ``--latency-ms``. Both sides read every invoice changed in the same closed window (all of them)
and are timed end to end: session open (token) + every page + close. Before each run the simulator's
buckets are refilled and the bench idles a second, so each run starts from a full burst on both sides.

* **ours**: ``CoupaResource(...).session(flow="invoices")`` + ``iter_changed`` with shipped settings
  (24 requests/s, burst 18 of Coupa's 20, id ranges read on up to 20 threads). Coupa documents a wait
  of >= 5 s after minting a token before its first use (reference §2.1), so a session whose token is
  new waits it out (``token_warmup_seconds``); the token is shared by every session of the process
  and kept ~20 h, so only the first session of a process pays it. Reported both ways: **cold** (a new
  token, the documented wait included; one run) and **warm** (the process already holds the token,
  the steady state of a code server or a multi-step run; median of ``--repeats``).
* **peer**: ``CoupaAsyncClient`` with its defaults (10 offset pages in parallel until a batch comes back
  empty, tenacity retries on 429); a new client per run, as its README uses it: it mints a token and
  uses it at once.

Reported per side: median / min / max seconds, rows and distinct ids read, calls (token requests
included) and 429s the simulator counted, and the ratio peer / ours (above 1: ours is faster).
Figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from backfill import command, print_report, served  # noqa: E402

CLIENT_ID = "ml-connector-sandbox"  # the simulator's seeded OAuth client (connector_sandbox/coupa/README.md)
CLIENT_SECRET = "sandbox-coupa-secret"
SCOPES = ["core.invoice.read"]
PEER_INSTALL = ".venv/bin/pip install coupa-async-client==0.1.0"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Simulator:
    """The Coupa simulator's operator routes: counters and rate-limit buckets."""

    def __init__(self, url: str) -> None:
        self.url = url

    def fresh_buckets(self) -> None:
        requests.post(f"{self.url}/sandbox/calls/reset", timeout=10).raise_for_status()
        time.sleep(1.0)  # our pacer's bucket refills too (18 calls at 24/s: 0.75 s)

    def statuses(self) -> dict[str, int]:
        return requests.get(f"{self.url}/sandbox/state", timeout=10).json()["statuses"]


def ours_once(url: str, start: datetime, end: datetime, *, cold: bool) -> dict[str, Any]:
    """One end-to-end read through ``CoupaResource``; ``cold`` drops the process's token first."""
    from connector_resources.coupa import CoupaResource, forget_tokens

    if cold:
        forget_tokens()
    resource = CoupaResource(base_url=url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    started = time.monotonic()
    with resource.session(flow="invoices") as session:
        opened = time.monotonic() - started
        ids = [row["id"] for row in session.iter_changed("invoices", start, end)]
        calls = session.metrics.calls
        pacer_wait = session.metrics.wait_seconds
    return {
        "seconds": time.monotonic() - started,
        "session_open_s": round(opened, 3),
        "rows": len(ids),
        "distinct": len(set(ids)),
        "in_id_order": ids == sorted(ids),
        "client_calls": calls,
        "pacing_wait_s": round(pacer_wait, 3),
    }


def peer_once(url: str, start: datetime, end: datetime) -> dict[str, Any]:
    """One end-to-end read through the peer's ``CoupaAsyncClient`` with its defaults."""
    from coupa_async_client import CoupaAsyncClient

    params = {"updated_at[gt_or_eq]": _stamp(start), "updated_at[lt]": _stamp(end)}

    async def read() -> list[int]:
        async with CoupaAsyncClient(
            base_url=f"{url}/api",
            token_url=f"{url}/oauth2/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=SCOPES,
        ) as client:
            return [item["id"] async for item in client.iter_items("invoices", params=params)]

    started = time.monotonic()
    ids = asyncio.run(read())
    return {"seconds": time.monotonic() - started, "rows": len(ids), "distinct": len(set(ids))}


def timed(sim: Simulator, run: Any) -> dict[str, Any]:
    """``run()`` from full buckets, with the 429s and API calls the simulator counted meanwhile."""
    sim.fresh_buckets()
    result = run()
    statuses = sim.statuses()  # counters were zeroed by fresh_buckets
    result["calls_incl_token"] = sum(statuses.values())
    result["429s"] = statuses.get("429", 0)
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in runs]
    return {
        "runs": len(runs),
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "rows": sorted({r["rows"] for r in runs}),
        "distinct": sorted({r["distinct"] for r in runs}),
        "calls_incl_token": sorted({r["calls_incl_token"] for r in runs}),
        "429s_total": sum(r["429s"] for r in runs),
        "429s_per_run": [r["429s"] for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.5, help="simulator data (0.5 = 951 invoices)")
    parser.add_argument("--latency-ms", type=int, default=100, help="the simulator's answer time per call")
    parser.add_argument("--repeats", type=int, default=5, help="runs per side (median reported)")
    args = parser.parse_args()
    try:
        import coupa_async_client  # noqa: F401
    except ImportError:
        peer_missing = f"peer side skipped: coupa-async-client is not installed (bench only: {PEER_INSTALL})"
    else:
        peer_missing = ""
    with tempfile.TemporaryDirectory() as workdir:
        db_path = os.path.join(workdir, "coupa.sqlite")
        with served("connector_sandbox.coupa", args.scale, ["--db-path", db_path]) as url:
            faults = {
                "latency_ms": args.latency_ms,
                "rate_limit_enabled": True,
                "rate_limit_per_second": 25,
                "rate_limit_burst": 20,
            }
            requests.post(f"{url}/sandbox/faults", json=faults, timeout=10).raise_for_status()
            seeded = requests.get(f"{url}/sandbox/state", timeout=10).json()["row_counts"]["invoices"]
            end = datetime.now(UTC).replace(microsecond=0)
            start = end - timedelta(days=3 * 365)  # every seeded invoice (a year of history)
            sim = Simulator(url)
            cold = timed(sim, lambda: ours_once(url, start, end, cold=True))
            warm = [timed(sim, lambda: ours_once(url, start, end, cold=False)) for _ in range(args.repeats)]
            peer = (
                []
                if peer_missing
                else [timed(sim, lambda: peer_once(url, start, end)) for _ in range(args.repeats)]
            )
            report: dict[str, Any] = {
                "command": command(),
                "invoices_seeded": seeded,
                "window": [_stamp(start), _stamp(end)],
                "latency_ms": args.latency_ms,
                "simulator_limit": "25 requests/s, burst 20",
                "load_average": os.getloadavg(),
                "ours_cold": {**summary([cold]), "session_open_s": cold["session_open_s"]},
                "ours_warm": {
                    **summary(warm),
                    "session_open_s": [r["session_open_s"] for r in warm],
                    "in_id_order": all(r["in_id_order"] for r in warm),
                    "pacing_wait_s": [r["pacing_wait_s"] for r in warm],
                },
                "peer": summary(peer) if peer else peer_missing,
            }
            if peer:
                peer_median = report["peer"]["median_s"]
                report["ratio_peer_over_ours_warm"] = round(peer_median / report["ours_warm"]["median_s"], 2)
                report["ratio_peer_over_ours_cold"] = round(peer_median / report["ours_cold"]["median_s"], 2)
            print_report(report, markdown)


def markdown(report: dict[str, Any]) -> str:
    rows = [
        "| side | runs | median s | min s | max s | rows (distinct) | calls incl. token | 429s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    sides = [("ours, token held (warm)", "ours_warm"), ("ours, new token + 5 s wait (cold)", "ours_cold")]
    sides.append(("peer coupa-async-client 0.1.0", "peer"))
    for label, key in sides:
        side = report[key]
        if isinstance(side, str):
            rows.append(f"| {label} | - | {side} | | | | | |")
            continue
        rows.append(
            f"| {label} | {side['runs']} | {side['median_s']} | {side['min_s']} | {side['max_s']} | "
            f"{side['rows']} ({side['distinct']}) | {side['calls_incl_token']} | {side['429s_total']} |"
        )
    if "ratio_peer_over_ours_warm" in report:
        rows.append("")
        warm, cold = report["ratio_peer_over_ours_warm"], report["ratio_peer_over_ours_cold"]
        rows.append(f"peer / ours: {warm}x warm, {cold}x cold (above 1: ours is faster)")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
