"""The private Dagster names the project uses live in ``runtime.dagster_compat``, and each exists.

A Dagster release that removes or renames one fails ``test_the_private_name_resolves[<module>.<name>]``:
the project still runs (the module falls back to Dagster's stock behaviour with one warning), but the test
names what to look at before upgrading. No other module imports a private Dagster name, the run path's
(``run_workers``, ``event_log_storage``) included; the private attributes they reach into have a test each.
"""

import ast
import importlib
import warnings
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from dagster import (
    AssetKey,
    AssetObservation,
    Backoff,
    execute_job,
    in_process_executor,
    job,
    op,
    reconstructable,
)
from instances import instance_for_test

from connector_assets.runtime import dagster_compat, run_workers
from connector_assets.runtime.event_log_storage import KeptConnectionSqliteEventLogStorage
from connector_resources.process_identity import ProcessIdentity

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("connector_assets", "connector_resources", "connector_cli")
ALLOWED = {"connector_assets/runtime/dagster_compat.py"}


@pytest.mark.parametrize("module, name", dagster_compat.PRIVATE_NAMES, ids=lambda part: part)
def test_the_private_name_resolves(module, name):
    assert hasattr(importlib.import_module(module), name), f"this Dagster has no {module}.{name}"


@pytest.mark.parametrize("name", dagster_compat.SQLITE_EVENT_LOG_INTERNALS)
def test_the_sqlite_event_log_has_the_internal(tmp_path, name):
    stock = dagster_compat.SqliteEventLogStorage(str(tmp_path))
    try:
        assert hasattr(stock, name), f"this Dagster's SqliteEventLogStorage has no {name}"
    finally:
        stock.dispose()


@pytest.mark.parametrize("name", dagster_compat.EXECUTOR_DEFINITION_INTERNALS)
def test_the_in_process_executor_has_the_internal(name):
    assert hasattr(in_process_executor, name), f"this Dagster's in_process_executor has no {name}"


@op
def _observes(context) -> None:
    context.log_event(AssetObservation(AssetKey("seen")))


@job(executor_def=run_workers.marked_in_process_executor)
def _observing() -> None:
    _observes()


def _compat_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, dagster_compat.DagsterCompatWarning)]


def test_the_installed_dagster_needs_no_fallback():
    assert dagster_compat.calculate_delay is not dagster_compat.stock_delay
    assert dagster_compat.daemon_controller() is not None
    assert dagster_compat.dev_command_module() is not None
    assert dagster_compat.daemon_command().__module__ == "dagster._daemon.cli"
    assert dagster_compat.checks_run_workers()
    assert run_workers.marked_in_process_executor is not in_process_executor
    with TemporaryDirectory() as base:
        storage = KeptConnectionSqliteEventLogStorage(base)
        try:
            assert storage._keeps()
        finally:
            storage.dispose()


def _private_dagster_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names if name.startswith("dagster._")
        ]
    return found


def test_no_private_dagster_import_outside_the_compatibility_module():
    files = [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]
    outside = [
        found
        for path in files
        if path.relative_to(ROOT).as_posix() not in ALLOWED
        for found in _private_dagster_imports(path)
    ]
    assert outside == []
    # the scan sees imports inside functions and TYPE_CHECKING blocks too
    assert _private_dagster_imports(ROOT / "connector_assets/runtime/dagster_compat.py")


