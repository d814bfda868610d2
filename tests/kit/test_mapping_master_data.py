"""Every mapping table's check against its systems' master data, on the simulators over loopback: a good row
passes, a bad row is refused naming the value and the system, and each check reads only what the rows name
(counted on the simulators: a batch of rows costs one call per system, not one per row). One change through
``plan_change`` shows the refusal names the key and nothing is saved."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import fusion_procurify_parts as fusion_accounts
import fusion_procurify_parts as fusion_departments
import jde_coupa_parts as jde_coupa_orders
import jde_coupa_parts as jde_coupa_suppliers
import procore_jde_parts as procore_jde
import pytest
import requests
from built_parts import built
from jde_procurify_parts import ACCOUNTS as JDE_PROCURIFY_ACCOUNTS
from jde_procurify_parts import DEPARTMENTS as JDE_PROCURIFY_DEPARTMENTS
from sandbox_logins import unthrottled_procore
from sandbox_world import Integration, PairWorld, pair_world, small_simulators

from connector_assets.flows.mapping_changes import MappingRefused, plan_change
from connector_assets.flows.mapping_tables import ROOT, MappingTable
from connector_assets.integrations.jde_bill.bill_mappings import BillTables
from connector_resources.ledger import Ledger
from connector_sandbox.fusion import FusionSandboxSettings

COUPA_JDE_ACCOUNTS = built("coupa_jde").mapping_table("account_map")
JDE_BILL = BillTables(*built("jde_bill").mapping_tables)
SYSTEMS = Integration(
    name="mapping_master",
    simulators={
        **small_simulators("jde", "coupa", "bill", "procurify"),
        "fusion": lambda: FusionSandboxSettings(scale=0.02),
        "procore": lambda: unthrottled_procore(0.02),
    },
    fields={"coupa": {"token_warmup_seconds": 0}},
)
PROJECT = "562949953432100"  # the Procore sandbox's Sandbox Test Project
SUMMARY = "account 1.6000 is not postable in F0901 (posting edit code N: a non-posting summary account)"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PairWorld]:
    with pair_world(SYSTEMS, tmp_path_factory.mktemp("master"), PairWorld) as world:
        yield world


def problems(world: PairWorld, table: MappingTable, rows: dict[str, str]) -> dict[str, str]:
    assert table.master is not None, f"{table.name} declares no master-data check"
    return table.master.problems(rows, {key: world.resources[key] for key in table.master.systems})


READS = {  # resource key -> the request a master-data look-up makes on its simulator (as it counts them)
    "jde": "POST /jderest/v2/dataservice",
    "coupa": "GET /api/",
    "bill": "GET /connect/v3/classifications/",
    "procurify": "GET /api/v3/departments/",
    "fusion": "GET /fscmRestApi/resources/{version}/accountCombinationsLOV",
    "procore": "GET /rest/v1.0/projects/{id}",
}


def reads(world: PairWorld) -> dict[str, int]:
    """The look-ups each simulator has answered so far, by resource key (its own ``/sandbox/state``)."""
    counted = {}
    for key, request in READS.items():
        root = world.urls[key].removesuffix({"jde": "/jderest", "bill": "/connect"}.get(key, ""))
        state = requests.get(f"{root}/sandbox/state", timeout=10).json()
        counted[key] = sum(n for call, n in state["calls"].items() if call.startswith(request))
    return counted


def costs(
    world: PairWorld, table: MappingTable, rows: dict[str, str]
) -> tuple[dict[str, str], dict[str, int]]:
    """The table's problems with ``rows`` and the look-ups the check made, by system (only those it made)."""
    before = reads(world)
    found = problems(world, table, rows)
    after = reads(world)
    return found, {key: after[key] - before[key] for key in after if after[key] != before[key]}


def sandbox_rows(name: str, limit: int) -> dict[str, str]:
    """The first ``limit`` rows of a sandbox mapping file (every one resolves on the simulators)."""
    with (ROOT / "mappings" / "sandbox" / name).open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {key: value for key, value in list(reader)[:limit]}


