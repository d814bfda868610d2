"""A toy flow for the alert tests: ``toy_flow_written``, a daily asset carrying the project's own
``no_failed_records`` check (``written_check.check_spec`` / ``check_result``) and, through
``with_written_freshness``, the freshness policy every ``<flow>_written`` asset gets.

Run config says what a day does: fail with a reason, or write with failed / long-held records. The file is
also a code location (``defs``) for the freshness daemon test, which loads it as Dagster would.
"""

from datetime import UTC, datetime, timedelta

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
from connector_assets.alerts.check_failures import failed_records_alert_sensor
from connector_assets.flows.range_days import DayWrite, day_evaluation, failed_day_check, range_check
from connector_assets.flows.written_check import PartitionQueue, check_result, check_spec, queue_of
from connector_assets.runtime.step_retry import fail_fast
from connector_resources.ledger import QueueItem
from connector_resources.refusals import (
    Refusal,
    master_missing,
    period_closed,
    target_refused,
    waits_for_record,
)

ASSET = "toy_flow_written"
RANGE_ASSET = "toy_range_written"
DAYS = DailyPartitionsDefinition(start_date="2026-11-01")


class DayScript(Config):
    """What the day does: ``fail_with`` raises it (a ``ConnectionError``, as a source read that gave up
    does); ``stopped_with``: the day was not written, its check red with that error and nothing queued (a
    range's day after the one whose target went down); else writes with ``failed`` / ``held_overdue``
    records."""

    fail_with: str = ""
    stopped_with: str = ""
    failed: int = 0
    held_overdue: int = 0
    closed_period: int = 0  # money held on a closed accounting period
    held_person: int = 0  # held on a master record the target lacks: until a person acts
    reason: str = "supplier 4411: account 4000 not found in F0901"


def day_queue(
    failed: int,
    held_overdue: int = 0,
    reason: str = DayScript().reason,
    closed_period: int = 0,
    held_person: int = 0,
) -> PartitionQueue:
    """The day's retry queue as the write step counts it (``queue_of``): ``failed`` failed records,
    ``held_overdue`` records held for two days, ``closed_period`` held on a closed period and
    ``held_person`` on a master record the target lacks, each with ``reason``."""
    now = datetime.now(UTC)

    def item(
        n: int, status: str, age: timedelta, refusal: Refusal, depends_on: str | None = None
    ) -> QueueItem:
        return QueueItem(
            id=n,
            integration="toy",
            flow="toy",
            entity="supplier",
            source_key=str(n),
            payload={},
            reason=reason,
            status=status,
            attempts=1,
            next_attempt_at=None,
            depends_on=depends_on,
            last_run_id=None,
            created_at=now - age,
            updated_at=now,
            resolved_at=None,
            kind=refusal.group,
            params=dict(refusal.params),
            attention=refusal.attention,
        )

    # Each with its refusal as data, as the kit queues it: the check counts by kind.
    refused = target_refused(reason, system="Toy", code="400")
    vendor = "toy:vendor:BILL:4411"
    period = "JDE:period:ledger:00001.AP/2026-10-29@toy"
    closed = period_closed(reason, system="JDE", ledger="00001.AP", day="2026-10-29")
    items = [item(n, "failed", timedelta(0), refused) for n in range(failed)]
    items += [
        item(1000 + n, "held", timedelta(days=2), waits_for_record(reason, vendor), vendor)
        for n in range(held_overdue)
    ]
    items += [item(2000 + n, "held", timedelta(hours=1), closed, period) for n in range(closed_period)]
    lacking = master_missing(reason, system="Toy", what="vendor", value="4411")
    items += [item(3000 + n, "held", timedelta(hours=1), lacking) for n in range(held_person)]
    return queue_of(items, now=now, alert_after=timedelta(hours=24))


# With a retry policy, as the project's steps have (``step_retry``): Dagster then wraps the step's error.
@asset(
    name=ASSET,
    partitions_def=DAYS,
    check_specs=[check_spec(ASSET, "Toy", DAYS)],
    retry_policy=RetryPolicy(max_retries=0),
)
@fail_fast(ASSET)  # as every flow step: an error it understands fails the step as a Failure in words
def toy_flow_written(context: AssetExecutionContext, config: DayScript):
    if config.fail_with:
        raise ConnectionError(config.fail_with)
    queue = day_queue(
        config.failed, config.held_overdue, config.reason, config.closed_period, config.held_person
    )
    result = check_result(ASSET, queue)
    yield failed_day_check(result, config.stopped_with) if config.stopped_with else result
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
        queue = day_queue(config.failed if day in config.red_days else 0)
        days.append(DayWrite(day, {"records": 10, "fail": queue.failed}))
        queues.append(queue)
        context.log_event(day_evaluation(check_result(RANGE_ASSET, queue), context.asset_key, day))
        context.log_event(AssetMaterialization(asset_key=context.asset_key, partition=day))
    yield range_check(context.asset_key, "no_failed_records", days, queues)


def run_config(asset_name: str = ASSET, **script: object) -> dict:
    return {"ops": {asset_name: {"config": dict(script)}}}


defs = with_written_freshness(Definitions(assets=[toy_flow_written, toy_range_written]))
# The toy flow with the failed-records alert sensor: the code location a daemon evaluates (restart test).
defs_with_sensor = Definitions.merge(defs, Definitions(sensors=[failed_records_alert_sensor()]))
