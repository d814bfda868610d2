"""Alert on a day whose write step left failed records (or records held too long): the ``no_failed_records``
check of a ``<flow>_written`` asset evaluated red.

The check (``connector_assets.flows.written_check``) says it with Dagster's own severities: ERROR when
records of the day failed to reach the target, WARN when only holds are older than ``ML_HELD_ALERT_HOURS``.
This sensor reads those evaluations from the event log, so the alert and the asset's Checks tab show the
same day, counts and reasons.
"""

from __future__ import annotations

from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    DagsterEventType,
    EventLogRecord,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from connector_assets.alerts.alert import Alert
from connector_assets.alerts.channels import NO_CHANNEL, any_channel
from connector_assets.alerts.event_log import newest_storage_id, records_after, send_in_order
from connector_assets.alerts.run_failures import PARTITION_TAG
from connector_assets.alerts.status import alert_sensor_status
from connector_assets.flows.written_check import CHECK as WRITTEN_CHECK

EVENT = DagsterEventType.ASSET_CHECK_EVALUATION


def _metadata_value(evaluation: AssetCheckEvaluation, key: str) -> str:
    value = evaluation.metadata.get(key)
    return "-" if value is None else str(getattr(value, "value", value))


def failed_records_alert(evaluation: AssetCheckEvaluation, day: str, run_id: str) -> Alert:
    """ERROR: records of the day failed; WARN: records of the day held longer than the alert hours."""
    asset = evaluation.asset_key.to_user_string()
    failed = evaluation.severity == AssetCheckSeverity.ERROR
    what = "failed records" if failed else "records held too long"
    return Alert(
        kind="failed_records" if failed else "held_records",
        title=f"{asset}: {what} on {day}",
        facts=(
            ("Asset", asset),
            ("Day", day),
            ("Failed", _metadata_value(evaluation, "failed")),
            ("Held", _metadata_value(evaluation, "held")),
            ("Held overdue", _metadata_value(evaluation, "held_overdue")),
            ("Reasons", _metadata_value(evaluation, "reasons")),
            ("Run", run_id),
        ),
        ui_path=f"/assets/{asset}?view=checks",
    )


def _failed_written_check(record: EventLogRecord) -> AssetCheckEvaluation | None:
    event = record.event_log_entry.dagster_event
    evaluation = event.event_specific_data if event is not None else None
    if not isinstance(evaluation, AssetCheckEvaluation):
        return None
    return None if evaluation.passed or evaluation.check_name != WRITTEN_CHECK else evaluation


def failed_records_alert_sensor():
    @sensor(
        name="alert_on_failed_records",
        default_status=alert_sensor_status(),
        minimum_interval_seconds=60,
        description="Sends an alert when a `_written` asset's no_failed_records check fails for a day: "
        "ERROR, records failed to reach the target; WARN, records held longer than ML_HELD_ALERT_HOURS.",
    )
    def alert_on_failed_records(context: SensorEvaluationContext):
        if not any_channel():
            return SkipReason(NO_CHANNEL)
        if context.cursor is None:
            return SensorResult(cursor=newest_storage_id(context.instance, EVENT))
        return send_in_order(
            context,
            records_after(context.instance, EVENT, context.cursor),
            lambda record: _alert_for(context, record),
        )

    return alert_on_failed_records


def _alert_for(context: SensorEvaluationContext, record: EventLogRecord) -> Alert | None:
    evaluation = _failed_written_check(record)
    if evaluation is None:
        return None
    run_id = record.event_log_entry.run_id
    return failed_records_alert(evaluation, evaluation.partition or _run_partition(context, run_id), run_id)


def _run_partition(context: SensorEvaluationContext, run_id: str) -> str:
    run = context.instance.get_run_by_id(run_id) if run_id else None
    return (run.tags.get(PARTITION_TAG) if run is not None else None) or "-"
