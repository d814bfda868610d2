"""A replay's queued records searched a chunk at a time (``flows.replay_ahead``), as a write step's are: one
``find_many`` per chunk of one flow's items, made after the replay's claims on them are durable; a match
it finds adopted; what it leaves out searched alone by ``find``; and a record written under another
natural key than it was searched by makes it and the rest of its chunk search alone. On SQLite and
PostgreSQL (``db_url``), with the in-memory batch target of the write step's tests.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import pytest
from test_flow_deferred_writes import SPEC, _key, _records
from test_flow_found_ahead import BatchTarget

from connector_assets.flows.core import Mapped, Rejected, queue_failure
from connector_assets.flows.replay_ahead import HeldAhead, payload_key
from connector_assets.flows.replays import Replay, build_replays
from connector_assets.flows.write_once import UNSEARCHED, Claimed
from connector_resources.ledger import Ledger
from connector_resources.replay import REPLAY_CHUNK, replay_items

RUN = "replay-run"


@pytest.fixture
def registered():
    """``SPEC``'s replay (``Replay``) writing to the target the test sets (``holder[0]``), and
    the ``Replays`` built of it."""
    holder: list[BatchTarget] = []

    @contextmanager
    def open_target(resources, ledger, spec):
        yield holder[0]

    flow = SimpleNamespace(spec=SPEC, replay=Replay(open_target, lambda: {}))
    return holder, build_replays([flow])


def _queue(ledger: Ledger, records: list[Mapped]) -> None:
    for record in records:
        rejected = Rejected(record.source_key, "refused", record.to_payload())
        queue_failure(SPEC, ledger, rejected, run_id="run-0", partition=None)


def test_a_replay_searches_a_chunk_once_after_its_claims_and_what_it_leaves_out_alone(ledger, registered):
    records = _records(REPLAY_CHUNK + 10)
    holder, replays = registered
    holder.append(target := BatchTarget(ledger, RUN, unsettled={"K4"}))
    target.rows["T-old"] = records[2].natural_key["name"]  # created by an attempt that was not recorded
    _queue(ledger, records)
    summary = replay_items(
        ledger, ledger.due(integration=SPEC.integration, flow=SPEC.name), replays, run_id=RUN
    )
    assert len(summary.replayed) == len(records) and not summary.failed
    assert [len(batch) for batch in target.batches] == [REPLAY_CHUNK, 10]
    assert all(target.leased_at_search) and len(target.leased_at_search) == len(records)
    assert target.finds == Counter({"K4": 1})  # only what the batch did not settle
    assert sum(target.creates.values()) == len(records) - 1 and "K2" not in target.creates
    assert ledger.get_xref(*_key("K2")).target_id == "T-old"
    assert all(ledger.get_xref(*_key(r.source_key)).lease_owner is None for r in records)


def test_a_record_replayed_alone_is_searched_as_before(ledger, registered):
    records = _records(1)
    holder, replays = registered
    holder.append(target := BatchTarget(ledger, RUN))
    _queue(ledger, records)
    replay_items(ledger, ledger.due(integration=SPEC.integration, flow=SPEC.name), replays, run_id=RUN)
    assert target.batches == [] and target.finds == Counter({"K0": 1})


def test_a_record_mapped_to_another_key_leaves_it_and_the_rest_of_its_chunk_to_their_own_search(ledger):
    records = _records(3)
    xrefs = {r.source_key: ledger.claim_xref(*_key(r.source_key), owner=RUN) for r in records}
    held = HeldAhead(
        {r.source_key: (_searched_by(r), Claimed(xrefs[r.source_key], None)) for r in records}, False
    )
    assert held.take(records[0]) == {"K0": Claimed(xrefs["K0"], None)}  # as searched: the batch's answer
    renamed = Mapped("K1", records[1].body, records[1].fields, {"name": "renamed"})
    assert held.take(renamed) == {"K1": Claimed(xrefs["K1"], UNSEARCHED)}
    assert held.take(records[2]) == {"K2": Claimed(xrefs["K2"], UNSEARCHED)}  # it may create K1's name
    assert held.take(records[2]) is None and held.claims == {}


def _searched_by(record: Mapped) -> str:
    return payload_key(Mapped.from_payload(record.to_payload()).natural_key)


def _remapping(holder: list[BatchTarget], remap) -> tuple[object, object]:
    """``SPEC`` with a ``remap`` reading its records from the source again, and its replays."""

    @contextmanager
    def open_target(resources, ledger, spec):
        yield holder[0]

    spec = replace(SPEC, remap=remap)
    flow = SimpleNamespace(spec=spec, replay=Replay(open_target, lambda: {}))
    return spec, build_replays([flow])


def test_a_replay_reads_a_chunk_again_from_the_source_in_one_remap_call(ledger):
    records = _records(REPLAY_CHUNK + 3)
    by_key = {r.source_key: r for r in records}
    calls: list[list[str]] = []

    def remap(context, keys):
        calls.append(list(keys))
        assert context.resources.ledger.get() is ledger
        for key in keys:
            if key == "K1":  # a record it names has not synced yet: held again
                yield Rejected(key, "waits for its supplier", held_on="supplier:7")
            elif key != "K2":  # K2 is gone from the source
                yield by_key[key]

    holder: list[BatchTarget] = [BatchTarget(ledger, RUN)]
    spec, replays = _remapping(holder, remap)
    _queue(ledger, records)
    summary = replay_items(
        ledger, ledger.due(integration=spec.integration, flow=spec.name), replays, run_id=RUN
    )
    assert sorted(map(len, calls)) == [3, REPLAY_CHUNK]  # one source read per chunk, none per record
    assert len(summary.replayed) == len(records) - 2 and len(summary.held) == 1 and len(summary.failed) == 1
    assert "no longer in" in ledger.open_items(status="failed")[0].reason


def test_a_chunk_the_source_cannot_read_at_once_is_read_a_record_at_a_time(ledger):
    records = _records(3)
    by_key = {r.source_key: r for r in records}
    calls: list[list[str]] = []

    def remap(context, keys):
        calls.append(list(keys))
        if len(keys) > 1:
            raise RuntimeError("the source refused the list read")
        yield by_key[keys[0]]

    holder: list[BatchTarget] = [BatchTarget(ledger, RUN)]
    spec, replays = _remapping(holder, remap)
    _queue(ledger, records)
    summary = replay_items(
        ledger, ledger.due(integration=spec.integration, flow=spec.name), replays, run_id=RUN
    )
    assert calls == [["K0", "K1", "K2"], ["K0"], ["K1"], ["K2"]]
    assert len(summary.replayed) == 3 and not summary.failed


def test_a_replay_without_the_source_it_reads_writes_each_payload_as_queued_unless_superseded(ledger):
    """``Replay.source``: given resources without it (Coupa -> JDE given JDE alone), a replay writes each
    record's queued payload, never calling ``remap``, and leaves one ``superseded`` names unwritten."""
    records = _records(3)
    reads: list[list[str]] = []

    def remap(context, keys):
        reads.append(list(keys))
        yield from ()

    @contextmanager
    def open_target(resources, ledger, spec):
        yield target

    def superseded(spec, item, ledger) -> str:
        return "superseded by a newer version from the source" if item.source_key == "K1" else ""

    target = BatchTarget(ledger, RUN)
    spec = replace(SPEC, remap=remap)
    replay = Replay(open_target, lambda: {"target": object()}, source="source", superseded=superseded)
    replays = build_replays([SimpleNamespace(spec=spec, replay=replay)])
    _queue(ledger, records)
    summary = replay_items(
        ledger, ledger.due(integration=spec.integration, flow=spec.name), replays, run_id=RUN
    )
    assert reads == []  # the source was not among the resources: nothing read again
    assert len(summary.replayed) == 2 and len(summary.already) == 1 and not summary.failed
    assert set(target.creates) == {"K0", "K2"}
