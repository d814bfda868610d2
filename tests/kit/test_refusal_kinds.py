"""Every kit path queues a refusal with its kind, read from data (the error's class, its code, its status),
never from its words; and a wait that outlived what it waits for is a person's, with the sentence why.

Cheap: no Dagster run, a SQLite ledger where one is needed.
"""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from given_replays import replays_of
from jde_coupa_parts import SUPPLIERS_FLOW

from connector_assets.flows.close_calendar import CloseInProgress
from connector_assets.flows.core import Mapped, Rejected, queue_failure
from connector_assets.flows.periods import PeriodClosed
from connector_assets.flows.replays import replay_handler
from connector_assets.jde.target_base import JdeRefused
from connector_resources.bill.errors import BillProblem, BillRateLimitError, BillValidationError
from connector_resources.jde import JdeMessage, JdeOrchestrationError
from connector_resources.ledger import Ledger, XrefConflict
from connector_resources.refusals import (
    FLOWS,
    PERSON,
    Refused,
    refusal_of,
    source_invalid,
    wait_outlived,
    with_refusal,
)
from connector_resources.replay import WaitsFor, replay_items

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _jde_refused(code: str, words: str) -> JdeRefused:
    """JDE's refusal as a JDE target raises it: in a finance user's words, JDE's answer as its context."""
    try:
        try:
            raise JdeOrchestrationError(
                "orchestration failed", orchestration="ORCH_CreateVoucher",
                messages=[JdeMessage(code, words)], status=200,
            )  # fmt: skip
        except JdeOrchestrationError:
            raise JdeRefused(f"Coupa invoice 7: JDE refused it ({code} {words})") from None
    except JdeRefused as refused:
        return refused


def test_a_write_refused_by_the_target_with_an_error_code_is_of_that_code() -> None:
    refusal = refusal_of(
        _jde_refused("59A1", "Supplier 9999 is not in F0401"), "invoice 7: refused", system="JDE"
    )
    assert refusal.group == "target_refused · JDE · 59A1" and refusal.attention == PERSON
    assert refusal.sentence == "invoice 7: refused"
    other = refusal_of(_jde_refused("59A1", "Supplier 4411 is not in F0401"), system="JDE")
    assert other.group == refusal.group  # whichever supplier its words name
    bill = BillValidationError("refused", status=400, problems=[BillProblem("BDC_1205", "no such vendor")])
    assert refusal_of(bill, system="BILL").group == "target_refused · BILL · BDC_1205"


def test_limits_outages_and_conflicts_are_their_own_kinds() -> None:
    until = NOW + timedelta(hours=1)
    limit = refusal_of(BillRateLimitError("hourly cap", retry_at=until), system="BILL")
    assert (limit.kind, limit.attention, limit.params["until"]) == ("rate_limited", FLOWS, str(until))
    down = refusal_of(ConnectionError("connection reset"), system="coupa")
    assert (down.group, down.attention) == ("target_unavailable · coupa", FLOWS)
    conflict = refusal_of(XrefConflict("C-1 is already the target of 4412"), system="coupa")
    assert conflict.group == "conflict · coupa"
    own = source_invalid("supplier 4411: no tax id", field="tax_id")
    assert refusal_of(Refused(own), "replay failed: no tax id").group == "source_invalid · tax_id"
    assert refusal_of(Refused(own), "replay failed: no tax id").sentence == "replay failed: no tax id"


def test_a_judgment_made_where_the_target_is_known_travels_with_the_error() -> None:
    error = _jde_refused("59A6", "order not found")
    with_refusal(error, system="JDE")
    assert refusal_of(error, "replay failed: order not found").group == "target_refused · JDE · 59A6"


def test_every_wait_says_its_kind() -> None:
    period = PeriodClosed(("JDE", "period", "ledger"), "00001.AP", "jde_coupa", date(2026, 10, 3), "dated")
    assert period.refusal.group == "period_closed · JDE" and period.refusal.params["day"] == "2026-10-03"
    close = CloseInProgress("jde_coupa", NOW + timedelta(days=2), "JD Edwards")
    assert close.refusal.kind == "close_window" and close.refusal.params["until"].startswith("2026-11-29")
    plain = WaitsFor("jde_coupa:supplier:JDE:1870", "waits for supplier 1870 to sync")
    assert plain.refusal.group == "waits_for_record · supplier"
    assert {period.refusal.attention, close.refusal.attention, plain.refusal.attention} == {FLOWS}


