"""A small daily flow whose day ``BAD_DAY`` has one record refused at mapping until ``FIXED`` says the
mapping is fixed: what a day with one failed record looks like in Dagster, and after a replay.

Real Dagster, a real ledger on SQLite (``DAY_HEALTH_DIR``), an in-memory target counting every create.
A module of its own (not the test's) so a code server can load ``defs`` from it by file, as the webserver
does, and answer GraphQL with the fields the UI reads (``tests/kit/test_day_health.py``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pandera.pandas as pa
from dagster import DailyPartitionsDefinition, Definitions
from pandera.typing import Series

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import LedgerResource

DAYS = ("2026-11-11", "2026-11-12", "2026-11-13")
BAD_DAY = "2026-11-12"
REFUSED = f"{BAD_DAY}-R0"
WHOLE_REFUSED = "W-R0"  # the unpartitioned flow's refused record
FIXED = {"fixed": False}  # the mapping table: code C1 unmapped until a test fixes it


class ThingRecord(pa.DataFrameModel):
    name: Series[str] = pa.Field(str_length={"min_value": 1})


class Target:
    """Records by id, found by name; counts every create (so a test sees nothing was sent twice)."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}
        self.creates = Counter[str]()

    def find(self, record: Mapped) -> str | None:
        return next((tid for tid, name in self.rows.items() if name == record.natural_key["name"]), None)

    def create(self, record: Mapped) -> str:
        self.rows[f"T-{record.source_key}"] = record.natural_key["name"]
        self.creates[record.source_key] += 1
        return f"T-{record.source_key}"

    def update(self, target_id: str, record: Mapped) -> None:
        self.rows[target_id] = record.natural_key["name"]


TARGET = Target()


def _record(key: str) -> Mapped | Rejected:
    if key in (REFUSED, WHOLE_REFUSED) and not FIXED["fixed"]:
        return Rejected(key, f"thing {key}: code C1 has no account in the mapping table")
    name = f"thing {key}"
    return Mapped(key, {"name": name}, {"name": name}, {"name": name})


def _map(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    keys = [f"{partition}-G{i}" for i in range(3)] + ([REFUSED] if partition == BAD_DAY else [])
    return (_record(key) for key in keys)


def _map_whole(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    return (_record(key) for key in ("W-G0", "W-G1", WHOLE_REFUSED))


def _remap(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    return (_record(key) for key in keys)


def thing_flow(
    integration: str, map_records: Any, target: Target, *, remap: Any = None, partitions_def: Any = None
) -> tuple[FlowSpec, Any, Any, Any]:
    """A kit flow of things (``ThingRecord``) into ``target``: its spec and its mapped, written, in-target
    and verdict assets."""
    spec = FlowSpec(
        integration=integration,
        name="things",
        entity="thing",
        source_system="SRC",
        target_system="tgt",
        schema=ThingRecord,
        map_records=map_records,
        open_target=lambda context: nullcontext(target),  # type: ignore[arg-type,return-value]
        remap=remap,
    )
    assets = build_flow_assets(
        spec,
        partitions_def=partitions_def,
        upstream=[],
        resource_keys=set(),
        kinds={"test"},
    )
    return (spec, *assets)


PARTITIONS = DailyPartitionsDefinition(start_date=DAYS[0], end_date="2026-11-14")
SPEC, MAPPED, WRITTEN, IN_TARGET, VERDICT = thing_flow(
    "day_health", _map, TARGET, remap=_remap, partitions_def=PARTITIONS
)
# The same, unpartitioned (a flow whose table is read whole): its one check result is "the day".
WHOLE_SPEC, WHOLE_MAPPED, WHOLE_WRITTEN, WHOLE_IN_TARGET, WHOLE_VERDICT = thing_flow(
    "day_health_whole", _map_whole, TARGET, remap=_remap
)


def resources(folder: str) -> dict[str, Any]:
    return {
        "staging": StagingResource(base_dir=f"{folder}/staging"),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder}/ledger.sqlite"),
        "target_boundary": UNWRAPPED,
    }


defs = Definitions(
    assets=[MAPPED, WRITTEN, IN_TARGET, VERDICT, WHOLE_MAPPED, WHOLE_WRITTEN, WHOLE_IN_TARGET, WHOLE_VERDICT],
    resources=resources(os.environ.get("DAY_HEALTH_DIR", "/nonexistent")),
)
