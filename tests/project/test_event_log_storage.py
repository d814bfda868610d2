"""The embedded instance's event log (dagster.yaml: ``KeptConnectionSqliteEventLogStorage``) keeps its
SQLite connections open and still behaves as Dagster's: another instance on the same files sees every event
at once, a backfill day's status reads the same, evicted and wiped databases reopen."""

import shutil
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetObservation,
    DagsterInstance,
    DailyPartitionsDefinition,
    asset,
    materialize,
)

from connector_assets.runtime import event_log_storage
from connector_assets.runtime.event_log_storage import KeptConnectionSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[2]
DAYS = DailyPartitionsDefinition(start_date="2026-01-01")


@asset(partitions_def=DAYS)
def daily(context) -> None:
    context.log_event(AssetObservation(AssetKey("seen"), partition=context.partition_key))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME holding the project's own dagster.yaml, as ``ml-connector dev`` makes one."""
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    return tmp_path


def test_the_embedded_instance_stores_events_where_dagster_does_and_another_instance_sees_them(home: Path):
    with DagsterInstance.get() as writer, DagsterInstance.get() as reader:
        assert isinstance(writer.event_log_storage, KeptConnectionSqliteEventLogStorage)
        reader_sees = []
        for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
            assert materialize([daily], instance=writer, partition_key=day).success
            # A second instance (as the webserver is to a run worker) reads each day as soon as it is stored.
            reader_sees.append(sorted(reader.get_materialized_partitions(AssetKey("daily"))))
        assert reader_sees == [
            ["2026-01-01"],
            ["2026-01-01", "2026-01-02"],
            ["2026-01-01", "2026-01-02", "2026-01-03"],
        ]
        observed = reader.fetch_observations(AssetKey("seen"), limit=10).records
        assert sorted(r.partition_key for r in observed) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert (home / "history" / "runs" / "index.db").exists()  # Dagster's default place: nothing moves


def test_runs_beyond_the_kept_engines_are_closed_and_read_again(home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(event_log_storage, "KEPT_ENGINES", 2)
    with DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        runs = [
            materialize([daily], instance=instance, partition_key=f"2026-02-0{n}").run_id for n in (1, 2, 3)
        ]
        assert len(storage._engines) <= 2
        for run_id in runs:  # the first run's database was closed; reading it opens it again
            assert any(e.is_dagster_event for e in instance.all_logs(run_id))
        instance.wipe()  # the run databases' files are deleted: their connections closed first
        assert list(storage._engines) == ["index"]  # wiped, then reopened by the wipe itself
        assert materialize([daily], instance=instance, partition_key="2026-02-04").success
        assert sorted(instance.get_materialized_partitions(AssetKey("daily"))) == ["2026-02-04"]


def test_without_a_folder_it_says_which_setting_is_missing(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(ValueError, match="DAGSTER_HOME"):
        KeptConnectionSqliteEventLogStorage()
