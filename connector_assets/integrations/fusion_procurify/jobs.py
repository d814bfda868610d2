"""Oracle Fusion <-> Procurify jobs and schedules: one job per flow and a schedule at the flow's
``ML_FUSION_PROCURIFY_*_CRON``, plus the refresh of Fusion's account combinations.

Neither side pushes events (Procurify has no webhooks, Fusion REST documents none), so every flow polls,
every 10 minutes by default. The jobs and schedules are the shared kit's
(``flows.jobs.FlowJobs``):

* each flow's job holds the flow's own assets plus the staged sources, mapping tables and manual vendor
  matches its mapped step reads (the matches file is upstream of every flow reading vendor pairs, so their
  jobs load it first: ``vendor_pairs.MATCHES_ASSET``), never another flow's assets (a purchase order whose
  vendor has no Fusion supplier yet is held and released when the pair is made) and never Fusion's account
  combinations, which keep their own refresh schedule (below): the list of values is read whole (it has no
  change stamp), and a real pod holds tens of thousands of combinations, too many to re-read at every
  10-minute poll of three flows;
* a day-closing schedule per flow. The first tick after a partition day ended reads that day whole and
  syncs it (once, asked of the instance); later ticks of the day poll today from the cursor;
* a flow whose mapped step is not partitioned (a whole read) gets a plain cron schedule of its job.

Days and crons: every staged entity of both systems is partitioned by UTC day (Fusion's ``LastUpdateDate``
and Procurify's stamps are read in UTC), so "yesterday" is the UTC day and every cron fires in UTC.

Schedules start running or stopped by ``ML_AUTOMATION_DEFAULT`` (``polling.connector_schedule``).
"""

from __future__ import annotations

from typing import Any

from dagster import AssetsDefinition, ScheduleDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJobs
from connector_assets.fusion.charge_combinations import combinations_refresh
from connector_assets.integrations.fusion_procurify.charge_accounts import COMBINATIONS_ASSET
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION

__all__ = [
    "COMBINATIONS_CRON",
    "TIMEZONE",
    "build_combinations_job_and_schedule",
    "JOBS",
]

TIMEZONE = "UTC"
COMBINATIONS_CRON = "ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON"


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting} (UTC); the "
        "first tick of a day closes the previous UTC day, read whole."
    )


# One job per flow (named after the flow, ``fusion_procurify_<name>``) and its schedule
# (``fusion_procurify_<name>_schedule``) at the flow's cron setting, in UTC.
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
