"""The API simulators stay out of production: the connector's wheel leaves connector_sandbox out, their own
distribution (sandbox/pyproject.toml) holds all of it, and the image and the deploy files never get it.

Why: the simulators are tens of thousands of lines that only ``make dev`` and the tests run; shipped in
the wheel they were in every production image, and a production module importing them would break there
the day they are left out. The import contract in pyproject.toml ([tool.importlinter], run by ``make
lint``) keeps production modules from importing them; tests/cli/test_without_simulators.py runs the
command line without them. Checked here from the packaging configuration, with setuptools' own package
finder (what the build runs), offline and in about a second.
"""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from roots import ROOT
from setuptools import find_namespace_packages

SIMULATORS = "connector_sandbox"
SANDBOX_PROJECT = ROOT / "sandbox" / "pyproject.toml"


def _setuptools(pyproject: Path) -> dict:
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]


def _packages(pyproject: Path) -> list[str]:
    """The packages ``pip install`` of ``pyproject`` builds: its ``packages.find`` run as setuptools runs it
    (namespaces on, the pyproject.toml default), from the project's folder."""
    find = _setuptools(pyproject)["packages"]["find"]
    found = []
    for where in find.get("where", ["."]):
        found += find_namespace_packages(
            where=str(pyproject.parent / where),
            include=find.get("include", ["*"]),
            exclude=find.get("exclude", ()),
        )
    return found


def _simulator_packages() -> set[str]:
    """Every package of the simulators on disk: each folder of connector_sandbox/ holding Python modules."""
    return {
        ".".join(folder.relative_to(ROOT).parts)
        for folder in [ROOT / SIMULATORS, *(ROOT / SIMULATORS).rglob("*")]
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py"))
    }


def test_the_connectors_wheel_leaves_the_simulators_out():
    packages = _packages(ROOT / "pyproject.toml")
    assert {"connector_assets", "connector_resources", "connector_cli"} <= set(packages)
    assert not [name for name in packages if name.split(".")[0] == SIMULATORS]
    assert SIMULATORS not in _setuptools(ROOT / "pyproject.toml")["package-data"]


def test_the_connectors_wheel_holds_every_data_file_its_packages_read():
    """Each settings.toml, each instance's defs.yaml, the ledger's migrations and the desk's templates are
    in the connector's package data: an install from the wheel (not the source tree) loads the project's
    own instances and settings as a checkout does."""
    patterns = _setuptools(ROOT / "pyproject.toml")["package-data"]
    missing = []
    for package in ("connector_assets", "connector_resources", "connector_cli"):
        for path in (ROOT / package).rglob("*"):
            if not path.is_file() or path.suffix in (".py", ".pyc", ".md") or "__pycache__" in path.parts:
                continue
            name = path.relative_to(ROOT / package).as_posix()
            if not any(fnmatch(name, pattern) for pattern in patterns.get(package, [])):
                missing.append(f"{package}/{name}")
    assert missing == []


def test_the_simulators_distribution_holds_every_simulator_package_and_data_file():
    """Its package folder is the repository's connector_sandbox/, it finds every subpackage there, and its
    package data covers every data file the simulators read (a README is documentation, not data)."""
    config = _setuptools(SANDBOX_PROJECT)
    assert (SANDBOX_PROJECT.parent / config["package-dir"][SIMULATORS]).resolve() == ROOT / SIMULATORS
    assert set(_packages(SANDBOX_PROJECT)) == _simulator_packages()
    patterns = config["package-data"][SIMULATORS]
    data = [
        path.relative_to(ROOT / SIMULATORS).as_posix()
        for path in (ROOT / SIMULATORS).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc", ".md")
    ]
    assert data, "no data files found: the simulators read words.json, tables.txt, ..."
    assert not [name for name in data if not any(fnmatch(name, pattern) for pattern in patterns)]
    assert all(list((ROOT / SIMULATORS).glob(pattern)) for pattern in patterns)


def test_the_image_and_the_deploy_files_never_get_the_simulators():
    """The Dockerfile copies neither folder and .dockerignore drops both from the build context; nothing
    under deploy/ names the simulators or runs a dev command."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    copied = [
        source.rstrip("/")
        for line in text.splitlines()
        if line.strip().upper().startswith("COPY ")
        for source in line.split()[1:-1]
    ]
    assert copied and not {SIMULATORS, "sandbox"} & {Path(source).parts[0] for source in copied}
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
    assert {SIMULATORS, "sandbox"} <= ignored
    dev_command = re.compile(rf"{SIMULATORS}|ml-connector\W+(dev|sandbox)\b")
    named = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "deploy").rglob("*"))
        if path.is_file() and dev_command.search(path.read_text(encoding="utf-8"))
    ]
    assert not named
