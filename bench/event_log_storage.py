"""Benchmark: what one asset event costs in the embedded instance's SQLite event log, Dagster's own
``SqliteEventLogStorage`` against ours (``runtime.event_log_storage``: connections kept open).

Run by hand (not by pytest)::

    .venv/bin/python bench/event_log_storage.py --events 500

Each class gets a fresh DAGSTER_HOME whose dagster.yaml names it; one step logs ``--events`` partitioned
asset observations (what a ranged backfill step logs per day, as it logs per-day materializations and
check results) and the wall time per event is printed, with the count stored, for each class in turn.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    DagsterInstance,
    DailyPartitionsDefinition,
    asset,
    materialize,
)

CLASSES = {
    "dagster": ("dagster._core.storage.event_log", "SqliteEventLogStorage"),
    "kept connections": ("connector_assets.runtime.event_log_storage", "KeptConnectionSqliteEventLogStorage"),
}
DAYS = DailyPartitionsDefinition(start_date="2025-01-01")


def per_event_ms(module: str, name: str, events: int) -> tuple[float, int]:
    timing: list[float] = []

    @asset
    def observes(context: AssetExecutionContext) -> None:
        days = DAYS.get_partition_keys()[:365]
        started = time.perf_counter()
        for n in range(events):
            context.log_event(AssetObservation(AssetKey("seen"), partition=days[n % 365], metadata={"n": n}))
        timing.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as home:
        base = f"{home}/history/runs"
        Path(home, "dagster.yaml").write_text(
            f"event_log_storage:\n  module: {module}\n  class: {name}\n  config:\n    base_dir: {base}\n"
        )
        os.environ["DAGSTER_HOME"] = home
        with DagsterInstance.get() as instance:
            assert materialize([observes], instance=instance).success
            stored = len(instance.fetch_observations(AssetKey("seen"), limit=events + 1).records)
    return timing[0] / events * 1000, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    print("| event log | ms per asset event | events stored |\n|---|---|---|")
    for label, (module, name) in CLASSES.items():
        ms, stored = per_event_ms(module, name, args.events)
        print(f"| {label} | {ms:.1f} | {stored} |")


if __name__ == "__main__":
    main()
