"""The JD Edwards source assets against the AIS simulator, through Dagster's real machinery.

Staged row counts are checked against independent COUNT queries; the current day is polled
incrementally (a no-change poll costs one data-service call); a dd/MM/yyyy user stages the same data;
a date-range backfill runs through the real ``dagster`` CLI.
"""

import logging
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import requests
from asset_runs import materialized
from dagster import AssetKey, materialize
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from instances import instance_for_test
from roots import ROOT

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_assets.jde.assets import jde_assets
from connector_assets.jde.columnar import CURSOR_INTEGRATION, stage_range, stage_whole, stream_of
from connector_assets.jde.extract import _fetcher, read_table
from connector_assets.jde.tables import AP_LEDGER, GL_ACCOUNTS, PO_HEADERS, PO_LINES, SUPPLIERS
from connector_assets.runtime.incremental import read_day
from connector_assets.runtime.staging import StagingResource
from connector_resources.jde import Condition, JdeAisResource
from connector_resources.ledger import Ledger, LedgerResource
from connector_sandbox.jde_ais import JdeSandboxSettings, run_in_thread

USERS = {"INTEGR8": "integr8-sandbox", "EUROINT": "euroint-sandbox"}


@pytest.fixture(scope="module")
def sandbox():
    base, stop = run_in_thread(JdeSandboxSettings(scale=0.05))
    yield base
    stop()


def _resources(base: str, folder: Path, user: str = "INTEGR8") -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "jde": JdeAisResource(
            base_url=base, username=user, password=USERS[user], environment="JPS920", role="*ALL"
        ),
        "staging": StagingResource(base_dir=str(folder / "staging")),
        "ledger": LedgerResource(db_url=f"sqlite:///{folder / 'ledger.sqlite'}"),
        "target_boundary": UNWRAPPED,
    }


def _count(resources, table: str, conditions) -> int:
    with resources["jde"].session() as session:
        return session.count(table, conditions)


def _asset(key: AssetKey):
    return next(a for a in jde_assets if a.key == key)


def test_gl_accounts_are_read_whole(sandbox, tmp_path):
    res = _resources(sandbox, tmp_path)
    metadata = materialized([_asset(GL_ACCOUNTS.asset)], res)[GL_ACCOUNTS.asset]
    staged = res["staging"].count(GL_ACCOUNTS.asset, None)
    assert staged == metadata["rows"].value == _count(res, "F0901", []) > 100
    assert metadata["dagster/row_count"].value == staged  # what the UI shows as the asset's rows
    postable = {r["AID"]: r["PEC"] for r in res["staging"].read_rows(GL_ACCOUNTS.asset, None)}
    assert {"", "N", "I"} <= set(postable.values())  # the cache can tell postable from non-posting


def test_a_date_range_backfill_stages_every_row_of_each_day(sandbox, tmp_path):
    res = _resources(sandbox, tmp_path)
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=29)
    specs = [SUPPLIERS, PO_HEADERS, PO_LINES, AP_LEDGER]
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }
    metadata = materialized([_asset(s.asset) for s in specs], res, tags=tags)
    for spec in specs:
        staged = sum(
            res["staging"].count(spec.asset, (start + timedelta(days=i)).isoformat()) for i in range(30)
        )
        expected = _count(res, spec.table, [Condition(f"{spec.table}.UPMJ", "BETWEEN", (start, end))])
        assert staged == expected == metadata[spec.asset]["rows"].value, spec.table
        assert metadata[spec.asset]["days"].value == 30
    assert metadata[PO_LINES.asset]["rows"].value > 0
    lines = next(res["staging"].read_batches(PO_LINES.asset, _first_day_with_rows(res, PO_LINES, start)))
    assert (
        str(lines["AEXP"].dtype) == "object"
        and lines["AEXP"].map(type).eq(__import__("decimal").Decimal).all()
    )


def _first_day_with_rows(res, spec, start):
    for i in range(30):
        day = (start + timedelta(days=i)).isoformat()
        if res["staging"].count(spec.asset, day):
            return day
    raise AssertionError("no staged rows")


