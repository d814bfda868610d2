"""Our CPU per record for map + validate + ledger over 100,000 records, with a target that answers at once.

Run by hand (not by pytest)::

    .venv/bin/python bench/flow_cpu_100k.py                                  # 100,000 records, SQLite
    .venv/bin/python bench/flow_cpu_100k.py --ledger-records 10000          # the ledger on the first 10,000
    .venv/bin/python bench/flow_cpu_100k.py --pg postgresql+psycopg2://postgres@127.0.0.1:5432/test

The flow is JD Edwards -> Coupa suppliers (the reference integration), its own code: ``mapped_supplier``
(the pure mapper), ``validate`` with its pandera schema (twice, as the mapped step and the write step each
run it), and ``write_record`` into a fresh ledger of its own against a target that answers at once (no
search hit, a create that returns an id), so nothing here waits for an API. The records are made up: JDE
supplier documents with names, tax IDs and payment terms from the sandbox's terms table.

Each stage is timed with ``time.thread_time`` (this thread's CPU, so disk and lock waits are not counted)
and reported in microseconds per record. The records are written by the write step's own loop
(``PartitionWriter``, one worker): the look-ups of each page of ``LOOKUP_PAGE`` records in one query
(``Ledger.get_xrefs``), the claims of a batch of ``ML_LEDGER_RECORD_BATCH`` records (or ``--batch``) taken
ahead in one commit (``Ledger.claim_xrefs``), and the written records' target ids, audit events and
releases of held records recorded a batch at a time in the transaction of the next claim ahead, and
flushed at the end.

The ledger stage is split into the durable claim (``claim_xrefs`` and any ``claim_xref``: the lease that
must be on disk before a create, the one write a crash-safe create cannot do without, with its commit) and
everything else the ledger does per record (the look-up, recording the target id with its audit event,
releasing what waited). The deferred records' statements run inside a claim's transaction; their CPU
(``DeferredWrites.write_in``) is taken out of the claim and counted beyond it, and so is the final flush.
The commit they share is counted with the claim, which would pay it anyway. A second pass over the same
records measures the unchanged rerun (skip). The goal (issue "Performance", item 7) is at most 50 us per
record for map + validate + the ledger beyond the claim.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flow_cpu import sql_counted  # bench/, beside this file: the SQL statements and commits an engine sends

from connector_assets.components import JdeCoupa
from connector_assets.flows.core import Lease, Mapped, validate
from connector_assets.flows.deferred import DeferredWrites
from connector_assets.flows.writer import PartitionWriter
from connector_assets.integrations.jde_coupa.suppliers import mapped_supplier
from connector_assets.jde.documents import JdeSupplier
from connector_resources.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
PARTS = JdeCoupa().parts  # the default instance's suppliers flow, its own code
SUPPLIERS_FLOW, PAYMENT_TERMS = PARTS.flow("suppliers").spec, PARTS.mapping_table("payment_terms_map")
TERMS = {"N30": "Net 30", "N45": "Net 45", "N60": "Net 60", "N10": "Net 10", "2/10": "2% 10 Net 30"}
GOAL_US = 50.0
COUNTS = ("create", "update", "adopt", "skip", "fail", "leased", "released")


def suppliers(count: int, seed: int = 7) -> list[JdeSupplier]:
    """``count`` JDE suppliers (F0401 + F0101 rows) as the readers hand them to the mapper."""
    rng = random.Random(seed)
    words = ["Acme", "Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adatum"]
    kinds = ["Supply", "Materials", "Crane Hire", "Steel", "Electric", "Plumbing", "Logistics"]
    terms = sorted(TERMS)
    out = []
    for n in range(count):
        an8 = 100_000 + n
        name = f"{rng.choice(words)} {rng.choice(kinds)} {n}"
        out.append(
            JdeSupplier(
                number=an8,
                supplier={"AN8": an8, "TRAP": rng.choice(terms), "UPMJ": 126_300},
                address={"AN8": an8, "ALPH": name, "TAX": f"{rng.randrange(10**8, 10**9)}", "AT1": "V"},
            )
        )
    return out


class _AnsweringTarget:
    """A target that answers at once: no natural-key match, a create that returns a fresh id."""

    def find(self, record: Mapped) -> str | None:
        return None

    def create(self, record: Mapped) -> str:
        return f"bench-{record.source_key}"

    def update(self, target_id: str, record: Mapped) -> None:
        return None


_cpu = threading.local()


@contextmanager
def claim_cpu_counted(ledger: Ledger, deferred: DeferredWrites) -> Iterator[Callable[[], float]]:
    """Count the CPU spent inside ``ledger.claim_xref`` and ``ledger.claim_xrefs`` (the durable claims,
    their commits included) while the block runs, less the deferred records written in their transactions
    (``DeferredWrites.write_in``)."""
    original, original_many, write_in = ledger.claim_xref, ledger.claim_xrefs, deferred.write_in
    _cpu.claim = _cpu.flushed = 0.0

    def counted(action: Callable[..., Any], into: str) -> Callable[..., Any]:
        """``action``, its thread CPU added to ``_cpu.<into>``."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return action(*args, **kwargs)
            finally:
                setattr(_cpu, into, getattr(_cpu, into) + time.thread_time() - started)

        return timed

    ledger.claim_xref = counted(original, "claim")  # type: ignore[method-assign]
    ledger.claim_xrefs = counted(original_many, "claim")  # type: ignore[method-assign]
    deferred.write_in = counted(write_in, "flushed")  # type: ignore[method-assign]
    try:
        yield lambda: _cpu.claim - _cpu.flushed
    finally:
        ledger.claim_xref = original  # type: ignore[method-assign]
        ledger.claim_xrefs = original_many  # type: ignore[method-assign]
        deferred.write_in = write_in  # type: ignore[method-assign]


