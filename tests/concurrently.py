"""``raised_together``: run pieces of work in threads released at the same moment, for the tests of
limits and shared state under concurrency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from waiting import load

# Bounds for a machine at load 15: the threads' start before the barrier, and the work after it.
START_SECONDS = 60
WORK_SECONDS = 120


def raised_together(works: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Run each of ``works`` in a thread of its own, all released together by a barrier, and wait for
    them; what they raised, for the caller to assert on. Fails naming the works still running when
    ``WORK_SECONDS`` have passed (a hang, not a result)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=START_SECONDS)
            work()
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,), daemon=True) for work in works]
    for t in threads:
        t.start()
    deadline = time.monotonic() + START_SECONDS + WORK_SECONDS
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [work for work, t in zip(works, threads, strict=True) if t.is_alive()]
    assert not stuck, (
        f"{len(stuck)} of {len(works)} works released together still running after "
        f"{START_SECONDS + WORK_SECONDS} s ({load()}): {stuck[:3]}"
    )
    return errors
