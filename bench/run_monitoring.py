"""Benchmark: how soon a run whose worker was killed -9 is marked failed, and retried.

Run by hand (not by pytest):

    .venv/bin/python bench/run_monitoring.py --repeats 3

Runs the end-to-end test ``tests/project/test_run_monitoring.py`` (a real ``dagster-daemon run`` with the
project's ``dagster.yaml``: its launcher, run monitoring every 10 s and run retries; three runs killed -9:
one launched by the daemon, one in a terminal, and the daemon's whole process group) ``--repeats`` times,
and reports the seconds it measured each time. The test asserts what happened (each run failed by what
should fail it, retried or not); how soon is this bench's figure, since a busy machine delays the daemon's
pass. Goal (docs/after_a_crash.md): each run failed within the poll plus a pass, 10 + 5 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from backfill import command, print_report  # noqa: E402

TEST = (
    "tests/project/test_run_monitoring.py::"
    "test_killed_run_workers_are_marked_failed_by_run_monitoring_and_launched_ones_retried_once"
)
GOAL = 15.0  # the poll (10 s) and a pass
FAILED = ("lone failed", "cli failed", "orphan failed after restart")


def once() -> dict[str, float]:
    """The seconds one run of the test printed, by what they measure."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    line = re.search(r"seconds \(poll [\d.]+ s\): (.*)", done.stdout)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"the test failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return {name: float(value) for name, value in re.findall(r"([a-z' ]+?) ([\d.]+)(?:, |$)", line.group(1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of the test")
    args = parser.parse_args()
    load_before = os.getloadavg()
    runs = [once() for _ in range(args.repeats)]
    report: dict[str, Any] = {
        "command": command(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "runs": runs,
        "median": {name: statistics.median(run[name] for run in runs) for name in runs[0]},
        "worst_failed": max(run[name] for run in runs for name in FAILED),
        "goal": GOAL,
    }
    print_report(report, markdown)


def markdown(report: dict[str, Any]) -> str:
    rows = ["| measured | median s | runs |", "|---|---|---|"]
    for name, median in report["median"].items():
        rows.append(f"| {name} | {median:.1f} | {', '.join(f'{run[name]:.1f}' for run in report['runs'])} |")
    met = "met" if report["worst_failed"] <= report["goal"] else "NOT met"
    before, after = report["load_average_before"][0], report["load_average_after"][0]
    rows += [
        "",
        f"worst time to failed {report['worst_failed']:.1f} s against the goal of {report['goal']:g} s: "
        f"{met}; load average before {before:.1f}, after {after:.1f}",
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    main()
