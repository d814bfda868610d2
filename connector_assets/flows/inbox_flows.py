"""A flow fed by a system's webhook inbox and its poll (``flows.documents``): its assets, jobs and poll
schedules, built one way.

Such a flow maps a day's documents from the staged poll and the inbox together, so its assets are the
factory's steps downstream of the staged poll (``source``) and ``<flow>_inbox_done``, which acknowledges the
deliveries the run consumed once the write is done; its job is polled in UTC days (``<flow>_poll``), a
fallback for missed webhooks (the kit's ``FlowJobs``). Used by BILL payments -> JDE (``jde_bill``) and
Coupa -> JDE.
"""

from collections.abc import Callable, Iterable
from typing import Any

from dagster import AssetKey, PartitionsDefinition

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.documents import DocumentSource, build_inbox_done
from connector_assets.flows.jobs import POLL, FlowJobs, OneRun
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
    describe_job: Callable[[FlowSpec], str],
    describe_schedule: Callable[[FlowSpec], str],
    *,
    scheduled_apart: Iterable[AssetKey],
    together: OneRun | None = None,
) -> FlowJobs:
    """Each flow's job (``<flow>``) and its poll schedule in UTC days (``<flow>_poll``): a fallback for
    missed webhooks, so it never runs the staged poll the source's own schedule stages
    (``scheduled_apart`` names it, with whatever else is refreshed apart); ``together``: a job running
    every flow in one run (what the inbox sensor starts)."""
    return FlowJobs(
        timezone=lambda: "UTC",
        kind=POLL,
        suffix="poll",
        describe_job=describe_job,
        describe_schedule=lambda spec, _setting: describe_schedule(spec),
        scheduled_apart=tuple(scheduled_apart),
        together=together,
    )
