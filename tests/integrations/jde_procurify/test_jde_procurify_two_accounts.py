"""Two JD Edwards <-> Procurify instances side by side: one JD Edwards and two Procurify accounts
(``jde_procurify`` on the deployment's Procurify connection, ``jde_procurify_two`` on a connection of its
own), loaded from a defs folder by Dagster's own ``load_from_defs_folder`` and run on the JDE simulator and
two Procurify simulators. Each instance's suppliers job writes the day's suppliers once into its own
account, through the ``procurify`` resource its run chooses; a second run writes nothing; ledger rows apart
by instance. The second instance stages Procurify's records it reads (bills, payments, POs, requisition
headers) as its own, from its own account. The two accounts number their vendors alike: each instance's
vendors flow gives a vendor's JDE supplier its own long address prefix, so vendor 78 of one account never
adopts the supplier made for vendor 78 of the other; two instances keeping one prefix are refused as the defs
folder loads, before anything runs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import dagster as dg
import pytest
import requests
from asset_runs import busy_day
from dg_projects import beside_a_second_procurify, run_job, run_resources, two_instances_refused
from flow_proofs import ledger_xrefs
from jde_procurify_world import jde_procurify_world, procurify_resource

pytestmark = pytest.mark.timeout(600)

PROCURIFY = "connector_assets.components.JdeProcurify"
PREFIXES = {"jde_procurify": "PFY", "jde_procurify_two": "PFYB"}  # F0101 ALKY of a supplier made for a vendor
FALLBACK = "  vendor_fallback_email: ap-fallback@acme.example\n"  # so a supplier without e-mail is sent too
# Where each instance's bills flow reads the day's bills.
STAGED_BILLS = {
    "jde_procurify": dg.AssetKey(["procurify", "bills"]),
    "jde_procurify_two": dg.AssetKey(["jde_procurify_two", "procurify_bills"]),
}
OWN = ("procurify_bills", "procurify_payments", "procurify_purchase_orders", "procurify_requisitions")


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (JDE, the deployment's Procurify), a second Procurify account, and the two-instance
    deployment, the second instance's long address prefix ``PFYB``."""
    prefixed = f"  long_address_prefix: {PREFIXES['jde_procurify_two']}\n"
    with (
        jde_procurify_world(tmp_path) as world,
        beside_a_second_procurify(
            tmp_path,
            monkeypatch,
            world.procurify_url,
            PROCURIFY,
            "jde_procurify",
            "jde_procurify_two",
            attributes=FALLBACK,
            second_attributes=f"{FALLBACK}{prefixed}",
        ) as (accounts, instance, project),
    ):
        yield world, accounts, instance, project


def _all(url: str, entity: str) -> dict[str, dict]:
    """Every ``entity`` record of the Procurify account at ``url``, by key, read with the project's client."""
    with procurify_resource(url).session() as session:
        return {str(r.get("id") or r.get("uuid")): r for r in session.iter_all(entity)}


def _uuids(url: str, entity: str) -> set[str]:
    with procurify_resource(url).session() as session:
        return {str(r["uuid"]) for r in session.iter_all(entity)}


