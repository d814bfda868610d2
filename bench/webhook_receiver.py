"""Does the webhook receiver keep up with a burst of deliveries? Ours against a bare inline-commit app.

Run by hand (not by pytest)::

    apt-get install -y wrk                            # the load generator (C); else urllib3 threads
    .venv/bin/python bench/webhook_receiver.py        # wrk, 5 s per run, 32 connections, SQLite, 3 rounds
    .venv/bin/python bench/webhook_receiver.py --pg postgresql+psycopg2://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/webhook_receiver.py --client urllib3 -n 5000   # the earlier in-process senders

Every event is a Coupa invoice call-out signed the way the Coupa source verifies it (HMAC-SHA256 of the
body, hex, in ``X-Coupa-Signature``), each with its own id so each is stored. The same events go, from
one load generator, to

* ``bare``: a bare Starlette app that verifies the HMAC and commits each event inline on one SQLite
  connection (WAL, ``synchronous=FULL``: the ledger's durability), the floor to beat;
* ``receiver``: ``create_receiver`` over a SQLite ``Ledger`` (and, with ``--pg``, over PostgreSQL in a
  throwaway schema): the real app, source, freshness check and group-commit writer.

The load generator is ``wrk`` by default (``--senders`` keep-alive connections for ``--seconds``, a Lua
script handing each request the next pre-signed event): measured here, it spends 30-40 us of CPU per
request against ~350 us for 32 urllib3 threads in this process, which on 2 cores took CPU the server
needed and so set both the rate and the tail. ``--client urllib3`` sends ``--events`` events the old way.

Each server runs under uvicorn in its own process (a free port it binds itself, a fresh database each
run). ``--workers N`` adds, for each receiver side, a run of N receiver processes under uvicorn's
multi-process supervisor (what ``uvicorn --workers N`` does), to see whether more processes than one
help; the bare app is always one process with one connection, the shape the goal is set for. ``--rounds``
rounds (default 3) alternate the sides, so a neighbour's burst on a shared machine hits both; each run
is printed, then the median round of each side and the ratios. Every run checks that each event answered
200 is in the database once (nothing lost, nothing doubled; with wrk, up to one request per connection
may be stored with its answer cut off by wrk's deadline). It also prints the CPU time the server process
and the load generator spent per event: the rates move with the neighbours' load, the CPU cost much
less, and it shows which side of the socket is the bottleneck. ``all CPU`` is what every core of the
machine spent busy per event during the load (the database and neighbours too) and ``busy`` that as a
share of all cores: near 100 % the rate is bound by the machine's cores, and ``all CPU`` times a target
rate says how many cores that rate needs.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
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


def receiver_from_env() -> Any:
    """``--workers``: the app factory each uvicorn worker process calls; it says it is ready by leaving a
    file named after its pid (each worker builds its own ledger and inbox writer first)."""
    app = receiver_app(os.environ["BENCH_LEDGER_URL"])
    Path(os.environ["BENCH_READY_DIR"], f"ready-{os.getpid()}").touch()
    return app


def serve(kind: str, where: str, workers: int = 1) -> None:
    """Child process: bind a free port, say it on stdout, serve until terminated."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    if workers > 1:  # uvicorn's own supervisor, as ``uvicorn --workers N`` runs an app
        from uvicorn.supervisors import Multiprocess

        print(sock.getsockname()[1], flush=True)
        os.environ["BENCH_LEDGER_URL"] = where
        target = "webhook_receiver:receiver_from_env"
        config = uvicorn.Config(target, factory=True, workers=workers, log_level="warning", access_log=False)
        Multiprocess(config, sockets=[sock]).run()
        return
    app = bare_app(where) if kind == "bare" else receiver_app(where)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
    uvicorn.Server(config).run(sockets=[sock])


# -- the wrk load generator (the default: C, so the senders leave the CPU to the server) --------------------

