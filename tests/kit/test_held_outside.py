"""Records held on another system's work (``held_outside``): a replay's sweep releases them only when the
system's check (handed to the sweep in a ``Replays``) says the work is done; a check that cannot answer leaves
them held, and a key of no kind given is never released by it. On the real ledger (SQLite and PostgreSQL)."""

from __future__ import annotations

from given_replays import replays_of

from connector_resources.held_outside import outside_key
from connector_resources.ledger import Ledger
from connector_resources.replay import release_synced

KIND = ("ERP", "batch", "Z1")


def _hold(ledger: Ledger, key: str, on: str) -> None:
    ledger.enqueue(
        integration="itest",
        flow="payments",
        entity="payment",
        source_key=key,
        payload={"body": {"k": key}},
        reason=f"held until batch {on.rsplit(':', 1)[-1]} is processed",
        status="held",
        depends_on=on,
    )


def _status(ledger: Ledger) -> dict[str, str]:
    return {i.source_key: i.status for i in ledger.open_items(integration="itest")}


def test_only_what_the_check_says_is_ready_is_released_and_a_failing_check_releases_nothing(ledger):
    _hold(ledger, "P1", outside_key(KIND, "B1"))
    _hold(ledger, "P2", outside_key(KIND, "B2"))
    _hold(ledger, "P3", "OTHER:batch:Z1:B3")  # a kind no check is given for: left to the ledger's own rules
    asked: list[list[str]] = []

    def down(batches: list[str]) -> dict[str, str]:
        raise ConnectionError("ERP did not answer")

    assert release_synced(ledger, replays_of(outside={KIND: down})) == []
    assert _status(ledger) == {"P1": "held", "P2": "held", "P3": "held"}

    def check(batches: list[str]) -> dict[str, str]:
        asked.append(batches)
        return {"B1": "batch B1 was processed"}

    [released] = release_synced(ledger, replays_of(outside={KIND: check}))
    assert asked == [["B1", "B2"]]  # one question per kind, about every id held on it
    assert released.source_key == "P1" and released.status == "failed"
    assert released.reason == "released: batch B1 was processed; due for replay"
    assert released.attempts == 0  # waiting was never a failed attempt
    assert _status(ledger) == {"P1": "failed", "P2": "held", "P3": "held"}
    assert [e.action for e in ledger.history("P1")] == ["release"]
