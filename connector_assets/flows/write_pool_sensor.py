"""``write_pool_limits``: the deployment keeps its own write-pool limits, with nothing typed per system.

Why a sensor: named pool limits live in the Dagster instance's database, not ``dagster.yaml``, so a new
instance (or one whose integrations changed) would otherwise run two writes to one API at once until
someone ran ``dagster instance concurrency set`` for each pool. The sensor reads the pools of the
definitions its code location loaded and sets those whose limit differs; it launches no run, so it is on
wherever the daemon runs, against real systems too. A limit changed by hand is set back at its next tick.
"""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from connector_assets.flows.write_pools import correct_pool_limits

WRITE_POOL_LIMITS_SENSOR = "write_pool_limits"


@sensor(
    name=WRITE_POOL_LIMITS_SENSOR,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Sets each write pool (and BILL's and Procore's API pools) of the loaded definitions to the "
    "project's limit when the instance's differs; launches no run.",
)
def write_pool_limits(context: SensorEvaluationContext) -> SkipReason:
    """Set the loaded definitions' pools that differ from the project's limits; say what it did."""
    changed = correct_pool_limits(context.instance, context.repository_def.assets_defs_by_key.values())
    if not changed:
        return SkipReason("every pool of the loaded definitions has the project's limit")
    said = ", ".join(
        f"{pool} {'unset' if was is None else was} -> {now}" for pool, (was, now) in changed.items()
    )
    context.log.info(f"pool limits set: {said}")
    return SkipReason(f"pool limits set: {said}")