# Each wrk thread takes every n-th line of the events file (``signature body``) and sends them in turn,
# one per request, on its connections; ``done`` prints the figures as one JSON line. A thread that runs
# out of events starts its slice again (redeliveries, answered 200 with ``stored: false``) and says so.
WRK_SCRIPT = r"""
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local file, every = args[1], tonumber(args[2])
  events, i, wrapped, n = {}, 0, 0, 0
  for line in io.lines(file) do
    if n % every == id then
      local space = line:find(" ", 1, true)
      table.insert(events, {line:sub(1, space - 1), line:sub(space + 1)})
    end
    n = n + 1
  end
end
function request()
  i = i + 1
  if i > #events then i, wrapped = 1, wrapped + 1 end
  local event = events[i]
  local headers = {["X-Coupa-Signature"] = event[1], ["Content-Type"] = "application/json"}
  return wrk.format("POST", nil, headers, event[2])
end
function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do wraps = wraps + thread:get("wrapped") end
  io.write(string.format(
    '{"requests": %d, "non2xx": %d, "socket_errors": %d, "seconds": %.6f, "p50": %d, "p99": %d,'
    .. ' "max": %d, "wrapped": %d}\n',
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), latency.max, wraps))
end
"""


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
    """User + system CPU time of process ``pid`` and its live descendants (Linux ``/proc``; with
    ``--workers`` the uvicorn supervisor's worker processes): what serving cost, whatever the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a helper that just exited
                total += cpu_seconds(int(child))
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (``/proc/stat``: user, nice,
    system, irq, softirq, steal): the server, the load generator, the database and any neighbour."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One run of one side: figures from either generator, CPU per event of both sides of the socket."""

    seconds: float
    answered: int  # responses received (any status)
    p50: float  # seconds
    p99: float
    max: float
    failures: dict[str, int]  # non-200 answers and socket errors, by kind
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_cpu: float = 0.0  # every core's busy seconds during the load, whoever spent them
    wrapped: int = 0  # wrk: slices sent again (redeliveries), 0 when the pool was large enough

    @property
    def rate(self) -> float:
        return self.answered / self.seconds

    @property
    def ok(self) -> int:
        return self.answered - sum(v for k, v in self.failures.items() if k != "socket")

    def row(self, name: str) -> str:
        per_event = 1e6 / max(1, self.answered)
        failed = sum(self.failures.values())
        return (
            f"{name:<30} {self.rate:>9,.0f} {self.p50 * 1000:>9.1f} {self.p99 * 1000:>9.1f}"
            f" {self.max * 1000:>9.1f} {failed:>7} {self.server_cpu * per_event:>10.0f}"
            f" {self.client_cpu * per_event:>10.0f} {self.machine_cpu * per_event:>10.0f}"
            f" {self.machine_cpu / self.seconds / (os.cpu_count() or 1):>6.0%}"
        )


def from_latencies(seconds: float, latencies: list[float], failures: dict[str, int]) -> Result:
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return Result(seconds, len(ordered), at(0.50), at(0.99), ordered[-1], failures)


def write_events_file(path: Path, events: list[tuple[bytes, dict[str, str]]]) -> None:
    """``signature body`` per line: what the wrk script sends (the bodies are one-line JSON)."""
    with path.open("wb") as out:
        for body, headers in events:
            out.write(headers["X-Coupa-Signature"].encode() + b" " + body + b"\n")


def send_wrk(port: int, events_file: Path, senders: int, seconds: float, threads: int) -> Result:
    """``wrk`` for ``seconds``, ``senders`` keep-alive connections on ``threads`` threads.

    wrk is C (epoll), so it spends a fraction of the CPU per request that a Python sender does: on a
    2-core machine the server, not the load generator, then sets the rate. Its CPU is the child's rusage.
    """
    script = events_file.with_suffix(".lua")
    script.write_text(WRK_SCRIPT)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{senders}",
            f"-d{round(seconds)}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/webhooks/{SOURCE}",
            "--",
            str(events_file),
            str(threads),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    failures = {}
    if figures["non2xx"]:
        failures["non-2xx"] = figures["non2xx"]
    if figures["socket_errors"]:
        failures["socket"] = figures["socket_errors"]
    result = Result(
        figures["seconds"],
        figures["requests"],
        figures["p50"] / 1e6,
        figures["p99"] / 1e6,
        figures["max"] / 1e6,
        failures,
        wrapped=figures["wrapped"],
    )
    result.client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def send_all(port: int, events: list[tuple[bytes, dict[str, str]]], senders: int) -> Result:
    """``senders`` threads, one keep-alive connection each, drain ``events``; first send to last answer.

    urllib3 rather than httpx: measured here, httpx's async client spent 2-4 ms of CPU per request (and
    its sync client 1.3 ms) against urllib3's 0.4 ms, so with httpx the senders, not the servers, set
    the rate on a 2-core machine.
    """
    latencies: list[float] = []
    failures: dict[str, int] = {}
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
                    failures[str(response.status)] = failures.get(str(response.status), 0) + 1

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    pool.close()
    return from_latencies(seconds, latencies, failures)


