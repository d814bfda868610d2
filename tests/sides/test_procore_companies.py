"""Several Procore companies under one app: one sandbox with two connected, seeded companies.

What matters to an operator of a construction group: both companies' records land in the same staged
partition, each saying which company it came from; each company keeps its own current-day cursor (a
busy company does not make a quiet one re-read or skip); a company that uninstalled the app fails the
step by name and leaves the partition as it was; ``ping`` names the company that fails. A one-company
configuration keeps its cursor keys and reads (the existing Procore / SaaS / incremental tests).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from dagster import AssetKey, materialize
from instances import instance_for_test
from saas_reads import saas_world
from sandbox_logins import LOGINS, unthrottled_procore

from connector_assets.flows.assets import pool_limit
from connector_assets.procore.sources import COMPANY_FIELD, cursor_stream, read_procore_companies
from connector_assets.saas.assets import SAAS_ENTITIES, saas_assets
from connector_assets.saas.entities import SourceRead
from connector_resources.procore import ProcorePermissionError, ProcoreResource
from connector_resources.procore.companies import parse_company_ids
from connector_sandbox.procore import run_in_thread

A, B = 4264807, 4264808
BOTH = f"{A},{B}"


@pytest.fixture(scope="module")
def sandbox():
    settings = unthrottled_procore(0.05, seeded_companies=2)
    base, stop = run_in_thread(settings)
    try:
        yield base
    finally:
        stop()


@pytest.fixture()
def world(tmp_path, monkeypatch):
    return saas_world(tmp_path, monkeypatch)


def _procore(base: str, companies: str = BOTH, **fields) -> ProcoreResource:
    login = {**LOGINS[ProcoreResource], "company_id": companies}
    return ProcoreResource(base_url=base, auth_url=base, **login, **fields)


def _activity(base: str, company: int, **counts) -> dict:
    response = requests.post(f"{base}/sandbox/activity", json={"company_id": company, **counts}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _connect(base: str, company: int, connected: bool) -> None:
    response = requests.post(
        f"{base}/sandbox/companies/{company}/connection", json={"connected": connected}, timeout=30
    )
    assert response.status_code == 200, response.text


def _sandbox_rows(base: str, table: str, company: int) -> dict[int, dict]:
    response = requests.get(
        f"{base}/sandbox/records/{table}", params={"company_id": company, "limit": 100_000}, timeout=30
    )
    assert response.status_code == 200, response.text
    return {row["id"]: row for row in response.json()["rows"]}


def _spec(entity: str):
    return next(s for s in SAAS_ENTITIES if s.asset == AssetKey(["procore", entity]))


def _staged(world, entity: str, day) -> dict[int, dict]:
    rows = world["staging"].read_rows(AssetKey(["procore", entity]), day.isoformat())
    return {int(r["id"]): json.loads(r["record"]) for r in rows}


def _step_failure(result) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "the step should have failed"
    return failures[0].step_failure_data.error.to_string()


# -- settings and sessions ------------------------------------------------------------------------------


def test_company_list_setting():
    assert parse_company_ids("4264807") == (A,)
    assert parse_company_ids(" 4264807 , 4264808;") == (A, B)
    for bad, said in (("", "blank"), ("4264807,x", "'x'"), ("4264807,4264807", "listed twice")):
        with pytest.raises(ValueError, match=said):
            parse_company_ids(bad)
    assert cursor_stream("vendors", A, (A,)) == "vendors"  # the one-company key, unchanged
    assert cursor_stream("vendors", A, (A, B)) == f"vendors@{A}"
    assert cursor_stream("vendors", B, (B, A)) == f"vendors@{B}"  # reordering keeps each its own
    pools = {s.pool for s in SAAS_ENTITIES if s.system == "procore"}
    assert pools == {ProcoreResource.from_settings().concurrency_pool} == {"procore_ml-connector-sandbox"}
    assert pool_limit("procore_ml-connector-sandbox") == 1  # one step calling the app at a time


def test_a_session_per_company_and_the_project_list_per_company(sandbox):
    projects = {
        c: sorted(p for p, row in _sandbox_rows(sandbox, "projects", c).items() if row["permitted"])
        for c in (A, B)
    }
    procore = _procore(sandbox)
    assert procore.company_ids() == (A, B)
    with procore.session() as first, procore.session(B) as second:
        assert (first.company_id, second.company_id) == (A, B)
        assert first.project_ids() == projects[A] and second.project_ids() == projects[B]
    with pytest.raises(ValueError, match="4264809 is not configured"):
        procore.session(4264809)

    # ML_PROCORE_PROJECT_IDS applies to every company; each keeps the ones that are its own.
    listed = f"{projects[A][0]},{projects[B][0]}"
    procore = _procore(sandbox, project_ids=listed)
    with procore.session(A) as first, procore.session(B) as second:
        assert first.project_ids() == [projects[A][0]]
        assert second.project_ids() == [projects[B][0]]
    with _procore(sandbox, str(A), project_ids=listed).session() as only:
        assert only.project_ids() == [projects[A][0], projects[B][0]]  # one company: as given, as before


# -- staging ---------------------------------------------------------------------------------------------


def test_two_companies_staged_in_one_partition_each_record_with_its_company(sandbox, world):
    made = {c: _activity(sandbox, c, new_commitments=2, updated_commitments=1)["records"] for c in (A, B)}
    today = datetime.now(UTC).date()
    asset = next(a for a in saas_assets if a.key.to_user_string() == "procore/commitments")
    with instance_for_test() as instance:
        result = materialize(
            [asset],
            resources={"procore": _procore(sandbox), **world},
            instance=instance,
            partition_key=today.isoformat(),
        )
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["procore_companies"].value == f"{A}, {B}" and metadata["modes"].value == "whole day"

    staged = _staged(world, "commitments", today)
    for company in (A, B):
        owned = set(_sandbox_rows(sandbox, "commitments", company))
        mine = {i for i, record in staged.items() if record[COMPANY_FIELD] == company}
        assert mine <= owned  # every record says the company it belongs to
        assert set(made[company]["new_commitments"]) | set(made[company]["updated_commitments"]) <= mine
    assert {type(r[COMPANY_FIELD]) for r in staged.values()} == {int}


def test_each_company_keeps_its_own_current_day_cursor(sandbox, world):
    """Company A changes early, then again; B later. The second poll reads each company from its own
    cursor less the one-second overlap: A's early changes are not asked for again (the sandbox counts
    one vendors page per record with per_page=1), B's new ones are."""
    procore = _procore(sandbox, page_size=1)
    spec, ledger = _spec("vendors"), world["ledger"].get()
    today = datetime.now(UTC).date()

    def poll(run: str):
        return read_procore_companies(
            SourceRead(spec, world["staging"], ledger, [today], today, run), procore
        )[0][0]

    def vendor_pages() -> dict[int, int]:
        calls = requests.get(f"{sandbox}/sandbox/state", timeout=30).json()["calls_by_company"]
        return {c: calls.get(str(c), {}).get("GET /rest/v1.0/vendors", 0) for c in (A, B)}

    def changed_since(company: int, since: datetime) -> set[int]:
        with procore.session(company) as session:
            end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            return {int(v["id"]) for v in session.iter_changed("vendors", since, end)}

    _activity(sandbox, A, new_vendors=3)
    _activity(sandbox, B, new_vendors=2)
    # A's next change must lie beyond the overlap (1 s) and the client's filter slack (1 s) after its
    # first; stamps are whole seconds.
    time.sleep(3.1)
    later_a = _activity(sandbox, A, new_vendors=2)["records"]["new_vendors"]
    assert poll("run-1").mode == "whole day"
    cursors = {c: ledger.get_cursor("procore", f"vendors@{c}") for c in (A, B)}
    assert all(cursors.values()) and ledger.get_cursor("procore", "vendors") is None

    new_b = _activity(sandbox, B, new_vendors=2)["records"]["new_vendors"]
    requests.post(f"{sandbox}/sandbox/calls/reset", timeout=30)
    second = poll("run-2")
    pages = vendor_pages()  # before the checks below call the sandbox themselves
    assert second.mode == "incremental"

    since = {c: datetime.fromisoformat(cursors[c]).replace(tzinfo=UTC) - timedelta(seconds=1) for c in (A, B)}
    expected = {c: changed_since(c, since[c]) for c in (A, B)}
    start_of_day = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    whole_day_a = changed_since(A, start_of_day)
    assert expected[A] == set(later_a) and len(whole_day_a) > len(expected[A])  # A's early ones lie outside
    assert set(new_b) <= expected[B]
    assert pages == {c: max(1, len(expected[c])) for c in (A, B)}
    assert second.rows == len(expected[A]) + len(expected[B])

    staged = _staged(world, "vendors", today)
    assert whole_day_a | expected[B] <= set(staged)
    assert all(staged[i][COMPANY_FIELD] == B for i in new_b)
    assert ledger.get_cursor("procore", f"vendors@{B}") > cursors[B]


