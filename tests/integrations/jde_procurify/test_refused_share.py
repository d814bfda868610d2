"""Procurify bills -> JDE vouchers: a day with most bills refused writes the rest, queues the refused, runs
every step after the write and still ends red, end to end through Dagster on both simulators
(``jde_procurify_world``), with their request logs (``request_log``).

The AP clerk approves 14 bills today; the account table in force lost the rows of the account codes 8 of
them carry (an unmapped account code: ``account code 7011 not found in F0901``). A bill posted before and
made a voucher by R04110ZA is paid in Procurify today. 8 of the day's 15 bills refused is more than half of
at least 10 records, the kit's systemic rule. The day's run (bills, then payments, as the payments flow
follows the bills in a run) posts the 6 good bills, queues the 8 with their reasons, records today's
payment on the earlier voucher, and ends red: the written check red (ERROR) with the causes counted, the
run failed by the bills' verdict step alone, naming them. Before, the write step failed and the payments
step never ran, for any bill, at every rerun. A rerun with nothing changed sends JDE nothing (its request
log); the table fixed and the queue replayed, the 8 post once and the day's verdict passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import jde_procurify_proofs as proofs
import pytest
from asset_runs import step_failures
from dagster import AssetCheckSeverity
from instances import instance_for_test
from jde_procurify_parts import ACCOUNTS, BILLS_FLOW, FLOWS
from jde_procurify_world import MASTER, JdeProcurifyWorld, jde_procurify_world
from mapping_rows import remove_rows, save_rows
from procore_jde_proofs import SILENCED
from request_log import RequestLog, logged_simulators

from connector_assets.flows.core import Mapped
from connector_assets.jde.targets import CREATE_VOUCHERS, RECORD_PAYMENT

pytestmark = [pytest.mark.timeout(900), *SILENCED]  # Dagster runs of whole days: load 15 too
STATUSES_ENV = "ML_JDE_PROCURIFY_BILL_STATUSES"
REFUSED, GOOD = 8, 6
ENTERED, APPROVED = 1, 2  # Procurify bill statuses: entered by the AP clerk, approved
BILLS_VERDICT = "jde_procurify/bills_verdict"
PAYMENTS = (
    "procurify/payments",
    "jde_procurify/payments_mapped",
    "jde_procurify/payments_written",
    "jde_procurify/payments_verdict",
)
# The day's run: the bills (with the table they map with), then the payments, as a run of both takes them.
DAY_RUN = ("jde_procurify/account_map", *proofs.BILLS, proofs.BILLS_WRITTEN, BILLS_VERDICT, *PAYMENTS)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[JdeProcurifyWorld, RequestLog]]:
    with (
        logged_simulators() as logs,
        jde_procurify_world(Path(tmp_path_factory.mktemp("refused_share"))) as made,
        instance_for_test() as instance,
    ):
        made.instance = instance  # one Dagster instance: the day's runs as the UI shows them
        made.run_whole(*MASTER)
        yield made, logs["jde_ais"][0]


def bill_codes(world: JdeProcurifyWorld, uuids: list[str]) -> dict[str, set[str]]:
    """Each bill's account codes, as the API renders its items."""
    with world.resources["procurify"].session() as session:
        return {
            u: {i["account"]["account_code"]["code"] for i in session.get("bills", u)["items"]} for u in uuids
        }


