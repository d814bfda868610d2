"""Benchmark: our F4311 day extraction against a raw ``requests`` loop, in one run, same sandbox.

Run by hand (not by pytest):

    .venv/bin/python bench/jde_extract_vs_raw.py --scale 10

One JDE sandbox process (seeded once into ``bench/.data/jde-<scale>.sqlite``) serves both sides. For the
busiest UPMJ day of F4311 (PO lines) each round times, login to logout:

* **ours**: ``JdeAisResource.session()`` + ``connector_assets.jde.extract.read_table``, exactly what the
  ``jde/po_lines`` asset runs inside its session (rows converted, typed, checked, staged to Parquet,
  cursor and retry queue in a SQLite ledger), without Dagster's run machinery around it;
* **raw**: ``requests`` with the same login, the same BROWSE body (checked equal to the one our client
  builds, token aside) and page size, following next links and decoding each page's JSON with exact
  decimals (``json.loads(parse_float=Decimal)``, the standard library; ``--raw-decoder msgspec`` gives it
  the decoder ours uses, ``connector_resources.jde.decode``), counting rows and nothing more: the floor
  any client pays.

Rounds alternate raw / ours (after one warm-up of each) so the shared machine's noise falls on both
sides; we print each round and the medians of wall seconds, CPU seconds (this process, every thread),
the ratios raw / ours of both (1.0 = as fast / as frugal as the raw loop) and the load average before and
after. On a 2-core machine shared with other work the CPU ratio is the steadier figure: when the cores are
busy, wall time follows the CPU the client and the sandbox need. ``--profile`` runs ours once more under
cProfile (main thread only: the prefetch thread's decoding shows as lock waits).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from jde_extract import (  # the sibling bench: sandbox in its own process
    DEVICE,
    _start,
    _stop,
    day_to_read,
    raw_ais_login,
    report_head,
)


@dataclass
class Timing:
    side: str
    wall: float
    cpu: float
    rows: int
    pages: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10, help="sandbox scale (10: ~18k rows that day)")
    parser.add_argument("--page-size", type=int, help="rows per page (default: ML_JDE_PAGE_SIZE)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each side")
    parser.add_argument("--profile", action="store_true", help="then profile one run of ours (cProfile)")
    parser.add_argument(
        "--raw-decoder", choices=("json", "msgspec"), default="json", help="how the raw loop decodes pages"
    )
    args = parser.parse_args()

    from connector_resources import settings

    page_size = args.page_size or int(settings.value("ML_JDE_PAGE_SIZE"))
    data = Path(__file__).parent / ".data"
    data.mkdir(exist_ok=True)
    base, sandbox, ready = _start(args.scale, data / f"jde-{args.scale:g}.sqlite")
    try:
        _run(base, page_size, args, ready)
    finally:
        _stop(sandbox)


def _resource(base: str, page_size: int):
    from backfill import jde_sandbox_resource

    return jde_sandbox_resource(base, device_name=DEVICE, page_size=page_size)


def _our_body(base: str, page_size: int, day: date) -> tuple[dict, str]:
    """The BROWSE body our client sends for the day (and the user's date pattern), built by its code."""
    from connector_assets.jde.tables import PO_LINES
    from connector_resources.jde import Condition
    from connector_resources.jde.query import BrowseSpec

    with _resource(base, page_size).session() as session:
        pattern = session.query_date_pattern
    spec = BrowseSpec.build(
        PO_LINES.table,
        columns=[PO_LINES.qualified(a) for a in PO_LINES.aliases],
        conditions=[Condition(PO_LINES.qualified("UPMJ"), "EQUAL", day)],
        match="MATCH_ALL",
        order_by=(),
        key_columns=None,
        page_size=page_size,
    )
    return spec.body((), pattern), pattern.format(day)


def _raw_body(page_size: int, day_text: str) -> dict:
    """The same request written by hand, as a caller with only ``requests`` would."""
    from connector_assets.jde.tables import PO_LINES

    key = ("KCOO", "DOCO", "DCTO", "SFXO", "LNID")
    return {
        "targetName": "F4311",
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "maxPageSize": str(page_size),
        "findOnEntry": "TRUE",
        "outputType": "GRID_DATA",
        "aliasNaming": True,
        "enableNextPageProcessing": True,
        "aggregation": {"orderBy": [{"column": f"F4311.{k}", "direction": "ASC"} for k in key]},
        "returnControlIDs": "|".join(f"F4311.{a}" for a in PO_LINES.aliases),
        "query": {
            "autoFind": True,
            "matchType": "MATCH_ALL",
            "autoClear": False,
            "condition": [
                {
                    "controlId": "F4311.UPMJ",
                    "operator": "EQUAL",
                    "value": [{"content": day_text, "specialValueId": "LITERAL"}],
                }
            ],
        },
    }


def _decoder(name: str) -> Callable[[bytes], Any]:
    if name == "msgspec":
        import msgspec

        return msgspec.json.Decoder(float_hook=Decimal).decode
    return lambda content: json.loads(content, parse_float=Decimal)


def _raw(base: str, body: dict, decode: Callable[[bytes], Any]) -> Timing:
    """Login, BROWSE, follow every next link, logout; decode each page and count its rows."""
    cpu, started = time.process_time(), time.monotonic()
    rows = pages = 0
    with requests.Session() as http:
        http.headers["Accept"] = "application/json"
        auth, headers = raw_ais_login(http, base)
        response = http.post(f"{base}/v2/dataservice", json={**body, **auth}, headers=headers, timeout=120)
        while True:
            response.raise_for_status()
            payload = decode(response.content)
            grid = payload["fs_DATABROWSE_F4311"]["data"]["gridData"]
            rows += len(grid["rowset"])
            pages += 1
            links = [link["href"] for link in payload.get("links") or [] if link.get("rel") == "next"]
            if not grid["summary"].get("moreRecords") or not links:
                break
            href = links[0]
            local = base + href[href.index("/jderest") + len("/jderest") :]
            response = http.post(local, json=auth, headers=headers, timeout=120)
        http.post(f"{base}/v2/tokenrequest/logout", json=auth, headers=headers, timeout=15)
    return Timing("raw", time.monotonic() - started, time.process_time() - cpu, rows, pages)


def _ours(base: str, page_size: int, day: date, folder: str, run: int) -> Timing:
    """Login, stage the day through the asset's own code, logout (a fresh staging folder and ledger)."""
    from connector_assets.jde.extract import read_table
    from connector_assets.jde.tables import PO_LINES
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.ledger import Ledger

    staging = StagingResource(base_dir=f"{folder}/staging-{run}")
    book = Ledger(f"sqlite:///{folder}/ledger-{run}.sqlite")
    today = date(2000, 1, 1)  # never the day read: a past day is read whole, as a backfill does
    cpu, started = time.process_time(), time.monotonic()
    with _resource(base, page_size).session() as session:
        reads = read_table(PO_LINES, session, staging, book, days=[day], run_id=f"bench-{run}", today=today)
        pages = session.pages
    timing = Timing("ours", time.monotonic() - started, time.process_time() - cpu, reads[0].rows, pages)
    if reads[0].rejected or staging.count(PO_LINES.asset, day.isoformat()) != reads[0].rows:
        raise SystemExit(f"our read rejected {reads[0].rejected} rows or staged a different count")
    return timing


def _run(base: str, page_size: int, args: argparse.Namespace, ready: float) -> None:
    with _resource(base, page_size).session() as session:
        day, expected = day_to_read(session)
    ours_body, day_text = _our_body(base, page_size, day)
    raw_body = _raw_body(page_size, day_text)
    if ours_body != raw_body:
        raise SystemExit(f"the raw body differs from ours:\n{ours_body}\n{raw_body}")
    timings: list[Timing] = []
    decode = _decoder(args.raw_decoder)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        _raw(base, raw_body, decode), _ours(base, page_size, day, folder, 0)  # warm-up: imports, caches
        for run in range(1, args.rounds + 1):
            timings += [_raw(base, raw_body, decode), _ours(base, page_size, day, folder, run)]
    load_after = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        for t in timings:
            if t.rows != expected:
                raise SystemExit(f"{t.side} read {t.rows} rows, COUNT says {expected}")
            print(f"{t.side:>4}: {t.wall:6.2f} s wall, {t.cpu:6.2f} s CPU, {t.rows} rows, {t.pages} pages")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            _ours(base, page_size, day, folder, 999)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            print(out.getvalue())

    def median(side: str, what: str) -> float:
        return statistics.median(getattr(t, what) for t in timings if t.side == side)

    report = {
        **report_head(args.scale, ready, day),
        "rows": expected,
        "page_size": page_size,
        "rounds": args.rounds,
        "raw_wall_seconds": round(median("raw", "wall"), 2),
        "ours_wall_seconds": round(median("ours", "wall"), 2),
        "raw_cpu_seconds": round(median("raw", "cpu"), 2),
        "ours_cpu_seconds": round(median("ours", "cpu"), 2),
        "raw_decoder": args.raw_decoder,
        "ratio_raw_over_ours": round(median("raw", "wall") / median("ours", "wall"), 2),
        "cpu_ratio_raw_over_ours": round(median("raw", "cpu") / median("ours", "cpu"), 2),
        # Each round's raw and ours ran back to back, so their ratio shares that moment's machine load.
        "ratio_per_round": [
            round(raw.wall / ours.wall, 2) for raw, ours in zip(timings[::2], timings[1::2], strict=True)
        ],
        "cpu_ratio_per_round": [
            round(raw.cpu / ours.cpu, 2) for raw, ours in zip(timings[::2], timings[1::2], strict=True)
        ],
        "load_average_before_after": [round(x, 2) for x in (*load_before, *load_after)],
        "goal": ">= 0.9",
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