def timed(action: Callable[[], Any]) -> tuple[Any, float]:
    started = time.thread_time()
    result = action()
    return result, time.thread_time() - started


def ledger_url(args: argparse.Namespace, scratch: Path) -> tuple[str, Callable[[], None]]:
    """A fresh ledger: SQLite in ``scratch``, or a throwaway schema on the PostgreSQL server given."""
    if not args.pg:
        return f"sqlite:///{scratch / 'ledger.sqlite'}", lambda: None
    schema = f"bench_cpu_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(args.pg)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in args.pg else "?"

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    return f"{args.pg}{sep}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument(
        "--ledger-records", type=int, default=None, help="write the first N through the ledger (default: all)"
    )
    parser.add_argument(
        "--pg", help="a PostgreSQL URL for the ledger (a throwaway schema is made and dropped)"
    )
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="records recorded together (default ML_LEDGER_RECORD_BATCH; 1: each with the next claim)",
    )
    args = parser.parse_args()
    documents = suppliers(args.records)

    mapped, map_cpu = timed(lambda: [mapped_supplier(doc, TERMS, PAYMENT_TERMS) for doc in documents])
    records = [r for r in mapped if isinstance(r, Mapped)]
    assert len(records) == len(documents), "every made-up supplier maps"
    # A process's first validate imports pandas and pandera and builds the model (``lazy_model``): a
    # cost per step process, not per record, reported on its own line.
    _, first_validate_cpu = timed(lambda: validate(SUPPLIERS_FLOW, records[:10]))
    checked, validate_cpu = timed(
        lambda: (validate(SUPPLIERS_FLOW, records), validate(SUPPLIERS_FLOW, records))
    )
    assert not checked[0].rejected, checked[0].rejected[:3]

    writes = records[: args.ledger_records or len(records)]
    with tempfile.TemporaryDirectory(prefix="flow-cpu-") as scratch:
        url, drop = ledger_url(args, Path(scratch))
        ledger = Ledger(url)
        try:
            ledger.summary()  # engine and schema made before the clock starts
            target, run_id = _AnsweringTarget(), f"bench-{uuid.uuid4().hex[:8]}"
            lease = Lease.for_writer(run_id)

            def writer() -> PartitionWriter:
                """The write step's loop, one worker, as ``flows.written_step`` builds it for a partition."""
                written = PartitionWriter(
                    SUPPLIERS_FLOW,
                    target,
                    ledger,
                    run_id=run_id,
                    partition=None,
                    lease=lease,
                    queued={},
                    counts=dict.fromkeys(
                        ("create", "update", "adopt", "skip", "fail", "leased", "released"), 0
                    ),
                )
                written.deferred = DeferredWrites(
                    batch=args.batch, max_age_seconds=None if args.batch is None else 60
                )
                return written

            first, again = writer(), writer()
            deferred = first.deferred
            with sql_counted(ledger.engine) as first_sql, claim_cpu_counted(ledger, deferred) as claim:
                _, create_cpu = timed(lambda: first.run(writes, 1))
                claim_cpu = claim()
            assert first.counts["create"] == len(writes), first.counts
            with sql_counted(ledger.engine) as rerun_sql:
                _, skip_cpu = timed(lambda: again.run(writes, 1))
            assert again.counts["skip"] == len(writes), again.counts
        finally:
            ledger.dispose()
            drop()

    n, w = len(records), len(writes)
    per = {
        "map": map_cpu / n * 1e6,
        "validate (both steps)": validate_cpu / n * 1e6,
        "ledger: durable claim": claim_cpu / w * 1e6,
        "ledger: beyond the claim": (create_cpu - claim_cpu) / w * 1e6,
        "ledger: unchanged rerun (skip)": skip_cpu / w * 1e6,
    }
    kind = "PostgreSQL" if args.pg else "SQLite"
    print(
        f"records {n:,} mapped and validated; {w:,} written through a fresh {kind} ledger, recorded "
        f"and claimed in batches of {deferred.batch}"
    )
    print(
        f"once per step process: the first validate (pandas, pandera, the model) "
        f"{first_validate_cpu * 1e3:.0f} ms of CPU, left out below"
    )
    print(f"{'stage':34} {'us / record':>12}")
    for stage, value in per.items():
        print(f"{stage:34} {value:12.1f}")
    beside_claim = per["map"] + per["validate (both steps)"] + per["ledger: beyond the claim"]
    print(
        f"{'map + validate + ledger beyond claim':34} {beside_claim:12.1f}   goal <= {GOAL_US:.0f} us: "
        f"{beside_claim / GOAL_US:.1f}x the goal"
    )
    print(
        f"per record written: {first_sql['commits'] / w:.3f} commits, {first_sql['statements'] / w:.2f} "
        f"statements through SQLAlchemy (the batches' statements on the driver's cursor not counted); "
        f"rerun: {rerun_sql['commits'] / w:.3f} commits, {rerun_sql['statements'] / w:.2f} statements"
    )


if __name__ == "__main__":
    main()
