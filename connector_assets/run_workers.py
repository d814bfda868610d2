"""Dagster knows when a run's worker died: it marks the run failed, and ``run_retries`` retries it.

A run worker killed with kill -9 (the OOM killer, ``dagster dev`` killed) writes no "run failed" event.
The code server that started it notices its child die and fails the run, but only while that code server
lives: killed with it (or run by ``dagster job execute``, which nothing watches), the run stayed *Started*
in the UI for ever, and ``run_retries`` (which only acts on failed runs) never retried it. Dagster's run
monitoring (the daemon, ``run_monitoring:`` in ``dagster.yaml``) can detect a dead worker, but only through
a run launcher that can check a worker's health, and the ``DefaultRunLauncher`` of a single-machine
deployment cannot. So:

- every run's worker names itself in the run's event log when it starts (``WorkerMarkedExecutor``, an
  engine event carrying its ``ProcessIdentity``: machine and pid namespace, pid, start time);
- ``WatchedRunLauncher`` is the ``DefaultRunLauncher`` plus a health check that reads that event: a
  worker that ran on the daemon's machine and has ended is FAILED, anything else RUNNING (never UNKNOWN:
  the monitoring daemon fails a run on anything but RUNNING, and "cannot tell" must not fail a live run);
- ``worker_ended`` is the same check for the ledger's leases (``flows.flow_run.runs_ended_in``): a rerun
  started before the daemon's next pass still takes the dead run's claims over at once.

Kubernetes needs none of this: ``K8sRunLauncher`` checks its run pods itself (deploy/helm/values.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

from dagster import DagsterEventType, DagsterInstance, MetadataValue, executor
from dagster._config.config_schema import UserConfigSchema
from dagster._core.definitions.executor_definition import IN_PROC_CONFIG
from dagster._core.events import DagsterEvent, EngineEventData
from dagster._core.execution.retries import RetryMode
from dagster._core.execution.step_dependency_config import StepDependencyConfig
from dagster._core.executor.in_process import InProcessExecutor
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes.config_class import ConfigurableClassData

from connector_resources.process_identity import ProcessIdentity

WORKER_MARK = "ml_connector_run_worker"  # metadata key of the engine event naming a run's worker
# The marker is among a run's first engine events (after the launch's own few): how many are read.
_FIRST_ENGINE_EVENTS = 25
_REMEMBERED_RUNS = 4096
_workers: dict[str, ProcessIdentity] = {}  # run id -> its worker, once named (``worker_of``)


class WorkerMarkedExecutor(InProcessExecutor):
    """Dagster's in-process executor, which first names the run's worker process in the event log."""

    def execute(self, plan_context: Any, execution_plan: Any) -> Iterator[DagsterEvent]:
        me = ProcessIdentity.current()
        yield DagsterEvent.engine_event(
            plan_context,
            f"run worker: pid {me.pid} on {me.host.split('/')[0]}",
            event_specific_data=EngineEventData(metadata={WORKER_MARK: MetadataValue.text(me.as_text())}),
        )
        yield from super().execute(plan_context, execution_plan)


@executor(name="in_process", config_schema=IN_PROC_CONFIG)
def marked_in_process_executor(init_context: Any) -> WorkerMarkedExecutor:
    """``in_process_executor`` (same name and config), naming its worker process first."""
    config = init_context.executor_config
    return WorkerMarkedExecutor(
        retries=RetryMode.from_config(config["retries"]),  # type: ignore[arg-type]
        marker_to_close=config.get("marker_to_close"),
        step_dependency_config=StepDependencyConfig.from_config(config.get("step_dependency_config")),
    )


def worker_of(instance: DagsterInstance, run_id: str) -> ProcessIdentity | None:
    """The process that runs ``run_id``, as its worker named itself; None if it has not (yet).

    Remembered per run once found: a run has one worker (this launcher never resumes a run on another),
    and the monitoring daemon and every write step's leases ask again and again."""
    known = _workers.get(run_id)
    if known is not None:
        return known
    records = instance.get_records_for_run(
        run_id, of_type=DagsterEventType.ENGINE_EVENT, limit=_FIRST_ENGINE_EVENTS
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.event_specific_data if event is not None else None
        mark = getattr(data, "metadata", {}).get(WORKER_MARK) if data is not None else None
        if mark is not None and (worker := ProcessIdentity.parse(str(mark.value))) is not None:
            if len(_workers) >= _REMEMBERED_RUNS:
                _workers.clear()  # a long-lived daemon: forget old runs now and then, cheaply
            _workers[run_id] = worker
            return worker
    return None


def worker_ended(instance: DagsterInstance, run_id: str) -> str | None:
    """Why the worker of an unfinished run is known to be dead, or None (alive, on another machine, not
    named yet, or the run has finished and this question does not arise)."""
    run = instance.get_run_by_id(run_id)
    return None if run is None else _worker_gone(instance, run)


def _worker_gone(instance: DagsterInstance, run: DagsterRun) -> str | None:
    if run.is_finished:
        return None
    worker = worker_of(instance, run.run_id)
    if worker is None or not worker.ended():
        return None
    return f"run worker process {worker.pid} on {worker.host.split('/')[0]} has ended (killed, or crashed)"


class WatchedRunLauncher(DefaultRunLauncher):
    """``DefaultRunLauncher`` whose run workers the monitoring daemon can check (``worker_ended``)."""

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        super().__init__(inst_data=inst_data)

    @classmethod
    def config_type(cls) -> UserConfigSchema:
        return {}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data)

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        why = _worker_gone(self._instance, run)
        if why is not None:
            return CheckRunHealthResult(WorkerStatus.FAILED, why)  # the UI: "... status FAILED: '<why>'"
        return CheckRunHealthResult(WorkerStatus.RUNNING)
