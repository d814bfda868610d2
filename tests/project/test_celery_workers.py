"""The production profile: a run's steps execute on Celery workers (dagster-celery, Redis broker).

Everything is real and in its own process: a ``redis-server`` of the test's own (on a unix socket, so no
port is bound), two ``dagster-celery worker start`` workers, a Dagster instance on a fresh PostgreSQL
database (deploy/postgres/dagster.yaml), the ledger on the same database, the JD Edwards and Coupa
simulators with Coupa's rate limit on, and three runs of the JDE -> Coupa suppliers job (one day each,
as a backfill launches them) started at once with ``dagster job execute``, whose executor is Celery
because ``ML_RUN_EXECUTOR=celery``.

What it proves:
- every step of every run executed on a Celery worker, and both workers took steps;
- each supplier of the three days is in Coupa at most once and written once by the ledger (or queued with
  the matching rule's reason, never both);
- Coupa's limit held across the workers: the write pool (``write_coupa``, limit 1, in the instance
  database) let one write step call Coupa at a time (no two runs' write steps overlap in the event log),
  and the simulator refused no call with a 429.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from jde_coupa_world import coupa_supplier_numbers, jde_coupa_world, suppliers_of_day
from roots import ROOT
from unavailable import unavailable

from connector_resources.ledger import Ledger

pytestmark = pytest.mark.timeout(1200)  # redis, Celery workers and runs on them: load 15 too

BIN = Path(sys.executable).parent
SANDBOX_MAPS = ROOT / "mappings" / "sandbox"
JOB = "jde_coupa_suppliers"
WRITE_STEP = "jde_coupa__suppliers_written"
WORKERS = ("worker-a", "worker-b")
WRITES = ("create", "adopt", "update")


def _missing(what: str) -> None:
    unavailable(f"the Celery profile test needs {what}")


@pytest.fixture
def redis_socket() -> Iterator[Path]:
    """A redis-server of the test's own, listening only on a unix socket (a short path: the limit is 107)."""
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server (Debian package redis-server) on PATH")
    folder = Path(tempfile.mkdtemp(prefix="mlc-redis-"))
    socket_path = folder / "redis.sock"
    server = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket_path), "--unixsocketperm", "700", "--save", ""]
        + ["--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        deadline = time.monotonic() + 120
        while True:
            try:
                if socket_path.exists() and redis.Redis(unix_socket_path=str(socket_path)).ping():
                    break
            except redis.ConnectionError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "redis did not start in 120 s"
            time.sleep(0.05)
        yield socket_path
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _start_worker(name: str, env: dict[str, str], logs: Path) -> subprocess.Popen:
    """``dagster-celery worker start`` in the foreground, in a process group of its own (it runs
    ``celery worker`` as a child, which runs a pool of one)."""
    with (logs / f"{name}.log").open("w") as log:
        return subprocess.Popen(
            [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app"]
            + ["-y", str(ROOT / "deploy" / "celery" / "worker.yaml"), "-n", name, "-l", "WARNING"]
            + ["--", "--concurrency", "1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_for_workers(broker: str, names: tuple[str, ...], processes: list[subprocess.Popen]) -> None:
    from dagster_celery.make_app import make_app

    app = make_app({"broker": broker, "backend": broker})
    deadline = time.monotonic() + 600
    while True:
        answered = {host.split("@")[0] for reply in app.control.ping(timeout=1.0) for host in reply}
        if set(names) <= answered:
            return
        assert all(p.poll() is None for p in processes), "a worker exited before answering"
        assert time.monotonic() < deadline, f"workers did not answer in 600 s (answered: {answered})"


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _days_with_suppliers(jde_root: str) -> dict[str, dict[int, str]]:
    """Three days before the sandbox's anchor with suppliers, each supplier on one day only."""
    anchor = dt.date.fromisoformat(
        requests.get(f"{jde_root}/sandbox/state", timeout=10).json()["seed"]["anchor_date"]
    )
    chosen: dict[str, dict[int, str]] = {}
    seen: set[int] = set()
    for back in range(1, 90):
        day = (anchor - dt.timedelta(days=back)).isoformat()
        suppliers = suppliers_of_day(jde_root, day)
        if suppliers and not seen & set(suppliers):
            chosen[day] = suppliers
            seen |= set(suppliers)
        if len(chosen) == 3:
            return chosen
    raise AssertionError(f"the JDE sandbox's seed has fewer than 3 days with suppliers: {chosen}")


def test_runs_execute_their_steps_on_two_celery_workers_and_write_each_record_once(
    tmp_path, redis_socket, pg_database, monkeypatch
):
    url, name = pg_database
    db_url = url.set(database=name).render_as_string(hide_password=False)
    broker = f"redis+socket://{redis_socket}"
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "postgres" / "dagster.yaml", home / "dagster.yaml")
    instance_env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_USERNAME": url.username or "postgres",
        "DAGSTER_PG_PASSWORD": url.password or "",
        "DAGSTER_PG_HOST": url.host or "127.0.0.1",
        "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_DB": name,
    }
    for key, value in instance_env.items():
        monkeypatch.setenv(key, value)

    with jde_coupa_world(tmp_path, jde_scale=0.1, coupa_scale=0.02) as world:
        jde_root = world.jde_url.removesuffix("/jderest")
        days = _days_with_suppliers(jde_root)
        # Coupa's documented limit on (the world turns it off for flow tests): the runs must keep it.
        requests.post(f"{world.coupa_url}/sandbox/faults", json={"rate_limit_enabled": True}, timeout=10)
        env = {
            **os.environ,
            **instance_env,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "ML_RUN_EXECUTOR": "celery",
            "ML_CELERY_BROKER_URL": broker,
            "ML_CELERY_BACKEND_URL": broker,
            "ML_JDE_AIS_URL": world.jde_url,
            "ML_COUPA_URL": world.coupa_url,
            "ML_CONNECTOR_DB_URL": db_url,
            # The sandboxes' own tables, named (an unset map is refused once an address is set).
            "ML_JDE_COUPA_PAYMENT_TERMS_MAP": str(SANDBOX_MAPS / "jde_coupa_payment_terms.csv"),
            "ML_JDE_COUPA_ACCOUNT_MAP": str(SANDBOX_MAPS / "jde_coupa_accounts.csv"),
            "ML_CONNECTOR_VAULT_KEY": Fernet.generate_key().decode(),
        }

        from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

        from connector_assets.definitions import defs
        from connector_assets.flows.assets import apply_write_pool_limits

        with DagsterInstance.get() as instance:
            limits = apply_write_pool_limits(instance, defs.assets or [])
        assert limits.get("write_coupa") == 1, limits

        workers = [_start_worker(n, env, tmp_path) for n in WORKERS]
        try:
            _wait_for_workers(broker, WORKERS, workers)
            runs = [
                subprocess.Popen(
                    [str(BIN / "dagster"), "job", "execute", "-m", "connector_assets.definitions", "-j", JOB]
                    + ["--tags", json.dumps({"dagster/partition": day})],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for day in days
            ]
            outputs = [run.communicate(timeout=480)[0] for run in runs]
        finally:
            _stop(workers)
        logs = {n: (tmp_path / f"{n}.log").read_text() for n in WORKERS}
        assert [run.returncode for run in runs] == [0] * len(days), (outputs[-1][-3000:], logs)

        with DagsterInstance.get() as instance:
            records = instance.get_run_records()
            assert sorted(r.dagster_run.tags["dagster/partition"] for r in records) == sorted(days)
            assert {r.dagster_run.status for r in records} == {DagsterRunStatus.SUCCESS}
            worker_of_step: dict[tuple[str, str], str] = {}
            write_spans: list[tuple[float, float]] = []
            for record in records:
                run = record.dagster_run
                assert run.job_name == JOB
                assert str(redis_socket) not in json.dumps(run.run_config), "the broker is read at run time"
                for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
                    data = entry.dagster_event.engine_event_data
                    metadata = data.metadata if data else {}
                    if "Celery worker" in metadata:
                        worker_of_step[(run.run_id, entry.step_key)] = metadata["Celery worker"].value
                succeeded = {
                    (run.run_id, e.step_key)
                    for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_SUCCESS)
                }
                assert succeeded and succeeded <= set(worker_of_step), (succeeded, worker_of_step)
                bounds = [
                    e.timestamp
                    for kind in (DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS)
                    for e in instance.all_logs(run.run_id, of_type=kind)
                    if e.step_key == WRITE_STEP
                ]
                write_spans.append((min(bounds), max(bounds)))
        assert {host.split("@")[0] for host in worker_of_step.values()} == set(WORKERS), worker_of_step
        # The write pool held across the workers: no two runs' Coupa write steps overlapped in time.
        write_spans.sort()
        assert len(write_spans) == len(days)
        assert all(a[1] <= b[0] for a, b in pairwise(write_spans)), write_spans

        state = requests.get(f"{world.coupa_url}/sandbox/state", timeout=10).json()
        assert state["rate_limited"] == 0, state

        ledger = Ledger(db_url)
        try:
            in_coupa = coupa_supplier_numbers(world.coupa_url)
            queued = {
                item.source_key: item.reason
                for item in ledger.open_items(integration="jde_coupa", flow="suppliers", limit=10_000)
            }
            written = 0
            for an8 in (an8 for suppliers in days.values() for an8 in suppliers):
                writes = [e.action for e in ledger.history(str(an8)) if e.action in WRITES]
                if str(an8) in queued:
                    assert (writes, in_coupa[str(an8)]) == ([], 0), (an8, writes, queued[str(an8)])
                    continue
                assert writes in (["create"], ["adopt"]), (an8, writes)
                assert in_coupa[str(an8)] <= 1, (an8, in_coupa[str(an8)])
                written += 1
        finally:
            ledger.dispose()
        assert written > 0, "no supplier of the three days was written"
