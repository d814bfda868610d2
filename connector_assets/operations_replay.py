"""Replaying the retry queue from Dagster: a job with a choice of records, and a schedule for due ones.

The same handlers as ``ml-connector replay`` (registered by each flow), so a record is written through
its flow's cross-reference check and never twice. The job's config chooses records by integration, flow,
source key or a phrase of the reason; with ``due_only`` (what the schedule sets) only records whose next
attempt time has come are taken. Held records whose dependency has already synced are released first
(``release_synced``), and the run reports the queue it leaves: due, not yet due, held by what they wait for.
"""

from dagster import Config, OpExecutionContext, RunRequest, ScheduleEvaluationContext, job, op, schedule

from connector_assets.automation import schedule_status
from connector_assets.flows.assets import runs_ended_in
from connector_resources import settings
from connector_resources.ledger import LedgerResource
from connector_resources.replay import queue_report, release_synced, replay_items


class ReplayChoice(Config):
    integration: str = ""
    flow: str = ""
    source_key: str = ""
    reason_contains: str = ""
    due_only: bool = False
    limit: int = 10_000


@op(description="Re-attempt the chosen retry-queue records with today's mappings and credentials.")
def replay_queued_records(context: OpExecutionContext, config: ReplayChoice, ledger: LedgerResource) -> None:
    book = ledger.get()
    filters = {"integration": config.integration or None, "flow": config.flow or None}
    released = release_synced(book, run_id=context.run.run_id, **filters)
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
    summary = replay_items(book, items, run_id=context.run.run_id, ended=runs_ended_in(context.instance))
    context.log.info(f"{len(items)} chosen: {summary.line()}")
    # Each record that failed again, at INFO: the run's page lists them all, and make dev's console (which
    # shows warnings) is not filled every 15 minutes with records already queued and alerted on
    # (``alert_on_failed_records``); the counts above say how many.
    for line in summary.failure_lines():
        context.log.info(line)
    after = book.queue_overview(**filters)
    context.log.info("\n".join(queue_report(after)))
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
