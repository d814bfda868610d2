"""Two Procore -> JD Edwards instances side by side: two Procore companies into one JD Edwards
(``procore_jde`` on the deployment's Procore connection, ``procore_jde_two`` on a connection of its own to
another simulator's company), loaded from a defs folder by Dagster's own ``load_from_defs_folder`` and run
on the JDE simulator and two Procore simulators. Each instance's purchase orders job stages its own
company's requisitions and commitments and writes the commitments of the day's approved invoices once into
JDE, through the ``procore`` resource its run chooses; a second run writes nothing; ledger rows apart by
instance."""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests
from asset_runs import metadata_values
from dg_projects import importable, run_job, run_resources, scaffolded_project, side_by_side
from flow_proofs import ledger_xrefs
from instances import instance_for_test
from procore_jde_proofs import APPROVED, MASTER
from procore_jde_world import ProcoreClerk, procore_jde_world, procore_settings
from sandbox_logins import LOGINS
from sandbox_world import serve_simulator

from connector_resources.procore import ProcoreResource

pytestmark = pytest.mark.timeout(300)

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"
PROCORE_JDE = "connector_assets.components.ProcoreJde"
PROJECTS = MAPPINGS / "procore_jde_projects.csv"
# The second simulator seeds two companies (ids running on across them, as Procore's ids are global): the
# second instance reads only the second, a company the deployment's simulator does not hold.
SECOND_COMPANY = 4_264_808


