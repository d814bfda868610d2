"""``make dev``'s console: our lines and what matters, with Dagster's daemon chatter in a log file.

Why: ``dg dev`` writes every daemon tick (about 1,600 INFO lines in ten minutes: sensors checked, assets
evaluated, runs monitored), and the lines a person needs (the UI's address, runs launched, errors) scroll
away among them. Everything ``dg dev`` writes goes to ``DAGSTER_HOME/dagster-dev.log`` as written; the
console gets what is not a Dagster log record (our own lines), Dagster's warnings and errors with their
tracebacks, and the INFO records that say where the UI is, which run was launched, or that it stopped.
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import IO

from connector_cli.dev_shutdown import DAEMON_STOPPED

LOG_FILE = Path("dagster-dev.log")  # Dagster empties DAGSTER_HOME/logs: not there
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Dagster's console format: "2026-11-25 14:44:11 +0000 - dagster.daemon.SensorDaemon - INFO - message".
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} - (?P<logger>\S+) - (?P<level>[A-Z]+) - ")
_QUIET_LEVELS = ("DEBUG", "INFO")
# INFO records that still belong on the console: where the UI is, what runs, and the end.
SHOWN_INFO = ("Serving dagster-webserver", "Launching run", "launch of run", "shut down", "Shutting down")
# Warnings Dagster's daemon gives on every new instance, about itself: nothing a person can act on.
QUIET_WARNINGS = ("No cursor for event",)
# Python's report of an exception it ignored (raised in a finalizer or a garbage-collection callback): at
# shutdown, Dagster's interrupt handler can land in one of SQLAlchemy's in a stopping daemon, which Dagster
# then kills. Ignored by Python itself, nothing to act on: to the log file only, until the next record.
IGNORED_BY_PYTHON = "Exception ignored in"
# A run stopped by an interrupt (make dev stopped while it ran, its worker ended with the process group):
# Dagster's failure record stays on the console, naming the run; the interrupt's stack trace (where the step
# happened to be waiting, nothing wrong there) goes to the log file and the run's page.
INTERRUPTED_RUN = "Execution was interrupted"
# A step that failed on purpose with a message of ours (``dagster.Failure``: a mostly refused day, a target
# that refused the credentials): the record and the message stay on the console; the frames Dagster adds
# (where the step raised it, nothing to act on) go to the log file and the run's page.
OUR_FAILURE = "dagster._core.definitions.events.Failure: "
STACK_TRACE = "Stack Trace:"


class ConsoleFilter:
    """Routes ``dg dev``'s lines: all to the log file, the ones that matter to the console too. A line that
    is not a record (a traceback's lines) goes where the record before it went, except Python's report of
    an exception it ignored (``IGNORED_BY_PYTHON``), the stack trace of a run interrupted
    (``INTERRUPTED_RUN``, its record line shown) and that of a failure of ours (``OUR_FAILURE``, its record
    and message shown), which go to the log file only."""

    def __init__(self, log: IO[str], console: IO[str] | None = None) -> None:
        self.log, self.console = log, console or sys.stdout
        self.showing = True  # before any record: our own output
        self.ours = False  # the record being continued is a failure of ours (``OUR_FAILURE``)
        self.daemon_stopped = threading.Event()  # our daemon said ``DAEMON_STOPPED`` (``dev_shutdown``)

    def shown(self, line: str) -> bool:
        """Whether ``line`` goes to the console (and remember it for the lines continuing it)."""
        plain = _ANSI.sub("", line)
        if plain.startswith(DAEMON_STOPPED):
            self.daemon_stopped.set()
        record = _RECORD.match(plain)
        if record is None and plain.startswith(IGNORED_BY_PYTHON):
            self.showing = False
        elif record is None:
            self.ours = self.ours or plain.startswith(OUR_FAILURE)
            if self.ours and plain.startswith(STACK_TRACE):
                self.showing = False
        else:
            self.ours = False
            if record["level"] in _QUIET_LEVELS:
                self.showing = any(words in line for words in SHOWN_INFO)
            else:
                self.showing = not any(words in line for words in QUIET_WARNINGS)
            if self.showing and INTERRUPTED_RUN in line:
                self.showing = False  # its continuation lines: the interrupt's stack trace
                return True
        return self.showing

    def write(self, line: str) -> None:
        self.log.write(line)
        self.log.flush()
        if self.shown(line):
            self.console.write(line)
            self.console.flush()

    def pump(self, stream: IO[str]) -> None:
        """Copy ``stream`` line by line until it ends (the child exited)."""
        for line in stream:
            self.write(line)


def start_pump(stream: IO[str], home: Path) -> tuple[threading.Thread, Path, threading.Event]:
    """A thread routing ``stream`` (``dg dev``'s output) to the console and ``home``'s log file; the event
    is set when the daemon says it has stopped (``ConsoleFilter.daemon_stopped``)."""
    path = home / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    log = path.open("a", encoding="utf-8")
    routed = ConsoleFilter(log)

    def run() -> None:
        try:
            routed.pump(stream)
        finally:
            log.close()

    thread = threading.Thread(target=run, name="dev-console", daemon=True)
    thread.start()
    return thread, path, routed.daemon_stopped
