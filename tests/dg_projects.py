"""A Dagster project as Dagster's scaffolding lays it out (a ``[tool.dg]`` pyproject, a package with a
``defs`` folder, a ``definitions.py`` calling ``load_from_defs_folder``), in a test's temporary folder: where
ml-connector's component types are used as another project uses them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from instances import instance_for_test
from sandbox_world import serve_simulator

from connector_assets.components import instances as instance_packages
from connector_resources import configured_settings
from connector_sandbox.procurify import ProcurifySandboxSettings

SECOND_ACCOUNT_SEED = 20250302  # another company's Procurify account: seeded apart from the deployment's
BIN = Path(sys.executable).parent  # the environment's ``dg``, beside the Python running the tests


def scaffolded_project(tmp_path: Path, instances: dict[str, str] | None = None) -> tuple[Path, str]:
    """(project folder, root module) of a new project; ``instances``: folder under ``defs`` -> its
    ``defs.yaml`` text, written as ``dg scaffold defs`` and an editor would."""
    root = f"outside_{uuid.uuid4().hex[:8]}"
    project = tmp_path / "outside"
    (project / root / "defs").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "{root}"\nversion = "0.1.0"\n\n[tool.dg]\ndirectory_type = "project"\n\n'
        f'[tool.dg.project]\nroot_module = "{root}"\n'
    )
    (project / root / "__init__.py").write_text("")
    (project / root / "defs" / "__init__.py").write_text("")
    (project / root / "definitions.py").write_text(
        "from pathlib import Path\n\nimport dagster as dg\n\n\n@dg.definitions\ndef defs():\n"
        "    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)\n"
    )
    for folder, text in (instances or {}).items():
        (project / root / "defs" / folder).mkdir(parents=True)
        (project / root / "defs" / folder / "defs.yaml").write_text(text)
    return project, root


@contextmanager
def importable(project: Path) -> Iterator[Path]:
    """``project`` on ``sys.path`` for Dagster's in-process loader; after, off it, its instances' YAML
    values forgotten and their packages' copies dropped, so no later test reads them (a further instance of
    the same name in a later project is imported anew with that project's settings: its schedules are
    built as its package loads). Before, the YAML values this process holds are forgotten too: the
    connector's own deployment, built by any test module importing ``connector_assets.definitions``,
    states its instances' values (the sandbox defaults, so forgetting them changes nothing it reads), and
    an instance of the same name here deciding otherwise would be refused as the same instance disagreeing
    with itself."""
    configured_settings.forget()
    sys.path.insert(0, str(project))
    try:
        yield project
    finally:
        sys.path.remove(str(project))
        configured_settings.forget()
        instance_packages.forget()


def load_refusal(project: Path) -> str:
    """Why Dagster's loader refuses the defs folder of ``project`` (importable): the error a component's
    build raised, found under the ``ComponentTreeException``s Dagster wraps it in."""
    try:
        dg.load_from_defs_folder(path_within_project=project)
    except Exception as refused:
        cause: BaseException = refused
        while cause.__cause__ is not None:
            cause = cause.__cause__
        return str(cause)
    raise AssertionError(f"the defs folder of {project} loaded")


CONNECTOR = "type: connector_assets.components.Connector\n"


def side_by_side(
    component: str,
    first: str,
    second: str,
    *,
    connections: dict[str, dict[str, str]],
    attributes: str = "",
    second_attributes: str | None = None,
) -> dict[str, str]:
    """The defs folders of two instances of ``component`` beside the Connector (``scaffolded_project``'s
    ``instances``): ``first`` on the deployment's connections, ``second`` (its ``name``) on ``connections``
    of its own. ``attributes``: YAML lines (two spaces in) of the first, and of the second unless
    ``second_attributes`` are given."""

    def defs_yaml(lines: str) -> str:
        return f"type: {component}\n" + (f"attributes:\n{lines}" if lines else "")

    own = "".join(
        f"    {system}:\n" + "".join(f"      {field}: '{value}'\n" for field, value in fields.items())
        for system, fields in connections.items()
    )
    theirs = attributes if second_attributes is None else second_attributes
    return {
        "connector": CONNECTOR,
        first: defs_yaml(attributes),
        second: defs_yaml(f"  name: {second}\n{theirs}  connections:\n{own}"),
    }


@contextmanager
def beside_a_second_procurify(
    tmp_path: Path,
    monkeypatch: Any,
    procurify_url: str,
    component: str,
    first: str,
    second: str,
    *,
    attributes: str,
    second_attributes: str,
) -> Iterator[tuple[dict[str, str], dg.DagsterInstance, Path]]:
    """Two instances of a Procurify integration ``component`` side by side (``side_by_side``): ``first`` on
    the deployment's Procurify at ``procurify_url``, ``second`` on a Procurify account of its own, another
    company's (a simulator seeded apart, so its records are not the first account's). Yields each
    instance's Procurify URL by name, a Dagster instance and the scaffolded project, importable."""

    other, stop = serve_simulator("procurify", ProcurifySandboxSettings(scale=0.05, seed=20250302))
    instances = side_by_side(
        component,
        first,
        second,
        attributes=attributes,
        second_attributes=second_attributes,
        connections={"procurify": {"base_url": other}},
    )
    project, _root = scaffolded_project(tmp_path, instances)
    try:
        with importable(project), instance_for_test() as instance:
            monkeypatch.setenv("ML_PROCURIFY_URL", procurify_url)
            yield {first: procurify_url, second: other}, instance, project
    finally:
        stop()


