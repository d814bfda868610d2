"""Benchmark: a no-change poll of two JDE tables as a real Dagster run against a bare ``requests`` poll.

Run by hand (not by pytest):

    .venv/bin/python bench/no_change_poll.py --rounds 3

A poll that finds nothing new costs about what its HTTP calls cost, at most 3 s more.
One JDE sandbox process (seeded once into ``bench/.data/jde-<scale>.sqlite``) serves both sides; the
tables are F0101 and F0401 (``jde/address_book`` and ``jde/suppliers``, what the supplier flows read).

* **run**: what the daemon's run launcher starts for the poll schedule's run request, in a process of its
  own: a fresh interpreter loads ``connector_assets.definitions``, opens the Dagster instance (a temporary
  ``DAGSTER_HOME`` with this repository's ``dagster.yaml``: SQLite run and event storage, op pools) and
  executes the ``jde_sources`` job for today's partition, those two assets selected, through
  ``execute_job(ReconstructableJob)``: the run worker's own path (run record, events, the job's
  ``in_process_executor``, the definitions' resources and SQLite ledger) minus the daemon's gRPC hop. Its
  wall time is measured from process start to exit, so the interpreter start and every import count. One
  unmeasured priming run stages today first and sets the cursor, so the measured runs find no change.
* **bare**: ``requests`` only, in this process: login, the same BROWSE bodies (built by our
  ``BrowseSpec`` from the same conditions the asset's incremental read sends: today, time at least the
  cursor less the overlap), logout. The floor: what the poll's calls cost with nothing around them.

Rounds alternate run / bare. We print each round, the medians, the difference run - bare (goal: < 3 s),
the ratio, the calls the sandbox counted per endpoint on each side (the data-service calls must be the
same; the run logs in and out once per step, two steps here, where the bare poll does it once) and the
run's phases: interpreter start, imports and definitions, instance, run, interpreter exit.

Wall figures depend on the machine's load (printed); run it on a quiet machine for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from backfill import command  # the sibling bench: the command line a report quotes
from jde_extract import _start, _stop, raw_ais_login  # the sibling bench: sandbox in its own process

from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS

ASSETS = (ADDRESS_BOOK.asset, SUPPLIERS.asset)
JOB = "jde_sources"
DATA_SERVICE = "POST /jderest/v2/dataservice"
REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1, help="sandbox scale")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each side")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # the run side's process: the partition key
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return

    data = Path(__file__).parent / ".data"
    data.mkdir(exist_ok=True)
    base, sandbox, _ = _start(args.scale, data / f"jde-{args.scale:g}.sqlite")
    home = Path(tempfile.mkdtemp(prefix="no_change_poll_"))
    try:
        _run(base, home, args.rounds)
    finally:
        _stop(sandbox)
        shutil.rmtree(home, ignore_errors=True)


def _run(base: str, home: Path, rounds: int) -> None:
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "ML_JDE_AIS_URL": base, "PYTHONPATH": str(REPO)}
    env.pop("ML_CONNECTOR_DB_URL", None)  # the ledger: SQLite under DAGSTER_HOME, as `ml-connector dev`
    os.environ.update({k: env[k] for k in ("DAGSTER_HOME", "ML_JDE_AIS_URL")})
    day = _today()
    # Suppliers changed today (F0101 + F0401 rows), so the priming run sets a cursor and the measured
    # polls read incrementally from it, re-reading only the overlap: a poll that finds nothing new.
    root = base.removesuffix("/jderest")
    wanted = {"new_suppliers": 3, "updated_suppliers": 3}
    requests.post(f"{root}/sandbox/activity", json=wanted, timeout=60).raise_for_status()
    priming = _run_side(base, env, day)  # stages today whole and sets the cursor; not measured
    bodies, cursor = _bare_bodies(base, home, day)
    results: dict[str, list[dict[str, Any]]] = {"run": [], "bare": []}
    for round_number in range(1, rounds + 1):
        for side in ("run", "bare"):
            timing = _run_side(base, env, day) if side == "run" else _bare_side(base, bodies)
            results[side].append(timing)
            print(f"round {round_number} {side}: {timing['wall_s']:.2f} s wall, calls {timing['calls']}")

    def median(side: str, what: str) -> float:
        return round(statistics.median(r[what] for r in results[side]), 3)

    run_wall, bare_wall = median("run", "wall_s"), median("bare", "wall_s")
    bare_calls = results["bare"][0]["calls"]
    no_pyc = os.environ.get("PYTHONDONTWRITEBYTECODE")
    report = {
        "command": command(),
        "partition": day,
        "tables": ["F0101", "F0401"],
        "cursor": cursor,
        "priming_run_wall_s": priming["wall_s"],
        "priming_run_calls": priming["calls"],
        "run_wall_s_median": run_wall,
        "bare_wall_s_median": bare_wall,
        "difference_s": round(run_wall - bare_wall, 3),
        "ratio_run_over_bare": round(run_wall / bare_wall, 1),
        "goal_difference_below_3s": run_wall - bare_wall < 3,
        "run_calls": results["run"][-1]["calls"],
        "bare_calls": results["bare"][-1]["calls"],
        "same_data_service_calls": all(
            r["calls"].get(DATA_SERVICE) == bare_calls.get(DATA_SERVICE) for r in results["run"]
        ),
        "run_phases_s_median": {
            phase: round(statistics.median(r["phases"][phase] for r in results["run"]), 3)
            for phase in results["run"][0]["phases"]
        },
        "bytecode_cache": "off (PYTHONDONTWRITEBYTECODE)" if no_pyc else "on",
        "bare_rows": results["bare"][-1]["rows"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


def _today() -> str:
    """Today's partition key, in the JDE time zone as the poll schedule computes it."""
    from datetime import datetime

    from connector_assets.jde.extract import jde_timezone

    return datetime.now(jde_timezone()).date().isoformat()


