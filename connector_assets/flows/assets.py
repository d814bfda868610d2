"""Dagster assets for a ``FlowSpec``: ``<flow>_mapped`` (with its blocking check) and ``<flow>_written``
(with its check on the day's failed and long-held records).

A backfill runs them once over its range, with the source reads (``flow_backfill_policy``): one process,
one login per system. Each day keeps its own truth (``range_days``): its figures, its check result, and a
materialization only if it was written, so a day that fails fails alone and a rerun from failure takes
exactly the failed days.

The steps live in their own modules: ``mapped_step`` (map, validate, stage; its blocking check),
``written_step`` (write through the ledger; its check), ``target_asset`` (the target's records),
``backfill_policy``, ``flow_run`` (what a step reads of its run) and ``write_pools``. Their names are
re-exported here, where flows, the CLI and tests import them.
"""

from collections.abc import Sequence

from dagster import AssetKey, AssetsDefinition, AssetSpec, PartitionsDefinition

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.flow_run import awaited_keys, run_lease, run_partitions, runs_ended_in, tag_run
from connector_assets.flows.mapped_step import CHECK, MAPPED_COLUMNS, MappedDay, mapped_asset
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
    upstream: Sequence[AssetKey],
    resource_keys: set[str],
    group: str,
    kinds: set[str],
) -> list[AssetsDefinition | AssetSpec]:
    if group != spec.integration:  # the flow's keys are in its integration's group (``FlowSpec.key``)
        raise ValueError(f"{spec.flow}: its assets belong to group {spec.integration}, not {group}")
    mapped = mapped_asset(
        spec,
        partitions_def=partitions_def,
        upstream=upstream,
        resource_keys=resource_keys,
        group=group,
        kinds=kinds,
    )
    written = written_asset(
        spec, partitions_def=partitions_def, resource_keys=resource_keys, group=group, kinds=kinds
    )
    return [mapped, written, target_asset(spec, partitions_def, group)]
