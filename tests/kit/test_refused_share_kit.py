"""The kit's rule on a day whose records are mostly refused (``flows.refused_share``): refusals are queued
with their reasons and the rest written, whatever the share. A systemic share marks the day without
holding anything good back: the checks red, the write step materialized so the steps after it run, and the
flow's verdict step failing the run with the causes; the verdict is taken again from the retry queue, so
"rerun from failure" passes once the refused records are replayed. Records released or held never count.

A small kit flow (synthetic things, an in-memory target, a real ledger on SQLite, real Dagster); the same
through an integration, with its payments and the simulators' request logs, is
``tests/integrations/jde_procurify/test_refused_share.py``."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext

import pytest
import refused_share_flow as flow
from dagster import (
    AssetCheckSeverity,
    DagsterInstance,
    JobExecutionResult,
    ReexecutionOptions,
    execute_job,
    reconstructable,
)
from given_replays import replays_of
from instances import instance_for_test

from connector_assets.flows.core import Mapped, Rejected, hold_until_synced, queue_failure
from connector_assets.flows.refused_share import is_refusal, judge, judge_items
from connector_assets.flows.replays import replay_handler
from connector_resources.ledger import Ledger
from connector_resources.refusals import mapping_missing, master_missing
from connector_resources.refusals import refused as flow_rule
from connector_resources.replay import release_waiting, replay_items

SPEC, GOOD, REFUSED = flow.SPEC, flow.GOOD, flow.REFUSED


def _open(ledger: Ledger) -> dict[str, str]:
    return {i.source_key: i.reason for i in ledger.open_items(integration=SPEC.integration, flow=SPEC.name)}


# -- the rule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "refused", "systemic"),
    [(13, 7, True), (12, 6, False), (9, 9, False), (10, 6, True), (0, 0, False)],
)
def test_more_than_half_of_at_least_ten_records_refused_is_systemic(records, refused, systemic):
    refusals = [
        mapping_missing(f"thing {n}: code C1 unmapped", table="codes", what="code", value="C1")
        for n in range(refused)
    ]
    share = judge(SPEC, "2026-11-25", records, refusals)
    assert (share.refused, share.records, share.systemic) == (refused, records, systemic)


def test_refusals_count_by_their_kind_not_by_the_record_named():
    accounts = [
        ("bill 8c06 (invoice INV-000108, Cascade): item 172: account code 7001 not found in F0901", "7001"),
        ("bill 7421 (invoice INV-000113, Frontier): item 181: account code 7001 not found in F0901", "7001"),
        ("bill 37d6 (invoice INV-000115, Nandu): item 186: account code 7011 not found in F0901", "7011"),
    ]
    refusals = [master_missing(why, system="JDE", what="account", value=code) for why, code in accounts]
    refusals.append(flow_rule("supplier 4411: total 175.30 differs from 175.31", rule="totals differ"))
    share = judge(SPEC, None, 4, refusals)
    # Counted by kind (one fix: set the accounts up in JDE), shown in a refusal's own words, amounts whole.
    assert dict(share.causes.most_common()) == {
        f"A master record is missing in the target: JDE, account, e.g. {accounts[0][0]}": 3,
        "Refused by the flow's rules: totals differ: supplier 4411: total 175.30 differs from 175.31": 1,
    }
    assert (
        f"3 x A master record is missing in the target: JDE, account, e.g. {accounts[0][0]}"
        in share.message()
    )


def _open_items(ledger: Ledger, day: str = "d") -> list:
    return ledger.partition_queue(integration=SPEC.integration, flow=SPEC.name, partition_key=day)


def test_the_verdict_after_the_write_counts_only_what_is_still_refused(sqlite_url):
    ledger = Ledger(sqlite_url)
    for key in REFUSED:
        queue_failure(
            SPEC, ledger, Rejected(key, f"thing {key}: code C1 unmapped"), run_id="r", partition="d"
        )
    assert judge_items(SPEC, "d", _open_items(ledger), GOOD).systemic
    for item in ledger.open_items(integration=SPEC.integration, flow=SPEC.name)[:2]:  # two replayed
        ledger.resolve(item.id)
    after = judge_items(
        SPEC, "d", _open_items(ledger), GOOD
    )  # 5 of 11 still refused: no longer more than half
    assert (after.refused, after.records, after.systemic) == (5, 11, False)
    ledger.dispose()


def test_released_and_held_records_are_not_refusals(sqlite_url):
    """A day of 57 invoices whose 31 were held on their vendor, then released when the vendors flow paired
    it (due for replay, not refused), 3 still held, 23 staged and written: nothing refused, not systemic.
    Then 12 of the 23 refused by the target: 12 of the 23 judged, systemic, the 34 waiting aside."""
    ledger, day = Ledger(sqlite_url), "2026-11-24"
    waiting = Mapped("x", {"waits_for": "v"}, {}, depends_on="refused_share:vendor:SRC:V1")
    for n in range(31):
        hold_until_synced(
            SPEC,
            ledger,
            Mapped(f"L{n}", waiting.body, {}, depends_on=waiting.depends_on),
            run_id="r",
            partition=day,
        )
    for n in range(3):
        hold_until_synced(
            SPEC,
            ledger,
            Mapped(f"H{n}", waiting.body, {}, depends_on="refused_share:vendor:SRC:V2"),
            run_id="r",
            partition=day,
        )
    release_waiting(ledger, waiting.depends_on, reason="released: vendor V1 synced; due for replay")
    items = _open_items(ledger, day)
    assert sorted(i.status for i in items) == ["failed"] * 31 + ["held"] * 3
    assert not any(is_refusal(i) for i in items)
    staged = [f"S{n}" for n in range(23)]
    share = judge_items(SPEC, day, items, staged)
    assert (share.refused, share.records, share.systemic) == (0, 23, False)

    for key in staged[:12]:  # the target refuses 12 of the staged records
        queue_failure(
            SPEC, ledger, Rejected(key, f"thing {key}: account 9999 not found"), run_id="r", partition=day
        )
    share = judge_items(SPEC, day, _open_items(ledger, day), staged)
    assert (share.refused, share.records, share.systemic) == (12, 23, True)
    assert "12 of 23 thing records" in share.message()
    ledger.dispose()


# -- through Dagster ------------------------------------------------------------------------------------


def _run(instance: DagsterInstance, *, after: JobExecutionResult | None = None) -> JobExecutionResult:
    """The day's job run (``refused_share_flow.job``), or ``after``'s run re-executed from failure."""
    again = None if after is None else ReexecutionOptions.from_failure(after.run_id, instance)
    return execute_job(
        reconstructable(flow.job),
        instance,
        tags={"dagster/partition": flow.DAY},
        reexecution_options=again,
        raise_on_error=False,
    )


def _ran(result: JobExecutionResult) -> tuple[set[str], set[str]]:
    """The steps that succeeded and those that failed."""
    done = {e.step_key for e in result.all_events if e.is_step_success}
    failed = {e.step_key for e in result.all_events if e.is_step_failure}
    return done, failed


def _failures(result: JobExecutionResult) -> str:
    return " ".join(e.step_failure_data.error.message for e in result.all_events if e.is_step_failure)


# What the replay here is handed: the kit flow's handler, writing to its target.
REPLAYS = replays_of(
    {(SPEC.integration, SPEC.name): replay_handler(SPEC, lambda: nullcontext(flow.TARGET), lambda: {})}
)


@pytest.fixture
def day(tmp_path, monkeypatch):
    """The kit flow's folder, target and marks cleared, its mapping broken (its replay: ``REPLAYS``)."""
    monkeypatch.setenv(flow.DIR_ENV, str(tmp_path))
    flow.TARGET.rows.clear()
    flow.TARGET.creates.clear()
    flow.MARKED.clear()
    flow.FIXED["fixed"] = False
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.sqlite")
    with instance_for_test() as instance:
        yield instance, ledger
    ledger.dispose()


