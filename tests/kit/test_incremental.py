"""The shared day-reading rules, driven with plain source functions and a real ledger and staging."""

from datetime import date, datetime, timedelta

from dagster import AssetKey

from connector_assets.runtime.incremental import Stream, read_day
from connector_assets.runtime.staging import Column, StagingResource
from connector_resources.ledger import Ledger

TODAY = date(2026, 11, 21)
COLUMNS = (Column("ID", "int"), Column("NAME"), Column("AMOUNT", "decimal"), Column("AT", "datetime"))
STREAM = Stream(
    integration="itest",
    name="things",
    asset=AssetKey(["itest", "things"]),
    columns=COLUMNS,
    key=("ID",),
    record_id=lambda row: f"thing {row.get('ID')}",
    updated_at=lambda row: row.get("AT"),
)


class Source:
    """A source whose records change over time; records each fetch it was asked for."""

    def __init__(self):
        self.rows: dict[int, dict] = {}
        self.calls: list[tuple] = []

    def put(self, id_, at, amount="10.00", name=None):
        self.rows[id_] = {"ID": id_, "NAME": name or f"thing {id_}", "AMOUNT": amount, "AT": at}

    def fetch(self, day, since):
        self.calls.append((day, since))
        return [
            dict(r)
            for r in self.rows.values()
            if (day is None or r["AT"].date() == day) and (since is None or r["AT"] >= since)
        ]


def _read(source, staging, ledger, day=TODAY):
    return read_day(
        STREAM,
        source.fetch,
        staging,
        ledger,
        day=day,
        today=TODAY,
        overlap=timedelta(minutes=10),
        run_id="run-1",
    )


def test_today_is_read_whole_then_incrementally_with_overlap(tmp_path):
    staging, ledger, source = (
        StagingResource(base_dir=str(tmp_path)),
        Ledger(f"sqlite:///{tmp_path}/l.db"),
        Source(),
    )
    for i in range(5):
        source.put(i, datetime(2026, 11, 21, 8, 0, i))
    first = _read(source, staging, ledger)
    assert (first.mode, first.rows) == ("whole day", 5)
    assert ledger.get_cursor("itest", "things") == "2026-11-21T08:00:04"

    source.put(1, datetime(2026, 11, 21, 9, 30), name="renamed")  # an update
    source.put(7, datetime(2026, 11, 21, 7, 55))  # committed late, stamped before the cursor, outside overlap
    source.put(8, datetime(2026, 11, 21, 7, 58))  # committed late, inside the overlap
    second = _read(source, staging, ledger)
    assert second.mode == "incremental"
    assert source.calls[-1] == (TODAY, datetime(2026, 11, 21, 7, 50, 4))
    staged = {r["ID"]: r["NAME"] for r in staging.read_rows(STREAM.asset, "2026-11-21")}
    assert staged[1] == "renamed" and 8 in staged and 7 in staged
    assert len(staged) == 7
    assert ledger.get_cursor("itest", "things") == "2026-11-21T09:30:00"


def test_a_past_day_is_replaced_whole_and_leaves_the_cursor(tmp_path):
    staging, ledger, source = (
        StagingResource(base_dir=str(tmp_path)),
        Ledger(f"sqlite:///{tmp_path}/l.db"),
        Source(),
    )
    yesterday = TODAY - timedelta(days=1)
    source.put(1, datetime(2026, 11, 20, 23, 59, 59))
    _read(source, staging, ledger, day=yesterday)
    del source.rows[1]
    source.put(2, datetime(2026, 11, 20, 12, 0))
    read = _read(source, staging, ledger, day=yesterday)
    assert read.mode == "whole day"
    assert [r["ID"] for r in staging.read_rows(STREAM.asset, "2026-11-20")] == [2]
    assert ledger.get_cursor("itest", "things") is None


def test_a_malformed_record_goes_to_the_retry_queue_and_the_rest_proceed(tmp_path):
    staging, ledger, source = (
        StagingResource(base_dir=str(tmp_path)),
        Ledger(f"sqlite:///{tmp_path}/l.db"),
        Source(),
    )
    source.put(1, datetime(2026, 11, 21, 8, 0))
    source.put(2, datetime(2026, 11, 21, 8, 1), amount="12,50 EUR")
    source.put(3, datetime(2026, 11, 21, 8, 2))
    read = _read(source, staging, ledger)
    assert (read.rows, read.rejected) == (2, 1)
    assert [r["ID"] for r in staging.read_rows(STREAM.asset, "2026-11-21")] == [1, 3]
    [item] = ledger.open_items(integration="itest")
    assert item.source_key == "thing 2" and "field AMOUNT" in item.reason and "12,50 EUR" in item.reason
    assert item.payload["AMOUNT"] == "12,50 EUR"
    assert [e.action for e in ledger.history("thing 2")] == ["fail"]
