"""How fast does the exceptions desk's queue page answer over a big retry queue?

Run by hand (not by pytest)::

    .venv/bin/python bench/desk_queue.py --pg postgresql+psycopg2://postgres@127.0.0.1/test
    .venv/bin/python bench/desk_queue.py --items 100000 --sqlite-too --pg postgresql+psycopg2://postgres@127.0.0.1/test

It bulk-loads ``--items`` retry-queue items (each flow of every integration, every state: failed due and not
yet due, held, resolved, abandoned) with two audit events each (a fail with its day, one with a target
id), straight through SQLAlchemy Core in large batches, in a throwaway PostgreSQL schema; then serves the
real desk (``connector_cli.desk.app.build_app``) with uvicorn on a free loopback port and times full HTTP
GETs of the queue page as a signed-in viewer (requests, one connection kept): the first page, each state,
one integration and flow, a day, a search by a source key, by a target id and by words of the reason, one
kind of refusal, and an older page. Prints p50 / p95 / max per page in milliseconds; the bar is 300 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import sqlalchemy as sa
from ledger_lookups import _pg_schema_url  # bench/ is the script's folder, first on sys.path

from connector_assets.deployment import integration_components
from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger, describe_url, normalize_url, schema
from connector_resources.ledger.queue import refusal_columns
from connector_resources.refusals import Refusal, mapping_missing, period_closed, source_invalid
from connector_sandbox.serve import serve_in_thread


def declared_flows() -> dict[str, tuple[str, ...]]:
    """Every integration's flows, by integration, as their packages declare them: the queue is spread over
    all of them, so a new flow is in the bench's queue without an edit here."""
    return {
        component.name: tuple(spec.name for spec in component.specs) for component in integration_components()
    }


REASONS = (
    "GL account {n} has no BILL chart of accounts entry",
    "supplier {n} (Acme Ltd): no tax ID in JDE",
    "invoice {n} is dated 2026-10-29, in A/P period 2026-10 of company 00001, which is closed",
    "purchase order {n}: cost code 01-{n} has no JDE account in the mapping",
)
BATCH = 10_000


def refusal(reason: str, n: int) -> Refusal:
    """The refusal of ``REASONS``' sentence ``reason`` (of value ``n``), as the flows queue it: two missing
    mapping rows (one exception per value: ``exception_causes``), a source field, a closed period."""
    kind = REASONS.index(next(r for r in REASONS if r.split(" ")[0] == reason.split(" ")[0]))
    if kind == 0:
        return mapping_missing(reason, table="jde_bill/account_map", what="GL account", value=str(n))
    if kind == 1:
        return source_invalid(reason, field="tax id")
    if kind == 2:
        return period_closed(reason, system="JDE", ledger="00001.AP", day="2026-10-29")
    return mapping_missing(reason, table="procore_jde/cost_code_map", what="cost code", value=f"01-{n}")


def load(ledger: Ledger, items: int) -> float:
    """``items`` queue items and two audit events each; seconds taken."""
    started = time.perf_counter()
    rng = random.Random(7)
    pairs = [(i, f) for i, flows in declared_flows().items() for f in flows]
    now = datetime.now(UTC)
    with ledger.engine.begin() as conn:
        for first in range(0, items, BATCH):
            queue, events = [], []
            for n in range(first, min(items, first + BATCH)):
                integration, flow = pairs[n % len(pairs)]
                status = rng.choices(("failed", "held", "resolved", "abandoned"), (5, 2, 2, 1))[0]
                created = now - timedelta(minutes=items - n)
                key = f"{n:08d}"
                reason = REASONS[n % len(REASONS)].format(n=n % 997)
                refused = refusal_columns(refusal(reason, n % 997))
                queue.append(
                    {
                        "integration": integration,
                        "flow": flow,
                        "entity": flow.rstrip("s"),
                        "source_key": key,
                        "payload": json.dumps({"number": key, "amount": "100.00"}),
                        "reason": reason,
                        **refused,
                        "status": status,
                        "attempts": n % 4,
                        "next_attempt_at": now + timedelta(minutes=rng.randint(-60, 60)),
                        "depends_on": f"{integration}:supplier:JDE:{n % 500}" if status == "held" else None,
                        "created_at": created,
                        "updated_at": created,
                        "resolved_at": created if status in ("resolved", "abandoned") else None,
                    }
                )
                day = (now - timedelta(days=n % 30)).date().isoformat()
                for action, target in (("fail", None), ("hold", f"T-{n:08d}")):
                    events.append(
                        {
                            "at": created,
                            "integration": integration,
                            "flow": flow,
                            "entity": flow.rstrip("s"),
                            "source_system": "JDE",
                            "source_id": key,
                            "target_system": "target",
                            "target_id": target,
                            "action": action,
                            "partition_key": day,
                            "reason": "refused",
                        }
                    )
            conn.execute(sa.insert(schema.retry_queue), queue)
            conn.execute(sa.insert(schema.audit_event), events)
    if ledger.engine.dialect.name == "postgresql":
        with ledger.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # what autovacuum does to a table of this size
    return time.perf_counter() - started


