"""Alert on a failed run (a ``run_failure_sensor``, so the UI's run page shows the same): what it ran (its
job, or for the implicit asset job the backfill's title and failed assets), which day (``dagster/partition``)
and why (the failed steps' errors, else the run's message), with a link.
"""

from __future__ import annotations

from dagster import RunFailureSensorContext, SensorDefinition, SkipReason, run_failure_sensor

from connector_assets.alerts.channels import NO_CHANNEL, Alert, alert_sensor_status, any_channel, deliver
from connector_assets.flows.reason_text import clipped
from connector_assets.runtime.dagster_compat import SerializableErrorInfo

PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
BACKFILL_TAG = "dagster/backfill"
# Dagster's implicit jobs (``__ASSET_JOB``, ``__ephemeral_asset_job__``) name no flow: the assets do.
IMPLICIT_JOB_PREFIX = "__"
ASSETS_NAMED = 3
# An alert is a notice, not the log: past this the reason is cut at a word and the run's page has it all.
REASON_CHARS = 1500
WHOLE_ON_THE_RUN = " (the whole error is on the run's page)"
# Errors Dagster wraps a step's own error in: they say how it failed, not why.
DAGSTER_WRAPPERS = frozenset({"RetryRequestedFromPolicy", "DagsterExecutionStepExecutionError"})


def run_day(tags: dict[str, str]) -> str:
    """The day (partition) a run was for: one partition, a range, or "-" for an unpartitioned run."""
    if tags.get(PARTITION_TAG):
        return tags[PARTITION_TAG]
    start, end = (tags.get(tag) for tag in RANGE_TAGS)
    return f"{start} .. {end}" if start and end else "-"


def error_text(error: SerializableErrorInfo | None) -> str:
    """An error and its causes, outermost first, without Dagster's wrappers (the retry policy giving up,
    "error occurred while executing op"): the step's own words, e.g. "JdeError: could not get an access
    token (HTTP 503) after 8 attempt(s)"."""
    parts = []
    while error is not None:
        if error.cls_name not in DAGSTER_WRAPPERS:
            parts.append(error.message.strip())
        error = error.cause
    return "; caused by ".join(parts)


def failure_reason(context: RunFailureSensorContext) -> str:
    """The failed steps' own words (a ``Failure``'s description, else their errors), else the run's failure
    message: what the operator must fix."""
    reasons = []
    for event in context.get_step_failure_events():
        data = event.event_specific_data
        # A step failing with a ``dagster.Failure`` said it in words: its description, without the class.
        said = getattr(getattr(data, "user_failure_data", None), "description", None)
        text = said or error_text(getattr(data, "error", None)) or (event.message or "").strip()
        reasons.append(f"{event.step_key}: {text}")
    text = "; ".join(reasons) or (context.failure_event.message or "the run failed").strip()
    return clipped(text, REASON_CHARS, WHOLE_ON_THE_RUN)


def failed_assets(context: RunFailureSensorContext) -> list[str]:
    """The assets whose steps failed, as the UI names them (``jde_coupa/suppliers_written``)."""
    selected = context.dagster_run.asset_selection or frozenset()
    names = {key.to_python_identifier(): key.to_user_string() for key in selected}
    steps = {event.step_key for event in context.get_step_failure_events() if event.step_key}
    return sorted(names.get(step, step.replace("__", "/")) for step in steps)


def run_subject(context: RunFailureSensorContext) -> str:
    """What the run ran: its job; for an implicit asset job, the backfill's title (when it has one) and
    the failed assets (else the assets it selected)."""
    run = context.dagster_run
    if not run.job_name.startswith(IMPLICIT_JOB_PREFIX):
        return run.job_name
    assets = failed_assets(context) or sorted(key.to_user_string() for key in run.asset_selection or ())
    named = ", ".join(assets[:ASSETS_NAMED])
    if len(assets) > ASSETS_NAMED:
        named += f" and {len(assets) - ASSETS_NAMED} more"
    backfill_id = run.tags.get(BACKFILL_TAG)
    backfill = context.instance.get_backfill(backfill_id) if backfill_id else None
    title = (backfill.title or "").strip() if backfill is not None else ""
    if title:
        return f"backfill {title!r}" + (f" ({named})" if named else "")
    return named or "a run of the asset graph"


def run_failed_alert(context: RunFailureSensorContext) -> Alert:
    run = context.dagster_run
    subject = run_subject(context)
    return Alert(
        kind="run_failed",
        title=f"Run failed: {subject} for {run_day(dict(run.tags))}",
        facts=(
            ("What", subject),
            ("Day", run_day(dict(run.tags))),
            ("Reason", failure_reason(context)),
            ("Run", run.run_id),
        ),
        ui_path=f"/runs/{run.run_id}",
    )


def run_failure_alert_sensor() -> SensorDefinition:
    """Every failed run of this code location, alerted once (the sensor's cursor is Dagster's)."""

    @run_failure_sensor(
        name="alert_on_run_failure",
        default_status=alert_sensor_status(),
        minimum_interval_seconds=30,
        description="Sends an alert (Slack / Teams / e-mail, docs/alerts.md) for every failed run: the job, "
        "the day and the failed steps' errors.",
    )
    def alert_on_run_failure(context: RunFailureSensorContext) -> SkipReason | None:
        if not any_channel():
            return SkipReason(NO_CHANNEL)
        deliver(run_failed_alert(context), context.log)
        return None

    return alert_on_run_failure
