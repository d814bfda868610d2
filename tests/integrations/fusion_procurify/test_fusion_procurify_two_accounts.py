"""Two Oracle Fusion <-> Procurify instances side by side: two Procurify accounts into one Fusion
(``fusion_procurify`` on the deployment's Procurify connection, ``fusion_procurify_two`` on a connection of
its own), loaded from a defs folder by Dagster's own ``load_from_defs_folder`` and run on the Fusion
simulator and two Procurify simulators (two companies, seeded apart). Each instance's account codes job
writes Fusion's accounts once into its own account, through the ``procurify`` resource its run chooses,
reading that account's departments from its own staged copy; a second run writes nothing; ledger rows apart
by instance. Two instances whose order prefixes can make one order number are refused as the defs folder
loads, before anything runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dg_projects import beside_a_second_procurify, run_job, run_resources, two_instances_refused
from flow_proofs import ledger_xrefs
from fusion_procurify_parts import fusion_order_number
from fusion_procurify_world import fusion_procurify_world
from sandbox_logins import procurify_resource

from connector_assets.integrations.fusion_procurify.integration import prefixes_meet

pytestmark = pytest.mark.timeout(600)

FUSION = "connector_assets.components.FusionProcurify"
MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"
# Three Fusion accounts as Procurify codes (the sandbox's whole table is 264 codes, a minute of writes
# at the client's pace per account): new in both accounts.
ACCOUNTS = "procurify_account_code,fusion_account\nFUS-60100,60100\nFUS-65000,65000\nFUS-60200,60200\n"
OWN = ("procurify_account_codes", "procurify_departments", "procurify_bills", "procurify_purchase_orders")


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (Fusion, the deployment's Procurify), a second Procurify account, and the two-instance
    deployment, the second instance's order prefix ``PFYB``."""
    ordered = "  order_prefix: PFYB\n"
    accounts_csv = tmp_path / "accounts.csv"
    accounts_csv.write_text(ACCOUNTS, encoding="utf-8")
    # Each instance's mapping tables, named (the sandbox's are refused once Procurify is not the default
    # sandbox address, as a real account's would be).
    tables = (
        f"  account_map: {accounts_csv}\n  department_map: {MAPPINGS / 'fusion_procurify_departments.csv'}\n"
    )
    with (
        fusion_procurify_world(tmp_path) as world,
        beside_a_second_procurify(
            tmp_path,
            monkeypatch,
            world.procurify_url,
            FUSION,
            "fusion_procurify",
            "fusion_procurify_two",
            attributes=tables,
            second_attributes=f"{ordered}{tables}",
        ) as (accounts, instance, project),
    ):
        yield world, accounts, instance, dg.load_from_defs_folder(path_within_project=project)


def _codes(url: str) -> dict[str, dict]:
    """Every account code of the Procurify account at ``url``, by id, read with the project's client."""
    with procurify_resource(url).session() as session:
        return {str(r["id"]): r for r in session.iter_all("account_codes")}


def test_two_instances_write_fusions_accounts_once_each_into_their_own_account(deployment):
    world, accounts, instance, loaded = deployment
    resources = run_resources(loaded, world.resources, "procurify")
    keys = {key.to_user_string() for key in loaded.resolve_asset_graph().get_all_asset_keys()}
    assert {f"fusion_procurify_two/{name}" for name in OWN} <= keys
    assert not {f"fusion_procurify/{name}" for name in OWN} & keys

    before = {name: set(_codes(url)) for name, url in accounts.items()}

    def job(name: str) -> None:
        run_job(loaded, name, instance=instance, resources=resources)

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


# What the load's refusal says of the second instance's order prefix (None: unset, so the default PFY).
KEPT = {
    None: "both keep order_prefix 'PFY'",
    "PFYR": "keep order_prefix 'PFY' and 'PFYR', which can make one",
}


@pytest.mark.parametrize("prefix", list(KEPT))
def test_an_own_account_whose_order_prefix_meets_the_first_ones_is_refused_at_load(tmp_path, prefix):
    """Procurify numbers each account's POs from one: with the first instance's prefix, or one that makes its
    numbers (``PFYR`` + ``60`` is ``PFY`` + ``R60``), the second account's PO would be the Fusion order made
    for the first account's. Refused as Dagster loads the defs folder (no simulator, nothing run), naming
    both instances' defs.yaml files, the setting, both values and how to set another."""
    kept = f"  order_prefix: {prefix}\n" if prefix else ""
    said = two_instances_refused(
        tmp_path, FUSION, "fusion_procurify", "fusion_procurify_two", second_attributes=kept
    )
    assert KEPT[prefix] in said, said
    assert "attributes.order_prefix" in said and "ML_FUSION_PROCURIFY_TWO_ORDER_PREFIX" in said, said


def test_prefixes_meet_exactly_when_they_can_make_one_order_number():
    # The premise: a prefix followed by what starts a number's tail makes another prefix's numbers.
    assert fusion_order_number("REQ60", "PFY") == fusion_order_number("PO60", "PFYR") == "PFYR60"
    assert fusion_order_number("PO25", "PFY") == fusion_order_number("PO5", "PFY2") == "PFY25"
    assert all(prefixes_meet(one, "PFY") for one in ("PFY", "pfy", "PFYR", "PFY2", "PFYR-"))
    # A letter other than R after the prefix, or a shorter one (its numbers go on with a digit or R, never
    # with the Y of PFY), never makes one of its numbers.
    assert not any(prefixes_meet(one, "PFY") for one in ("PFYB", "PFYB2", "PF", "P", "ACME"))
