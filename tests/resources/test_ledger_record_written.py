"""``Ledger.record_written``: a write step's batch of written records recorded at once (target ids and
hashes, audit events, and which of them have records held on them), on SQLite and PostgreSQL alike. The
write step's tests cover it through ``flows.deferred``; these pin the batch itself: rows that share
some audit fields and differ in others, a record the batch cannot record, a held record reported.
"""

from __future__ import annotations

from connector_resources.ledger import Ledger, Recording, dependency_key

FLOW = ("batch_test", "thing", "SRC", "tgt")


def _key(source_key: str) -> tuple[str, str, str, str, str]:
    return (*FLOW[:3], source_key, FLOW[3])


def _recording(source_key: str, target_id: str, *, action: str = "create", reason: str = "created", **audit):
    return Recording(
        *FLOW[:3],
        source_key,
        FLOW[3],
        target_id,
        f"hash-{source_key}",
        {
            "integration": FLOW[0],
            "flow": "things",
            "entity": FLOW[1],
            "source_system": FLOW[2],
            "source_id": source_key,
            "target_system": FLOW[3],
            "run_id": audit.get("run_id", "run-1"),
            "partition_key": audit.get("partition_key", "2026-11-01"),
            "action": action,
            "reason": reason,
        },
    )


def test_a_batch_of_mixed_events_is_recorded_each_with_its_own_fields(ledger):
    keys = ["A", "B", "C", "D"]
    ledger.claim_xrefs(*FLOW[:3], keys, FLOW[3], owner="run-1")
    ledger.record_target(*_key("D"), target_id="T-D", content_hash="old")  # an update of a written one
    batch = [
        _recording("A", "T-A"),
        _recording("B", "T-B", reason="created, 50% off"),  # a % in a shared or own value stays itself
        _recording("C", "T-C", run_id="run-2", partition_key="2026-11-02"),
        _recording("D", "T-D", action="update", reason="changed in the source"),
    ]
    with ledger.transaction() as conn:
        recorded = ledger.record_written(batch, conn=conn)
    assert recorded.done == [True, True, True, True] and recorded.held == frozenset()
    for item in batch:
        xref = ledger.get_xref(*_key(item.source_key))
        assert (xref.target_id, xref.content_hash, xref.state, xref.lease_owner) == (
            item.target_id,
            item.content_hash,
            "synced",
            None,
        )
        events = [e for e in ledger.history(item.source_key) if e.flow == "things"]
        assert [(e.action, e.reason, e.target_id, e.run_id, e.partition_key) for e in events] == [
            (
                item.audit["action"],
                item.audit["reason"],
                item.target_id,
                item.audit["run_id"],
                item.audit["partition_key"],
            )
        ]


def test_a_target_id_that_is_another_records_leaves_the_whole_batch_for_one_by_one(ledger):
    ledger.claim_xrefs(*FLOW[:3], ["A", "B", "X"], FLOW[3], owner="run-1")
    ledger.record_target(*_key("X"), target_id="T-taken", content_hash="h")
    with ledger.transaction() as conn:
        recorded = ledger.record_written([_recording("A", "T-A"), _recording("B", "T-taken")], conn=conn)
    assert recorded.done == [False, False]
    # Nothing is reported recorded and no audit event written: each is then recorded alone. (On SQLite an
    # update before the failing one may stay, holding exactly what recording it alone writes again.)
    assert ledger.get_xref(*_key("A")).target_id in (None, "T-A")
    assert ledger.get_xref(*_key("B")).target_id is None
    assert ledger.history("A") == [] and ledger.history("B") == []


def test_the_records_that_others_are_held_on_are_named(ledger):
    ledger.claim_xrefs(*FLOW[:3], ["A", "B"], FLOW[3], owner="run-1")
    ledger.enqueue(
        integration=FLOW[0],
        flow="orders",
        entity="order",
        source_key="ORDER-1",
        payload={"body": {}},
        reason="waits for thing B",
        status="held",
        depends_on=dependency_key(*FLOW[:3], "B"),
    )
    with ledger.transaction() as conn:
        recorded = ledger.record_written([_recording("A", "T-A"), _recording("B", "T-B")], conn=conn)
    assert recorded.done == [True, True]
    assert recorded.held == {dependency_key(*FLOW[:3], "B")}


def test_the_fields_a_batch_reads_shared_or_own_are_every_field_of_an_audit_event():
    """``record_written`` tells an event's shared fields from its own by these names: a field added to
    ``Ledger.audit`` without them would be taken from another event of the batch."""
    import inspect

    from connector_resources.ledger.audit import _AUDIT_FIELDS, _AUDIT_OWN, _AUDIT_SHARED

    assert set(inspect.signature(Ledger._audit_values).parameters) == _AUDIT_FIELDS
    assert not set(_AUDIT_OWN) & set(_AUDIT_SHARED)
