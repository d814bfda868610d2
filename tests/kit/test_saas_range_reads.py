"""Range reads: a run over several past days reads their window with one change-feed query and stages
each day on its own, with its own materialization figures.

Against the Coupa and Procore simulators (real HTTP; the simulators count every API call) through
Dagster's ``materialize`` on a real (SQLite) instance. The reference for "correct" is the per-day
read: each day staged by the range read holds exactly the records the client's change feed returns
for that day alone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
import requests
from dagster import AssetKey, materialize
from instances import instance_for_test
from saas_reads import saas_world
from sandbox_logins import LOGINS, on_simulator, unthrottled_procore

from connector_assets.runtime.day_spool import DaySpool
from connector_assets.runtime.incremental import read_groups, read_range
from connector_assets.runtime.staging import Column, StagingResource
from connector_assets.saas.assets import SAAS_ENTITIES, saas_assets
from connector_assets.saas.entities import RecordKeyError, record_key, stream_of, unique_rows
from connector_sandbox.serve import serve_in_thread

INVOICES = "GET /api/invoices"


def _asset(name: str):
    return next(a for a in saas_assets if a.key.to_user_string() == name)


def _spec(name: str):
    return next(s for s in SAAS_ENTITIES if s.asset == AssetKey.from_user_string(name))


@pytest.fixture(scope="module")
def coupa():
    from connector_resources.coupa import CoupaResource
    from connector_sandbox.coupa import CoupaSandboxSettings, create_app

    base, stop = serve_in_thread(create_app(CoupaSandboxSettings(scale=0.05)))
    try:
        yield base, on_simulator(CoupaResource, base, token_warmup_seconds=0)
    finally:
        stop()


@pytest.fixture()
def world(tmp_path, monkeypatch):
    return saas_world(tmp_path, monkeypatch)


def _calls(base: str, label: str) -> int:
    return requests.get(f"{base}/sandbox/state", timeout=30).json()["calls"].get(label, 0)


def _reset_calls(base: str) -> None:
    requests.post(f"{base}/sandbox/calls/reset", timeout=30).raise_for_status()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _feed(resource, spec, first: date, end: date) -> set[str]:
    with resource.session() as session:
        return {
            record_key(spec, r) for r in session.iter_changed(spec.entity, _midnight(first), _midnight(end))
        }


def _run(asset, resources, first: date, last: date):
    """One single-run backfill of ``first``..``last``: each partition's materialization metadata."""
    tags = {
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": last.isoformat(),
    }
    with instance_for_test() as instance:
        result = materialize([asset], resources=resources, instance=instance, tags=tags)
        assert result.success
        records = instance.fetch_materializations(AssetKey(asset.key.path), limit=1000).records
    by_day = {}
    for record in records:
        materialization = record.asset_materialization
        assert materialization.partition not in by_day, "one materialization per partition, not two"
        by_day[date.fromisoformat(materialization.partition)] = {
            k: v.value for k, v in materialization.metadata.items()
        }
    return by_day


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_a_sparse_backfill_costs_one_paged_query_and_stages_every_day(coupa, world):
    base, resource = coupa
    asset, spec = _asset("coupa/invoices"), _spec("coupa/invoices")
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=60), today - timedelta(days=2)
    days = _days(first, last)
    per_day = {day: _feed(resource, spec, day, day + timedelta(days=1)) for day in days}
    assert any(not ids for ids in per_day.values()), "the window should have empty days (sparse)"
    assert sum(map(len, per_day.values())) > 0

    _reset_calls(base)
    _feed(resource, spec, first, last + timedelta(days=1))
    one_query = _calls(base, INVOICES)  # what one paged read of the window costs
    assert one_query < len(days)

    _reset_calls(base)
    resources = {"coupa": resource, **world}
    metadata = _run(asset, resources, first, last)
    assert _calls(base, INVOICES) == one_query

    assert set(metadata) == set(days)
    for day in days:
        staged = list(world["staging"].read_rows(AssetKey(["coupa", "invoices"]), day.isoformat()))
        assert world["staging"].exists(AssetKey(["coupa", "invoices"]), day.isoformat()), (
            day
        )  # empty days too
        assert {r["id"] for r in staged} == per_day[day], day
        assert all(r["updated_at"].date() == day for r in staged)
        assert all(json.loads(r["record"])["id"] for r in staged)
        figures = metadata[day]
        assert figures["rows"] == len(per_day[day]), day
        assert figures["modes"] == "whole day"
        assert figures["read"] == f"one query for {first.isoformat()}..{last.isoformat()}"
        assert ("first_updated" in figures) == bool(per_day[day])
        assert figures["run_rows"] == sum(map(len, per_day.values()))
        assert figures["run_days"] == len(days)

    # A rerun replaces every day with the same records and figures, for the same single query.
    _reset_calls(base)
    again = _run(asset, resources, first, last)
    assert _calls(base, INVOICES) == one_query
    assert {d: m["rows"] for d, m in again.items()} == {d: len(ids) for d, ids in per_day.items()}


