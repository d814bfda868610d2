"""Does the webhook receiver keep up with a burst of deliveries? Ours against a bare inline-commit app.

Run by hand (not by pytest)::

    .venv/bin/python bench/webhook_receiver.py        # 5,000 events, 32 senders, SQLite, 3 rounds
    .venv/bin/python bench/webhook_receiver.py --pg postgresql+psycopg2://postgres@127.0.0.1:5432/test

Every event is a Coupa invoice call-out signed the way the Coupa source verifies it (HMAC-SHA256 of the
body, hex, in ``X-Coupa-Signature``), each with its own id so each is stored. The same events go, from
``--senders`` concurrent urllib3 senders, to

* ``bare``: a bare Starlette app that verifies the HMAC and commits each event inline on one SQLite
  connection (WAL, ``synchronous=FULL``: the ledger's durability), the floor to beat;
* ``receiver``: ``create_receiver`` over a SQLite ``Ledger`` (and, with ``--pg``, over PostgreSQL in a
  throwaway schema): the real app, source, freshness check and group-commit writer.

Each server runs under uvicorn in its own process (a free port it binds itself, a fresh database each
run), the senders here. ``--rounds`` rounds (default 3) alternate the sides, so a neighbour's burst on
a shared machine hits both; each run is printed, then the median round of each side and the ratios.
Every run checks that each event answered 200 is in the database once (nothing lost, nothing doubled).
It also prints the CPU time the server process and the senders spent per event: the rates move with
the neighbours' load, the CPU cost much less, and it shows which side of the socket is the bottleneck.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import urllib3

SECRET = "bench-coupa-callout-secret"
SOURCE = "coupa_invoices"
WARM_UP = 100


# -- the servers (run in child processes: ``serve bare|receiver URL``) ------------------------------------


def bare_app(db_path: str) -> Any:
    """Verify the HMAC, commit the event inline on one SQLite connection, answer."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS inbox (source TEXT, event_id TEXT, received_at TEXT, body BLOB,"
        " UNIQUE (source, event_id))"
    )

    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("x-coupa-signature", "").encode(), expected.encode()):
            return JSONResponse({"error": "signature"}, status_code=401)
        record = json.loads(body)
        event_id = f"invoices:{record['id']}:{record['updated-at']}"
        conn.execute("BEGIN IMMEDIATE")
        cursor = conn.execute(
            "INSERT OR IGNORE INTO inbox VALUES (?, ?, ?, ?)",
            (request.path_params["source"], event_id, datetime.now(UTC).isoformat(), body),
        )
        conn.execute("COMMIT")
        return JSONResponse({"stored": cursor.rowcount == 1, "event_id": event_id})

    return Starlette(routes=[Route("/webhooks/{source}", receive, methods=["POST"])])


def receiver_app(ledger_url: str) -> Any:
    from connector_resources.ledger import Ledger
    from connector_resources.webhooks import coupa_source, create_receiver

    return create_receiver({SOURCE: coupa_source(SOURCE, "invoices", secret=SECRET)}, Ledger(ledger_url))


def serve(kind: str, where: str) -> None:
    """Child process: bind a free port, say it on stdout, serve until terminated."""
    import uvicorn

    app = bare_app(where) if kind == "bare" else receiver_app(where)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
    uvicorn.Server(config).run(sockets=[sock])


# -- the senders ----------------------------------------------------------------------------------------


def signed_events(count: int, first_id: int) -> list[tuple[bytes, dict[str, str]]]:
    now = datetime.now(UTC).isoformat()
    events = []
    for n in range(first_id, first_id + count):
        body = json.dumps({"id": n, "invoice-number": f"INV-{n}", "status": "approved", "updated-at": now})
        data = body.encode()
        signature = hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest()
        events.append((data, {"X-Coupa-Signature": signature, "Content-Type": "application/json"}))
    return events


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (Linux ``/proc``): what serving cost, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    seconds: float
    latencies: list[float]
    failures: dict[int, int]
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def row(self, name: str) -> str:
        ordered = sorted(self.latencies)

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

        rate = len(ordered) / self.seconds
        failed = sum(self.failures.values())
        per_event = 1e6 / len(ordered)
        return (
            f"{name:<22} {rate:>9,.0f} {at(0.50):>9.1f} {at(0.99):>9.1f} {ordered[-1] * 1000:>9.1f}"
            f" {failed:>7} {self.server_cpu * per_event:>10.0f} {self.client_cpu * per_event:>10.0f}"
        )

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def p99(self) -> float:
        return sorted(self.latencies)[int(0.99 * len(self.latencies))]


