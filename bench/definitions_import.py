"""Benchmark: what loading ``connector_assets.definitions`` costs a fresh process (every run pays it).

Run by hand (not by pytest):

    .venv/bin/python bench/definitions_import.py --rounds 5

Each round starts fresh interpreters, alternating, for: an empty one (``python -c pass``); one that
imports only the libraries the definitions cannot do without (dagster, requests, sqlalchemy, pydantic);
and one that imports the definitions, timing the import itself in-process (``perf_counter`` and CPU
``process_time`` around the import statement). We print the medians: the import in-process (the
goal: under 1.5 s), the ``python -c`` wall of each, and what our own code adds to the floor.

Whether Python may cache bytecode matters: with ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__``,
every process compiles our ~300 modules again (about 0.4 s here). ``--bytecode-cache DIR`` runs the
children with ``PYTHONPYCACHEPREFIX=DIR`` and bytecode writing on (one unmeasured warm-up round fills it),
as a deployed install with its ``.pyc`` files runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from backfill import command  # the sibling bench: the command line a report quotes

REPO = Path(__file__).resolve().parent.parent
FLOOR = "import dagster, requests, sqlalchemy, pydantic"
TIMED = (
    "import sys, time, json\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "import connector_assets.definitions\n"
    "print(json.dumps({'in_process_s': time.perf_counter() - wall, 'in_process_cpu_s': "
    "time.process_time() - cpu, 'heavy': sorted(m for m in ('pandas', 'pandera', 'pyarrow', 'alembic', "
    "'cryptography', 'authlib', 'numpy') if m in sys.modules)}))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bytecode-cache", help="run the children with this PYTHONPYCACHEPREFIX")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if args.bytecode_cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = args.bytecode_cache
        _python(TIMED, env)  # fills the cache; not measured
    sides: dict[str, list[float]] = {"empty": [], "floor": [], "definitions": []}
    inside: list[dict] = []
    for _ in range(args.rounds):
        sides["empty"].append(_python("pass", env)[0])
        sides["floor"].append(_python(FLOOR, env)[0])
        wall, out = _python(TIMED, env)
        sides["definitions"].append(wall)
        inside.append(json.loads(out.strip().splitlines()[-1]))

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    definitions_wall = median(sides["definitions"])
    report = {
        "command": command(),
        "bytecode_cache": args.bytecode_cache
        or ("off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"),
        "import_in_process_s": median([r["in_process_s"] for r in inside]),
        "import_in_process_cpu_s": median([r["in_process_cpu_s"] for r in inside]),
        "goal_in_process_below_1_5s": median([r["in_process_s"] for r in inside]) < 1.5,
        "python_c_wall_s": {
            "empty": median(sides["empty"]),
            "floor (" + FLOOR + ")": median(sides["floor"]),
            "connector_assets.definitions": definitions_wall,
        },
        "ours_over_floor_s": round(definitions_wall - median(sides["floor"]), 3),
        "heavy_libraries_loaded": inside[-1]["heavy"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report, indent=2))


def _python(code: str, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds of a fresh interpreter running ``code``, and what it printed."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


if __name__ == "__main__":
    main()