def _calls(base: str, reset: bool = False) -> dict[str, int]:
    """The sandbox's count of AIS calls per endpoint (``/sandbox`` routes are not counted)."""
    base = base.removesuffix("/jderest")  # the operator routes sit at the server's root
    if reset:
        requests.post(f"{base}/sandbox/calls/reset", timeout=10).raise_for_status()
        return {}
    calls = requests.get(f"{base}/sandbox/state", timeout=10).json()["calls"]
    return {endpoint: count for endpoint, count in sorted(calls.items()) if count}


def _run_side(base: str, env: dict[str, str], day: str) -> dict[str, Any]:
    """One poll run in its own process, timed from spawn to exit."""
    _calls(base, reset=True)
    out, err = Path(env["DAGSTER_HOME"]) / "child.out", Path(env["DAGSTER_HOME"]) / "child.err"
    # Output to files, not pipes: Dagster's compute-log tail and orphan watcher processes inherit the
    # run's stdout, and a pipe would keep us waiting for them after the run process has exited.
    with out.open("w") as stdout, err.open("w") as stderr:
        spawned = time.time()
        command = [sys.executable, __file__, "--child", day]
        code = subprocess.call(command, env=env, stdout=stdout, stderr=stderr)
        ended = time.time()
    if code != 0:
        raise SystemExit(f"the poll run failed:\n{out.read_text()[-3000:]}\n{err.read_text()[-3000:]}")
    phases = json.loads(out.read_text().strip().splitlines()[-1])
    entered, done = phases.pop("entered_at"), phases.pop("done_at")
    phases = {"interpreter_start": entered - spawned, **phases, "interpreter_exit": ended - done}
    return {"wall_s": ended - spawned, "calls": _calls(base), "phases": phases}


def _child(day: str) -> None:
    """The run worker's part: load the definitions, open the instance, execute the run, report phases."""
    entered_at = time.time()
    started = time.perf_counter()
    from dagster import DagsterInstance, execute_job
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    import connector_assets.definitions  # noqa: F401  (timed: what every run process loads)

    imported = time.perf_counter()
    with DagsterInstance.get() as instance:
        opened = time.perf_counter()
        job = ReconstructableRepository.for_module(
            "connector_assets.definitions", "defs", working_directory=str(REPO)
        ).get_reconstructable_job(JOB)
        with execute_job(
            job,
            instance,
            tags={"dagster/partition": day},
            asset_selection=list(ASSETS),
        ) as result:
            if not result.success:
                raise SystemExit(f"run {result.run_id} failed")
        ran = time.perf_counter()
    phases = {
        "imports_and_definitions": imported - started,
        "instance": opened - imported,
        "run": ran - opened,
        "cpu_process": time.process_time(),
        "entered_at": entered_at,
        "done_at": time.time(),
    }
    print(json.dumps(phases))


def _bare_bodies(base: str, home: Path, day: str) -> tuple[list[dict[str, Any]], str | None]:
    """The BROWSE bodies the asset's incremental read sends now (after the priming run), built with our
    own code from the ledger's cursors; untimed setup."""
    from datetime import date

    from connector_assets.jde.columnar import CURSOR_INTEGRATION
    from connector_assets.jde.extract import _fetcher, overlap
    from connector_assets.jde.tables import JDE_TABLES
    from connector_assets.runtime.incremental import since_cursor
    from connector_resources.jde import JdeAisResource
    from connector_resources.jde.query import BrowseSpec
    from connector_resources.ledger import shared_ledger

    jde = JdeAisResource.from_settings().process_config_and_initialize()
    with jde.session() as session:
        pattern, page_size = session.query_date_pattern, session.page_size
    book = shared_ledger(None)
    bodies: list[dict[str, Any]] = []
    cursors = []

    class Recorder:
        """Stands in for the JDE session: keeps the body each ``browse`` would send, fetches nothing."""

        def browse(self, table: str, **kwargs: Any) -> list:
            # JdeSession.browse's defaults for what the asset does not pass
            given = {"match": "MATCH_ALL", "order_by": (), "key_columns": None, **kwargs}
            bodies.append(BrowseSpec.build(table, page_size=page_size, **given).body((), pattern))
            return []

    partition = date.fromisoformat(day)
    for spec in (t for t in JDE_TABLES if t.asset in ASSETS):
        cursor = book.get_cursor(CURSOR_INTEGRATION, spec.table)
        cursors.append(f"{spec.table}={cursor}")
        _fetcher(spec, Recorder())(partition, since_cursor(cursor, partition, overlap()))
    return bodies, ", ".join(cursors)


def _bare_side(base: str, bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Login, the BROWSE calls, logout with ``requests`` alone; rows decoded and counted, nothing kept."""
    _calls(base, reset=True)
    started = time.perf_counter()
    rows = 0
    with requests.Session() as http:
        http.headers["Accept"] = "application/json"
        auth, headers = raw_ais_login(http, base)
        for body in bodies:
            response = http.post(f"{base}/v2/dataservice", json={**body, **auth}, headers=headers, timeout=60)
            response.raise_for_status()
            grid = response.json()[f"fs_DATABROWSE_{body['targetName']}"]["data"]["gridData"]
            rows += len(grid["rowset"])
        http.post(f"{base}/v2/tokenrequest/logout", json=auth, headers=headers, timeout=15)
    wall = time.perf_counter() - started
    return {"wall_s": wall, "calls": _calls(base), "rows": rows}


if __name__ == "__main__":
    main()
