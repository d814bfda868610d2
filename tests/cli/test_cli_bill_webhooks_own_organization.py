"""``ml-connector bill-webhooks --instance jde_bill_west create`` end to end: a deployment with ``jde_bill``
(the deployment's BILL organization) and ``jde_bill_west`` (organization 2 on a connection of its own, with
a ``webhook_key`` vault entry of its own), the BILL simulator holding both organizations over real HTTP,
and the real receiver built from the settings with the loaded instances (``configured_sources``) before
any key exists, as an operator starts it.

The subscription is made in organization 2 alone, to the instance's own endpoint (moved from the
deployment's ``ML_BILL_WEBHOOK_URL``); its key lands in the instance's vault entry, not the deployment's;
a bill change in organization 2 is delivered, verified with that key and stored in the inbox source
``jde_bill_west_bill``, none in ``bill``; a change in organization 1 is sent nowhere. No key appears in any
output or log line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import requests
from bill_hooks import HELD_DELIVERIES, CommandsWorld, bill_for_commands, bill_signature
from dg_projects import importable, scaffolded_project, side_by_side
from jde_bill_sandbox_tables import ORG_1, ORG_2

import connector_assets.deployment as deployment_module
from connector_assets.deployment import Deployment
from connector_resources.vault import Vault
from connector_resources.webhooks import create_receiver
from connector_resources.webhooks.configured import configured_sources
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.serve import serve_in_thread
from tests.integrations.jde_bill.two_orgs import with_two_organizations

DEPLOYMENT_KEY = "bill_webhook_key"
WEST_KEY = "bill_west_webhook_key"
WEST = "jde_bill_west"
WEST_SOURCE = "jde_bill_west_bill"  # its endpoint and inbox source (``instance_endpoint``)


class World(CommandsWorld):
    def bill_changed_and_delivered(self, organization_id: str) -> list[dict]:
        """A bill changed in ``organization_id``; what is pending delivered now: the attempts."""
        self.admin("activity", {"updated_bills": 1, "organization_id": organization_id})
        return self.admin("webhooks/deliver")["outcomes"]

    def inbox_ids(self, source: str) -> set[str]:
        return {event.event_id for event in self.ledger.inbox_pending(source=source, limit=1000)}


@pytest.fixture
def world(tmp_path, monkeypatch, caplog) -> Iterator[World]:
    settings = with_two_organizations(BillSandboxSettings(scale=0.05, webhooks=HELD_DELIVERIES))
    instances = side_by_side(
        "connector_assets.components.JdeBill",
        "jde_bill",
        WEST,
        connections={"bill": {"organization_id": ORG_2, "webhook_key": f"vault:{WEST_KEY}"}},
    )
    project, _root = scaffolded_project(tmp_path, instances)
    found = deployment_module.integration_instances
    served = bill_for_commands(tmp_path, monkeypatch, settings, DEPLOYMENT_KEY)
    with served as (base, ledger), importable(project):
        monkeypatch.setattr(deployment_module, "integration_instances", lambda *_: found(project))
        # The receiver as `ml-connector webhooks` builds it for the loaded instances, before any key exists.
        loaded = Deployment.of_instances(found(project))
        assert loaded.names == ("jde_bill", WEST)
        sources = configured_sources(instances=loaded.names)
        assert {"bill", WEST_SOURCE} <= set(sources)
        receiver, stop_receiver = serve_in_thread(create_receiver(sources, ledger))
        monkeypatch.setenv("ML_BILL_WEBHOOK_URL", f"{receiver}/webhooks/bill")  # the deployment's
        caplog.set_level(logging.DEBUG)
        try:
            yield World(base.removesuffix("/connect"), receiver, ledger, [])
        finally:
            stop_receiver()


def test_an_instance_subscribes_its_own_organization_and_its_events_reach_its_own_inbox(world, caplog):
    created = world.run("--instance", WEST, "create")
    assert "created:" in created.output and WEST_KEY in created.output, created.output

    # Made in organization 2 alone, to west's own endpoint (moved from the deployment's URL).
    [subscription] = world.subscriptions()
    assert subscription["organizationId"] == ORG_2
    assert subscription["notificationUrl"] == f"{world.receiver}/webhooks/{WEST_SOURCE}"
    assert subscription["status"]["enabled"] is True

    # Its key is in west's own vault entry; the deployment's entry holds nothing.
    vault = Vault(world.ledger)
    key = vault.get(WEST_KEY)
    assert vault.get_if_stored(DEPLOYMENT_KEY) is None

    # A bill change in organization 2: BILL signs it with that key, west's endpoint stores it in west's inbox.
    outcomes = world.bill_changed_and_delivered(ORG_2)
    assert outcomes and all(o["statusCode"] == 200 for o in outcomes), outcomes
    assert all(o["subscriptionId"] == subscription["id"] for o in outcomes)
    delivered = {o["eventId"] for o in outcomes}
    assert delivered <= world.inbox_ids(WEST_SOURCE)
    assert world.inbox_ids("bill") == set()

    # A bill change in organization 1 (the deployment's) is sent nowhere: no subscription there.
    assert world.bill_changed_and_delivered(ORG_1) == []

    # West's key does not verify the deployment's endpoint: a delivery signed with it is not stored there.
    body = json.dumps(
        {
            "metadata": {"eventId": "west-key-at-bill", "eventType": "bill.updated", "version": "1"},
            "bill": {"id": "00n0WEST", "updatedTime": "2030-01-01T00:00:00.000+00:00"},
        }
    ).encode()
    forged = requests.post(
        f"{world.receiver}/webhooks/bill",
        data=body,
        headers={"x-bill-sha-signature": bill_signature(key, body), "Content-Type": "application/json"},
        timeout=10,
    )
    assert forged.status_code == 401 and world.inbox_ids("bill") == set(), forged.text

    # West's list shows its subscription as this receiver's; the deployment's organization has none.
    listed = world.run("--instance", WEST, "list")
    assert subscription["id"] in listed.output and "<- this receiver" in listed.output, listed.output
    deployments = world.run("list").output
    assert subscription["id"] not in deployments and "0 of 10" in deployments, deployments

    again = world.run("--instance", WEST, "create")
    assert "adopted (not created again)" in again.output, again.output
    assert len(world.subscriptions()) == 1 and vault.get(WEST_KEY) == key

    text = "\n".join(world.outputs) + "\n" + caplog.text
    assert key not in text
