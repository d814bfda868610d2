"""Replaying the retry queue from Dagster: a job with a choice of records, and a schedule for due ones
(``due_only``), through the same handlers as ``ml-connector replay`` (the op's ``replays`` resource). What
an operator does: docs/operations.md, "Why did a record fail? Replay it".
"""

from collections.abc import Iterable

from dagster import (
    AssetCheckEvaluation,
    Config,
    DagsterInstance,
    OpExecutionContext,
    ResourceParam,
    RunRequest,
    ScheduleEvaluationContext,
    job,
    op,
    schedule,
)

from connector_assets.flows.assets import runs_ended_in
from connector_assets.flows.day_checks import replayed_day_evaluations
from connector_assets.runtime.automation import schedule_status
from connector_resources import settings
from connector_resources.ledger import LedgerResource
from connector_resources.replay import BY_CLI, ReplaySet, release_synced, replay_items
from connector_resources.replay_report import queue_report


class ReplayChoice(Config):
    integration: str = ""
    flow: str = ""
    source_key: str = ""
    reason_contains: str = ""
    due_only: bool = False
    limit: int = 10_000


@op(description="Re-attempt the chosen retry-queue records with today's mappings and credentials.")
def replay_queued_records(
    context: OpExecutionContext,
    config: ReplayChoice,
    ledger: LedgerResource,
    replays: ResourceParam[ReplaySet],
) -> None:
    book = ledger.get()
    filters = {"integration": config.integration or None, "flow": config.flow or None}
    released = release_synced(book, replays, run_id=context.run.run_id, **filters)
    if released:
        context.log.info(f"released {len(released)} held record(s) whose dependency had already synced")
    if config.due_only:
        items = book.due(limit=config.limit, **filters)
    else:
        items = book.open_items(status="failed", limit=config.limit, **filters)
    items = [
        item
        for item in items
        if (not config.source_key or item.source_key == config.source_key)
        and (not config.reason_contains or config.reason_contains.lower() in item.reason.lower())
    ]
    summary = replay_items(
        book, items, replays, run_id=context.run.run_id, ended=runs_ended_in(context.instance)
    )
    context.log.info(f"{len(items)} chosen: {summary.line()}")
    for evaluation in replayed_day_evaluations(
        context.instance, book, summary.days, f"replay run {context.run.run_id}"
    ):
        context.log_event(evaluation)  # the day's check, evaluated again: green once nothing failed is left
    # Each record that failed again, at INFO: the run's page lists them all, and make dev's console (which
    # shows warnings) is not filled every 15 minutes with records already queued and alerted on
    # (``alert_on_failed_records``); the counts above say how many.
    for line in summary.failure_lines():
        context.log.info(line)
    after = book.queue_overview(**filters)
    context.log.info("\n".join(queue_report(after, outside=replays.outside)))
    context.add_output_metadata(
        {
            "chosen": len(items),
            "released_already_synced": len(released),
            "replayed": len(summary.replayed),
            "released_by_replay": summary.released,
            "failed_again": len(summary.failed),
            "held": len(summary.held),
            "no_handler": len(summary.no_handler),
            "already_written": len(summary.already),
            "left_to_another": len(summary.elsewhere),
            "queue_due": after.due,
            "queue_not_yet_due": after.not_yet_due,
            "queue_held": after.held,
        }
    )


@job(description="Replay retry-queue records (choose by integration, flow, source key or reason).")
def replay_retry_queue():
    replay_queued_records()


class ReplayedDays(Config):
    # [integration, flow, partition] (``ReplaySummary.days``; "": unpartitioned), and optionally what
    # changed that day in words (the changed-days sensor's, counted per day), said in place of ``replay``
    days: list[list[str]]
    replay: str  # which replay changed them, as the check's metadata names it


@op(
    description="Evaluate again the no_failed_records check of the days a CLI replay or a fix made outside "
    "a run (at the desk) changed."
)
def check_replayed_days(context: OpExecutionContext, config: ReplayedDays, ledger: LedgerResource) -> None:
    days = [(row[0], row[1], row[2] or None) for row in config.days]
    told = {day: row[3] for day, row in zip(days, config.days, strict=True) if len(row) > 3}
    for evaluation in replayed_day_evaluations(context.instance, ledger.get(), days, config.replay, told):
        context.log_event(evaluation)


@job(
    description="The checks of the days a fix outside the flows' runs changed, evaluated again: run by "
    "`ml-connector replay`, and by the evaluate_changed_days sensor for fixes at the desk."
)
def replayed_days_checked():
    check_replayed_days()


def check_days_after_cli_replay(
    instance: DagsterInstance, db_url: str, days: Iterable[tuple[str, str, str | None]]
) -> list[AssetCheckEvaluation]:
    """What the replay job does after replaying, for ``ml-connector replay``: each changed day's check
    evaluated again, in a run of its own on ``instance`` (Dagster keeps one run-less evaluation per day,
    so a second replay of a day could not record its own). The evaluations, for the CLI to print."""
    config = {"days": [[integration, flow, day or ""] for integration, flow, day in days], "replay": BY_CLI}
    result = replayed_days_checked.execute_in_process(
        instance=instance,
        resources={"ledger": LedgerResource(db_url=db_url)},
        run_config={
            "ops": {"check_replayed_days": {"config": config}},
            # The run's events are in the instance (the UI shows the run); the CLI prints its own lines.
            "loggers": {"console": {"config": {"log_level": "WARNING"}}},
        },
        tags={"ml/replay": "cli"},
    )
    return list(result.get_asset_check_evaluations())


@schedule(
    job=replay_retry_queue,
    cron_schedule=settings.value("ML_RETRY_CRON"),
    description="Every 15 minutes, replay the queued records whose next attempt time has come.",
    default_status=schedule_status(),
)
def replay_due_records(context: ScheduleEvaluationContext):
    return RunRequest(
        run_key=f"replay-{context.scheduled_execution_time:%Y-%m-%dT%H:%M}",
        run_config={"ops": {"replay_queued_records": {"config": {"due_only": True}}}},
    )
