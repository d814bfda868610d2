"""After a kill -9, the rerun takes the dead run's claims over at once: no wait on any of them.

A killed run left its claims to lapse (30 minutes), and the rerun waited 60 s on each of them in
turn. Here the JDE -> BILL vendors write step runs in a child process with 60 claims taken ahead (one
commit, ``ML_LEDGER_RECORD_BATCH``), and is killed -9 after a few creates: 50 and more claims are still
its own, in the ledger, with 30 minutes to run. The rerun (a new run, in this process) takes them over at
once because the ledger knows their holder's process has ended (``mlc_lease_holder``), adopts what BILL
created in the crash window and creates the rest. The same for a ``ml-connector replay`` killed half way
and run again: the items it had taken are due again at once (``mlc_queue_take``), the lease on the record
it was writing is taken over. On SQLite and PostgreSQL. Nothing here shortens ``ML_LEDGER_LEASE_MINUTES``
or ``ML_LEDGER_LEASE_WAIT_SECONDS``: a rerun that waited on a lease would take 60 s and more.

What is shown, and where it is read:

* every record written exactly once: BILL's own request log (``request_log``, the server's side, not our
  ledger) holds one successful ``POST /v3/vendors`` per supplier, answered with the vendor the ledger
  recorded, and was never asked for a second one; BILL holds one vendor per supplier;
* no record waited on a lease: no claim of the rerun met a live lease (each would have started a wait
  of up to ``lease_wait()``) and the write step's ``leased`` is 0; a replay runs with no lease wait at all,
  so a lease it did not take over would leave its item held;
* the takeover itself: the ledger names the dead run on each lease it took over ("ended with its run or
  process"), and the audit trail has one create or adopt per record (the adopts are exactly the vendors
  BILL created for the killed process).

Nothing is timed: a wait on a lease would show as a claim that met it, or as an item left held, whatever
the machine's load. Each phase that must be over before the next is awaited on what it does, never on a
sleep: the BILL outage on every record of the day in the retry queue, the kill on BILL holding 3 more
vendors, the requests the kill cut off on BILL having read and answered every one of them
(``request_log.settled``); each wait fails naming its phase (``waiting.wait_until``).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import sqlalchemy as sa
from built_parts import built
from jde_bill_world import SUPPLIER_SOURCES, JdeBillWorld, jde_bill_world, nothing_lost, vendor_identity
from kill9 import CHILD as WRITE_STEP  # a write step run alone in a child process
from kill9 import CRASH_WINDOW, child_env, kill_when_ready
from request_log import RequestLog, logged_bill, settled
from roots import TESTS
from waiting import phase, wait_until

from connector_resources.ledger import Ledger, XrefLeased, lease_length, schema
from connector_sandbox.jde_ais import JdeSandboxSettings

pytestmark = pytest.mark.timeout(600)  # two days mapped, a child process killed, a rerun: at load 15 too
VENDORS_FLOW = built("jde_bill").flow("vendors").spec
MAPPED, WRITTEN = VENDORS_FLOW.key("mapped").to_user_string(), VENDORS_FLOW.key("written").to_user_string()
JDE = JdeSandboxSettings(scale=0.2)  # 57 suppliers on the day: 60 claims ahead leave 50 and more at the kill
# The replay's day: 15 suppliers. A replay takes one record at a time (nothing claimed ahead), so a longer
# day proves nothing more (a replay runs about 0.3 s a record after 5 s of start-up, quiet).
REPLAY_JDE = JdeSandboxSettings(scale=0.05)
REPLAY_DAY = 12  # suppliers at least: the kill after 3 creates leaves most of the day to the rerun
AHEAD = "60"  # claims a write step takes ahead in one commit (default 50)
VENDOR_CREATE = ("POST", "/connect/v3/vendors")  # BILL's create, as its request log names it

# ``ml-connector replay`` itself, its settings pointing at the simulators and the ledger.
REPLAY = CRASH_WINDOW + textwrap.dedent(
    """
    from connector_cli.main import cli
    cli(["replay"], standalone_mode=True)
    """
)


def _child_env(world: JdeBillWorld) -> dict[str, str]:
    return {
        **child_env(world, WRITTEN),  # the crash window (``kill9.CRASH_WINDOW``): the kill lands inside it
        "ML_LEDGER_RECORD_BATCH": AHEAD,
        "ML_JDE_AIS_URL": world.jde_url,
        "ML_BILL_URL": world.bill_url,
        "ML_CONNECTOR_DB_URL": world.db,
    }


def _mapped_day(world: JdeBillWorld, at_least: int = 55) -> set[str]:
    """The day's suppliers mapped: 55 and more by default, all claimed ahead at once (AHEAD), so 50 and
    more are left at the kill."""
    world.run(*SUPPLIER_SOURCES, MAPPED)
    keys = world.mapped_keys(MAPPED)
    assert len(keys) >= at_least, len(keys)
    return keys


def _bill_creates(world: JdeBillWorld, at_least: int):
    """``ready`` for ``kill_when_ready``: BILL holds ``at_least`` more vendors than now (read on the
    simulator's operator route, which is not throttled, so the child's calls keep BILL's 3 slots)."""
    before = world.bill_state()["row_counts"]["vendors"]
    return lambda: world.bill_state()["row_counts"]["vendors"] - before >= at_least


def _killed_after_3_creates(world: JdeBillWorld, script: str, bill: RequestLog) -> set[str]:
    """Run ``script`` in a child process against a slow BILL and kill -9 it once BILL holds 3 vendors
    more, then wait for BILL to have ended every request the kill cut off (``bill``: its request log); the
    vendors BILL held before (the simulator's seed)."""
    seeded = set(world.in_bill("vendors"))
    world.bill_faults(latency_ms=150)
    never = "the killed child's creates: BILL did not hold 3 more vendors"
    kill_when_ready(script, _child_env(world), _bill_creates(world, 3), never=never)
    wait_until(
        lambda: settled(bill, world.bill_url),
        phase="after the kill: BILL ending the requests the kill cut off",
        detail=lambda: f"{bill.in_flight()} request(s) in flight",
    )
    return seeded


def _dead_leases(world: JdeBillWorld) -> dict[str, int]:
    """The vendor records leased with no target id recorded, by lease owner. Each owner is a process that
    has ended (the killed one), and each lease has most of its 30 minutes still to run: a rerun that did
    not know its holder is dead would wait for it."""
    x = schema.xref
    query = sa.select(x.c.lease_owner, x.c.lease_expires_at).where(
        x.c.entity == "vendor", x.c.target_id.is_(None), x.c.lease_owner.is_not(None)
    )
    with world.ledger.read_transaction() as c:
        rows = c.execute(query).all()
    owners = Counter(row.lease_owner for row in rows)
    assert world.ledger.ended_owners(owners) == set(owners), owners  # known dead, by their process
    left = min((row.lease_expires_at for row in rows), default=None)
    assert left is None or left - datetime.now(UTC) > lease_length() - timedelta(minutes=5), left
    return dict(owners)


@contextmanager
def _leases_met() -> Iterator[list[XrefLeased]]:
    """Every ``XrefLeased`` a single claim raised in the block: each is a writer meeting another owner's
    live lease, which starts a wait of up to ``lease_wait()`` (``flows.core``). A write step's claims
    ahead never raise (``claim_xrefs`` leaves out what it cannot take; those are claimed alone)."""
    met: list[XrefLeased] = []
    claim = Ledger.claim_xref

    def claiming(self: Ledger, *args, **kwargs):
        try:
            return claim(self, *args, **kwargs)
        except XrefLeased as leased:
            met.append(leased)
            raise

    with mock.patch.object(Ledger, "claim_xref", claiming):
        yield met


def _taken_over(messages: str, owner: str) -> int:
    """How many of the ledger's warnings say a lease of ``owner`` was taken over because it had ended;
    none may say it was taken over because it expired (that took 30 minutes)."""
    assert not re.search(rf"took over the lease of {re.escape(owner)}, which expired", messages)
    return len(re.findall(rf"took over the lease of {re.escape(owner)}, which ended with its", messages))


def _written_once(world: JdeBillWorld, keys: set[str], seeded: set[str], bill: RequestLog) -> dict[str, str]:
    """Every record of the day is one vendor in BILL, created by one request BILL answered with the vendor
    the ledger recorded, and BILL was asked to create none of them twice; the BILL ids by source key."""
    written = nothing_lost(world, "vendor", VENDORS_FLOW.name, keys)
    assert set(written) == keys  # none left queued
    creates = bill.entries(*VENDOR_CREATE)
    made = Counter(str(entry.answer["id"]) for entry in creates if entry.ok)
    assert made == Counter(set(written.values())), made  # one successful POST per record, and no other
    asked = Counter(vendor_identity(entry.body) for entry in creates if entry.body)
    assert asked.most_common(1)[0][1] == 1, asked.most_common(3)  # never asked for a second copy
    vendors = {i: v for i, v in world.in_bill("vendors").items() if i not in seeded}
    assert set(vendors) == set(written.values())
    assert Counter(vendor_identity(v) for v in vendors.values()).most_common(1)[0][1] == 1
    return written


def _writes_audited_once(world: JdeBillWorld, keys: set[str]) -> Counter[str]:
    """Each record has one create or adopt event in the audit trail (whoever wrote it, killed or not);
    the events by action."""
    a = schema.audit_event
    query = sa.select(a.c.source_id, a.c.action).where(
        a.c.integration == "jde_bill", a.c.flow == VENDORS_FLOW.name, a.c.action.in_(("create", "adopt"))
    )
    with world.ledger.read_transaction() as c:
        events = c.execute(query).all()
    assert Counter(event.source_id for event in events) == Counter(keys)
    return Counter(event.action for event in events)


def test_a_write_step_killed_with_50_claims_ahead_is_rerun_taking_every_claim_over_at_once(
    tmp_path, db_url, caplog
):
    (tmp_path / "killed").mkdir()
    with logged_bill() as bills, jde_bill_world(tmp_path / "killed", jde=JDE, db=db_url) as world:
        keys = _mapped_day(world)
        seeded = _killed_after_3_creates(world, WRITE_STEP, bills[0])
        dead = _dead_leases(world)
        assert len(dead) == 1, dead  # the killed run's
        ((run_id, claims),) = dead.items()
        assert claims >= 50, claims  # unwritten, 30 minutes of lease left on each
        recorded = {target_id for target_id in world.xrefs("vendor").values() if target_id}
        made = [str(entry.answer["id"]) for entry in bills[0].entries(*VENDOR_CREATE) if entry.ok]
        crash_window = len(set(made) - recorded)  # created in BILL for the killed run, not recorded
        assert crash_window >= 1, (made, recorded)

        world.bill_faults(latency_ms=40)
        with (
            _leases_met() as met,
            caplog.at_level(logging.WARNING, logger="ml_connector.ledger"),
            phase("the write step's rerun after the kill"),
        ):
            rerun = world.run(WRITTEN)[WRITTEN]
        assert not met, f"{len(met)} claims met a live lease and waited, the first: {met[0]}"
        assert rerun["leased"] == 0 and rerun["fail"] == 0, rerun  # nothing held behind the dead run
        assert rerun["create"] + rerun["adopt"] + rerun["skip"] == len(keys), rerun
        assert rerun["adopt"] == crash_window, rerun  # what BILL got from the killed run, found, not sent
        assert _taken_over(caplog.text, run_id) == claims  # each of its claims, at once
        audited = _writes_audited_once(world, keys)
        assert audited == Counter(create=len(keys) - crash_window, adopt=crash_window), audited
        _written_once(world, keys, seeded, bills[0])
        assert _dead_leases(world) == {}


def _queue_the_day(world: JdeBillWorld) -> set[str]:
    """The day's vendors in the retry queue: BILL answered every write 503, so the step gave up after the
    first few and queued the rest unsent. The outage lasts until every record is queued (each run of the
    write step queues what it tried and what it did not send; a run cut short is run again), and only then
    does BILL answer again."""
    keys = _mapped_day(world, REPLAY_DAY)
    world.bill_faults(random_error_rate=1.0, random_error_status=503)
    runs: list[dict] = []

    def queued() -> set[str]:
        items = world.ledger.open_items(integration="jde_bill", status="failed")
        return {item.source_key for item in items}

    def every_record_queued() -> bool:
        if queued() == keys:
            return True
        runs.append(world.run(WRITTEN, ok=False).get(WRITTEN, {}))
        return queued() == keys

    wait_until(
        every_record_queued,
        phase="the BILL outage: every record of the day in the retry queue",
        seconds=300,
        every=0,
        detail=lambda: (
            f"{len(queued())} of {len(keys)} queued after {len(runs)} run(s) of the write step: {runs}"
        ),
    )
    world.bill_faults(random_error_rate=0.0)
    return keys


def _replay(world: JdeBillWorld, phase_name: str) -> str:
    """What ``ml-connector replay`` said, run to its end in a child process (stdout, then stderr: the
    ledger's warnings); ``phase_name`` names it if it does not end."""
    env = {**os.environ, **_child_env(world), "T_TESTS": str(TESTS), "T_SLOW_RECORD": "0"}
    env["ML_LEDGER_LEASE_WAIT_SECONDS"] = (
        "0"  # a record leased by a live writer is held at once, never waited on
    )
    with phase(phase_name):
        try:
            done = subprocess.run(
                [sys.executable, "-c", REPLAY], env=env, capture_output=True, text=True, timeout=480
            )
        except subprocess.TimeoutExpired as hung:
            said = (hung.stdout or b"")[-2000:], (hung.stderr or b"")[-2000:]
            raise AssertionError(
                f"{phase_name}: not ended within {hung.timeout:.0f} s; it said {said}"
            ) from None
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-4000:]
    return said


