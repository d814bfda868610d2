"""Each flow's own job and schedule, built one way for every integration (``FlowJobs``).

A flow's job runs its own assets plus the sources and tables its mapped step reads, never another flow's
(a record needing another flow's write is held until it lands) nor one scheduled apart. ``POLL`` schedules
flows polled every 15 minutes to hourly; ``DAY_CLOSE`` one whose cadence may be daily, because a poll at
02:00 would read each day only up to 02:00 and never again: its first tick after a day ends reads it whole.
An unpartitioned mapped step gets a plain cron (``ML_<FLOW>_CRON``, as every cadence).
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

from connector_assets.flows import instance
from connector_assets.flows.assembly import Flow, asset_keys
from connector_assets.flows.core import FlowSpec
from connector_assets.runtime.polling import build_poll_schedule, connector_schedule

SCHEDULE_SUFFIX = "schedule"
POLL, DAY_CLOSE = "poll", "day_close"  # the kinds of schedule (module docstring)


@dataclass(frozen=True)
class FlowJob:
    """One flow's job: the asset keys it runs and the setting (``ML_..._CRON``) of its schedule."""

    assets: Sequence[AssetKey]
    cron_setting: str


def _key(item: AssetKey) -> AssetKey:
    """``item`` if it is an asset key; a flat name is refused, since no asset has one."""
    if not isinstance(item, AssetKey):
        raise TypeError(f"a job selects assets by key (connector_assets.asset_keys), got {item!r}")
    return item


def mapped_asset(spec: FlowSpec, assets: Iterable[object]) -> AssetsDefinition:
    """The flow's ``<flow>_mapped`` asset among ``assets`` (its partitions and inputs define the job)."""
    key = spec.key("mapped")
    for item in assets:
        if isinstance(item, AssetsDefinition) and key in item.keys:
            return item
    raise ValueError(f"{spec.flow}: no {key.to_user_string()} asset among the flow's assets")


def flow_job(
    spec: FlowSpec, flow_assets: Sequence[object], cron_setting: str, *, sources: Iterable[AssetKey] = ()
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
    """At each tick: yesterday (in the partitions' time zone), read whole, once (run key ``close-<day>``,
    "already closed" asked of the instance); a later tick of the day polls today instead.
    ``staged_first``: assets the job reads but does not run; until each was materialized once, a tick
    skips naming them rather than start a run that could only fail (a new instance's first minutes)."""
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
    tags = {"dagster/schedule_name": name, "dagster/partition": day}
    return bool(context.instance.get_run_records(RunsFilter(tags=tags), limit=1))


def build_tick_schedule(
    name: str, job: object, *, cron: str, timezone: str, description: str
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
    """The flows' jobs (by spec), their schedules, what each job runs (``table``), the job running them
    together (``together``, when the package asks for one), and the ``flows`` and ``tables`` they were
    built over (what the instance's parts list, ``IntegrationParts.of``)."""

    table: dict[FlowSpec, FlowJob]
    jobs: dict[FlowSpec, Any]
    schedules: list[ScheduleDefinition]
    together: Any = None
    flows: Sequence[Flow] = ()
    tables: Sequence[Any] = ()

    @property
    def every_job(self) -> list[Any]:
        return [*([self.together] if self.together is not None else []), *self.jobs.values()]


@dataclass(frozen=True)
class FlowJobs:
    """How an integration's flows run: one job per flow and one schedule of it (``<flow>_<suffix>``) at
    the flow's cron setting, fired in ``timezone()`` (read when built, not when declared). ``kind``:
    ``POLL`` or ``DAY_CLOSE`` (module docstring); ``together``: a job running every flow in one run."""

    timezone: Callable[[], str]
    describe_schedule: Callable[[FlowSpec, str], str]
    describe_job: Callable[[FlowSpec], str] = describe_flow_job
    kind: str = DAY_CLOSE
    suffix: str = SCHEDULE_SUFFIX
    scheduled_apart: Iterable[AssetKey] = ()
    staged_first: Iterable[AssetKey] = ()
    together: OneRun | None = None

    def build(self, flows: Sequence[Flow], tables: Iterable[object] = ()) -> BuiltJobs:
        """Each flow's job, over the sources its mapped step reads (``flow_sources``, ``tables`` being the
        package's own mapping tables and master data), and its schedule."""
        tables = tuple(tables)
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
        return BuiltJobs(table, jobs, schedules, together, tuple(flows), tables)

    def _schedule(self, flow: Flow, job: object) -> ScheduleDefinition:
        spec, setting = flow.spec, flow.cron_setting
        name, cron, timezone = f"{spec.flow}_{self.suffix}", instance.read(setting), self.timezone()
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
