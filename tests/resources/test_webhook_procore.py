"""Procore deliveries into the real receiver and the ledger inbox, from the Procore simulator."""

import pytest
import requests
from sandbox_logins import on_simulator, unthrottled_procore

from connector_resources.ledger import Ledger
from connector_resources.procore import ProcoreResource
from connector_resources.webhooks import create_receiver, procore_source
from connector_sandbox.procore import create_app
from connector_sandbox.serve import serve_in_thread

TOKEN = "hook-token-e2e-71c3"


@pytest.fixture
def setup(tmp_path):
    settings = unthrottled_procore(0.05)
    sandbox, stop_sandbox = serve_in_thread(create_app(settings))
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    receiver, stop_receiver = serve_in_thread(
        create_receiver({"procore": procore_source("procore", token=TOKEN)}, ledger)
    )
    resource = on_simulator(ProcoreResource, sandbox, auth_url=sandbox, webhook_token=TOKEN)
    yield sandbox, f"{receiver}/webhooks/procore", ledger, resource
    stop_receiver()
    stop_sandbox()


def _deliver(sandbox: str) -> None:
    requests.post(f"{sandbox}/sandbox/webhooks/deliver", json={"wait": True, "force": True}, timeout=30)


def test_deliveries_are_stored_once_and_forged_ones_not_at_all(setup):
    sandbox, url, ledger, resource = setup
    with resource.session() as s:
        hook = s.webhooks.ensure_hook("ml-connector", url)
        s.webhooks.ensure_triggers(hook.id, ["Company Vendors"], ["create", "update"])
        _deliver(sandbox)
        requests.post(f"{sandbox}/sandbox/settings", json={"webhooks": {"duplicate_next": 1}}, timeout=10)
        vendor = s.create_vendor({"name": "Inbox Steel Works", "origin_id": "JDE-V-818181"})
        _deliver(sandbox)
        _deliver(sandbox)
        stored = [
            e
            for e in ledger.inbox_pending(source="procore", limit=1000)
            if str(vendor["id"]) in e.body.decode()
        ]
        assert len(stored) == 1  # delivered twice, stored once
        assert stored[0].event_id.startswith("ulid:")

        before = len(ledger.inbox_pending(source="procore", limit=1000))
        s.webhooks.ensure_hook("ml-connector", url, {"Authorization": "Bearer forged"})
        s.update_vendor(vendor["id"], {"city": "Salem"})
        _deliver(sandbox)
        assert len(ledger.inbox_pending(source="procore", limit=1000)) == before
        assert list(s.webhooks.deliveries(hook.id, "failing"))  # the forged ones were answered 401
