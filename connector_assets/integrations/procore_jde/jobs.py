"""Procore -> JDE jobs and schedules: one job per flow, and a daily schedule that closes each whole day.

Each flow's job runs the flow's own assets and the partitioned sources its mapped step reads (the staged
Procore entities of the day, or JDE's supplier tables for the JDE -> Procore ``suppliers`` flow) and the
mapping tables it maps with; never another flow's assets (the purchase-order step waits for the vendors'
write only in the asset graph: a vendor the order needs that is not in JDE yet holds the order, and the
hold is released when the vendors flow writes it). ``jde_gl_accounts`` (F0901, read whole) keeps its own
refresh schedule (``ML_JDE_GL_REFRESH_CRON``), as for JDE -> BILL.

Why not ``build_flow_schedules``: its poll schedule requests *today's* partition at every tick and closes
yesterday only on a tick in the hour after midnight. The Procore -> JDE cadences are daily at 02:00
(``ML_PROCORE_JDE_*_CRON``), so that schedule would read each day only up to 02:00 and never again: a
requisition approved at 15:00 would never move. ``build_day_close_schedule`` instead closes the previous
day: the first tick after a partition day has ended reads that day whole (past days are read whole, not
from the cursor) and syncs it. With the daily default that is one run per flow per day, for yesterday.
With a cron that fires more often, the later ticks of a day poll today's partition (read from the
cursor), so an operator who wants same-day sync without webhooks sets e.g. ``0 * * * *``.

Days: the Procore flows are partitioned by UTC day (``updated_at`` in UTC, as the staged entities are);
the JDE -> Procore ``suppliers`` flow by JDE day (``ML_JDE_TIMEZONE``). A schedule's cron fires in the
JDE time zone (like JDE -> BILL); "yesterday" is taken in the flow's partition time zone at the tick.
So with JDE in America/Chicago, the 02:00 tick (08:00 UTC) syncs the UTC day that ended 8 hours before.

Projects: the staged Procore entities read only ``ML_PROCORE_PROJECT_IDS`` when it is set (blank: every
project the app may read): ``ProcoreSession.project_ids`` is the one place every project-scoped list
(commitments, requisitions, change orders, cost codes) takes its projects from. Vendors are
company-wide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetsDefinition,
    DailyPartitionsDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
)

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.jobs import FlowJob, build_flow_jobs
from connector_assets.jde.extract import jde_timezone
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.polling import connector_schedule
from connector_resources import settings

SCHEDULE_SUFFIX = "schedule"
# Upstream assets a flow's job never runs: F0901 has its own refresh schedule.
NOT_IN_FLOW_JOBS = frozenset({AssetKey(GL_ACCOUNTS.asset)})


def mapped_asset(spec: FlowSpec, assets: Iterable[Any]) -> AssetsDefinition:
    """The flow's ``<flow>_mapped`` asset among ``assets`` (its partitions and inputs define the job)."""
    key = AssetKey(f"{spec.flow}_mapped")
    for item in assets:
        if isinstance(item, AssetsDefinition) and key in item.keys:
            return item
    raise ValueError(f"{spec.flow}: no {key.to_user_string()} asset among the flow's assets")


def flow_job(
    spec: FlowSpec,
    flow_assets: Sequence[Any],
    cron_setting: str,
    *,
    sources: Iterable[str | AssetKey] = (),
    extra: Iterable[str | AssetKey] = (),
) -> FlowJob:
    """The job of one flow: its own executable assets, plus the upstream assets of its mapped step that
    are among ``sources`` (the shared staged entities / JDE tables and the mapping tables), plus ``extra``.

    Upstream assets of other flows (ordering only) and F0901 are left out; see the module docstring.
    """
    own = [a.key for a in flow_assets if isinstance(a, AssetsDefinition)]
    allowed = {AssetKey(s) if isinstance(s, str) else s for s in sources} - NOT_IN_FLOW_JOBS
    upstream = [key for key in mapped_asset(spec, flow_assets).dependency_keys if key in allowed]
    wanted = [*upstream, *(AssetKey(e) if isinstance(e, str) else e for e in extra), *own]
    return FlowJob(tuple(dict.fromkeys(wanted)), cron_setting)


def build_day_close_schedule(
    name: str,
    job: Any,
    *,
    cron: str,
    timezone: str,
    partitions_def: DailyPartitionsDefinition,
    description: str,
) -> ScheduleDefinition:
    """At each tick: the previous partition day, read whole, once (run key ``close-<day>``); a later tick
    of the same day (a cron firing more than daily) polls today's partition instead.

    "Already closed" is asked of the Dagster instance (a run of this schedule for that partition), so a
    daily cron always closes yesterday and an hourly one closes it at its first tick of the day.
    """
    zone = ZoneInfo(partitions_def.timezone or "UTC")

    @connector_schedule(name, job, cron=cron, timezone=timezone, description=description)
    def _close(context: ScheduleEvaluationContext):
        now = context.scheduled_execution_time.astimezone(zone)
        today, yesterday = now.date().isoformat(), (now.date() - timedelta(days=1)).isoformat()
        if partitions_def.has_partition_key(yesterday) and not _closed(context, name, yesterday):
            return [RunRequest(partition_key=yesterday, run_key=f"close-{yesterday}")]
        if partitions_def.has_partition_key(today):
            return [RunRequest(partition_key=today, run_key=f"poll-{now:%Y-%m-%dT%H:%M}")]
        return SkipReason(f"neither {yesterday} nor {today} is a partition of {job.name}")

    return _close


def _closed(context: ScheduleEvaluationContext, name: str, day: str) -> bool:
    runs = context.instance.get_run_records(
        RunsFilter(tags={"dagster/schedule_name": name, "dagster/partition": day}), limit=1
    )
    return bool(runs)


def build_jobs_and_schedules(
    table: Mapping[FlowSpec, FlowJob],
    flow_assets: Mapping[FlowSpec, Sequence[Any]],
    *,
    describe_job: Callable[[FlowSpec], str],
    describe_schedule: Callable[[FlowSpec], str],
) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
    """One job per flow (``procore_jde_<flow>``) and its day-closing schedule
    (``procore_jde_<flow>_schedule``) at the flow's cron setting, in the JDE time zone, over the flow's own
    partitions."""
    jobs = build_flow_jobs(table, describe_job)
    timezone = jde_timezone().key
    schedules = []
    for spec, entry in table.items():
        partitions = mapped_asset(spec, flow_assets[spec]).partitions_def
        if not isinstance(partitions, DailyPartitionsDefinition):
            raise ValueError(f"{spec.flow}: its mapped step is not partitioned by day ({partitions!r})")
        schedules.append(
            build_day_close_schedule(
                f"{spec.flow}_{SCHEDULE_SUFFIX}",
                jobs[spec],
                cron=settings.value(entry.cron_setting),
                timezone=timezone,
                partitions_def=partitions,
                description=describe_schedule(spec),
            )
        )
    return jobs, schedules
