"""Each flow's own job and poll schedule, built from one table per integration.

An integration lists, per flow, the assets its job selects (its source tables or entities, the mapping
tables it maps with, its mapped / written steps and whatever follows them) and the setting that holds the
flow's cadence; the jobs and schedules are made here, the same way for every integration.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import AssetKey, AssetSelection, ScheduleDefinition, define_asset_job

from connector_assets.flows.core import FlowSpec
from connector_assets.polling import build_poll_schedule
from connector_resources import settings


@dataclass(frozen=True)
class FlowJob:
    """One flow's job: the asset keys it runs and the setting (``ML_..._CRON``) of its poll schedule."""

    assets: Sequence[str | AssetKey]
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
