"""One replay shares what its records need: resources built once, sessions opened once and closed at
the end; outside a replay every use builds and closes its own."""

from contextlib import contextmanager

from given_replays import replays_of
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_resources.ledger import Ledger
from connector_resources.replay import (
    ReplayOutcome,
    replay_items,
    shared_context,
    shared_value,
)


class Counts:
    def __init__(self) -> None:
        self.built = self.opened = self.closed = 0

    def build(self) -> dict:
        self.built += 1
        return {"resource": self.built}

    @contextmanager
    def session(self):
        self.opened += 1
        try:
            yield f"session-{self.opened}"
        finally:
            self.closed += 1


def _queue(ledger: Ledger, flow: str, keys: list[str]) -> list:
    return [
        ledger.enqueue(
            integration="scope_test", flow=flow, entity="thing", source_key=k, payload={}, reason="boom"
        )
        for k in keys
    ]


def test_a_replay_builds_and_opens_once_and_closes_at_the_end(ledger):
    counts, seen = Counts(), []

    def handle(item, _ledger):
        resources = shared_value("resources", counts.build)
        with shared_context("target", counts.session) as session:
            assert counts.closed == 0  # still open for the next record
            seen.append((item.source_key, resources["resource"], session))
        if item.source_key == "b":
            raise RuntimeError("the target refused b")
        return ReplayOutcome(f"T-{item.source_key}")

    replays = replays_of({("scope_test", "shared"): handle})
    summary = replay_items(ledger, _queue(ledger, "shared", ["a", "b", "c"]), replays)
    assert len(summary.replayed) == 2 and len(summary.failed) == 1
    assert seen == [("a", 1, "session-1"), ("b", 1, "session-1"), ("c", 1, "session-1")]
    assert (counts.built, counts.opened, counts.closed) == (1, 1, 1)

    # The next replay starts afresh.
    replay_items(ledger, _queue(ledger, "shared", ["d"]), replays)
    assert (counts.built, counts.opened, counts.closed) == (2, 2, 2)


def test_outside_a_replay_each_use_builds_and_closes_its_own():
    counts = Counts()
    for _ in range(2):
        shared_value("resources", counts.build)
        with shared_context("target", counts.session):
            pass
    assert (counts.built, counts.opened, counts.closed) == (2, 2, 2)


def test_a_session_that_fails_to_open_is_tried_again_by_the_next_record(ledger):
    attempts = []

    @contextmanager
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("JDE not reachable")
        yield "session"

    def handle(item, _ledger):
        with shared_context("target", flaky) as session:
            return ReplayOutcome(f"{session}-{item.source_key}")

    replays = replays_of({("scope_test", "flaky"): handle})
    summary = replay_items(ledger, _queue(ledger, "flaky", ["a", "b", "c"]), replays)
    assert len(summary.failed) == 1 and len(summary.replayed) == 2
    assert len(attempts) == 2