def test_a_window_ending_today_reads_today_incrementally_from_its_cursor(coupa, world):
    base, resource = coupa
    asset, spec = _asset("coupa/invoices"), _spec("coupa/invoices")
    resources = {"coupa": resource, **world}
    today = datetime.now(UTC).date()
    first = today - timedelta(days=5)
    requests.post(f"{base}/sandbox/activity", json={"new_invoices": 3}, timeout=60).raise_for_status()
    before = _run(asset, resources, today, today)[today]
    assert before["modes"] == "whole day" and before["read"] == "its own query"
    cursor = world["ledger"].get().get_cursor("coupa", "invoices")
    assert cursor is not None

    requests.post(f"{base}/sandbox/activity", json={"new_invoices": 2}, timeout=60).raise_for_status()
    _reset_calls(base)
    _feed(resource, spec, first, today)
    past_query = _calls(base, INVOICES)
    _reset_calls(base)
    metadata = _run(asset, resources, first, today)
    # The five past days in one query; today, from its cursor less the overlap, one more.
    assert _calls(base, INVOICES) == past_query + 1
    assert metadata[today]["modes"] == "incremental" and metadata[today]["read"] == "its own query"
    assert metadata[today]["rows"] >= 2
    staged_today = {
        r["id"] for r in world["staging"].read_rows(AssetKey(["coupa", "invoices"]), today.isoformat())
    }
    assert staged_today == _feed(resource, spec, today, today + timedelta(days=1))
    assert world["ledger"].get().get_cursor("coupa", "invoices") >= cursor
    for day in _days(first, today - timedelta(days=1)):
        assert (
            metadata[day]["read"]
            == f"one query for {first.isoformat()}..{(today - timedelta(days=1)).isoformat()}"
        )
        staged = {
            r["id"] for r in world["staging"].read_rows(AssetKey(["coupa", "invoices"]), day.isoformat())
        }
        assert staged == _feed(resource, spec, day, day + timedelta(days=1)), day


def test_procore_reads_a_window_once_per_company(world):
    from connector_resources.procore import ProcoreResource
    from connector_sandbox.procore import run_in_thread

    settings = unthrottled_procore(0.05, seeded_companies=2)
    base, stop = run_in_thread(settings)
    try:
        companies = (4264807, 4264808)
        login = {**LOGINS[ProcoreResource], "company_id": ",".join(map(str, companies))}
        resource = ProcoreResource(base_url=base, auth_url=base, **login)
        asset, spec = _asset("procore/commitments"), _spec("procore/commitments")
        today = datetime.now(UTC).date()
        first, last = today - timedelta(days=40), today - timedelta(days=1)

        def company_feed(company: int, start: date, end: date) -> set[str]:
            one = resource.model_copy(update={"company_id": str(company)})
            return _feed(one, spec, start, end)

        expected = {
            day: set().union(*(company_feed(c, day, day + timedelta(days=1)) for c in companies))
            for day in _days(first, last)
        }

        def calls_by_company() -> dict[int, int]:
            calls = requests.get(f"{base}/sandbox/state", timeout=30).json()["calls_by_company"]
            return {c: sum(calls.get(str(c), {}).values()) for c in companies}

        _reset_calls(base)
        for company in companies:
            company_feed(company, first, last + timedelta(days=1))
        one_query = calls_by_company()  # one paged read of the window per company
        assert all(one_query.values())

        _reset_calls(base)
        metadata = _run(asset, {"procore": resource, **world}, first, last)
        assert calls_by_company() == one_query
        for day, ids in expected.items():
            staged = list(world["staging"].read_rows(AssetKey(["procore", "commitments"]), day.isoformat()))
            assert {r["id"] for r in staged} == ids, day
            assert metadata[day]["rows"] == len(ids)
        assert sum(map(len, expected.values())) > 0
        companies_seen = {
            json.loads(r["record"])["_procore_company_id"]
            for day in expected
            for r in world["staging"].read_rows(AssetKey(["procore", "commitments"]), day.isoformat())
        }
        assert companies_seen <= set(companies) and companies_seen
        assert metadata[first]["procore_companies"] == ", ".join(map(str, companies))
    finally:
        stop()


