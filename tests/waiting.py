"""Waiting in tests for something to happen, never for a time to pass.

``wait_until(condition, phase=...)`` polls ``condition`` until it holds and fails naming the phase that did
not finish (with the machine's load average and what ``detail()`` shows of the state), within a budget
generous enough for the 2-core machine at load 15: a phase that takes seconds alone may take ten times
as long there, and a test must still say the same thing. ``phase(name)`` names what a test is doing for
as long as a block runs (a Dagster run, a child process, a race of two runs): when pytest-timeout stops
the test inside it, ``tests/conftest.py`` adds the phase's name to the failure, so a hang reads as what
hung rather than as a stack dump.

No test asserts how long something took; these budgets only bound a wait that would otherwise hang.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# A phase's budget unless the caller gives one: minutes, not seconds (a phase that hangs still ends the
# test well inside the file's pytest-timeout, which bounds the whole test).
PHASE_SECONDS = 120.0

# The phases a test is in, outermost first (``phase``), and those an exception left (pytest-timeout's
# included), as "outer > inner": ``conftest.py`` shows the first with a failed test and empties it before
# the next.
running: list[str] = []
left: list[str] = []


def load() -> str:
    """The load average (1 and 5 minutes), for a message about a phase that did not finish."""
    try:
        one, five, _ = os.getloadavg()
    except OSError:  # not on every platform
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f}"


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Name what the block does, for the failure of a test stopped inside it (pytest-timeout)."""
    running.append(name)
    try:
        yield
    except BaseException:
        left.append(" > ".join(running))
        raise
    finally:
        running.pop()


named = phase  # for ``wait_until``, whose argument of that name is the phase's name


def wait_until(
    condition: Callable[[], T],
    *,
    phase: str,
    seconds: float = PHASE_SECONDS,
    every: float = 0.05,
    detail: Callable[[], object] | None = None,
) -> T:
    """``condition()``'s value once it is truthy, asked every ``every`` seconds; an ``AssertionError``
    naming ``phase`` when it is not within ``seconds`` (``detail()``: what to show of the state then)."""
    deadline = time.monotonic() + seconds
    with named(phase):
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                shown = f"; {detail()}" if detail is not None else ""
                raise AssertionError(f"{phase}: not done within {seconds:.0f} s ({load()}){shown}")
            time.sleep(every)
