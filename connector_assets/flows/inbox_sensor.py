"""The sensor that turns Coupa call-outs waiting in the ledger's webhook inbox into Dagster runs.

The webhook receiver only stores a delivery and answers; this sensor notices the new rows and requests
a run of the Coupa -> JDE flows (``coupa_jde_flows``) for each UTC day the delivered records changed on,
because the flows are partitioned by that day and each run reads the inbox events of its own day.

The cursor is the last inbox row id seen, so every row is looked at once; a row is only *marked* by the
flow run that applied it (``<flow>_inbox_done``). The run key names the day and the last row id, so a
re-evaluated tick never launches the same run twice while a new delivery for an already-run day does
get a fresh run. A body that is not a Coupa record (no id / updated-at) can never be applied: it is
marked failed here, with the reason, rather than left pending forever.
"""

from dagster import (
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from connector_assets.automation import sensor_status
from connector_assets.flows.coupa_jde import INVOICE_SOURCE, PAYMENT_SOURCE, coupa_jde_job, inbox_day
from connector_assets.saas_assets import saas_partitions
from connector_resources.ledger import LedgerResource
from connector_resources.redaction import get_logger

log = get_logger(__name__)

COUPA_INBOX_SOURCES = frozenset({INVOICE_SOURCE, PAYMENT_SOURCE})
ROWS_PER_TICK = 500  # bounded work per evaluation; the next tick continues from the cursor


def pending_days(ledger, after_id: int, limit: int = ROWS_PER_TICK) -> tuple[list[str], int | None, int]:
    """The partition days of Coupa inbox rows after ``after_id``: (days, last row id seen, unreadable).

    ``last row id seen`` covers every source's rows (other sources have their own sensors), None when
    there were no rows at all.
    """
    events = ledger.inbox_pending(after_id=after_id, limit=limit)
    days: set[str] = set()
    unreadable = 0
    for event in events:
        if event.source not in COUPA_INBOX_SOURCES:
            continue
        day = inbox_day(event)
        if day is None:
            ledger.inbox_mark(event.id, status="failed", error="not a Coupa record with an id and updated-at")
            unreadable += 1
        elif not saas_partitions.has_partition_key(day):
            # A record changed before the partitions start (or in the future): no run can apply it.
            log.warning(
                "inbox row %s (%s) changed on %s, outside the partitions", event.id, event.source, day
            )
        else:
            days.add(day)
    return sorted(days), (events[-1].id if events else None), unreadable


@sensor(
    name="coupa_jde_inbox_sensor",
    job=coupa_jde_job,
    minimum_interval_seconds=30,
    default_status=sensor_status(),
    description="Coupa invoice/payment call-outs stored in the webhook inbox -> runs of coupa_jde_flows for "
    "the days the records changed on.",
)
def coupa_jde_inbox_sensor(context: SensorEvaluationContext, ledger: LedgerResource):
    after = int(context.cursor or 0)
    days, last, unreadable = pending_days(ledger.get(), after)
    if last is None:
        return SkipReason(f"no inbox rows after id {after}")
    if unreadable:
        context.log.warning(f"{unreadable} inbox row(s) were not Coupa records; marked failed")
    return SensorResult(
        run_requests=[RunRequest(partition_key=day, run_key=f"coupa-inbox-{day}-{last}") for day in days],
        cursor=str(last),
    )


coupa_jde_sensors = [coupa_jde_inbox_sensor]
