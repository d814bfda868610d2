"""The running ``ml-connector dev``: one per instance folder, and a record other shells read.

Why: two ``make dev`` on one DAGSTER_HOME share its daemon heartbeats, runs and ledger, and both consoles
fill with errors; and a second shell must find the running one's addresses (``--sandbox-ports free`` moves
them on every start) and its vault key without anyone exporting anything. So ``dev`` takes an exclusive
``fcntl.flock`` on ``DAGSTER_HOME/dev.lock`` before starting anything and holds it for its whole life (the
OS releases it when the process ends, even on ``kill -9``: a record left behind is then recognised as stale,
never as a running instance). While it holds the lock it keeps ``DAGSTER_HOME/dev-instance.json`` (mode
0600: it names the vault key file; the key itself is never in it) with its pid, start time and addresses;
the record is removed when it stops. Readers ask the lock, not the pid, whether the record is live.
``DAGSTER_HOME/sandbox-port-base`` outlives it: the block ``--sandbox-ports free`` chose last, which the next
start takes again while it is free, so the desk's and the simulators' addresses (bookmarks) stay put.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import click

RECORD_FILE = "dev-instance.json"
LOCK_FILE = "dev.lock"
PORT_BASE_FILE = "sandbox-port-base"

# A reader probing the lock holds it for microseconds; a start that meets such a probe tries again for
# this long before concluding that another ``dev`` holds it.
CLAIM_PATIENCE_SECONDS = 1.0


@dataclass(frozen=True)
class DevInstance:
    """What a running ``ml-connector dev`` tells other shells: who it is and where it listens."""

    pid: int
    started: str  # ISO 8601, UTC
    dagster_home: str
    ui: str  # the Dagster UI's address
    sandbox_port_base: int | None = None  # None until the ports are chosen
    sandboxes: dict[str, str] = field(default_factory=dict)  # system -> base URL (empty: --no-sandbox)
    receiver: str = ""  # the webhook receiver's base URL
    desk: str = ""  # the exceptions desk's base URL
    vault_key_file: str | None = None  # None: the key is configured in dev's environment (or not yet known)
    ledger: str = ""  # the ledger URL, password masked

    def named(self) -> str:
        """The instance in one phrase: enough for an operator to find and stop it."""
        started = datetime.fromisoformat(self.started).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"pid {self.pid}, Dagster UI {self.ui}, started {started}"

    @classmethod
    def from_json(cls, text: str) -> DevInstance:
        data = json.loads(text)
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})


class DevAlreadyRunning(click.ClickException):
    """Another ``ml-connector dev`` holds this instance folder (a command error: said, never a traceback)."""


@dataclass
class DevClaim:
    """This process's hold on an instance folder: ``publish`` the record, ``release`` on the way out."""

    home: Path
    fd: int | None
    instance: DevInstance

    def publish(self, instance: DevInstance) -> None:
        """Write the record other shells read (atomically, mode 0600 from the first byte)."""
        self.instance = instance
        target = self.home / RECORD_FILE
        scratch = target.with_name(f".{RECORD_FILE}.{os.getpid()}")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as sink:
            json.dump(asdict(instance), sink, indent=2)
        os.replace(scratch, target)

    def release(self) -> None:
        """Remove the record, then let go of the lock (the lock file stays: unlinking it would let two
        starts lock two different files). Idempotent."""
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            if _read(self.home) == self.instance:  # never remove a record this process did not write
                (self.home / RECORD_FILE).unlink()
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def claim(home: Path, ui: str) -> DevClaim:
    """Hold ``home`` for this process and publish a first record (pid, UI address, start time); raise
    ``DevAlreadyRunning`` naming the running instance when another process holds it."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + CLAIM_PATIENCE_SECONDS
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                raise DevAlreadyRunning(_refusal(home)) from None
            time.sleep(0.05)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    instance = DevInstance(pid=os.getpid(), started=started, dagster_home=str(home), ui=ui)
    held = DevClaim(home, fd, instance)
    held.publish(instance)
    return held


def refuse_if_running(home: Path) -> None:
    """Raise ``DevAlreadyRunning`` naming the instance running on ``home``, if any; creates nothing, so a
    start can say so before it checks its ports (``claim`` still decides, race-free)."""
    if held(home):
        raise DevAlreadyRunning(_refusal(home))


def _refusal(home: Path) -> str:
    running = _read(home)
    who = running.named() if running else "its record is not written yet: it is starting"
    return (
        f"not starting: another ml-connector dev is running on {home} ({who}). Two on one instance "
        "folder would share its daemon, runs and ledger. Use that one (`ml-connector where` prints its "
        "addresses), stop it, or start this one with its own --dagster-home."
    )


def _read(home: Path) -> DevInstance | None:
    """The record in ``home`` as written, live or not; None when there is none or it cannot be read."""
    try:
        return DevInstance.from_json((home / RECORD_FILE).read_text())
    except (OSError, ValueError, TypeError):
        return None


def held(home: Path) -> bool:
    """Whether a process holds ``home``'s dev lock now (probed without waiting; a missing lock file is
    no holder)."""
    try:
        fd = os.open(home / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def running(home: Path) -> DevInstance | None:
    """The ``ml-connector dev`` running on ``home``, or None (none, or only a stale record)."""
    record = _read(home)
    return record if record is not None and held(home) else None


def stale(home: Path) -> DevInstance | None:
    """A record left by a ``dev`` that is gone (killed without cleaning up), or None."""
    record = _read(home)
    return record if record is not None and not held(home) else None


def last_port_base(home: Path) -> int | None:
    """The sandbox port base the last ``--sandbox-ports free`` start on ``home`` chose, or None (none
    kept, or not a number)."""
    try:
        return int((home / PORT_BASE_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def keep_port_base(home: Path, base: int) -> None:
    """Keep the port base this start chose, for the next ``--sandbox-ports free`` start to prefer."""
    home.mkdir(parents=True, exist_ok=True)
    (home / PORT_BASE_FILE).write_text(f"{base}\n")
