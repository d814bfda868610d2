"""A lease, or a replay's take of a queue item, whose holding process has ended is taken over at once.

A run killed with kill -9 left its claims to lapse (30 minutes), and a rerun waited 60 s on
each one in turn. The ledger now records the process behind each lease owner (``mlc_lease_holder``) in
the claim's transaction; a holder killed on this host is known to be gone the moment it dies. Each
"killed" holder here is a real child process that claims and exits without releasing (``os._exit``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta
from typing import Any

import pytest
from test_write_lease import SPEC  # a BILL-like vendors flow

from connector_assets.flows.core import BeingWritten, Lease, LeaseWaits, Mapped, write_record
from connector_resources.ledger import Ledger, XrefLeased, schema
from connector_resources.process_identity import ProcessIdentity

KEY = ("bill", "vendor", "JDE", "4343", "bill")


def _in_a_process_that_dies(url: str, code: str) -> None:
    """Run ``code`` (with ``ledger`` open on ``url``) in a child process that exits without cleaning up,
    as a kill -9 leaves things: nothing released, nothing ended."""
    script = "import os\nfrom connector_resources.ledger import Ledger\nledger = Ledger(os.environ['T_DB'])\n"
    script += textwrap.dedent(code) + "\nos._exit(0)\n"
    subprocess.run([sys.executable, "-c", script], env={"T_DB": url, "PATH": ""}, check=True, timeout=60)


def test_a_lease_whose_holder_died_is_taken_over_at_once_and_a_live_one_is_not(ledger, db_url):
    _in_a_process_that_dies(
        db_url,
        """
        ledger.claim_xref("bill", "vendor", "JDE", "4343", "bill", owner="run-killed")
        ledger.claim_xrefs("bill", "vendor", "JDE", ["1", "2", "3"], "bill", owner="run-killed")
        """,
    )
    assert ledger.get_xref(*KEY).lease_owner == "run-killed"  # 30 minutes of lease left
    assert ledger.ended_owners(["run-killed", "run-unknown"]) == {"run-killed"}

    taken = ledger.claim_xref(*KEY, owner="run-next")
    assert taken.lease_owner == "run-next"
    page = ledger.claim_xrefs("bill", "vendor", "JDE", ["1", "2", "3"], "bill", owner="run-next")
    assert sorted(page) == ["1", "2", "3"] and {x.lease_owner for x in page.values()} == {"run-next"}

    # This process holds run-next's leases and is alive: respected as before.
    with pytest.raises(XrefLeased, match="being written by run-next"):
        ledger.claim_xref(*KEY, owner="run-third")
    assert ledger.claim_xrefs("bill", "vendor", "JDE", ["1"], "bill", owner="run-third") == {}


def test_a_holder_on_another_host_or_unrecorded_is_never_declared_ended(ledger):
    ledger.claim_xref(*KEY, owner="run-far")
    holders = schema.lease_holder
    with ledger.transaction() as c:  # the lease's holder ran on another machine, now long gone
        c.execute(holders.update().values(process=ProcessIdentity("other-host/x/1", 1, 1.0).as_text()))
    assert ledger.ended_owners(["run-far"]) == set()
    with pytest.raises(XrefLeased):
        ledger.claim_xref(*KEY, owner="run-next")
    with ledger.transaction() as c:  # a lease from before holders were recorded: no holder at all
        c.execute(holders.delete())
    assert ledger.ended_owners(["run-far"]) == set()
    with pytest.raises(XrefLeased):
        ledger.claim_xref(*KEY, owner="run-next")


def _enqueue(ledger: Ledger, source_key: str, **fields: Any) -> None:
    ledger.enqueue(
        integration="bill",
        flow="vendors",
        entity="vendor",
        source_key=source_key,
        payload={"n": source_key},
        reason="BILL answered 503",
        **fields,
    )


def test_items_a_killed_replay_took_are_due_again_at_once(ledger, db_url):
    for key in ("1", "2"):
        _enqueue(ledger, key)
    _in_a_process_that_dies(
        db_url,
        """
        from datetime import timedelta
        for item in ledger.due(integration="bill"):
            assert ledger.take_queue_item(item, hold_for=timedelta(minutes=10), owner="replay-killed")
        """,
    )
    assert ledger.due(integration="bill") == []  # held by the take for 10 minutes
    assert sorted(ledger.release_dead_takes()) == sorted(item.id for item in ledger.open_items())
    assert sorted(item.source_key for item in ledger.due(integration="bill")) == ["1", "2"]

    # A live replay's take is respected, even by a replay that takes items not yet due; an item failed
    # again after its take is not made due.
    [one, two] = sorted(ledger.due(integration="bill"), key=lambda item: item.source_key)
    assert ledger.take_queue_item(one, hold_for=timedelta(minutes=10), owner="replay-live")
    assert ledger.release_dead_takes() == []
    assert [item.source_key for item in ledger.due(integration="bill")] == ["2"]
    [taken] = [item for item in ledger.open_items(integration="bill") if item.id == one.id]
    assert not ledger.take_queue_item(taken, hold_for=timedelta(minutes=10), owner="replay-other")
    _in_a_process_that_dies(
        db_url,
        f"""
        from datetime import timedelta
        [item] = [i for i in ledger.due(integration="bill") if i.id == {two.id}]
        assert ledger.take_queue_item(item, hold_for=timedelta(minutes=10), owner="replay-killed-2")
        ledger.record_attempt_failure(item.id, "still 503", retry_in=timedelta(minutes=20))
        """,
    )
    assert ledger.release_dead_takes() == []
    assert ledger.due(integration="bill") == []


def test_a_hold_behind_a_killed_writer_is_released_without_waiting_for_its_lease(ledger, db_url):
    _in_a_process_that_dies(
        db_url, 'ledger.claim_xref("bill", "vendor", "JDE", "4343", "bill", owner="run-killed")'
    )
    _enqueue(ledger, "4343", status="held", depends_on="bill:vendor:JDE:4343")
    [released] = ledger.release_lapsed_holds()
    assert (released.source_key, released.status) == ("4343", "failed")
    assert "process ended" in released.reason and released.attempts == 0


class NeverCalled:
    def find(self, record: Mapped) -> str | None:
        raise AssertionError(f"{record.source_key} is another run's: never searched")

    create = update = find  # type: ignore[assignment]


class CountedWaits(LeaseWaits):
    """``LeaseWaits`` that keeps what it gave each record meeting a live lease: the seconds left to wait."""

    def __init__(self, budget: timedelta) -> None:
        super().__init__(budget)
        self.given: list[float] = []

    def remaining(self) -> float:
        left = super().remaining()
        self.given.append(left)
        return left


def test_a_write_step_waits_for_a_live_run_once_then_holds_the_rest_naming_it(ledger, monkeypatch):
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "1")
    keys = [str(n) for n in range(6)]
    ledger.claim_xrefs("bill", "vendor", "JDE", keys, "bill", owner="run-live")  # alive: this process
    waits = CountedWaits(timedelta(seconds=1))
    lease, held = Lease("run-rerun", waits=waits), []
    for key in keys:
        record = Mapped(key, {"vendor_number": key}, {"vendor_number": key}, {"vendor_number": key})
        with pytest.raises(BeingWritten) as busy:
            write_record(SPEC, NeverCalled(), ledger, record, run_id="run-rerun", partition=None, lease=lease)
        held.append(busy.value)
    # One wait of 1 s for the six (the first record's), where each record used to wait its own: the first
    # waited out the step's whole budget, so every later one was held at once with nothing left to wait.
    assert [left > 0 for left in waits.given] == [True] + [False] * 5, waits.given
    assert {busy.owner for busy in held} == {"run-live"}
    assert all("being written to bill by run-live" in busy.reason for busy in held)