def _taken_items(world: JdeBillWorld) -> dict[str, int]:
    """Open queue items a replay's take still holds (their next attempt is the take's hold, 10 minutes
    on), by the replay holding them (``mlc_queue_take``; a take of an item since resolved holds nothing)."""
    k, q = schema.queue_take, schema.retry_queue
    query = (
        sa.select(k.c.owner)
        .join(q, q.c.id == k.c.item_id)
        .where(
            q.c.status.in_(schema.QUEUE_OPEN_STATUSES),
            q.c.next_attempt_at == k.c.until,
            k.c.until > datetime.now(UTC),
        )
    )
    with world.ledger.read_transaction() as c:
        rows = c.execute(query).all()
    return dict(Counter(row.owner for row in rows))


def _replayed_once(world: JdeBillWorld, keys: set[str]) -> None:
    """Every queue item is resolved, by one replay event each (the killed replay's or the next one's)."""
    a, q = schema.audit_event, schema.retry_queue
    with world.ledger.read_transaction() as c:
        events = c.execute(
            sa.select(a.c.source_id).where(a.c.integration == "jde_bill", a.c.action == "replay")
        ).all()
        statuses = c.execute(sa.select(q.c.source_key, q.c.status).where(q.c.integration == "jde_bill")).all()
    assert Counter(event.source_id for event in events) == Counter(keys)
    assert dict(statuses) == dict.fromkeys(keys, "resolved")