def test_two_instances_write_the_days_suppliers_once_each_into_their_own_account(deployment):
    world, accounts, instance, project = deployment
    loaded = dg.load_from_defs_folder(path_within_project=project)
    resources = run_resources(loaded, world.resources, "procurify")

    # The second instance reads Procurify's records from copies of its own; the first, the deployment's.
    graph = loaded.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {f"jde_procurify_two/{name}" for name in OWN} <= keys
    assert not {f"jde_procurify/{name}" for name in OWN} & keys
    upstream = {
        k.to_user_string() for k in graph.get(dg.AssetKey(["jde_procurify_two", "bills_mapped"])).parent_keys
    }
    assert "jde_procurify_two/procurify_bills" in upstream and "procurify/bills" not in upstream

    before = {name: set(_all(url, "vendors")) for name, url in accounts.items()}

    def suppliers_job(name: str) -> None:
        run_job(loaded, f"{name}_suppliers", busy_day(), instance=instance, resources=resources)

    for name in accounts:
        suppliers_job(name)
    made: dict[str, dict[str, str | None]] = {}
    for name, url in accounts.items():
        xrefs = ledger_xrefs(world.ledger, name, "supplier", "procurify")
        assert xrefs and all(xrefs.values()), name
        now = {i: v for i, v in _all(url, "vendors").items() if i not in before[name]}
        # Every vendor the instance recorded is in its own account, made once: none beyond its ledger.
        assert set(now) == set(xrefs.values()), name
        assert max(Counter(v["external_id"] for v in now.values()).values()) == 1
        made[name] = xrefs
    # The same JDE suppliers in both accounts, each instance's rows its own.
    assert set(made["jde_procurify"]) == set(made["jde_procurify_two"])
    for name in accounts:
        assert not world.ledger.open_items(integration=name), name

    # A second run of each finds everything written: nothing sent again to either account.
    counts = {name: len(_all(url, "vendors")) for name, url in accounts.items()}
    for name in accounts:
        suppliers_job(name)
    assert {name: len(_all(url, "vendors")) for name, url in accounts.items()} == counts

    # Each instance stages the day's bills it reads from its own account, through the run's chosen
    # ``procurify``: a bill entered today in one account is in that instance's copy only.
    entered = {}
    for name, url in accounts.items():
        answer = requests.post(f"{url}/sandbox/activity", json={"new_bills": 1}, timeout=60)
        answer.raise_for_status()
        [entered[name]] = answer.json()["bills"]["created"]
    assert entered["jde_procurify"] != entered["jde_procurify_two"]  # two companies' seeded accounts
    today = datetime.now(UTC).date().isoformat()
    chosen = {**resources, "procurify": loaded.resources["procurify"]}
    for name, key in STAGED_BILLS.items():
        [asset] = [a for a in loaded.assets or () if isinstance(a, dg.AssetsDefinition) and key in a.keys]
        assert dg.materialize([asset], partition_key=today, instance=instance, resources=chosen).success
        staged = {
            json.loads(row["record"])["uuid"] for row in world.resources["staging"].read_rows(key, today)
        }
        assert entered[name] in staged and not staged - _uuids(accounts[name], "bills"), name


def test_vendors_made_in_two_accounts_under_one_id_become_two_jde_suppliers(deployment):
    """Procurify numbers each account's vendors from one: a JDE supplier made for one account's vendor is
    never adopted for the other account's vendor of the same id (each instance's long address prefix)."""
    world, accounts, instance, project = deployment
    loaded = dg.load_from_defs_folder(path_within_project=project)
    resources = run_resources(loaded, world.resources, "procurify")
    made = {}
    for name, url in accounts.items():
        answer = requests.post(f"{url}/sandbox/activity", json={"new_vendors": 1}, timeout=60)
        answer.raise_for_status()
        [made[name]] = answer.json()["vendors"]["created"]
    assert made["jde_procurify"] == made["jde_procurify_two"]  # one id, two companies' vendors
    today = datetime.now(UTC).date().isoformat()

    def vendors_job(name: str) -> None:
        run_job(loaded, f"{name}_vendors", today, instance=instance, resources=resources)

    for name in accounts:
        vendors_job(name)
    suppliers = {}
    for name, prefix in PREFIXES.items():
        an8 = ledger_xrefs(world.ledger, name, "vendor", "JDE")[str(made[name])]
        [book] = world.jde_rows("F0101", AN8=int(an8))
        assert book["ALKY"].strip() == f"{prefix}{made[name]}", name
        with procurify_resource(accounts[name]).session() as session:
            assert str(session.get("vendors", made[name])["external_id"]) == an8, name  # the AN8 written back
        suppliers[name] = an8
    assert suppliers["jde_procurify"] != suppliers["jde_procurify_two"]

    # A second run of each sends nothing again: one JDE supplier per vendor.
    count = len(world.jde_rows("F0101"))
    for name in accounts:
        vendors_job(name)
    assert len(world.jde_rows("F0101")) == count


def test_an_own_account_keeping_the_first_instances_long_address_prefix_is_refused_at_load(tmp_path):
    """Refused as Dagster loads the defs folder (no simulator, nothing run), naming both instances'
    ``defs.yaml`` files, the setting, its value and how to set another."""
    said = two_instances_refused(
        tmp_path, PROCURIFY, "jde_procurify", "jde_procurify_two", attributes=FALLBACK
    )
    assert "both keep long_address_prefix 'PFY'" in said, said
    assert "attributes.long_address_prefix" in said and "ML_JDE_PROCURIFY_TWO_LONG_ADDRESS_PREFIX" in said
