"""How fast are the ledger's per-record look-ups once it holds millions of rows?

Run by hand (not by pytest)::

    .venv/bin/python bench/ledger_lookups.py                      # 1,000,000 xrefs, SQLite in a temp dir
    .venv/bin/python bench/ledger_lookups.py -n 200000 --pg postgresql+psycopg2://postgres@127.0.0.1/test

It bulk-loads N cross-references and N x ``--events`` audit events (straight through SQLAlchemy
Core in large batches: going through ``Ledger`` one transaction per row would benchmark the load,
not the look-ups), then times ``get_xref``, ``find_xref_by_target`` and ``history`` through the
real ``Ledger`` API on random keys and prints p50 / p99 latencies and each query's plan, so a
missing index shows up as a scan rather than only as a slow number. On PostgreSQL it works in a
throwaway schema that is dropped afterwards (``--keep`` to inspect it).
"""

from __future__ import annotations

import argparse
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from connector_resources.ledger import Ledger, describe_url, normalize_url, schema

INTEGRATIONS = ("coupa", "bill", "procurify", "procore")
BATCH = 20_000


def _xref_key(i: int) -> tuple[str, str, str, str, str]:
    return (INTEGRATIONS[i % len(INTEGRATIONS)], "supplier", "JDE", f"{i:09d}", "target")


def _target_id(i: int) -> str:
    return f"T-{i:09d}"


