"""Every private Dagster name the project uses off the production run path, each in one place.

Why: a Dagster patch release may rename anything under ``dagster._``. Here each such name is imported once,
and when a release no longer has it, the code falls back to Dagster's stock behaviour (or turns the one
feature off) with ONE ``DagsterCompatWarning`` saying what is lost, never a crash.
``tests/project/test_dagster_compat.py`` fails, naming it, when the installed Dagster lacks one of
``PRIVATE_NAMES``, so an upgrade shows what to look at here.

Not here yet (still imported where they are used, on the path of every production run, and replacing them
means changing how runs execute, not an import): ``connector_assets/run_workers.py`` (``InProcessExecutor``,
``IN_PROC_CONFIG``, ``RetryMode``, ``StepDependencyConfig``, ``UserConfigSchema``, ``DagsterEvent``,
``EngineEventData``, ``DefaultRunLauncher``, ``CheckRunHealthResult``, ``WorkerStatus``, ``DagsterRun``,
``ConfigurableClassData``: the default executor and the run launcher) and
``connector_assets/event_log_storage.py`` (``SqliteEventLogStorage``, ``SQLITE_BUSY_TIMEOUT_SECONDS``,
``ConfigurableClassData``: the kept-connection SQLite event log).
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
)

_warned: set[str] = set()


def missing(what: str, lost: str) -> None:
    """Warn, once per name and process, that this Dagster has no ``what`` and what that costs."""
    if what in _warned:
        return
    _warned.add(what)
    warnings.warn(f"this Dagster has no {what}: {lost}", DagsterCompatWarning, stacklevel=3)


def private(module: str, name: str, fallback: Any, lost: str) -> Any:
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


def _run_stock_daemon(*_args: Any, **_kwargs: Any) -> None:
    """Dagster's own ``dagster-daemon`` command with this process's arguments, in place of this process."""
    os.execvp("dagster-daemon", ["dagster-daemon", *sys.argv[1:]])


calculate_delay: Callable[[int, Backoff | None, Jitter | None, float], float] = private(
    "dagster._core.definitions.policy",
    "calculate_delay",
    stock_delay,
    "step_retry computes the retry delays from the RetryPolicy's public fields itself",
)

if TYPE_CHECKING:
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )
    from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange
    from dagster._core.event_api import PartitionKeyFilter
    from dagster._core.storage.asset_check_execution_record import (
        COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
        AssetCheckExecutionRecord,
    )
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
