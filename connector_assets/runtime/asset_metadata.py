"""What every asset says about itself in the Dagster UI, the same way for every builder: its columns
(``dagster/column_schema``, fixed when the definitions load: staged columns from their specs, a mapped
asset's from its pandera model, ``model_columns``), its row count and its owners (``ML_ASSET_OWNERS``).
"""

from collections.abc import Iterable, Mapping
from typing import Any

from dagster import AssetSpec, Definitions, TableColumn, TableColumnConstraints, TableSchema

from connector_assets.flows.lazy_model import LazyModel
from connector_assets.flows.model_columns import model_columns
from connector_assets.runtime.staging import Column
from connector_resources import settings

COLUMN_SCHEMA = "dagster/column_schema"
ROW_COUNT = "dagster/row_count"
OWNERS_ENV = "ML_ASSET_OWNERS"


def staged_schema(columns: Iterable[Column], described: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``{dagster/column_schema: ...}`` of staged ``columns``; ``described`` gives a column's description."""
    described = described or {}
    return {
        COLUMN_SCHEMA: TableSchema(
            columns=[TableColumn(c.name, c.kind, description=described.get(c.name)) for c in columns]
        )
    }


def model_schema(model: LazyModel | type) -> dict[str, object]:
    """``{dagster/column_schema: ...}`` of the records ``model`` (a flow's pandera model) accepts: each
    column's dtype, whether it may be null and its checks as the description."""
    return {
        COLUMN_SCHEMA: TableSchema(
            columns=[
                TableColumn(
                    c.name,
                    c.dtype,
                    description=c.checks or None,
                    constraints=TableColumnConstraints(nullable=c.nullable),
                )
                for c in model_columns(model)
            ]
        )
    }


def row_count(rows: int) -> dict[str, int]:
    """``{dagster/row_count: rows}``: the records the materialization holds."""
    return {ROW_COUNT: rows}


def asset_owners(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """``ML_ASSET_OWNERS`` as Dagster owners (blank: none)."""
    return tuple(settings.read(OWNERS_ENV, environ))


def with_owners(defs: Definitions, owners: tuple[str, ...] | None = None) -> Definitions:
    """``defs`` with ``owners`` (default ``ML_ASSET_OWNERS``) on every asset; unchanged when there are none,
    so the default costs nothing at load."""
    owners = asset_owners() if owners is None else owners
    if not owners:
        return defs

    def owned(spec: AssetSpec) -> AssetSpec:
        return spec.replace_attributes(owners=list(owners))

    return defs.map_resolved_asset_specs(func=owned)
