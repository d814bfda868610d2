"""Schedules that poll a source's current day: every tick requests today's partition; the ticks of the first
hour after midnight also request yesterday once (a fixed run key), re-reading it whole to pick up records
committed late.
"""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import RunRequest, ScheduleDefinition, ScheduleEvaluationContext, schedule

from connector_assets.runtime.automation import schedule_status


def connector_schedule(name: str, job: Any, *, cron: str, timezone: str, description: str) -> Any:
    """Dagster's ``@schedule`` as every connector schedule is declared: running or stopped at start
    by the one setting (``automation.schedule_status``), its cron read in ``timezone``."""
    return schedule(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone=timezone,
        description=description,
        default_status=schedule_status(),
    )


def build_poll_schedule(
    name: str, job: object, *, cron: str, timezone: str, description: str
) -> ScheduleDefinition:
    """``job``: the asset job (``define_asset_job``) whose partitioned assets the schedule polls."""
    zone = ZoneInfo(timezone)

    @connector_schedule(name, job, cron=cron, timezone=timezone, description=description)
    def _poll(context: ScheduleEvaluationContext):
        now = context.scheduled_execution_time.astimezone(zone)
        today = now.date()
        requests = [RunRequest(partition_key=today.isoformat(), run_key=f"poll-{now:%Y-%m-%dT%H:%M}")]
        if now.hour == 0:
            yesterday = today - timedelta(days=1)
            requests.append(RunRequest(partition_key=yesterday.isoformat(), run_key=f"close-{yesterday}"))
        return requests

    return _poll
