"""Concurrent replays: two ``ml-connector replay`` at once over the same queue each take
what is free, skip what the other has, never abort, and report only what they wrote themselves. On the
real ledger, SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from given_replays import replays_of

from connector_assets.flows.replays import Replays
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import (
    REPLAY_HOLD,
    ReplayOutcome,
    ReplaySummary,
    replay_items,
)

INTEGRATION, FLOW = "itest_concurrent", "vendors"
RECORDS = 24


@pytest.fixture
def ledger(db_url: str):
    made = Ledger(db_url)
    yield made
    made.dispose()


def _queue(ledger: Ledger, count: int) -> list[QueueItem]:
    for n in range(count):
        ledger.enqueue(
            integration=INTEGRATION,
            flow=FLOW,
            entity="vendor",
            source_key=f"V{n}",
            payload={"n": n},
            reason="target refused: try again",
        )
    return ledger.open_items(integration=INTEGRATION, flow=FLOW)


def _noting(calls: list[int]) -> Replays:
    """Replays whose handler writes each item it is given (as target ``T``), its id noted in ``calls``."""

    def write(item: QueueItem, _ledger: Ledger) -> ReplayOutcome:
        calls.append(item.id)
        return ReplayOutcome(target_id="T", action="create")

    return replays_of({(INTEGRATION, FLOW): write})


def test_two_replays_at_once_write_each_item_once_and_report_only_their_own(ledger) -> None:
    items = _queue(ledger, RECORDS)
    written: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(item: QueueItem, _ledger: Ledger) -> ReplayOutcome:
        time.sleep(0.01)  # a target's answer: the other replay runs meanwhile
        with lock:
            written[item.source_key] += 1
        return ReplayOutcome(target_id=f"T-{item.source_key}", action="create", detail="replayed: created")

    replays = replays_of({(INTEGRATION, FLOW): handler})
    start = threading.Barrier(2)
    summaries: list[ReplaySummary] = []
    errors: list[BaseException] = []

    def replay() -> None:
        start.wait()  # both listed the same 24 items before either takes one
        try:
            summaries.append(replay_items(ledger, items, replays))
        except BaseException as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=replay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert written == Counter({item.source_key: 1 for item in items})
    first, second = summaries
    assert sorted(first.replayed + second.replayed) == sorted(item.id for item in items)
    assert set(first.replayed).isdisjoint(second.replayed)
    # What the other wrote is already written or still the other's, never counted twice.
    assert sorted(first.elsewhere + first.already) == sorted(second.replayed)
    assert sorted(second.elsewhere + second.already) == sorted(first.replayed)
    assert not ledger.open_items(integration=INTEGRATION, flow=FLOW)


def test_an_item_a_run_resolves_meanwhile_does_not_stop_the_replay(ledger) -> None:
    """The replay's failure of an item another path resolved (a run wrote the record) was a
    ``LedgerInputError`` that aborted the items after it."""
    first, *rest = _queue(ledger, 3)

    def handler(item: QueueItem, own: Ledger) -> ReplayOutcome:
        if item.id == first.id:
            own.resolve(item.id, reason="written by a run meanwhile")  # the run wins the record
            raise RuntimeError("target refused: duplicate")
        return ReplayOutcome(target_id=f"T-{item.source_key}", action="create")

    replays = replays_of({(INTEGRATION, FLOW): handler})
    summary = replay_items(ledger, [first, *rest], replays)
    assert summary.already == [first.id] and not summary.elsewhere
    assert summary.replayed == [item.id for item in rest] and not summary.failed
    assert "1 already written (resolved, nothing sent)" in summary.line()


def test_an_item_changed_since_it_was_listed_is_left_alone(ledger) -> None:
    [item] = _queue(ledger, 1)
    calls: list[int] = []
    replays = _noting(calls)
    assert replay_items(ledger, [item], replays).replayed == [item.id]
    again = replay_items(ledger, [item], replays)  # the same listing replayed again: already resolved
    assert calls == [item.id] and again.already == [item.id] and not again.replayed


def test_an_item_another_replay_holds_is_left_to_it(ledger) -> None:
    """Taken by another replay and not finished: neither written again nor counted."""
    [item] = _queue(ledger, 1)
    calls: list[int] = []
    replays = _noting(calls)
    assert ledger.take_queue_item(item, hold_for=REPLAY_HOLD)  # the other replay has it
    summary = replay_items(ledger, [item], replays)
    assert calls == [] and summary.elsewhere == [item.id] and not summary.already and not summary.replayed
    assert "1 left to another replay or run that has them" in summary.line()
