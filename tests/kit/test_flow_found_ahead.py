"""A target's batch search (``BatchFinder.find_many``, ``flows.found_ahead``) as the write step uses it: one
search per chunk of records, made after their claims are durable; a match it finds adopted as ``find``'s
is; what it leaves out searched alone by ``find``; a failed batch costs only the per-record searches; a
chunk holding a record another writer leases is not searched in a batch. On SQLite and PostgreSQL
(``db_url``), with the in-memory target of the deferred-writes tests.
"""

from __future__ import annotations

from collections import Counter

from test_flow_deferred_writes import SPEC, Target, _key, _records, _writer, _written_beside_a_live_lease

from connector_assets.flows.core import Lease, Mapped
from connector_assets.flows.found_ahead import SearchAhead
from connector_resources.ledger import Ledger


class BatchTarget(Target):
    """The in-memory target with ``find_many``: records it is given settled by name in one go, except those
    named in ``unsettled``; every search counted, and the ledger's leases seen at each batch noted."""

    def __init__(self, ledger: Ledger, run_id: str, unsettled: set[str] | None = None) -> None:
        super().__init__()
        self.ledger, self.run_id = ledger, run_id
        self.unsettled = unsettled or set()
        self.finds: Counter[str] = Counter()
        self.batches: list[list[str]] = []
        self.leased_at_search: list[bool] = []

    def find(self, record: Mapped) -> str | None:
        self.finds[record.source_key] += 1
        return super().find(record)

    def find_many(self, records: list[Mapped]) -> dict[str, str | None]:
        self.batches.append([r.source_key for r in records])
        self.leased_at_search.extend(
            self.ledger.get_xref(*_key(r.source_key)).lease_owner == self.run_id for r in records
        )
        return {r.source_key: Target.find(self, r) for r in records if r.source_key not in self.unsettled}


def test_a_chunk_is_searched_once_after_its_claims_and_what_it_leaves_out_alone(ledger):
    records = _records(120)
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-batch", counts)
    writer.target = target = BatchTarget(ledger, "run-batch", unsettled={"K7", "K60"})
    # One record is in the target already (a crashed attempt created it and was not recorded).
    target.rows["T-old"] = records[3].natural_key["name"]
    writer.run(records, 1)
    # The claims ahead come 50 at a time: three batches, each of records this run had claimed already.
    assert [len(batch) for batch in target.batches] == [50, 50, 20]
    assert all(target.leased_at_search) and len(target.leased_at_search) == 120
    assert target.finds == Counter({"K7": 1, "K60": 1})  # only what the batch did not settle
    assert counts["create"] == 119 and counts["adopt"] == 1
    assert sum(target.creates.values()) == 119 and "K3" not in target.creates
    assert ledger.get_xref(*_key("K3")).target_id == "T-old"
    assert [e.action for e in ledger.history("K3")] == ["adopt"]


class _Failing(BatchTarget):
    def find_many(self, records: list[Mapped]) -> dict[str, str | None]:
        raise ConnectionError("search refused")


def test_a_failed_batch_search_leaves_each_record_to_its_own(ledger):
    records = _records(5)
    counts: Counter[str] = Counter()
    writer = _writer(ledger, "run-fail", counts)
    writer.target = target = _Failing(ledger, "run-fail")
    writer.run(records, 1)
    assert counts["create"] == 5 and target.finds == Counter({f"K{n}": 1 for n in range(5)})


def test_a_chunk_with_a_record_another_writer_holds_is_searched_record_by_record(ledger, monkeypatch):
    target = BatchTarget(ledger, "run-mine")
    counts = _written_beside_a_live_lease(ledger, target, monkeypatch)
    assert target.batches == []
    assert counts["create"] == 3 and counts["leased"] == 1
    assert target.finds == Counter({"K0": 1, "K1": 1, "K3": 1})


def _days(ledger: Ledger, run_id: str, target, days: list[list[Mapped]]) -> tuple[Counter[str], SearchAhead]:
    """Write ``days`` in turn as a ranged write step does: a writer a day, one ``SearchAhead`` for all."""
    counts: Counter[str] = Counter()
    current = [0]
    ahead = SearchAhead(lambda: days[current[0] + 1 :])
    for n, records in enumerate(days):
        current[0] = n
        writer = _writer(ledger, run_id, counts)
        writer.target, writer.search_ahead = target, ahead
        writer.run(records, 1)
    return counts, ahead


def test_a_range_searches_its_next_days_with_the_end_of_a_day(ledger):
    records = _records(9)
    days = [records[:3], records[3:7], records[7:]]
    target = BatchTarget(ledger, "run-range")
    counts, ahead = _days(ledger, "run-range", target, days)
    # Day 1's own chunk, then with its end days 2 and 3 together; they use those claims and answers.
    assert target.batches == [["K0", "K1", "K2"], ["K3", "K4", "K5", "K6", "K7", "K8"]]
    assert all(target.leased_at_search) and not target.finds and not ahead.held
    assert counts["create"] == 9 and target.creates == Counter({r.source_key: 1 for r in records})
    assert all(ledger.get_xref(*_key(r.source_key)).lease_owner is None for r in records)


def test_a_key_written_again_on_a_later_day_ends_the_look_ahead_before_it(ledger):
    records = _records(5)
    again = Mapped("K1", {"name": "renamed"}, {"name": "renamed"}, {"name": "renamed"})
    days = [records[:2], [records[2], again, records[3]], [records[4]]]
    target = BatchTarget(ledger, "run-again")
    counts, _ = _days(ledger, "run-again", target, days)
    # Day 2's K1 was written on day 1: the window stops before it (its write depends on day 1's).
    assert target.batches[:2] == [["K0", "K1"], ["K2"]]
    assert counts["create"] == 5 and counts["update"] == 1
    assert target.creates == Counter({r.source_key: 1 for r in records})
    assert target.rows["T-K1"] == "renamed"


def test_claims_taken_ahead_for_days_never_written_are_ended(ledger):
    records = _records(4)
    target = BatchTarget(ledger, "run-stop")
    counts: Counter[str] = Counter()
    ahead = SearchAhead(lambda: [records[2:]])
    writer = _writer(ledger, "run-stop", counts)
    writer.target, writer.search_ahead = target, ahead
    writer.run(records[:2], 1)
    assert set(ahead.held) == {"K2", "K3"}
    assert ledger.get_xref(*_key("K2")).lease_owner == "run-stop"
    ahead.release(SPEC, ledger, Lease("run-stop"))  # the step ends before day 2 is written
    assert not ahead.held and ledger.get_xref(*_key("K2")).lease_owner is None
    assert ledger.claim_xref(*_key("K3"), owner="run-next").lease_owner == "run-next"
