"""Claims taken ahead (``Ledger.claim_xrefs``, ``PartitionWriter._claim_ahead``): a write step claims a
batch of records in one commit before it creates any of them, and each record then writes under its own
claim. The database still decides every race as for one claim: a live lease of another run is never
taken, a lapsed one or a finished run's is; a claim never sent is ended when the step ends, so the next
writer claims it at once. On SQLite and PostgreSQL alike (``db_url``).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from test_flow_deferred_writes import SPEC, Target, _key, _records, _writer, _written_beside_a_live_lease

from connector_assets.flows.core import Lease
from connector_resources.ledger import Ledger, XrefLeased, lease_length

FLOW = (SPEC.integration, SPEC.entity, SPEC.source_system)


def _claim(ledger: Ledger, keys: list[str], owner: str, **kwargs):
    return ledger.claim_xrefs(*FLOW, keys, SPEC.target_system, owner=owner, **kwargs)


def test_new_records_are_claimed_in_one_go_with_the_lease_of_a_single_claim(ledger):
    before = datetime.now(UTC)
    taken = _claim(ledger, ["A", "B", "C"], "run-1")
    assert sorted(taken) == ["A", "B", "C"]
    for key in "ABC":
        row = ledger.get_xref(*_key(key))
        assert row.state == "pending" and row.target_id is None and row.lease_owner == "run-1"
        assert taken[key].lease_expires_at == row.lease_expires_at
        assert before + lease_length() <= row.lease_expires_at <= datetime.now(UTC) + lease_length()
    # The lease is the claim's own: another writer cannot take it, the owner renews it.
    with pytest.raises(XrefLeased):
        ledger.claim_xref(*_key("A"), owner="run-2")
    assert ledger.claim_xref(*_key("A"), owner="run-1").lease_owner == "run-1"


def test_a_written_record_and_a_live_lease_of_another_run_are_left_out(ledger):
    _claim(ledger, ["W"], "run-0")
    ledger.record_target(*_key("W"), target_id="T-W", content_hash="h")
    ledger.claim_xref(*_key("L"), owner="run-other")
    taken = _claim(ledger, ["W", "L", "N"], "run-1")
    assert sorted(taken) == ["N"]
    assert ledger.get_xref(*_key("W")).target_id == "T-W" and ledger.get_xref(*_key("W")).lease_owner is None
    assert ledger.get_xref(*_key("L")).lease_owner == "run-other"


def test_a_lapsed_lease_an_inherited_one_and_a_finished_runs_are_taken(ledger, caplog):
    ledger.claim_xref(*_key("X"), owner="run-lapsed", lease=timedelta(microseconds=1))
    ledger.claim_xref(*_key("I"), owner="run-before")
    ledger.claim_xref(*_key("G"), owner="run-gone")
    ledger.claim_xref(*_key("L"), owner="run-live")
    with caplog.at_level(logging.WARNING):
        keys = ["X", "I", "G", "L"]
        taken = _claim(ledger, keys, "run-1", inherits=("run-before",), gone=lambda run: run == "run-gone")
    assert sorted(taken) == ["G", "I", "X"]
    assert all(ledger.get_xref(*_key(k)).lease_owner == "run-1" for k in "GIX")
    assert ledger.get_xref(*_key("L")).lease_owner == "run-live"
    logged = caplog.text
    assert "took over the lease of run-lapsed, which expired at" in logged
    assert "took over the lease of run-gone, which ended with its run" in logged
    assert "run-before" not in logged  # inherited: this run's own, nothing to warn about


def test_a_key_the_ledger_refuses_is_left_for_its_own_claim_to_name(ledger):
    taken = _claim(ledger, ["ok", "x" * 10_000], "run-1")
    assert list(taken) == ["ok"]


def test_what_runs_first_commits_with_the_claims(ledger):
    def first(conn) -> None:
        ledger.audit(integration=SPEC.integration, flow="f", action="create", source_id="F1", conn=conn)

    _claim(ledger, ["A"], "run-1", first=first)
    assert [e.action for e in ledger.history("F1")] == ["create"]


def test_only_the_owners_unwritten_claims_are_ended(ledger):
    _claim(ledger, ["A", "B", "W"], "run-1")
    ledger.record_target(*_key("W"), target_id="T-W", content_hash="h")
    ledger.claim_xref(*_key("O"), owner="run-other")
    ended = ledger.release_xrefs(*FLOW, ["A", "B", "W", "O"], SPEC.target_system, owner="run-1")
    assert ended == 2
    assert ledger.get_xref(*_key("A")).lease_owner is None and ledger.get_xref(*_key("B")).lease_owner is None
    assert ledger.get_xref(*_key("O")).lease_owner == "run-other"
    assert ledger.claim_xref(*_key("A"), owner="run-2").lease_owner == "run-2"  # claimed at once


def _commits(ledger: Ledger) -> Counter[str]:
    counted: Counter[str] = Counter()
    event.listen(ledger.engine, "commit", lambda conn: counted.update(["commit"]))
    return counted


def test_the_write_step_commits_once_per_batch_not_once_per_record(ledger):
    records = _records(120)
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-batch", counts)
    writer.target = Target()
    commits = _commits(ledger)
    writer.run(records, 1)
    assert counts["create"] == 120 and sum(writer.target.creates.values()) == 120
    # 3 batches of claims (each also recording the batch before) and the final flush.
    assert commits["commit"] <= 5, commits
    for record in records:
        xref = ledger.get_xref(*_key(record.source_key))
        assert xref.target_id == f"T-{record.source_key}" and xref.lease_owner is None
        assert [e.action for e in ledger.history(record.source_key)] == ["create"]


def test_a_record_another_run_is_writing_is_not_claimed_ahead_and_is_held(ledger, monkeypatch):
    target = Target()
    counts = _written_beside_a_live_lease(ledger, target, monkeypatch)
    assert counts["create"] == 3 and counts["leased"] == 1 and "K2" not in target.creates
    assert ledger.get_xref(*_key("K2")).lease_owner == "run-other"
    (held,) = ledger.queue_for("K2")
    assert held.status == "held" and held.depends_on == SPEC.dependency_key("K2")


class _Down(Target):
    def create(self, record):
        raise ConnectionError("target down")


def test_claims_of_records_a_stopped_step_never_sent_are_ended(ledger):
    records = _records(10)
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-stopped", counts)
    writer.target = _Down()
    with pytest.raises(Exception, match="answered none"):
        writer.run(records, 1)
    # Three tried and failed (their leases ended by the failure), the other seven never sent: every
    # record is in the retry queue, and none is still leased by the stopped run.
    assert counts["fail"] == 10
    assert all(ledger.get_xref(*_key(r.source_key)).lease_owner is None for r in records)
    replay = Lease("replay-1")
    assert ledger.claim_xref(*_key("K9"), owner=replay.owner).lease_owner == "replay-1"
