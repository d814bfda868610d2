"""``ml-connector dev``'s stop: the daemon first, so nothing is launched while the rest shuts down; then the
runs in flight are given a bounded time to finish and the rest are canceled.

Why the daemon first: on Ctrl-C, ``dg dev`` tells its webserver and its daemon to stop at the same moment
and waits for each. While the daemon finished its loops, its run queue or a sensor could still launch a
run (seen 8 s after the interrupt); the run's worker was then ended with the process group, and Dagster
marked the run failed at the next start. Stopping the daemon (``connector_cli.dagster_daemon``) and
waiting until it says its loops have stopped (``DAEMON_STOPPED``; it then lives on until ``dg dev`` stops,
which takes a daemon gone before that for a crash) before ``dg dev`` hears the interrupt leaves no launcher
while the rest stops.

Why cancel the runs: a run worker still going when ``dg dev`` stops is ended with its process group, and
Dagster records "Execution was interrupted unexpectedly", a failed (red) run the operator did not cause. So
the runs in flight get ``ML_DEV_STOP_WAIT_SECONDS`` to finish (their steps are often seconds from done);
those still going are then canceled through the run launcher (the UI's "Terminate": the worker is told,
stops its step and records the run CANCELED) while ``dg dev``'s code server can still reach them, and one
that has not recorded it within ``CANCEL_GRACE`` is recorded CANCELED directly (``report_run_canceled``)
and its worker ended. A canceled run is not
retried by ``run_retries`` and is re-run like any other. Queued runs stay queued for the next start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from dagster import DagsterInstance, DagsterRun

DAEMON_MARK = "connector_cli.dagster_daemon"  # in the daemon's command line (``dagster_dev.OUR_DAEMON``)
# What our daemon prints once its loops have stopped (``dagster_daemon.say_when_stopped``); it then lives on
# until dg dev stops, so its exit is not what the stop waits for when it runs under dg dev.
DAEMON_STOPPED = "the Dagster daemon has stopped: no run is launched from now on"
POLL = 0.05  # seconds between looks at the daemon: well inside dg dev's own 5 s check of its processes


def daemons_under(pid: int) -> list[psutil.Process]:
    """The daemon processes started below ``pid`` (``dg dev``), by their command line."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found = []
    for child in children:
        try:
            if DAEMON_MARK in " ".join(child.cmdline()):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def stop_daemon_first(
    pid: int, *, wait: float = 20.0, said_stopped: Callable[[], bool] = lambda: False
) -> int:
    """Interrupt the daemon(s) under ``pid`` and wait up to ``wait`` seconds for them to exit, or until
    ``said_stopped`` answers True (the daemon printed ``DAEMON_STOPPED``); answers how many were stopped.
    One that does not stop in time is left to the process group's end, as before."""
    daemons = daemons_under(pid)
    for daemon in daemons:
        try:
            daemon.send_signal(signal.SIGINT)
        except psutil.NoSuchProcess:
            continue
    deadline = time.monotonic() + wait
    alive = list(daemons)
    while alive and time.monotonic() < deadline:
        if said_stopped():
            return len(daemons)
        alive = [daemon for daemon in alive if _running(daemon)]
        if alive:
            time.sleep(POLL)
    return len(daemons) - len(alive)


