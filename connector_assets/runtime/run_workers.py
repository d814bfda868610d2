"""Dagster knows when a run's worker died: each run's worker names itself in a run tag (``WORKER_TAG``)
that ``WatchedRunLauncher`` reads, so a kill -9 marks the run failed and ``run_retries`` retries it. Why
each answer: docs/after_a_crash.md, "For the curious: how it is built".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dagster import (
    DagsterInstance,
    DagsterRun,
    DefaultRunLauncher,
    Executor,
    ExecutorDefinition,
    InitExecutorContext,
    in_process_executor,
)

from connector_assets.runtime import dagster_compat
from connector_resources.process_identity import ProcessIdentity

WORKER_TAG = "ml/run_worker"  # "<run id> <worker's ProcessIdentity.as_text()>"


def name_worker(instance: DagsterInstance, run_id: str, worker: ProcessIdentity | None = None) -> None:
    """Tag run ``run_id`` with the process running it (this one unless ``worker`` is given)."""
    worker = worker or ProcessIdentity.current()
    instance.add_run_tags(run_id, {WORKER_TAG: f"{run_id} {worker.as_text()}"})


def worker_named(run: DagsterRun) -> ProcessIdentity | None:
    """The process that runs ``run``, as its worker named itself; None if it has not (yet), or if the tag
    was copied from the run this one retries (it names that run's worker)."""
    run_id, _, worker = run.tags.get(WORKER_TAG, "").partition(" ")
    return ProcessIdentity.parse(worker) if run_id == run.run_id else None


def worker_of(instance: DagsterInstance, run_id: str) -> ProcessIdentity | None:
    """``worker_named`` for the run ``run_id`` of ``instance``; None for an unknown run."""
    run = instance.get_run_by_id(run_id)
    return None if run is None else worker_named(run)


class WorkerMarkedExecutor(Executor):
    """Dagster's own executor (``stock``), which first names the run's worker process in a run tag."""

    def __init__(self, stock: Executor) -> None:
        self._stock = stock

    @property
    def retries(self) -> Any:
        return self._stock.retries

    @property
    def step_dependency_config(self) -> Any:
        return self._stock.step_dependency_config

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[Any]:
        name_worker(plan_context.instance, plan_context.run_id)
        yield from self._stock.execute(plan_context, execution_plan)


def _marked_in_process(init_context: InitExecutorContext) -> Executor:
    stock = in_process_executor.executor_creation_fn
    assert stock is not None  # Dagster's in_process_executor is defined by its creation function
    return WorkerMarkedExecutor(stock(init_context))


def _marked_in_process_executor() -> ExecutorDefinition:
    """``in_process_executor`` naming its worker process first; Dagster's own if its config schema is gone."""
    if not dagster_compat.internals(
        lambda name: hasattr(in_process_executor, name),
        dagster_compat.EXECUTOR_DEFINITION_INTERNALS,
        "dagster.in_process_executor",
        dagster_compat.NO_WORKER_NAMES,
    ):
        return in_process_executor
    return ExecutorDefinition(
        name=in_process_executor.name,
        config_schema=in_process_executor.config_schema,
        executor_creation_fn=_marked_in_process,
        description=in_process_executor.description,
    )


marked_in_process_executor = _marked_in_process_executor()


def worker_ended(instance: DagsterInstance, run_id: str) -> str | None:
    """Why the worker of an unfinished run is known to be dead, or None (alive, on another machine, not
    named yet, or the run has finished and this question does not arise)."""
    run = instance.get_run_by_id(run_id)
    return None if run is None else worker_gone(run)


def worker_gone(run: DagsterRun) -> str | None:
    """``worker_ended`` for a run already read."""
    if run.is_finished:
        return None
    worker = worker_named(run)
    if worker is None or not worker.ended():
        return None
    return f"run worker process {worker.pid} on {worker.host.split('/')[0]} has ended (killed, or crashed)"


class WatchedRunLauncher(DefaultRunLauncher):
    """``DefaultRunLauncher`` whose run workers the monitoring daemon can check (``worker_ended``)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return dagster_compat.checks_run_workers()

    def check_run_worker_health(self, run: DagsterRun) -> Any:
        health, status = dagster_compat.CheckRunHealthResult, dagster_compat.WorkerStatus
        why = worker_gone(run)
        if why is not None:
            return health(status.FAILED, why)  # the UI: "... status FAILED: '<why>'"
        return health(status.RUNNING)
