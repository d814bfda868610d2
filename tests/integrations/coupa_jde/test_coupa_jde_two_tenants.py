"""Two Coupa -> JD Edwards instances side by side: two Coupa tenants into one JD Edwards (``coupa_jde`` on the
deployment's tenant, ``coupa_jde_two`` on a connection of its own with its own batch user), loaded from a
defs folder by Dagster's own ``load_from_defs_folder`` and run on the JDE simulator and two Coupa simulators.
Each tenant's approved invoice becomes one voucher batch under its instance's batch user, marked exported in
its own tenant; the second instance stages and polls its tenant itself (here no call-out reaches it: its own
endpoint's are in ``test_coupa_jde_own_tenant_callouts``); a second run writes nothing; ledger rows apart by
instance. R04110ZA then makes both batches vouchers (their transaction numbers apart too: it refuses one F0411
has, whoever keyed it), and each tenant's Coupa Pay payment of its invoice (one id in both) is recorded once,
on its own voucher."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
import requests
from coupa_jde_world import CoupaApi, coupa_jde_world
from dg_projects import importable, run_job, run_resources, scaffolded_project, side_by_side
from flow_proofs import ledger_xrefs
from instances import instance_for_test
from sandbox_world import serve_simulator

from connector_assets.integrations.coupa_jde.batch_keys import BatchKey
from connector_assets.integrations.coupa_jde.sandbox import number_coupa_suppliers_from_jde
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_sandbox.coupa import CoupaSandboxSettings

pytestmark = pytest.mark.timeout(600)

COUPA_JDE = "connector_assets.components.CoupaJde"
LONG_AGO = date.today() - timedelta(days=400)  # seeded history ends then: today holds what the test makes


def _invoice(coupa: CoupaApi, number: str) -> dict:
    """An approved invoice of the tenant's first supplier numbered as a JDE supplier, on accounts JDE's F0901
    has."""
    found = coupa.call("GET", "suppliers?status=active&limit=50")
    supplier = next(s["id"] for s in found if str(s.get("number") or "").isdigit())
    lines = [(coupa.account("20", "8150"), "100.00"), (coupa.account("20", "6110"), "40.50")]
    return coupa.invoice(supplier, number, lines)


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    """The world (JDE, the deployment's Coupa, the receiver), a second tenant, the two-instance deployment."""
    with coupa_jde_world(tmp_path, coupa_anchor=LONG_AGO) as world:
        second, stop = serve_simulator(
            "coupa", CoupaSandboxSettings(scale=0.02, anchor_date=LONG_AGO, callouts={"auto_deliver": False})
        )
        requests.post(f"{second}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
        number_coupa_suppliers_from_jde(second, world.jde_root)  # as make dev numbers the first tenant's
        instances = side_by_side(
            COUPA_JDE,
            "coupa_jde",
            "coupa_jde_two",
            second_attributes="  batch_user: MLCOUPA2\n",
            connections={"coupa": {"base_url": second}},
        )
        project, _root = scaffolded_project(tmp_path, instances)
        try:
            with importable(project), instance_for_test() as instance:
                monkeypatch.setenv("ML_COUPA_URL", world.coupa_url)
                yield world, CoupaApi(second), instance, project
        finally:
            stop()


def test_each_tenants_invoice_and_its_payment_are_written_once_under_its_own_batch_keys(deployment):
    world, second, instance, project = deployment
    [chart] = [a for a in jde_assets if a.key == GL_ACCOUNTS.asset]  # the F0901 cache the mapping checks
    assert dg.materialize([chart], resources=world.resources, instance=instance).success
    invoices = {"coupa_jde": _invoice(world.coupa, "EAST-1"), "coupa_jde_two": _invoice(second, "WEST-1")}
    tenants = {"coupa_jde": world.coupa, "coupa_jde_two": second}
    # Coupa ids are a tenant's own: both invoices have one id, so only the batch user parts their batches.
    assert invoices["coupa_jde"]["id"] == invoices["coupa_jde_two"]["id"]
    day = datetime.now(UTC).date().isoformat()
    world.deliver(
        "invoices", [invoices["coupa_jde"]["id"]]
    )  # the deployment's tenant calls out; the other polls

    loaded = dg.load_from_defs_folder(path_within_project=project)
    sensors = {s.name for s in loaded.sensors}
    assert {"coupa_jde_inbox_sensor", "coupa_jde_two_inbox_sensor"} <= sensors  # each its own inbox's
    resources = run_resources(loaded, world.resources, "coupa")

    def invoices_job(name: str) -> dict[str, dict]:
        result = run_job(loaded, f"{name}_invoices", day, instance=instance, resources=resources)
        return {
            e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
            for e in result.get_asset_materialization_events()
        }

    for name in invoices:
        written = invoices_job(name)[f"{name}/invoices_written"]
        assert written["create"] == 1, (name, written)
    for name, invoice in invoices.items():
        key = BatchKey(("MLCOUPA2" if name == "coupa_jde_two" else "MLCOUPA"), f"CP{invoice['id']}", "")
        xrefs = ledger_xrefs(world.ledger, name, "invoice", "JDE")
        # Each instance recorded its own tenant's invoice alone, keyed under its own batch user.
        head = f"{key.user}-" if name == "coupa_jde_two" else "COUPA-INV-"  # R04110ZA: one EDTN in F0411
        assert xrefs == {str(invoice["id"]): f"{key.user}/CP{invoice['id']}/{head}{invoice['id']}"}
        rows = requests.get(
            f"{world.jde_root}/sandbox/rows/F0411Z1",
            params={"EDUS": key.user, "EDBT": key.batch},
            timeout=10,
        ).json()["rows"]
        assert [(r["VINV"], r["AG"]) for r in rows] == [(invoice["invoice-number"], 14050)]
        assert tenants[name].call("GET", f"invoices/{invoice['id']}")["exported"] is True
        assert not world.ledger.open_items(integration=name)

    # A second run of each finds everything written: nothing sent again to JDE.
    for name in invoices:
        assert invoices_job(name)[f"{name}/invoices_written"]["create"] == 0

    # R04110ZA makes both batches vouchers; Coupa Pay pays each tenant's invoice (the same id in both). Each
    # instance records its own tenant's payment once, on the voucher under its own batch user.
    requests.post(f"{world.jde_root}/sandbox/process-vouchers", timeout=60).raise_for_status()
    payments = {name: _paid(tenants[name], invoice["id"]) for name, invoice in invoices.items()}
    world.deliver("payments", [payments["coupa_jde"]["id"]])  # as for invoices: the other polls
    before = _jde_payments(world)
    for name, payment in payments.items():
        run_job(loaded, f"{name}_payments", _day(payment), instance=instance, resources=resources)
        key = f"{payment['id']}:{invoices[name]['id']}"
        assert ledger_xrefs(world.ledger, name, "payment", "JDE").keys() == {key}, name
        assert not world.ledger.open_items(integration=name)
    recorded = _jde_payments(world)[len(before) :]
    assert sorted(p["reference"] for p in recorded) == sorted(
        f"COUPAPAY-{p['id']}" for p in payments.values()
    )
    assert len({(p["kco"], p["doc"]) for p in recorded}) == 2  # two vouchers, one payment each


def _paid(coupa: CoupaApi, invoice_id: int) -> dict:
    """Coupa Pay's payment of ``invoice_id`` in ``coupa``'s tenant (its payment run pays it now)."""
    requests.post(
        f"{coupa.base}/sandbox/activity", json={"new_payments": 1000}, timeout=60
    ).raise_for_status()
    found = requests.get(f"{coupa.base}/sandbox/records/payments", params={"limit": 5000}, timeout=30)
    [payment] = [
        p for p in found.json()["records"] if p["payment-details"][0]["source-transaction-id"] == invoice_id
    ]
    return payment


def _day(record: dict) -> str:
    return datetime.fromisoformat(record["updated-at"]).astimezone(UTC).date().isoformat()


def _jde_payments(world) -> list[dict]:
    return requests.get(f"{world.jde_root}/sandbox/payments", timeout=10).json()["payments"]
