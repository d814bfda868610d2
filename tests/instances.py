"""``instance_for_test``: Dagster's own, with the event log the shipped ``dagster.yaml`` names.

Why: the embedded default a user runs stores events through ``KeptConnectionSqliteEventLogStorage``
(connections kept between events); Dagster's ``instance_for_test`` alone gives its stock SQLite event log,
which opens and closes a connection per event. A test instance with the project's storage runs what users
run, and its runs cost a quarter of the event-log time (the stock one was a fifth of an in-process run's
CPU in the suite's profile). A test that names its own storage (``event_log_storage`` or ``storage`` in
``overrides``) keeps it; ``tests/project/test_event_log_storage.py`` still compares the two.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

import dagster
import yaml
from roots import ROOT

# The shipped dagster.yaml, as the embedded default reads it (other tests take its launcher and monitoring).
PROJECT_INSTANCE = yaml.safe_load((ROOT / "dagster.yaml").read_text())
PROJECT_EVENT_LOG = PROJECT_INSTANCE["event_log_storage"]


@contextmanager
def instance_for_test(
    overrides: Mapping[str, Any] | None = None, temp_dir: str | None = None, **kwargs: Any
) -> Iterator[dagster.DagsterInstance]:
    """``dagster.instance_for_test`` (same arguments) on the project's event log, kept under the instance's
    own folder (``history/runs``, where Dagster keeps it)."""
    given = dict(overrides or {})
    with ExitStack() as stack:
        if "event_log_storage" not in given and "storage" not in given:
            if not temp_dir:
                temp_dir = stack.enter_context(tempfile.TemporaryDirectory(ignore_cleanup_errors=True))
            base_dir = os.path.join(temp_dir, "history", "runs")
            given["event_log_storage"] = {**PROJECT_EVENT_LOG, "config": {"base_dir": base_dir}}
        yield stack.enter_context(dagster.instance_for_test(overrides=given, temp_dir=temp_dir, **kwargs))
