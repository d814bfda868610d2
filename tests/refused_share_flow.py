"""A kit flow whose day is mostly refused until its mapping is fixed, with a step after its write, as a job
a test can run and re-execute from failure (``job``: Dagster rebuilds a re-executed run's job by import).

The day ``DAY`` maps 13 things: the 6 ``GOOD`` ones always, the 7 ``REFUSED`` ones only once ``FIXED`` says
the mapping table is fixed (until then: "code C1 has no account in the mapping table"). ``things_marked``
follows the write as a source's export marks do (Coupa's, Procurify's paid marks): it marks each thing the
target holds, once (``MARKED``). Real Dagster, a real ledger on SQLite under ``$REFUSED_SHARE_DIR``, the
in-memory target of ``day_health_flow`` counting every create.
"""

import os
from collections.abc import Iterator
from typing import Any

from dagster import (
    AssetExecutionContext,
    DailyPartitionsDefinition,
    Definitions,
    JobDefinition,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
)
from day_health_flow import Target, resources, thing_flow

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import Mapped, Rejected
from connector_resources.refusals import mapping_missing

DIR_ENV = "REFUSED_SHARE_DIR"  # the folder of the job's ledger and staging (``resources``)
DAY = "2026-11-25"
PARTITIONS = DailyPartitionsDefinition(start_date="2026-11-24", end_date="2026-11-27")
GOOD, REFUSED = [f"G{i}" for i in range(6)], [f"R{i}" for i in range(7)]
FIXED = {"fixed": False}
TARGET = Target()
MARKED: list[str] = []  # the target ids ``things_marked`` marked, in order
JOB = "refused_share_things"


def _record(key: str) -> Mapped | Rejected:
    if key in REFUSED and not FIXED["fixed"]:
        why = f"thing {key}: code C1 has no account in the mapping table"
        return Rejected.of(key, mapping_missing(why, table="refused_share/codes", what="code", value="C1"))
    name = f"thing {key}"
    return Mapped(key, {"name": name}, {"name": name}, {"name": name})


def _map(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    return (_record(key) for key in GOOD + REFUSED)


def _remap(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    return (_record(key) for key in keys)


SPEC, MAPPED, WRITTEN, IN_TARGET, VERDICT = thing_flow(
    "refused_share", _map, TARGET, remap=_remap, partitions_def=PARTITIONS
)


@asset(
    key=SPEC.key("marked"),
    deps=[SPEC.key("written")],
    partitions_def=PARTITIONS,
    group_name="refused_share",
    backfill_policy=flow_backfill_policy(PARTITIONS),
)
def things_marked(context: AssetExecutionContext) -> MaterializeResult:
    """Each thing the target holds marked once in the source, after the write (an export mark)."""
    new = [target_id for target_id in TARGET.rows if target_id not in MARKED]
    MARKED.extend(new)
    return MaterializeResult(metadata={"marked": len(new)})


def job() -> JobDefinition:
    """The flow's job (mapped, written, marked, verdict) on the ledger and staging under
    ``$REFUSED_SHARE_DIR``, in the run's process."""
    return Definitions(
        assets=[MAPPED, WRITTEN, things_marked, VERDICT],
        jobs=[define_asset_job(JOB)],
        resources=resources(os.environ[DIR_ENV]),
        executor=in_process_executor,
    ).resolve_job_def(JOB)
