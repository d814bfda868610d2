"""Two JD Edwards -> Coupa instances side by side: one JD Edwards to two Coupa tenants (``jde_coupa`` on the
deployment's Coupa connection, ``jde_coupa_two`` on a connection of its own), loaded from a defs folder by
Dagster's own ``load_from_defs_folder`` and run on the JDE simulator and two Coupa simulators. Each
instance's suppliers job writes the day's suppliers once into its own tenant, through the ``coupa``
resource its run chooses; a second run writes nothing; ledger rows apart by instance."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
import requests
from dg_projects import importable, run_job, run_resources, scaffolded_project, side_by_side
from flow_proofs import ledger_xrefs
from instances import instance_for_test
from jde_coupa_world import jde_coupa_world
from sandbox_logins import LOGINS
from sandbox_world import serve_simulator

from connector_resources.coupa import CoupaResource
from connector_sandbox.coupa import CoupaSandboxSettings

pytestmark = pytest.mark.timeout(600)  # two instances' runs at load 15

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings" / "sandbox"
COUPA = "connector_assets.components.JdeCoupa"
DAY = (date.today() - timedelta(days=21)).isoformat()  # the JDE sandbox's mass-update day: suppliers change
TABLES = (
    f"  account_map: {MAPPINGS / 'jde_coupa_accounts.csv'}\n"
    f"  payment_terms_map: {MAPPINGS / 'jde_coupa_payment_terms.csv'}\n"
)


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (JDE, the deployment's Coupa), a second Coupa tenant, and the two-instance deployment."""
    with jde_coupa_world(tmp_path) as world:
        second, stop = serve_simulator("coupa", CoupaSandboxSettings(scale=0.02))
        requests.post(f"{second}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
        own = {"coupa": {"base_url": second}}
        instances = side_by_side(COUPA, "jde_coupa", "jde_coupa_two", attributes=TABLES, connections=own)
        project, _root = scaffolded_project(tmp_path, instances)
        try:
            with importable(project), instance_for_test() as instance:
                monkeypatch.setenv("ML_COUPA_URL", world.coupa_url)
                yield world, {"jde_coupa": world.coupa_url, "jde_coupa_two": second}, instance, project
        finally:
            stop()


def _suppliers(url: str) -> dict[str, dict]:
    """Every supplier of the Coupa tenant at ``url``, by id, read with the project's client."""
    with CoupaResource(base_url=url, **LOGINS[CoupaResource], token_warmup_seconds=0).session() as session:
        return {str(s["id"]): s for s in session.iter_all("suppliers")}


def test_two_instances_write_the_days_suppliers_once_each_into_their_own_tenant(deployment):
    world, tenants, instance, project = deployment
    loaded = dg.load_from_defs_folder(path_within_project=project)
    resources = run_resources(loaded, world.resources, "coupa")
    before = {name: set(_suppliers(url)) for name, url in tenants.items()}

    def suppliers_job(name: str) -> None:
        run_job(loaded, f"{name}_suppliers", DAY, instance=instance, resources=resources)

    for name in tenants:
        suppliers_job(name)
    made: dict[str, dict[str, str]] = {}
    for name, url in tenants.items():
        xrefs = ledger_xrefs(world.ledger, name, "supplier", "coupa")
        assert xrefs and all(xrefs.values()), name
        now = {i: s for i, s in _suppliers(url).items() if i not in before[name]}
        # Every supplier the instance recorded is in its own tenant, made once: none beyond its ledger.
        assert set(now) == set(xrefs.values()), name
        assert max(Counter(s["name"] for s in now.values()).values()) == 1
        made[name] = xrefs
    # The same JDE suppliers in both tenants, each instance's rows its own.
    assert set(made["jde_coupa"]) == set(made["jde_coupa_two"])
    for name in tenants:
        assert not world.ledger.open_items(integration=name)

    # A second run of each finds everything written: nothing sent again to either tenant.
    counts = {name: len(_suppliers(url)) for name, url in tenants.items()}
    for name in tenants:
        suppliers_job(name)
    assert {name: len(_suppliers(url)) for name, url in tenants.items()} == counts
