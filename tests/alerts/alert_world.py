"""A toy flow for the alert tests: ``toy_flow_written``, a daily asset carrying the project's own
``no_failed_records`` check (``written_check.check_spec`` / ``check_result``) and, through
``with_written_freshness``, the freshness policy every ``<flow>_written`` asset gets.

Run config says what a day does: fail with a reason, or write with failed / long-held records. The file is
also a code location (``defs``) for the freshness daemon test, which loads it as Dagster would.
"""

from dagster import (
    AssetExecutionContext,
    AssetMaterialization,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    Definitions,
    MaterializeResult,
    RetryPolicy,
    asset,
)

from connector_assets.alerts import with_written_freshness
from connector_assets.flows.range_days import DayWrite, day_evaluation, range_check
from connector_assets.flows.written_check import PartitionQueue, check_result, check_spec

ASSET = "toy_flow_written"
RANGE_ASSET = "toy_range_written"
DAYS = DailyPartitionsDefinition(start_date="2026-11-01")


class DayScript(Config):
    """What the day does: ``fail_with`` raises it (a ``ConnectionError``, as a source read that gave up
    does); else writes with ``failed`` / ``held_overdue`` records."""

    fail_with: str = ""
    failed: int = 0
    held_overdue: int = 0
    reason: str = "supplier 4411: account 4000 not found in F0901"


# With a retry policy, as the project's steps have (``step_retry``): Dagster then wraps the step's error.
@asset(
    name=ASSET,
    partitions_def=DAYS,
    check_specs=[check_spec(ASSET, "Toy", DAYS)],
    retry_policy=RetryPolicy(max_retries=0),
)
def toy_flow_written(context: AssetExecutionContext, config: DayScript):
    if config.fail_with:
        raise ConnectionError(config.fail_with)
    day = PartitionQueue(failed=config.failed, held=config.held_overdue, held_overdue=config.held_overdue)
    if config.failed or config.held_overdue:
        day.reasons[config.reason] = config.failed + config.held_overdue
    yield check_result(ASSET, day)
    yield MaterializeResult(metadata={"records": 10, "fail": config.failed})


class RangeScript(Config):
    """A range run (a backfill): ``failed`` records on each day of ``red_days``."""

    red_days: list[str] = []
    failed: int = 2


@asset(
    name=RANGE_ASSET,
    partitions_def=DAYS,
    check_specs=[check_spec(RANGE_ASSET, "Toy", DAYS)],
    backfill_policy=BackfillPolicy.single_run(),
    output_required=False,
)
def toy_range_written(context: AssetExecutionContext, config: RangeScript):
    """Each day's evaluation and materialization logged, then the range's sum, as ``<flow>_written`` does."""
    days, queues = [], []
    for day in context.partition_keys:
        queue = PartitionQueue(failed=config.failed if day in config.red_days else 0)
        if queue.failed:
            queue.reasons["supplier 4411: account 4000 not found in F0901"] = queue.failed
        days.append(DayWrite(day, {"records": 10, "fail": queue.failed}))
        queues.append(queue)
        context.log_event(day_evaluation(check_result(RANGE_ASSET, queue), context.asset_key, day))
        context.log_event(AssetMaterialization(asset_key=context.asset_key, partition=day))
    yield range_check(context.asset_key, "no_failed_records", days, queues)


def run_config(asset_name: str = ASSET, **script: object) -> dict:
    return {"ops": {asset_name: {"config": dict(script)}}}


defs = with_written_freshness(Definitions(assets=[toy_flow_written, toy_range_written]))
