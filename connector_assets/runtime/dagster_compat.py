"""Every private Dagster name the project uses off the production run path, each in one place.

Why: a Dagster patch release may rename anything under ``dagster._``. When a release lacks a name, the
code falls back to Dagster's stock behaviour (or turns the one feature off) with ONE
``DagsterCompatWarning``, never a crash; ``tests/project/test_dagster_compat.py`` names each of
``PRIVATE_NAMES`` the installed Dagster lacks. What the run path takes from here only adds to Dagster's
behaviour (a worker health check, named workers, kept SQLite connections); without it the path is stock.
"""

from __future__ import annotations

import functools
import os
import sys
import warnings
from collections.abc import Callable
from importlib import import_module
from random import random
from types import ModuleType
from typing import TYPE_CHECKING, Any

from dagster import Backoff, Jitter


class DagsterCompatWarning(UserWarning):
    """A private Dagster name is gone: the project runs on with Dagster's stock behaviour instead."""


# (module, name) of every private name used here; the test of each says which one a release removed.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("dagster._core.definitions.policy", "calculate_delay"),
    (
        "dagster._core.definitions.asset_checks.asset_check_evaluation",
        "AssetCheckEvaluationTargetMaterializationData",
    ),
    ("dagster._utils.error", "SerializableErrorInfo"),
    ("dagster._core.definitions.freshness", "FreshnessState"),
    ("dagster._core.definitions.freshness", "FreshnessStateChange"),
    ("dagster._core.event_api", "PartitionKeyFilter"),
    ("dagster._core.storage.asset_check_execution_record", "AssetCheckExecutionRecord"),
    ("dagster._core.storage.asset_check_execution_record", "COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES"),
    ("dagster._daemon.controller", "DEFAULT_DAEMON_INTERVAL_SECONDS"),
    ("dagster._daemon.cli", "main"),
    ("dagster._cli.dev", "open_ipc_subprocess"),
    ("dagster._core.launcher", "CheckRunHealthResult"),
    ("dagster._core.launcher", "WorkerStatus"),
    ("dagster._core.storage.event_log", "SqliteEventLogStorage"),
    ("dagster._core.storage.sqlite", "SQLITE_BUSY_TIMEOUT_SECONDS"),
    ("dagster._serdes.config_class", "ConfigurableClassData"),
)
# Attributes Dagster does not document, of its objects: ``SqliteEventLogStorage``'s private ones (the kept
# connections replace its ``_connect``) and an ``ExecutorDefinition``'s config schema (the worker-naming
# executor takes ``in_process_executor``'s). Each has its test like ``PRIVATE_NAMES``, and ``internals``
# checks them before use.
SQLITE_EVENT_LOG_INTERNALS = ("_connect", "_initdb", "_db_lock", "_initialized_dbs")
EXECUTOR_DEFINITION_INTERNALS = ("config_schema",)

_warned: set[str] = set()


def missing(what: str, lost: str) -> None:
    """Warn, once per name and process, that this Dagster has no ``what`` and what that costs."""
    if what in _warned:
        return
    _warned.add(what)
    warnings.warn(f"this Dagster has no {what}: {lost}", DagsterCompatWarning, stacklevel=3)


def private(module: str, name: str, fallback: object, lost: str) -> Any:
    """``module.name`` from the installed Dagster, else ``fallback`` with one warning saying ``lost``."""
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        missing(f"{module}.{name}", lost)
        return fallback


def private_module(module: str, lost: str) -> ModuleType | None:
    """The installed Dagster's ``module``, else None with one warning saying ``lost``."""
    try:
        return import_module(module)
    except ImportError:
        missing(module, lost)
        return None


def internals(has: Callable[[str], bool], names: tuple[str, ...], what: str, lost: str) -> bool:
    """Whether each attribute of ``names`` that Dagster does not document is there (``has``); else False,
    with one warning per missing name saying ``lost``."""
    gone = [name for name in names if not has(name)]
    for name in gone:
        missing(f"{what}.{name}", lost)
    return not gone


def stock_delay(attempt_num: int, backoff: Backoff | None, jitter: Jitter | None, base_delay: float) -> float:
    """A ``RetryPolicy``'s delay before ``attempt_num``, from its public fields as Dagster documents them."""
    if backoff is Backoff.EXPONENTIAL:
        delay = ((2**attempt_num) - 1) * base_delay
    elif backoff is Backoff.LINEAR:
        delay = base_delay * attempt_num
    else:
        delay = base_delay
    if jitter is Jitter.FULL:
        delay = random() * delay
    elif jitter is Jitter.PLUS_MINUS:
        delay = delay + (2 * random() * base_delay) - base_delay
    return delay


def _run_stock_daemon(*_args: object, **_kwargs: object) -> None:
    """Dagster's own ``dagster-daemon`` command with this process's arguments, in place of this process."""
    os.execvp("dagster-daemon", ["dagster-daemon", *sys.argv[1:]])


calculate_delay: Callable[[int, Backoff | None, Jitter | None, float], float] = private(
    "dagster._core.definitions.policy",
    "calculate_delay",
    stock_delay,
    "step_retry computes the retry delays from the RetryPolicy's public fields itself",
)

NO_HEALTH_CHECK = "run monitoring cannot tell a killed run worker: its run stays Started until failed by hand"
NO_WORKER_NAMES = (
    "run workers are not named: run monitoring cannot tell a killed one, and its leases wait for their expiry"
)