def clean(world: JdeProcurifyWorld, uuids: list[str], monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The bills the flow maps with the sandbox table (those the sandbox made odd for reasons of their own,
    a bill of two companies, left out), read as a replay reads them, entered bills counted as approved."""
    with monkeypatch.context() as patch:
        patch.setenv(STATUSES_ENV, f"{ENTERED},{APPROVED}")
        resources = {k: v for k, v in world.resources.items() if k != "ledger"}
        context = SimpleNamespace(
            resources=SimpleNamespace(**resources, ledger=SimpleNamespace(get=lambda: world.ledger))
        )
        return {r.source_key for r in BILLS_FLOW.remap(context, uuids) if isinstance(r, Mapped)}


def a_bad_day(
    world: JdeProcurifyWorld, monkeypatch: pytest.MonkeyPatch, kept: set[str]
) -> tuple[list[str], list[str], set[str]]:
    """Bills approved today, each vendor paired with a JDE supplier: ``REFUSED`` carrying an account code
    the broken table leaves out (never one of ``kept``), ``GOOD`` carrying none of them. Those two lists and
    the codes left out."""
    entered = [str(u) for u in world.activity(new_bills=40)["bills"]["created"]]
    suppliers = [str(r["AN8"]) for r in world.jde_rows("F0401")]
    for uuid in entered:  # as the vendors flow records a pair, so no bill waits for its vendor
        vendor = str(world.procurify_record("bills", uuid)["api"]["vendor"]["id"])
        if world.xrefs("vendor").get(vendor) is None:
            used = {v for v in world.xrefs("vendor").values() if v}
            proofs.pair_vendor_with_supplier(world, vendor, next(s for s in suppliers if s not in used))
    fine = clean(world, entered, monkeypatch)
    codes = {u: c for u, c in bill_codes(world, entered).items() if u in fine and not c & kept}
    left_out: set[str] = set()
    for code, _ in Counter(c for cs in codes.values() for c in cs).most_common():
        if sum(1 for cs in codes.values() if cs & left_out) >= REFUSED:
            break
        left_out.add(code)
    refused = [u for u, cs in codes.items() if cs & left_out][:REFUSED]
    good = [u for u, cs in codes.items() if not cs & left_out][:GOOD]
    assert (len(refused), len(good)) == (REFUSED, GOOD), (codes, left_out)
    for uuid in refused + good:
        world.bill_status(uuid, APPROVED)
    return refused, good, left_out


def orchestrations(log: RequestLog) -> list[str]:
    """The integration's orchestrations (``ML_...``: a voucher batch, a payment) JDE was asked to run."""
    return [e.path.rsplit("/", 1)[-1] for e in log.entries_all() if "/orchestrator/ML_" in e.path]


def test_a_day_with_most_bills_refused_posts_the_rest_pays_ends_red_and_a_rerun_sends_nothing(
    world, monkeypatch
):
    world, jde_log = world
    # A bill posted earlier and made a voucher by R04110ZA, paid in Procurify today.
    earlier = world.approved_bill()
    world.run(*proofs.BILLS, proofs.BILLS_WRITTEN)
    world.process_vouchers()
    paid = world._operator("payments", {"bill_uuids": [earlier["uuid"]], "status": "paid"})
    payment, reference = f"{paid['payment_uuid']}:{earlier['uuid']}", f"PFY{paid['payment_id']}"
    refused, good, left_out = a_bad_day(
        world, monkeypatch, kept=bill_codes(world, [earlier["uuid"]])[earlier["uuid"]]
    )
    # The table in force loses the rows of those codes, as an operator's change would.
    gone = [account for account, code in ACCOUNTS.current().items() if code in left_out]
    removed = remove_rows(ACCOUNTS, gone, note="codes taken out of the table")
    posts = proofs.voucher_posts(world)

    jde_log.clear()
    day = world.materialize(*DAY_RUN, ok=False)
    # The day is red by its verdict alone: every other step ran ...
    failed = {e.step_key for e in day.all_events if e.is_step_failure}
    assert failed == {"jde_procurify__bills_verdict"}, failed
    materialized = {e.asset_key.to_user_string() for e in day.get_asset_materialization_events()}
    assert {proofs.BILLS_WRITTEN, "jde_procurify/payments_written", "jde_procurify/payments_verdict"} <= (
        materialized
    ), materialized
    assert BILLS_VERDICT not in materialized, materialized
    # ... the 6 posted and the 8 queued, each with its reason naming the bill, item and code ...
    assert proofs.batches_by_bill(world, good + refused) == Counter({u: 1 for u in good})
    assert proofs.voucher_posts(world) == posts + GOOD
    queue = world.queue("bills")
    assert set(queue) == set(refused), queue
    for uuid in refused:
        assert uuid in queue[uuid] and "not found in F0901" in queue[uuid], queue[uuid]
        assert any(f"account code {c} not found" in queue[uuid] for c in left_out), queue[uuid]
    # ... and today's payment, in the same run after the bills' write, recorded on its voucher once.
    [recorded] = world.jde_payments(reference)
    assert world.xrefs("payment").get(payment), world.xrefs("payment")
    assert Counter(orchestrations(jde_log)) == {CREATE_VOUCHERS: GOOD, RECORD_PAYMENT: 1}
    # Loudly, where Dagster shows it: the mapped check red (WARN: it must not block the 6), the written
    # check red (ERROR) with the causes counted, and the verdict's failure saying what to do.
    checks = {c.asset_key.to_user_string(): c for c in day.get_asset_check_evaluations()}
    mapped, written = checks["jde_procurify/bills_mapped"], checks[proofs.BILLS_WRITTEN]
    assert not mapped.passed and mapped.severity == AssetCheckSeverity.WARN
    assert not written.passed and written.severity == AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in written.metadata.items()}
    judged = REFUSED + GOOD + 1  # the earlier bill, in today's partition too, judged and skipped
    assert (meta["refused"], meta["of_records"], meta["systemic"]) == (REFUSED, judged, True), meta
    assert "not found in F0901" in meta["refused_causes"], meta
    failures = step_failures(day)
    assert f"{REFUSED} of {judged} bill records" in failures and "looks systemic" in failures
    assert "not found in F0901" in failures and "replay" in failures, failures

    # A rerun with nothing changed: red again, and JDE is asked to run nothing (its request log).
    jde_log.clear()
    again = world.materialize(*DAY_RUN, ok=False)
    assert {e.step_key for e in again.all_events if e.is_step_failure} == {"jde_procurify__bills_verdict"}
    assert orchestrations(jde_log) == [], orchestrations(jde_log)
    assert set(world.queue("bills")) == set(refused)
    assert len(world.jde_payments(reference)) == 1

    # The table fixed and the queue replayed: the 8 post once. The verdict alone (what "rerun from
    # failure" runs: the kit's test re-executes a run) takes the day's verdict again and passes.
    save_rows(ACCOUNTS, removed, note="the codes back", resources=world.resources)
    world.replay_queued("bills", FLOWS["bills"])
    assert world.queue("bills") == {}
    assert proofs.batches_by_bill(world, good + refused) == Counter({u: 1 for u in good + refused})
    assert proofs.voucher_posts(world) == posts + GOOD + REFUSED
    verdict = world.run(BILLS_VERDICT)[BILLS_VERDICT]
    assert (verdict["refused"], verdict["systemic"]) == (0, False), verdict
    # The whole day rerun: green, nothing posted again.
    jde_log.clear()
    finished = world.run(*DAY_RUN)[proofs.BILLS_WRITTEN]
    assert finished["create"] == 0 and finished["skip"] >= REFUSED + GOOD, finished
    assert orchestrations(jde_log) == [], orchestrations(jde_log)
    assert proofs.voucher_posts(world) == posts + GOOD + REFUSED
    assert len(world.jde_payments(reference)) == 1 and recorded["reference"] == reference
