"""The write step's one commit per record (``flows.deferred``): a record's target id, audit event and
release of held records are written in the transaction of the next record's claim, and whatever is still
pending is written when the step ends, on error too. Nothing is written twice and nothing is lost: a
record created but not yet recorded when the process dies is found by its natural key and adopted by
the rerun (the crash window the kill -9 tests cover with real processes: ``test_flow_kill9.py``,
``test_flow_jde_bill_kill9.py``, ``test_flow_procore_jde_kill9.py``), and one whose recording the ledger
refuses is queued as failed with why.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

import pandera.pandas as pa
import pytest
from bare_flows import bare_spec
from pandera.typing import Series

from connector_assets.flows.core import Lease, Mapped, queue_failure, write_record
from connector_assets.flows.core import Rejected as RejectedRecord
from connector_assets.flows.deferred import DeferredWrites, batch_limits
from connector_assets.flows.writer import PartitionWriter
from connector_resources.ledger import Ledger, XrefConflict


class ThingRecord(pa.DataFrameModel):
    name: Series[str] = pa.Field(str_length={"min_value": 1})


SPEC = bare_spec("deferred_test", "things", "thing", "SRC", "tgt", ThingRecord)


class Target:
    """An in-memory target: records by id, found by name; counts every create."""

    def __init__(self, stop_after: int | None = None, ids: dict[str, str] | None = None) -> None:
        self.rows: dict[str, str] = {}
        self.creates = Counter[str]()
        self.stop_after = stop_after  # the process "dies" at the create after this many
        self.ids = ids or {}

    def find(self, record: Mapped) -> str | None:
        return next((tid for tid, name in self.rows.items() if name == record.natural_key["name"]), None)

    def create(self, record: Mapped) -> str:
        if self.stop_after is not None and sum(self.creates.values()) >= self.stop_after:
            raise Died("killed")
        target_id = self.ids.get(record.source_key, f"T-{record.source_key}")
        self.rows[target_id] = record.natural_key["name"]
        self.creates[record.source_key] += 1
        return target_id

    def update(self, target_id: str, record: Mapped) -> None:
        self.rows[target_id] = record.natural_key["name"]


class Died(BaseException):
    """What a crash of the write step looks like to ``PartitionWriter`` (not a record's failure)."""


def _records(count: int) -> list[Mapped]:
    tag = uuid.uuid4().hex[:6]
    return [
        Mapped(f"K{i}", {"name": f"{tag} {i}"}, {"name": f"{tag} {i}"}, {"name": f"{tag} {i}"})
        for i in range(count)
    ]


def _key(source_key: str) -> tuple[str, str, str, str, str]:
    return (SPEC.integration, SPEC.entity, SPEC.source_system, source_key, SPEC.target_system)


def _writer(ledger: Ledger, run_id: str, counts: Counter[str], queued: dict | None = None) -> PartitionWriter:
    return PartitionWriter(
        SPEC,
        None,
        ledger,
        run_id=run_id,
        partition=None,
        lease=Lease(run_id),
        queued=queued if queued is not None else {},
        counts=counts,
    )


def _written_beside_a_live_lease(
    ledger: Ledger, target: Target, monkeypatch: pytest.MonkeyPatch
) -> Counter[str]:
    """Four records (K0 to K3) written to ``target`` by ``run-mine`` while ``run-other`` holds a live lease
    on K2, waited on for 0.2 s only: the counts the writer kept. For the tests of what is claimed or searched
    ahead, which must leave K2 alone."""
    monkeypatch.setenv("ML_LEDGER_LEASE_WAIT_SECONDS", "0.2")
    records = _records(4)
    ledger.claim_xref(*_key("K2"), owner="run-other")
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-mine", counts)
    writer.target = target
    writer.run(records, 1)
    return counts


def _per_record() -> DeferredWrites:
    """Each written record recorded with the next claim (``ML_LEDGER_RECORD_BATCH=1``)."""
    return DeferredWrites(batch=1, max_age_seconds=60)


def test_a_records_target_id_and_audit_are_written_with_the_next_claim_and_at_the_end(ledger):
    target, deferred, records = Target(), _per_record(), _records(3)
    write = lambda r: write_record(  # noqa: E731
        SPEC, target, ledger, r, run_id="run-1", partition=None, lease=Lease("run-1"), deferred=deferred
    )
    first = write(records[0])
    assert first.action == "create" and first.target_id == "T-K0"
    assert ledger.get_xref(*_key("K0")).target_id is None  # pending: claimed, created, not yet recorded
    assert len(deferred) == 1

    write(records[1])  # its claim's transaction records K0
    k0 = ledger.get_xref(*_key("K0"))
    assert (k0.target_id, k0.state, k0.lease_owner) == ("T-K0", "synced", None)
    assert [(e.action, e.target_id) for e in ledger.history("K0")] == [("create", "T-K0")]
    assert ledger.get_xref(*_key("K1")).target_id is None and len(deferred) == 1

    write(records[2])
    deferred.flush(ledger)  # the end of the step
    assert len(deferred) == 0
    for n in range(3):
        assert ledger.get_xref(*_key(f"K{n}")).target_id == f"T-K{n}"
        assert [e.action for e in ledger.history(f"K{n}")] == ["create"]
    assert target.creates == Counter({"K0": 1, "K1": 1, "K2": 1})


def test_a_batch_of_written_records_is_recorded_together_with_a_later_claim(ledger):
    target, deferred, records = Target(), DeferredWrites(batch=3, max_age_seconds=60), _records(5)
    write = lambda r: write_record(  # noqa: E731
        SPEC, target, ledger, r, run_id="run-b", partition=None, lease=Lease("run-b"), deferred=deferred
    )
    for record in records[:3]:
        assert write(record).action == "create"
    assert [ledger.get_xref(*_key(f"K{n}")).target_id for n in range(3)] == [None, None, None]
    assert len(deferred) == 3

    write(records[3])  # a full batch: recorded in this claim's transaction
    for n in range(3):
        xref = ledger.get_xref(*_key(f"K{n}"))
        assert (xref.target_id, xref.state, xref.lease_owner) == (f"T-K{n}", "synced", None)
        assert [(e.action, e.target_id, e.run_id) for e in ledger.history(f"K{n}")] == [
            ("create", f"T-K{n}", "run-b")
        ]
    assert ledger.get_xref(*_key("K3")).target_id is None and len(deferred) == 1

    write(records[4])
    deferred.flush(ledger)
    assert [ledger.get_xref(*_key(f"K{n}")).target_id for n in range(5)] == [f"T-K{n}" for n in range(5)]
    assert target.creates == Counter({f"K{n}": 1 for n in range(5)})


def test_a_pending_record_is_recorded_before_its_own_next_record_is_claimed(ledger):
    # A changed copy of a record still pending: it must see the record written (and update it), never
    # search for it again or create it twice.
    target, deferred = Target(), DeferredWrites(batch=50, max_age_seconds=60)
    (record,) = _records(1)
    changed = Mapped(record.source_key, {"name": "renamed"}, {"name": "renamed"}, record.natural_key)
    first = write_record(SPEC, target, ledger, record, run_id="r", partition=None, deferred=deferred)
    second = write_record(SPEC, target, ledger, changed, run_id="r", partition=None, deferred=deferred)
    deferred.flush(ledger)
    assert (first.action, second.action) == ("create", "update")
    assert target.creates == Counter({"K0": 1})
    assert [e.action for e in ledger.history("K0")] == ["create", "update"]
    assert ledger.get_xref(*_key("K0")).content_hash == changed.content_hash()


def test_a_record_pending_longer_than_the_batch_age_is_recorded_at_the_next_claim(ledger):
    target, deferred, records = Target(), DeferredWrites(batch=50, max_age_seconds=0.05), _records(2)
    write_record(SPEC, target, ledger, records[0], run_id="r", partition=None, deferred=deferred)
    time.sleep(0.1)
    write_record(SPEC, target, ledger, records[1], run_id="r", partition=None, deferred=deferred)
    assert ledger.get_xref(*_key("K0")).target_id == "T-K0"
    assert ledger.get_xref(*_key("K1")).target_id is None and len(deferred) == 1


@pytest.mark.parametrize("setting", ["0", "many", "-3"])
def test_a_batch_setting_that_is_not_a_count_of_records_is_refused_naming_it(setting):
    with pytest.raises(ValueError, match=f"ML_LEDGER_RECORD_BATCH={setting!r}"):
        batch_limits({"ML_LEDGER_RECORD_BATCH": setting})
    assert batch_limits({}) == (50, 2.0)


def test_a_known_record_flushes_what_is_pending_before_it_is_skipped(ledger):
    target, deferred, records = Target(), _per_record(), _records(2)
    for record in records:
        write_record(SPEC, target, ledger, record, run_id="r", partition=None, deferred=deferred)
    deferred.flush(ledger)
    fresh = _records(1)[0]
    fresh = Mapped("K9", fresh.body, fresh.fields, fresh.natural_key)
    write_record(SPEC, target, ledger, fresh, run_id="r2", partition=None, deferred=deferred)
    assert ledger.get_xref(*_key("K9")).target_id is None
    skipped = write_record(SPEC, target, ledger, records[0], run_id="r2", partition=None, deferred=deferred)
    assert skipped.action == "skip"
    assert ledger.get_xref(*_key("K9")).target_id == "T-K9"  # recorded before the skip, not at step end
    assert len(deferred) == 0


def test_held_records_are_released_in_the_flush_and_counted_by_the_writer(ledger):
    records = _records(2)
    queue_failure(
        SPEC,
        ledger,
        RejectedRecord("ORDER-1", "waits for thing K0", {"body": {}}),
        status="held",
        depends_on=SPEC.dependency_key("K0"),
        run_id="earlier",
        partition=None,
    )
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-rel", counts)
    writer.target = Target()
    writer.run(records, 1)
    assert counts["create"] == 2 and counts["released"] == 1
    (item,) = ledger.queue_for("ORDER-1")
    assert item.status == "failed" and item.reason.startswith("released: thing K0 synced")
    assert [e.action for e in ledger.history("K0")] == ["create", "release"]


def test_the_writer_flushes_what_is_pending_when_the_step_dies(ledger):
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-dies", counts)
    writer.target = Target(stop_after=2)
    records = _records(4)
    with pytest.raises(Died):
        writer.run(records, 1)
    # The two records created before the crash are recorded (target id and audit event), not left pending.
    for n in range(2):
        assert ledger.get_xref(*_key(f"K{n}")).target_id == f"T-K{n}"
        assert [e.action for e in ledger.history(f"K{n}")] == ["create"]
    assert ledger.get_xref(*_key("K2")).target_id is None  # claimed, never created: the rerun creates it
    assert len(writer.deferred) == 0


@pytest.mark.parametrize(("batch", "recorded"), [(1, 2), (50, 0)])
def test_a_kill_between_the_create_and_the_flush_is_adopted_by_the_rerun_not_duplicated(
    ledger, batch, recorded
):
    target, records = Target(), _records(3)
    lost = DeferredWrites(batch=batch, max_age_seconds=60)  # the dying process's pending: never flushed
    for record in records:
        write_record(SPEC, target, ledger, record, run_id="killed", partition=None, deferred=lost)
    # Per record, K0 and K1 were recorded with the next claims; in a batch of 50, none was. The last's
    # target id (or all three) died with the process.
    for n in range(3):
        xref = ledger.get_xref(*_key(f"K{n}"))
        assert (xref.target_id is not None) == (n < recorded)
        assert xref.lease_owner == (None if n < recorded else "killed")

    counts: Counter[str] = Counter()
    rerun = PartitionWriter(
        SPEC,
        target,
        ledger,
        run_id="rerun",
        partition=None,
        lease=Lease("rerun", gone=lambda owner: owner == "killed"),  # Dagster says that run ended
        queued={},
        counts=counts,
    )
    rerun.run(records, 1)
    assert (counts["skip"], counts["adopt"], counts["create"]) == (recorded, 3 - recorded, 0)
    assert target.creates == Counter({"K0": 1, "K1": 1, "K2": 1})  # one copy each in the target
    assert ledger.get_xref(*_key("K2")).target_id == "T-K2"
    assert [e.action for e in ledger.history("K2")] == ["adopt"]


def test_a_deferred_record_the_ledger_refuses_is_queued_as_failed_with_why(ledger):
    # Another source record already holds the id the target hands back for K1: a duplicate in the target.
    with ledger.transaction() as conn:
        ledger.claim_xref(*_key("OTHER"), conn=conn)
        ledger.record_target(*_key("OTHER"), target_id="T-DUP", content_hash="h", conn=conn)
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-dup", counts)
    writer.target = Target(ids={"K1": "T-DUP"})
    writer.run(_records(3), 1)
    assert (counts["create"], counts["fail"], writer.written) == (2, 1, 2)
    (item,) = ledger.queue_for("K1")
    assert item.status == "failed" and "already the counterpart of SRC:OTHER" in item.reason
    k1 = ledger.get_xref(*_key("K1"))
    assert (k1.target_id, k1.lease_owner) == (None, None)  # not recorded; the next writer searches first
    assert [e.action for e in ledger.history("K1")] == ["fail"]
    for n in (0, 2):
        assert ledger.get_xref(*_key(f"K{n}")).target_id == f"T-K{n}"


def test_a_match_still_in_the_batch_is_not_adopted_by_a_second_record(ledger):
    # Two source records one target record answers for (one name): the first created it and waits in the
    # batch; the second's search finds it, and it is refused as another's counterpart, not adopted or
    # updated, exactly as when the first is recorded (``Ledger.find_xref_by_target`` sees the batch).
    target, deferred = Target(), DeferredWrites(batch=50, max_age_seconds=60)
    first, second = _records(2)
    second = Mapped(second.source_key, first.body, first.fields, first.natural_key)
    assert write_record(
        SPEC, target, ledger, first, run_id="r", partition=None, deferred=deferred
    ).action == ("create")
    assert ledger.get_xref(*_key("K0")).target_id is None  # still in the batch
    with pytest.raises(XrefConflict, match="already the counterpart of SRC:K0"):
        write_record(SPEC, target, ledger, second, run_id="r", partition=None, deferred=deferred)
    deferred.flush(ledger)
    assert (
        ledger.find_xref_by_target(SPEC.integration, SPEC.entity, SPEC.target_system, "T-K0").source_key
        == "K0"
    )
    assert target.creates == Counter({"K0": 1})