def test_a_replayed_record_held_again_keeps_the_kind_of_its_wait(tmp_path) -> None:
    """A replay whose record is still held on its closed period holds it again as a closed-period hold, not
    as "waits for another record"; a replay whose write the target refuses keeps the target's code."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    for key in ("1", "2"):
        mapped = Mapped(key, {"n": key}, {}, {"n": key})
        queue_failure(
            SUPPLIERS_FLOW, ledger, Rejected(key, f"supplier {key}: refused", mapped.to_payload()),
            run_id="r", partition="d",
        )  # fmt: skip
    period = PeriodClosed(("JDE", "period", "ledger"), "00001.AP", "jde_coupa", date(2026, 10, 3), "dated")

    class Target:
        def find(self, record: Mapped) -> str | None:
            return None

        def create(self, record: Mapped) -> str:
            if record.source_key == "1":
                raise period
            raise _jde_refused("59A2", "Account '20.8150' is not in F0901")

        def update(self, target_id: str, record: Mapped) -> None:
            return None

    class Opened:
        def __enter__(self) -> Target:
            return Target()

        def __exit__(self, *exc: object) -> None:
            return None

    replays = replays_of({("jde_coupa", "suppliers"): replay_handler(SUPPLIERS_FLOW, Opened)})
    with pytest.MonkeyPatch.context() as patch:  # the toy bodies are not suppliers: all pass validation
        patch.setattr("connector_assets.flows.replays.validate", _all_valid)
        replay_items(ledger, ledger.open_items(integration="jde_coupa", flow="suppliers"), replays)
    after = {i.source_key: i for i in ledger.open_items(integration="jde_coupa", flow="suppliers")}
    assert (after["1"].status, after["1"].kind, after["1"].attention) == (
        "held",
        "period_closed · JDE",
        FLOWS,
    )
    refused = (after["2"].status, after["2"].kind, after["2"].attention)
    assert refused == ("failed", "target_refused · JDE · 59A2", PERSON)
    ledger.dispose()


def _all_valid(spec, records):
    from connector_assets.flows.records import Validation

    return Validation(list(records), [])


def test_a_held_record_whose_dependency_synced_is_a_persons_with_the_sentence() -> None:
    held = {
        "attention": FLOWS, "status": "held", "created_at": NOW - timedelta(hours=1),
        "depends_on": "jde_coupa:supplier:JDE:1870", "now": NOW, "after": timedelta(hours=24),
    }  # fmt: skip
    assert wait_outlived(**held, synced=False) == ""  # an hour's wait for a supplier: normal
    said = wait_outlived(**held, synced=True)
    assert said == "jde_coupa:supplier:JDE:1870 has synced, but this record was not released: replay it"
    late = wait_outlived(**{**held, "created_at": NOW - timedelta(hours=26)}, synced=False)
    assert late.startswith("waited 26 h for jde_coupa:supplier:JDE:1870: it has not synced; if that record")
    assert wait_outlived(**{**held, "attention": PERSON}, synced=True) == ""  # already a person's
    # A close window is timed from its end: a three-day close is not a stuck wait while it lasts.
    close = {**held, "created_at": NOW - timedelta(days=3), "depends_on": "CLOSE:window:until:x"}
    ends = {"until": (NOW + timedelta(hours=5)).isoformat()}
    assert wait_outlived(**close, synced=False, kind="close_window", params=ends) == ""
    ended = {"until": (NOW - timedelta(hours=30)).isoformat()}
    assert "the close window ended 30 h ago" in wait_outlived(
        **close, synced=False, kind="close_window", params=ended
    )


# Files of the kit that import ``re`` for something other than a reason: the close calendar's setting, and
# JDE's own answer read for the id of the record it says is missing (when the body sent does not name it).
_NOT_REASONS = {"connector_assets/flows/close_calendar.py", "connector_assets/jde/missing_master.py"}
_KIT = [
    "connector_resources/refusals.py", "connector_resources/replay.py", "connector_resources/held_parents.py",
    "connector_resources/held_outside.py", "connector_resources/missing_records.py",
    "connector_resources/replay_report.py", "connector_resources/error_kinds.py",
    "connector_resources/ledger/queue.py", "connector_assets/runtime/incremental.py",
    "connector_assets/runtime/step_retry.py",
    "connector_assets/jde/periods.py", "connector_assets/jde/unprocessed_batches.py",
    "connector_assets/fusion/periods.py", "connector_assets/fusion/missing_sites.py",
    *(f"connector_assets/flows/{name}.py" for name in (
        "after_write", "writer", "write_once", "records", "deferred", "periods", "written_check",
        "written_step", "refused_share", "reason_text", "day_verdict", "missing_holds",
        "replays", "mapped_step", "never_written", "core", "day_checks",
    )),
]  # fmt: skip


@pytest.mark.parametrize("path", _KIT)
def test_no_regular_expression_reads_a_reason(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "re" not in imported and "reason_kinds" not in str(imported), path
