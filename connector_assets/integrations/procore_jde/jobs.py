"""Procore -> JDE jobs and schedules: one job per flow, and a daily schedule that closes each whole day.

Each flow's job runs the flow's own assets and the partitioned sources its mapped step reads (the staged
Procore entities of the day, or JDE's supplier tables for the JDE -> Procore ``suppliers`` flow) and the
mapping tables it maps with; never another flow's assets (the purchase-order step waits for the vendors'
write only in the asset graph: a vendor the order needs that is not in JDE yet holds the order, and the
hold is released when the vendors flow writes it). ``jde/gl_accounts`` (F0901, read whole) keeps its own
refresh schedule (``ML_JDE_GL_REFRESH_CRON``), as for JDE -> BILL.

Why day-closing schedules (``flows.jobs.FlowJobs``, through ``jde.flow_jobs``) and not poll
schedules: the Procore -> JDE cadences are daily at 02:00 (``ML_PROCORE_JDE_*_CRON``), and a poll schedule
would read each day only up to 02:00 and never again (a requisition approved at 15:00 would never move). A
day-closing schedule's first tick after a partition day has ended reads that day whole and syncs it: with the
daily default, one run per flow per day, for yesterday. With a cron that fires more often, the later ticks of
a day poll today's partition (read from the cursor), so an operator who wants same-day sync without webhooks
sets e.g. ``0 * * * *``.

Days: the Procore flows are partitioned by UTC day (``updated_at`` in UTC, as the staged entities are);
the JDE -> Procore ``suppliers`` flow by JDE day (``ML_JDE_TIMEZONE``). A schedule's cron fires in the
JDE time zone (like JDE -> BILL); "yesterday" is taken in the flow's partition time zone at the tick.
So with JDE in America/Chicago, the 02:00 tick (08:00 UTC) syncs the UTC day that ended 8 hours before.
"""

from __future__ import annotations

from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import BuiltJobs
from connector_assets.integrations.procore_jde.hooks import ENTITY_FLOWS, SENSOR_DESCRIPTION
from connector_assets.integrations.procore_jde.suppliers import SUPPLIERS_FLOW
from connector_assets.integrations.procore_jde.vouchers import VOUCHERS_FLOW, vouchers_enabled
from connector_assets.jde.flow_jobs import jde_day_closing_jobs
from connector_assets.procore.inbox_sensor import build_procore_inbox_sensor
from connector_assets.saas.assets import saas_partitions


def _describe_job(spec: FlowSpec) -> str:
    return f"{spec.integration} {spec.name} of a day: {spec.source_system} -> {spec.target_system}."


def _describe_schedule(spec: FlowSpec, _cron_setting: str) -> str:
    return (
        f"Sync the previous day's {spec.name} ({spec.source_system} -> {spec.target_system}) once it has "
        "ended; later ticks of a day poll today."
    )


JOBS = jde_day_closing_jobs(_describe_schedule, _describe_job)


def inbox_sensor(flow_jobs: BuiltJobs) -> Any:
    """Procore's webhooks start the Procore-sourced flows early (the suppliers flow reads JDE, which sends
    none); the vouchers flow only while ``ML_PROCORE_JDE_VOUCHERS`` is on, asked at each tick."""
    return build_procore_inbox_sensor(
        "procore_jde_inbox_sensor",
        {spec.name: job for spec, job in flow_jobs.jobs.items() if spec is not SUPPLIERS_FLOW},
        saas_partitions,
        entity_flows=ENTITY_FLOWS,
        description=SENSOR_DESCRIPTION,
        enabled={VOUCHERS_FLOW.name: vouchers_enabled},
    )
