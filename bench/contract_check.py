"""Benchmark: what the vendor's contract check costs a simulator, on its largest answers.

Run by hand (not by pytest):

    .venv/bin/python bench/contract_check.py --scale 1 --rounds 3

The JD Edwards simulator answers the biggest pages of any (F4311 in pages of 2,000 rows, every row checked
against the data service's answer shape). It is served in this process twice, with the check on
(``ML_SANDBOX_CONTRACT=strict``, the default) and off, and the whole of F4311 is read through our client
``rounds`` times each way: the difference in process CPU per row is what the check costs (client and
simulator share the process, so the rest cancels out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backfill import command, jde_sandbox_resource  # noqa: E402


def _read_all(url: str) -> int:
    rows = 0
    with jde_sandbox_resource(url).session() as session:
        for _row in session.browse("F4311", columns=["F4311.DOCO", "F4311.LNID", "F4311.AEXP", "F4311.UPMJ"]):
            rows += 1
    return rows


def measure(scale: float, rounds: int, mode: str) -> dict[str, float]:
    from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

    os.environ["ML_SANDBOX_CONTRACT"] = mode
    with tempfile.TemporaryDirectory() as home:
        url, stop = run_in_thread(JdeSandboxSettings(scale=scale, db_path=str(Path(home) / "jde.sqlite")))
        try:
            _read_all(url)  # warm: the seed's pages and the validators built once
            cpu, wall, rows = time.process_time(), time.perf_counter(), 0
            for _ in range(rounds):
                rows += _read_all(url)
            return {
                "rows": rows,
                "seconds": round(time.perf_counter() - wall, 2),
                "cpu_us_per_row": round((time.process_time() - cpu) / rows * 1e6, 1),
            }
        finally:
            stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    on = measure(args.scale, args.rounds, "strict")
    off = measure(args.scale, args.rounds, "off")
    print(
        json.dumps(
            {
                "command": command(),
                "scale": args.scale,
                "check_on": on,
                "check_off": off,
                "check_cpu_us_per_row": round(on["cpu_us_per_row"] - off["cpu_us_per_row"], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
