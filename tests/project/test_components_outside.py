"""ml-connector in a Dagster project of someone else's: the package's component types as ``dg`` shows them,
an instance scaffolded with ``dg scaffold defs``, checked with ``dg check defs`` (and a wrong attribute
named by file, line and field, a mapping table's missing file by attribute and path), configured in YAML
(the value reaches the schedule), and its flow run against the simulators from definitions Dagster's own
``load_from_defs_folder`` builds. With two JD Edwards -> BILL instances there, ``ml-connector`` run in the
project folder serves both (``ping``, ``fit``, ``replay --dry-run``), and its process, like a code server's,
loads the defs folder once; a load error names the ``defs.yaml`` it came from.

The project is what Dagster's scaffolding makes (a ``[tool.dg]`` pyproject, a package with a ``defs``
folder and a ``definitions.py`` calling ``load_from_defs_folder``), written to a temporary folder; the
connector is the one installed in this environment, as ``pip install ml-connector`` would leave it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from asset_runs import metadata_by_asset
from cryptography.fernet import Fernet
from dg_projects import BIN, importable, run_dg, scaffolded_project, side_by_side
from instances import instance_for_test
from jde_coupa_world import jde_coupa_world
from ledger_entries import queued
from served_sandboxes import served
from tree_loads import loads_in_a_process

from connector_resources.ledger import Ledger
from connector_resources.settings import sandbox_port

pytestmark = pytest.mark.timeout(600)  # dg commands start Python processes: load 15 too

DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's busy day
TYPE = "connector_assets.components.JdeCoupa"
BILL = "connector_assets.components.JdeBill"
WEST_ORG = "00801SANDBOXORG00002"  # BILL's second organization, jde_bill_west's own
TWO_BILLS = side_by_side(
    BILL, "jde_bill", "jde_bill_west", connections={"bill": {"organization_id": WEST_ORG}}
)


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
    # A value the attribute takes but Dagster refuses as the instance builds: its defs.yaml is blamed, not the
    # Connector's (which reads the instances), by Dagster's check as by a command.
    (defs / "jde_coupa" / "defs.yaml").write_text(
        f"type: {TYPE}\nattributes:\n  suppliers_cron: 'every hour'\n"
    )
    refused = run_dg(project, "check", "defs", check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "invalid cron schedule 'every hour'" in said, said
    assert (
        "Error while building definitions for jde_coupa" in said and "definitions for connector" not in said
    )
    pinged = _ml_connector(project, tmp_path, "ping")
    assert pinged.returncode == 1 and "Traceback" not in pinged.stderr, pinged.stderr
    blamed = f"Error: {defs / 'jde_coupa' / 'defs.yaml'}: DagsterInvalidDefinitionError: Found invalid cron"
    assert blamed in pinged.stderr, pinged.stderr

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


@contextmanager
def _two_organizations_world(home: Path) -> Iterator[None]:
    """The JD Edwards simulator and a BILL simulator holding both instances' organizations, served on their
    sandbox ports under a free base (``ML_SANDBOX_PORT_BASE`` set for the block), data under ``home``."""
    from connector_sandbox.bill import BillSandboxSettings, create_app
    from connector_sandbox.bill.settings import DEFAULT_ORGANIZATIONS, Organization
    from connector_sandbox.registry import SANDBOXES
    from connector_sandbox.serve import serve_in_thread

    west = Organization(id=WEST_ORG, name="ML Connector Sandbox Org West")
    with served(["jde_ais"], str(home)):
        spec = SANDBOXES["bill"]
        settings = BillSandboxSettings(
            scale=0.02,
            **dict(spec.world),
            db_path=home / "bill.sqlite",
            organizations=(*DEFAULT_ORGANIZATIONS, west),
        )
        _url, stop = serve_in_thread(create_app(settings), port=sandbox_port("bill"), path=spec.path)
        try:
            yield
        finally:
            stop()


def _ml_connector(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ml-connector <args>`` as its user runs it in ``project`` (the environment's console script, the
    project importable as an installed one is, its own ledger and vault key under ``home``)."""
    env = {k: v for k, v in os.environ.items() if k != "ML_INTEGRATIONS"}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, (str(project), os.environ.get("PYTHONPATH")))),
        DAGSTER_HOME=str(home),
        ML_CONNECTOR_DB_URL=f"sqlite:///{home / 'ledger.sqlite'}",
    )
    return subprocess.run(
        [str(BIN / "ml-connector"), *args], cwd=project, env=env, capture_output=True, text=True, timeout=540
    )


