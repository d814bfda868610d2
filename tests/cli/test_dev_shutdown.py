"""``ml-connector dev`` stops the daemon first on an interrupt, so no run is launched while the rest
stops; then it waits a bounded time for the runs in flight and cancels the rest (CANCELED, never failed)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
from dagster import DagsterInstance, DagsterRunStatus, asset, instance_for_test, materialize
from dagster._core.errors import DagsterExecutionInterruptedError

from connector_cli.dagster_daemon import watching_shutdown_pipe
from connector_cli.dev_console import ConsoleFilter
from connector_cli.dev_shutdown import (
    DAEMON_MARK,
    DAEMON_STOPPED,
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


@contextmanager
def run_in_flight(instance: DagsterInstance) -> Iterator[None]:
    """A run whose step is going (its worker a thread here), ended on the way out as make dev's process
    group end ends a worker."""
    STEP_STARTED.clear()
    STEP_ENDED.clear()
    kwargs = {"instance": instance, "raise_on_error": False}
    worker = threading.Thread(target=materialize, args=([slow_supplier_sync],), kwargs=kwargs)
    worker.start()
    try:
        assert STEP_STARTED.wait(30), "the step never started"
        yield
    finally:
        STEP_ENDED.set()
        worker.join(30)


def test_a_run_in_flight_at_the_stop_is_waited_for_then_canceled_never_failed():
    said: list[str] = []
    with instance_for_test() as instance:
        with run_in_flight(instance):
            [flying] = runs_in_flight(instance)
            assert flying.steps == ("slow_supplier_sync",)
            started = time.monotonic()
            canceled = settle_runs(instance, wait=0.6, say=said.append, grace=0.5)
            assert time.monotonic() - started >= 0.6, "the run in flight was given the wait before its cancel"
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
        with run_in_flight(instance):
            started = time.monotonic()
            settle_runs(instance, wait=30, say=said.append, hurry=lambda: True, grace=0.5)
            assert time.monotonic() - started < 10
        [run] = instance.get_runs()
    assert run.status == DagsterRunStatus.CANCELED


def _events(instance, run_id: str) -> list:
    return list(instance.get_records_for_run(run_id).records)


# -- the daemon says when its loops have stopped, and lives on until dg dev stops ----------------------------


def test_the_daemon_says_it_stopped_then_waits_for_dg_dev_and_the_console_hears_it(capsys):
    read_end, write_end = os.pipe()
    interrupted: list[bool] = []
    left = threading.Event()

    def daemon_loops_then_exit() -> None:  # the daemon's run command, its loops stopped by our own interrupt
        with watching_shutdown_pipe(read_end, "SHUTDOWN", lambda: interrupted.append(True)):
            pass
        left.set()

    daemon = threading.Thread(target=daemon_loops_then_exit)
    daemon.start()
    try:
        assert not left.wait(0.5), (
            "the daemon stays until dg dev says shutdown (dg dev takes an exit for a crash)"
        )
        said = capsys.readouterr().out
        assert said.strip() == DAEMON_STOPPED
        routed = ConsoleFilter(io.StringIO(), io.StringIO())
        routed.write(said)
        assert routed.daemon_stopped.is_set()  # what make dev's stop waits for (``stop_daemon_first``)
    finally:
        os.write(write_end, b"SHUTDOWN\n")  # dg dev stopping
        os.close(write_end)
        daemon.join(10)
    assert left.is_set() and interrupted == [True]


def test_stop_daemon_first_returns_when_the_daemon_says_it_stopped():
    started = time.monotonic()
    assert stop_daemon_first(2**22 + 12345, wait=30, said_stopped=lambda: True) == 0  # nothing to stop
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    try:
        parent.stdout.readline()
        while not daemons_under(parent.pid):
            time.sleep(0.05)
        started = time.monotonic()
        assert stop_daemon_first(parent.pid, wait=30, said_stopped=lambda: True) == 1
        assert time.monotonic() - started < 5
    finally:
        parent.kill()
        parent.wait()
