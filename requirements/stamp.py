"""Stamps each lock file with a hash of the pyproject.toml tables it was compiled from.

Why: uv records no trace of its inputs in a lock, and the project itself is installed with ``--no-deps``
after the lock, so a dependency added to pyproject.toml without ``make lock`` would silently be missing
from every fresh install. ``make lock`` writes this line at the top of each lock after compiling it;
``tests/project/test_lock.py`` recomputes the hash (offline, in milliseconds) and fails when they differ.

Usage: ``python requirements/stamp.py requirements/runtime.txt requirements/dev.txt``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
PREFIX = "# pyproject-dependencies-sha256: "
# What a lock is compiled from: the rest of pyproject.toml (tools' settings, import contracts) is not.
INPUTS = ("requires-python", "dependencies", "optional-dependencies")


def inputs_hash(pyproject: Path = PYPROJECT) -> str:
    """The sha256 of the [project] keys a lock depends on, order of keys and whitespace aside."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    inputs = {key: project.get(key) for key in INPUTS}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded_hash(lock: Path) -> str | None:
    """The hash the lock was stamped with, or None when it has no stamp (compiled without make lock)."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(PREFIX):
            return line.removeprefix(PREFIX).strip()
    return None


def stamp(lock: Path, pyproject: Path = PYPROJECT) -> None:
    """Write (or replace) the stamp line at the top of ``lock``."""
    lines = lock.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = "".join(line for line in lines if not line.startswith(PREFIX))
    lock.write_text(f"{PREFIX}{inputs_hash(pyproject)}\n{kept}", encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        stamp(Path(name))
