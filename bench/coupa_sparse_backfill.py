"""Benchmark: a sparse Coupa backfill read per day (before) against one range read (now), in one run.

Run by hand (not by pytest):

    .venv/bin/python bench/coupa_sparse_backfill.py --days 121 --scale 0.75 --latency-ms 20

The Coupa simulator runs in its own process, seeded with a year of history (``--scale 0.75``: about 940
invoices changed in the last 121 days), with its documented rate limit and a fixed latency per call.
The window is the ``--days`` days before today (UTC), read twice through the same code, the same
resource (shipped settings: 24 requests/s) and one token minted beforehand:

* **per day**: ``incremental.read_day`` for each day in turn, one change-feed query per day (what
  ``saas.read_with_session`` did before range reads);
* **range**: ``saas.read_with_session`` as it is now: one paged query for the window, staged per day;
  the Coupa session reads a large window as id ranges on up to 20 threads, which costs a few partly
  filled pages more than reading it in one sequence;
* **range_one_thread**: the same with ``read_workers=1``: the window's pages in one sequence, the
  fewest calls a window can cost (for comparison; not the shipped setting).

Reported per way: the invoice calls the simulator counted (``/sandbox/state``, never the client),
wall seconds and this process's CPU seconds; then the ratios. Both ways must stage the same records
in every day's partition; the bench checks that before printing.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from backfill import served  # the sibling bench: simulators in their own processes

INVOICES = "GET /api/invoices"


def _calls(base: str) -> int:
    return requests.get(f"{base}/sandbox/state", timeout=30).json()["calls"].get(INVOICES, 0)


def _measured(base: str, read) -> dict[str, Any]:
    requests.post(f"{base}/sandbox/calls/reset", timeout=30).raise_for_status()
    wall, cpu = time.perf_counter(), time.process_time()
    rows = read()
    return {
        "invoice_calls": _calls(base),
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "rows": rows,
    }


def _staged(staging, days: list[date]) -> dict[str, set[str]]:
    from connector_assets.asset_keys import asset_key

    invoices = asset_key("coupa", "invoices")
    return {d.isoformat(): {r["id"] for r in staging.read_rows(invoices, d.isoformat())} for d in days}


def run(base: str, days: list[date], workdir: Path) -> dict[str, Any]:
    from connector_assets.asset_keys import asset_key
    from connector_assets.runtime.incremental import read_day
    from connector_assets.runtime.staging import StagingResource
    from connector_assets.saas.assets import SAAS_ENTITIES
    from connector_assets.saas.entities import SourceRead, _fetcher, overlap, read_with_session, stream_of
    from connector_resources.coupa import CoupaResource
    from connector_resources.ledger import LedgerResource

    spec = next(s for s in SAAS_ENTITIES if s.asset == asset_key("coupa", "invoices"))
    client = CoupaResource(
        base_url=base, client_id="ml-connector-sandbox", client_secret="sandbox-coupa-secret"
    )
    today = datetime.now(UTC).date()
    with client.session() as session:  # mint the token (and wait out its warm-up) before measuring
        session.search("suppliers", {}, limit=1)

    def per_day(staging: StagingResource, book) -> int:
        stream = stream_of(spec)
        with client.session() as session:
            fetch = _fetcher(spec, session)
            reads = [
                read_day(
                    stream, fetch, staging, book, day=d, today=today, overlap=overlap(), run_id="per-day"
                )
                for d in days
            ]
        return sum(r.rows for r in reads)

    def ranged(staging: StagingResource, book) -> int:
        reads, _pages, _extra = read_with_session(
            SourceRead(spec, staging, book, days, today, "range"), client
        )
        return sum(r.rows for r in reads)

    sequential = client.model_copy(update={"read_workers": 1})

    def ranged_one_thread(staging: StagingResource, book) -> int:
        reads, _pages, _extra = read_with_session(
            SourceRead(spec, staging, book, days, today, "range-1"), sequential
        )
        return sum(r.rows for r in reads)

    figures, staged = {}, {}
    ways = (("per_day", per_day), ("range", ranged), ("range_one_thread", ranged_one_thread))
    for name, read in ways:
        staging = StagingResource(base_dir=str(workdir / name))
        book = LedgerResource(db_url=f"sqlite:///{workdir / name}.sqlite").get()
        figures[name] = _measured(base, lambda read=read, staging=staging, book=book: read(staging, book))
        staged[name] = _staged(staging, days)
    for name in ("range", "range_one_thread"):
        if staged[name] != staged["per_day"]:
            differing = [d for d in staged[name] if staged[name][d] != staged["per_day"][d]]
            raise SystemExit(f"{name} and per_day staged different records on {differing[:5]}")
    before, now = figures["per_day"], figures["range"]
    return {
        "window": f"{days[0].isoformat()}..{days[-1].isoformat()} ({len(days)} days)",
        "invoices": now["rows"],
        "empty_days": sum(1 for ids in staged["range"].values() if not ids),
        **figures,
        "calls_ratio": round(before["invoice_calls"] / max(now["invoice_calls"], 1), 2),
        "wall_ratio": round(before["wall_s"] / max(now["wall_s"], 1e-9), 2),
        "cpu_ratio": round(before["cpu_s"] / max(now["cpu_s"], 1e-9), 2),
        "calls_ratio_one_thread": round(
            before["invoice_calls"] / max(figures["range_one_thread"]["invoice_calls"], 1), 2
        ),
        "same_records_per_day": True,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=121)
    parser.add_argument("--scale", type=float, default=0.75)
    parser.add_argument("--latency-ms", type=int, default=20)
    args = parser.parse_args()
    with served("connector_sandbox.coupa", args.scale) as base:
        requests.post(
            f"{base}/sandbox/faults", json={"latency_ms": args.latency_ms}, timeout=10
        ).raise_for_status()
        today = datetime.now(UTC).date()
        days = [today - timedelta(days=args.days - i) for i in range(args.days)]
        with tempfile.TemporaryDirectory() as workdir:
            os.environ.setdefault("DAGSTER_HOME", workdir)
            print(json.dumps(run(base, days, Path(workdir)), indent=2))


if __name__ == "__main__":
    main()