def test_a_missing_name_falls_back_to_stock_behaviour_and_warns_once(monkeypatch):
    def without_policy(module: str):
        if module == "dagster._core.definitions.policy":
            raise ModuleNotFoundError(f"No module named {module!r}")
        return importlib.import_module(module)

    monkeypatch.setattr(dagster_compat, "import_module", without_policy)
    monkeypatch.setattr(dagster_compat, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        delays = [
            dagster_compat.private(
                "dagster._core.definitions.policy", "calculate_delay", dagster_compat.stock_delay, "x"
            )
            for _ in range(3)
        ]
    assert all(delay is dagster_compat.stock_delay for delay in delays)
    told = [w for w in caught if issubclass(w.category, dagster_compat.DagsterCompatWarning)]
    assert len(told) == 1
    assert "dagster._core.definitions.policy.calculate_delay" in str(told[0].message)
    # the fallback gives Dagster's own delays for the policies step_retry builds
    for backoff in (None, Backoff.LINEAR, Backoff.EXPONENTIAL):
        for attempt in (1, 2, 5):
            assert dagster_compat.stock_delay(attempt, backoff, None, 3.0) == dagster_compat.calculate_delay(
                attempt, backoff, None, 3.0
            )


def test_without_the_daemon_constant_the_loop_stays_dagsters(monkeypatch):
    from connector_cli import dagster_daemon

    class ControllerWithoutConstant:
        pass

    monkeypatch.setattr(dagster_compat, "import_module", lambda module: ControllerWithoutConstant)
    monkeypatch.setattr(dagster_compat, "_warned", set())
    dagster_compat.daemon_controller.cache_clear()
    monkeypatch.setenv(dagster_daemon.LOOP_ENV, "7")
    try:
        with pytest.warns(dagster_compat.DagsterCompatWarning, match="DEFAULT_DAEMON_INTERVAL_SECONDS"):
            assert dagster_daemon.shorten_backfill_loop() is None
    finally:
        dagster_compat.daemon_controller.cache_clear()


def test_without_the_freshness_types_a_failure_is_still_told_by_its_state(monkeypatch):
    from dagster import AssetKey

    from connector_assets.alerts import freshness

    def change(state):
        return dagster_compat.FreshnessStateChange(
            key=AssetKey("flow_written"),
            new_state=state,
            previous_state=dagster_compat.FreshnessState.PASS,
            state_change_timestamp=0.0,
        )

    failed, warned = change(dagster_compat.FreshnessState.FAIL), change(dagster_compat.FreshnessState.WARN)
    assert freshness._is_failure(failed) and not freshness._is_failure(warned)
    monkeypatch.setattr(freshness, "FreshnessState", None)
    monkeypatch.setattr(freshness, "FreshnessStateChange", None)
    assert freshness._is_failure(failed) and not freshness._is_failure(warned)
    assert not freshness._is_failure(None)


def _compat_warnings(caught) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, dagster_compat.DagsterCompatWarning)]


def test_without_the_health_types_the_launcher_is_dagsters_own_and_warns_once(monkeypatch):
    monkeypatch.setattr(dagster_compat, "_warned", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = [
            dagster_compat.private("dagster._core.launcher", "RenamedWorkerStatus", None, "x")
            for _ in range(3)
        ]
    assert status == [None] * 3 and len(_compat_warnings(caught)) == 1
    monkeypatch.setattr(dagster_compat, "WorkerStatus", None)
    dagster_compat.checks_run_workers.cache_clear()
    try:
        assert not run_workers.WatchedRunLauncher().supports_check_run_worker_health  # DefaultRunLauncher's
    finally:
        dagster_compat.checks_run_workers.cache_clear()


def test_without_the_executor_schema_runs_use_dagsters_own_executor_and_warn_once(monkeypatch):
    monkeypatch.setattr(dagster_compat, "_warned", set())
    monkeypatch.setattr(dagster_compat, "EXECUTOR_DEFINITION_INTERNALS", ("renamed_config_schema",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chosen = [run_workers._marked_in_process_executor() for _ in range(3)]
    assert all(executor is in_process_executor for executor in chosen)
    [told] = _compat_warnings(caught)
    assert "in_process_executor.renamed_config_schema" in told and "not named" in told, told


def test_the_marked_executor_runs_dagsters_own_and_names_the_worker_in_a_run_tag():
    with instance_for_test() as instance:
        # The job's own executor (``execute_in_process`` would put Dagster's in its place).
        with execute_job(reconstructable(_observing), instance) as result:
            assert result.success
            assert [e.asset_key for e in result.asset_observations_for_node("_observes")] == [
                AssetKey("seen")
            ]
            run = instance.get_run_by_id(result.run_id)
        assert run_workers.worker_named(run) == ProcessIdentity.current()


def test_without_the_sqlite_internals_the_event_log_is_dagsters_own_and_warns_once(tmp_path, monkeypatch):
    monkeypatch.setattr(dagster_compat, "_warned", set())
    renamed = (*dagster_compat.SQLITE_EVENT_LOG_INTERNALS, "_renamed_db_lock")
    monkeypatch.setattr(dagster_compat, "SQLITE_EVENT_LOG_INTERNALS", renamed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with instance_for_test(
            overrides={
                "event_log_storage": {
                    "module": "connector_assets.runtime.event_log_storage",
                    "class": "KeptConnectionSqliteEventLogStorage",
                    "config": {"base_dir": str(tmp_path)},
                }
            }
        ) as instance:
            storage = instance.event_log_storage
            assert isinstance(storage, KeptConnectionSqliteEventLogStorage)
            run_id = _observing.execute_in_process(instance=instance).run_id
            assert any(e.is_dagster_event for e in instance.all_logs(run_id))
            assert [r.asset_key for r in instance.fetch_observations(AssetKey("seen"), limit=5).records] == [
                AssetKey("seen")
            ]
            assert not storage._keeps() and not storage._engines  # Dagster's own connection per event
    [told] = _compat_warnings(caught)
    assert "SqliteEventLogStorage._renamed_db_lock" in told and "connection per event" in told, told
