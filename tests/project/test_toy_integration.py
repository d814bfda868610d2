"""A new integration between existing systems is its folder: the test writes a toy package (JD Edwards
suppliers -> Coupa suppliers) into a project of its own in a temporary folder, Dagster's defs-folder
loader finds its component there, a ``Deployment`` of it runs its job against the JDE and Coupa
simulators, and the folder is removed. Nothing outside that folder is written or edited: no list of
integrations, no registry, no file of the project.

What the package holds is what docs/development.md ("Adding an integration") walks through: its
``__init__`` (a docstring), a flow module (the pandera model of a writable record, a pure mapper from the
JDE side's ``JdeSupplier`` to the Coupa side's supplier body, the flow's spec, assets and replay, made for
an instance) and ``wiring.py`` (``build``: its parts for an instance), beside the project's component type
made from the package (``integration_type``) and the instance's ``defs.yaml``. Reading JDE, writing Coupa,
the mapped / check / written steps, the ledger, adoption and the retry queue come from the kit and the
system sides. A real package adds its jobs module (``flows.jobs.FlowJobs``: schedules at its
``settings.toml`` cron settings); the toy's one job is run by hand, so it needs no setting."""

# No ``from __future__ import annotations``: pandera reads the model's annotations as real types.
import importlib
import sys
import textwrap
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from asset_runs import metadata_by_asset
from instances import instance_for_test
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world

from connector_assets.deployment import Deployment, integration_components
from connector_assets.flows.assembly import IntegrationParts
from connector_assets.jde.tables import SUPPLIERS

INTEGRATION = "toy"
DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day

PYPROJECT = """\
[tool.dg]
directory_type = "project"

[tool.dg.project]
root_module = "{root}"
defs_module = "{root}.defs"
"""

FLOW_MODULE = '''\
"""JD Edwards suppliers -> Coupa suppliers: the record Coupa accepts, the pure mapper, the flow."""

# No ``from __future__ import annotations``: pandera reads the model's annotations as real types.
from collections.abc import Iterator
from typing import Any

from connector_assets.coupa.targets import CoupaSuppliers
from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.instance import Instance
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replays import Replay
from connector_assets.flows.targets import FlowRoute
from connector_assets.jde.assets import jde_partitions
from connector_assets.jde.documents import JdeSupplier, changed_suppliers, suppliers_by_number
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS

@lazy_model
def ToySupplier() -> type:
    """A Coupa supplier this toy writes: its JDE number and a name Coupa accepts."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class ToySupplier(pa.DataFrameModel):
        number: Series[str] = pa.Field(str_matches=r"^\\d{1,8}$")
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


def suppliers_flow(it: Instance) -> Flow:
    """The instance's suppliers flow: its spec, its assets in the instance's group, its replay."""
    route = FlowRoute(it.instance, source_system="JDE", target_system="coupa")
    spec = route.flow("suppliers", "supplier", ToySupplier, map_suppliers, remap_suppliers, CoupaSuppliers)
    upstream = [SUPPLIERS.asset, ADDRESS_BOOK.asset]
    assets = build_flow_assets(spec, partitions_def=jde_partitions, upstream=upstream)
    return Flow(spec, assets, replay=Replay(CoupaSuppliers.for_replay))
'''

WIRING = '''\
"""What the toy puts into Dagster for an instance: its one flow and the job running it (the JDE tables it
reads, then its own steps)."""

import dagster as dg

from connector_assets.flows.assembly import IntegrationParts
from connector_assets.flows.instance import Instance
from connector_assets.jde.tables import ADDRESS_BOOK, SUPPLIERS

from {package} import suppliers


def build(it: Instance) -> IntegrationParts:
    flow = suppliers.suppliers_flow(it)
    own = (key for a in flow.assets if isinstance(a, dg.AssetsDefinition) for key in a.keys)
    selection = dg.AssetSelection.assets(SUPPLIERS.asset, ADDRESS_BOOK.asset, *own)
    job = dg.define_asset_job(f"{{it.instance}}_suppliers", selection=selection)
    return IntegrationParts(name=it.instance, flows=[flow], jobs=[job])
'''

