"""Procurify bills -> JDE vouchers: a day with most bills refused writes the rest and queues the refused, end
to end through Dagster on both simulators (``jde_procurify_world``).

The AP clerk approves 13 bills today; the account table in force lost the rows of the account codes 7 of
them carry (an unmapped account code: ``account code 7011 not found in F0901``). 7 of 13 is more than half
of at least 10 records, the kit's systemic rule, which used to stop the day before anything was queued: 0
bills posted, 0 queued, the run red. Now the run posts the 6 and queues the 7, each with its reason; the day
is marked loudly (the mapped check red WARN, the written check red ERROR with the causes counted, the step
failed after writing so the partition shows FAILED); a rerun posts nothing twice; the table fixed and the
queue replayed, the 7 post once and the day passes.
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
from jde_procurify_world import MASTER, JdeProcurifyWorld, jde_procurify_world
from mapping_rows import remove_rows, save_rows
from procore_jde_proofs import SILENCED

from connector_assets.flows.core import Mapped
from connector_assets.integrations.jde_procurify.account_map import ACCOUNTS
from connector_assets.integrations.jde_procurify.bills import BILLS_FLOW, register_bill_replays

pytestmark = [pytest.mark.timeout(300), *SILENCED]
STATUSES_ENV = "ML_JDE_PROCURIFY_BILL_STATUSES"
REFUSED, GOOD = 7, 6
ENTERED, APPROVED = 1, 2  # Procurify bill statuses: entered by the AP clerk, approved


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JdeProcurifyWorld]:
    with (
        jde_procurify_world(Path(tmp_path_factory.mktemp("refused_share"))) as made,
        instance_for_test() as instance,
    ):
        made.instance = instance  # one Dagster instance: the day's runs as the UI shows them
        made.run_whole(*MASTER)
        yield made


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


def a_day_of_13(
    world: JdeProcurifyWorld, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], list[str], set[str]]:
    """13 bills approved today, each vendor paired with a JDE supplier: 7 carrying an account code the
    broken table leaves out, 6 carrying none of them. The 7, the 6 and the codes left out."""
    entered = [str(u) for u in world.activity(new_bills=36)["bills"]["created"]]
    suppliers = [str(r["AN8"]) for r in world.jde_rows("F0401")]
    for uuid in entered:  # as the vendors flow records a pair, so no bill waits for its vendor
        vendor = str(world.procurify_record("bills", uuid)["api"]["vendor"]["id"])
        if world.xrefs("vendor").get(vendor) is None:
            used = {v for v in world.xrefs("vendor").values() if v}
            proofs.pair_vendor_with_supplier(world, vendor, next(s for s in suppliers if s not in used))
    fine = clean(world, entered, monkeypatch)
    codes = {u: c for u, c in bill_codes(world, entered).items() if u in fine}
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


def test_a_day_with_7_of_13_bills_refused_posts_the_6_and_queues_the_7_with_reasons(world, monkeypatch):
    refused, good, left_out = a_day_of_13(world, monkeypatch)
    # The table in force loses the rows of those codes, as an operator's change would.
    gone = [account for account, code in ACCOUNTS.current().items() if code in left_out]
    removed = remove_rows(ACCOUNTS, gone, note="codes taken out of the table")
    posts = proofs.voucher_posts(world)

    day = world.materialize("jde_procurify/account_map", *proofs.BILLS, proofs.BILLS_WRITTEN, ok=False)
    assert not day.success  # the day is marked: the run red, the write step failed ...
    # ... after writing the 6 and queueing the 7, each with its reason naming the bill, item and code.
    assert proofs.batches_by_bill(world, good + refused) == Counter({u: 1 for u in good})
    assert proofs.voucher_posts(world) == posts + GOOD
    queue = world.queue("bills")
    assert set(queue) == set(refused), queue
    for uuid in refused:
        assert uuid in queue[uuid] and "not found in F0901" in queue[uuid], queue[uuid]
        assert any(f"account code {c} not found" in queue[uuid] for c in left_out), queue[uuid]
    # Loudly, where Dagster shows it: the mapped check red (WARN: it must not block the 6), the written
    # check red (ERROR) with the causes counted, and the step failure saying what to do.
    checks = {c.asset_key.to_user_string(): c for c in day.get_asset_check_evaluations()}
    mapped, written = checks["jde_procurify/bills_mapped"], checks[proofs.BILLS_WRITTEN]
    assert not mapped.passed and mapped.severity == AssetCheckSeverity.WARN
    assert not written.passed and written.severity == AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in written.metadata.items()}
    assert (meta["refused"], meta["of_records"], meta["systemic"]) == (REFUSED, REFUSED + GOOD, True), meta
    assert "not found in F0901" in meta["refused_causes"], meta
    failures = step_failures(day)
    assert f"{REFUSED} of {REFUSED + GOOD} bill records" in failures and "looks systemic" in failures, (
        failures
    )
    assert "replay" in failures, failures
    materialized = {e.asset_key.to_user_string() for e in day.get_asset_materialization_events()}
    assert proofs.BILLS_WRITTEN not in materialized and "jde_procurify/bills_mapped" in materialized, (
        materialized
    )

    # A rerun before the fix posts nothing twice and stays red.
    again = world.materialize(*proofs.BILLS, proofs.BILLS_WRITTEN, ok=False)
    assert not again.success and proofs.voucher_posts(world) == posts + GOOD
    assert set(world.queue("bills")) == set(refused)

    # The table fixed and the queue replayed: the 7 post once; the day's rerun then passes, posting nothing.
    save_rows(ACCOUNTS, removed, note="the codes back", resources=world.resources)
    world.replay_queued("bills", register_bill_replays)
    assert world.queue("bills") == {}
    assert proofs.batches_by_bill(world, good + refused) == Counter({u: 1 for u in good + refused})
    assert proofs.voucher_posts(world) == posts + GOOD + REFUSED
    finished = world.run("jde_procurify/account_map", *proofs.BILLS, proofs.BILLS_WRITTEN)[
        proofs.BILLS_WRITTEN
    ]
    assert finished["create"] == 0 and finished["skip"] == REFUSED + GOOD, finished
    assert proofs.voucher_posts(world) == posts + GOOD + REFUSED
