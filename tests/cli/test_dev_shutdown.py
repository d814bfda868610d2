"""``ml-connector dev`` stops the daemon first on an interrupt, so no run is launched while the rest
stops; then it waits a bounded time for the runs in flight and cancels the rest (CANCELED, never failed)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil
from dagster import DagsterRunStatus, asset, instance_for_test, materialize
from dagster._core.errors import DagsterExecutionInterruptedError

from connector_cli.dev_shutdown import (
    DAEMON_MARK,
    daemons_under,
    runs_in_flight,
    settle_runs,
    stop_daemon_first,
)

# A stand-in for ``dg dev``: it starts a process whose command line names our daemon module (as dg dev's
# does), then sleeps; the daemon stand-in sleeps too, until interrupted. Started from a terminal, as dg dev
# is, so an interrupt is not ignored: a test run launched in the background of a non-interactive shell
# inherits SIGINT ignored, which the daemon stand-in would keep.
PARENT = f"""
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "{DAEMON_MARK}"])
print(daemon.pid, flush=True)
time.sleep(60)
"""


def test_the_daemon_under_dg_dev_is_interrupted_and_waited_for_and_dg_dev_left_running():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        daemon_pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not daemons_under(parent.pid):  # until the child's command line is readable
            assert time.monotonic() < deadline, "the daemon stand-in never started"
            time.sleep(0.05)
        assert [p.pid for p in daemons_under(parent.pid)] == [daemon_pid]
        assert stop_daemon_first(parent.pid, wait=30) == 1
        assert not psutil.pid_exists(daemon_pid) or psutil.Process(daemon_pid).status() == "zombie"
        assert parent.poll() is None, "dg dev itself is interrupted only after its daemon has stopped"
        assert daemons_under(parent.pid) == []
    finally:
        parent.kill()
        parent.wait()


def test_nothing_to_stop_when_dg_dev_has_no_daemon_or_is_gone():
    assert stop_daemon_first(2**22 + 12345, wait=1) == 0  # no such process


# -- runs in flight at the stop ----------------------------------------------------------------------------

STEP_STARTED, STEP_ENDED = threading.Event(), threading.Event()


@asset
def slow_supplier_sync() -> None:
    """A step still going when make dev stops; ended as the process group's end ends it, with an interrupt."""
    STEP_STARTED.set()
    STEP_ENDED.wait(30)
    raise DagsterExecutionInterruptedError("the run worker's process group was ended")


def test_a_run_in_flight_at_the_stop_is_waited_for_then_canceled_never_failed():
    STEP_STARTED.clear()
    STEP_ENDED.clear()
    said: list[str] = []
    with instance_for_test() as instance:
        worker = threading.Thread(
            target=materialize,
            args=([slow_supplier_sync],),
            kwargs={"instance": instance, "raise_on_error": False},
        )
        worker.start()
        try:
            assert STEP_STARTED.wait(30), "the step never started"
            [flying] = runs_in_flight(instance)
            assert flying.steps == ("slow_supplier_sync",)

            started = time.monotonic()
            canceled = settle_runs(instance, wait=0.6, say=said.append, grace=0.5)
            assert time.monotonic() - started >= 0.6, "the run in flight was given the wait before its cancel"
        finally:
            STEP_ENDED.set()  # the worker is ended, as make dev's process group end does
            worker.join(30)
        run = instance.get_run_by_id(flying.run_id)
        events = {
            record.event_log_entry.dagster_event.event_type_value for record in _events(instance, run.run_id)
        }

    assert canceled == [flying.run_id]
    assert run.status == DagsterRunStatus.CANCELED
    assert "PIPELINE_FAILURE" not in events and "RUN_FAILURE" not in events
    assert said[0].startswith(f"waiting up to 0.6 s for 1 run(s) in flight: {flying.run_id[:8]} (")
    assert said[-1] == (
        f"canceled run {flying.run_id[:8]} ({flying.job}): step slow_supplier_sync still running"
    )


def test_a_second_ctrl_c_cancels_at_once_and_nothing_in_flight_is_said_in_no_words():
    said: list[str] = []
    with instance_for_test() as instance:
        assert settle_runs(instance, wait=30, say=said.append) == []
        assert said == []
        STEP_STARTED.clear()
        STEP_ENDED.clear()
        worker = threading.Thread(
            target=materialize,
            args=([slow_supplier_sync],),
            kwargs={"instance": instance, "raise_on_error": False},
        )
        worker.start()
        try:
            assert STEP_STARTED.wait(30), "the step never started"
            started = time.monotonic()
            settle_runs(instance, wait=30, say=said.append, hurry=lambda: True, grace=0.5)
            assert time.monotonic() - started < 10
        finally:
            STEP_ENDED.set()
            worker.join(30)
        [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.CANCELED


def _events(instance, run_id: str) -> list:
    return list(instance.get_records_for_run(run_id).records)
