"""``race``: two spawned processes that start a piece of work at the same moment, for the tests that
show two runs never write one record twice.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


def race(
    target: Callable[..., None], args: Callable[[str, Any, Any], tuple], timeout: float
) -> dict[str, Any]:
    """Run ``target(*args(name, barrier, results))`` in spawned processes "A" and "B": each waits at
    ``barrier`` (for two) and puts ``(name, outcome)`` on ``results``. Their outcomes by name; the
    processes are joined afterwards, and killed when stuck."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=target, args=args(name, barrier, results)) for name in ("A", "B")]
    for process in processes:
        process.start()
    try:
        return dict(results.get(timeout=timeout) for _ in processes)
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
