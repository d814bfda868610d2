"""Two JD Edwards -> BILL instances side by side in one deployment: JDE company 00001 to BILL organization 1
(``jde_bill``, the deployment's BILL connection) and company 00200 to organization 2 (``jde_bill_west``, a
connection of its own), each with its own mapping tables and schedule, loaded from a defs folder by
Dagster's own ``load_from_defs_folder``, run on the JDE simulator and a BILL simulator holding both
organizations. Each instance writes its own company's bills (and the vendors they need) once, into its own
organization, through the ``bill`` resource the run's owner chooses; keys, jobs, pools and ledger rows apart;
``ml-connector ping`` checks each organization.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from asset_runs import metadata_values
from dg_projects import importable, run_job, run_resources, scaffolded_project, side_by_side
from flow_proofs import ledger_xrefs
from instances import instance_for_test
from jde_bill_sandbox_tables import ORG_2
from jde_bill_world import INTEGRATION_WORLD, BillClerk, jde_bill_world
from two_orgs import bill_in, with_two_organizations

from connector_resources.core_pings import register_core_pings
from connector_resources.flow_pings import register_instance_pings
from connector_resources.ping import run_pings

pytestmark = pytest.mark.timeout(900)  # two instances' flows on a busy day: load 15 too

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"
BILL = "connector_assets.components.JdeBill"


def _tables(prefix: str) -> str:
    """An instance's mapping tables, named (the sandbox's are refused once BILL is not the default
    sandbox address, as a real organization's would be): its own accounts and departments, shared terms."""
    return (
        f"  account_map: {MAPPINGS / f'{prefix}_accounts.csv'}\n"
        f"  department_map: {MAPPINGS / f'{prefix}_departments.csv'}\n"
        f"  payment_terms_map: {MAPPINGS / 'jde_bill_payment_terms.csv'}\n"
    )


INSTANCES = side_by_side(
    BILL,
    "jde_bill",
    "jde_bill_west",
    attributes=f"  companies: '00001'\n{_tables('jde_bill')}",
    second_attributes=f"  companies: '00200'\n  bills_cron: '40 * * * *'\n{_tables('jde_bill_west')}",
    connections={"bill": {"organization_id": ORG_2}},
)
COMPANY = {"jde_bill": "00001", "jde_bill_west": "00200"}
ORGS = {"jde_bill": "00801SANDBOXORG00001", "jde_bill_west": ORG_2}


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (BILL with both organizations), and the two-instance deployment loaded from its defs
    folder, the deployment's BILL connection pointing at the simulator."""
    bill = with_two_organizations(INTEGRATION_WORLD.simulators["bill"]())
    project, _root = scaffolded_project(tmp_path, INSTANCES)
    with (
        importable(project),
        jde_bill_world(tmp_path, bill=bill) as world,
        instance_for_test() as instance,
    ):
        monkeypatch.setenv("ML_BILL_URL", world.bill_url)
        loaded = dg.load_from_defs_folder(path_within_project=project)
        yield world, loaded, instance


