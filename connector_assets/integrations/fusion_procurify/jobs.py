"""Oracle Fusion <-> Procurify jobs and schedules: one job per flow and a schedule at the flow's
``ML_FUSION_PROCURIFY_*_CRON``, plus the refresh of Fusion's account combinations.

Neither side pushes events (Procurify has no webhooks, Fusion REST documents none), so every flow polls,
every 10 minutes by default. The jobs and schedules are Procore -> JDE's building blocks
(``procore_jde.jobs``), reused rather than copied:

* ``flow_job``: the flow's own assets plus the staged sources, mapping tables and manual vendor matches
  its mapped step reads, never another flow's assets (a purchase order whose vendor has no Fusion supplier
  yet is held and released when the pair is made) and never Fusion's account combinations, which keep
  their own refresh schedule (below): the list of values is read whole (it has no change stamp), and a
  real pod holds tens of thousands of combinations, too many to re-read at every 10-minute poll of three
  flows;
* ``build_day_close_schedule``: a day-closing schedule per flow. The first tick after a partition day
  ended reads that day whole and syncs it (once, asked of the instance); later ticks of the day poll today
  from the cursor;
* a flow whose mapped step is not partitioned (a whole read) gets a plain cron schedule of its job.

Days and crons: every staged entity of both systems is partitioned by UTC day (Fusion's ``LastUpdateDate``
and Procurify's stamps are read in UTC), so "yesterday" is the UTC day and every cron fires in UTC.

Schedules start running or stopped by ``ML_AUTOMATION_DEFAULT`` (``polling.connector_schedule``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DailyPartitionsDefinition,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
)

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJob, build_flow_jobs
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.procore_jde.jobs import (
    SCHEDULE_SUFFIX,
    build_day_close_schedule,
    flow_job,
    mapped_asset,
)
from connector_assets.polling import connector_schedule
from connector_resources import settings

__all__ = [
    "COMBINATIONS_CRON",
    "SCHEDULE_SUFFIX",
    "TIMEZONE",
    "build_combinations_job_and_schedule",
    "build_flow_jobs_and_schedules",
    "flow_job",
    "mapped_asset",
]

TIMEZONE = "UTC"
COMBINATIONS_CRON = "ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON"


def _describe_job(spec: FlowSpec) -> str:
    return f"{spec.integration} {spec.name}: {spec.source_system} -> {spec.target_system}."


def _describe_schedule(spec: FlowSpec, cron_setting: str) -> str:
    return (
        f"Poll {spec.name} ({spec.source_system} -> {spec.target_system}) at ${cron_setting} (UTC); the "
        "first tick of a day closes the previous UTC day, read whole."
    )


def _whole_schedule(name: str, job: Any, cron_setting: str, description: str) -> ScheduleDefinition:
    """A plain cron schedule of an unpartitioned job (each tick runs it once)."""

    @connector_schedule(
        name, job, cron=settings.value(cron_setting), timezone=TIMEZONE, description=description
    )
    def _tick(context: ScheduleEvaluationContext):
        return [RunRequest(run_key=f"tick-{context.scheduled_execution_time:%Y-%m-%dT%H:%M}")]

    return _tick


def build_flow_jobs_and_schedules(
    flow_assets: Mapping[FlowSpec, Sequence[Any]],
    cron_settings: Mapping[FlowSpec, str],
    sources: Iterable[str | AssetKey],
) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
    """One job per flow (named after the flow, ``fusion_procurify_<name>``) and its schedule
    (``fusion_procurify_<name>_schedule``) at the flow's cron setting, in UTC."""
    sources = list(sources)
    table: dict[FlowSpec, FlowJob] = {
        spec: flow_job(spec, assets, cron_settings[spec], sources=sources)
        for spec, assets in flow_assets.items()
    }
    jobs = build_flow_jobs(table, _describe_job)
    schedules: list[ScheduleDefinition] = []
    for spec, entry in table.items():
        name = f"{spec.flow}_{SCHEDULE_SUFFIX}"
        partitions = mapped_asset(spec, flow_assets[spec]).partitions_def
        if isinstance(partitions, DailyPartitionsDefinition):
            schedules.append(
                build_day_close_schedule(
                    name,
                    jobs[spec],
                    cron=settings.value(entry.cron_setting),
                    timezone=TIMEZONE,
                    partitions_def=partitions,
                    description=_describe_schedule(spec, entry.cron_setting),
                )
            )
        else:
            description = (
                f"Run {spec.name} ({spec.source_system} -> {spec.target_system}) at ${entry.cron_setting}."
            )
            schedules.append(_whole_schedule(name, jobs[spec], entry.cron_setting, description))
    return {spec: jobs[spec] for spec in flow_assets}, schedules


def build_combinations_job_and_schedule(asset: AssetsDefinition) -> tuple[Any, ScheduleDefinition]:
    """The job re-reading Fusion's account combinations whole (``fusion_procurify_account_combinations``)
    and its schedule at ``ML_FUSION_PROCURIFY_ACCOUNT_COMBINATIONS_CRON`` (UTC). A combination enabled in
    Fusion between two refreshes is refused with its reason until the next one, and a replay re-stages it
    (``ChargeAccounts.load(restage=True)``)."""
    [key] = asset.keys
    # Not the asset's own name: Dagster refuses a job named like an op (the asset's) in one repository.
    name = f"{key.to_user_string()}_refresh"
    job = define_asset_job(
        name,
        selection=AssetSelection.assets(key),
        description=f"{INTEGRATION}: re-read Fusion's account combinations (accountCombinationsLOV) whole.",
    )
    schedule = _whole_schedule(
        f"{name}_{SCHEDULE_SUFFIX}",
        job,
        COMBINATIONS_CRON,
        f"Re-read Fusion's account combinations at ${COMBINATIONS_CRON} (UTC).",
    )
    return job, schedule