def run_side(
    kind: str, where: str, load: Callable[[int], Result], warm_up: list, senders: int, workers: int = 1
) -> Result:
    """Start ``kind``'s server on a fresh database, warm it up, then measure ``load(port)`` against it."""
    ready = Path(tempfile.mkdtemp(prefix="bench-ready-"))
    child = subprocess.Popen(
        [sys.executable, __file__, "serve", kind, where, str(workers)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path.cwd(),
        env={**os.environ, "BENCH_READY_DIR": str(ready)},
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        deadline = time.monotonic() + 60
        while workers > 1 and len(list(ready.iterdir())) < workers and time.monotonic() < deadline:
            time.sleep(0.1)  # every worker has built its app (and its ledger); it serves right after
        for _ in range(100):  # the port is bound before uvicorn accepts: wait for the first answer
            try:
                urllib3.request("GET", f"http://127.0.0.1:{port}/", timeout=2, retries=False)
                break
            except urllib3.exceptions.HTTPError:
                time.sleep(0.1)
        send_all(port, warm_up, senders)
        server, client, machine = cpu_seconds(child.pid), time.process_time(), machine_busy_seconds()
        result = load(port)
        result.machine_cpu = machine_busy_seconds() - machine
        result.server_cpu = cpu_seconds(child.pid) - server
        result.client_cpu += time.process_time() - client
        return result
    finally:
        child.terminate()
        child.wait(timeout=30)
        shutil.rmtree(ready, ignore_errors=True)


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


def check_stored(name: str, stored: int, result: Result, in_flight: int) -> None:
    """Every event answered 200 is in the database, once (distinct events: stored == answered 200).

    wrk stops at a deadline with up to one request per connection in flight: those may be stored without
    their answer being counted, so with wrk ``stored`` may exceed the 200s by up to the connections.
    """
    if result.wrapped:
        print(f"  !! {name}: wrk ran out of distinct events ({result.wrapped} slices sent again)")
    elif not result.ok <= stored <= result.ok + in_flight:
        print(f"  !! {name}: {stored} stored, {result.ok} answered 200")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--events", type=int, default=5000)
    parser.add_argument("-c", "--senders", type=int, default=32)
    parser.add_argument("-r", "--rounds", type=int, default=3, help="rounds, sides alternating in each")
    parser.add_argument("--pg", help="also run the receiver over this PostgreSQL (throwaway schemas)")
    parser.add_argument(
        "--client",
        choices=["wrk", "urllib3"],
        default="wrk" if shutil.which("wrk") else "urllib3",
        help="load generator: wrk (apt-get install wrk; default when installed) for --seconds, or"
        " --events sent by urllib3 threads in this process",
    )
    parser.add_argument("-d", "--seconds", type=int, default=5, help="wrk: seconds per run")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk: threads (each a CPU's worth)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="also run each receiver side as this many uvicorn worker processes sharing the port (each"
        " with its own writer), beside the single process; the bare app stays one process, one connection",
    )
    args = parser.parse_args()
    warm_up = signed_events(WARM_UP, 0)
    folder = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    sides = [("bare (inline, 1 conn)", "bare", None, 1), ("receiver, SQLite", "receiver", None, 1)]
    if args.workers > 1:
        sides.append((f"receiver, SQLite, {args.workers} proc", "receiver", None, args.workers))
    if args.pg:
        sides.append(("receiver, PostgreSQL", "receiver", args.pg, 1))
        if args.workers > 1:
            sides.append((f"receiver, PostgreSQL, {args.workers} proc", "receiver", args.pg, args.workers))
    if args.client == "wrk":
        # Enough distinct events that no slice is sent twice at several times the goal's rate.
        pool = max(args.events, int(args.seconds * 6000))
        what = f"wrk for {args.seconds:g} s per run ({pool:,} distinct signed Coupa events)"
        what += f", {args.senders} connections"
    else:
        pool = args.events
        what = f"{args.events:,} signed Coupa events, {args.senders} concurrent urllib3 senders"
    print(
        f"{what}, {WARM_UP} warm-up, {args.rounds} rounds; {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f} at start"
    )
    header = (
        f"{'side':<30} {'events/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'non-200':>7}"
        f" {'server CPU':>10} {'sender CPU':>10} {'all CPU':>10} {'busy':>6}"
    )
    print(header + "  (CPU: us per event; all: every core's, the database's too; busy: of all cores)")
    results: dict[str, list[Result]] = {name: [] for name, *_ in sides}
    schemas: list[str] = []
    try:
        for round_ in range(args.rounds):
            events = signed_events(pool, WARM_UP + round_ * pool)
            load: Callable[[int], Result]
            if args.client == "wrk":
                events_file = folder / f"events-{round_}.txt"
                write_events_file(events_file, events)
                load = partial(
                    send_wrk,
                    events_file=events_file,
                    senders=args.senders,
                    seconds=args.seconds,
                    threads=args.wrk_threads,
                )
            else:
                load = partial(send_all, events=events, senders=args.senders)
            for name, kind, pg, workers in sides:
                where = fresh_database(kind, folder, pg, schemas)
                result = run_side(kind, where, load, warm_up, args.senders, workers)
                results[name].append(result)
                print(result.row(name), flush=True)
                in_flight = args.senders if args.client == "wrk" else 0
                check_stored(name, stored_count(kind, where) - WARM_UP, result, in_flight)
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
    if len(sys.argv) == 5 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
