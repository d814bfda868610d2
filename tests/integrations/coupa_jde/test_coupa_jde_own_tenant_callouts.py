"""An instance on a Coupa tenant of its own takes that tenant's call-outs: two Coupa -> JD Edwards instances
(``coupa_jde`` on the deployment's tenant, ``coupa_jde_two`` on a connection of its own with a call-out secret
of its own) loaded from a defs folder, the receiver built from them and served over loopback. A call-out
signed with the second tenant's secret to the second instance's endpoint lands in its own inbox; one signed
with the deployment's secret there is refused and stores nothing; the second instance's inbox sensor requests
a run for its call-out, the deployment's sensor none."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from dagster import SensorResult, build_sensor_context
from dg_projects import importable, scaffolded_project, side_by_side
from instances import instance_for_test

from connector_assets.deployment import Deployment, integration_instances
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.webhooks import create_receiver
from connector_resources.webhooks.configured import configured_sources, instance_endpoint
from connector_sandbox.serve import serve_in_thread

COUPA_JDE = "connector_assets.components.CoupaJde"
DEPLOYMENT_SECRET, OWN_SECRET = "east-callout-secret", "west-callout-secret"
OWN_INVOICES = instance_endpoint("coupa_jde_two", "coupa_invoices")


def _call_out(url: str, endpoint: str, secret: str, record: dict) -> requests.Response:
    """A Coupa call-out of ``record`` to ``/webhooks/<endpoint>``, signed with ``secret``."""
    body = json.dumps(record).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Coupa-Signature": signature}
    return requests.post(f"{url}/webhooks/{endpoint}", data=body, headers=headers, timeout=10)


@pytest.fixture
def receiver(tmp_path, monkeypatch):
    """(receiver URL, ledger, the loaded deployment) for the two instances; the second's call-out secret is
    a reference to a variable of its own, as its ``connections`` must write a secret."""
    monkeypatch.setenv("ML_COUPA_WEBHOOK_AUTH", "hmac")  # call-outs relayed signed, each tenant its key
    monkeypatch.setenv("ML_COUPA_WEBHOOK_SECRET", DEPLOYMENT_SECRET)
    monkeypatch.setenv("COUPA_TWO_CALLOUT_SECRET", OWN_SECRET)
    instances = side_by_side(
        COUPA_JDE,
        "coupa_jde",
        "coupa_jde_two",
        second_attributes="  batch_user: MLCOUPA2\n",
        connections={
            "coupa": {
                "base_url": "https://west.coupahost.invalid",
                "webhook_secret": "env:COUPA_TWO_CALLOUT_SECRET",
            }
        },
    )
    project, _root = scaffolded_project(tmp_path, instances)
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    with importable(project):
        deployment = Deployment.of_instances(integration_instances(project))  # as the CLI loads its own
        sources = configured_sources(instances=deployment.names)
        url, stop = serve_in_thread(create_receiver(sources, ledger))
        try:
            yield url, ledger, deployment
        finally:
            stop()
            ledger.dispose()


def test_the_own_tenants_callouts_reach_its_own_inbox_and_sensor_and_no_other(receiver):
    url, ledger, deployment = receiver
    served = requests.get(f"{url}/health", timeout=10).json()["sources"]
    assert {"coupa_invoices", "coupa_payments", OWN_INVOICES, "coupa_jde_two_coupa_payments"} <= set(served)
    assert not any(name.startswith("coupa_jde_coupa_") for name in served)  # the deployment's: no own

    changed = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    day = changed[:10]
    record = {"id": 7, "status": "approved", "updated-at": changed}
    own = _call_out(url, OWN_INVOICES, OWN_SECRET, record)
    assert own.status_code == 200 and own.json()["stored"], own.text
    # Signed with the deployment's tenant's secret: forged for this endpoint.
    forged = {"id": 8, "status": "approved", "updated-at": changed}
    refused = _call_out(url, OWN_INVOICES, DEPLOYMENT_SECRET, forged)
    assert refused.status_code == 401, refused.text
    # The deployment's endpoint still verifies with the deployment's secret, never the instance's.
    assert _call_out(url, "coupa_invoices", OWN_SECRET, forged).status_code == 401
    stored = [(event.source, event.event_id) for event in ledger.inbox_pending(limit=100)]
    assert stored == [(OWN_INVOICES, f"invoices:7:{changed}")]  # the forged ones stored nothing

    sensors = {s.name: s for c in deployment.components for s in c.definitions().sensors or ()}
    own_sensor, their_sensor = sensors["coupa_jde_two_inbox_sensor"], sensors["coupa_jde_inbox_sensor"]
    resources = {"ledger": LedgerResource(db_url=ledger.url)}

    def tick(sensor, cursor: str | None = None) -> SensorResult:
        with build_sensor_context(instance=instance, resources=resources, cursor=cursor) as context:
            result = sensor(context)
        assert isinstance(result, SensorResult), result
        return result

    with instance_for_test() as instance:
        # The second instance's sensor asks a run for its call-out's day; the deployment's asks none.
        mine = tick(own_sensor)
        assert [r.partition_key for r in mine.run_requests] == [day]
        assert tick(their_sensor).run_requests == []
        # The deployment's tenant's call-out is the deployment's sensor's alone.
        theirs = _call_out(url, "coupa_invoices", DEPLOYMENT_SECRET, {**record, "id": 9})
        assert theirs.status_code == 200, theirs.text
        assert tick(own_sensor, mine.cursor).run_requests == []
        assert [r.partition_key for r in tick(their_sensor).run_requests] == [day]
