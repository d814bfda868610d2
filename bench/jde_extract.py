"""Benchmark: stream the busiest UPMJ day of F4311 (PO lines) from the JDE sandbox into staging.

Run by hand (not by pytest):

    .venv/bin/python bench/jde_extract.py --scale 100

The sandbox runs in its own process (so its memory is not ours), seeded once into
``bench/.data/jde-<scale>.sqlite``. The asset runs in-process through Dagster's ``materialize``; we report
rows, seconds, rows per second, HTTP calls, our process's peak RSS before and after the read, and our
CPU seconds per 1,000 rows (what we spend besides waiting for the API).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20)
    parser.add_argument("--page-size", type=int, default=2000)
    args = parser.parse_args()

    data = Path(__file__).parent / ".data"
    data.mkdir(exist_ok=True)
    port = _free_port()
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector_sandbox.jde_ais",
            "--port",
            str(port),
            "--scale",
            str(args.scale),
            "--db-path",
            str(data / f"jde-{args.scale:g}.sqlite"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/jderest"
    try:
        started = time.monotonic()
        while True:
            try:
                requests.get(f"{base}/defaultconfig", timeout=2)
                break
            except requests.ConnectionError:
                if sandbox.poll() is not None or time.monotonic() - started > 900:
                    raise SystemExit("sandbox did not start") from None
                time.sleep(0.5)
        seed_seconds = time.monotonic() - started
        _run(base, args, seed_seconds)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _run(base: str, args: argparse.Namespace, seed_seconds: float) -> None:
    from dagster import instance_for_test, materialize

    from connector_assets.jde.assets import jde_assets
    from connector_assets.staging import StagingResource
    from connector_resources.jde import JdeAisResource
    from connector_resources.ledger import LedgerResource

    jde = JdeAisResource(
        base_url=base,
        username="INTEGR8",
        password="integr8-sandbox",
        environment="JPS920",
        role="*ALL",
        page_size=args.page_size,
    )
    # The busiest day: the sandbox's mass update shares one UPMJ across ~15 % of every table.
    with jde.session() as session:
        from connector_resources.jde import Condition

        days = {}
        for row in session.browse("F4301", columns=["F4301.UPMJ"]):
            days[row["UPMJ"]] = days.get(row["UPMJ"], 0) + 1
        busiest = max(days, key=days.get)
        expected = session.count("F4311", [Condition("F4311.UPMJ", "EQUAL", busiest)])
    lines = next(a for a in jde_assets if a.key.to_user_string() == "jde_po_lines")
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = {
            "jde": jde,
            "staging": StagingResource(base_dir=folder),
            "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        }
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu_before = time.process_time()
        started = time.monotonic()
        result = materialize(
            [lines], resources=resources, instance=instance, partition_key=busiest.isoformat()
        )
        seconds = time.monotonic() - started
        cpu = time.process_time() - cpu_before
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        rows = metadata["rows"].value
        staged_mb = sum(p.stat().st_size for p in Path(folder).rglob("*.parquet")) / 1e6
    report = {
        "command": " ".join([os.path.relpath(sys.executable), *sys.argv]),
        "scale": args.scale,
        "sandbox_ready_seconds": round(seed_seconds, 1),
        "day": busiest.isoformat(),
        "rows": rows,
        "expected_rows": expected,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "http_calls": metadata["http_calls"].value if "http_calls" in metadata else None,
        "pages": metadata["pages"].value,
        "peak_rss_mb_before_read": round(rss_before),
        "peak_rss_mb_after_read": round(rss_after),
        "our_cpu_seconds_per_1000_rows": round(cpu / max(rows, 1) * 1000, 3),
        "staged_parquet_mb": round(staged_mb, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
