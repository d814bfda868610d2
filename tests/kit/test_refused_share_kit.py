"""The kit's rule on a day whose records are mostly refused (``flows.refused_share``):
refusals are queued with their reasons and the rest written, whatever the share; a systemic share marks
the day (checks red, the write step failed after writing) and is judged again from the retry queue, so a
rerun with the mapping fixed writes the refused records once and passes.

A small kit flow (synthetic things, an in-memory target, a real ledger on SQLite, real Dagster); the same
through an integration, with a replay, is ``tests/integrations/jde_procurify/test_refused_share.py``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from asset_runs import step_failures
from dagster import AssetCheckSeverity, materialize
from day_health_flow import Target, thing_flow  # the same in-memory target and kit flow
from instances import instance_for_test

from connector_assets.flows.core import Mapped, Rejected, queue_failure
from connector_assets.flows.refused_share import judge, judge_items, refusal_cause
from connector_assets.staging import StagingResource
from connector_resources.ledger import Ledger, LedgerResource

TARGET = Target()
MAPPED = {"fixed": False}  # the mapping table: broken (codes C1 unmapped) until a test fixes it
GOOD, REFUSED = [f"G{i}" for i in range(6)], [f"R{i}" for i in range(7)]


def _thing(key: str) -> Mapped:
    name = f"thing {key}"
    return Mapped(key, {"name": name}, {"name": name}, {"name": name})


def _map(context: Any, partition: str | None):
    for key in GOOD:
        yield _thing(key)
    for key in REFUSED:
        if MAPPED["fixed"]:
            yield _thing(key)
        else:
            yield Rejected(key, f"thing {key}: code C1 has no account in the mapping table")


SPEC, MAPPED_ASSET, WRITTEN_ASSET, _ = thing_flow("refused_share_test", _map, TARGET)


def _run(sqlite_url: str, tmp_path: Any):
    resources = {
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=sqlite_url),
    }
    with instance_for_test() as instance:
        return materialize(
            [MAPPED_ASSET, WRITTEN_ASSET], resources=resources, instance=instance, raise_on_error=False
        )


def _open(ledger: Ledger) -> dict[str, str]:
    return {i.source_key: i.reason for i in ledger.open_items(integration=SPEC.integration, flow=SPEC.name)}


# -- the rule -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "refused", "systemic"),
    [(13, 7, True), (12, 6, False), (9, 9, False), (10, 6, True), (0, 0, False)],
)
def test_more_than_half_of_at_least_ten_records_refused_is_systemic(records, refused, systemic):
    share = judge(SPEC, "2026-11-25", records, [f"thing {n}: code C1 unmapped" for n in range(refused)])
    assert (share.refused, share.records, share.systemic) == (refused, records, systemic)


def test_refusals_count_by_their_cause_not_by_the_record_named():
    reasons = [
        "bill 8c06 (invoice INV-000108, Cascade): item 172: account code 7001 not found in F0901",
        "bill 7421 (invoice INV-000113, Frontier): item 181: account code 7001 not found in F0901",
        "bill 37d6 (invoice INV-000115, Nandu): item 186: account code 7011 not found in F0901",
        "supplier 4411: total 175.30 differs from 175.31",
    ]
    share = judge(SPEC, None, 4, reasons)
    # Counted by cause (amounts masked for the count), shown in the refusal's own words, amounts whole.
    assert dict(share.causes.most_common()) == {
        "account code 7001 not found in F0901": 2,
        "account code 7011 not found in F0901": 1,
        "total 175.30 differs from 175.31": 1,
    }
    assert refusal_cause(reasons[3]) == refusal_cause("supplier 4412: total 99.10 differs from 99.20")
    assert "2 x account code 7001 not found in F0901" in share.message()
    assert refusal_cause("no colon") == "no colon"


def _open_items(ledger: Ledger) -> list:
    return ledger.partition_queue(integration=SPEC.integration, flow=SPEC.name, partition_key="d")


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


# -- through Dagster ------------------------------------------------------------------------------------


def test_a_day_mostly_refused_writes_the_rest_queues_the_refused_and_fails_loudly(sqlite_url, tmp_path):
    TARGET.rows.clear()
    TARGET.creates.clear()
    MAPPED["fixed"] = False
    ledger = Ledger(sqlite_url)

    day = _run(sqlite_url, tmp_path)
    assert not day.success
    assert TARGET.creates == Counter(dict.fromkeys(GOOD, 1))  # the 6 written
    queued = _open(ledger)
    assert set(queued) == set(REFUSED) and all("code C1" in r for r in queued.values()), queued
    checks = {c.asset_key.to_user_string(): c for c in day.get_asset_check_evaluations()}
    mapped, written = (
        checks[SPEC.key("mapped").to_user_string()],
        checks[SPEC.key("written").to_user_string()],
    )
    assert (mapped.passed, mapped.severity) == (False, AssetCheckSeverity.WARN)  # red, not blocking
    assert (written.passed, written.severity) == (False, AssetCheckSeverity.ERROR)
    causes = written.metadata["refused_causes"].value
    assert "7 x code C1 has no account in the mapping table" in causes, causes
    assert "7 of 13 thing records" in step_failures(day) and "looks systemic" in step_failures(day)

    again = _run(sqlite_url, tmp_path)  # not fixed: red again, nothing written twice
    assert not again.success and TARGET.creates == Counter(dict.fromkeys(GOOD, 1))

    MAPPED["fixed"] = True  # the mapping fixed, the day rerun: the 7 written once, the day green
    fixed = _run(sqlite_url, tmp_path)
    assert fixed.success, step_failures(fixed)
    assert TARGET.creates == Counter(dict.fromkeys(GOOD + REFUSED, 1))
    assert _open(ledger) == {}
    assert all(c.passed for c in fixed.get_asset_check_evaluations())
    ledger.dispose()