def two_instances_refused(tmp_path: Path, component: str, first: str, second: str, **given: Any) -> str:
    """Why Dagster's loader refuses two instances of ``component`` side by side (``side_by_side``'s
    ``given``; the second on a Procurify account of its own, another company's): the refusal, checked to
    name both instances by their ``defs.yaml`` files."""
    instances = side_by_side(
        component,
        first,
        second,
        connections={"procurify": {"base_url": "https://another-company.procurify.example"}},
        **given,
    )
    project, root = scaffolded_project(tmp_path, instances)
    with importable(project):
        said = load_refusal(project)
    defs = project / root / "defs"
    for name in (first, second):
        assert f"{name} in {defs / name / 'defs.yaml'} " in said, said
    return said


def run_resources(loaded: dg.Definitions, world: Mapping[str, Any], system: str) -> dict[str, Any]:
    """What a several-instance test runs the instances' jobs with: the world's resources but ``system``'s,
    which the deployment chooses per run (each instance its own connection), as is checked here."""
    assert isinstance(loaded.resources[system], dg.ResourceDefinition)  # chosen per run
    return {key: value for key, value in world.items() if key != system}


def run_job(
    loaded: dg.Definitions,
    name: str,
    partition_key: str | None = None,
    *,
    instance: dg.DagsterInstance,
    resources: Mapping[str, Any],
) -> dg.ExecuteInProcessResult:
    """Job ``name`` of the loaded deployment run in process (``partition_key`` its day), which must succeed:
    a failure names what its events said."""
    job = loaded.resolve_job_def(name)
    result = job.execute_in_process(partition_key=partition_key, instance=instance, resources=dict(resources))
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def run_dg(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``dg <args>`` in ``project`` as its user runs it (the environment's ``dg``, the project importable,
    its own ``DAGSTER_HOME``, every instance running); ``check``: it must succeed (its output said if not)."""
    env = {
        **os.environ,
        "VIRTUAL_ENV": str(BIN.parent),
        "DAGSTER_HOME": str(project),
        "DAGSTER_DISABLE_TELEMETRY": "1",
        # The project first; a PYTHONPATH already set (a checkout tested beside the installed one) after it.
        "PYTHONPATH": os.pathsep.join(filter(None, (str(project), os.environ.get("PYTHONPATH")))),
    }
    env.pop("ML_INTEGRATIONS", None)
    done = subprocess.run(
        [str(BIN / "dg"), *args], cwd=project, env=env, capture_output=True, text=True, timeout=540
    )
    if check:
        assert done.returncode == 0, f"dg {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done
