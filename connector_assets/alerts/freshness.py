"""Alert on a flow that has not written for longer than its freshness window: each ``<flow>_written`` asset
gets ``FreshnessPolicy.time_window(ML_FRESHNESS_HOURS)``, Dagster's daemon marks it FAIL (the UI shows it
stale), and the sensor alerts on each change to FAIL in the event log, so alert and UI agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from dagster import (
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    EventLogRecord,
    EventRecordsFilter,
    FreshnessPolicy,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
)

from connector_assets.alerts.channels import Alert, TickAlerts, alert_sensor
from connector_assets.alerts.sent_alerts import SentMark
from connector_assets.runtime.dagster_compat import FreshnessState, FreshnessStateChange
from connector_resources import settings

FRESHNESS_ENV = "ML_FRESHNESS_HOURS"
WRITTEN_SUFFIX = "_written"
EVENT = DagsterEventType.FRESHNESS_STATE_CHANGE
SENSOR = "alert_on_stale_flow"


# -- Dagster's event log read forward from a sensor cursor, so each freshness change is seen once, whichever
# run, daemon or sensor recorded it.

PAGE = 200


def newest_storage_id(instance: DagsterInstance, event_type: DagsterEventType) -> str:
    """Where a sensor's first tick starts: after the newest record of ``event_type`` ("0" when none), since
    alerts are for what happens from now on, not for an instance's history."""
    newest = instance.event_log_storage.get_event_records(
        EventRecordsFilter(event_type=event_type), limit=1, ascending=False
    )
    return str(newest[0].storage_id) if newest else "0"


def records_after(
    instance: DagsterInstance, event_type: DagsterEventType, cursor: str
) -> Sequence[EventLogRecord]:
    """Up to ``PAGE`` records of ``event_type`` stored after ``cursor`` (a storage id), oldest first."""
    return instance.event_log_storage.get_event_records(
        EventRecordsFilter(event_type=event_type, after_cursor=int(cursor)), limit=PAGE, ascending=True
    )


def send_in_order(
    context: SensorEvaluationContext,
    records: Sequence[EventLogRecord],
    alert_for: Callable[[EventLogRecord], Alert | None],
    sensor: str,
) -> SensorResult:
    """Alert on each record that calls for one, oldest first, and move the cursor past what was sent
    (``TickAlerts``: it stops before an alert that reached no channel). What went out is also marked in the
    instance at once (``SentMark``): a tick cut short before its cursor was saved (a restart) does not send
    it again."""
    cursor, alerts = str(context.cursor), TickAlerts(context.log)
    mark = SentMark(context.instance, sensor)
    sent_up_to = mark.value()
    for record in records:
        alert = alert_for(record) if record.storage_id > sent_up_to else None
        if alert is not None:
            if not alerts.send(alert, f"the alert of event {record.storage_id}"):
                break
            mark.sent(record.storage_id)
        cursor = str(record.storage_id)
    return SensorResult(cursor=cursor)


def freshness_window() -> timedelta:
    return timedelta(hours=float(settings.read(FRESHNESS_ENV)))


def with_written_freshness(defs: Definitions) -> Definitions:
    """``defs`` with the freshness policy on every ``<flow>_written`` asset (what a flow wrote last)."""
    policy = FreshnessPolicy.time_window(fail_window=freshness_window())

    def fresh(spec: AssetSpec) -> AssetSpec:
        if not spec.key.path[-1].endswith(WRITTEN_SUFFIX):
            return spec
        return spec.replace_attributes(freshness_policy=policy)

    return defs.map_resolved_asset_specs(func=fresh)


def not_fresh_alert(change: FreshnessStateChange) -> Alert:
    asset = change.key.to_user_string()
    hours = f"{freshness_window().total_seconds() / 3600:g}"
    return Alert(
        kind="not_fresh",
        title=f"{asset} has not written for more than {hours} hours",
        facts=(
            ("Asset", asset),
            ("Freshness window", f"{hours} hours ({FRESHNESS_ENV})"),
            ("State", f"{change.previous_state.value} -> {change.new_state.value}"),
        ),
        ui_path=f"/assets/{asset}",
    )


def _is_failure(change: object) -> bool:
    if FreshnessStateChange is not None and FreshnessState is not None:
        return isinstance(change, FreshnessStateChange) and change.new_state == FreshnessState.FAIL
    # This Dagster lacks the types (warned once): the record's event type already says it is a freshness
    # change, so its new state is read by name.
    return getattr(getattr(change, "new_state", None), "value", None) == "FAIL"


def _went_stale(record: EventLogRecord) -> Alert | None:
    event = record.event_log_entry.dagster_event
    change = event.event_specific_data if event is not None else None
    if _is_failure(change):
        return not_fresh_alert(change)
    return None


def _tick(context: SensorEvaluationContext) -> SensorResult:
    if context.cursor is None:
        return SensorResult(cursor=newest_storage_id(context.instance, EVENT))
    return send_in_order(context, records_after(context.instance, EVENT, context.cursor), _went_stale, SENSOR)


def freshness_alert_sensor() -> SensorDefinition:
    """``alert_on_stale_flow``: every minute, the freshness changes Dagster recorded since the last tick."""
    return alert_sensor(
        SENSOR,
        "Sends an alert when a `_written` asset fails its freshness policy: the flow has not written for "
        "longer than ML_FRESHNESS_HOURS.",
    )(_tick)
