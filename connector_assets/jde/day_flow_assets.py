"""The assets of a flow whose mapped step reads JD Edwards' staged tables of a JDE day (``jde_partitions``,
``ML_JDE_TIMEZONE``): the kit's mapped / check / written assets, in the integration's group, run with the
JDE resource and the other system's. Used by Procore -> JD Edwards (JDE supplier changes -> Procore
vendors); any JDE-sourced flow is declared the same way.
"""

from collections.abc import Iterable
from typing import Any

from dagster import AssetKey

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec
from connector_assets.jde.assets import jde_partitions


def jde_day_flow_assets(spec: FlowSpec, upstream: Iterable[AssetKey], other_system: str) -> list[Any]:
    """``spec``'s assets, partitioned by JDE day, after ``upstream`` (the staged tables its step reads)."""
    return build_flow_assets(
        spec, partitions_def=jde_partitions, upstream=list(upstream), resource_keys={"jde", other_system},
        group=spec.integration, kinds={"jde", other_system},
    )  # fmt: skip