def test_the_current_day_is_polled_incrementally(sandbox, tmp_path, monkeypatch):
    # Within the overlap after midnight the re-read would start yesterday (a whole-day read by design);
    # a one-second overlap keeps this test about today whatever the hour it runs at.
    monkeypatch.setenv("ML_JDE_OVERLAP_MINUTES", str(1 / 60))
    res = _resources(sandbox, tmp_path)
    root = sandbox.rsplit("/jderest", 1)[0]
    today = date.today().isoformat()
    asset = _asset(SUPPLIERS.asset)

    requests.post(f"{root}/sandbox/activity", json={"new_suppliers": 3, "updated_suppliers": 2}, timeout=30)
    first = materialized([asset], res, partition_key=today)[SUPPLIERS.asset]
    assert first["modes"].value == "whole day" and first["rows"].value >= 5
    ledger = Ledger(res["ledger"].db_url)
    cursor = ledger.get_cursor(CURSOR_INTEGRATION, "F0401")
    assert cursor and cursor.startswith(today)

    quiet = materialized([asset], res, partition_key=today)[SUPPLIERS.asset]
    assert quiet["modes"].value == "incremental"
    assert quiet["pages"].value == 1  # a poll with nothing new costs one data-service page
    assert quiet["rows"].value <= first["rows"].value

    requests.post(f"{root}/sandbox/activity", json={"new_suppliers": 4}, timeout=30)
    third = materialized([asset], res, partition_key=today)[SUPPLIERS.asset]
    assert third["modes"].value == "incremental"
    staged = {r["AN8"] for r in res["staging"].read_rows(SUPPLIERS.asset, today)}
    expected = _count(res, "F0401", [Condition("F0401.UPMJ", "EQUAL", date.today())])
    assert len(staged) == expected >= first["rows"].value + 4
    assert third["dagster/row_count"].value == len(staged)  # the day's staged rows, not just the increment


def test_a_dd_mm_yyyy_user_stages_the_same_rows(sandbox, tmp_path):
    us = _resources(sandbox, tmp_path / "us")
    eu = _resources(sandbox, tmp_path / "eu", user="EUROINT")
    day = (date.today() - timedelta(days=21)).isoformat()  # the sandbox's mass-update day is busy
    for res in (us, eu):
        materialized([_asset(AP_LEDGER.asset)], res, partition_key=day)
    rows_us = sorted(us["staging"].read_rows(AP_LEDGER.asset, day), key=lambda r: (r["DOC"], r["SFX"]))
    rows_eu = sorted(eu["staging"].read_rows(AP_LEDGER.asset, day), key=lambda r: (r["DOC"], r["SFX"]))
    assert rows_us == rows_eu
    assert any(r["DIVJ"] is not None and r["DIVJ"].day > 12 for r in rows_us)  # would be misread if swapped


def test_backfill_through_the_dagster_cli(sandbox, tmp_path):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "ML_JDE_AIS_URL": sandbox,
        "ML_CONNECTOR_DB_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
    }
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=4)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dagster",
            "asset",
            "materialize",
            "-m",
            "connector_assets.definitions",
            "--select",
            SUPPLIERS.asset.to_user_string(),
            "--partition-range",
            f"{start}...{end}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    staged = [
        tmp_path / "staging" / "jde" / "suppliers" / f"{start + timedelta(days=i)}.parquet" for i in range(5)
    ]
    assert all(p.is_file() for p in staged)


# -- whole days, page by page and column-wise ---------------------------------------------------------


def test_a_whole_day_staged_by_column_equals_the_row_by_row_read(sandbox, tmp_path):
    """``columnar.stage_whole`` (what a whole-day read now runs) against ``incremental.read_day``'s row
    path (what it ran before): same file, same figures, over several pages."""
    day = date.today() - timedelta(days=21)  # the sandbox's mass-update day: many rows
    jde = JdeAisResource(
        base_url=sandbox, username="INTEGR8", password=USERS["INTEGR8"], environment="JPS920", page_size=7
    )
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    by_row = StagingResource(base_dir=str(tmp_path / "rows"))
    by_column = StagingResource(base_dir=str(tmp_path / "columns"))
    for spec in (PO_LINES, AP_LEDGER):
        with jde.session() as session:
            old = read_day(
                stream_of(spec),
                _fetcher(spec, session),
                by_row,
                ledger,
                day=day,
                today=date.today(),
                overlap=timedelta(minutes=10),
                run_id="rows",
            )
            new = stage_whole(spec, session, by_column, ledger, day=day, run_id="columns")
            pages = session.pages
        assert pages > 4, spec.table
        assert (new.rows, new.rejected, new.first, new.last, new.mode) == (
            old.rows,
            old.rejected,
            old.first,
            old.last,
            old.mode,
        )
        partition = day.isoformat()
        assert new.rows == by_column.count(spec.asset, partition) > 7 * 4
        staged = list(by_column.read_rows(spec.asset, partition))
        assert staged == list(by_row.read_rows(spec.asset, partition))
        schema = pq.ParquetFile(by_column.path(spec.asset, partition)).schema_arrow
        assert schema == pq.ParquetFile(by_row.path(spec.asset, partition)).schema_arrow


