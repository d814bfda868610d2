"""Read Dagster's event log forward from a sensor cursor: the alert sensors' way to see each check result
and freshness change once, whichever run, daemon or sensor recorded it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dagster import (
    DagsterEventType,
    DagsterInstance,
    EventLogRecord,
    EventRecordsFilter,
    SensorEvaluationContext,
    SensorResult,
)

from connector_assets.alerts.alert import Alert
from connector_assets.alerts.channels import AlertNotDelivered, deliver
from connector_assets.alerts.sent_alerts import SentMark

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
    """Alert on each record that calls for one, oldest first, and move the cursor past what was sent.

    When a record's alert reaches no channel the cursor stops before it, so the next tick tries it again:
    the tick fails (the UI shows why) when nothing went out yet, otherwise it keeps what it sent. What went
    out is also marked in the instance at once (``SentMark``): a tick cut short before its cursor was saved
    (a restart) does not send it again."""
    cursor, sent_any = str(context.cursor), False
    mark = SentMark(context.instance, sensor)
    sent_up_to = mark.value()
    for record in records:
        alert = alert_for(record) if record.storage_id > sent_up_to else None
        if alert is not None:
            try:
                deliver(alert, context.log)
            except AlertNotDelivered:
                if not sent_any:
                    raise
                context.log.error(f"stopped before event {record.storage_id}; the next tick resends it")
                break
            mark.sent(record.storage_id)
            sent_any = True
        cursor = str(record.storage_id)
    return SensorResult(cursor=cursor)
