"""The private Dagster names the project uses live in ``connector_assets.dagster_compat``, and each exists.

A Dagster release that removes or renames one fails ``test_the_private_name_resolves[<module>.<name>]``:
the project still runs (the module falls back to Dagster's stock behaviour with one warning), but the test
names what to look at before upgrading. The run path's own private names (``run_workers``,
``event_log_storage``) are the only ones imported elsewhere.
"""

import ast
import importlib
import warnings
from pathlib import Path

import pytest
from dagster import Backoff

from connector_assets import dagster_compat

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("connector_assets", "connector_resources", "connector_cli")
ALLOWED = {
    "connector_assets/dagster_compat.py",
    "connector_assets/run_workers.py",  # the default executor and run launcher (production run path)
    "connector_assets/event_log_storage.py",  # the kept-connection SQLite event log (production run path)
}


@pytest.mark.parametrize("module, name", dagster_compat.PRIVATE_NAMES, ids=lambda part: part)
def test_the_private_name_resolves(module, name):
    assert hasattr(importlib.import_module(module), name), f"this Dagster has no {module}.{name}"


def test_the_installed_dagster_needs_no_fallback():
    assert dagster_compat.calculate_delay is not dagster_compat.stock_delay
    assert dagster_compat.daemon_controller() is not None
    assert dagster_compat.dev_command_module() is not None
    assert dagster_compat.daemon_command().__module__ == "dagster._daemon.cli"


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
    assert _private_dagster_imports(ROOT / "connector_assets/dagster_compat.py")


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
