"""How often a fresh Python process loads a project's defs folder while it does what a code server, a run
and a command do: Dagster's ``ComponentTree.for_project`` calls (each one a tree of the folder) and the
integration instances' ``defs.yaml`` loads (``IntegrationType.load``), counted by wrapping both before
anything is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

_PROBE = """
import json, sys

import dagster as dg

from connector_assets.components.integration_type import IntegrationType

trees, instances = [], []
for_project, load = dg.ComponentTree.for_project.__func__, IntegrationType.load.__func__


def counted_tree(cls, path_within_project):
    trees.append(str(path_within_project))
    return for_project(cls, path_within_project)


def counted_load(cls, attributes, context):
    instances.append(str(context.path))
    return load(cls, attributes, context)


dg.ComponentTree.for_project = classmethod(counted_tree)
IntegrationType.load = classmethod(counted_load)

exec(sys.argv[1])
print(json.dumps({"trees": trees, "instances": instances}))
"""


def loads_in_a_process(code: str, *, cwd: Path, pythonpath: Path, home: Path) -> dict[str, list[str]]:
    """Run ``code`` in a new process standing in ``cwd`` (``pythonpath`` importable, before the checkout's
    own path; ``home`` its ``DAGSTER_HOME``); the trees it loaded (the paths Dagster was given) and the
    instances it loaded (their defs folders)."""
    env = {k: v for k, v in os.environ.items() if k != "ML_INTEGRATIONS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(pythonpath), os.environ.get("PYTHONPATH"))))
    env["DAGSTER_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
