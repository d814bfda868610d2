"""Whether a process that held something has provably ended: only then may another take its work over."""

from __future__ import annotations

import subprocess
import sys

import psutil

from connector_resources.process_identity import ROOT_PID_NAMESPACE, ProcessIdentity, this_host


def _on(host: str, pid: int = 4242) -> ProcessIdentity:
    return ProcessIdentity(host, pid, 1.0)


def test_this_process_runs_and_one_killed_here_has_ended():
    me = ProcessIdentity.current()
    assert me.is_here() and not me.ended()
    assert ProcessIdentity.parse(me.as_text()) == me
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    started = psutil.Process(child.pid).create_time()
    held = ProcessIdentity(this_host(), child.pid, started)
    assert not held.ended()
    child.kill()
    child.wait(timeout=30)
    assert held.ended()
    # The same pid taken by a process started at another time is not the holder.
    assert ProcessIdentity(this_host(), me.pid, me.started - 100).ended()


def test_a_process_elsewhere_is_never_declared_ended_but_one_from_before_a_reboot_here_is():
    name, boot, namespace = this_host().split("/")
    assert not _on(f"other-machine/{boot}/{namespace}").ended()
    assert not _on(f"{name}/{boot}/4026532199").ended()  # a container beside us: its own pid namespace
    before_reboot = _on(f"{name}/00000000/{namespace}")
    assert before_reboot.ended() == (namespace == ROOT_PID_NAMESPACE)  # outside containers only
    assert not _on(f"{name}/00000000/4026532199").ended()  # a container of an earlier boot: cannot tell
    assert ProcessIdentity.parse("not an identity") is None
