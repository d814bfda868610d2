"""The target system's records of a flow (``<flow>_in_<target>``), an asset observed, never materialized,
and the keys of a flow's list that a job can run."""

from collections.abc import Iterable

from dagster import AssetKey, AssetsDefinition, AssetSpec, PartitionsDefinition

from connector_assets.flows.core import FlowSpec


def target_asset_name(spec: FlowSpec) -> AssetKey:
    """``[<integration>, <flow>_in_<target>]``: the flow's records in the target, after ``<flow>_written``."""
    return spec.key(f"in_{spec.target_system.lower()}")


def target_asset(spec: FlowSpec, partitions_def: PartitionsDefinition | None, group: str) -> AssetSpec:
    """The flow's records as they stand in the target, observed by each write step for its day (the
    target owns them). Not the target system's source asset itself (``coupa/invoices``): flows run both
    ways, and that would close a cycle."""
    return AssetSpec(
        target_asset_name(spec),
        deps=[spec.key("written")],
        group_name=group,
        kinds={spec.target_system.lower()},
        partitions_def=partitions_def,
        description=f"{spec.target_system} {spec.entity} records written by {spec.flow} (owned by "
        f"{spec.target_system}; observed by each write step: records of the day held there).",
    )


def executable_keys(assets: Iterable[AssetsDefinition | AssetSpec]) -> list[AssetKey]:
    """The keys a job can run: a flow's list also holds its target (``target_asset``), which only the
    target system changes."""
    return [a.key for a in assets if isinstance(a, AssetsDefinition)]