def _scripted_login(request: RecordedRequest) -> CannedResponse:
    info = {"token": "044ScriptedToken", "simpleDateFormat": "MM/dd/yyyy"}
    return CannedResponse(200, {"username": "INTEGR8", "userInfo": info})


def _supplier(an8, upmj="03/02/2025", upmt=93015) -> dict:
    return {"F0401_AN8": an8, "F0401_APC": "AP  ", "F0401_HOLD": " ", "F0401_UPMJ": upmj, "F0401_UPMT": upmt}


def _page(rows: list[dict], next_href: str | None) -> CannedResponse:
    grid = {"rowset": rows, "summary": {"records": len(rows), "moreRecords": next_href is not None}}
    body: dict = {"fs_DATABROWSE_F0401": {"data": {"gridData": grid}, "errors": []}, "sysErrors": []}
    if next_href:
        body["links"] = [{"rel": "next", "href": next_href}]
    return CannedResponse(200, body)


def test_a_page_with_a_bad_value_is_staged_row_by_row_and_only_that_row_is_queued(tmp_path):
    """A number sent as text and an unreadable date cannot be typed column-wise: their page goes through
    the row path, which stages the good rows and queues each bad one with record and field named."""
    with ScriptedServer() as server:
        server.route("/jderest/v2/tokenrequest", _scripted_login)
        server.route("/jderest/v2/tokenrequest/logout", CannedResponse(200, {}))
        link = f"{server.url}/jderest/v2/dataservice/next?stackId=1"
        server.route("/jderest/v2/dataservice", _page([_supplier(1), _supplier(2)], link))
        bad_page = [_supplier(3), _supplier("4X"), _supplier(5, upmj="31/31/2025"), _supplier(6)]
        server.route("/jderest/v2/dataservice/next", _page(bad_page, None))
        jde = JdeAisResource(base_url=f"{server.url}/jderest", username="INTEGR8", password="scripted")
        staging = StagingResource(base_dir=str(tmp_path / "staging"))
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        with jde.session() as session:
            read = stage_whole(SUPPLIERS, session, staging, ledger, day=date(2025, 3, 2), run_id="r1")
    assert (read.rows, read.rejected) == (4, 2)
    staged = list(staging.read_rows(SUPPLIERS.asset, "2025-03-02"))
    assert [r["AN8"] for r in staged] == [1, 2, 3, 6]
    assert staged[0]["APC"] == "AP" and staged[0]["HOLD"] == "" and staged[0]["UPMT"] == 93015
    queued = {item.source_key: item.reason for item in ledger.open_items(integration="jde")}
    assert set(queued) == {"F0401 4X", "F0401 5"}
    assert "field AN8" in queued["F0401 4X"] and "field UPMJ" in queued["F0401 5"]


# -- a backfill's range in one query, staged per day --------------------------------------------------

DATASERVICE = "POST /jderest/v2/dataservice"


def _calls(sandbox: str) -> dict[str, int]:
    root = sandbox.rsplit("/jderest", 1)[0]
    return requests.get(f"{root}/sandbox/state", timeout=30).json()["calls"]


def _figures(read) -> tuple:
    return (read.day, read.rows, read.rejected, read.first, read.last, read.mode)


def _range_days() -> list[date]:
    """Twelve past days around the sandbox's mass-update day (today - 21): busy days and empty ones."""
    first = date.today() - timedelta(days=25)
    return [first + timedelta(days=i) for i in range(12)]


def _range_setup(sandbox: str, tmp_path: Path) -> tuple:
    """The range's days, a 7-row-page session factory, a ledger and two staging areas (per day, range)."""
    jde = JdeAisResource(
        base_url=sandbox, username="INTEGR8", password=USERS["INTEGR8"], environment="JPS920", page_size=7
    )
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    staged = [StagingResource(base_dir=str(tmp_path / name)) for name in ("days", "range")]
    return _range_days(), jde, ledger, *staged


def _staged(staging: StagingResource, spec, day: date) -> list[dict]:
    return list(staging.read_rows(spec.asset, day.isoformat()))


def _day_by_day(spec, jde, staging, ledger, days) -> list:
    with jde.session() as session:
        return [stage_whole(spec, session, staging, ledger, day=day, run_id="days") for day in days]


