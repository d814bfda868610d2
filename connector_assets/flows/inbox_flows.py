"""The jobs of a flow fed by a system's webhook inbox and its poll (``flows.documents``): polled in UTC days
(``<flow>_poll``), a fallback for missed webhooks. Used by BILL payments -> JDE and Coupa -> JDE.
"""

from collections.abc import Callable, Iterable

from dagster import AssetKey

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import POLL, FlowJobs, OneRun


def inbox_flow_jobs(
    describe_job: Callable[[FlowSpec], str],
    describe_schedule: Callable[[FlowSpec], str],
    *,
    scheduled_apart: Iterable[AssetKey],
    together: OneRun | None = None,
) -> FlowJobs:
    """Each flow's job (``<flow>``) and its poll schedule in UTC days (``<flow>_poll``): a fallback for
    missed webhooks, so it never runs the staged poll the source's own schedule stages
    (``scheduled_apart`` names it, with whatever else is refreshed apart); ``together``: a job running
    every flow in one run (what the inbox sensor starts)."""
    return FlowJobs(
        timezone=lambda: "UTC",
        kind=POLL,
        suffix="poll",
        describe_job=describe_job,
        describe_schedule=lambda spec, _setting: describe_schedule(spec),
        scheduled_apart=tuple(scheduled_apart),
        together=together,
    )
