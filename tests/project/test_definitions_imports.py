"""Loading the definitions stays cheap: no heavy library is imported until a step needs it.

Every run, every ``dagster`` command and the code server load ``connector_assets.definitions``; pandas,
pandera, pyarrow, alembic, authlib/cryptography and the web stack cost seconds there and are needed only
by the steps (and commands) that use them. A fresh interpreter imports the definitions with an import
hook that notes, for each of those libraries, which of our modules pulled it in first, so a failure
names the module and line to fix (import it inside the function that uses it, or build it lazily).
Not timed: a machine's speed varies, what is imported does not. Nor is the defs folder read twice: the
deployment and Dagster's loader share one component tree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from roots import ROOT
from tree_loads import loads_in_a_process

from connector_assets.deployment import known_names

HEAVY = (
    "pandas",
    "pandera",
    "pyarrow",
    "numpy",
    "alembic",
    "authlib",
    "cryptography",
    "starlette",
    "uvicorn",
    "connector_sandbox",
)

_PROBE = """
import importlib.abc, json, sys

HEAVY = set(sys.argv[1].split(","))
first_importer = {}


class Witness(importlib.abc.MetaPathFinder):
    # Notes who imports a heavy library first; never finds anything itself.
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in HEAVY and top not in first_importer:
            frame, chain = sys._getframe(1), []
            while frame is not None:
                module = frame.f_globals.get("__name__", "")
                if module.startswith(("connector_", "dagster")) and not module.startswith(top):
                    chain.append(f"{module}:{frame.f_lineno}")
                frame = frame.f_back
            ours = [c for c in chain if c.startswith("connector_")]
            first_importer[top] = ours[0] if ours else (chain[0] if chain else "?")
        return None


sys.meta_path.insert(0, Witness())
import connector_assets.definitions  # noqa: E402,F401

print(json.dumps({name: first_importer.get(name, "?") for name in sorted(HEAVY) if name in sys.modules}))
"""


def test_loading_the_definitions_imports_no_heavy_library():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, ",".join(HEAVY)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    imported = json.loads(probe.stdout.strip().splitlines()[-1])
    assert imported == {}, "loading the definitions imported " + "; ".join(
        f"{library} (first from {importer})" for library, importer in imported.items()
    )


def test_every_lazy_pandera_model_builds():
    """The models are built on first validate, so a mistake in one (e.g. ``from __future__ import
    annotations`` in its module: pandera then cannot resolve ``Series`` defined inside the builder)
    would only show in that flow's step; build every model of every flow here."""
    from connector_assets.definitions import DEPLOYMENT
    from connector_assets.flows.lazy_model import LazyModel

    # Every model the project's modules declare (not gc.get_objects(): objects frozen by gc.freeze(), as the
    # webhook receiver does at startup in the same process, are not listed there).
    models = {
        id(value): value
        for name, module in list(sys.modules.items())
        if name.startswith("connector_assets.")
        for value in vars(module).values()
        if isinstance(value, LazyModel)
    }
    # The project's flows, as the deployment's components declare them.
    ours = [
        s
        for s in DEPLOYMENT.specs.values()
        if getattr(s.schema, "__module__", "").startswith("connector_assets.")
    ]
    assert len(ours) >= 20, [s.flow for s in ours]
    assert all(isinstance(spec.schema, LazyModel) for spec in ours), [
        spec.flow for spec in ours if not isinstance(spec.schema, LazyModel)
    ]
    assert {id(spec.schema) for spec in ours} <= set(models)
    for model in models.values():
        schema = model.model.to_schema()
        assert schema.columns, f"{model!r} has no columns"


def test_a_code_server_its_runs_and_commands_load_the_defs_folder_once(tmp_path):
    """``definitions.py`` builds the definitions from the tree the deployment holds: what a code server
    loads, then what its runs (a fit job's deployment, the replay job's handlers) and the commands (ping's
    deployment, the mapping tables, the replays) read is that one tree, each ``defs.yaml`` loaded once."""
    code = (
        "import connector_assets.definitions as loaded\n"
        "from connector_assets.deployment import Deployment, known_names\n"
        "from connector_cli.mappings import enabled\n"
        "from connector_cli.records import deployment_replays\n"
        "assert loaded.defs.resolve_job_def('jde_bill_fit')\n"
        "assert Deployment.of(['jde_bill']).names == ('jde_bill',) and len(known_names()) == 6\n"
        "assert enabled() and deployment_replays().handlers\n"
    )
    counted = loads_in_a_process(code, cwd=ROOT, pythonpath=ROOT, home=tmp_path)
    assert [Path(path).resolve() for path in counted["trees"]] == [ROOT]
    folders = sorted(Path(path).name for path in counted["instances"])
    assert folders == sorted(known_names()) and len(folders) == 6
