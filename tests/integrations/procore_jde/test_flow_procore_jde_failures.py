"""Procore -> JDE: a partition failed by a JDE outage, rerun alone; a systemic failure that writes nothing
it should not and loses nothing.
End to end through Dagster against both simulators, one world for the module (the tests build on each
other in file order, as a day's runs do).

* Outage: JD Edwards goes down (HTTP 503 on every call) right after the purchase-order write step of the
  day logged in. The step gives up after a few records without an answer, queues every record of the day
  and fails, so the partition shows as failed; JDE was never asked to create an order. Another day's
  orders, written once JDE is back, are unaffected. The failed day's write step is rerun alone (what
  "re-execute from failure" runs): each commitment becomes one order, the queue is cleared, and the other
  day's orders are neither written again nor touched.
* Accounts not set up yet: the table in force maps every cost code to an account of JDE's chart that the
  job has not been given yet (a new subsidiary, cost type, of an object account it uses): every voucher is
  held on its account (``JDE:account:F0901:<account>``), none refused, so the day is not "mostly refused"
  and its verdict passes; JDE receives not one orchestration call, and a replay sweep, reading F0901 and
  finding no such account, sends nothing either.
* Systemic failure: the cost-code table in force is replaced by a broken one (every cost code on an
  object account JDE does not have), so every voucher of the day is refused: each is queued with its
  reason, JDE receives not one orchestration call, and the day is marked (both checks red, the write step
  failed, saying it looks systemic). With the table fixed, a rerun writes every voucher once and clears
  the queue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import procore_jde_proofs as proofs
import pytest
from asset_runs import metadata_values, step_failures
from instances import instance_for_test
from mapping_rows import import_file, save_unchecked
from procore_jde_parts import COST_CODES, INTEGRATION, PURCHASE_ORDERS_FLOW, VOUCHERS, VOUCHERS_FLOW
from procore_jde_world import ProcoreJdeWorld, procore_day, procore_jde_world
from roots import ROOT
from sandbox_logins import on_simulator

from connector_resources.jde import JdeAisResource
from connector_resources.jde.session import JdeSession

pytestmark = [pytest.mark.timeout(600), *proofs.SILENCED]  # Dagster runs: load 15 too
SANDBOX_TABLE = ROOT / "mappings" / "sandbox" / "procore_jde_cost_codes.csv"
MISSING_OBJECT = "7999"  # an object account no business unit of the JDE sandbox has
VOUCHERS_VERDICT = "procore_jde/vouchers_verdict"  # the day's verdict, after the write
DATA_SERVICE = "POST /jderest/v2/dataservice"  # a table read, as the JDE simulator counts calls


class Story:
    """The module's world, today's approved invoices (partition A) and another day's (partition B)."""

    world: ProcoreJdeWorld
    today: proofs.Day
    other_day: str
    other: proofs.Day


def _another_day(world: ProcoreJdeWorld) -> tuple[str, proofs.Day]:
    """The latest earlier day with approved invoices on permitted projects, their vendors linked to JDE
    suppliers in the ledger. Its commitments may have an invoice approved today too (a commitment is
    invoiced month after month): such a commitment is in both days' runs, and whichever writes first
    creates its order."""
    projects = {p["id"] for p in world.procore_records("projects") if p["permitted"] and p["active"]}
    by_day: dict[str, dict[str, str]] = {}
    for row in world.procore_records("requisitions"):
        if row["status"] in proofs.APPROVED and row["deleted_at"] is None and row["project_id"] in projects:
            by_day.setdefault(procore_day(row["updated_at"]), {})[str(row["id"])] = str(row["commitment_id"])
    earlier = sorted(d for d in by_day if d < world.day)
    assert earlier, "the sandbox seed has no earlier day of approved invoices"
    day = earlier[-1]
    other = proofs.Day(by_day[day])
    suppliers = [str(row["AN8"]) for row in world.jde_rows("F0401")][-len(other.commitments) :]
    for commitment, an8 in zip(sorted(other.commitments), suppliers, strict=True):
        vendor = str(world.procore_record("commitments", commitment)["vendor_id"])
        if world.xrefs("vendor").get(vendor) is None:
            proofs.link_vendor_in_ledger(world, vendor, an8)
    return day, other


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    with (
        procore_jde_world(tmp_path_factory.mktemp("procore_jde_failures")) as world,
        instance_for_test() as instance,
    ):
        world.instance = instance  # one Dagster instance: each partition's runs, as the UI shows them
        # An outage is given up on quickly: two attempts per call, not the production six.
        world.resources["jde"] = on_simulator(JdeAisResource, world.jde_url, max_attempts=2)
        told = Story()
        told.world, told.today = world, proofs.approve_a_day(world)
        told.other_day, told.other = _another_day(world)
        yield told