def test_a_range_is_read_with_one_query_and_staged_as_per_day_reads_stage_it(sandbox, tmp_path):
    days, jde, ledger, by_day, by_range = _range_setup(sandbox, tmp_path)
    for spec in (PO_LINES, SUPPLIERS):
        old = _day_by_day(spec, jde, by_day, ledger, days)
        empty = [r.day for r in old if r.rows == 0]
        assert empty and len(empty) < len(days), spec.table  # the window holds both kinds of day
        stale = by_range.writer(spec.asset, empty[0].isoformat(), spec.columns)  # a previous read's rows
        for row in by_day.read_rows(spec.asset, next(r.day for r in old if r.rows).isoformat()):
            stale.write(row)
        stale.commit()
        before = _calls(sandbox)
        with jde.session() as session:
            new = read_table(spec, session, by_range, ledger, days=days, run_id="range", today=date.today())
            pages = session.pages
        after = _calls(sandbox)
        assert after.get(DATASERVICE, 0) - before.get(DATASERVICE, 0) == 1, spec.table  # one query
        assert pages == 1 + after.get(f"{DATASERVICE}/next", 0) - before.get(f"{DATASERVICE}/next", 0)
        assert [_figures(r) for r in new] == [_figures(r) for r in old], spec.table
        assert {r.window for r in new} == {f"{days[0]}..{days[-1]}"}
        for read in new:
            staged = _staged(by_range, spec, read.day)
            assert staged == _staged(by_day, spec, read.day) and len(staged) == read.rows, (
                spec.table,
                read.day,
            )
        assert by_range.count(spec.asset, empty[0].isoformat()) == 0  # replaced, not left as it was
        assert all(by_range.exists(spec.asset, day.isoformat()) for day in days)  # empty days: a file
    assert sum(r.rows for r in new) > 7  # suppliers too span more than one page


def test_a_range_read_resumed_after_a_new_login_stages_the_same_days(sandbox, tmp_path):
    days, jde, ledger, by_day, by_range = _range_setup(sandbox, tmp_path)
    old = _day_by_day(PO_LINES, jde, by_day, ledger, days)
    root = sandbox.rsplit("/jderest", 1)[0]
    with jde.session() as session:
        browse_columns = session.browse_columns

        def interrupted(*args, **kwargs):  # every token dies after the third page: 444, then a resume
            for index, page in enumerate(browse_columns(*args, **kwargs)):
                if index == 2:
                    requests.post(f"{root}/sandbox/restart", timeout=30).raise_for_status()
                yield page

        session.browse_columns = interrupted
        new = stage_range(PO_LINES, session, by_range, ledger, days=days, run_id="range")
        assert session.reauths >= 1 and session.restarts >= 1
    assert [_figures(r) for r in new] == [_figures(r) for r in old]
    assert all(_staged(by_range, PO_LINES, day) == _staged(by_day, PO_LINES, day) for day in days)


def test_a_backfill_materializes_every_day_with_its_own_row_count_empty_days_zero(sandbox, tmp_path):
    days = _range_days()
    res = _resources(sandbox, tmp_path)
    tags = {
        "dagster/asset_partition_range_start": days[0].isoformat(),
        "dagster/asset_partition_range_end": days[-1].isoformat(),
    }
    before = _calls(sandbox).get(DATASERVICE, 0)
    with instance_for_test() as instance:
        result = materialize([_asset(SUPPLIERS.asset)], resources=res, instance=instance, tags=tags)
    assert result.success
    assert _calls(sandbox).get(DATASERVICE, 0) - before == 1
    counts = {
        e.partition: e.materialization.metadata["dagster/row_count"].value
        for e in result.get_asset_materialization_events()
    }
    assert counts == {d.isoformat(): res["staging"].count(SUPPLIERS.asset, d.isoformat()) for d in days}
    assert 0 in counts.values() and sum(counts.values()) > 0


def _ranged(request: RecordedRequest, rows: list[dict]) -> CannedResponse:
    """A one-page data service over ``rows`` that keeps to an ``UPMJ EQUAL`` condition (a per-day read)
    and sends everything else as it is, in the order given."""
    conditions = request.json().get("query", {}).get("condition", [])
    days = [c["value"][0]["content"] for c in conditions if c["operator"] == "EQUAL"]
    return _page([r for r in rows if not days or r["F0401_UPMJ"] in days], None)


