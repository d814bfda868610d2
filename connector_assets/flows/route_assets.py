"""A flow's assets where they usually go: the factory's steps (``build_flow_assets``) in the flow's
integration group, of the kinds of its two systems, needing both systems' resources unless told otherwise.

Nearly every flow is declared that way, so an integration names only what is its own: the partitions and
the upstream assets. Used by JDE -> BILL (vendors, bills), JDE -> Coupa and, through ``inbox_flows``, by the
webhook-fed flows.
"""

from collections.abc import Iterable
from typing import Any

from dagster import AssetKey, PartitionsDefinition

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec


def route_flow_assets(
    spec: FlowSpec,
    *,
    partitions_def: PartitionsDefinition,
    upstream: Iterable[AssetKey],
    resource_keys: set[str] | None = None,
) -> list[Any]:
    """``spec``'s mapped, check and written assets after ``upstream``, in ``spec.integration``'s group, of
    the kinds of its source and target systems; ``resource_keys`` default to those two systems too."""
    systems = {spec.source_system.lower(), spec.target_system.lower()}
    return build_flow_assets(
        spec,
        partitions_def=partitions_def,
        upstream=list(upstream),
        resource_keys=systems if resource_keys is None else resource_keys,
        group=spec.integration,
        kinds=systems,
    )