def _jde_down_after_login(world: ProcoreJdeWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the next JDE login on, every JDE call answers 503 (JDE went down after the step logged in)."""
    login = JdeSession.login

    def login_then_outage(session: JdeSession):
        info = login(session)
        world.jde_faults(random_error_rate=1.0, random_error_status=503)
        return info

    monkeypatch.setattr(JdeSession, "login", login_then_outage)


def test_a_day_failed_by_a_jde_outage_is_rerun_alone_and_writes_each_order_once(story, monkeypatch):
    world, today, other = story.world, story.today, story.other
    mapped = world.run("procore/requisitions", proofs.ORDERS_MAPPED)[proofs.ORDERS_MAPPED]
    assert mapped["valid"] == len(today.commitments) and mapped["rejected"] == mapped["held"] == 0, mapped
    other_mapped = world.run("procore/requisitions", proofs.ORDERS_MAPPED, partition=story.other_day)
    assert other_mapped[proofs.ORDERS_MAPPED]["valid"] == len(other.commitments), other_mapped
    before = proofs.posts(world, proofs.CREATE_PURCHASE_ORDER)

    # ---- today's write step meets the outage: it fails, every order of the day is queued, none sent
    with monkeypatch.context() as patch:
        _jde_down_after_login(world, patch)
        failed = world.materialize(proofs.ORDERS_WRITTEN, ok=False)
    world.no_jde_faults()
    failures = step_failures(failed)
    assert "answered none of the" in failures and "Rerun the partition" in failures, failures
    assert not failed.get_asset_materialization_events()  # the partition shows as failed
    queued = world.queue(PURCHASE_ORDERS_FLOW.name)
    assert set(queued) == today.commitments, queued
    assert (
        proofs.posts(world, proofs.CREATE_PURCHASE_ORDER) == before
    )  # JDE was never asked to create an order
    assert not proofs.orders_by_commitment(world, today.commitments)

    # ---- the other day, run once JDE is back, is not affected by the failed one (a commitment invoiced on
    # both days is written by it, and its queue item from the failed day resolved)
    written = world.run(proofs.ORDERS_WRITTEN, partition=story.other_day)[proofs.ORDERS_WRITTEN]
    assert written["create"] == len(other.commitments) and written["fail"] == 0, written
    only_today = today.commitments - other.commitments
    assert set(world.queue(PURCHASE_ORDERS_FLOW.name)) == only_today
    other_xrefs = {c: world.xrefs("purchase_order")[c] for c in other.commitments}
    other_audit = world.audit_counts(PURCHASE_ORDERS_FLOW.name)

    # ---- the failed day's write step rerun alone: each order once, the queue cleared
    rerun = world.run(proofs.ORDERS_WRITTEN)[proofs.ORDERS_WRITTEN]
    assert rerun["create"] == len(only_today), rerun
    assert rerun["skip"] == len(today.commitments & other.commitments), rerun
    assert rerun["fail"] == rerun["adopt"] == rerun["leased"] == 0, rerun
    assert not world.queue(PURCHASE_ORDERS_FLOW.name)
    both = today.commitments | other.commitments
    assert proofs.orders_by_commitment(world, both) == dict.fromkeys(both, 1)
    assert proofs.posts(world, proofs.CREATE_PURCHASE_ORDER) - before == len(
        both
    )  # one POST per order, in all
    assert {c: world.xrefs("purchase_order")[c] for c in other.commitments} == other_xrefs
    audit = world.audit_counts(PURCHASE_ORDERS_FLOW.name)
    assert audit["create"] - other_audit["create"] == len(only_today)  # nothing of the other day again


def _not_set_up_table() -> tuple[str, dict[str, str]]:
    """The sandbox table with every cost code on a subsidiary of the job's object account 7120 that no
    business unit has yet (a new cost type, ``NEWCOST``): of JDE's chart (the job holds accounts, 7120 is
    used), not set up for the job."""
    with SANDBOX_TABLE.open(newline="", encoding="utf-8") as source:
        _header, *codes = list(csv.reader(source))
    return "7120.NEWCOST", {code: "{job}.7120.NEWCOST" for code, _account in codes}


def test_a_day_on_accounts_not_set_up_yet_is_held_on_them_not_refused_and_sends_nothing(story):
    world, today = story.world, story.today
    requisitions = set(today.requisitions)
    calls = world.orchestration_calls()
    account, table = _not_set_up_table()
    assert not [r for r in world.jde_rows("F0901", SUB="NEWCOST")], "JDE has no such account yet"
    save_unchecked(COST_CODES, table, replace=True, note="cost codes on accounts the jobs do not have yet")
    try:
        run = world.materialize(
            "procore_jde/cost_code_map", proofs.VOUCHERS_MAPPED, proofs.VOUCHERS_WRITTEN, VOUCHERS_VERDICT
        )
        materialized = {e.asset_key.to_user_string() for e in run.get_asset_materialization_events()}
        assert VOUCHERS_VERDICT in materialized, materialized  # held is not refused: the day is not red
        mapped = metadata_values(run)[proofs.VOUCHERS_MAPPED]
        assert (mapped["held"], mapped["rejected"], mapped["valid"]) == (len(requisitions), 0, 0), mapped
        items = world.ledger.open_items(integration=INTEGRATION, flow=VOUCHERS_FLOW.name)
        assert {i.source_key for i in items} == requisitions
        assert {i.status for i in items} == {"held"}
        assert all(
            i.depends_on.startswith("JDE:account:F0901:") and i.depends_on.endswith(f".{account}")
            for i in items
        ), [i.depends_on for i in items]
        assert all("Held until account " in i.reason for i in items)

        # A replay sweep asks JDE (its account check reads F0901), finds no such account, sends nothing.
        reads = world.jde_state()["calls"].get(DATA_SERVICE, 0)
        world.replay_queued(VOUCHERS_FLOW.name, VOUCHERS)
        assert world.jde_state()["calls"].get(DATA_SERVICE, 0) > reads
        items = world.ledger.open_items(integration=INTEGRATION, flow=VOUCHERS_FLOW.name)
        assert {i.status for i in items} == {"held"} and {i.source_key for i in items} == requisitions
        assert world.orchestration_calls() == calls  # not one orchestration call reached JDE
        assert not proofs.batches_by_requisition(world, requisitions)
    finally:
        import_file(COST_CODES, SANDBOX_TABLE, note="the right chart", resources=world.resources)


def _broken_table() -> dict[str, str]:
    """The sandbox table with every account's object replaced by one JDE does not have: a table typed
    against the wrong chart of accounts. Every row still has the right shape, so it stages."""
    with SANDBOX_TABLE.open(newline="", encoding="utf-8") as source:
        _header, *rows = list(csv.reader(source))
    broken = {}
    for code, account in rows:
        unit, _object, *sub = account.split(".")
        broken[code] = ".".join([unit, MISSING_OBJECT, *sub])
    return broken


def test_a_systemic_failure_writes_nothing_and_a_rerun_with_the_fixed_table_writes_all(story):
    world, today = story.world, story.today
    requisitions = set(today.requisitions)
    assert proofs.orders_by_commitment(world, today.commitments) == dict.fromkeys(today.commitments, 1)
    calls = world.orchestration_calls()

    save_unchecked(COST_CODES, _broken_table(), replace=True, note="a table typed against another chart")
    failed = world.materialize(
        "procore_jde/cost_code_map",
        proofs.VOUCHERS_MAPPED,
        proofs.VOUCHERS_WRITTEN,
        VOUCHERS_VERDICT,
        ok=False,
    )
    assert [c.passed for c in failed.get_asset_check_evaluations()] == [False, False]  # mapped, written
    materialized = {e.asset_key.to_user_string() for e in failed.get_asset_materialization_events()}
    # The write step is done (the steps after it run); the verdict failed: the day shows failed.
    assert proofs.VOUCHERS_WRITTEN in materialized and VOUCHERS_VERDICT not in materialized, materialized
    failures = step_failures(failed)
    assert "looks systemic" in failures and f".{MISSING_OBJECT}" in failures, failures
    assert world.orchestration_calls() == calls  # not one orchestration call reached JDE
    assert not proofs.batches_by_requisition(world, requisitions)
    queued = world.queue(VOUCHERS_FLOW.name)  # every refused voucher queued with its reason, none lost
    assert set(queued) == requisitions and all(f".{MISSING_OBJECT}" in r for r in queued.values()), queued

    import_file(COST_CODES, SANDBOX_TABLE, note="the right chart", resources=world.resources)
    before = proofs.posts(world, proofs.CREATE_VOUCHERS)
    rerun = world.run("procore_jde/cost_code_map", proofs.VOUCHERS_MAPPED, proofs.VOUCHERS_WRITTEN)[
        proofs.VOUCHERS_WRITTEN
    ]
    assert rerun["create"] == len(requisitions) and rerun["fail"] == 0, rerun
    assert proofs.batches_by_requisition(world, requisitions) == dict.fromkeys(requisitions, 1)
    assert proofs.posts(world, proofs.CREATE_VOUCHERS) - before == len(requisitions)
    assert not world.queue(VOUCHERS_FLOW.name)