def test_a_page_with_a_bad_value_queues_that_row_on_its_own_day(tmp_path):
    days = [date(2025, 3, 1) + timedelta(days=i) for i in range(5)]
    with ScriptedServer() as server:
        server.route("/jderest/v2/tokenrequest", _scripted_login)
        server.route("/jderest/v2/tokenrequest/logout", CannedResponse(200, {}))
        link = f"{server.url}/jderest/v2/dataservice/next?stackId=1"
        server.route("/jderest/v2/dataservice", _page([_supplier(1, "03/01/2025"), _supplier(2)], link))
        bad_page = [
            _supplier(3),
            _supplier("4X"),
            _supplier(5, upmj="31/31/2025"),
            _supplier(6, "03/04/2025"),
        ]
        server.route("/jderest/v2/dataservice/next", _page(bad_page, None))
        jde = JdeAisResource(base_url=f"{server.url}/jderest", username="INTEGR8", password="scripted")
        staging = StagingResource(base_dir=str(tmp_path / "staging"))
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        with jde.session() as session:
            reads = read_table(
                SUPPLIERS, session, staging, ledger, days=days, run_id="r1", today=date(2026, 1, 1)
            )
        (query,) = server.hits("/jderest/v2/dataservice")
    body = query.json()
    conditions = [
        (c["controlId"], c["operator"], c["value"][0]["content"]) for c in body["query"]["condition"]
    ]
    assert conditions == [
        ("F0401.UPMJ", "GREATER_EQUAL", "03/01/2025"),
        ("F0401.UPMJ", "LESS_EQUAL", "03/05/2025"),
    ]
    assert body["aggregation"]["orderBy"][0] == {"column": "F0401.UPMJ", "direction": "ASC"}
    assert [(r.day.day, r.rows, r.rejected) for r in reads] == [
        (1, 1, 0),
        (2, 2, 2),
        (3, 0, 0),
        (4, 1, 0),
        (5, 0, 0),
    ]
    staged = {d.day: [r["AN8"] for r in staging.read_rows(SUPPLIERS.asset, d.isoformat())] for d in days}
    assert staged == {1: [1], 2: [2, 3], 3: [], 4: [6], 5: []}
    queued = {item.source_key: item.reason for item in ledger.open_items(integration="jde")}
    assert set(queued) == {"F0401 4X", "F0401 5"}
    assert "field AN8" in queued["F0401 4X"] and "field UPMJ" in queued["F0401 5"]


def test_a_server_ignoring_the_order_gets_read_day_by_day(tmp_path, caplog):
    rows = [_supplier(1, "03/02/2025"), _supplier(2, "03/01/2025"), _supplier(3, "03/02/2025")]
    days = [date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)]
    with ScriptedServer() as server:
        server.route("/jderest/v2/tokenrequest", _scripted_login)
        server.route("/jderest/v2/tokenrequest/logout", CannedResponse(200, {}))
        server.route("/jderest/v2/dataservice", lambda request: _ranged(request, rows))
        jde = JdeAisResource(base_url=f"{server.url}/jderest", username="INTEGR8", password="scripted")
        staging = StagingResource(base_dir=str(tmp_path / "staging"))
        ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
        with jde.session() as session, caplog.at_level(logging.WARNING):
            reads = stage_range(SUPPLIERS, session, staging, ledger, days=days, run_id="r1")
        queries = len(server.hits("/jderest/v2/dataservice"))
    assert queries == 1 + len(days)  # the range, then each day on its own
    assert "F0401 2025-03-01..2025-03-03" in caplog.text and "after 2025-03-02 was staged" in caplog.text
    assert [(r.rows, r.window) for r in reads] == [(1, None), (2, None), (0, None)]
    staged = {d.day: [r["AN8"] for r in staging.read_rows(SUPPLIERS.asset, d.isoformat())] for d in days}
    assert staged == {1: [2], 2: [1, 3], 3: []}


def test_today_read_whole_joins_the_range_and_moves_the_cursor(sandbox, tmp_path):
    root = sandbox.rsplit("/jderest", 1)[0]
    requests.post(f"{root}/sandbox/activity", json={"new_suppliers": 2}, timeout=30).raise_for_status()
    today = date.today()
    days = [today - timedelta(days=2), today - timedelta(days=1), today]
    jde = JdeAisResource(
        base_url=sandbox, username="INTEGR8", password=USERS["INTEGR8"], environment="JPS920"
    )
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    staging = StagingResource(base_dir=str(tmp_path / "staging"))
    before = _calls(sandbox).get(DATASERVICE, 0)
    with jde.session() as session:
        reads = read_table(SUPPLIERS, session, staging, ledger, days=days, run_id="r1", today=today)
    assert (
        _calls(sandbox).get(DATASERVICE, 0) - before == 1
    )  # nothing staged today yet: read whole, with the rest
    assert reads[-1].day == today and reads[-1].rows >= 2
    assert ledger.get_cursor(CURSOR_INTEGRATION, "F0401") == reads[-1].last.isoformat()