def send_all(port: int, events: list[tuple[bytes, dict[str, str]]], senders: int) -> Result:
    """``senders`` threads, one keep-alive connection each, drain ``events``; first send to last answer.

    urllib3 rather than httpx: measured here, httpx's async client spent 2-4 ms of CPU per request (and
    its sync client 1.3 ms) against urllib3's 0.4 ms, so with httpx the senders, not the servers, set
    the rate on a 2-core machine.
    """
    latencies: list[float] = []
    failures: dict[int, int] = {}
    pending = iter(events)
    lock = threading.Lock()
    pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=senders, block=True, retries=False)
    path = f"/webhooks/{SOURCE}"

    def sender() -> None:
        while True:
            with lock:
                event = next(pending, None)
            if event is None:
                return
            body, headers = event
            started = time.perf_counter()
            response = pool.request("POST", path, body=body, headers=headers, timeout=60)
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                with lock:
                    failures[response.status] = failures.get(response.status, 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    pool.close()
    return Result(seconds, latencies, failures)


def run_side(kind: str, where: str, events: list, warm_up: list, senders: int) -> Result:
    child = subprocess.Popen(
        [sys.executable, __file__, "serve", kind, where], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        for _ in range(100):  # the port is bound before uvicorn accepts: wait for the first answer
            try:
                urllib3.request("GET", f"http://127.0.0.1:{port}/", timeout=2, retries=False)
                break
            except urllib3.exceptions.HTTPError:
                time.sleep(0.1)
        send_all(port, warm_up, senders)
        server, client = cpu_seconds(child.pid), time.process_time()
        result = send_all(port, events, senders)
        result.server_cpu = cpu_seconds(child.pid) - server
        result.client_cpu = time.process_time() - client
        return result
    finally:
        child.terminate()
        child.wait(timeout=30)


def stored_count(kind: str, where: str) -> int:
    if kind == "bare":
        with sqlite3.connect(where) as conn:
            return conn.execute("SELECT count(*) FROM inbox").fetchone()[0]
    from connector_resources.ledger import Ledger

    ledger = Ledger(where)
    try:
        return ledger.summary()["inbox_pending"]
    finally:
        ledger.dispose()


def fresh_database(kind: str, folder: Path, pg: str | None, schemas: list[str]) -> str:
    """A new, empty database for one run: a SQLite file, or a PostgreSQL schema (dropped at the end)."""
    if kind == "bare":
        return str(folder / f"bare-{uuid.uuid4().hex[:8]}.sqlite")
    if pg is None:
        return f"sqlite:///{folder / f'ledger-{uuid.uuid4().hex[:8]}.sqlite'}"
    import sqlalchemy as sa

    schemas.append(f"bench_webhooks_{uuid.uuid4().hex[:8]}")
    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schemas[-1]}"'))
    engine.dispose()
    url = sa.make_url(pg).update_query_dict({"options": f"-csearch_path={schemas[-1]}"})
    return url.render_as_string(hide_password=False)


def drop_schemas(pg: str, schemas: list[str]) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg)
    with engine.begin() as conn:
        for schema in schemas:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--events", type=int, default=5000)
    parser.add_argument("-c", "--senders", type=int, default=32)
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds, sides alternating in each")
    parser.add_argument("--pg", help="also run the receiver over this PostgreSQL (throwaway schemas)")
    args = parser.parse_args()
    warm_up = signed_events(WARM_UP, 0)
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    sides = [("bare (inline, 1 conn)", "bare", None), ("receiver, SQLite", "receiver", None)]
    if args.pg:
        sides.append(("receiver, PostgreSQL", "receiver", args.pg))
    print(
        f"{args.events:,} signed Coupa events, {args.senders} concurrent urllib3 senders, {WARM_UP} warm-up,"
        f" {args.rounds} rounds; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"
    )
    header = (
        f"{'side':<22} {'events/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'non-200':>7}"
        f" {'server CPU':>10} {'sender CPU':>10}"
    )
    print(header + "  (CPU: microseconds per event)")
    results: dict[str, list[Result]] = {name: [] for name, _, _ in sides}
    schemas: list[str] = []
    try:
        for round_ in range(args.rounds):
            events = signed_events(args.events, WARM_UP + round_ * args.events)
            for name, kind, pg in sides:
                where = fresh_database(kind, folder, pg, schemas)
                result = run_side(kind, where, events, warm_up, args.senders)
                results[name].append(result)
                print(result.row(name), flush=True)
                answered = args.events + WARM_UP - sum(result.failures.values())
                stored = stored_count(kind, where)
                if stored != answered:
                    print(f"  !! {name}: {stored} stored, {answered} answered 200")
    finally:
        if args.pg and schemas:
            drop_schemas(args.pg, schemas)
    # The median round of each side by rate: one neighbour's burst on a shared machine moves a single run.
    median = {name: sorted(runs, key=lambda r: r.rate)[len(runs) // 2] for name, runs in results.items()}
    print(f"\nmedian round of each side (load average {os.getloadavg()[0]:.1f} at the end)")
    print(header)
    for name, result in median.items():
        print(result.row(name))
    bare = median[sides[0][0]]
    for name, result in list(median.items())[1:]:
        print(
            f"{name} / bare: {result.rate / bare.rate:.2f}x events/s, "
            f"p99 {result.p99 * 1000:.1f} ms vs {bare.p99 * 1000:.1f} ms ({bare.p99 / result.p99:.2f}x lower)"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3])
    else:
        main()
