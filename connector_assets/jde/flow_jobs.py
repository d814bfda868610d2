"""The jobs and poll schedules of flows out of JD Edwards: one job per flow, polled in JDE's time zone.

A JDE -> X flow reads the day's changed F-table rows on UPMJ (a JDE day), so its poll schedule runs in
the JDE time zone (``ML_JDE_TIMEZONE``), and both read the same way whatever X is: used by JDE -> Coupa
and JDE -> BILL (vendors, bills), each passing its flow table (``flows.jobs.FlowJob``) and X's name.
"""

from collections.abc import Mapping
from typing import Any

from dagster import ScheduleDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJob, build_flow_jobs, build_flow_schedules
from connector_assets.jde.extract import jde_timezone


def jde_flow_jobs(
    table: Mapping[FlowSpec, FlowJob], target: str
) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
    """Each flow's job (``<flow>``) and poll schedule (``<flow>_schedule``, today's JDE day at the flow's
    cadence, yesterday once after midnight), worded for flows into ``target``."""
    jobs = build_flow_jobs(table, lambda spec: f"JDE {spec.name} changed on a day -> {target}.")
    schedules = build_flow_schedules(
        table,
        jobs,
        suffix="schedule",
        timezone=jde_timezone().key,
        describe=lambda spec: f"Sync today's JDE {spec.name} changes to {target}.",
    )
    return jobs, schedules
