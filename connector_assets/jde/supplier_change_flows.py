"""A flow of JD Edwards supplier changes (F0401 / F0101 and the contact tables) to the linked vendors of
another system, declared once for JDE -> Procore and JDE -> Procurify; each gives only its record model,
mappers and target.
"""

from collections.abc import Callable
from typing import Any

from dagster import AssetsDefinition, AssetSpec

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.targets import FlowRoute
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.supplier_details import SUPPLIER_SOURCES, contact_reads


def supplier_changes_flow(
    route: FlowRoute,
    schema: Any,
    map_records: Callable[[Any, str | None], Any],
    remap: Callable[[Any, list[str]], Any],
    target: Callable[[Any], Any],
    **fields: Any,
) -> FlowSpec:
    """``suppliers`` (entity ``supplier``) on ``route``, JDE -> the vendor system: reads JDE's suppliers with
    their contact details (``contact_reads``) and that system's vendors, writes its vendors."""
    vendors = {route.target_system: ("vendors",)}
    return route.flow(
        "suppliers", "supplier", schema, map_records, remap, target,
        reads={"JDE": contact_reads(), **vendors}, writes=vendors, **fields,
    )  # fmt: skip


def supplier_changes_assets(spec: FlowSpec) -> list[AssetsDefinition | AssetSpec]:
    """The flow's assets, partitioned by JDE day, after the staged supplier tables its step reads."""
    return build_flow_assets(spec, partitions_def=jde_partitions, upstream=SUPPLIER_SOURCES)