def _running(process: psutil.Process) -> bool:
    """Whether ``process`` still runs: an exited one its parent has not reaped yet (a zombie: ``dg dev``
    reaps it at its next check) has stopped all the same, and dg dev hears the interrupt before that check."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


# -- runs in flight at the stop -------------------------------------------------------------------------

RUN_POLL = 0.5  # seconds between looks at the runs in flight while waiting for them
CANCEL_GRACE = 5.0  # seconds a told worker gets to record its run CANCELED before it is recorded for it


@dataclass(frozen=True)
class RunInFlight:
    """A run that has a worker (starting, started or being canceled) and the steps it has running."""

    run_id: str
    job: str
    partition: str | None
    steps: tuple[str, ...]

    @property
    def short_id(self) -> str:
        return self.run_id[:8]  # what the Dagster UI shows in its run list

    def named(self) -> str:
        """The run in a phrase: id, job, partition."""
        return f"{self.short_id} ({self.job}{', ' + self.partition if self.partition else ''})"

    def running(self) -> str:
        """The steps still going, in words (a run between steps has none)."""
        if not self.steps:
            return "between steps"
        return f"step{'s' if len(self.steps) > 1 else ''} {', '.join(self.steps)} still running"


def runs_in_flight(instance: DagsterInstance) -> list[RunInFlight]:
    """The runs of ``instance`` that have a worker now, oldest first, with their unfinished steps."""
    from dagster import DagsterRunStatus, RunsFilter

    active = (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)
    runs = instance.get_runs(RunsFilter(statuses=list(active)))
    return [
        RunInFlight(
            run_id=run.run_id,
            job=run.job_name,
            partition=run.tags.get("dagster/partition"),
            steps=tuple(
                stat.step_key
                for stat in instance.get_run_step_stats(run.run_id)
                if stat.start_time is not None and stat.end_time is None
            ),
        )
        for run in reversed(runs)  # get_runs answers newest first
    ]


def queued_runs(instance: DagsterInstance) -> int:
    """How many runs wait in the queue (the stopped daemon launches none of them; the next start does)."""
    from dagster import DagsterRunStatus, RunsFilter

    return instance.get_runs_count(RunsFilter(statuses=[DagsterRunStatus.QUEUED]))


def settle_runs(
    instance: DagsterInstance,
    *,
    wait: float,
    say: Callable[[str], None],
    hurry: Callable[[], bool] = lambda: False,
    grace: float = CANCEL_GRACE,
) -> list[str]:
    """Wait up to ``wait`` seconds (less when ``hurry`` answers True: a second Ctrl-C) for the runs in
    flight to finish, then cancel those still going (module docstring); answers the ids canceled. Each
    step is said through ``say``."""
    flying = runs_in_flight(instance)
    queued = queued_runs(instance)
    if queued:
        say(f"{queued} queued run(s) stay queued: the next make dev starts them")
    if not flying:
        return []
    if wait > 0:
        say(
            f"waiting up to {wait:g} s for {len(flying)} run(s) in flight: "
            + "; ".join(f"{run.named()}, {run.running()}" for run in flying)
            + " (Ctrl-C again to cancel them now)"
        )
        deadline = time.monotonic() + wait
        while flying and time.monotonic() < deadline and not hurry():
            time.sleep(RUN_POLL)
            flying = runs_in_flight(instance)
        if not flying:
            say("every run in flight finished")
            return []
    cancel_runs(instance, flying, grace=grace)
    for run in flying:
        say(f"canceled run {run.named()}: {run.running()}")
    return [run.run_id for run in flying]


def cancel_runs(instance: DagsterInstance, runs: list[RunInFlight], *, grace: float = CANCEL_GRACE) -> None:
    """Cancel ``runs`` as the UI's "Terminate" does (the launcher tells each worker, which stops and records
    its run CANCELED), and record CANCELED here each run whose worker cannot be told or has not recorded it
    within ``grace`` seconds (all told first, so the grace is paid once, not once per run)."""
    told = {run.run_id: _tell_worker(instance, run.run_id) for run in runs}
    deadline = time.monotonic() + (grace if any(told.values()) else 0)
    going = list(runs)
    while True:
        going = [run for run in going if _unfinished(instance, run.run_id)]
        if not going or time.monotonic() >= deadline:
            break
        time.sleep(RUN_POLL)
    for run in going:
        current = instance.get_run_by_id(run.run_id)
        if current is not None and not current.is_finished:
            instance.report_run_canceled(
                current, message=f"Canceled when make dev stopped ({run.running()})."
            )
            _end_worker(current)


def _end_worker(run: DagsterRun) -> None:
    """End the worker of a run recorded CANCELED for it, so it starts no further step: Dagster turns an
    interrupt inside a step that has a retry policy (every flow step has one) into a retry, and the worker
    went on to the run's next steps until the process group's end killed it. Only a worker that named
    itself on this machine and still runs (``run_workers.worker_named``) is ended."""
    from connector_assets.runtime.run_workers import worker_named

    worker = worker_named(run)
    if worker is not None and worker.is_here() and worker.pid != os.getpid() and not worker.ended():
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.pid, signal.SIGKILL)


def _tell_worker(instance: DagsterInstance, run_id: str) -> bool:
    """Ask the run launcher to stop ``run_id``'s worker (Dagster marks the run CANCELING); whether the
    worker was reached. A launcher that cannot reach it (its code server gone) is said in the run's log."""
    try:
        return bool(instance.run_launcher.terminate(run_id))
    except Exception as exc:  # the code server refused or is gone: the run is still canceled, by us
        run = instance.get_run_by_id(run_id)
        if run is not None:
            instance.report_engine_event(
                f"make dev could not tell the run's worker to stop ({type(exc).__name__}: {exc})", run
            )
        return False


def _unfinished(instance: DagsterInstance, run_id: str) -> bool:
    run = instance.get_run_by_id(run_id)
    return run is not None and not run.is_finished
