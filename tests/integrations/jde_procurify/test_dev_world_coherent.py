"""``make dev``'s Procurify world is coherent with the ERPs it meets: seeded without planted
faults (``connector_sandbox.registry``), every bill's lines map through make dev's account table
(``ML_JDE_PROCURIFY_ACCOUNT_MAP``, set by ``make dev``) to one JDE company, every invoice number fits JDE's
25 characters and every vendor name JDE's 40; the tests' world (planted faults, the default) keeps the
bills and values the JDE side refuses, so those refusals stay proved. In-process seeds at scale 1 (make
dev's), no server, no port.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from jde_procurify_parts import ACCOUNTS

from connector_assets.integrations.jde_procurify.sandbox import SANDBOX_DEFAULTS
from connector_sandbox.jde_ais.vocabulary import CHART_OF_ACCOUNTS, COMPANIES
from connector_sandbox.procurify import ProcurifySandboxSettings
from connector_sandbox.procurify.seed import seed
from connector_sandbox.procurify.store import Store
from connector_sandbox.registry import SANDBOXES

ROOT = Path(__file__).resolve().parents[3]
TABLE = ROOT / SANDBOX_DEFAULTS["ML_JDE_PROCURIFY_ACCOUNT_MAP"]  # make dev's account table
UNIT_COMPANY = {unit: c.code for c in COMPANIES for unit in c.business_units} | {"LONGJOBUNIT1": "00001"}
BILL_CODES = """SELECT b.id, b.invoice_number, group_concat(c.code, char(31)) AS codes FROM bills b
JOIN bill_items i ON i.bill_id = b.id JOIN accounts a ON a.id = i.account_id
JOIN account_codes c ON c.id = a.account_code_id GROUP BY b.id"""


@contextmanager
def seeded(planted: bool | None) -> Iterator[Store]:
    """The Procurify sandbox seeded at scale 1: make dev's world (None), or planted faults on or off."""
    world = dict(SANDBOXES["procurify"].world) if planted is None else {"planted_faults": planted}
    store = Store()
    try:
        seed(store, ProcurifySandboxSettings(scale=1, **world))
        yield store
    finally:
        store.close()


def companies_of(codes: str) -> set[str]:
    """The JDE companies a bill's item codes post to through the sandbox account table."""
    with TABLE.open(encoding="utf-8") as f:
        table = {row["procurify_account_code"]: row["jde_account"] for row in csv.DictReader(f)}
    return {UNIT_COMPANY[table[code].split(".")[0]] for code in codes.split("\x1f")}


@pytest.fixture(scope="module")
def dev_world() -> Iterator[Store]:
    with seeded(None) as store:
        yield store


def test_make_devs_account_table_is_one_to_one_on_accounts_every_jde_sandbox_scale_has() -> None:
    """Read as the flows read it (one-to-one both ways), every account on the JDE base chart, postable."""
    table = ACCOUNTS.read(TABLE)
    postable = {
        f"{unit}.{a.obj}" + (f".{sub}" if sub else "")
        for c in COMPANIES
        for unit in c.business_units
        for a in CHART_OF_ACCOUNTS
        if a.posting_edit == ""
        for sub in a.subs
    } | {"LONGJOBUNIT1.7110.ZZ999999"}
    assert len(table) > 250 and set(table) <= postable


def test_make_dev_seeds_the_procurify_sandbox_without_planted_faults() -> None:
    assert dict(SANDBOXES["procurify"].world) == {"planted_faults": False}
    assert dict(SANDBOXES["fusion"].world) == {"planted_faults": False}
    assert ProcurifySandboxSettings().planted_faults  # the tests' world keeps them


def test_in_make_devs_world_every_bill_posts_to_one_jde_company(dev_world: Store) -> None:
    bills = dev_world.all(BILL_CODES)
    assert len(bills) > 1000
    spanning = [b["id"] for b in bills if len(companies_of(b["codes"])) > 1]
    assert spanning == []


def test_in_make_devs_world_invoice_numbers_and_vendor_names_fit_jde(dev_world: Store) -> None:
    numbers = [row["invoice_number"] for row in dev_world.all("SELECT invoice_number FROM bills")]
    assert max(map(len, numbers)) == 25  # the non-ASCII numbers are still there, at JDE's limit
    assert any("Ä" in n for n in numbers)
    names = [row["name"] for row in dev_world.all("SELECT name FROM vendors")]
    assert max(map(len, names)) <= 40


def test_the_planted_world_keeps_the_bills_and_values_the_jde_side_refuses() -> None:
    with seeded(True) as store:
        bills = store.all(BILL_CODES)
        assert any(len(companies_of(b["codes"])) > 1 for b in bills)
        assert max(len(b["invoice_number"]) for b in bills) == 50
        assert max(len(row["name"]) for row in store.all("SELECT name FROM vendors")) == 150