if TYPE_CHECKING:
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )
    from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
    from dagster._core.event_api import PartitionKeyFilter
    from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
    from dagster._core.storage.asset_check_execution_record import (
        COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
        AssetCheckExecutionRecord,
    )
    from dagster._serdes.config_class import ConfigurableClassData
    from dagster._utils.error import SerializableErrorInfo
else:
    # Dagster exports no name for ``AssetCheckEvaluation.target_materialization_data``; a day's evaluation
    # logged on its own needs it to be coloured on its day.
    AssetCheckEvaluationTargetMaterializationData = private(
        "dagster._core.definitions.asset_checks.asset_check_evaluation",
        "AssetCheckEvaluationTargetMaterializationData",
        None,
        "day evaluations logged after a range or a replay carry no target: their days stay blank in the "
        "check's partitions view",
    )
    # Type hints only: nothing is lost without them.
    ConfigurableClassData = private(
        "dagster._serdes.config_class", "ConfigurableClassData", None, "nothing (type hints)"
    )
    SerializableErrorInfo = private(
        "dagster._utils.error", "SerializableErrorInfo", None, "nothing (type hints)"
    )
    AssetCheckExecutionRecord = private(
        "dagster._core.storage.asset_check_execution_record",
        "AssetCheckExecutionRecord",
        None,
        "nothing (type hints)",
    )
    FreshnessState = private(
        "dagster._core.definitions.freshness",
        "FreshnessState",
        None,
        "the stale-flow alert reads a freshness change's new state by its name",
    )
    FreshnessStateChange = private(
        "dagster._core.definitions.freshness",
        "FreshnessStateChange",
        None,
        "the stale-flow alert reads a freshness change's new state by its name",
    )
    PartitionKeyFilter = private(
        "dagster._core.event_api",
        "PartitionKeyFilter",
        None,
        "the failed-records alert looks for a newer evaluation of a day among the check's latest ones",
    )
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES = private(
        "dagster._core.storage.asset_check_execution_record",
        "COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES",
        None,
        "the failed-records alert reads every check execution and keeps the evaluated ones itself",
    )

    # What a run launcher's health check answers the run monitoring daemon (``checks_run_workers``).
    CheckRunHealthResult = private("dagster._core.launcher", "CheckRunHealthResult", None, NO_HEALTH_CHECK)
    WorkerStatus = private("dagster._core.launcher", "WorkerStatus", None, NO_HEALTH_CHECK)


@functools.cache
def checks_run_workers() -> bool:
    """Whether the project's run launcher can answer the monitoring daemon's health check of a run's worker;
    without it the launcher is Dagster's ``DefaultRunLauncher``, which checks none."""
    return CheckRunHealthResult is not None and WorkerStatus is not None


# The SQLite event log of Dagster's embedded instance (the class Dagster's dagster.yaml documentation names,
# ``dagster.core.storage.event_log``), and how long its connections wait on a busy database. Without the
# class there is nothing to keep connections for: ``event_log_storage`` says to name Dagster's own. Looked
# up on first use (``__getattr__``): Dagster's storage modules import alembic, which loading the
# definitions must not (only the instance's event log needs them).
_LAZY: dict[str, Callable[[], Any]] = {
    "SqliteEventLogStorage": lambda: private(
        "dagster._core.storage.event_log",
        "SqliteEventLogStorage",
        None,
        "connector_assets.runtime.event_log_storage cannot load: remove event_log_storage from dagster.yaml "
        "(Dagster's own SQLite event log, a connection per event)",
    ),
    "SQLITE_BUSY_TIMEOUT_SECONDS": lambda: private(
        "dagster._core.storage.sqlite",
        "SQLITE_BUSY_TIMEOUT_SECONDS",
        30,  # Dagster 1.13's value
        "the kept-connection event log waits 30 s on a busy database",
    ),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = _LAZY[name]()
    return value


@functools.cache
def daemon_controller() -> ModuleType | None:
    """Dagster's daemon controller, whose module constant is the backfill loop's interval; None without it
    (the loop stays Dagster's 30 s). Imported on first use: only the daemon process needs it."""
    controller = private_module("dagster._daemon.controller", "the backfill loop stays at Dagster's 30 s")
    if controller is not None and not hasattr(controller, "DEFAULT_DAEMON_INTERVAL_SECONDS"):
        missing(
            "dagster._daemon.controller.DEFAULT_DAEMON_INTERVAL_SECONDS",
            "the backfill loop stays at Dagster's 30 s",
        )
        return None
    return controller


@functools.cache
def daemon_command() -> Callable[[], Any]:
    """Dagster's ``dagster-daemon`` command as a function run in this process; without it, a function that
    runs the ``dagster-daemon`` executable in place of this process (Dagster's own loop interval)."""
    return private(
        "dagster._daemon.cli",
        "main",
        _run_stock_daemon,
        "connector_cli.dagster_daemon runs the dagster-daemon command itself, with Dagster's 30 s loop",
    )


@functools.cache
def dev_command_module() -> ModuleType | None:
    """The module of ``dg dev``'s implementation, whose ``open_ipc_subprocess`` starts the daemon; None
    without it (``dg dev`` starts Dagster's own daemon)."""
    return private_module("dagster._cli.dev", "dg dev starts Dagster's own daemon, with its 30 s loop")
