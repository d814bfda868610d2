"""A new integration built from the kit and the system sides alone: JD Edwards
suppliers -> Coupa suppliers as a sixth package would write it, against the JDE and Coupa simulators.

What is specific to the pair is all there is here: the pandera model of a writable record, a pure mapper
from the JDE side's ``JdeSupplier`` to the Coupa side's supplier body, and one ``ROUTE.flow`` line. Reading
JDE (``connector_assets.jde.documents``), writing Coupa (``connector_assets.coupa.targets``), the mapped /
check / written steps, the ledger, adoption and the retry queue come from the kit. README "Adding an
integration" walks the same steps.
"""

# No ``from __future__ import annotations``: pandera reads the model's annotations as real types.
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from asset_runs import metadata_by_asset
from dagster import materialize
from instances import instance_for_test
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world

from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import FLOW_SPECS, Mapped, Rejected
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.targets import FlowRoute
from connector_assets.jde.assets import jde_assets, jde_partitions
from connector_assets.jde.documents import JdeSupplier, changed_suppliers, suppliers_by_number
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS

INTEGRATION = "toy"
ROUTE = FlowRoute(INTEGRATION, source_system="JDE", target_system="coupa")
DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day


@lazy_model
def ToySupplier() -> type:
    """A Coupa supplier this toy writes: its JDE number and a name Coupa accepts."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ToySupplier(pa.DataFrameModel):
        number: Series[str] = pa.Field(str_matches=r"^\d{1,8}$")
        name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 100})

        class Config:
            strict = True
            coerce = True

    return ToySupplier


def to_coupa(supplier: JdeSupplier) -> Mapped | Rejected:
    """Pure: one JDE supplier -> a Coupa supplier body and its natural key, or why not."""
    key, book = str(supplier.number), supplier.address
    if book is None:
        return Rejected(key, f"supplier {key}: no address book record (F0101)")
    name = (book.get("ALPH") or "").strip()
    return Mapped(
        source_key=key,
        body={"name": name, "number": key, "status": "active"},
        fields={"number": key, "name": name},
        natural_key={"number": key, "tax_id": None, "name": name},
    )


def map_suppliers(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    for supplier in changed_suppliers(context.resources.staging, context.resources.jde, partition, set()):
        yield to_coupa(supplier)


def remap_suppliers(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    for supplier in suppliers_by_number(context.resources.jde, {int(k) for k in keys if k.isdigit()}):
        yield to_coupa(supplier)


@pytest.fixture
def toy_assets():
    flow = ROUTE.flow("suppliers", "supplier", ToySupplier, map_suppliers, remap_suppliers, CoupaSuppliers)
    steps = build_flow_assets(
        flow,
        partitions_def=jde_partitions,
        upstream=[SUPPLIERS.asset, ADDRESS_BOOK.asset],
        resource_keys={"jde", "coupa"},
        kinds={"jde", "coupa"},
    )
    sources = [a for a in jde_assets if a.key in (SUPPLIERS.asset, ADDRESS_BOOK.asset)]
    yield [*sources, *steps]
    FLOW_SPECS.pop(flow.flow)  # a test's flow, not the project's


def _run(world, assets) -> dict:
    with instance_for_test() as instance:
        result = materialize(assets, resources=world.resources, instance=instance, partition_key=DAY)
    assert result.success
    return metadata_by_asset(result)["toy/suppliers_written"]


def test_a_toy_integration_from_the_kit_writes_each_supplier_once(tmp_path, toy_assets):
    with jde_coupa_world(tmp_path) as world:
        before = coupa_supplier_numbers(world.coupa_url)
        first = _run(world, toy_assets)
        written = first["create"].value + first["adopt"].value
        staged = list(world.resources["staging"].read_rows(SUPPLIERS.asset, DAY))
        assert written == len(staged) > 0 and first["fail"].value == 0
        after = coupa_supplier_numbers(world.coupa_url)
        for row in staged:
            assert after[str(row["AN8"])] == max(1, before[str(row["AN8"])])  # one, or the seeded one adopted
            [xref] = [x for x in world.ledger.xrefs_for(str(row["AN8"])) if x.integration == INTEGRATION]
            assert xref.target_id

        again = _run(world, toy_assets[2:])  # the mapped and written steps over the staged day
        assert again["skip"].value == len(staged) and again["create"].value == 0
        assert coupa_supplier_numbers(world.coupa_url) == after
