"""Fusion <-> Procurify jobs: one per flow and its day-closing schedule at the instance's ``<flow>_cron``
(UTC days), and the refresh of Fusion's account combinations on its own schedule (no change stamp, tens of
thousands). docs/integrations/fusion_procurify.md, "How it runs".
"""

from __future__ import annotations

from typing import Any

from dagster import AssetKey, AssetsDefinition, ScheduleDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.instance import Instance
from connector_assets.flows.jobs import FlowJobs
from connector_assets.fusion.charge_combinations import combinations_refresh

TIMEZONE = "UTC"


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting} (UTC); the "
        "first tick of a day closes the previous UTC day, read whole."
    )


def flow_jobs(combinations: AssetKey) -> FlowJobs:
    """The flows' jobs and schedules. The purchase order and invoice flows read Fusion's account
    ``combinations``, staged by their own refresh (below) and, on a new instance, by the automation sensor:
    their ticks wait until they were staged once."""
    return FlowJobs(
        timezone=lambda: TIMEZONE,
        describe_schedule=_describe_schedule,
        scheduled_apart=(combinations,),
        staged_first=(combinations,),
    )


def combinations_job_and_schedule(it: Instance, asset: AssetsDefinition) -> tuple[Any, ScheduleDefinition]:
    """The job re-reading ``it``'s Fusion account combinations whole (``<instance>/account_combinations``)
    and its schedule at its ``account_combinations_cron`` (UTC): the Fusion side's
    (``fusion.charge_combinations.combinations_refresh``). A replay re-stages them
    (``ChargeTables.load(restage=True)``)."""
    return combinations_refresh(asset, it.instance, it.variable("account_combinations_cron"), TIMEZONE)
