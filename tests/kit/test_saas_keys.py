"""SaaS records are staged under the key their client declares from the API reference, never a guessed
``id``; a record whose key is empty or repeated in one read fails the step by name; entities without a
documented change stamp are read whole.

Procurify requisitions (``num`` / ``uuid``, reference §2.4) and purchase orders (``uuid`` /
``procurify_PO``, §2.5) were staged with an empty ``id``, so the current day's merge collapsed a second
poll to one record; Procore budget line items (§2.8, no ``updated_at``) failed on every partition.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from dagster import AssetKey, materialize
from http_server import CannedResponse, OAuthTokenEndpoint, RecordedRequest, ScriptedServer
from instances import instance_for_test
from saas_reads import saas_resources
from test_saas_assets import SYSTEMS

from connector_assets.saas.assets import CLIENTS, SAAS_ENTITIES, saas_assets
from connector_assets.saas.entities import SaasEntity
from connector_resources.procore import ProcoreResource


def _asset(name):
    return next(a for a in saas_assets if a.key.to_user_string() == name)


def _spec(name):
    return next(s for s in SAAS_ENTITIES if s.asset == AssetKey.from_user_string(name))


def _resources(system, resource, tmp_path):
    return saas_resources(tmp_path, **{system: resource})


def _run(asset, resources, partition=None, *, ok=True):
    with instance_for_test() as instance:
        result = materialize(
            [asset], resources=resources, instance=instance, partition_key=partition, raise_on_error=False
        )
    assert result.success is ok
    return result


def _failure(result) -> str:
    failures = result.get_step_failure_events()
    assert failures, "the step did not fail"
    return failures[0].step_failure_data.error.to_string()


# -- every entity's key is declared by its client --------------------------------------------------------


def test_every_entity_takes_its_key_from_its_client():
    from connector_assets.saas.assets import declared_key

    for spec in SAAS_ENTITIES:
        session = CLIENTS[spec.system][1]
        assert spec.key_fields == declared_key(spec.system, session, spec.entity)
    assert _spec("procurify/requisitions").key_fields == ("uuid", "num")
    assert _spec("procurify/purchase_orders").key_fields == ("uuid", "procurify_PO")


def test_an_entity_without_a_declared_key_does_not_load():
    from connector_assets.saas.assets import declared_key

    class Undeclared:
        KEYS: dict = {"vendors": ("id",)}

    with pytest.raises(ValueError, match=r"acme bills: Undeclared\.KEYS declares no key field"):
        declared_key("acme", Undeclared, "bills")
    with pytest.raises(TypeError):
        SaasEntity("acme", "bills", "no key")  # type: ignore[call-arg]  # no default key any more
    with pytest.raises(ValueError, match="key_fields"):
        SaasEntity("acme", "bills", "empty key", key_fields=())


# -- Procurify: a second poll of the day keeps every record ----------------------------------------------


@pytest.mark.parametrize(
    ("entity", "activity"),
    [("requisitions", {"new_requisitions": 4}), ("purchase_orders", {"new_purchase_orders": 4})],
)
def test_procurify_polled_twice_in_a_day_keeps_every_record(entity, activity, tmp_path, monkeypatch):
    """Both carry ``uuid`` (reference §2.4, §2.5); neither documents an ``id``."""
    # A five-minute overlap makes the second poll re-read what the activity just created, so the merge
    # by key decides what survives (the collapse the issue reports happened exactly there).
    monkeypatch.setenv("ML_SAAS_OVERLAP_MINUTES", "5")
    root, resource, stop, _activity, _entity = SYSTEMS["procurify"](0.05)
    try:
        response = requests.post(f"{root}/sandbox/activity", json=activity, timeout=60)
        assert response.status_code == 200, response.text
        asset = _asset(f"procurify/{entity}")
        resources = _resources("procurify", resource, tmp_path)
        today = datetime.now(UTC).date()
        start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
        with resource.session() as session:
            feed = [str(r["uuid"]) for r in session.iter_changed(entity, start, start + timedelta(days=1))]
        assert len(feed) >= 4 and len(set(feed)) == len(feed)

        for _poll in range(2):
            _run(asset, resources, today.isoformat())
            staged = list(resources["staging"].read_rows(asset.key, today.isoformat()))
            assert sorted(r["id"] for r in staged) == sorted(feed)
        # The key is the documented identifier, not an empty string.
        assert all(r["id"] and r["id"] != "None" for r in staged)
    finally:
        stop()


# -- a record with an empty or repeated key fails the step, naming entity and field -----------------------

COMPANY, PROJECT = "31", "700"
DAY = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture
def procore_server():
    with ScriptedServer() as scripted:
        OAuthTokenEndpoint(scripted, client_id="cid", client_secret="keys-secret-1", expires_in=5400)
        scripted.route(
            f"/rest/v1.0/companies/{COMPANY}/vendors/inactive", CannedResponse(404, {"errors": "Not Found"})
        )
        yield scripted


def _procore(server: ScriptedServer) -> ProcoreResource:
    return ProcoreResource(
        base_url=server.url,
        auth_url=server.url,
        company_id=COMPANY,
        client_id="cid",
        client_secret="keys-secret-1",
        project_ids=PROJECT,
    )


def _listed(rows):
    def answer(request: RecordedRequest) -> CannedResponse:
        return CannedResponse(200, rows, {"Total": str(len(rows)), "Per-Page": "100"})

    return answer


def _stamp(minutes: int) -> str:
    return (DAY + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_record_with_an_empty_key_fails_the_step(procore_server, tmp_path):
    rows = [
        {"id": 11, "name": "Granite Supply", "updated_at": _stamp(5)},
        {"id": "", "name": "Nameless", "updated_at": _stamp(6)},
    ]
    procore_server.route("/rest/v1.0/vendors", _listed(rows))
    resources = _resources("procore", _procore(procore_server), tmp_path)
    result = _run(_asset("procore/vendors"), resources, DAY.date().isoformat(), ok=False)
    message = _failure(result)
    assert "procore vendors" in message and "key field id" in message and "Nameless" in message
    assert not resources["staging"].exists(AssetKey(["procore", "vendors"]), DAY.date().isoformat())


def test_a_key_repeated_in_one_read_fails_the_step(procore_server, tmp_path):
    # A purchase order and a work order contract answering with the same id: merged by that key, one of
    # them would silently vanish from the day's file.
    po = [{"id": 7, "title": "PO seven", "updated_at": _stamp(5)}]
    wo = [{"id": 7, "title": "WO seven", "updated_at": _stamp(9)}]
    procore_server.route("/rest/v1.0/purchase_order_contracts", _listed(po))
    procore_server.route("/rest/v1.0/work_order_contracts", _listed(wo))
    resources = _resources("procore", _procore(procore_server), tmp_path)
    result = _run(_asset("procore/commitments"), resources, DAY.date().isoformat(), ok=False)
    message = _failure(result)
    assert "procore commitments: record 7 appears twice in one read by its key field id" in message
    assert not resources["staging"].exists(AssetKey(["procore", "commitments"]), DAY.date().isoformat())


# -- entities without a documented change stamp are read whole -------------------------------------------

# The entities whose reference section lists no change stamp: Procore budget line items (§2.8), BILL's
# GL classifications (§2.9: only id/name/archived are confirmed), Coupa lookup values (§2.7), Procurify
# account codes, departments, budget accounts and locations (§2.8).
WHOLE = [
    "bill/chart_of_accounts",
    "bill/departments",
    "coupa/lookup_values",
    "procore/budget_line_items",
    "procurify/account_codes",
    "procurify/accounts",
    "procurify/departments",
    "procurify/locations",
]


def test_entities_without_a_change_stamp_are_read_whole():
    assert sorted(s.asset.to_user_string() for s in SAAS_ENTITIES if getattr(s, "whole", False)) == WHOLE
    for name in WHOLE:
        spec = _spec(name)
        assert spec.entity not in CLIENTS[spec.system][1].ENTITIES
        assert _asset(name).partitions_def is None


def test_procore_budget_lines_without_updated_at_are_staged_whole(procore_server, tmp_path):
    """The reference lists no ``updated_at`` for budget line items (§2.8); a server that sends none
    failed every partition ("... = None, which is not a timestamp"). Read whole, every line is kept."""
    lines = [
        {"budget_line_item_id": 101, "id": 101, "original_budget_amount": 1200.0, "cost_code": {"id": 4}},
        {"budget_line_item_id": 102, "id": 102, "original_budget_amount": 80.5, "cost_code": {"id": 5}},
        {"budget_line_item_id": 103, "id": 103, "original_budget_amount": 0.0, "cost_code": {"id": 6}},
    ]
    procore_server.route("/rest/v1.0/budget_views", _listed([{"id": 3, "name": "Procore Standard Budget"}]))
    procore_server.route("/rest/v1.0/budget_views/3/detail_rows", _listed(lines))
    resources = _resources("procore", _procore(procore_server), tmp_path)
    asset = _asset("procore/budget_line_items")
    _run(asset, resources, None if asset.partitions_def is None else DAY.date().isoformat())
    staged = list(resources["staging"].read_rows(AssetKey(["procore", "budget_line_items"]), None))
    assert sorted(r["id"] for r in staged) == ["101", "102", "103"]
    assert all(r["updated_at"] is None for r in staged)


@pytest.mark.parametrize("name", WHOLE)
def test_a_whole_read_entity_materializes(name, tmp_path):
    from connector_assets.saas.entities import record_key

    spec = _spec(name)
    root, resource, stop, _activity, _entity = SYSTEMS[spec.system](0.05)
    try:
        resources = _resources(spec.system, resource, tmp_path)
        result = _run(_asset(name), resources)
        metadata = result.get_asset_materialization_events()[0].materialization.metadata
        assert metadata["modes"].value == "whole table"
        staged = list(resources["staging"].read_rows(AssetKey.from_user_string(name), None))
        with resource.session() as session:
            every = {record_key(spec, r) for r in session.iter_all(spec.entity)}
        assert len(staged) == len(every) == metadata["rows"].value >= 1
        assert {r["id"] for r in staged} == every
    finally:
        stop()


def test_the_poll_job_reads_change_feeds_by_day_and_master_data_whole(tmp_path):
    """A system's poll job mixes day-partitioned change feeds with whole-read master data; one
    partitioned run (what the poll schedule submits) materializes both."""
    from connector_assets.definitions import defs

    root, resource, stop, _activity, _entity = SYSTEMS["procurify"](0.05)
    try:
        job = defs.resolve_job_def("procurify_sources")
        today = datetime.now(UTC).date().isoformat()
        with instance_for_test() as instance:
            result = job.execute_in_process(
                partition_key=today, resources=_resources("procurify", resource, tmp_path), instance=instance
            )
            assert result.success
            done = {
                e.asset_key.to_user_string(): e.partition
                for e in result.get_asset_materialization_events()
                for e in [e.event_specific_data.materialization]
            }
        for spec in SAAS_ENTITIES:
            if spec.system == "procurify":
                assert done[spec.asset.to_user_string()] == (None if spec.whole else today), spec.asset
    finally:
        stop()
