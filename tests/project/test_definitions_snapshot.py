"""The loaded Definitions, as names: every asset key (group, partitions, parents, checks, automation),
job, schedule, sensor and resource key, held against ``tests/snapshots/definitions.json``.

Why: moving code between packages must change nothing a data team sees in the UI, their
lineage, their schedules or their run history keys; this test shows any such change as a diff.
After a deliberate change, rewrite the snapshot with
``UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/project/test_definitions_snapshot.py`` and review the diff.
"""

from __future__ import annotations

import json
import os

from roots import TESTS

from connector_assets.definitions import defs

SNAPSHOT = TESTS / "snapshots" / "definitions.json"


def _partitions(node) -> str | None:
    return None if node.partitions_def is None else type(node.partitions_def).__name__


def _automation(node) -> str | None:
    condition = node.automation_condition
    return None if condition is None else condition.get_label() or type(condition).__name__


def described() -> dict:
    """What the definitions declare, sorted so the file diffs line by line."""
    repository = defs.get_repository_def()
    graph = repository.asset_graph
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": _partitions(node),
            "parents": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": sorted(c.name for c in node.check_keys),
            "automation": _automation(node),
            "executable": node.is_executable,
        }
    jobs = {job.name: sorted(str(n) for n in job.graph.node_names()) for job in repository.get_all_jobs()}
    schedules = {
        s.name: {"cron": s.cron_schedule, "job": s.job_name, "timezone": s.execution_timezone}
        for s in repository.schedule_defs
    }
    sensors = {
        s.name: sorted(t.job_name for t in s.targets) if s.has_jobs else [] for s in repository.sensor_defs
    }
    return {
        "assets": assets,
        "jobs": dict(sorted(jobs.items())),
        "schedules": dict(sorted(schedules.items())),
        "sensors": dict(sorted(sensors.items())),
        "resources": sorted(defs.resources or {}),
    }


def test_the_loaded_definitions_match_the_snapshot():
    now = json.dumps(described(), indent=1, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(now)
    assert SNAPSHOT.read_text() == now, (
        "the loaded definitions changed; if that was meant, rewrite the snapshot with "
        "UPDATE_SNAPSHOTS=1 and review its diff"
    )
