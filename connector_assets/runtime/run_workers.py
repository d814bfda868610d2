"""Dagster knows when a run's worker died: it marks the run failed, and ``run_retries`` retries it.

A run worker killed with kill -9 (the OOM killer, ``dagster dev`` killed) writes no "run failed" event.
The code server that started it notices its child die and fails the run, but only while that code server
lives: killed with it (or run by ``dagster job execute``, which nothing watches), the run stayed *Started*
in the UI for ever, and ``run_retries`` (which only acts on failed runs) never retried it. Dagster's run
monitoring (the daemon, ``run_monitoring:`` in ``dagster.yaml``) can detect a dead worker, but only through
a run launcher that can check a worker's health, and the ``DefaultRunLauncher`` of a single-machine
deployment cannot. So:

- every run's worker names itself in a run tag when it starts (``WORKER_TAG``: the run's id and the
  worker's ``ProcessIdentity``, machine and pid namespace, pid, start time). Dagster's own in-process
  executor runs the steps; ``marked_in_process_executor`` only writes the tag before handing it the plan,
  through Dagster's public ``Executor`` interface. The run's id is in the value because a retry or a
  re-execution copies its parent's tags: a copied tag names the parent's (dead) worker, not this run's;
- ``WatchedRunLauncher`` is the ``DefaultRunLauncher`` plus a health check that reads that tag: a
  worker that ran on the daemon's machine and has ended is FAILED, anything else RUNNING (never UNKNOWN:
  the monitoring daemon fails a run on anything but RUNNING, and "cannot tell" must not fail a live run).
  The health check's types are Dagster's private ones (``dagster_compat``): without them the launcher
  is Dagster's ``DefaultRunLauncher`` as it ships, with one warning;
- ``worker_ended`` (``worker_gone`` for a run already read) is the same check for the ledger's leases
  (``flows.flow_run.runs_ended_in``): a rerun started before the daemon's next pass still takes the dead
  run's claims over at once.

Kubernetes needs none of this: ``K8sRunLauncher`` checks its run pods itself (deploy/helm/values.yaml).
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
    """``in_process_executor`` (same name, config and executor), naming its worker process first; Dagster's
    own as it ships if its config schema cannot be had (one warning)."""
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