def test_an_uninstalled_company_fails_the_step_by_name_and_stages_nothing(sandbox, world):
    today = datetime.now(UTC).date()
    past = today - timedelta(days=5)
    procore = _procore(sandbox)
    spec, ledger = _spec("vendors"), world["ledger"].get()
    _activity(sandbox, B, new_vendors=1)
    read_procore_companies(SourceRead(spec, world["staging"], ledger, [today], today, "run-1"), procore)
    before = _staged(world, "vendors", today)
    cursors = {c: ledger.get_cursor("procore", f"vendors@{c}") for c in (A, B)}

    new_a = _activity(sandbox, A, new_vendors=2)["records"]["new_vendors"]
    asset = next(a for a in saas_assets if a.key.to_user_string() == "procore/vendors")
    _connect(sandbox, B, False)
    try:
        with instance_for_test() as instance:
            result = materialize(
                [asset],
                resources={"procore": procore, **world},
                instance=instance,
                partition_key=today.isoformat(),
                raise_on_error=False,
            )
        assert not result.success
        message = _step_failure(result)
        assert "Procore company 4264808" in message and "not connected" in message
        with pytest.raises(ProcorePermissionError, match="Procore company 4264808: .*not connected"):
            read_procore_companies(
                SourceRead(spec, world["staging"], ledger, [past], today, "run-3"), procore
            )
    finally:
        _connect(sandbox, B, True)
    # Company A was read fine before B failed, yet none of it was staged; the cursors did not move.
    assert _staged(world, "vendors", today) == before and not set(new_a) & set(before)
    assert not world["staging"].exists(AssetKey(["procore", "vendors"]), past.isoformat())
    assert {c: ledger.get_cursor("procore", f"vendors@{c}") for c in (A, B)} == cursors


def test_ping_checks_every_company_and_names_the_failing_one(sandbox):
    procore = _procore(sandbox)
    said = procore.ping()
    assert f"company {A}:" in said and f"company {B}:" in said
    _connect(sandbox, B, False)
    try:
        with pytest.raises(ProcorePermissionError) as failed:
            procore.ping()
    finally:
        _connect(sandbox, B, True)
    message = str(failed.value)
    assert "1 of 2 companies failed" in message and "Procore company 4264808" in message
    assert f"Procore company {A}" not in message
    # A listed project that belongs to none of the companies is named too (with one company the list is
    # used as given, as before).
    with pytest.raises(ProcorePermissionError, match="project.s. 42 in project_ids are permitted in none"):
        _procore(sandbox, project_ids="42").ping()
