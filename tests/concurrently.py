"""``raised_together``: run pieces of work in threads released at the same moment, for the tests of
limits and shared state under concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def raised_together(works: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Run each of ``works`` in a thread of its own, all released together by a barrier, and wait for
    them (20 s at most each); what they raised, for the caller to assert on."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=5)
            work()
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    return errors
