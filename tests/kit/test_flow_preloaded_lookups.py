"""A write step's look-ups made a page at a time (``Ledger.get_xrefs``, ``PartitionWriter._preload``)
instead of one read transaction per record. The page is only a hint: a stale one may cost a claim, never
a second create nor a lost write, and an unchanged record is still skipped without a write.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)
from test_flow_deferred_writes import SPEC, Target, _key, _records, _writer

from connector_assets.flows import writer as writer_module
from connector_assets.flows.core import Lease, write_record
from connector_resources.ledger import Ledger


def _count_selects(ledger: Ledger) -> Counter[str]:
    """Counts the SELECTs on xref run one key at a time vs a page at a time, on both engines."""
    seen = Counter[str]()

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        text = " ".join(statement.split()).lower()
        if text.startswith("select") and "from mlc_xref" in text and "target_id =" not in text:
            seen["page" if " in (" in text else "one"] += 1

    sa.event.listen(ledger.engine, "before_cursor_execute", count)  # its read view shares the events
    return seen


def test_get_xrefs_answers_every_key_looked_up(ledger):
    records = _records(3)
    for record in records[:2]:
        write_record(SPEC, Target(), ledger, record, run_id="r1", partition=None)
    keys = [r.source_key for r in records] + ["x" * 10_000]  # too long: left to the one-by-one path
    found = ledger.get_xrefs(SPEC.integration, SPEC.entity, SPEC.source_system, keys, SPEC.target_system)
    assert set(found) == {"K0", "K1", "K2"}
    assert found["K0"].target_id == "T-K0" and found["K1"].target_id == "T-K1"
    assert found["K2"] is None
    assert found["K0"] == ledger.get_xref(*_key("K0"))


def test_write_step_looks_up_a_page_per_query_and_skips_unchanged(ledger, monkeypatch):
    monkeypatch.setattr(writer_module, "LOOKUP_PAGE", 4)
    records, target = _records(10), Target()
    first = Counter[str]()
    w = _writer(ledger, "r1", first)
    w.target = Target()
    w.run(records, workers=1)
    assert first["create"] == 10
    seen = _count_selects(ledger)
    rerun = Counter[str]()
    w = _writer(ledger, "r2", rerun)
    w.target = target
    w.run(records, workers=2)
    assert rerun["skip"] == 10 and not target.creates
    assert seen["page"] == 3  # 10 keys in pages of 4
    assert seen["one"] == 0  # no per-record look-up, no claim: unchanged records are skipped unwritten


def test_stale_page_saying_unknown_costs_a_claim_never_a_create(ledger):
    (record,) = _records(1)
    stale = ledger.get_xrefs(SPEC.integration, SPEC.entity, SPEC.source_system, ["K0"], SPEC.target_system)
    assert stale == {"K0": None}
    write_record(SPEC, Target(), ledger, record, run_id="r1", partition=None)  # written meanwhile
    target = Target()
    result = write_record(
        SPEC, target, ledger, record, run_id="r2", partition=None, lease=Lease("r2"), preloaded=stale
    )
    assert result.action == "skip" and result.target_id == "T-K0"
    assert not target.creates


def test_second_record_of_a_key_reads_the_ledger_again(ledger):
    """The page answers a key's first look-up only: the second record of the key in one step sees what
    the first wrote (an update of the same target record, not a second create)."""
    first, *_ = _records(1)
    changed = type(first)(first.source_key, {"name": "changed"}, first.natural_key, {"name": "changed"})
    counts, target = Counter[str](), Target()
    w = _writer(ledger, "r1", counts)
    w.target = target
    w.run([first, changed], workers=1)
    assert counts["create"] == 1 and counts["update"] == 1
    assert sum(target.creates.values()) == 1
    assert ledger.get_xref(*_key("K0")).content_hash == changed.content_hash()
