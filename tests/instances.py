"""``instance_for_test``: Dagster's own, with the event log the shipped ``dagster.yaml`` names.

Why: the embedded default a user runs stores events through ``KeptConnectionSqliteEventLogStorage``
(connections kept between events); Dagster's ``instance_for_test`` alone gives its stock SQLite event log,
which opens and closes a connection per event. A test instance with the project's storage runs what users
run, and its runs cost a quarter of the event-log time (the stock one was a fifth of an in-process run's
CPU in the suite's profile). A test that names its own storage (``event_log_storage`` or ``storage`` in
``overrides``) keeps it; ``tests/project/test_event_log_storage.py`` still compares the two.

A new instance's SQLite files (runs, schedules, the event log's index) are built table by table, stamped
with their alembic revisions and put through Dagster's data migrations: most of an instance's CPU, paid
thousands of times a suite, for files that come out the same each time. So a process builds them once, in
an instance of its own, and each new instance in a new folder starts from a copy of them, which Dagster
opens as it opens any instance folder it made before.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any

import dagster
import yaml
from roots import ROOT

# The shipped dagster.yaml, as the embedded default reads it (other tests take its launcher and monitoring).
PROJECT_INSTANCE = yaml.safe_load((ROOT / "dagster.yaml").read_text())
PROJECT_EVENT_LOG = PROJECT_INSTANCE["event_log_storage"]
# The storages' files under an instance folder, as Dagster's SQLite storages lay them out.
STORAGE_FILES = ("history/runs.db", "schedules/schedules.db", "history/runs/index.db")
_blank: Path | None = None
_building = threading.Lock()


def _event_log_in(folder: str) -> dict[str, Any]:
    return {**PROJECT_EVENT_LOG, "config": {"base_dir": os.path.join(folder, "history", "runs")}}


def _from_blank_storages(folder: str) -> None:
    """This process's new-instance storage files copied into ``folder``; built at the first call by an
    instance of their own, each database's write-ahead log folded into it (a copy of the file alone is the
    whole database), and removed when the process ends."""
    global _blank
    with _building:
        if _blank is None:
            made = tempfile.mkdtemp(prefix="mlc-blank-instance-")
            with dagster.instance_for_test(
                overrides={"event_log_storage": _event_log_in(made)}, temp_dir=made
            ):
                pass
            for name in STORAGE_FILES:
                with closing(sqlite3.connect(os.path.join(made, name))) as db:
                    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            builder = os.getpid()  # a forked child inherits the hook, not the folder
            atexit.register(lambda: os.getpid() == builder and shutil.rmtree(made, ignore_errors=True))
            _blank = Path(made)
    for name in STORAGE_FILES:
        os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
        shutil.copyfile(_blank / name, os.path.join(folder, name))


@contextmanager
def instance_for_test(
    overrides: Mapping[str, Any] | None = None, temp_dir: str | None = None, **kwargs: Any
) -> Iterator[dagster.DagsterInstance]:
    """``dagster.instance_for_test`` (same arguments) on the project's event log, kept under the instance's
    own folder (``history/runs``, where Dagster keeps it); in a new folder on the default storages, from
    this process's blank storage files."""
    given = dict(overrides or {})
    with ExitStack() as stack:
        if "event_log_storage" not in given and "storage" not in given:
            if not temp_dir:
                temp_dir = stack.enter_context(tempfile.TemporaryDirectory(ignore_cleanup_errors=True))
                if not given.keys() & {"run_storage", "schedule_storage"}:
                    _from_blank_storages(temp_dir)
            given["event_log_storage"] = _event_log_in(temp_dir)
        yield stack.enter_context(dagster.instance_for_test(overrides=given, temp_dir=temp_dir, **kwargs))