def test_jde_accounts_in_f0901_and_postable_read_by_unit_once(world):
    good = {f"c{n}": account for n, account in enumerate(sandbox_rows("jde_bill_accounts.csv", 41)) if n}
    bad = {"charge:tax": "1.9999", "60-1000": "1.6000", "x": "ZZ9.6110"}
    found, cost = costs(world, COUPA_JDE_ACCOUNTS, {**good, **bad})
    assert found == {
        "charge:tax": "account 1.9999 is not in F0901",
        "60-1000": SUMMARY,
        "x": "account ZZ9.6110 is not in F0901",
    }
    assert cost == {"jde": 1}  # 43 rows on a handful of units: one F0901 read
    found, cost = costs(world, JDE_PROCURIFY_ACCOUNTS, {"1.6110": "6100", "1.9999": "7999"})
    assert found == {"1.9999": "account 1.9999 is not in F0901"} and cost == {"jde": 1}


def test_coupa_account_codes_and_payment_terms(world):
    with world.resources["coupa"].session() as session:
        rows = list(session.iter_all("accounts"))
    active = {r["code"] for r in rows if r.get("active") is not False}
    inactive = sorted({r["code"] for r in rows if r.get("active") is False} - active)
    assert inactive, "the Coupa sandbox seeds a few inactive accounts"
    good = {f"1.{n}": code for n, code in enumerate(sorted(active)[:30])}
    found, cost = costs(
        world, jde_coupa_orders.ACCOUNTS, {**good, "X.8": "00001-7000-9999", "X.9": inactive[0]}
    )
    assert found == {
        "X.8": "Coupa account 00001-7000-9999 is not in Coupa",
        "X.9": f"Coupa account {inactive[0]} is inactive in Coupa",
    }
    assert cost == {"coupa": 1}
    terms = sandbox_rows("jde_coupa_payment_terms.csv", 10)
    found, cost = costs(world, jde_coupa_suppliers.PAYMENT_TERMS, {**terms, "N99": "Net 99"})
    assert found == {"N99": "Coupa payment term Net 99 is not in Coupa"} and cost == {"coupa": 1}


def archived(world: PairWorld, entity: str) -> dict[str, Any]:
    """One BILL classification the sandbox seeds archived (a chart-of-accounts entry, a department)."""
    from connector_resources.bill.listing import clause

    with world.resources["bill"].session() as session:
        return next(iter(session.iter_records(entity, [clause("archived", "eq", True)])))


def test_jde_bill_accounts_and_departments_on_both_sides(world):
    accounts = sandbox_rows("jde_bill_accounts.csv", 30)
    old = archived(world, "chart_of_accounts")
    wrong = {
        "1.9999": accounts["1.6110"],
        "1.6110.X": "0caNOPE",
        "1.6000": accounts["1.6110"],
        "1.6210": old["id"],
    }
    found, cost = costs(world, JDE_BILL.accounts, {**accounts, **wrong})
    assert found == {
        "1.9999": "account 1.9999 is not in F0901",
        "1.6110.X": "account 1.6110.X is not in F0901; BILL chart-of-accounts id 0caNOPE is not in BILL",
        "1.6000": SUMMARY,
        "1.6210": f"BILL chart-of-accounts id {old['id']} ({old['name']}) is archived",
    }
    assert cost == {"jde": 1, "bill": 1}  # LNTY:S is no JDE account: not asked
    departments = sandbox_rows("jde_bill_departments.csv", 20)
    gone = archived(world, "departments")
    wrong = {"M99": departments["1"], "3": "0deNOPE", "20": gone["id"]}
    found, cost = costs(world, JDE_BILL.departments, {**departments, **wrong})
    assert found == {
        "M99": "business unit M99 is not in JDE (F0901 has no account on it)",
        "3": "BILL department 0deNOPE is not in BILL",
        "20": f"BILL department {gone['id']} ({gone['name']}) is archived",
    }
    assert cost == {"jde": 1, "bill": 1}
    assert JDE_BILL.payment_terms.master is None  # net days: nothing to ask (see the declaration)


