"""Fusion <-> Procurify jobs: one per flow and its day-closing schedule at ``ML_FUSION_PROCURIFY_*_CRON``
(UTC days), and the refresh of Fusion's account combinations on its own schedule (no change stamp, tens of
thousands). docs/integrations/fusion_procurify.md, "How it runs".
"""

from __future__ import annotations

from typing import Any

from dagster import AssetsDefinition, ScheduleDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJobs
from connector_assets.fusion.charge_combinations import combinations_refresh

from .charge_accounts import COMBINATIONS_ASSET
from .integration import INTEGRATION, setting

TIMEZONE = "UTC"
COMBINATIONS_CRON = setting("ACCOUNT_COMBINATIONS_CRON")


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting} (UTC); the "
        "first tick of a day closes the previous UTC day, read whole."
    )


# The purchase order and invoice flows read Fusion's account combinations, staged by their own refresh
# (below) and, on a new instance, by the automation sensor: their ticks wait until it was staged once.
JOBS = FlowJobs(
    timezone=lambda: TIMEZONE,
    describe_schedule=_describe_schedule,
    scheduled_apart=(COMBINATIONS_ASSET,),
    staged_first=(COMBINATIONS_ASSET,),
)


def build_combinations_job_and_schedule(asset: AssetsDefinition) -> tuple[Any, ScheduleDefinition]:
    """The job re-reading Fusion's account combinations whole (``fusion_procurify/account_combinations``)
    and its schedule at ``ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON`` (UTC): the Fusion side's
    (``fusion.charge_combinations.combinations_refresh``). A replay re-stages them
    (``ChargeAccounts.load(restage=True)``)."""
    return combinations_refresh(asset, INTEGRATION, COMBINATIONS_CRON, TIMEZONE)
