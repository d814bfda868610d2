"""Every mapping table's check against its systems' master data, on the simulators over loopback: a good row
passes, a bad row is refused naming the value and the system, and each check reads only what the rows name
(counted on the simulators: a batch of rows costs one call per system, not one per row). One change through
``plan_change`` shows the refusal names the key and nothing is saved."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from sandbox_logins import unthrottled_procore
from sandbox_world import Integration, PairWorld, pair_world

from connector_assets.flows.mapping_changes import MappingRefused, plan_change
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.integrations.coupa_jde import accounts as coupa_jde
from connector_assets.integrations.fusion_procurify import account_map as fusion_accounts
from connector_assets.integrations.fusion_procurify import departments as fusion_departments
from connector_assets.integrations.jde_bill import bill_mappings as jde_bill
from connector_assets.integrations.jde_coupa import purchase_orders as jde_coupa_orders
from connector_assets.integrations.jde_coupa import suppliers as jde_coupa_suppliers
from connector_assets.integrations.jde_procurify import account_map as jde_procurify_accounts
from connector_assets.integrations.jde_procurify import departments as jde_procurify_departments
from connector_assets.integrations.procore_jde import cost_codes as procore_jde
from connector_resources.ledger import Ledger
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.fusion import FusionSandboxSettings
from connector_sandbox.jde_ais import JdeSandboxSettings
from connector_sandbox.procurify import ProcurifySandboxSettings

SYSTEMS = Integration(
    name="mapping_master",
    simulators={
        "jde": lambda: JdeSandboxSettings(scale=0.02),
        "coupa": lambda: CoupaSandboxSettings(scale=0.02),
        "bill": lambda: BillSandboxSettings(scale=0.05),
        "procurify": lambda: ProcurifySandboxSettings(scale=0.05),
        "fusion": lambda: FusionSandboxSettings(scale=0.02),
        "procore": lambda: unthrottled_procore(0.02),
    },
    fields={"coupa": {"token_warmup_seconds": 0}},
)
PROJECT = "562949953432100"  # the Procore sandbox's Sandbox Test Project


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[PairWorld]:
    with pair_world(SYSTEMS, tmp_path_factory.mktemp("master"), PairWorld) as world:
        yield world


def problems(world: PairWorld, table: MappingTable, rows: dict[str, str]) -> dict[str, str]:
    assert table.master is not None, f"{table.name} declares no master-data check"
    return table.master.problems(rows, {key: world.resources[key] for key in table.master.systems})


def calls(world: PairWorld, key: str) -> int:
    """Requests the simulator of ``key`` has answered so far (its own count, ``/sandbox/state``)."""
    root = world.urls[key].removesuffix({"jde": "/jderest", "bill": "/connect"}.get(key, ""))
    state = requests.get(f"{root}/sandbox/state", timeout=10).json()
    return int(state.get("calls", {}).get("total", 0) if isinstance(state.get("calls"), dict) else 0)


def test_jde_accounts_in_f0901_and_postable(world):
    found = problems(
        world,
        coupa_jde.ACCOUNTS,
        {"20-8150": "1.6110", "charge:tax": "1.9999", "60-1000": "1.6000", "x": "ZZ9.6110"},
    )
    assert found == {
        "charge:tax": "account 1.9999 is not in F0901",
        "60-1000": "account 1.6000 is not postable in F0901 (posting edit code N: a non-posting summary account)",
        "x": "account ZZ9.6110 is not in F0901",
    }
    assert problems(world, jde_procurify_accounts.ACCOUNTS, {"1.6110": "6100", "1.9999": "7999"}) == {
        "1.9999": "account 1.9999 is not in F0901"
    }
