"""How the flows of an integration touching JD Edwards run: ``flows.jobs.FlowJobs`` fired in the JDE time
zone (``ML_JDE_TIMEZONE``), F0901 left to its own refresh schedule. ``jde_poll_jobs``: flows out of JDE
polled hourly on UPMJ, a JDE day; ``jde_day_closing_jobs``: flows whose cadence may be daily.
"""

from collections.abc import Callable

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import DAY_CLOSE, POLL, FlowJobs, OneRun, describe_flow_job
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.schedules import REFRESHED_APART


def _jde_zone() -> str:
    return jde_timezone().key


def jde_poll_jobs(target: str, together: OneRun | None = None) -> FlowJobs:
    """Each flow's job (``<flow>``) and poll schedule (``<flow>_schedule``: today's JDE day at the flow's
    cadence, yesterday once after midnight), worded for flows into ``target``; ``together``: a job running
    them all in one run."""
    return FlowJobs(
        timezone=_jde_zone,
        kind=POLL,
        describe_job=lambda spec: f"JDE {spec.name} changed on a day -> {target}.",
        describe_schedule=lambda spec, _setting: f"Sync today's JDE {spec.name} changes to {target}.",
        scheduled_apart=REFRESHED_APART,
        together=together,
    )


def jde_day_closing_jobs(
    describe_schedule: Callable[[FlowSpec, str], str],
    describe_job: Callable[[FlowSpec], str] = describe_flow_job,
) -> FlowJobs:
    """One job per flow and its day-closing schedule at the flow's cron, in the JDE time zone."""
    return FlowJobs(_jde_zone, describe_schedule, describe_job, DAY_CLOSE, scheduled_apart=REFRESHED_APART)
