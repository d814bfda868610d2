"""Each flow's own job and schedule, built from one table per integration.

An integration lists, per flow, the assets its job selects (its source tables or entities, the mapping
tables it maps with, its mapped / written steps and whatever follows them) and the setting that holds the
flow's cadence; the jobs and schedules are made here, the same way for every integration.

Two kinds of schedule:

* ``build_flow_schedules``: a poll schedule (``polling.build_poll_schedule``) requesting today's partition
  at every tick and closing yesterday once in the hour after midnight, for flows polled often (hourly);
* ``build_day_close_flows``: a day-closing schedule (``build_day_close_schedule``) for flows whose cadence
  may be daily, or hourly at any minute. A poll schedule would miss the day there: with a cron at 02:00 it
  reads each day only up to 02:00 and never again. The day-closing one makes its first tick after a
  partition day has ended read that day whole (past days are read whole, not from the cursor) and sync it,
  once (asked of the instance); later ticks of the day poll today from the cursor. A flow whose mapped
  step is not partitioned (a whole read) gets a plain cron schedule of its job (``build_tick_schedule``):
  there is no day to close.

A day-closing flow's job is ``flow_job``: the flow's own assets plus the staged sources and mapping tables
its mapped step reads, never another flow's assets (their order is the asset graph's: a record needing
another flow's write is held until it lands) and never an asset refreshed on a schedule of its own
(``scheduled_apart``, e.g. JDE's F0901).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    DailyPartitionsDefinition,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
)

from connector_assets.flows.assembly import Flow
from connector_assets.flows.core import FlowSpec
from connector_assets.polling import build_poll_schedule, connector_schedule
from connector_resources import settings

SCHEDULE_SUFFIX = "schedule"


@dataclass(frozen=True)
class FlowJob:
    """One flow's job: the asset keys it runs and the setting (``ML_..._CRON``) of its poll schedule."""

    assets: Sequence[AssetKey]
    cron_setting: str


def build_flow_jobs(
    table: Mapping[FlowSpec, FlowJob], describe: Callable[[FlowSpec], str]
) -> dict[FlowSpec, Any]:
    """A job named after each flow (``<integration>_<flow>``) selecting the flow's assets."""
    return {
        spec: define_asset_job(
            spec.flow, selection=AssetSelection.assets(*entry.assets), description=describe(spec)
        )
        for spec, entry in table.items()
    }


def build_flow_schedules(
    table: Mapping[FlowSpec, FlowJob],
    jobs: Mapping[FlowSpec, Any],
    *,
    suffix: str,
    timezone: str,
    describe: Callable[[FlowSpec], str],
) -> list[ScheduleDefinition]:
    """A poll schedule per flow (``<flow>_<suffix>``): today's partition at the flow's cadence, and
    yesterday's once after midnight (``build_poll_schedule``)."""
    return [
        build_poll_schedule(
            f"{spec.flow}_{suffix}",
            jobs[spec],
            cron=settings.value(entry.cron_setting),
            timezone=timezone,
            description=describe(spec),
        )
        for spec, entry in table.items()
    ]


def _key(item: AssetKey) -> AssetKey:
    """``item`` if it is an asset key (``connector_assets.asset_keys``); a flat name is refused, since no
    asset has one."""
    if not isinstance(item, AssetKey):
        raise TypeError(f"a job selects assets by key (connector_assets.asset_keys), got {item!r}")
    return item


def mapped_asset(spec: FlowSpec, assets: Iterable[Any]) -> AssetsDefinition:
    """The flow's ``<flow>_mapped`` asset among ``assets`` (its partitions and inputs define the job)."""
    key = spec.key("mapped")
    for item in assets:
        if isinstance(item, AssetsDefinition) and key in item.keys:
            return item
    raise ValueError(f"{spec.flow}: no {key.to_user_string()} asset among the flow's assets")


def flow_sources(flows: Iterable[Flow], integration: str, *, also: Iterable[AssetKey] = ()) -> list[AssetKey]:
    """What the flows' jobs may run besides their own assets: every input of a flow's step that is not
    the integration's own (in its group, ``[<integration>, ...]``: another flow's steps), or is among
    ``also`` (the integration's mapping tables and other staged inputs it reads)."""
    readable = set(also)
    return [
        key
        for flow in flows
        for item in flow.assets
        if isinstance(item, AssetsDefinition)
        for key in item.dependency_keys
        if key in readable or key.path[0] != integration
    ]


def flow_job(
    spec: FlowSpec, flow_assets: Sequence[Any], cron_setting: str, *, sources: Iterable[AssetKey] = ()
) -> FlowJob:
    """The job of one flow: the upstream assets of its mapped step that are among ``sources`` (the shared
    staged entities / tables and the mapping tables), then its own executable assets."""
    own = [a.key for a in flow_assets if isinstance(a, AssetsDefinition)]
    allowed = {_key(s) for s in sources}
    upstream = [key for key in mapped_asset(spec, flow_assets).dependency_keys if key in allowed]
    return FlowJob(tuple(dict.fromkeys([*upstream, *own])), cron_setting)