# The project's component types: the toy's, made from its package as ml-connector makes its own.
COMPONENTS = '''\
"""The toy project's component types."""

from connector_assets.components.integration_type import integration_type

Toy = integration_type("{package}", __name__)
'''


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def toy_project(tmp_path: Path) -> Iterator[Path]:
    """The toy's project in ``tmp_path``, importable for the test, then removed from the interpreter and
    the disk: nothing of it outlives the test."""
    root = f"toy_connector_{uuid.uuid4().hex[:8]}"
    project = tmp_path / "toy_project"
    package = f"{root}.integrations.{INTEGRATION}"
    _write(project / "pyproject.toml", PYPROJECT.format(root=root))
    _write(project / root / "__init__.py", '"""A project of one toy integration."""\n')
    _write(project / root / "integrations" / "__init__.py", '"""The toy project\'s integrations."""\n')
    folder = project / root / "integrations" / INTEGRATION
    _write(folder / "__init__.py", '"""JD Edwards suppliers -> Coupa suppliers, as a toy."""\n')
    _write(folder / "suppliers.py", FLOW_MODULE)
    _write(folder / "wiring.py", textwrap.dedent(WIRING).format(package=package))
    _write(project / root / "components.py", COMPONENTS.format(package=package))
    _write(project / root / "defs" / "__init__.py", '"""The toy project\'s instances."""\n')
    _write(project / root / "defs" / INTEGRATION / "defs.yaml", f"type: {root}.components.Toy\n")
    sys.path.insert(0, str(project))
    try:
        yield project
    finally:
        sys.path.remove(str(project))
        for name in [name for name in sys.modules if name == root or name.startswith(f"{root}.")]:
            del sys.modules[name]
        for path in sorted(project.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        project.rmdir()


def test_the_project_finds_the_toy_in_its_folder_and_nowhere_else(toy_project):
    [toy] = integration_components(toy_project)
    assert isinstance(toy, IntegrationParts) and toy.name == INTEGRATION
    assert [spec.flow for spec in toy.specs] == ["toy_suppliers"]
    assert INTEGRATION not in {component.name for component in integration_components()}


def test_a_toy_integration_in_its_own_folder_writes_each_supplier_once(tmp_path, toy_project):
    deployment = Deployment(integration_components(toy_project))
    assert deployment.systems == {"JDE", "coupa"}
    job = deployment.definitions.resolve_job_def("toy_suppliers")
    assert deployment.replays().handler_for(INTEGRATION, "suppliers") is not None
    with jde_coupa_world(tmp_path) as world:

        def run() -> dict:
            with instance_for_test() as instance:
                result = job.execute_in_process(
                    partition_key=DAY, instance=instance, resources=world.resources
                )
            assert result.success
            return metadata_by_asset(result)["toy/suppliers_written"]

        before = coupa_supplier_numbers(world.coupa_url)
        first = run()
        written = first["create"].value + first["adopt"].value
        staged = list(world.resources["staging"].read_rows(SUPPLIERS.asset, DAY))
        assert written == len(staged) > 0 and first["fail"].value == 0
        after = coupa_supplier_numbers(world.coupa_url)
        for row in staged:
            assert after[str(row["AN8"])] == max(1, before[str(row["AN8"])])  # one, or the seeded one adopted
            [xref] = [x for x in world.ledger.xrefs_for(str(row["AN8"])) if x.integration == INTEGRATION]
            assert xref.target_id

        again = run()  # the same day again: every supplier is known, nothing is written twice
        assert again["skip"].value == len(staged) and again["create"].value == 0
        assert coupa_supplier_numbers(world.coupa_url) == after


def test_a_package_keeping_its_own_name_is_refused_as_a_further_instance(toy_project):
    """A toy naming its route "toy" in text, not by its instance: a further instance would run the toy's
    flows again, under the toy's keys."""
    root = next(path.name for path in toy_project.iterdir() if path.name.startswith("toy_connector_"))
    flows = toy_project / root / "integrations" / INTEGRATION / "suppliers.py"
    flows.write_text(flows.read_text().replace("FlowRoute(it.instance,", 'FlowRoute("toy",'))
    toy = importlib.import_module(f"{root}.components").Toy
    with pytest.raises(
        ValueError, match="toy cannot run as a further instance 'toy_two': its flows toy_suppliers"
    ):
        _ = toy(name="toy_two").parts