def test_the_command_line_serves_every_instance_of_the_project_it_stands_in(tmp_path, monkeypatch):
    project, _root = scaffolded_project(tmp_path, TWO_BILLS)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())  # the commands' vault
    with _two_organizations_world(home):
        # ping: the deployment's BILL organization for jde_bill, jde_bill_west's own beside it.
        pinged = _ml_connector(project, home, "ping")
        said = pinged.stdout + pinged.stderr
        assert pinged.returncode == 0, said
        assert "bill@jde_bill_west" in said and "jde_bill_vendors" in said and "jde_bill_west_vendors" in said
        alone = _ml_connector(project, home, "ping", "--integration", "jde_bill_west")
        assert alone.returncode == 0 and "bill@jde_bill_west" in alone.stdout, alone.stdout + alone.stderr

        # fit: the further instance previewed over a day, on its own organization; a name neither has is
        # refused naming both.
        out = tmp_path / "fit"
        fitted = _ml_connector(
            project,
            home,
            "fit",
            "--integration",
            "jde_bill_west",
            "--from",
            DAY,
            "--to",
            DAY,
            "--out",
            str(out),
            "--flow",
            "vendors",
        )
        assert fitted.returncode == 0, fitted.stdout + fitted.stderr
        assert "jde_bill_west" in (out / "fit.md").read_text()
        refused = _ml_connector(
            project, home, "fit", "--integration", "jde_coupa", "--from", DAY, "--to", DAY
        )
        assert refused.returncode == 2 and "known: jde_bill, jde_bill_west" in refused.stderr, refused.stderr

    # replay: a failed record of each instance is listed with the handler that would replay it.
    ledger = Ledger(f"sqlite:///{home / 'ledger.sqlite'}")
    for instance in ("jde_bill", "jde_bill_west"):
        queued(ledger, (instance, "bills", "bill"), f"{instance}-1", "BILL answered 503")
    listed = _ml_connector(project, home, "replay", "--dry-run", "--all")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("#")]
    assert [line.split()[1] for line in lines] == ["jde_bill/bills", "jde_bill_west/bills"], listed.stdout
    assert not any("no handler" in line for line in lines), listed.stdout
    west = _ml_connector(project, home, "replay", "--dry-run", "--integration", "jde_bill_west")
    assert west.returncode == 0 and "a replay now would attempt 1 failed record(s)" in west.stdout, (
        west.stderr
    )


def test_a_code_server_its_runs_and_commands_in_the_project_load_its_defs_folder_once(tmp_path):
    project, root = scaffolded_project(tmp_path, TWO_BILLS)
    code = (
        f"from {root}.definitions import defs\n"
        "assert defs().resolve_job_def('jde_bill_west_fit')\n"  # what a code server loads
        "from connector_assets.deployment import Deployment, known_names\n"
        "from connector_cli.records import deployment_replays\n"
        "assert known_names() == ('jde_bill', 'jde_bill_west')\n"
        "assert Deployment.of(['jde_bill_west']).names == ('jde_bill_west',)\n"  # a fit run's deployment
        "assert ('jde_bill_west', 'bills') in deployment_replays().handlers\n"
        "import sys; assert 'connector_assets.integrations.jde_bill_west' not in sys.modules\n"  # built
    )
    counted = loads_in_a_process(code, cwd=project, pythonpath=project, home=tmp_path)
    assert len(counted["trees"]) == 1  # Dagster's loader's, which the deployment took over
    assert sorted(Path(path).name for path in counted["instances"]) == ["jde_bill", "jde_bill_west"]
