"""JDE AP ledger (F0411) -> Coupa invoices: PO-matched vouchers on their order's mapped account, once."""

from datetime import date, timedelta

import pytest
import requests
from dagster import instance_for_test, materialize

from connector_assets.flows.jde_coupa import jde_coupa_assets
from connector_assets.flows.jde_coupa_invoices import jde_coupa_invoice_assets
from connector_assets.flows.jde_coupa_pos import load_account_map
from connector_assets.jde.assets import jde_assets
from connector_assets.staging import StagingResource
from connector_resources.coupa import CoupaResource
from connector_resources.jde import JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.coupa import CoupaSandboxSettings
from connector_sandbox.coupa import create_app as coupa_app
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread
from connector_sandbox.serve import serve_in_thread

DAY = (date.today() - timedelta(days=21)).isoformat()
CHAIN = (
    "jde_suppliers",
    "jde_address_book",
    "jde_ap_ledger",
    "jde_coupa_suppliers_mapped",
    "jde_coupa_suppliers_written",
    "jde_coupa_invoices_mapped",
    "jde_coupa_invoices_written",
)


@pytest.fixture
def world(tmp_path):
    jde_url, stop_jde = run_in_thread(JdeSandboxSettings(scale=0.1))
    coupa_url, stop_coupa = serve_in_thread(coupa_app(CoupaSandboxSettings(scale=0.02)))
    requests.post(f"{coupa_url}/sandbox/faults", json={"rate_limit_enabled": False}, timeout=10)
    db = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    resources = {
        "jde": JdeAisResource(
            base_url=jde_url,
            username="INTEGR8",
            password="integr8-sandbox",
            environment="JPS920",
            role="*ALL",
        ),
        "coupa": CoupaResource(
            base_url=coupa_url,
            client_id="ml-connector-sandbox",
            client_secret="sandbox-coupa-secret",
            token_warmup_seconds=0,
            backoff_base=0.01,
        ),
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=db),
    }
    yield resources, Ledger(db)
    stop_coupa()
    stop_jde()


def _run(resources, names):
    selected = [
        a
        for a in [*jde_assets, *jde_coupa_assets, *jde_coupa_invoice_assets]
        if a.key.to_user_string() in names
    ]
    with instance_for_test() as instance:
        result = materialize(selected, resources=resources, instance=instance, partition_key=DAY)
    assert result.success
    return {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }


def test_vouchers_become_coupa_invoices_once_on_mapped_accounts(world):
    resources, ledger = world
    meta = _run(resources, CHAIN)
    mapped, written = meta["jde_coupa_invoices_mapped"], meta["jde_coupa_invoices_written"]
    assert written["create"].value + written["adopt"].value > 0
    refused = ledger.open_items(integration="jde_coupa", flow="invoices", status="failed")
    assert mapped["rejected"].value == len(refused)
    assert all("no purchase order" in i.reason or "mapping table" in i.reason for i in refused)

    vouchers: dict[str, list[dict]] = {}
    for row in resources["staging"].read_rows("jde_ap_ledger", DAY):
        vouchers.setdefault(f"{row['KCO']}/{row['DOC']}/{row['DCT']}", []).append(row)
    codes = set(load_account_map().values())
    checked = 0
    with resources["coupa"].session(flow="invoices") as session:
        for key, items in vouchers.items():
            xref = ledger.get_xref("jde_coupa", "invoice", "JDE", key, "coupa")
            if xref is None or not xref.target_id:
                continue
            invoice = session.get("invoices", xref.target_id)
            assert invoice["invoice-number"] == items[0]["VINV"].strip()
            assert len(invoice["invoice-lines"]) == len(items)
            assert {line["account"]["code"] for line in invoice["invoice-lines"]} <= codes
            checked += 1
    assert checked > 0

    again = _run(resources, CHAIN[-2:])["jde_coupa_invoices_written"]
    assert (
        again["create"].value == 0 and again["skip"].value == written["create"].value + written["adopt"].value
    )
