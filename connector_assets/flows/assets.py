"""Dagster assets for a ``FlowSpec``: ``<flow>_mapped``, ``<flow>_written`` and ``<flow>_verdict``, each with
its check, built for every flow by ``build_flow_assets``; the steps live in their own modules and are
re-exported here, where flows, the CLI and tests import them. A backfill runs them once over its range,
each day keeping its own truth (``range_days``).
"""

from collections.abc import Iterable

from dagster import AssetKey, AssetsDefinition, AssetSpec, PartitionsDefinition

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.day_verdict import verdict_asset
from connector_assets.flows.documents import DocumentSource, build_inbox_done
from connector_assets.flows.flow_run import awaited_keys, run_lease, run_partitions, runs_ended_in, tag_run
from connector_assets.flows.mapped_step import CHECK, MAPPED_COLUMNS, MappedDay, mapped_asset
from connector_assets.flows.parent_pull import parent_systems
from connector_assets.flows.target_asset import executable_keys, target_asset, target_asset_name
from connector_assets.flows.write_pools import (
    WRITE_POOL_LIMIT,
    apply_write_pool_limits,
    pool_limit,
    write_pool,
)
from connector_assets.flows.writer import UNREACHABLE_AFTER, TargetRefusesUntil, TargetUnreachable
from connector_assets.flows.written_step import WRITE_COUNTS, written_asset

# The write loop (``writer``) stops a day on these; re-exported here, where flows and tests look.
__all__ = [
    "CHECK",
    "MAPPED_COLUMNS",
    "UNREACHABLE_AFTER",
    "WRITE_COUNTS",
    "WRITE_POOL_LIMIT",
    "MappedDay",
    "TargetRefusesUntil",
    "TargetUnreachable",
    "apply_write_pool_limits",
    "awaited_keys",
    "build_flow_assets",
    "executable_keys",
    "flow_backfill_policy",
    "pool_limit",
    "run_lease",
    "run_partitions",
    "runs_ended_in",
    "tag_run",
    "target_asset",
    "target_asset_name",
    "write_pool",
]


def build_flow_assets(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition | None,
    upstream: Iterable[AssetKey],
    resource_keys: set[str] | None = None,
    kinds: set[str] | None = None,
    inbox: DocumentSource | None = None,
    parents: Iterable[FlowSpec] = (),
) -> list[AssetsDefinition | AssetSpec]:
    """Every flow's assets, built this one way, in ``spec.integration``'s group: ``<flow>_mapped`` after
    ``upstream``, ``<flow>_written``, the target's records and ``<flow>_verdict``. The options are the only
    ways flows differ: ``resource_keys`` when a step reaches fewer systems than it names, ``kinds``, and
    ``inbox``, a webhook-fed flow's source (``<flow>_inbox_done`` acknowledges what the run consumed), and
    ``parents``: the flows whose records this one's wait for, pulled by its write step when never synced
    (``parent_pull``)."""
    systems = {spec.source_system.lower(), spec.target_system.lower()}
    resource_keys = systems if resource_keys is None else resource_keys
    kinds = systems if kinds is None else kinds
    group = spec.integration  # the flow's keys are in its integration's group (``FlowSpec.key``)
    upstream = [*([inbox.asset] if inbox is not None else []), *upstream]
    mapped = mapped_asset(
        spec,
        partitions_def=partitions_def,
        upstream=upstream,
        resource_keys=resource_keys,
        group=group,
        kinds=kinds,
    )
    parents = tuple(parents)
    written = written_asset(
        spec,
        partitions_def=partitions_def,
        resource_keys=resource_keys | parent_systems(parents),
        group=group,
        kinds=kinds,
        parents=parents,
    )
    steps: list[AssetsDefinition | AssetSpec] = [mapped, written, target_asset(spec, partitions_def, group)]
    if inbox is not None:
        if partitions_def is None:
            raise ValueError(f"{spec.flow}: a webhook-fed flow is partitioned by the days its records change")
        source = {spec.source_system.lower()}
        steps.append(build_inbox_done(spec, inbox, partitions_def=partitions_def, group=group, kinds=source))
    # Last: a day mostly refused fails here, after the steps that follow the write have run (``day_verdict``).
    steps.append(verdict_asset(spec, partitions_def=partitions_def, group=group, kinds=kinds))
    return steps
