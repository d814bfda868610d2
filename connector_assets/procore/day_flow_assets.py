"""The assets of a flow whose mapped step reads Procore's staged entities of a UTC day
(``saas_daily_partitions``, ``updated_at`` in UTC): the kit's mapped / check / written assets, in the
integration's group, run with the Procore resource and the other system's. Used by Procore -> JD Edwards
(vendors, purchase orders, vouchers, change orders).
"""

from collections.abc import Iterable
from typing import Any

from dagster import AssetKey

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec
from connector_assets.saas import saas_daily_partitions


def procore_day_flow_assets(spec: FlowSpec, upstream: Iterable[AssetKey], other_system: str) -> list[Any]:
    """``spec``'s assets, partitioned by UTC day, after ``upstream`` (what its step reads, and the write
    that must come first in one run)."""
    return build_flow_assets(
        spec, partitions_def=saas_daily_partitions(), upstream=list(upstream),
        resource_keys={other_system, "procore"}, group=spec.integration, kinds={"procore", other_system},
    )  # fmt: skip
