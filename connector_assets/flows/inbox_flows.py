"""A flow fed by a system's webhook inbox and its poll (``flows.documents``): its assets, jobs and poll
schedules, built one way.

Such a flow maps a day's documents from the staged poll and the inbox together, so its assets are the
factory's steps downstream of the staged poll (``source``) and ``<flow>_inbox_done``, which acknowledges the
deliveries the run consumed once the write is done; its job is polled in UTC days (``<flow>_poll``), a
fallback for missed webhooks. Used by BILL payments -> JDE (``jde_bill``) and Coupa -> JDE.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dagster import AssetKey, PartitionsDefinition, ScheduleDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.documents import DocumentSource, build_inbox_done
from connector_assets.flows.jobs import FlowJob, build_flow_jobs, build_flow_schedules
from connector_assets.flows.route_assets import route_flow_assets


def inbox_flow_assets(
    spec: FlowSpec,
    source: DocumentSource,
    *,
    partitions_def: PartitionsDefinition,
    upstream: Iterable[AssetKey],
    resource_keys: set[str],
) -> list[Any]:
    """``spec``'s mapped, check and written assets after ``source``'s staged poll and ``upstream``
    (``route_flow_assets``), then its ``<flow>_inbox_done``."""
    done = build_inbox_done(
        spec,
        source,
        partitions_def=partitions_def,
        group=spec.integration,
        kinds={spec.source_system.lower()},
    )
    upstream = [source.asset, *upstream]
    return [
        *route_flow_assets(
            spec, partitions_def=partitions_def, upstream=upstream, resource_keys=resource_keys
        ),
        done,
    ]


def inbox_flow_jobs(
    table: Mapping[FlowSpec, FlowJob],
    describe_job: Callable[[FlowSpec], str],
    describe_schedule: Callable[[FlowSpec], str],
) -> tuple[dict[FlowSpec, Any], list[ScheduleDefinition]]:
    """Each flow's job (``<flow>``) and its poll schedule in UTC days (``<flow>_poll``)."""
    jobs = build_flow_jobs(table, describe_job)
    schedules = build_flow_schedules(table, jobs, suffix="poll", timezone="UTC", describe=describe_schedule)
    return jobs, schedules
