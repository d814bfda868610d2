"""Two Oracle Fusion <-> Procurify instances side by side: two Procurify accounts into one Fusion
(``fusion_procurify`` on the deployment's Procurify connection, ``fusion_procurify_two`` on a connection of
its own), loaded from a defs folder by Dagster's own ``load_from_defs_folder`` and run on the Fusion
simulator and two Procurify simulators (two companies, seeded apart). Each instance's account codes job
writes Fusion's accounts once into its own account, through the ``procurify`` resource its run chooses,
reading that account's departments from its own staged copy; a second run writes nothing; ledger rows apart
by instance. An instance on an account of its own whose order prefix makes the deployment's order numbers
is refused before it writes a purchase order."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dg_projects import importable, scaffolded_project, side_by_side
from flow_proofs import ledger_xrefs
from fusion_procurify_world import fusion_procurify_world
from instances import instance_for_test
from sandbox_hands import ProcurifyHands
from sandbox_logins import procurify_resource
from sandbox_world import serve_simulator

from connector_assets.integrations.fusion_procurify.po_numbers import fusion_order_number, prefixes_meet
from connector_sandbox.procurify import ProcurifySandboxSettings

pytestmark = pytest.mark.timeout(600)

FUSION = "connector_assets.components.FusionProcurify"
SECOND_SEED = 20250302  # another company's account: its records are not the deployment's account's
MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"
# Three Fusion accounts as Procurify codes (the sandbox's whole table is 264 codes, a minute of writes
# at the client's pace per account): new in both accounts.
ACCOUNTS = "procurify_account_code,fusion_account\nFUS-60100,60100\nFUS-65000,65000\nFUS-60200,60200\n"
OWN = ("procurify_account_codes", "procurify_departments", "procurify_bills", "procurify_purchase_orders")


@pytest.fixture
def deployment(tmp_path, monkeypatch, request):
    """The world (Fusion, the deployment's Procurify), a second Procurify account, and the two-instance
    deployment; the second instance's order prefix is ``PFYB`` unless the test names another (None: unset)."""
    prefix = getattr(request, "param", "PFYB")
    ordered = f"  order_prefix: {prefix}\n" if prefix else ""
    accounts_csv = tmp_path / "accounts.csv"
    accounts_csv.write_text(ACCOUNTS, encoding="utf-8")
    # Each instance's mapping tables, named (the sandbox's are refused once Procurify is not the default
    # sandbox address, as a real account's would be).
    tables = (
        f"  account_map: {accounts_csv}\n  department_map: {MAPPINGS / 'fusion_procurify_departments.csv'}\n"
    )
    with fusion_procurify_world(tmp_path) as world:
        second, stop = serve_simulator("procurify", ProcurifySandboxSettings(scale=0.05, seed=SECOND_SEED))
        instances = side_by_side(
            FUSION,
            "fusion_procurify",
            "fusion_procurify_two",
            attributes=tables,
            second_attributes=f"{ordered}{tables}",
            connections={"procurify": {"base_url": second}},
        )
        project, _root = scaffolded_project(tmp_path, instances)
        try:
            with importable(project), instance_for_test() as instance:
                monkeypatch.setenv("ML_PROCURIFY_URL", world.procurify_url)
                accounts = {"fusion_procurify": world.procurify_url, "fusion_procurify_two": second}
                loaded = dg.load_from_defs_folder(path_within_project=project)
                yield world, accounts, instance, loaded
        finally:
            stop()


def _codes(url: str) -> dict[str, dict]:
    """Every account code of the Procurify account at ``url``, by id, read with the project's client."""
    with procurify_resource(url).session() as session:
        return {str(r["id"]): r for r in session.iter_all("account_codes")}


def test_two_instances_write_fusions_accounts_once_each_into_their_own_account(deployment):
    world, accounts, instance, loaded = deployment
    assert isinstance(loaded.resources["procurify"], dg.ResourceDefinition)  # chosen per run
    resources = {k: v for k, v in world.resources.items() if k != "procurify"}
    keys = {key.to_user_string() for key in loaded.resolve_asset_graph().get_all_asset_keys()}
    assert {f"fusion_procurify_two/{name}" for name in OWN} <= keys
    assert not {f"fusion_procurify/{name}" for name in OWN} & keys

    before = {name: set(_codes(url)) for name, url in accounts.items()}

    def job(name: str) -> None:
        result = loaded.resolve_job_def(name).execute_in_process(instance=instance, resources=resources)
        assert result.success, [e.message for e in result.all_events if e.is_failure]

    for name in accounts:
        job(f"{name}_account_combinations_refresh")  # Fusion's combinations, on their own schedule
        job(f"{name}_account_codes")
    made = {}
    for name, url in accounts.items():
        xrefs = ledger_xrefs(world.ledger, name, "account_code", "procurify")
        assert xrefs and all(xrefs.values()), name
        codes = _codes(url)
        # Every code the instance recorded is in its own account, each code there once.
        assert set(xrefs.values()) <= set(codes), name
        assert max(Counter(c["code"] for c in codes.values()).values()) == 1, name
        made[name] = (xrefs, set(codes) - before[name])
    # Fusion's accounts went to both accounts: the same codes, made in each, each instance's rows its own.
    for name in accounts:
        assert set(made[name][0]) == {"FUS-60100", "FUS-65000", "FUS-60200"}, made[name]
        assert set(made[name][0].values()) == made[name][1], name
        assert not world.ledger.open_items(integration=name), name

    # A second run of each finds everything written: nothing sent again to either account.
    counts = {name: len(_codes(url)) for name, url in accounts.items()}
    for name in accounts:
        job(f"{name}_account_codes")
    assert {name: len(_codes(url)) for name, url in accounts.items()} == counts


@pytest.mark.parametrize("deployment", [None], indirect=True)
def test_an_own_account_keeping_the_deployments_order_prefix_is_refused_before_writing(deployment):
    """Procurify numbers each account's POs from one: with the deployment's prefix, the second account's
    PO would be the Fusion order ``PFY<n>`` of the first account's PO of the same number."""
    world, accounts, instance, loaded = deployment
    resources = {k: v for k, v in world.resources.items() if k != "procurify"}
    second = ProcurifyHands()
    second.procurify_url, second.resources = accounts["fusion_procurify_two"], {}
    [num] = second.activity(new_requisitions=1)["requisitions"]["created"]
    second.purchase(second.procurify_record("orders", num)["api"]["uuid"])  # a PO of the day, one per vendor
    orders = len(world.fusion_records("draftPurchaseOrders"))

    refresh = loaded.resolve_job_def("fusion_procurify_two_account_combinations_refresh")
    assert refresh.execute_in_process(instance=instance, resources=resources).success
    result = loaded.resolve_job_def("fusion_procurify_two_purchase_orders").execute_in_process(
        partition_key=world.day, instance=instance, resources=resources, raise_on_error=False
    )
    assert not result.success
    said = " ".join(str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure)
    assert "ML_FUSION_PROCURIFY_TWO_ORDER_PREFIX is PFY, which makes the order numbers" in said, said
    assert not ledger_xrefs(world.ledger, "fusion_procurify_two", "purchase_order", "fusion")
    assert len(world.fusion_records("draftPurchaseOrders")) == orders


def test_prefixes_meet_exactly_when_they_can_make_one_order_number():
    # The premise: a prefix followed by what starts a number's tail makes another prefix's numbers.
    assert fusion_order_number("REQ60", "PFY") == fusion_order_number("PO60", "PFYR") == "PFYR60"
    assert fusion_order_number("PO25", "PFY") == fusion_order_number("PO5", "PFY2") == "PFY25"
    assert all(prefixes_meet(one, "PFY") for one in ("PFY", "pfy", "PFYR", "PFY2", "PFYR-"))
    # A letter other than R after the prefix, or a shorter one (its numbers go on with a digit or R, never
    # with the Y of PFY), never makes one of its numbers.
    assert not any(prefixes_meet(one, "PFY") for one in ("PFYB", "PFYB2", "PF", "P", "ACME"))
