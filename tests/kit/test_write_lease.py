"""The claim on a source record is an exclusive lease of the writing run: two runs never both create it.

Two processes writing the same flow and partition on one PostgreSQL ledger both POSTed the
same creates; only Coupa's own uniqueness refusal stopped the duplicates, and BILL has none. Here the
target is a real HTTP server that accepts duplicates, so any double POST shows in its request log.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pandera.pandas as pa
import pytest
import requests
from bare_flows import bare_spec
from http_server import CannedResponse, RecordedRequest, ScriptedServer
from ledger_entries import held_on
from racing import race

from connector_assets.flows.core import Mapped, write_record
from connector_resources.ledger import Ledger, LedgerInputError, XrefLeased, lease_length, lease_wait
from connector_resources.replay import WaitsFor
from connector_resources.settings import SettingError

KEY = ("bill", "vendor", "JDE", "4343", "bill")
VENDORS = ("bill", "vendors", "vendor")


# ---------------------------------------------------------------- the lease in the ledger


def test_a_live_lease_blocks_another_owner_and_the_same_owner_reclaims(ledger):
    mine = ledger.claim_xref(*KEY, owner="run-A", lease=timedelta(minutes=5))
    assert (mine.lease_owner, mine.target_id, mine.state) == ("run-A", None, "pending")
    assert mine.lease_expires_at > datetime.now(UTC) + timedelta(minutes=4)

    with pytest.raises(XrefLeased) as busy:
        ledger.claim_xref(*KEY, owner="run-B")
    assert busy.value.owner == "run-A" and busy.value.expires_at == mine.lease_expires_at
    assert "being written by run-A" in str(busy.value) and "4343" in str(busy.value)
    assert ledger.get_xref(*KEY).lease_owner == "run-A"  # the loser changed nothing

    again = ledger.claim_xref(*KEY, owner="run-A", lease=timedelta(minutes=10))  # a step retry renews it
    assert again.id == mine.id and again.lease_expires_at > mine.lease_expires_at
    # A re-execution inherits the lease of the finished run it re-executes.
    heir = ledger.claim_xref(*KEY, owner="run-A2", inherits=["run-A"])
    assert heir.lease_owner == "run-A2"
    # Claiming without an owner (recording the intent only) leaves the lease alone.
    assert ledger.claim_xref(*KEY).lease_owner == "run-A2"


def test_an_expired_lease_is_taken_over(ledger):
    ledger.claim_xref(*KEY, owner="run-killed", lease=timedelta(milliseconds=1))
    later = datetime.now(UTC) + timedelta(milliseconds=50)
    while datetime.now(UTC) < later:
        pass
    taken = ledger.claim_xref(*KEY, owner="run-next", lease=timedelta(minutes=1))
    assert taken.lease_owner == "run-next"


def test_recording_the_target_or_releasing_ends_the_lease(ledger):
    ledger.claim_xref(*KEY, owner="run-A")
    assert ledger.release_xref(*KEY, owner="run-B") is False  # only the holder releases
    assert ledger.release_xref(*KEY, owner="run-A") is True
    assert ledger.get_xref(*KEY).lease_owner is None
    assert ledger.claim_xref(*KEY, owner="run-B").lease_owner == "run-B"  # free again: claimed at once

    synced = ledger.record_target(*KEY, "V-1", "h1")
    assert (synced.target_id, synced.lease_owner, synced.lease_expires_at) == ("V-1", None, None)
    # A record with a target id is not leased: there is nothing left to create.
    assert ledger.claim_xref(*KEY, owner="run-C").lease_owner is None


def test_lease_arguments_and_settings_are_checked(ledger, monkeypatch):
    with pytest.raises(LedgerInputError, match="'lease'"):
        ledger.claim_xref(*KEY, owner="run-A", lease=timedelta(0))
    with pytest.raises(LedgerInputError, match="'owner'"):
        ledger.claim_xref(*KEY, owner="x" * 65)
    assert lease_length() == timedelta(minutes=30) and lease_wait() == timedelta(seconds=60)
    monkeypatch.setenv("ML_LEDGER_LEASE_MINUTES", "0.5")
    assert lease_length() == timedelta(seconds=30)
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "soon")
    with pytest.raises(SettingError, match="ML_LEDGER_LEASE_WAIT_SECONDS='soon'"):
        lease_wait()


def test_a_hold_on_a_record_being_written_is_released_once_its_writer_is_gone(ledger):
    own = "bill:vendor:JDE:4343"

    def hold(source_key: str) -> None:
        reason = f"vendor {source_key} is being written by run-A"
        held_on(ledger, VENDORS, source_key, f"bill:vendor:JDE:{source_key}", reason)

    ledger.claim_xref(*KEY, owner="run-A", lease=timedelta(minutes=5))
    hold("4343")
    assert ledger.release_lapsed_holds() == []  # run-A is still writing it
    later = datetime.now(UTC) + timedelta(minutes=6)
    [released] = ledger.release_lapsed_holds(now=later)  # run-A was killed: its lease lapsed
    assert (released.source_key, released.status, released.depends_on) == ("4343", "failed", own)
    assert "lease lapsed" in released.reason and released.attempts == 0

    # A record its writer did record is not released here (release_synced does that), nor is a record
    # held on another one.
    ledger.record_target("bill", "vendor", "JDE", "77", "bill", "V-77", "h")
    hold("77")
    held_on(ledger, VENDORS, "78", "bill:vendor:JDE:1", "waits for its parent")
    ledger.claim_xref("bill", "vendor", "JDE", "78", "bill")
    assert ledger.release_lapsed_holds(now=later) == []


# ---------------------------------------------------------------- two processes, one PostgreSQL ledger


class VendorSchema(pa.DataFrameModel):
    vendor_number: str


SPEC = bare_spec("bill", "vendors", "vendor", "JDE", "bill", VendorSchema)
RECORDS = 24


class HttpVendors:
    """A BILL-like target over real HTTP: search by vendor number, create by POST (no duplicate check)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def find(self, record: Mapped) -> str | None:
        answer = self.http.get(f"{self.base_url}/vendors", params=record.natural_key, timeout=10)
        answer.raise_for_status()
        found = answer.json()
        return found[0]["id"] if found else None

    def create(self, record: Mapped) -> str:
        answer = self.http.post(f"{self.base_url}/vendors", json=record.body, timeout=10)
        answer.raise_for_status()
        return answer.json()["id"]

    def update(self, target_id: str, record: Mapped) -> None:
        # The record's id travels in the body: the test server answers one path, /vendors.
        answer = self.http.patch(
            f"{self.base_url}/vendors", json={**record.body, "id": target_id}, timeout=10
        )
        answer.raise_for_status()


