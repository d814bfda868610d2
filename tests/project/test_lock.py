"""The lock files (requirements/*.txt) match pyproject.toml, and every install path uses them.

Why: the project is installed with ``--no-deps`` after its lock, so a dependency added to (or a range
narrowed in) pyproject.toml without ``make lock`` would be missing, or at a version outside its range, on
every fresh machine and in the image, while the developer's own venv still passed. Checked offline and in
milliseconds: the hash each lock was stamped with by ``make lock`` (requirements/stamp.py), and each direct
requirement's pin against its range.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import tomllib
from itertools import takewhile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from roots import ROOT

PROJECT = "ml-connector"
LOCKS = {"runtime": ROOT / "requirements" / "runtime.txt", "dev": ROOT / "requirements" / "dev.txt"}
# Each lock's extras, as the image and `make venv` need them (the lock's header records the extras it
# was compiled with, checked below against these).
EXTRAS = {"runtime": {"k8s", "celery", "s3"}, "dev": {"dev"}}
RELOCK = "pyproject.toml's dependencies changed since {lock} was compiled: run `make lock` and commit it"


def _stamp_module():
    spec = importlib.util.spec_from_file_location("lock_stamp", ROOT / "requirements" / "stamp.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins(lock: Path) -> dict[str, str]:
    """{canonical name: pinned version} of a uv-compiled lock (``name==version [; marker] \\`` lines)."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line[:1].isalnum():
            requirement = Requirement(line.rstrip(" \\"))
            [spec] = requirement.specifier
            assert spec.operator == "==", f"{lock.name}: {line} is not an exact pin"
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def _compiled_extras(lock: Path) -> set[str]:
    """The ``--extra`` options of the uv command in the lock's header."""
    command = next(line for line in lock.read_text(encoding="utf-8").splitlines() if "uv pip compile" in line)
    words = shlex.split(command.lstrip("# "))
    return {words[i + 1] for i, word in enumerate(words) if word == "--extra"}


def _direct_requirements(extras: set[str]) -> list[Requirement]:
    """pyproject.toml's dependencies plus those of ``extras``, an ``ml-connector[x]`` self-reference
    expanded in place."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    pending, seen = list(extras), set()
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in map(Requirement, project["optional-dependencies"][extra]):
            if canonicalize_name(requirement.name) == PROJECT:
                pending.extend(requirement.extras)
            else:
                requirements.append(requirement)
    return requirements


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_the_lock_was_compiled_from_todays_pyproject(name):
    stamp = _stamp_module()
    lock = LOCKS[name]
    recorded = stamp.recorded_hash(lock)
    assert recorded is not None, f"{lock.name} has no stamp line: compile it with `make lock`"
    assert recorded == stamp.inputs_hash(), RELOCK.format(lock=f"requirements/{lock.name}")


def test_the_stamp_changes_when_a_dependency_does(tmp_path):
    """The hash covers the dependency tables, so an added dependency or extra fails the test above."""
    stamp = _stamp_module()
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed = tmp_path / "pyproject.toml"
    changed.write_text(
        text.replace("dependencies = [\n", 'dependencies = [\n    "six",\n', 1), encoding="utf-8"
    )
    assert stamp.inputs_hash(changed) != stamp.inputs_hash()
    lock = tmp_path / "dev.txt"
    lock.write_text(LOCKS["dev"].read_text(encoding="utf-8"), encoding="utf-8")
    stamp.stamp(lock, changed)
    assert stamp.recorded_hash(lock) == stamp.inputs_hash(changed)
    assert lock.read_text(encoding="utf-8").count(stamp.PREFIX) == 1


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_every_direct_requirement_is_pinned_within_its_range(name):
    lock = LOCKS[name]
    assert _compiled_extras(lock) == EXTRAS[name]
    pins = _pins(lock)
    problems = []
    for requirement in _direct_requirements(EXTRAS[name]):
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None:
            problems.append(f"{requirement} is not in {lock.name}")
        elif not requirement.specifier.contains(pinned, prereleases=True):
            problems.append(f"{requirement}: {lock.name} pins {pinned}")
    assert not problems, "; ".join(problems) + ": run `make lock`"


def test_the_dev_lock_keeps_the_runtime_locks_versions():
    """`make lock` compiles dev.txt with runtime.txt as constraints: the suite runs on the image's
    versions."""
    runtime, dev = _pins(LOCKS["runtime"]), _pins(LOCKS["dev"])
    differ = {
        name: (runtime[name], dev[name]) for name in runtime.keys() & dev.keys() if runtime[name] != dev[name]
    }
    assert not differ


def test_make_installs_the_dev_lock_then_the_project_without_dependencies():
    """The venv's stamp rule re-installs when the lock changes, and installs nothing outside it (the
    simulators' distribution, sandbox/pyproject.toml, last)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^DEV_LOCK := requirements/dev\.txt$", makefile, re.M)
    assert re.search(r"^PIP_LOCK := requirements/pip\.txt$", makefile, re.M)
    rule = re.search(r"^\$\(VENV\)/\.installed: (.*)\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, "no $(VENV)/.installed rule in the Makefile"
    assert {"pyproject.toml", "sandbox/pyproject.toml", "$(PIP_LOCK)", "$(DEV_LOCK)"} <= set(
        rule.group(1).split()
    )
    recipe = rule.group(2).replace("\\\n", " ")
    commands = [
        part.split("pip install", 1)[1].split() for part in recipe.split("&&") if "pip install" in part
    ]
    installs = [list(takewhile(lambda word: word != ")", words)) for words in commands]  # the ( ... ) > log
    assert installs == [
        ["--require-hashes", "-r", "$(PIP_LOCK)"],
        ["--require-hashes", "-r", "$(DEV_LOCK)"],
        ["--no-deps", "-e", "."],
        ["--no-deps", "-e", "./sandbox"],  # the simulators: their libraries are the connector's, locked
    ], installs
