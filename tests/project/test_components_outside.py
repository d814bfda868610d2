"""ml-connector in a Dagster project of someone else's: the package's component types as ``dg`` shows them,
an instance scaffolded with ``dg scaffold defs``, checked with ``dg check defs`` (and a wrong attribute
named by file, line and field, a mapping table's missing file by attribute and path), configured in YAML
(the value reaches the schedule), and its flow run against the simulators from definitions Dagster's own
``load_from_defs_folder`` builds.

The project is what Dagster's scaffolding makes (a ``[tool.dg]`` pyproject, a package with a ``defs``
folder and a ``definitions.py`` calling ``load_from_defs_folder``), written to a temporary folder; the
connector is the one installed in this environment, as ``pip install ml-connector`` would leave it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from asset_runs import metadata_by_asset
from dg_projects import importable, run_dg, scaffolded_project
from instances import instance_for_test
from jde_coupa_world import jde_coupa_world

pytestmark = pytest.mark.timeout(600)  # dg commands start Python processes: load 15 too

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day
TYPE = "connector_assets.components.JdeCoupa"


def _one_supplier(world) -> str:
    """A supplier number the JDE sandbox staged for the day."""
    from connector_assets.jde.tables import SUPPLIERS

    return str(next(iter(world.resources["staging"].read_rows(SUPPLIERS.asset, DAY)))["AN8"])


def test_dg_lists_the_component_types_with_their_descriptions(tmp_path):
    project, _ = scaffolded_project(tmp_path)
    listed = run_dg(project, "list", "components").stdout
    for name in (
        "Connector",
        "JdeCoupa",
        "CoupaJde",
        "JdeBill",
        "JdeProcurify",
        "FusionProcurify",
        "ProcoreJde",
    ):
        assert f"connector_assets.components.{name}" in listed
    assert "JD Edwards -> Coupa" in listed


def test_an_instance_scaffolded_checked_configured_and_run_in_an_outside_project(tmp_path):
    project, root = scaffolded_project(tmp_path)
    run_dg(project, "scaffold", "defs", TYPE, "jde_coupa")
    defs = project / root / "defs"
    # The first instance: every setting at its default (the sandbox), each listed for a customer to decide.
    scaffolded = (defs / "jde_coupa" / "defs.yaml").read_text()
    assert scaffolded.startswith(f"type: {TYPE}\n# attributes:\n") and '  # suppliers_cron: "' in scaffolded
    # The first integration brings the connector's shared parts with it.
    assert "connector_assets.components.Connector" in (defs / "connector" / "defs.yaml").read_text()
    run_dg(project, "check", "defs")

    wrong = f"type: {TYPE}\nattributes:\n  suppliers_cron: '7 * * * *'\n  acount_map: accounts.csv\n"
    (defs / "jde_coupa" / "defs.yaml").write_text(wrong)
    refused = run_dg(project, "check", "defs", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "jde_coupa/defs.yaml:4" in said and "acount_map" in said
    # A mapping table's file that is not there: refused now, not at the table's first run.
    (defs / "jde_coupa" / "defs.yaml").write_text(f"type: {TYPE}\nattributes:\n  account_map: accounts.csv\n")
    refused = run_dg(project, "check", "defs", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "attributes.account_map" in said and f"{project / 'accounts.csv'}" in said, said

    (defs / "jde_coupa" / "defs.yaml").write_text(
        f"type: {TYPE}\nattributes:\n  suppliers_cron: '7 * * * *'\n"
    )
    run_dg(project, "check", "defs")
    # A fresh process, as Dagster's code server is: the YAML value is the schedule's cron.
    cron = (
        subprocess.run(
            [
                sys.executable,
                "-c",
                f"from {root}.definitions import defs\n"
                "print(defs().get_schedule_def('jde_coupa_suppliers_schedule').cron_schedule)",
            ],
            cwd=project,
            env={**os.environ, "PYTHONPATH": str(project), "DAGSTER_HOME": str(project)},
            capture_output=True,
            text=True,
            timeout=540,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    assert cron == "7 * * * *"

    with importable(project):  # the YAML's cron is this test's, forgotten after it
        import dagster as dg

        loaded = dg.load_from_defs_folder(path_within_project=project)
        job = loaded.resolve_job_def("jde_coupa_suppliers")
        with jde_coupa_world(tmp_path) as world, instance_for_test() as instance:
            result = job.execute_in_process(partition_key=DAY, instance=instance, resources=world.resources)
            assert result.success
            written = metadata_by_asset(result)["jde_coupa/suppliers_written"]
            assert written["create"].value + written["adopt"].value > 0 and written["fail"].value == 0
            # The run's records are in the ledger, as the desk and ``ml-connector`` read them.
            assert any(x.integration == "jde_coupa" for x in world.ledger.xrefs_for(_one_supplier(world)))
