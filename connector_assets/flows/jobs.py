"""Each flow's own job and schedule, built one way for every integration (``FlowJobs``).

A flow's job is ``flow_job``: the flow's own assets plus the staged sources and mapping tables its mapped
step reads, never another flow's assets (their order is the asset graph's: a record needing another flow's
write is held until it lands) and never an asset refreshed on a schedule of its own (``scheduled_apart``:
JDE's F0901, a webhook flow's staged poll, Fusion's account combinations). Its cadence is the setting
``ML_<FLOW>_CRON`` (``assembly.cron_setting``).

Two kinds of schedule, because a flow's cadence decides which one sees every day:

* ``POLL``: a poll schedule (``polling.build_poll_schedule``) requesting today's partition at every tick and
  closing yesterday once in the hour after midnight, for flows polled often (every 15 minutes to hourly)
  whose schedule fires in their partitions' time zone;
* ``DAY_CLOSE``: a day-closing schedule (``build_day_close_schedule``) for flows whose cadence may be daily,
  or hourly at any minute. A poll schedule would miss the day there: with a cron at 02:00 it reads each
  day only up to 02:00 and never again. The day-closing one makes its first tick after a partition day
  has ended read that day whole (past days are read whole, not from the cursor) and sync it, once (asked
  of the instance); later ticks of the day poll today from the cursor. A flow whose mapped step is not
  partitioned (a whole read) gets a plain cron schedule of its job (``build_tick_schedule``): there is no
  day to close.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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

from connector_assets.flows.assembly import Flow, asset_keys
from connector_assets.flows.core import FlowSpec
from connector_assets.runtime.polling import build_poll_schedule, connector_schedule
from connector_resources import settings

SCHEDULE_SUFFIX = "schedule"
POLL, DAY_CLOSE = "poll", "day_close"  # the kinds of schedule (module docstring)


@dataclass(frozen=True)
class FlowJob:
    """One flow's job: the asset keys it runs and the setting (``ML_..._CRON``) of its schedule."""

    assets: Sequence[AssetKey]
    cron_setting: str


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


def flow_sources(flows: Iterable[Flow], *, also: Iterable[AssetKey] = ()) -> set[AssetKey]:
    """What the flows' jobs may run besides their own assets: every input of a flow's step that is not
    its integration's own (in its group, ``[<integration>, ...]``: another flow's steps), or is among
    ``also`` (the integration's mapping tables and other staged inputs it reads)."""
    readable = set(also)
    return {
        key
        for flow in flows
        for item in flow.assets
        if isinstance(item, AssetsDefinition)
        for key in item.dependency_keys
        if key in readable or key.path[0] != flow.spec.integration
    }


@dataclass(frozen=True)
class OneRun:
    """A job running every flow of the package together, in the asset graph's order (for backfills, by
    hand, or what an inbox sensor starts): each flow's job's assets, nothing more."""

    name: str
    description: str


@dataclass(frozen=True)
class BuiltJobs:
    """The flows' jobs (by spec), their schedules, what each job runs (``table``) and the job running them
    together (``together``, when the package asks for one)."""

    table: dict[FlowSpec, FlowJob]
    jobs: dict[FlowSpec, Any]
    schedules: list[ScheduleDefinition]
    together: Any = None

    @property
    def every_job(self) -> list[Any]:
        return [*([self.together] if self.together is not None else []), *self.jobs.values()]


@dataclass(frozen=True)
class FlowJobs:
    """How an integration's flows run, declared once in its ``jobs`` module and built over its declared
    flows (``build``): one job per flow (``flow_job``, named after the flow) and one schedule of it
    (``<flow>_<suffix>``) at the flow's cron setting, fired in ``timezone()`` (read when built, e.g.
    ``ML_JDE_TIMEZONE``, not when declared).

    ``kind``: ``POLL`` or ``DAY_CLOSE`` (module docstring). ``scheduled_apart``: inputs the jobs never run
    (refreshed on a schedule of their own). ``staged_first``: inputs a day-closing tick waits for until
    each was materialized once (``build_day_close_schedule``). ``together``: a job running every flow in one
    run (``OneRun``).
    """

    timezone: Callable[[], str]
    describe_schedule: Callable[[FlowSpec, str], str]
    describe_job: Callable[[FlowSpec], str] = describe_flow_job
    kind: str = DAY_CLOSE
    suffix: str = SCHEDULE_SUFFIX
    scheduled_apart: Iterable[AssetKey] = ()
    staged_first: Iterable[AssetKey] = ()
    together: OneRun | None = None

    def build(self, flows: Sequence[Flow], tables: Iterable[Any] = ()) -> BuiltJobs:
        """Each flow's job, over the sources its mapped step reads (``flow_sources``, ``tables`` being the
        package's own mapping tables and master data), and its schedule."""
        allowed = flow_sources(flows, also=asset_keys(tables)) - {_key(s) for s in self.scheduled_apart}
        table = {
            flow.spec: flow_job(flow.spec, flow.assets, flow.cron_setting, sources=allowed) for flow in flows
        }
        jobs = {
            spec: define_asset_job(
                spec.flow, selection=AssetSelection.assets(*entry.assets), description=self.describe_job(spec)
            )
            for spec, entry in table.items()
        }
        schedules = [self._schedule(flow, jobs[flow.spec]) for flow in flows]
        together = None
        if self.together is not None:
            keys = dict.fromkeys(key for entry in table.values() for key in entry.assets)
            together = define_asset_job(
                self.together.name,
                selection=AssetSelection.assets(*keys),
                description=self.together.description,
            )
        return BuiltJobs(table, jobs, schedules, together)

    def _schedule(self, flow: Flow, job: Any) -> ScheduleDefinition:
        spec, setting = flow.spec, flow.cron_setting
        name, cron, timezone = f"{spec.flow}_{self.suffix}", settings.value(setting), self.timezone()
        description = self.describe_schedule(spec, setting)
        if self.kind == POLL:
            return build_poll_schedule(name, job, cron=cron, timezone=timezone, description=description)
        mapped = mapped_asset(spec, flow.assets)
        partitions = mapped.partitions_def
        if isinstance(partitions, DailyPartitionsDefinition):
            first = {_key(s) for s in self.staged_first} & set(mapped.dependency_keys)
            return build_day_close_schedule(
                name,
                job,
                cron=cron,
                timezone=timezone,
                partitions_def=partitions,
                description=description,
                staged_first=sorted(first, key=AssetKey.to_user_string),
            )
        if partitions is None:
            where = f"{spec.name} ({spec.source_system} -> {spec.target_system})"
            return build_tick_schedule(
                name, job, cron=cron, timezone=timezone, description=f"Run {where} at ${setting}."
            )
        raise ValueError(f"{spec.flow}: its mapped step is not partitioned by day ({partitions!r})")