def _tables(project_map: Path) -> str:
    """An instance's mapping tables, named (the sandbox's are refused off the default sandbox address)."""
    return f"  project_map: {project_map}\n  cost_code_map: {MAPPINGS / 'procore_jde_cost_codes.csv'}\n"


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (JDE, the deployment's Procore), a second Procore simulator, and the two-instance
    deployment loaded from its defs folder, the deployment's Procore connection pointing at the world's."""
    # The second company's projects are not the first's: every one to the sandbox's default job.
    others = tmp_path / "two_projects.csv"
    others.write_text("procore_project_id,jde_business_unit\n*,M30\n")
    with procore_jde_world(tmp_path) as world, ExitStack() as stack:
        second, stop = serve_simulator("procore", procore_settings(seeded_companies=2))
        stack.callback(stop)
        instances = side_by_side(
            PROCORE_JDE,
            "procore_jde",
            "procore_jde_two",
            attributes=_tables(PROJECTS),
            second_attributes=_tables(others),
            connections={"procore": {"base_url": second, "auth_url": second, "company_id": SECOND_COMPANY}},
        )
        project = stack.enter_context(importable(scaffolded_project(tmp_path, instances)[0]))
        world.instance = stack.enter_context(instance_for_test())
        monkeypatch.setenv("ML_PROCORE_URL", world.procore_url)
        monkeypatch.setenv("ML_PROCORE_AUTH_URL", world.procore_url)
        companies = {
            "procore_jde": (world.procore_url, world.company_id),
            "procore_jde_two": (second, SECOND_COMPANY),
        }
        yield world, companies, world.instance, project


def _records(url: str, table: str, **where: Any) -> list[dict]:
    """Rows the Procore simulator at ``url`` stores, filtered by column equality."""
    answer = requests.get(f"{url}/sandbox/records/{table}", params={"limit": 5000, **where}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


def _approve_one(url: str, company: int) -> dict:
    """A commitment of ``company`` on a permitted project whose latest invoice is open, that invoice
    approved by a project manager (people's work): the commitment."""
    projects = {p["id"] for p in _records(url, "projects", company_id=company) if p["permitted"]}
    latest: dict[int, dict] = {}
    for r in _records(url, "requisitions"):
        if r["deleted_at"] is None and r["number"] > latest.get(r["commitment_id"], {"number": -1})["number"]:
            latest[r["commitment_id"]] = r
    commitment = next(
        c
        for c in _records(url, "commitments", company_id=company)
        if c["deleted_at"] is None
        and c["project_id"] in projects
        and c["requisitions_are_enabled"]
        and c["id"] in latest
        and latest[c["id"]]["status"] not in APPROVED
    )
    clerk = ProcoreClerk(url, company)
    clerk.approve_requisition(commitment["project_id"], latest[commitment["id"]]["id"])
    return commitment


def _link_vendor(url: str, company: int, vendor_id: int, an8: int) -> None:
    """The vendor carries ``origin_id`` ``JDE-V-<an8>``, as an earlier sync of its company left it."""
    logins = {**LOGINS[ProcoreResource], "company_id": str(company)}
    procore = ProcoreResource(base_url=url, auth_url=url, **logins)
    with procore.session() as session:
        session.update_vendor(vendor_id, {"origin_id": f"JDE-V-{an8}", "origin_code": str(an8)})


def test_two_instances_write_their_own_companys_orders_once_into_one_jde(deployment):
    world, companies, instance, project = deployment
    loaded = dg.load_from_defs_folder(path_within_project=project)
    resources = run_resources(loaded, world.resources, "procore")
    graph = loaded.resolve_asset_graph()
    own = {k.path[1] for k in graph.get_all_asset_keys() if k.path[0] == "procore_jde_two"}
    assert {"procore_requisitions", "procore_commitments", "procore_vendors"} <= own
    sensors = {s.name for s in loaded.sensors or ()}
    assert {"procore_jde_inbox_sensor", "procore_jde_two_inbox_sensor"} <= sensors  # each its own inbox's

    approved = {name: _approve_one(url, company) for name, (url, company) in companies.items()}
    # One subcontractor working for both companies: each company's vendor already linked to the same JDE
    # supplier (its origin_id), so both companies' orders name that one supplier.
    an8 = world.jde_rows("F0401")[0]["AN8"]
    for name, (url, company) in companies.items():
        _link_vendor(url, company, approved[name]["vendor_id"], an8)
    world.run_whole(MASTER[0])  # JD Edwards' accounts, on their own schedule, once for both

    def orders_job(name: str) -> dict:
        result = run_job(loaded, f"{name}_purchase_orders", world.day, instance=instance, resources=resources)
        return metadata_values(result)[f"{name}/purchase_orders_written"]

    for name in companies:
        written = orders_job(name)
        queued = [(i.source_key, i.reason) for i in world.ledger.open_items(integration=name)]
        assert written["create"] >= 1, (written, [r for _, r in queued])

    made: dict[str, dict[str, str | None]] = {}
    for name, (url, company) in companies.items():
        xrefs = ledger_xrefs(world.ledger, name, "purchase_order", "JDE")
        assert str(approved[name]["id"]) in xrefs and all(xrefs.values()), (name, xrefs)
        # Its own company's commitments only, each one JDE order found by its reference.
        mine = {str(c["id"]) for c in _records(url, "commitments", company_id=company)}
        assert set(xrefs) <= mine, name
        for commitment_id, order in xrefs.items():
            headers = world.jde_rows("F4301", VR01=f"PC-{commitment_id}")
            assert [f"{h['KCOO']}:{h['DOCO']}:{h['DCTO']}" for h in headers] == [order], commitment_id
        made[name] = xrefs
        # The approved commitment's order names the one supplier both companies' vendors are linked to.
        [header] = world.jde_rows("F4301", VR01=f"PC-{approved[name]['id']}")
        assert int(header["AN8"]) == int(an8), header
    assert not set(made["procore_jde"]) & set(made["procore_jde_two"])
    assert not set(made["procore_jde"].values()) & set(made["procore_jde_two"].values())
    orders = Counter(made["procore_jde"].values()) + Counter(made["procore_jde_two"].values())
    assert max(orders.values()) == 1

    # A second run of each finds everything written: no order sent again.
    headers = len(world.jde_rows("F4301"))
    for name in companies:
        again = orders_job(name)
        assert again["create"] == again["update"] == 0, again
    assert len(world.jde_rows("F4301")) == headers
