"""``race``: two spawned processes that start a piece of work at the same moment, for the tests that
show two runs never write one record twice; ``race_written``: two runs of one write step of a test world
(``sandbox_world.PairWorld``), each on the world's resources rebuilt in its own process, for every
integration's ``two runs at once`` test.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable
from typing import Any

from waiting import load, phase

# How long the two processes of a race may take to start (spawn, imports, resources) before the barrier;
# each waits this long for the other. Generous: a spawned process importing Dagster at load 15 takes a
# minute.
START_SECONDS = 300


def race(
    target: Callable[..., None],
    args: Callable[[str, Any, Any], tuple],
    timeout: float,
    *,
    what: str = "two processes at once",
) -> dict[str, Any]:
    """Run ``target(*args(name, barrier, results))`` in spawned processes "A" and "B": each waits at
    ``barrier`` (for two) and puts ``(name, outcome)`` on ``results``. Their outcomes by name; the
    processes are joined afterwards, and killed when stuck. Fails naming ``what`` (the phase) and the
    process(es) that did not report within ``timeout`` seconds."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=target, args=args(name, barrier, results)) for name in ("A", "B")]
    for process in processes:
        process.start()
    deadline = time.monotonic() + timeout
    outcomes: dict[str, Any] = {}
    try:
        with phase(what):
            for _ in processes:
                try:
                    name, outcome = results.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    silent = sorted({"A", "B"} - set(outcomes))
                    exits = {p.name: p.exitcode for p in processes}
                    raise AssertionError(
                        f"{what}: {' and '.join(silent)} reported nothing within {timeout:.0f} s ({load()}); "
                        f"reported: {outcomes}; exit codes {exits}"
                    ) from None
                outcomes[name] = outcome
        return outcomes
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()


def materialize_at_barrier(
    asset: str,
    day: str,
    name: str,
    barrier: Any,
    results: Any,
    build: Callable[[], tuple[list[Any], dict[str, Any]]],
) -> None:
    """One racing run, in its spawned process: ``build()`` gives (assets, resources), the run waits at
    ``barrier`` and materializes ``day``, then puts ``(name, outcome)`` on ``results``: ``asset``'s
    metadata values with ``run_id`` and its start and end times, or ``{"error": ...}`` (any failure is
    reported, so the parent fails with the cause instead of a timeout)."""
    try:
        import threading
        import time

        from asset_runs import metadata_by_asset
        from dagster import materialize
        from instances import instance_for_test

        assets, resources = build()
        with instance_for_test() as instance:
            try:
                barrier.wait(START_SECONDS)
            except threading.BrokenBarrierError:
                other = "the other run was not ready to start"
                results.put((name, {"error": f"run {name}: {other} within {START_SECONDS} s ({load()})"}))
                return
            started = time.time()
            result = materialize(
                assets, resources=resources, instance=instance, partition_key=day, raise_on_error=False
            )
            ended = time.time()
        if not result.success:
            failures = [e.message for e in result.all_events if e.is_failure]
            results.put((name, {"error": str(failures)[-2000:]}))
            return
        counts = {k: getattr(v, "value", v) for k, v in metadata_by_asset(result)[asset].items()}
        results.put((name, {**counts, "run_id": result.run_id, "started": started, "ended": ended}))
    except BaseException as exc:
        results.put((name, {"error": f"{type(exc).__name__}: {exc}"}))


def race_overlapping(
    target: Callable[..., None],
    args: Callable[[str, Any, Any], tuple],
    timeout: float = 2 * START_SECONDS,
    *,
    what: str = "two runs at once",
) -> dict[str, dict]:
    """``race`` of two runs that report with ``materialize_at_barrier``: neither ended in an error, and
    they overlapped in time (else the test proves nothing about two runs at once). Their outcomes."""
    outcomes = race(target, args, timeout, what=what)
    assert not [o for o in outcomes.values() if "error" in o], outcomes
    a, b = outcomes.values()
    assert max(a["started"], b["started"]) < min(a["ended"], b["ended"]), outcomes  # the runs overlapped
    return outcomes


def _run_written(asset: str, remote: dict[str, Any], day: str, name: str, barrier: Any, results: Any) -> None:
    """One run of ``asset`` for ``day`` (a spawned process) on the world ``remote`` describes: its write
    counts, or the error it ended with."""

    def build() -> tuple[list[Any], dict[str, Any]]:
        from asset_runs import named
        from sandbox_world import rebuilt

        resources, assets = rebuilt(remote)
        return named([asset], assets), resources

    materialize_at_barrier(asset, day, name, barrier, results, build)


def race_written(world: Any, asset: str, **fields: dict[str, Any]) -> dict[str, dict]:
    """``race_overlapping`` of two runs of ``asset`` for the world's day, on its resources (``fields`` by
    resource key tune the runs' clients: a BILL client that waits longer for a slot ...)."""
    remote = world.remote(**fields)
    return race_overlapping(
        _run_written,
        lambda name, barrier, results: (asset, remote, world.day, name, barrier, results),
        what=f"two runs of {asset} at once",
    )
