"""Ticking a schedule in a test, and what an earlier tick left behind: the day-closing schedules
(``build_day_close_schedule``) ask the Dagster instance whether a run of theirs already holds a day, so a
test says "yesterday was closed" by creating such a run (``mark_closed``) instead of launching one.
"""

from datetime import datetime
from typing import Any

from dagster import DagsterInstance, RunRequest, build_schedule_context, job, op


def tick(schedule: Any, at: datetime, instance: DagsterInstance) -> list[RunRequest]:
    """What ``schedule`` asks for at ``at`` (its own function, without a repository)."""
    with build_schedule_context(instance=instance, scheduled_execution_time=at) as context:
        result = schedule(context)
    return list(result)


@op
def _nothing() -> None:
    """Stands for the close run an earlier tick launched (only its tags are asked)."""


@job
def _earlier_run() -> None:
    _nothing()


def mark_closed(instance: DagsterInstance, schedule_name: str, partition: str) -> None:
    """A run of ``schedule_name`` for ``partition`` in the instance, as an earlier tick's close run."""
    instance.create_run_for_job(
        _earlier_run, tags={"dagster/schedule_name": schedule_name, "dagster/partition": partition}
    )
