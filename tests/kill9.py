"""``kill_when_ready``: a write step run in a child process and killed -9 mid-write, for the tests that
show a rerun after a crash leaves one copy of every record (``test_flow_*_kill9.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def kill_when_ready(
    code: str, env: dict[str, str], ready: Callable[[], bool], *, never: str, seconds: float = 90
) -> float:
    """Run ``code`` (``python -c``; ``env`` added to this process's, ``T_TESTS`` naming this folder for
    its imports) and kill -9 it as soon as ``ready()``. Fails with the child's error when it ends first,
    and with ``never`` when ``ready()`` does not come within ``seconds``. The deadline (``time.monotonic``),
    for what the caller waits for after the kill."""
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        env={**os.environ, "T_TESTS": str(Path(__file__).parent), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + seconds
    try:
        while not ready():
            if child.poll() is not None:
                error = child.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
                raise AssertionError(f"the write step ended before it could be killed: {error}")
            assert time.monotonic() < deadline, never
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    return deadline
