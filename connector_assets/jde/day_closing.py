"""The jobs and day-closing schedules of an integration whose schedules fire in the JD Edwards time zone
(``ML_JDE_TIMEZONE``, read when the declaration is built), F0901 left to its own refresh schedule
(``jde_gl_accounts_schedule``): the kit's ``flows.jobs.DayClosingJobs`` with what every JDE integration
shares. Used by Procore -> JD Edwards and JD Edwards <-> Procurify; each passes its own wording.
"""

from collections.abc import Callable

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import DayClosingJobs, describe_flow_job
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.schedules import REFRESHED_APART


def jde_day_closing_jobs(
    describe_schedule: Callable[[FlowSpec, str], str],
    describe_job: Callable[[FlowSpec], str] = describe_flow_job,
) -> DayClosingJobs:
    """One job per flow and its day-closing schedule at the flow's cron, in the JDE time zone."""
    return DayClosingJobs(
        timezone=lambda: jde_timezone().key,
        describe_schedule=describe_schedule,
        describe_job=describe_job,
        scheduled_apart=REFRESHED_APART,
    )