def pages(items: int) -> dict[str, dict[str, str]]:
    older = max(items - 500, 1)
    return {
        "first page": {},
        "awaiting replay": {"state": "due"},
        "held": {"state": "held"},
        "abandoned": {"state": "abandoned"},
        "one flow": {"integration": "jde_bill", "flow": "bills"},
        "one flow, one day": {
            "integration": "jde_bill",
            "flow": "bills",
            "day": (datetime.now(UTC) - timedelta(days=3)).date().isoformat(),
        },
        "search a source key": {"q": f"{items // 2:08d}"},
        "search a target id": {"q": f"T-{items // 3:08d}"},
        "search words of the reason": {"q": "no tax id"},
        "one kind of refusal": {"state": "due", "kind": refusal(REASONS[0].format(n=1), 1).group},
        "an older page": {"before": str(older)},
    }


def run(label: str, url: str, items: int, repeat: int) -> None:
    ledger = Ledger(url)
    try:
        print(f"\n## {label}: {items:,} queue items, {2 * items:,} audit events")
        print(f"load: {load(ledger, items):.1f} s")
        ledger.add_desk_user("bench", "bench-password-1", "viewer", replace=True)
        base, stop = serve_in_thread(build_app(ledger, Access()), port=0)
        try:
            browser = requests.Session()
            browser.get(f"{base}/login", timeout=30)
            token = browser.cookies[CSRF_COOKIE]
            signed = browser.post(
                f"{base}/login",
                data={"name": "bench", "password": "bench-password-1", "csrf": token},
                timeout=30,
            )
            assert signed.ok, signed.text
            print(f"{'page':<28}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'rows':>6}")
            for name, params in pages(items).items():
                took, rows = [], 0
                for _ in range(repeat):
                    started = time.perf_counter()
                    answer = browser.get(f"{base}/queue", params=params, timeout=60)
                    took.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, (name, answer.status_code)
                    rows = answer.text.count('class="item"')
                took.sort()
                p95 = took[min(len(took) - 1, int(len(took) * 0.95))]
                print(f"{name:<28}{statistics.median(took):>9.1f}{p95:>9.1f}{took[-1]:>9.1f}{rows:>6}")
        finally:
            stop()
    finally:
        ledger.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="retry-queue items to load")
    parser.add_argument("--repeat", type=int, default=20, help="GETs timed per page")
    parser.add_argument("--pg", metavar="URL", required=True, help="PostgreSQL (a throwaway schema is used)")
    parser.add_argument("--sqlite-too", action="store_true", help="also on a SQLite file in a temp dir")
    args = parser.parse_args(argv)
    shown = [describe_url(a) if "://" in a else a for a in sys.argv]
    print("command:", " ".join(shlex.quote(a) for a in shown))
    schema_name = f"mlc_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(normalize_url(args.pg))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    try:
        run("PostgreSQL", _pg_schema_url(args.pg, schema_name), args.items, args.repeat)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema_name}" CASCADE'))
        admin.dispose()
    if args.sqlite_too:
        with tempfile.TemporaryDirectory(prefix="mlc-bench-") as tmp:
            run("SQLite", f"sqlite:///{Path(tmp) / 'ledger.sqlite'}", args.items, args.repeat)


if __name__ == "__main__":
    main()
