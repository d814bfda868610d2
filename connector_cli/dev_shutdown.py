"""``ml-connector dev``'s stop: the daemon first, so nothing is launched while the rest shuts down.

Why: on Ctrl-C, ``dg dev`` tells its webserver and its daemon to stop at the same moment and waits for
each. While the daemon finished its loops, its run queue or a sensor could still launch a run (seen 8 s
after the interrupt); the run's worker was then ended with the process group, and Dagster marked the run
failed at the next start. Stopping the daemon (``connector_cli.dagster_daemon``) and waiting for it to exit
before ``dg dev`` hears the interrupt leaves no launcher alive while the rest stops.
"""

from __future__ import annotations

import signal
import time

import psutil

DAEMON_MARK = "connector_cli.dagster_daemon"  # in the daemon's command line (``dagster_dev.OUR_DAEMON``)
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


def stop_daemon_first(pid: int, *, wait: float = 20.0) -> int:
    """Interrupt the daemon(s) under ``pid`` and wait up to ``wait`` seconds for them to exit; answers how
    many were stopped. One that does not exit in time is left to the process group's end, as before."""
    daemons = daemons_under(pid)
    for daemon in daemons:
        try:
            daemon.send_signal(signal.SIGINT)
        except psutil.NoSuchProcess:
            continue
    deadline = time.monotonic() + wait
    alive = list(daemons)
    while alive and time.monotonic() < deadline:
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