def test_a_day_mostly_refused_writes_the_rest_runs_every_step_after_and_ends_red(day):
    instance, ledger = day
    written, verdict = SPEC.key("written").to_python_identifier(), SPEC.key("verdict").to_python_identifier()
    marked = SPEC.key("marked").to_python_identifier()

    first = _run(instance)
    # The day ends red, by its verdict alone: every other step ran, the mark after the write too.
    assert not first.success
    done, failed = _ran(first)
    assert failed == {verdict} and {written, marked} <= done, (done, failed)
    assert flow.TARGET.creates == Counter(dict.fromkeys(GOOD, 1))  # the 6 written ...
    assert [f"T-{key}" for key in GOOD] == flow.MARKED  # ... and marked in the same run
    queued = _open(ledger)
    assert set(queued) == set(REFUSED) and all("code C1" in r for r in queued.values()), queued
    # The checks: the mapped one red (WARN, not blocking), the written one red (ERROR) with the causes.
    checks = {c.asset_key: c for c in first.get_asset_check_evaluations()}
    mapped_check, written_check = checks[SPEC.key("mapped")], checks[SPEC.key("written")]
    assert (mapped_check.passed, mapped_check.severity) == (False, AssetCheckSeverity.WARN)
    assert (written_check.passed, written_check.severity) == (False, AssetCheckSeverity.ERROR)
    causes = written_check.metadata["refused_causes"].value
    kind = "7 x A mapping table has no row for a value: refused_share/codes, e.g. thing R0: code C1 has no"
    assert kind in causes, causes
    # The verdict's failure names the share and its causes, and what to do; its day is not materialized.
    said = _failures(first)
    assert (
        "7 of 13 thing records" in said
        and "looks systemic" in said
        and "7 x A mapping table has no row" in said
    ), said
    assert "replay" in said, said
    assert flow.DAY in instance.get_materialized_partitions(SPEC.key("written"))
    assert flow.DAY not in instance.get_materialized_partitions(SPEC.key("verdict"))

    # A rerun with nothing changed sends and marks nothing again, and stays red.
    again = _run(instance)
    assert not again.success and _ran(again)[1] == {verdict}
    assert flow.TARGET.creates == Counter(dict.fromkeys(GOOD, 1))
    assert [f"T-{key}" for key in GOOD] == flow.MARKED

    # The mapping fixed and the queue replayed: the 7 written once. "Rerun from failure" runs the verdict
    # alone, which takes the day's verdict again from the queue: green, the day's verdict materialized.
    flow.FIXED["fixed"] = True
    summary = replay_items(ledger, ledger.open_items(integration=SPEC.integration, flow=SPEC.name), REPLAYS)
    assert len(summary.replayed) == len(REFUSED) and not summary.failed
    assert flow.TARGET.creates == Counter(dict.fromkeys(GOOD + REFUSED, 1))
    fixed = _run(instance, after=again)
    assert fixed.success, _failures(fixed)
    assert _ran(fixed) == ({verdict}, set())
    assert flow.DAY in instance.get_materialized_partitions(SPEC.key("verdict"))
    assert flow.TARGET.creates == Counter(dict.fromkeys(GOOD + REFUSED, 1))
