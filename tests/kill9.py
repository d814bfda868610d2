"""``kill_when_ready``: a write step run in a child process and killed -9 mid-write, for the tests that
show a rerun after a crash leaves one copy of every record (``test_flow_*_kill9.py``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

# The start of every child script (``code``): this folder on the path, and the crash window widened: the
# ledger records what the target answered ``T_SLOW_RECORD`` seconds late (or the write step leaves it to
# its batch, ``flows.deferred``, that late), so a kill -9 lands between the target's write and the ledger's
# record of it, not inside the next request. The script reads its settings from ``env``.
CRASH_WINDOW = textwrap.dedent(
    """
    import os, sys, time
    sys.path.insert(0, os.environ["T_TESTS"])
    from connector_assets.flows.deferred import DeferredWrites
    from connector_resources.ledger import Ledger

    env = os.environ
    recorded, left_pending = Ledger.record_target, DeferredWrites.add
    delay = float(env["T_SLOW_RECORD"])

    def slow_record(self, *args, **kwargs):  # the crash window: the target answered, not yet recorded
        time.sleep(delay)
        return recorded(self, *args, **kwargs)

    def slow_pending(self, *args, **kwargs):  # the same for a write step's record left to its batch
        time.sleep(delay)
        return left_pending(self, *args, **kwargs)

    Ledger.record_target, DeferredWrites.add = slow_record, slow_pending
    """
)


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