def test_procore_projects_and_job_accounts(world):
    found, cost = costs(world, procore_jde.PROJECTS, {"*": "M30", PROJECT: "M50", "562949953439999": "M99"})
    assert found == {
        "562949953439999": "Procore project 562949953439999 is not in Procore (or the service account may "
        "not read it); business unit M99 is not in JDE (F0901 has no account on it)"
    }
    assert cost == {"procore": 2, "jde": 1}  # one GET per project named; * is none
    codes = sandbox_rows("procore_jde_cost_codes.csv", 20)
    bad = {"04": "{job}.9999", "05": "20.9999", "06": "{job}.7110.NOPE"}
    found, cost = costs(world, procore_jde.COST_CODES, {**codes, **bad})
    assert found == {
        "04": "account {job}.9999: object 9999 is not in F0901 on any business unit",
        "05": "account 20.9999 is not in F0901",
        "06": "account {job}.7110.NOPE: object 7110.NOPE is not in F0901 on any business unit",
    }
    assert cost == {"jde": 2}  # the named accounts by unit, the {job} accounts by object


def test_procurify_departments(world):
    rows = sandbox_rows("jde_procurify_departments.csv", 20)
    bad = {"N1": "Nowhere|Finance", "N2": "Head Office|Nothing"}
    found, cost = costs(world, JDE_PROCURIFY_DEPARTMENTS, {**rows, **bad})
    assert found == {
        "N1": "Procurify department Nowhere|Finance, but Procurify has no location named 'Nowhere'",
        "N2": "Procurify department Head Office|Nothing, but Procurify has no department 'Nothing' in "
        "'Head Office'",
    }
    assert cost == {"procurify": 1}  # the listing once, whatever the rows


def test_fusion_natural_accounts_and_company_cost_centers(world):
    found, cost = costs(world, fusion_accounts.ACCOUNTS, {"6100": "60000", "6200": "62000", "6110": "99999"})
    assert found == {"6110": "Fusion natural account 99999 is in no combination of accountCombinationsLOV"}
    assert cost == {"fusion": 3}  # one query per value, stopped at its first usable combination
    found, cost = costs(world, fusion_departments.DEPARTMENTS, {"*": "101-30", "X|Y": "999-99"})
    assert found == {
        "X|Y": "Fusion company and cost center 999-99 is in no combination of accountCombinationsLOV"
    }
    assert cost == {"fusion": 2}


def test_a_refused_change_names_the_key_and_saves_nothing(world):
    ledger = Ledger(f"sqlite:///{world.tmp_path / 'tables.sqlite'}")
    resources = {key: world.resources[key] for key in ("jde", "bill")}
    table = JDE_BILL.departments
    try:
        before = table.current(ledger)
        info = ledger.mapping_info(table.name)
        with pytest.raises(MappingRefused) as refused:
            plan_change(table, {"M99": before["1"], "3": before["1"]}, ledger=ledger, resources=resources)
        assert refused.value.problems == {
            "M99": "business unit M99 is not in JDE (F0901 has no account on it)"
        }
        assert "M99: business unit M99 is not in JDE" in str(refused.value)
        assert ledger.mapping_rows(table.name) == before and ledger.mapping_info(table.name) == info
        planned = plan_change(table, {"3": before["1"]}, ledger=ledger, resources=resources)
        assert planned.diff.changed == {"3": (before["3"], before["1"])}
    finally:
        ledger.dispose()


def test_every_table_declares_its_check_but_the_net_days_table():
    tables = [
        COUPA_JDE_ACCOUNTS,
        jde_coupa_orders.ACCOUNTS,
        jde_coupa_suppliers.PAYMENT_TERMS,
        *JDE_BILL,
        *procore_jde.TABLES,
        JDE_PROCURIFY_ACCOUNTS,
        JDE_PROCURIFY_DEPARTMENTS,
        fusion_accounts.ACCOUNTS,
        fusion_departments.DEPARTMENTS,
    ]
    assert len({t.name for t in tables}) == 12
    assert [t.name for t in tables if t.master is None] == ["jde_bill/payment_terms_map"]
    assert all(t.master.what and t.master.systems for t in tables if t.master is not None)
