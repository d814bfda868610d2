"""A write step run in a child process and killed -9 mid-write, for the tests of every integration that
show a rerun after a crash leaves one copy of every record (``test_flow_*_kill9.py``, the proofs):
``kill_mid_write`` runs one asset of a test world (``sandbox_world.PairWorld``) in a child that rebuilds
the world's resources (``CHILD``) and kills it when the test says; ``caught_half_written`` reads what the
kill left; ``kill_when_ready`` is the bare mechanism, for a child of a test's own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from waiting import load

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
    code: str, env: dict[str, str], ready: Callable[[], bool], *, never: str, seconds: float = 300
) -> float:
    """Run ``code`` (``python -c``; ``env`` added to this process's, ``T_TESTS`` naming this folder for
    its imports) and kill -9 it as soon as ``ready()``. Fails with the child's error when it ends first,
    and with ``never`` (what did not happen, the phase) when ``ready()`` does not come within ``seconds``
    (generous: a child starting Dagster on a machine at load 15 takes a minute before its first write).
    The deadline (``time.monotonic``), for what the caller waits for after the kill."""
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
            assert time.monotonic() < deadline, f"{never} (within {seconds:.0f} s, {load()})"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    return deadline


# One write step of a test world, run alone as a scheduled run would run it, on the world's resources
# rebuilt from ``T_WORLD`` (``PairWorld.remote``): the asset ``T_ASSET`` for the partition ``T_DAY``.
CHILD = CRASH_WINDOW + textwrap.dedent(
    """
    import json
    from asset_runs import named
    from dagster import materialize
    from instances import instance_for_test
    from sandbox_world import rebuilt

    resources, assets = rebuilt(json.loads(env["T_WORLD"]))
    print("started", flush=True)
    with instance_for_test() as instance:
        materialize(named([env["T_ASSET"]], assets), resources=resources, instance=instance,
                    partition_key=env["T_DAY"] or None)
    """
)


def child_env(world: Any, asset: str, *, partition: str | None = None, slow_record: str = "0.6") -> dict:
    """What ``CHILD`` reads: the world, the asset, the partition (the world's day unless given) and the
    crash window (``T_SLOW_RECORD`` seconds between the target's answer and the ledger's record)."""
    day = partition or world.day or ""
    return {
        "T_WORLD": json.dumps(world.remote()),
        "T_ASSET": asset,
        "T_DAY": day,
        "T_SLOW_RECORD": slow_record,
    }


def kill_mid_write(
    world: Any,
    asset: str,
    ready: Callable[[], bool],
    *,
    never: str,
    partition: str | None = None,
    settle: float = 0.5,
) -> float:
    """Run ``asset`` of ``partition`` (the world's day unless given) in a child process (``CHILD``) and
    kill -9 it as soon as ``ready()``; then ``settle`` seconds, for a request the kill cut off to end at the
    target (an injected latency of 0.15 s). The deadline, as ``kill_when_ready`` gives it."""
    deadline = kill_when_ready(CHILD, child_env(world, asset, partition=partition), ready, never=never)
    time.sleep(settle)
    return deadline


def caught_half_written(world: Any, entity: str, in_target: set[str]) -> tuple[set[str], set[str]]:
    """(keys the killed run claimed and never recorded; of the keys the target holds, those the ledger
    lacks)."""
    xrefs = world.xrefs(entity)
    claimed = {key for key, target in xrefs.items() if target is None}
    return claimed, in_target - {key for key, target in xrefs.items() if target}


@dataclass(frozen=True)
class WriteStep:
    """A write step a kill -9 proof kills: its asset, the ledger's entity and flow of its records, and
    the simulator (resource key) made slow (150 ms a call) so the kill lands mid-write."""

    asset: str
    entity: str
    flow: str
    slow: str


def killed_then_rerun(
    world: Any,
    step: WriteStep,
    records: Collection[str],
    held: Callable[[], Mapping[str, int]],
    *,
    posts: Callable[[], int] | None = None,
    ready: Callable[[], bool] | None = None,
    at_kill: Callable[[set[str]], None] = lambda keys: None,
    skipped_before: int | None = 0,
    failed: int | None = 0,
    queued: Collection[str] | None = (),
) -> tuple[dict[str, Any], set[str], set[str]]:
    """The kill -9 proof every integration makes of a write step (``step``) of ``records`` (source keys):
    the step killed mid-write (``kill_mid_write``) once ``ready()`` (else: once the target holds 2 of
    them, as ``held()`` counts them by key), then what the kill left: 2 or more records in the target and
    not all, among them orphans (in the target, claimed in the ledger, never recorded; ``at_kill`` asserts
    more of the keys in the target then). Then the partition's write step rerun, with the target fast
    again: it takes the killed run's leases over at once (none met), adopts each orphan (one adopt more in
    the audit), creates the rest and skips what was recorded (and ``skipped_before`` records written
    before; None: not counted), ``failed`` failing (None: not counted). Afterwards the target holds each
    record once, the ledger has each one's target id, the target was asked to create each once (``posts``:
    its create calls so far) and the queue holds ``queued`` (None: not read). (the rerun's counts, the keys
    in the target at the kill, the orphans)."""
    before = posts() if posts else 0
    adopted = world.audit_counts(step.flow).get("adopt", 0)
    world.latency(step.slow, 150)
    try:
        kill_mid_write(
            world, step.asset, ready or (lambda: len(held()) >= 2), never=f"no write of {step.asset}"
        )
    finally:
        world.latency(step.slow, 0)
    in_target = set(held())
    claimed, orphans = caught_half_written(world, step.entity, in_target)
    print(f"{step.entity}: {len(in_target)} of {len(records)} in the target at the kill, orphans {orphans}")
    assert 2 <= len(in_target) < len(records), (len(in_target), len(records))
    assert orphans and orphans <= claimed  # in the target, claimed in the ledger, never recorded
    at_kill(in_target)

    rerun = world.run(step.asset)[step.asset]
    assert rerun["adopt"] == len(orphans) and rerun["leased"] == 0, rerun
    assert rerun["create"] == len(records) - len(in_target), rerun
    assert skipped_before is None or rerun["skip"] == len(in_target) - len(orphans) + skipped_before, rerun
    assert failed is None or rerun["fail"] == failed, (rerun, world.queue(step.flow))
    assert held() == dict.fromkeys(records, 1)
    xrefs = world.xrefs(step.entity)
    assert all(xrefs.get(key) for key in records), xrefs
    # The target was asked once per record: each orphan was found (adopted) before any POST.
    assert posts is None or posts() - before == len(records)
    assert world.audit_counts(step.flow)["adopt"] - adopted == len(orphans)
    assert queued is None or set(world.queue(step.flow)) == set(queued)
    return rerun, in_target, orphans
