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
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import requests

# The JDE simulator's seeded integration user, as the benches log in.
USER, PASSWORD, ENVIRONMENT, ROLE, DEVICE = "INTEGR8", "integr8-sandbox", "JPS920", "*ALL", "ml-connector"


def raw_ais_login(http: requests.Session, base: str) -> tuple[dict[str, str], dict[str, str]]:
    """Log in with ``requests`` alone, as the raw baselines of the JDE benches do; returns the token body and
    the headers every later call (data service, next page, logout) carries."""
    login = http.post(
        f"{base}/v2/tokenrequest",
        json={
            "username": USER,
            "password": PASSWORD,
            "deviceName": DEVICE,
            "environment": ENVIRONMENT,
            "role": ROLE,
        },
        timeout=60,
    )
    login.raise_for_status()
    token = login.json()["userInfo"]["token"]
    return {"token": token, "deviceName": DEVICE}, {"jde-AIS-Auth": token, "jde-AIS-Auth-Device": DEVICE}


def day_to_read(session: Any, day: date | None = None) -> tuple[date, int]:
    """``day`` (by default the UPMJ day with most F4301 headers: the sandbox's mass update shares one UPMJ
    across ~15 % of every table) and how many F4311 lines it holds, which a read of it must stage."""
    from connector_resources.jde import Condition

    if day is None:
        days: dict[date, int] = {}
        for row in session.browse("F4301", columns=["F4301.UPMJ"]):
            days[row["UPMJ"]] = days.get(row["UPMJ"], 0) + 1
        day = max(days, key=days.__getitem__)
    return day, session.count("F4311", [Condition("F4311.UPMJ", "EQUAL", day)])


def report_head(scale: float, ready_seconds: float, day: date) -> dict[str, Any]:
    """What the JDE extraction benches' reports open with, so their figures compare: the command, the
    sandbox's scale and start-up time, and the day read."""
    from backfill import command

    return {
        "command": command(),
        "scale": scale,
        "sandbox_ready_seconds": round(ready_seconds, 1),
        "day": day.isoformat(),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20)
    parser.add_argument("--page-size", type=int, default=2000)
    parser.add_argument(
        "--mass-update-rows",
        type=int,
        default=0,
        help="before reading, stamp this many F4311 rows with one UPMJ + time (a mass update, as a data "
        "conversion or nightly program does) and read that day instead of the busiest seeded one",
    )
    args = parser.parse_args()

    data = Path(__file__).parent / ".data"
    data.mkdir(exist_ok=True)
    db_path = data / f"jde-{args.scale:g}.sqlite"
    base, sandbox, seed_seconds = _start(args.scale, db_path)
    try:
        day = None
        if args.mass_update_rows:
            _stop(sandbox)
            day = _mass_update(db_path, args.mass_update_rows)
            base, sandbox, _ = _start(args.scale, db_path)
        _run(base, args, seed_seconds, day)
    finally:
        _stop(sandbox)


def _start(scale: float, db_path: Path) -> tuple[str, subprocess.Popen, float]:
    """The sandbox in its own process (seeding ``db_path`` the first time); its URL once it answers."""
    port = _free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "connector_sandbox.jde_ais", "--port", str(port), "--scale", str(scale)]
        + ["--db-path", str(db_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/jderest"
    started = time.monotonic()
    while True:
        try:
            requests.get(f"{base}/defaultconfig", timeout=2)
            return base, sandbox, time.monotonic() - started
        except requests.ConnectionError:
            if sandbox.poll() is not None or time.monotonic() - started > 3600:
                _stop(sandbox)
                raise SystemExit("sandbox did not start") from None
            time.sleep(0.5)


def _stop(sandbox: subprocess.Popen) -> None:
    sandbox.terminate()
    sandbox.wait(timeout=60)


def _mass_update(db_path: Path, rows: int):
    """Stamp the first ``rows`` F4311 rows with yesterday's UPMJ and one TDAY, straight in the sandbox's
    database (the bench's own copy, while the sandbox is stopped); returns that day."""
    import sqlite3
    from datetime import timedelta

    day = date.today() - timedelta(days=1)
    julian = (day.year - 1900) * 1000 + day.timetuple().tm_yday
    with sqlite3.connect(db_path) as conn:
        available = conn.execute('SELECT COUNT(*) FROM "F4311"').fetchone()[0]
        if available < rows:
            raise SystemExit(f"F4311 holds {available} rows at this scale, fewer than {rows}; raise --scale")
        conn.execute(
            'UPDATE "F4311" SET "UPMJ" = ?, "TDAY" = 215959 WHERE rowid IN '
            '(SELECT rowid FROM "F4311" ORDER BY rowid LIMIT ?)',
            (julian, rows),
        )
    return day


def _run(base: str, args: argparse.Namespace, seed_seconds: float, day=None) -> None:
    from backfill import jde_sandbox_resource  # the sibling bench's JDE login
    from dagster import instance_for_test, materialize

    from connector_assets.flows.target_boundary import UNWRAPPED
    from connector_assets.jde.assets import jde_assets
    from connector_assets.jde.tables import PO_LINES
    from connector_assets.runtime.staging import StagingResource
    from connector_resources.ledger import LedgerResource

    jde = jde_sandbox_resource(base, page_size=args.page_size)
    with jde.session() as session:
        busiest, expected = day_to_read(session, day)
    lines = next(a for a in jde_assets if a.key == PO_LINES.asset)
    with tempfile.TemporaryDirectory() as folder, instance_for_test() as instance:
        resources = {
            "jde": jde,
            "staging": StagingResource(base_dir=folder),
            "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
            "target_boundary": UNWRAPPED,
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
        **report_head(args.scale, seed_seconds, busiest),
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
