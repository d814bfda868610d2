"""Every asset says what it is (``connector_assets.runtime.asset_metadata``): a description, its
kinds, a column schema for staged source assets, mapping tables and mapped assets, owners from
``ML_ASSET_OWNERS``, and a row count in its materializations.

Held against the real definitions, so an asset added without them fails here; the mapped assets' columns
(read from the pandera models without building them, ``flows.model_columns``) are compared with the
built models; one toy flow materializes to show the row count landing in the event metadata.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace
from typing import Any

import dagster as dg
import pandera.pandas as pa
import pytest
from bare_flows import bare_spec
from dagster import AssetKey, TableSchema, materialize
from instances import instance_for_test
from pandera.typing import Series

import connector_assets.definitions as definitions
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.model_columns import built_columns, model_columns
from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.jde.tables import JDE_TABLES
from connector_assets.project_tree import PROJECT
from connector_assets.runtime.asset_metadata import COLUMN_SCHEMA, ROW_COUNT, asset_owners
from connector_assets.runtime.staging import StagingResource
from connector_assets.saas.assets import SAAS_ENTITIES
from connector_assets.saas.entities import SAAS_COLUMNS
from connector_resources.ledger import LedgerResource
from connector_resources.settings import SettingError

GRAPH = definitions.defs.get_repository_def().asset_graph
NODES = {key.to_user_string(): GRAPH.get(key) for key in GRAPH.get_all_asset_keys()}
MAPPED = sorted(name for name in NODES if name.endswith("_mapped"))
STAGED = {
    **{spec.asset.to_user_string(): [c.name for c in spec.columns] for spec in JDE_TABLES},
    **{spec.asset.to_user_string(): [c.name for c in SAAS_COLUMNS] for spec in SAAS_ENTITIES},
}


def _schema(name: str) -> TableSchema:
    schema = NODES[name].metadata.get(COLUMN_SCHEMA)
    assert isinstance(schema, TableSchema), f"{name} has no {COLUMN_SCHEMA}"
    return schema


@pytest.mark.parametrize("name", sorted(NODES))
def test_every_asset_has_a_description_and_a_kind(name):
    node = NODES[name]
    assert (node.description or "").strip(), f"{name} has no description"
    assert 1 <= len(node.kinds) <= 3, f"{name} kinds {sorted(node.kinds)}"


def test_staged_source_assets_show_their_staged_columns():
    assert set(STAGED) <= set(NODES)
    for name, columns in STAGED.items():
        assert [c.name for c in _schema(name).columns] == columns, name


def test_source_descriptions_name_the_table_or_the_endpoint():
    for spec in JDE_TABLES:
        assert f"JDE {spec.table}" in (NODES[spec.asset.to_user_string()].description or ""), spec.asset
    for spec in SAAS_ENTITIES:
        assert " GET /" in (NODES[spec.asset.to_user_string()].description or ""), spec.asset
    assert "Procurify GET /api/v3/vendors/" in (NODES["procurify/vendors"].description or "")


def test_mapping_tables_show_their_two_columns():
    tables = [name for name, node in NODES.items() if "csv" in node.kinds]
    assert tables
    for name in tables:
        assert len(_schema(name).columns) == 2, name


def test_mapped_assets_show_their_pandera_model_as_built():
    """The columns read without pandera equal those of the built model: name, dtype, nullable, order."""
    specs = {spec.key("mapped").to_user_string(): spec for spec in definitions.DEPLOYMENT.specs.values()}
    assert MAPPED and set(MAPPED) <= set(specs)
    for name in MAPPED:
        shown = [(c.name, c.type, c.constraints.nullable) for c in _schema(name).columns]
        built = [(c.name, c.dtype, c.nullable) for c in built_columns(specs[name].schema.model)]
        assert shown == built, name
        assert len(model_columns(specs[name].schema)) == len(built)


def test_no_owners_by_default():
    assert asset_owners({}) == ()
    assert all(not node.owners for node in NODES.values())


def test_owners_come_from_the_setting(monkeypatch):
    owners = "ap-data@acme.com, team:finance-data"
    monkeypatch.setenv("ML_ASSET_OWNERS", owners)
    # A process loads the defs folder once (``project_tree``): a new process's load is a tree of its own.
    graph = dg.ComponentTree.for_project(PROJECT).build_defs().get_repository_def().asset_graph
    assert {tuple(graph.get(key).owners) for key in graph.get_all_asset_keys()} == {
        ("ap-data@acme.com", "team:finance-data")
    }


@pytest.mark.parametrize("value", ["ap-data", "team:", "ap@acme.com; team:x"])
def test_an_owner_dagster_would_refuse_is_refused_naming_the_setting(value):
    with pytest.raises(SettingError, match="ML_ASSET_OWNERS"):
        asset_owners({"ML_ASSET_OWNERS": value})


# -- the row count, through Dagster ---------------------------------------------------------------------


class ThingRecord(pa.DataFrameModel):
    name: Series[str] = pa.Field(str_length={"min_value": 1})


class Target:
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def find(self, record: Mapped) -> str | None:
        return None

    def create(self, record: Mapped) -> str:
        self.rows[f"T-{record.source_key}"] = record.natural_key["name"]
        return f"T-{record.source_key}"

    def update(self, target_id: str, record: Mapped) -> None:
        self.rows[target_id] = record.natural_key["name"]


def _things(context: Any, partition: str | None):
    for key in ("A", "B", "C"):
        yield Mapped(key, {"name": key}, {"name": key}, {"name": key})
    yield Mapped("D", {"name": ""}, {"name": ""}, {"name": ""})  # refused by the model: not staged


SPEC = replace(
    bare_spec("asset_metadata_test", "things", "thing", "SRC", "tgt", ThingRecord),
    map_records=_things,
    open_target=lambda context: nullcontext(Target()),
)
# A declared table variable, so the settings know it (the test points it at its own file).
TABLE = MappingTable(
    AssetKey(["test", "thing_map"]),
    "ML_JDE_COUPA_PAYMENT_TERMS_MAP",
    "code",
    "account",
    "Thing code -> account.",
)


def test_row_counts_land_in_the_materializations(sqlite_url, tmp_path, monkeypatch):
    from connector_assets.flows.mapping_tables import build_mapping_table_asset

    table_file = tmp_path / "things.csv"
    table_file.write_text("code,account\nC1,6000\nC2,6100\n")
    monkeypatch.setenv(TABLE.variable, str(table_file))
    mapped, written, _target, _verdict = build_flow_assets(
        SPEC, partitions_def=None, upstream=[], resource_keys=set(), kinds={"test"}
    )
    assert [c.name for c in mapped.specs_by_key[mapped.key].metadata[COLUMN_SCHEMA].columns] == ["name"]
    resources = {
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=sqlite_url),
        "target_boundary": UNWRAPPED,
    }
    with instance_for_test() as instance:
        result = materialize(
            [mapped, written, build_mapping_table_asset(TABLE, group="test")],
            resources=resources,
            instance=instance,
        )
    counts = {
        event.asset_key: event.materialization.metadata[ROW_COUNT].value
        for event in result.get_asset_materialization_events()
    }
    assert counts == {
        SPEC.key("mapped"): 3,  # the valid records staged for the write
        SPEC.key("written"): 3,  # the records the target holds
        TABLE.asset: 2,  # the table's pairs
    }