def build_day_close_schedule(
    name: str,
    job: Any,
    *,
    cron: str,
    timezone: str,
    partitions_def: DailyPartitionsDefinition,
    description: str,
    staged_first: Sequence[AssetKey] = (),
) -> ScheduleDefinition:
    """At each tick: the previous partition day, read whole, once (run key ``close-<day>``); a later tick
    of the same day (a cron firing more than daily) polls today's partition instead.

    "Yesterday" is taken in the partitions' time zone at the tick; the cron fires in ``timezone``.
    "Already closed" is asked of the Dagster instance (a run of this schedule for that partition), so a
    daily cron always closes yesterday and an hourly one closes it at its first tick of the day.
    ``staged_first``: assets the job reads but does not run (refreshed on their own schedule); until each
    has been materialized once on the instance, a tick skips, naming them, instead of starting a run that
    could only fail (a new instance's first minutes).
    """
    zone = ZoneInfo(partitions_def.timezone or "UTC")

    @connector_schedule(name, job, cron=cron, timezone=timezone, description=description)
    def _close(context: ScheduleEvaluationContext):
        missing = [k for k in staged_first if context.instance.get_latest_materialization_event(k) is None]
        if missing:
            names = ", ".join(k.to_user_string() for k in missing)
            return SkipReason(
                f"waiting for {names} to be staged on this instance (never materialized yet; the automation "
                "sensor stages it on a new instance, or materialize it)"
            )
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


def build_tick_schedule(
    name: str, job: Any, *, cron: str, timezone: str, description: str
) -> ScheduleDefinition:
    """A plain cron schedule of an unpartitioned job: each tick runs it once (run key ``tick-<time>``)."""

    @connector_schedule(name, job, cron=cron, timezone=timezone, description=description)
    def _tick(context: ScheduleEvaluationContext):
        return [RunRequest(run_key=f"tick-{context.scheduled_execution_time:%Y-%m-%dT%H:%M}")]

    return _tick


def describe_flow_job(spec: FlowSpec) -> str:
    """A flow job's description, unless its integration words it otherwise."""
    return f"{spec.integration} {spec.name}: {spec.source_system} -> {spec.target_system}."


def build_day_close_flows(
    flows: Sequence[Flow],
    *,
    sources: Iterable[AssetKey],
    timezone: str,
    describe_schedule: Callable[[FlowSpec, str], str],
    describe_job: Callable[[FlowSpec], str] = describe_flow_job,
    scheduled_apart: Iterable[AssetKey] = (),
    staged_first: Iterable[AssetKey] = (),
) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
    """One job per flow (``flow_job`` over ``sources`` less ``scheduled_apart``, named after the flow) and
    its schedule (``<flow>_schedule``) at the flow's cron setting (``Flow.cron_setting``), fired in
    ``timezone``: a day-closing one over the mapped step's day partitions (described by
    ``describe_schedule(spec, cron_setting)``), or a plain cron one when the mapped step is not
    partitioned. A day-closing schedule whose mapped step reads one of ``staged_first`` skips until it was
    materialized once (``build_day_close_schedule``)."""
    allowed = {_key(s) for s in sources} - {_key(s) for s in scheduled_apart}
    first = {_key(s) for s in staged_first}
    assets = {flow.spec: flow.assets for flow in flows}
    table = {
        flow.spec: flow_job(flow.spec, flow.assets, flow.cron_setting, sources=allowed) for flow in flows
    }
    jobs = build_flow_jobs(table, describe_job)
    schedules = []
    for spec, entry in table.items():
        name, cron = f"{spec.flow}_{SCHEDULE_SUFFIX}", settings.value(entry.cron_setting)
        mapped = mapped_asset(spec, assets[spec])
        partitions = mapped.partitions_def
        if isinstance(partitions, DailyPartitionsDefinition):
            schedule = build_day_close_schedule(
                name,
                jobs[spec],
                cron=cron,
                timezone=timezone,
                partitions_def=partitions,
                description=describe_schedule(spec, entry.cron_setting),
                staged_first=sorted(first & set(mapped.dependency_keys), key=AssetKey.to_user_string),
            )
        elif partitions is None:
            where = f"{spec.name} ({spec.source_system} -> {spec.target_system})"
            schedule = build_tick_schedule(
                name,
                jobs[spec],
                cron=cron,
                timezone=timezone,
                description=f"Run {where} at ${entry.cron_setting}.",
            )
        else:
            raise ValueError(f"{spec.flow}: its mapped step is not partitioned by day ({partitions!r})")
        schedules.append(schedule)
    return jobs, schedules


@dataclass(frozen=True)
class DayClosingJobs:
    """How an integration's flows run when each has a job and a day-closing schedule: declared once in the
    package (its time zone, its wording, what is refreshed apart), built by its declaration. ``timezone``
    is read when built (e.g. ``ML_JDE_TIMEZONE`` through ``jde_timezone``), not when declared."""

    timezone: Callable[[], str]
    describe_schedule: Callable[[FlowSpec, str], str]
    describe_job: Callable[[FlowSpec], str] = describe_flow_job
    scheduled_apart: Iterable[AssetKey] = ()
    staged_first: Iterable[AssetKey] = ()  # read, not run, by the jobs: a tick waits until staged once

    def build(
        self, flows: Sequence[Flow], sources: Iterable[AssetKey]
    ) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
        """One job per flow and its schedule (``build_day_close_flows``)."""
        return build_day_close_flows(
            flows,
            sources=sources,
            timezone=self.timezone(),
            describe_schedule=self.describe_schedule,
            describe_job=self.describe_job,
            scheduled_apart=self.scheduled_apart,
            staged_first=self.staged_first,
        )
