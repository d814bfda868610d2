"""``ml-connector dev`` stops the daemon first on an interrupt, so no run is launched while the rest stops."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from connector_cli.dev_shutdown import DAEMON_MARK, daemons_under, stop_daemon_first

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
