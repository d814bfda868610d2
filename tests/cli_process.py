"""``ml-connector`` run as a shell runs it: a new Python process, its output captured as text."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def ml_connector(
    args: Sequence[str], *, env: Mapping[str, str], cwd: Path | str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """``ml-connector ARGS`` in a new process started in ``cwd`` with exactly ``env``."""
    return subprocess.run(
        [sys.executable, "-m", "connector_cli.main", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        cwd=cwd,
        timeout=timeout,
    )