def load(ledger: Ledger, n: int, events_per_record: int) -> float:
    """Insert the rows; returns seconds taken."""
    base = datetime(2024, 1, 1, tzinfo=UTC)
    started = time.perf_counter()
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        xrefs, events = [], []
        for i in range(start, stop):
            integration, entity, source_system, source_key, target_system = _xref_key(i)
            at = base + timedelta(seconds=i)
            xrefs.append(
                {
                    "integration": integration,
                    "entity": entity,
                    "source_system": source_system,
                    "source_key": source_key,
                    "target_system": target_system,
                    "target_id": _target_id(i),
                    "content_hash": f"{i:064x}",
                    "state": "synced",
                    "manual": False,
                    "created_at": at,
                    "updated_at": at,
                }
            )
            for e in range(events_per_record):
                events.append(
                    {
                        "at": at + timedelta(milliseconds=e),
                        "integration": integration,
                        "flow": f"{entity}_sync",
                        "entity": entity,
                        "source_system": source_system,
                        "source_id": source_key,
                        "target_system": target_system,
                        "target_id": _target_id(i),
                        "action": "create" if e == 0 else "update",
                        "run_id": f"run-{i // 1000}",
                        "partition_key": at.date().isoformat(),
                        "reason": "created in the target" if e == 0 else "amount changed in JDE",
                    }
                )
        with ledger.transaction() as conn:
            conn.execute(sa.insert(schema.xref), xrefs)
            if events:
                conn.execute(sa.insert(schema.audit_event), events)
        print(f"\r  loaded {stop:,}/{n:,} records", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    with ledger.engine.connect() as conn:  # planner statistics, as a production database would have
        conn.execute(sa.text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - started


def _time(samples: list[int], call: Callable[[int], object]) -> tuple[float, float]:
    durations = []
    for i in samples:
        t0 = time.perf_counter()
        result = call(i)
        durations.append((time.perf_counter() - t0) * 1000)
        if not result:
            raise AssertionError(f"look-up for record {i} found nothing: the load or the query is wrong")
    quantiles = statistics.quantiles(durations, n=100)
    return quantiles[49], quantiles[98]


def _plans(ledger: Ledger) -> dict[str, str]:
    """The database's plan for each look-up, compressed to one line."""
    probe = _xref_key(1)
    t, a = schema.xref, schema.audit_event
    queries = {
        "get_xref": sa.select(t).where(
            *(
                t.c[c] == v
                for c, v in zip(
                    ("integration", "entity", "source_system", "source_key", "target_system"),
                    probe,
                    strict=True,
                )
            )
        ),
        "find_xref_by_target": sa.select(t).where(
            t.c.integration == probe[0],
            t.c.entity == probe[1],
            t.c.target_system == probe[4],
            t.c.target_id == _target_id(1),
        ),
        "history": sa.select(a)
        .where(sa.or_(a.c.source_id == probe[3], a.c.target_id == probe[3]))
        .order_by(a.c.at, a.c.id),
        "xrefs_for": sa.select(t).where(
            sa.or_(t.c.source_key == _target_id(1), t.c.target_id == _target_id(1))
        ),
    }
    prefix = "EXPLAIN QUERY PLAN " if ledger.engine.dialect.name == "sqlite" else "EXPLAIN "
    plans = {}
    with ledger.engine.connect() as conn:
        for name, query in queries.items():
            sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
            rows = conn.exec_driver_sql(prefix + sql).all()
            plans[name] = " | ".join(str(r[-1]).strip() for r in rows)
    return plans


def run(label: str, url: str, n: int, lookups: int, events_per_record: int) -> None:
    ledger = Ledger(url)
    try:
        print(f"\n== {label}: {describe_url(url)}")
        seconds = load(ledger, n, events_per_record)
        rate = n * (1 + events_per_record) / seconds
        events = n * events_per_record
        print(f"load: {n:,} xrefs + {events:,} audit events in {seconds:.1f} s ({rate:,.0f} rows/s)")
        samples = random.Random(42).sample(range(n), min(lookups, n))
        results = {
            "get_xref": _time(samples, lambda i: ledger.get_xref(*_xref_key(i))),
            "find_xref_by_target": _time(
                samples,
                lambda i: ledger.find_xref_by_target(_xref_key(i)[0], "supplier", "target", _target_id(i)),
            ),
            "history": _time(samples, lambda i: ledger.history(_xref_key(i)[3])),
            "xrefs_for (by id)": _time(samples, lambda i: ledger.xrefs_for(_target_id(i))),
        }
        print(f"{'look-up':<22}{'p50 ms':>10}{'p99 ms':>10}   ({len(samples):,} random keys)")
        for name, (p50, p99) in results.items():
            print(f"{name:<22}{p50:>10.3f}{p99:>10.3f}")
        for name, plan in _plans(ledger).items():
            print(f"plan {name}: {plan}")
    finally:
        ledger.dispose()


def _pg_schema_url(url: str, schema_name: str) -> str:
    return (
        sa.make_url(normalize_url(url))
        .update_query_dict({"options": f"-csearch_path={schema_name}"})
        .render_as_string(hide_password=False)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--records", type=int, default=1_000_000, help="cross-references to load")
    parser.add_argument("--events", type=int, default=2, help="audit events per record (default 2)")
    parser.add_argument("--lookups", type=int, default=2_000, help="random keys timed per look-up")
    parser.add_argument("--sqlite", type=Path, help="SQLite file to create (default: a temp dir)")
    parser.add_argument(
        "--pg", metavar="URL", help="also benchmark PostgreSQL at URL (in a throwaway schema)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file / PostgreSQL schema")
    args = parser.parse_args(argv)

    shown = [describe_url(a) if "://" in a else a for a in sys.argv]
    print("command:", " ".join(shlex.quote(a) for a in shown))

    with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp:
        path = args.sqlite or Path(tmp) / "ledger.sqlite"
        if path.exists():
            sys.exit(f"{path} exists; the benchmark loads into a fresh file")
        run("SQLite", f"sqlite:///{path}", args.records, args.lookups, args.events)
        if args.keep and args.sqlite is None:
            kept = Path.cwd() / f"ledger-bench-{uuid.uuid4().hex[:6]}.sqlite"
            path.replace(kept)
            print(f"kept {kept}")

    if args.pg:
        schema_name = f"mlc_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(normalize_url(args.pg))
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
        try:
            run("PostgreSQL", _pg_schema_url(args.pg, schema_name), args.records, args.lookups, args.events)
        finally:
            if args.keep:
                print(f"kept schema {schema_name}")
            else:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