def test_two_instances_write_their_own_company_into_their_own_organization_once(deployment):
    world, loaded, instance = deployment
    graph = loaded.resolve_asset_graph()
    # The deployment's ``bill`` resource is chosen per run; the world gives JDE, staging and the ledger.
    resources = run_resources(loaded, world.resources, "bill")

    # Apart in Dagster: each instance's jobs, schedule crons and BILL pool; west's own BILL entities.
    assert loaded.get_schedule_def("jde_bill_west_bills_schedule").cron_schedule == "40 * * * *"
    assert loaded.get_schedule_def("jde_bill_bills_schedule").cron_schedule == "20 * * * *"
    pools = {name: graph.get(dg.AssetKey([name, "bills_written"])).pools for name in COMPANY}
    assert pools == {"jde_bill": {"bill_00801SANDBOXORG00001"}, "jde_bill_west": {f"bill_{ORG_2}"}}
    west_keys = [k.path[1] for k in graph.get_all_asset_keys() if k.path[0] == "jde_bill_west"]
    assert {"bill_chart_of_accounts", "bill_departments", "bill_payments", "payments_written"} <= set(
        west_keys
    )
    # West's sensor reads the inbox of its own receiver endpoint, /webhooks/jde_bill_west_bill.
    assert "jde_bill_west_inbox_sensor" in {s.name for s in loaded.sensors or ()}

    # ``ml-connector ping`` checks west's own organization apart from the deployment's.
    register_core_pings()
    assert register_instance_pings(COMPANY) == ["bill@jde_bill_west"]
    [own, deployments] = run_pings(["bill@jde_bill_west", "bill"])
    assert own.ok and "jde_bill_west's own connection: BILL" in own.detail and ORG_2 in own.detail, own
    assert deployments.ok and ORGS["jde_bill"] in deployments.detail and ORG_2 not in deployments.detail

    orgs = {name: bill_in(world.bill_url, org) for name, org in ORGS.items()}
    seeded = {name: _ids(org, "bills") for name, org in orgs.items()}

    def bills_job(name: str) -> dict:
        """The instance's bills job for the day, as its schedule runs it: its JDE documents, its BILL
        classifications and mapping tables refreshed, its bills (and the vendors they need) written."""
        result = run_job(loaded, f"{name}_bills", world.day, instance=instance, resources=resources)
        queued = [(i.source_key, i.reason) for i in world.ledger.open_items(integration=name)]
        return {**metadata_values(result)[f"{name}/bills_written"], "queued": queued}

    world.run_whole("jde/gl_accounts")  # JD Edwards' accounts, on their own schedule, once for both
    for name in COMPANY:
        written = bills_job(name)
        assert written["create"] > 0 and not written["queued"], written

    for name, org in orgs.items():
        bills = ledger_xrefs(world.ledger, name, "bill", "bill")
        vendors = ledger_xrefs(world.ledger, name, "vendor", "bill")
        # Its own company only, every record recorded, each in its own organization and not the other's.
        assert bills and {key.split(":")[1] for key in bills} == {COMPANY[name]}, sorted(bills)[:5]
        assert all(bills.values()) and vendors and all(vendors.values())
        made = {i: b for i, b in _all(org, "bills").items() if i not in seeded[name]}
        assert set(made) == set(bills.values())  # each written once: no bill of ours outside the ledger
        keys = Counter((b["vendorId"], b["invoice"]["invoiceNumber"]) for b in made.values())
        assert max(keys.values()) == 1
        assert set(vendors.values()) <= _ids(org, "vendors")
        other = orgs["jde_bill_west" if name == "jde_bill" else "jde_bill"]
        assert not set(bills.values()) & _ids(other, "bills")

    # Each instance's second run finds everything written: nothing sent twice, in either organization.
    for name in COMPANY:
        again = bills_job(name)
        assert again["create"] == again["update"] == 0 and not again["queued"], again

    # West's payments back into JD Edwards, read by polling its own organization: one of its voucher
    # bills paid there is recorded once in JDE, by west alone.
    bills = ledger_xrefs(world.ledger, "jde_bill_west", "bill", "bill")
    voucher_bill = next(bill_id for key, bill_id in sorted(bills.items()) if key.startswith("PV:"))
    clerk = BillClerk(world.bill_url, ORG_2)
    clerk.cancel_scheduled()  # so the payment that clears is ours
    bill = clerk.call("GET", f"bills/{voucher_bill}")
    payment = clerk.pay(bill, bill["amount"])
    today = datetime.now(UTC).date().isoformat()

    def payments_job(name: str) -> dict:
        result = run_job(loaded, f"{name}_payments", today, instance=instance, resources=resources)
        return metadata_values(result)[f"{name}/payments_written"]

    assert payments_job("jde_bill_west")["create"] >= 1
    [recorded] = world.jde_payments(payment)
    assert ledger_xrefs(world.ledger, "jde_bill_west", "payment", "JDE").get(f"{payment}:{voucher_bill}")
    assert not [k for k in ledger_xrefs(world.ledger, "jde_bill", "payment", "JDE") if payment in k]
    assert payments_job("jde_bill_west")["create"] == 0  # again: nothing posted twice
    assert len(world.jde_payments(payment)) == 1

    # A run launched from the asset graph with west's assets and jde_bill's is refused: one of the two
    # would reach the other's organization.
    picked = {dg.AssetKey(["jde_bill_west", "bill_departments"]), dg.AssetKey(["bill", "departments"])}
    assets = [a for a in loaded.assets or () if isinstance(a, dg.AssetsDefinition) and set(a.keys) & picked]
    mixed = dg.materialize(
        assets,
        selection=list(picked),
        resources={**resources, "bill": loaded.resources["bill"]},
        instance=instance,
        raise_on_error=False,
    )
    assert not mixed.success
    said = " ".join(str(e.event_specific_data.error) for e in mixed.all_events if e.is_run_failure)
    assert "jde_bill_west, bill, which reach the system through different connections" in said, said


def _all(bill, entity: str) -> dict[str, dict]:
    with bill.session() as session:
        return {str(r["id"]): r for r in session.iter_all(entity)}


def _ids(bill, entity: str) -> set[str]:
    return set(_all(bill, entity))