class DuplicateAcceptingVendors:
    """The server side: every POST creates a new vendor, even one with a number it already has. A create
    takes 30 ms, as a real one does, so two writers' searches and creates overlap."""

    def __init__(self) -> None:
        self.vendors: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1)

    def __call__(self, request: RecordedRequest) -> CannedResponse:
        if request.method == "POST":
            body = request.json()
            time.sleep(0.03)  # the create is visible to searches only once it has been processed
            with self.lock:
                vendor = {**body, "id": f"V-{next(self.ids)}"}
                self.vendors.append(vendor)
            return CannedResponse(201, vendor)
        if request.method == "GET":
            number = request.query.get("vendor_number", [""])[0]
            with self.lock:
                return CannedResponse(200, [v for v in self.vendors if v["vendor_number"] == number])
        return CannedResponse(200, {})


def _record(i: int) -> Mapped:
    number = f"{7000 + i}"
    body = {"vendor_number": number, "name": f"Vendor {number}"}
    return Mapped(number, body, {"vendor_number": number}, natural_key={"vendor_number": number})


def _writer(url: str, base_url: str, name: str, barrier, results) -> None:
    """One run writing the partition's records (a spawned process with a ledger of its own)."""
    ledger = Ledger(url, migrate=False)
    outcome: dict[str, int] = {}
    try:
        target = HttpVendors(base_url)
        barrier.wait(30)
        for i in range(RECORDS):
            try:
                result = write_record(SPEC, target, ledger, _record(i), run_id=f"run-{name}", partition=None)
                action = result.action
            except WaitsFor:  # held: another run is writing it (never sent by this one)
                action = "held"
            except Exception as exc:  # the flow queues it as failed and goes on (a duplicate refused)
                action = f"fail {type(exc).__name__}"
            outcome[action] = outcome.get(action, 0) + 1
        results.put((name, outcome))
    except Exception as exc:  # report, so the parent fails with the cause instead of a timeout
        results.put((name, {f"error {type(exc).__name__}: {exc}": 1}))
    finally:
        ledger.dispose()


def test_two_runs_of_one_flow_on_one_postgresql_ledger_post_each_record_once(pg_schema_url):
    Ledger(pg_schema_url).dispose()  # migrated once, before the writers start
    server_side = DuplicateAcceptingVendors()
    with ScriptedServer() as server:
        server.route("/vendors", server_side)
        url = server.url_for("")
        outcomes = race(
            _writer, lambda name, barrier, results: (pg_schema_url, url, name, barrier, results), 120
        )
        posts = [r.json()["vendor_number"] for r in server.hits("/vendors", "POST")]

    doubled = sorted({number for number in posts if posts.count(number) > 1})
    assert doubled == [], f"vendors POSTed more than once: {doubled}; outcomes {outcomes}"
    assert not [k for o in outcomes.values() for k in o if k.startswith(("error", "fail"))], outcomes
    assert sorted(posts) == sorted(_record(i).source_key for i in range(RECORDS))
    # Every record was written by exactly one of the two runs; the other skipped it (or held it).
    created = sum(o.get("create", 0) for o in outcomes.values())
    assert created == RECORDS, outcomes
    ledger = Ledger(pg_schema_url, migrate=False)
    try:
        for i in range(RECORDS):
            xref = ledger.get_xref("bill", "vendor", "JDE", _record(i).source_key, "bill")
            assert xref.state == "synced" and xref.lease_owner is None
        ids = {
            ledger.get_xref("bill", "vendor", "JDE", _record(i).source_key, "bill").target_id
            for i in range(RECORDS)
        }
        assert ids == {v["id"] for v in server_side.vendors}
    finally:
        ledger.dispose()
