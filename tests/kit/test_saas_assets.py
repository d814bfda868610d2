"""SaaS entities as source assets, each against its simulator through Dagster's ``materialize``.

For each system: business activity is generated now, today's partition is read whole, then again
incrementally; the staged records are exactly what the client's change feed returns for the day, each
with its ID, change time and JSON document. A past day is read whole.
"""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import requests
from dagster import AssetKey, materialize
from instances import instance_for_test
from saas_reads import saas_world
from sandbox_logins import BUSINESS_UNIT, on_simulator, unthrottled_procore

from connector_assets.saas.assets import SAAS_ENTITIES, saas_assets
from connector_assets.saas.entities import record_key
from connector_sandbox.serve import serve_in_thread


def _bill(scale):
    from connector_resources.bill import BillResource, forget_sessions
    from connector_sandbox.bill import BillSandboxSettings, create_app

    forget_sessions()
    base, stop = serve_in_thread(create_app(BillSandboxSettings(scale=scale)), path="/connect")
    resource = on_simulator(BillResource, base)
    return base.removesuffix("/connect"), resource, stop, {"new_vendors": 3, "updated_bills": 4}, "bills"


def _procurify(scale):
    from connector_resources.procurify import ProcurifyResource
    from connector_sandbox.procurify import ProcurifySandboxSettings, create_app

    base, stop = serve_in_thread(create_app(ProcurifySandboxSettings(scale=scale)))
    resource = on_simulator(ProcurifyResource, base, rate_per_second=0)
    return base, resource, stop, {"new_bills": 3, "updated_bills": 2}, "bills"


def _procore(scale):
    from connector_resources.procore import ProcoreResource
    from connector_sandbox.procore import create_app

    settings = unthrottled_procore(scale)
    base, stop = serve_in_thread(create_app(settings))
    resource = on_simulator(ProcoreResource, base, auth_url=base, webhook_token="t0ken-e2e")
    return base, resource, stop, {"new_commitments": 2, "updated_commitments": 2}, "commitments"


def _fusion(scale):
    from connector_resources.fusion import FusionResource
    from connector_sandbox.fusion import FusionSandboxSettings, create_app

    base, stop = serve_in_thread(create_app(FusionSandboxSettings(scale=scale)))
    oauth = {"token_url": f"{base}/oauth2/v1/token", "auth": "oauth", "business_unit": BUSINESS_UNIT}
    user = {"username": "ml.integration", "password": "sandbox-fusion"}  # the pod's user, unused by OAuth
    resource = on_simulator(FusionResource, base, **oauth, **user)
    return base, resource, stop, {"new_invoices": 3, "updated_invoices": 2}, "invoices"


def _coupa(scale):
    from connector_resources.coupa import CoupaResource
    from connector_sandbox.coupa import CoupaSandboxSettings, create_app

    base, stop = serve_in_thread(create_app(CoupaSandboxSettings(scale=scale)))
    resource = on_simulator(CoupaResource, base, token_warmup_seconds=0)
    return base, resource, stop, {"new_invoices": 3, "updated_invoices": 2}, "invoices"


SYSTEMS = {"coupa": _coupa, "bill": _bill, "procurify": _procurify, "procore": _procore, "fusion": _fusion}


def _asset(name):
    return next(a for a in saas_assets if a.key.to_user_string() == name)


def _run(asset, resources, partition):
    with instance_for_test() as instance:
        result = materialize([asset], resources=resources, instance=instance, partition_key=partition)
    assert result.success
    return result.get_asset_materialization_events()[0].materialization.metadata


def _spec(asset):
    return next(s for s in SAAS_ENTITIES if s.asset == AssetKey.from_user_string(asset))


def _feed(resource, spec, day):
    """The keys of the client's change feed for ``day``, by the entity's declared key."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    with resource.session() as session:
        changed = session.iter_changed(spec.entity, start, start + timedelta(days=1))
        return {record_key(spec, r) for r in changed}


def test_every_client_entity_has_an_asset():
    assert {s.asset for s in SAAS_ENTITIES} == {a.key for a in saas_assets}
    assert {s.system for s in SAAS_ENTITIES} == set(SYSTEMS)
    bill_pools = {s.pool for s in SAAS_ENTITIES if s.system == "bill"}
    assert len(bill_pools) == 1 and next(iter(bill_pools)).startswith("bill_")


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_today_then_incrementally_then_a_past_day(system, tmp_path, monkeypatch):
    root, resource, stop, activity, entity = SYSTEMS[system](0.05)
    try:
        asset = _asset(f"{system}/{entity}")
        resources = saas_world(tmp_path, monkeypatch, **{system: resource})  # today's re-read stays today
        today = datetime.now(UTC).date()
        response = requests.post(f"{root}/sandbox/activity", json=activity, timeout=60)
        assert response.status_code == 200, response.text

        first = _run(asset, resources, today.isoformat())
        assert first["modes"].value == "whole day" and first["rows"].value >= 1
        staged = list(resources["staging"].read_rows(asset.key, today.isoformat()))
        spec = _spec(f"{system}/{entity}")
        assert {r["id"] for r in staged} == _feed(resource, spec, today)
        for row in staged:
            record = json.loads(row["record"])
            assert isinstance(record, dict) and row["updated_at"].date() == today

        again = _run(asset, resources, today.isoformat())
        assert again["modes"].value == "incremental"
        assert resources["staging"].count(asset.key, today.isoformat()) == len(staged)
        assert first["dagster/row_count"].value == again["dagster/row_count"].value == len(staged)

        past = today - timedelta(days=3)
        old = _run(asset, resources, past.isoformat())
        assert old["modes"].value == "whole day"
        assert old["rows"].value == len(_feed(resource, spec, past))
    finally:
        stop()


def test_a_day_is_a_utc_day():
    assert _asset("procore/commitments").partitions_def.timezone == "UTC"
    assert date.fromisoformat(_asset("bill/bills").partitions_def.get_first_partition_key()) <= date(
        2024, 1, 1
    )
