"""Two (or more) webhook receiver processes on one PostgreSQL ledger, every event sent to each at once:
how fast do the replicas get through a burst of duplicated deliveries, and is each event still stored once?

Run by hand (not by pytest)::

    .venv/bin/python bench/webhook_receivers_scale_out.py          # 2 receivers, 400 events, 3 rounds
    .venv/bin/python bench/webhook_receivers_scale_out.py --events 2000 --receivers 3
    .venv/bin/python bench/webhook_receivers_scale_out.py --pg postgresql+psycopg2://user@host:5432/db

What production runs: the receiver with replicas behind one Service, all on one PostgreSQL ledger, and a
sender (Coupa retrying a call-out it thinks timed out) whose two copies of one event land on different
replicas at the same moment. Each round starts ``--receivers`` real receivers (uvicorn, a process each, a
fresh PostgreSQL schema per round), then sends every event to every receiver at once from one asyncio
client (``--connections`` keep-alive connections in all), receiver ``i`` taking the events in ascending
order when ``i`` is even and descending when odd, so concurrent group commits hold the same keys in
opposite orders (the case where two inserts into one unique index can deadlock). It prints per round the
deliveries per second (first send to last answer), p50/p99 latency, and checks every delivery was answered
200, exactly one receiver stored each event and the inbox holds each once; then the median round.

The suite keeps the correctness half of this on a small burst
(``tests/resources/test_webhook_receivers_scale_out.py``); the rates belong here, where a neighbour's load
on a shared machine is read as noise in a figure rather than as a slow test.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from receiver_process import receiver_port, start_receiver  # noqa: E402

from connector_resources.ledger import Ledger  # noqa: E402

SECRET = "whsec-bench-scale-out"
SOURCE = "coupa_invoices"
PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _callout(record_id: int, now: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"id": record_id, "invoice-number": f"INV-{record_id}", "updated-at": now}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {"X-Coupa-Signature": signature, "Content-Type": "application/json"}


async def _deliver(
    urls: list[str], events: int, now: str, connections: int
) -> tuple[float, list[float], dict]:
    """Every event to every receiver at once; the seconds from first send to last answer, each
    delivery's latency, and the answers by event."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # Sends go out in the interleaved order, ``connections`` at a time: left to httpx's pool, hundreds of
    # waiting requests cost the client more CPU than the receivers spend (400 events: 33 s against 10 s).
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def post(url: str, n: int) -> tuple[int, float, httpx.Response]:
            body, headers = _callout(n, now)
            async with gate:
                started = time.perf_counter()
                answer = await client.post(url, content=body, headers=headers)
                return n, time.perf_counter() - started, answer

        orders = [range(events) if i % 2 == 0 else reversed(range(events)) for i in range(len(urls))]
        queues = [[post(url, n) for n in order] for url, order in zip(urls, orders, strict=True)]
        interleaved = [call for group in zip(*queues, strict=True) for call in group]
        started = time.perf_counter()
        done = await asyncio.gather(*interleaved)
        seconds = time.perf_counter() - started
    answers: dict[int, list[httpx.Response]] = {}
    for n, _, answer in done:
        answers.setdefault(n, []).append(answer)
    return seconds, [latency for _, latency, _ in done], answers


def _schema(pg: str) -> tuple[str, sa.Engine, str]:
    name = f"mlc_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg)
    with admin.begin() as conn:
        conn.execute(sa.text(f'create schema "{name}"'))
    url = sa.engine.make_url(pg).update_query_dict({"options": f"-csearch_path={name}"})
    return url.render_as_string(hide_password=False), admin, name


def one_round(pg: str, receivers: int, events: int, connections: int) -> dict[str, float]:
    db_url, admin, name = _schema(pg)
    children: list[subprocess.Popen] = []
    try:
        Ledger(db_url).dispose()  # migrated before the receivers start
        urls = []
        for _ in range(receivers):
            children.append(start_receiver(SOURCE, SECRET, db_url))
            urls.append(f"http://127.0.0.1:{receiver_port(children[-1])}/webhooks/{SOURCE}")
        for url in urls:  # the port is bound before uvicorn serves: wait for its first answer
            while True:
                try:
                    httpx.get(url.rsplit("/webhooks", 1)[0] + "/", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        now = datetime.now(UTC).isoformat()
        seconds, latencies, answers = asyncio.run(_deliver(urls, events, now, connections))
        statuses = sorted({a.status_code for group in answers.values() for a in group})
        assert statuses == [200], f"every delivery acknowledged (503: a refused batch): {statuses}"
        for n, group in answers.items():
            stored = sorted(a.json()["stored"] for a in group)
            assert stored == [False] * (receivers - 1) + [True], f"event {n}: stored by {stored.count(True)}"
        ledger = Ledger(db_url)
        try:
            kept = [e.event_id for e in ledger.inbox_pending(source=SOURCE, limit=10 * events)]
        finally:
            ledger.dispose()
        assert len(kept) == len(set(kept)) == events, (len(kept), len(set(kept)))
        ordered = sorted(latencies)
        return {
            "seconds": seconds,
            "rate": len(latencies) / seconds,
            "p50": ordered[len(ordered) // 2],
            "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        }
    finally:
        for child in children:
            child.kill()
            child.wait(timeout=30)
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{name}" cascade'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a throwaway schema per round)")
    parser.add_argument("--receivers", type=int, default=2)
    parser.add_argument("-n", "--events", type=int, default=400, help="distinct events (each sent to all)")
    parser.add_argument("--connections", type=int, default=64, help="client connections in all")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"{args.receivers} receivers, {args.events} events each sent to all, {args.connections} connections"
    )
    print(f"{'round':<7} {'seconds':>8} {'deliveries/s':>13} {'p50 ms':>8} {'p99 ms':>8}")
    rounds = []
    for n in range(args.rounds):
        figures = one_round(args.pg, args.receivers, args.events, args.connections)
        rounds.append(figures)
        print(
            f"{n + 1:<7} {figures['seconds']:>8.2f} {figures['rate']:>13,.0f} {figures['p50'] * 1000:>8.1f}"
            f" {figures['p99'] * 1000:>8.1f}"
        )
    rates = sorted(r["rate"] for r in rounds)
    print(f"median: {rates[len(rates) // 2]:,.0f} deliveries/s; each event stored once in every round")


if __name__ == "__main__":
    main()
