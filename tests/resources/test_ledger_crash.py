"""kill -9 in the middle of a ledger transaction leaves nothing half-written, on SQLite and PostgreSQL.

This is the property the write path relies on: "target id recorded" and "audit event appended"
happen together or not at all, whatever happens to the process in between.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading

import sqlalchemy as sa
from roots import ROOT

from connector_resources.ledger import Ledger

MARKER = "INSIDE-TRANSACTION"
CHILD_APP = "mlc-crash-child"

# The child writes a claim, a target id and an audit event in one transaction, proves it can see
# its own uncommitted rows, tells the parent, and waits to be killed.
CHILD = f"""
import sys, time
from connector_resources.ledger import Ledger

ledger = Ledger(sys.argv[1], migrate=False)
key = ("coupa", "supplier", "JDE", "4343", "coupa")
with ledger.transaction() as conn:
    ledger.claim_xref(*key, conn=conn)
    ledger.record_target(*key, "C-crash", "hash", conn=conn)
    ledger.audit(integration="coupa", flow="suppliers", action="create", source_id="4343",
                 target_id="C-crash", reason="created in Coupa", conn=conn)
    seen = ledger.get_xref(*key, conn=conn).target_id
    print("{MARKER}", seen, flush=True)
    time.sleep(120)
"""


def _wait_for_line(stream, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def _child_url(db_url: str) -> str:
    url = sa.make_url(db_url)
    if url.get_backend_name() == "postgresql":
        url = url.update_query_dict({"application_name": CHILD_APP})
    return url.render_as_string(hide_password=False)


def _transaction_is_open(db_url: str) -> bool:
    """Independent evidence that the child holds an open, uncommitted write transaction."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                state = conn.execute(
                    sa.text("SELECT state FROM pg_stat_activity WHERE application_name = :app"),
                    {"app": CHILD_APP},
                ).scalar()
                return state == "idle in transaction"
            # SQLite: the child holds the write lock, so taking it without waiting must fail.
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except sa.exc.OperationalError as exc:
                return "locked" in str(exc)
            conn.exec_driver_sql("ROLLBACK")
            return False
    finally:
        engine.dispose()


def test_kill_9_mid_transaction_leaves_nothing_half_written(db_url):
    Ledger(db_url).dispose()  # migrate first, so the child only writes ledger rows
    repo_root = ROOT
    env = os.environ | {"PYTHONPATH": str(repo_root)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, _child_url(db_url)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _wait_for_line(child.stdout, timeout=60)
        assert line.split() == [MARKER, "C-crash"], (
            line,
            child.stderr.read() if child.poll() is not None else "",
        )
        assert _transaction_is_open(db_url)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        child.stdout.close()
        child.stderr.close()

    # A fresh engine, as another process would have after the crash.
    fresh = Ledger(db_url, migrate=False)
    try:
        key = ("coupa", "supplier", "JDE", "4343", "coupa")
        assert fresh.get_xref(*key) is None
        assert fresh.find_xref_by_target("coupa", "supplier", "coupa", "C-crash") is None
        assert fresh.history("4343") == [] and fresh.history("C-crash") == []
        assert fresh.summary()["xrefs"] == 0 and fresh.summary()["audit_events"] == 0
        # Nothing is left locked either: the next attempt records the same record normally.
        assert fresh.record_target(*key, "C-retry", "hash").target_id == "C-retry"
    finally:
        fresh.dispose()
