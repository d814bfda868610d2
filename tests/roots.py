"""Where things are, for a test in any folder of ``tests/``: the repository root and this folder.

The tests live in folders that mirror the packages (``tests/kit/``, ``tests/integrations/<name>/``, ...),
so a path counted up from a test file's own place would depend on its depth; these do not.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent  # tests/: the helper modules, conftest.py, snapshots/
ROOT = TESTS.parent  # the repository: pyproject.toml, mappings/, deploy/, ...