# -- the rules of a range read, on the real staging and ledger --------------------------------------


def _stream():
    return stream_of(_spec("coupa/invoices"))


def _row(key: str, moment: datetime | None) -> dict:
    return {"id": key, "updated_at": moment, "record": json.dumps({"id": key})}


def test_edges_stay_in_the_edge_day_and_an_undated_record_goes_to_the_retry_queue(world):
    staging, book = world["staging"], world["ledger"].get()
    days = _days(date(2024, 3, 1), date(2024, 3, 4))
    rows = [
        _row("early", datetime(2024, 2, 29, 23, 59)),  # before the window: an edge the API returned
        _row("a", datetime(2024, 3, 2, 8)),
        _row("late", datetime(2024, 3, 5, 0, 0, 1)),
        _row("undated", None),
        _row("b", datetime(2024, 3, 2, 9)),
    ]
    asked = []

    def fetch_range(first, end):
        asked.append((first, end))
        return iter(rows)

    reads = read_range(_stream(), fetch_range, staging, book, days=days, run_id="r1")
    assert asked == [(date(2024, 3, 1), date(2024, 3, 5))]
    staged = {
        d: [r["id"] for r in staging.read_rows(AssetKey(["coupa", "invoices"]), d.isoformat())] for d in days
    }
    assert staged == {days[0]: ["early"], days[1]: ["a", "b"], days[2]: [], days[3]: ["late"]}
    assert [(r.day, r.rows, r.rejected) for r in reads] == [
        (days[0], 1, 1),
        (days[1], 2, 0),
        (days[2], 0, 0),
        (days[3], 1, 0),
    ]
    [queued] = book.queue_for("coupa invoices undated")
    assert queued.payload["id"] == "undated" and "change time (updated_at) is empty" in queued.reason


def test_a_failed_range_read_leaves_every_day_as_it_was(world):
    staging, book = world["staging"], world["ledger"].get()
    days = _days(date(2024, 3, 1), date(2024, 3, 3))
    read_range(
        _stream(), lambda *_: iter([_row("kept", datetime(2024, 3, 2))]), staging, book, days=days, run_id="r"
    )

    def broken(first, end):
        yield _row("new", datetime(2024, 3, 1))
        raise ConnectionError("the API went away mid-read")

    with pytest.raises(ConnectionError):
        read_range(_stream(), broken, staging, book, days=days, run_id="r")
    assert [r["id"] for r in staging.read_rows(AssetKey(["coupa", "invoices"]), "2024-03-02")] == ["kept"]
    assert list(staging.read_rows(AssetKey(["coupa", "invoices"]), "2024-03-01")) == []
    leftovers = [p.name for p in (staging.root() / "coupa/invoices").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_key_twice_in_one_range_read_fails_even_across_days():
    spec = _spec("coupa/invoices")
    twice = [
        {"id": 7, "_updated_at": datetime(2024, 3, 1, tzinfo=UTC)},
        {"id": 7, "_updated_at": datetime(2024, 3, 3, tzinfo=UTC)},
    ]
    with pytest.raises(RecordKeyError, match="7 appears twice"):
        list(unique_rows(spec, twice))


def test_the_spool_keeps_memory_within_its_budget_and_order_within_a_day(tmp_path):
    staging = StagingResource(base_dir=str(tmp_path))
    days = _days(date(2024, 1, 1), date(2024, 1, 10))
    spool = DaySpool(staging, AssetKey(["test", "x"]), (Column("id"), Column("n", "int")), days, budget=7)
    for n in range(200):
        spool.write(days[n % 3 * 2], {"id": f"r{n}", "n": n})
        assert spool._held < 7
    spool.commit()
    for i, day in enumerate(days):
        ns = [r["n"] for r in staging.read_rows(AssetKey(["test", "x"]), day.isoformat())]
        expected = [n for n in range(200) if n % 3 * 2 == i]
        assert ns == expected, day
        assert staging.exists(AssetKey(["test", "x"]), day.isoformat())


def test_read_groups_keep_today_apart_and_single_days_on_their_own():
    d = [date(2024, 5, i) for i in range(1, 6)]
    assert read_groups(d, today=d[-1]) == [d[:4], [d[4]]]
    assert read_groups(d, today=date(2024, 6, 1)) == [d]
    assert read_groups([d[4]], today=d[4]) == [[d[4]]]
    assert read_groups([d[0], d[2], d[3]], today=d[4]) == [[d[0]], [d[2], d[3]]]
