"""A Procore -> JD Edwards instance on a Procore company of its own has its inbox sensor: it reads the inbox
of its own receiver endpoint (``<instance>_procore``), never the deployment's companies' rows, and keeps to
the projects its own connection names (``project_ids``, read at each tick in its scope)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dagster import build_sensor_context
from dg_projects import importable, scaffolded_project, side_by_side
from instances import instance_for_test

from connector_assets.deployment import Deployment, integration_instances
from connector_assets.procore.inbox_events import INBOX_SOURCE, PROJECT_TAG
from connector_resources.ledger import Ledger, LedgerResource
from connector_resources.webhooks.configured import instance_endpoint

PROCORE_JDE = "connector_assets.components.ProcoreJde"
OWN_PROJECT, OTHER_PROJECT = 562949953400001, 562949953400002


def _store(ledger: Ledger, source: str, event_id: int, project_id: int) -> None:
    """A Procore v2 requisition event stored under ``source`` as the receiver stores it."""
    payload = {
        "id": event_id,
        "ulid": f"01OWNCOMPANY{event_id:014d}",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "metadata": {"source_project_id": project_id, "source_company_id": 4264808},
        "company_id": 4264808,
        "project_id": project_id,
        "api_version": "v2.0",
        "event_type": "update",
        "resource_name": "Requisitions",
        "resource_id": 41,
    }
    assert ledger.inbox_put(
        source=source, event_id=f"ulid:{event_id}", body=json.dumps(payload).encode(), headers={}
    )


def test_the_own_companys_sensor_reads_its_own_inbox_for_its_own_projects(tmp_path):
    instances = side_by_side(
        PROCORE_JDE,
        "procore_jde",
        "procore_jde_two",
        connections={"procore": {"company_id": "4264808", "project_ids": str(OWN_PROJECT)}},
    )
    project, _root = scaffolded_project(tmp_path, instances)
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    own_inbox = instance_endpoint("procore_jde_two", INBOX_SOURCE)
    with importable(project):
        deployment = Deployment.of_instances(integration_instances(project))
        definitions = deployment.definitions
        sensor = definitions.resolve_sensor_def("procore_jde_two_inbox_sensor")
        _store(ledger, INBOX_SOURCE, 1, OWN_PROJECT)  # the deployment's companies' event: not its
        _store(ledger, own_inbox, 2, OTHER_PROJECT)  # outside its own connection's projects
        _store(ledger, own_inbox, 3, OWN_PROJECT)
        with (
            instance_for_test() as instance,
            build_sensor_context(
                instance=instance,
                resources={"ledger": LedgerResource(db_url=ledger.url)},
                repository_def=definitions.get_repository_def(),
            ) as ctx,
        ):
            result = sensor.evaluate_tick(ctx)
    requested = sorted(r.job_name for r in result.run_requests or [])
    assert requested == ["procore_jde_two_purchase_orders", "procore_jde_two_vouchers"]
    assert {r.tags[PROJECT_TAG] for r in result.run_requests} == {str(OWN_PROJECT)}
    assert ledger.inbox_pending(source=own_inbox) == []  # both looked at and marked
    assert [e.event_id for e in ledger.inbox_pending(source=INBOX_SOURCE)] == ["ulid:1"]  # left to its own
    ledger.dispose()