def test_a_replay_killed_half_way_is_replayed_again_at_once_writing_each_record_once(tmp_path, db_url):
    (tmp_path / "killed").mkdir()
    with logged_bill() as bills, jde_bill_world(tmp_path / "killed", jde=REPLAY_JDE, db=db_url) as world:
        keys = _queue_the_day(world)
        bills[0].clear()  # the refused (503) attempts created nothing: count the replays' requests alone
        seeded = _killed_after_3_creates(world, REPLAY, bills[0])
        taken = _taken_items(world)
        assert len(taken) == 1, taken  # the killed replay's take of the item it was writing
        assert world.ledger.ended_owners(taken) == set(taken)
        due = world.ledger.due(integration="jde_bill", limit=1000)
        open_items = world.ledger.open_items(integration="jde_bill", status="failed")
        assert len(open_items) - len(due) == sum(taken.values())  # not due for 10 minutes (its take)
        leased = _dead_leases(world)
        assert sum(leased.values()) == 1, leased  # its record: in BILL or on the way, not recorded

        world.bill_faults(latency_ms=40)
        said = _replay(world, "the replay after the kill")
        assert world.ledger.open_items(integration="jde_bill") == []  # every item written, none left taken
        ((dead_writer, _),) = leased.items()
        assert _taken_over(said, dead_writer) == 1, said[-4000:]
        assert _taken_items(world) == {} and _dead_leases(world) == {}
        _replayed_once(world, keys)
        _written_once(world, keys, seeded, bills[0])
    # No wait on a lease: the replay runs with no lease wait at all (``_replay``), so a lease not taken over
    # would have left its item held, and every item is resolved (asserted above), whatever the load.
