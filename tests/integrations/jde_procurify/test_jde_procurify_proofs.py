"""JD Edwards <-> Procurify: the integration-level proofs that each flow's own tests do not make, end to end
through Dagster against both simulators (``jde_procurify_world``). One world for the module (the tests
build on each other in file order, as a day's runs do), and one on PostgreSQL for two runs at once.

* A systemic failure: the account table in force is replaced by one typed against another chart (every JDE
  account on a business unit JDE does not have), so every bill of the day is refused: each is queued with
  its reason, JDE receives not one orchestration call, and the day is marked (both checks red, the write
  step failed, saying it looks systemic); the table fixed, the day's rerun maps every bill again.
* kill -9 of a write step mid-write, then a rerun, in both directions: bills -> JDE voucher batches
  (F0411Z1, ``ML_CreateVoucherBatch``) and JDE orders -> Procurify requisitions (``POST
  /api/v3/requisitions/``). The write step runs in a child process (a real Dagster run of the one write
  asset) against the simulators, with the target answering slowly (injected latency) and the child's
  ledger recording each answer ``T_SLOW_RECORD`` seconds late (``kill9.CRASH_WINDOW``), so the kill lands
  with one record in the target and not in the ledger. The rerun takes the killed run's lease over at
  once (its process has ended), adopts that record (JDE: the batch found by its keys; Procurify: the
  requisition found by its description) and creates the rest: one copy of each record, and the target
  asked to create each once.
  A requisition has no key Procurify refuses a second copy on, so here the ledger's claim and the search
  before a create are all that stands between a crash and a duplicate.
* An outage: Procurify answers 503 to every API call during today's requisition write step (the client
  retries each call, then gives up): the step gives up after a few records without an answer, queues
  every order of the day and fails, so the partition shows as failed; Procurify was never asked to
  create one. Another day's orders, written once Procurify is
  back, are unaffected; today's write step rerun alone creates each order's requisition once.
* The Procurify token across runs (the 24-hour client-credentials token, no refresh token): one token
  serves every run of the process until it nears its end, is renewed before it expires (no run meets a
  refusal), and a token the server no longer accepts (its clock moved a day on) is fetched again once, the
  run losing nothing. Within one session, a token expiring mid-read, 429 storms, 503s before a create
  and gateway timeouts are ``tests/resources/test_procurify_client.py``'s; read timeouts retried on a GET
  (never on a POST) ``tests/resources/test_http_client.py``'s; the renewal point of a real 24-hour token
  (21.6 h) ``tests/resources/test_http_auth.py::test_renewal_window``'s.
* Two runs of today's requisition write at once on one PostgreSQL ledger: Procurify asked once per order,
  one requisition each; the run that loses a record skips it (after waiting for the other's write).

Records' other side (a bill's JDE supplier, an order's Procurify vendor) is paired in the ledger by
``jde_procurify_proofs``; the pairing flows are proven in their own tests.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from asset_runs import step_failures
from flow_proofs import two_runs_write_once
from instances import instance_for_test
from jde_procurify_parts import ACCOUNTS, FLOWS
from jde_procurify_proofs import (
    ACCOUNT_SCOPE,
    BILLS,
    BILLS_MAPPED,
    BILLS_WRITTEN,
    CODES,
    ORDERS_WRITTEN,
    another_order_day,
    approve_bills,
    batches_by_bill,
    day_of_orders,
    enter_orders,
    requisition_posts,
    requisitions_by_order,
    requisitions_held,
    voucher_posts,
)
from jde_procurify_world import (
    MASTER,
    JdeProcurifyWorld,
    jde_procurify_world,
    procurify_resource,
)
from kill9 import WriteStep, killed_then_rerun
from mapping_rows import import_file, save_unchecked
from procore_jde_proofs import SILENCED
from roots import ROOT

from connector_assets.flows.replays import build_replays
from connector_resources.procurify import forget_shared_tokens

pytestmark = [pytest.mark.timeout(900), *SILENCED]  # races, kill -9 and reruns: load 15 too
SANDBOX_TABLE = ROOT / "mappings" / "sandbox" / "jde_procurify_accounts.csv"
ELSEWHERE = "X"  # prefixed to every business unit: a chart of accounts JDE does not have
BILLS_STEP = WriteStep(BILLS_WRITTEN, "bill", "bills", slow="jde")
BILLS_VERDICT = "jde_procurify/bills_verdict"  # the day's verdict, after the write
ORDERS_STEP = WriteStep(ORDERS_WRITTEN, "purchase_order", "purchase_orders", slow="procurify")
# The Procurify token's lifetime in the token test (a "24-hour" token, in seconds), at least; more when a
# run of the bills takes longer than TOKEN_SECONDS / 8 on the machine right now (``_token_lifetime``).
TOKEN_SECONDS = 24


@dataclass
class Story:
    """The module's world, today's approved bills and approved orders (and, once found, another day's)."""

    world: JdeProcurifyWorld
    bills: list[str]
    orders: dict[str, dict[str, Any]]
    refused_bills: set[str] = field(default_factory=set)  # bills the flow refuses for reasons of their own


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    patch = pytest.MonkeyPatch()
    patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", ACCOUNT_SCOPE)
    try:
        with (
            jde_procurify_world(tmp_path_factory.mktemp("jde_procurify_proofs")) as world,
            instance_for_test() as instance,
        ):
            world.instance = instance  # one Dagster instance: each partition's runs, as the UI shows them
            world.run_whole(*MASTER)  # F0901 and the two mapping tables the flows map with
            world.run_whole(*CODES)  # the orders' accounts have their Procurify codes (no order waits)
            bills = approve_bills(world, 12)
            enter_orders(world, 8)
            yield Story(world, bills, {})
    finally:
        patch.undo()


# -- a systemic failure ---------------------------------------------------------------------------------


def _table_of_another_chart() -> dict[str, str]:
    """The sandbox account table with every JDE account's business unit one JDE does not have (``X1.6110``
    for ``1.6110``): a table typed against another company's chart. Every row still has the right shape and
    stays one-to-one, so it stages."""
    with SANDBOX_TABLE.open(newline="", encoding="utf-8") as source:
        _header, *rows = list(csv.reader(source))
    return {f"{ELSEWHERE}{account}": code for account, code in rows}


def test_a_broken_account_table_queues_the_day_of_bills_and_marks_it_systemic(story):
    world, bills = story.world, story.bills
    calls = world.orchestration_calls()
    save_unchecked(ACCOUNTS, _table_of_another_chart(), replace=True, note="a table of another chart")
    failed = world.materialize("jde_procurify/account_map", *BILLS, BILLS_WRITTEN, BILLS_VERDICT, ok=False)
    assert [c.passed for c in failed.get_asset_check_evaluations()] == [False, False]  # mapped, written
    materialized = {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()}
    # The write step is done (the steps after it run); the verdict failed: the day shows failed.
    assert BILLS_WRITTEN in materialized and BILLS_VERDICT not in materialized, materialized
    failures = step_failures(failed)
    assert "looks systemic" in failures and f"{ELSEWHERE}1." in failures, failures
    assert "not found in F0901" in failures, failures  # the finance user's words, naming the account
    assert world.orchestration_calls() == calls  # not one orchestration call reached JDE
    assert not batches_by_bill(world, bills)
    queued = world.queue("bills")  # every refused bill queued with its reason, none lost
    assert set(queued) == set(bills) and all("not found in F0901" in r for r in queued.values()), queued

    import_file(ACCOUNTS, SANDBOX_TABLE, note="the right chart", resources=world.resources)
    mapped = world.run("jde_procurify/account_map", *BILLS)[BILLS_MAPPED]
    assert mapped["records"] == len(bills) and mapped["held"] == 0, mapped
    # With the right table the day is mapped again (the write resolves the queue items of the bills it
    # writes); a bill refused for a reason of its own (the sandbox makes the odd bill JDE cannot take)
    # stays queued with it, the rest are the day's bills from here on.
    staged = world.mapped_keys(BILLS_MAPPED)
    refused = {k: r for k, r in world.queue("bills").items() if k not in staged}
    print(f"bills refused with the right table: {refused}")
    assert mapped["rejected"] == len(refused) <= 2, refused
    story.bills = sorted(world.mapped_keys(BILLS_MAPPED))
    assert len(story.bills) == mapped["valid"] >= 10
    story.refused_bills = set(refused)


# -- kill -9 mid-write, then a rerun ----------------------------------------------------------------------


def test_kill_9_mid_write_of_bills_then_a_rerun_leaves_one_voucher_batch_per_bill(story):
    world, bills = story.world, set(story.bills)
    assert not batches_by_bill(world, bills)
    by_bill = lambda: batches_by_bill(world, bills)  # noqa: E731
    # JDE was asked once per bill: the orphan was found by its batch keys and adopted before any POST.
    killed_then_rerun(
        world, BILLS_STEP, bills, by_bill, posts=lambda: voucher_posts(world), queued=story.refused_bills
    )


# -- an outage, then the failed day rerun alone ----------------------------------------------------------


def test_a_day_failed_by_a_procurify_outage_is_rerun_alone_and_writes_each_requisition_once(story):
    world = story.world
    story.orders = orders = day_of_orders(world)  # today's orders, mapped
    other_day, other = another_order_day(world)  # another day's, mapped
    before = requisition_posts(world)

    # ---- today's write step meets the outage: it fails, every order of the day is queued, none sent
    given = world.resources["procurify"]
    world.resources["procurify"] = procurify_resource(world.procurify_url, max_attempts=2)  # give up soon
    try:
        world.procurify_faults(fail_next=10_000, fail_next_status=503, fail_next_path_prefix="/api/")
        failed = world.materialize(ORDERS_WRITTEN, ok=False)
    finally:
        world.no_procurify_faults()
        world.resources["procurify"] = given
    failures = step_failures(failed)
    assert "answered none of the" in failures and "Rerun the partition" in failures, failures
    assert not failed.get_asset_materialization_events()  # the partition shows as failed
    assert set(world.queue("purchase_orders")) == set(orders), world.queue("purchase_orders")
    assert requisition_posts(world) == before  # Procurify was never asked to create a requisition
    assert not requisitions_by_order(world, orders)

    # ---- the other day, run once Procurify is back, is not affected by the failed one (an order changed on
    # both days is in both days' runs: whichever writes first creates its requisition, and its queue item
    # from the failed day is resolved)
    written = world.run(ORDERS_WRITTEN, partition=other_day)[ORDERS_WRITTEN]
    assert written["create"] == len(other) and written["fail"] == 0, written
    only_today = set(orders) - set(other)
    assert set(world.queue("purchase_orders")) == only_today
    other_xrefs = {k: world.xrefs("purchase_order")[k] for k in other}
    other_audit = world.audit_counts("purchase_orders")

    # ---- the failed day's write step rerun alone: each order once, the queue cleared
    rerun = world.run(ORDERS_WRITTEN)[ORDERS_WRITTEN]
    assert rerun["create"] == len(only_today) and rerun["skip"] == len(orders) - len(only_today), rerun
    assert rerun["fail"] == rerun["adopt"] == rerun["leased"] == 0, rerun
    assert not world.queue("purchase_orders")
    both = {**orders, **other}
    assert requisitions_by_order(world, both) == dict.fromkeys(both, 1)
    assert requisition_posts(world) - before == len(both)  # one POST per requisition, in all
    assert {k: world.xrefs("purchase_order")[k] for k in other} == other_xrefs
    audit = world.audit_counts("purchase_orders")
    assert audit["create"] - other_audit["create"] == len(only_today)  # nothing of the other day again


def _each_once(found: set[str], made: int) -> None:
    """The requisitions Procurify made at the kill are one per order found in it."""
    assert len(found) == made, (found, made)


def test_kill_9_mid_write_of_requisitions_then_a_rerun_leaves_one_requisition_per_order(story):
    world = story.world
    enter_orders(world, 8)  # more orders entered in E1 today, after the day's first run
    day = day_of_orders(world)
    orders = {k: h for k, h in day.items() if k not in story.orders}
    assert len(orders) >= 3 and not requisitions_by_order(world, orders), orders
    held = requisitions_held(world)
    # Procurify was asked once per order: the orphan was found by its description, not created again.
    killed_then_rerun(
        world,
        ORDERS_STEP,
        orders,
        lambda: requisitions_by_order(world, orders),
        posts=lambda: requisition_posts(world),
        ready=lambda: requisitions_held(world) - held >= 2,
        at_kill=lambda found: _each_once(found, requisitions_held(world) - held),
        skipped_before=len(day) - len(orders),  # the day's first orders
    )
    assert requisitions_held(world) - held == len(orders)


# -- the Procurify token across runs -----------------------------------------------------------------------


def _refusals(world: JdeProcurifyWorld) -> int:
    """Procurify API answers 401 (a bearer token refused) so far, all endpoints."""
    answers = world.procurify_state()["answers"]
    return sum(n for call, n in answers.items() if call.endswith(" 401"))


def _minted(world: JdeProcurifyWorld) -> int:
    return int(world.procurify_state()["tokens"]["minted"])


def _token_lifetime(world: JdeProcurifyWorld) -> int:
    """The token test's token lifetime: TOKEN_SECONDS, or eight runs of the bills as long as one takes on
    the machine now (timed on a run before the test's, on the simulator's default token), so that two runs
    fit in half of it on a busy machine too. The one timing of the test: it sizes the clock, asserts
    nothing."""
    started = time.monotonic()
    world.run(*BILLS)
    return max(TOKEN_SECONDS, math.ceil(8 * (time.monotonic() - started)))


def test_the_procurify_token_serves_every_run_is_renewed_before_it_expires_and_refetched_once_if_refused(
    story,
):
    """The client renews a token ``max(60 s, 10 %)`` before it ends but never before half its life
    (``TokenAuth.needs_refresh``): a 24-hour token at 21.6 h, this test's 24-second one at 12 s. The
    runs read Procurify (the bills' mapped step reads each bill in full). The token's life is this test's
    clock, so it is sized to the machine: two runs must fit in half of it (``_token_lifetime``)."""
    world, bills = story.world, story.bills
    lifetime = _token_lifetime(world)
    forget_shared_tokens()  # the next run fetches a token of the short lifetime
    world.procurify_faults(token_lifetime_seconds=lifetime)
    try:
        minted, refused = _minted(world), _refusals(world)
        started = time.monotonic()
        first = world.run(*BILLS)[BILLS_MAPPED]
        fetched_by = time.monotonic()  # the token was fetched between ``started`` and now
        assert first["valid"] == len(bills), first
        assert _minted(world) == minted + 1
        again = world.run(*BILLS)[BILLS_MAPPED]
        assert time.monotonic() - started < lifetime / 2, f"two runs outlived half a {lifetime} s token"
        assert again == first and _minted(world) == minted + 1  # the same token served the second run

        time.sleep(max(0.0, fetched_by + lifetime / 2 + 0.5 - time.monotonic()))  # past half its life
        renewed = world.run(*BILLS)[BILLS_MAPPED]
        assert time.monotonic() - started < lifetime, f"the third run outlived the {lifetime} s token"
        assert renewed == first and _minted(world) == minted + 2  # a new token, fetched before
        assert _refusals(world) == refused  # the old one expired: no call met a refusal

        # The server's clock moves a day on: the token the client holds (fresh by its own clock) is
        # refused once, fetched again once, and the run reads every bill.
        answer = requests.post(
            f"{world.procurify_url}/sandbox/clock", json={"advance_seconds": 86_400}, timeout=10
        )
        answer.raise_for_status()
        next_day = world.run(*BILLS)[BILLS_MAPPED]
        assert next_day == first, next_day
        assert _refusals(world) == refused + 1 and _minted(world) == minted + 3
    finally:
        requests.post(f"{world.procurify_url}/sandbox/clock", json={"reset": True}, timeout=10)
        world.no_procurify_faults()
        forget_shared_tokens()


# -- two runs at once on one PostgreSQL ledger ------------------------------------------------------------


def test_two_runs_writing_one_day_to_procurify_on_one_postgresql_ledger_post_each_requisition_once(
    tmp_path, pg_schema_url, monkeypatch
):
    monkeypatch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", ACCOUNT_SCOPE)
    # A run meeting the other's claim waits for that write (up to 2 s) and skips the record.
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "2")
    with jde_procurify_world(tmp_path, db=pg_schema_url) as world:
        replays = build_replays(
            [FLOWS["purchase_orders"]],
            lambda: {k: world.resources[k] for k in ("jde", "procurify", "staging")},
        )
        world.run_whole(*MASTER)
        world.run_whole(*CODES)
        enter_orders(world, 8)
        orders = day_of_orders(world)
        assert len(orders) >= 3, orders
        world.procurify_faults(latency_ms=80)  # the two runs' searches and creates overlap
        # What a run held (the other was writing it) leaves the queue once that write is recorded:
        # released and replayed, sending nothing to Procurify.
        posts = lambda: requisition_posts(world)  # noqa: E731
        two_runs_write_once(world, ORDERS_WRITTEN, "purchase_orders", set(orders), posts, replays=replays)
        assert requisitions_by_order(world, orders) == dict.fromkeys(orders, 1)
