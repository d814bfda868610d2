"""BILL deliveries into the real receiver and the ledger inbox, from the BILL simulator."""

import pytest
import requests

from connector_resources.ledger import Ledger
from connector_resources.webhooks import bill_source, create_receiver
from connector_sandbox.bill import BillSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread

KEY = "sandbox-bill-webhook"  # the simulator's fixed securityKey default (real BILL shows a random one once)


@pytest.fixture
def setup(tmp_path):
    base, stop_sandbox = serve_in_thread(create_app(BillSandboxSettings(scale=0.05)), path="/connect")
    root = base.removesuffix("/connect")
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    receiver, stop_receiver = serve_in_thread(
        create_receiver({"bill": bill_source("bill", security_key=KEY)}, ledger)
    )
    yield root, f"{receiver}/webhooks/bill", ledger
    stop_receiver()
    stop_sandbox()


def _post(url: str, body: dict) -> dict:
    response = requests.post(url, json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def test_signed_events_are_stored_once_each_and_forged_ones_not_at_all(setup):
    root, url, ledger = setup
    _post(f"{root}/sandbox/settings", {"webhooks": {"auto_deliver": False, "duplicate_rate": 1.0}})
    _post(f"{root}/sandbox/webhooks/subscriptions", {"notificationUrl": url})
    _post(f"{root}/sandbox/activity", {"new_vendors": 2, "updated_bills": 3})
    _post(f"{root}/sandbox/webhooks/deliver", {})
    attempts = requests.get(f"{root}/sandbox/webhooks/deliveries", timeout=30).json()
    attempts = attempts["outcomes"]
    delivered_ids = {a["eventId"] for a in attempts if a.get("ok")}
    assert any(a.get("duplicate") for a in attempts)  # every event was sent twice
    stored = ledger.inbox_pending(source="bill", limit=1000)
    assert {e.event_id for e in stored} == delivered_ids and len(stored) == len(delivered_ids) >= 5

    forged = requests.post(
        url,
        data=b'{"metadata": {"eventId": "forged-1"}}',
        headers={"x-bill-sha-signature": "AAAA", "Content-Type": "application/json"},
        timeout=10,
    )
    assert forged.status_code == 401
    assert "forged-1" not in {e.event_id for e in ledger.inbox_pending(source="bill", limit=1000)}
