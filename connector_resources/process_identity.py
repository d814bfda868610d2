"""Which process holds something (a run worker, a write step, a replay), and whether it has provably ended.

A lease or a run that outlives its process is only safe to take over when we *know* that process is gone:
taking over a live writer's record would create it twice in a target that offers no idempotency key. So
an identity names the process precisely enough to be checked later from another process:

- ``host``: the machine *and* the process-id namespace (hostname, kernel boot id, pid namespace), so two
  containers sharing a hostname, or a rebooted machine, never compare equal;
- ``pid`` and ``started`` (the process's start time, from psutil), so a pid reused by a new process is
  not mistaken for the old one still running.

``ended()`` is True only when the process was on this host (same namespace) and is not running any more,
or ran outside containers on this machine before its last reboot; a process on another host, or one we
cannot inspect, is never declared ended here (the caller falls back to what else it knows: Dagster's run
status, a lease's expiry).
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

# A process's start time as psutil gives it is rounded differently across calls on some platforms.
_START_TOLERANCE = 1.0


@functools.cache
def this_host() -> str:
    """This machine and pid namespace, as one text: ``hostname/boot-id/pid-namespace``."""
    boot = _read_text("/proc/sys/kernel/random/boot_id")[:8]
    return "/".join((socket.gethostname(), boot, _pid_namespace()))


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return "-"


def _pid_namespace() -> str:
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:  # not Linux: one pid space per host
        return "-"


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """One process, named so another process can tell later whether it is still running."""

    host: str
    pid: int
    started: float  # seconds since the epoch; 0.0 when unknown

    @classmethod
    def current(cls) -> ProcessIdentity:
        return _current(os.getpid())

    def as_text(self) -> str:
        """``host pid started``: how an identity is stored (a ledger row, a Dagster engine event)."""
        return f"{self.host} {self.pid} {self.started:.2f}"

    @classmethod
    def parse(cls, text: str | None) -> ProcessIdentity | None:
        """An identity from ``as_text``; None for anything else (an older record, a foreign value)."""
        parts = (text or "").rsplit(" ", 2)
        if len(parts) != 3:
            return None
        try:
            return cls(parts[0], int(parts[1]), float(parts[2]))
        except ValueError:
            return None

    def is_here(self) -> bool:
        return self.host == this_host()

    def ended(self) -> bool:
        """True only when this process ran on this host and is not running now (its pid is free, or
        taken by a process started at another time), or ran on this machine before it was rebooted.
        False when it runs, or when we cannot tell."""
        if not self.is_here():
            return self._before_a_reboot()
        try:
            process = psutil.Process(self.pid)
            if process.status() == psutil.STATUS_ZOMBIE:  # killed, not yet reaped by its parent
                return True
            started = process.create_time()
        except psutil.NoSuchProcess:
            return True
        except psutil.Error:  # no permission to look: it exists
            return False
        return bool(self.started) and abs(started - self.started) > _START_TOLERANCE

    def _before_a_reboot(self) -> bool:
        """Same machine name, both outside containers (the root pid namespace, whose id is fixed), another
        boot: every process of that boot is gone. A container's namespace id says nothing across boots,
        so a containerised holder is never judged here."""
        name, boot, namespace = (self.host.split("/") + ["", "", ""])[:3]
        here_name, here_boot, here_namespace = this_host().split("/")
        return (
            name == here_name
            and namespace == here_namespace == ROOT_PID_NAMESPACE
            and boot not in ("", "-", here_boot)
        )


# The id of Linux's initial pid namespace (PROC_PID_INIT_INO): every process outside a container has it.
ROOT_PID_NAMESPACE = "4026531836"


@functools.cache
def _current(pid: int) -> ProcessIdentity:
    """Per pid, so a forked child (a new pid) gets its own identity, not its parent's cached one."""
    try:
        started = psutil.Process(pid).create_time()
    except psutil.Error:
        started = 0.0
    return ProcessIdentity(this_host(), pid, started)
