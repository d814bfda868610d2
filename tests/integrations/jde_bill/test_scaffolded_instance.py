"""A second JD Edwards -> BILL instance as a data team adds one: ``dg scaffold defs`` writes it (named after
its folder, on placeholders of a BILL organization of its own, every setting listed at its default), ``dg
check defs`` and ``dg list defs`` load it as it is; its placeholders filled for the simulator's second
organization and its company and mapping tables decided on the lines it lists (each table named: the
sandbox's are refused off the default sandbox address), its bills job writes its company's bills into that
organization, logged in with the secrets its ``env:`` placeholders name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import dagster as dg
import pytest
from asset_runs import metadata_values
from dg_projects import importable, run_dg, run_job, run_resources, scaffolded_project
from flow_proofs import ledger_xrefs
from instances import instance_for_test
from jde_bill_sandbox_tables import ORG_2
from jde_bill_world import INTEGRATION_WORLD, jde_bill_world
from sandbox_logins import LOGINS
from two_orgs import bill_in, with_two_organizations

from connector_resources.bill import BillResource

pytestmark = pytest.mark.timeout(600)  # dg commands start Python processes: load 15 too

BILL = "connector_assets.components.JdeBill"
MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"


def _decided(text: str, values: dict[str, str]) -> str:
    """``text`` with each listed line ``<attribute>: <placeholder>  # ...`` or ``# <attribute>: <default>
    # ...`` set to its value."""
    for attribute, value in values.items():
        line = re.compile(rf"^(\s*)(?:# )?{attribute}: .*$", re.MULTILINE)
        text, found = line.subn(rf"\g<1>{attribute}: {json.dumps(value)}", text, count=1)
        assert found == 1, f"{attribute} is not listed: {text}"
    return text


def test_a_scaffolded_second_instance_loads_as_it_is_and_writes_into_its_own_organization(
    tmp_path, monkeypatch
):
    project, root = scaffolded_project(tmp_path)
    for folder in ("jde_bill", "jde_bill_west"):
        run_dg(project, "scaffold", "defs", BILL, folder)
    west = project / root / "defs" / "jde_bill_west" / "defs.yaml"
    scaffolded = west.read_text()
    assert "\n  name: jde_bill_west" in scaffolded
    assert '\n      organization_id: "SET_JDE_BILL_WEST_ORGANIZATION_ID"' in scaffolded  # reaches none yet
    assert "\n      password: env:JDE_BILL_WEST_BILL_PASSWORD" in scaffolded
    assert "\n      dev_key: env:JDE_BILL_WEST_BILL_DEV_KEY" in scaffolded
    run_dg(project, "check", "defs")  # as it is: no second jde_bill, not on the first's connection
    listed = run_dg(project, "list", "defs").stdout
    assert "jde_bill_west_bills" in listed and "jde_bill_bills" in listed

    west.write_text(
        _decided(
            scaffolded,
            {
                "organization_id": ORG_2,
                "companies": "00200",
                "account_map": str(MAPPINGS / "jde_bill_west_accounts.csv"),
                "department_map": str(MAPPINGS / "jde_bill_west_departments.csv"),
                "payment_terms_map": str(MAPPINGS / "jde_bill_payment_terms.csv"),
            },
        )
    )
    run_dg(project, "check", "defs")
    login = LOGINS[BillResource]
    monkeypatch.setenv("JDE_BILL_WEST_BILL_PASSWORD", login["password"])
    monkeypatch.setenv("JDE_BILL_WEST_BILL_DEV_KEY", login["dev_key"])

    bill = with_two_organizations(INTEGRATION_WORLD.simulators["bill"]())
    with (
        importable(project),
        jde_bill_world(tmp_path, bill=bill) as world,
        instance_for_test() as instance,
    ):
        monkeypatch.setenv("ML_BILL_URL", world.bill_url)  # both instances' BILL: the simulator
        loaded = dg.load_from_defs_folder(path_within_project=project)
        world.run_whole("jde/gl_accounts")
        resources = run_resources(loaded, world.resources, "bill")
        result = run_job(loaded, "jde_bill_west_bills", world.day, instance=instance, resources=resources)
        written = metadata_values(result)["jde_bill_west/bills_written"]
        assert written["create"] > 0 and not world.ledger.open_items(integration="jde_bill_west"), written
        bills = ledger_xrefs(world.ledger, "jde_bill_west", "bill", "bill")
        assert bills and {key.split(":")[1] for key in bills} == {"00200"}, sorted(bills)[:5]
        with bill_in(world.bill_url, ORG_2).session() as session:
            in_west = {str(record["id"]) for record in session.iter_all("bills")}
        assert set(bills.values()) <= in_west
