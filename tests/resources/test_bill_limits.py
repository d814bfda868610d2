"""BILL's login budget and session reuse across processes (reference §2.3), and the pool that keeps every
BILL-calling step together under BILL's 3-in-flight cap. Real BILL simulator over loopback, the real
client, a real ledger (SQLite file and PostgreSQL) and vault.

"Another process" is simulated the way a new Dagster step starts: ``forget_sessions()`` (the process's
memory gone) or a fresh ``BillSessionAuth`` per thread; one test also runs a real subprocess.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from roots import ROOT
from sandbox_logins import LOGINS, on_simulator

from connector_assets.flows.target_boundary import UNWRAPPED
from connector_resources.bill import BillResource
from connector_resources.bill import auth as bill_auth
from connector_resources.bill.auth import BillSessionAuth, forget_sessions
from connector_resources.bill.errors import BillRateLimitError
from connector_resources.bill.session import BillSession
from connector_resources.bill.session_store import (
    LedgerSessionStore,
    ProcessSessionStore,
    store_for,
    store_key,
)
from connector_resources.vault import Vault
from connector_sandbox.bill import BillSandboxSettings
from connector_sandbox.bill import run_in_thread as run_bill


@pytest.fixture
def sandbox():
    base, stop = run_bill(BillSandboxSettings(scale=0.05))
    forget_sessions()
    try:
        yield base
    finally:
        forget_sessions()
        stop()


def _state(base: str) -> dict:
    return requests.get(base.removesuffix("/connect") + "/sandbox/state", timeout=15).json()


def _expire_sessions(base: str) -> None:
    requests.post(base.removesuffix("/connect") + "/sandbox/sessions/expire", timeout=15).raise_for_status()


@pytest.fixture
def kept(monkeypatch, db_url):
    """Sessions kept in the ledger at ``db_url`` (SQLite file, then PostgreSQL), encrypted (vault key)."""
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Vault.generate_key())
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", db_url)
    return db_url


def _read_one_page(resource: BillResource) -> BillSession:
    with resource.session() as session:
        next(iter(session.iter_records("vendors")))
    return session


def test_two_processes_and_a_subprocess_log_in_once_and_the_session_stays_secret(sandbox, kept, caplog):
    caplog.set_level(logging.DEBUG)
    before = _state(sandbox)["logins"]
    first = _read_one_page(on_simulator(BillResource, sandbox))
    assert first.auth.fetch_count == 1 and first.auth.adopt_count == 0
    session_id = first.auth.token.value

    forget_sessions()  # a new Dagster step: a new process with nothing in memory
    second = _read_one_page(on_simulator(BillResource, sandbox))
    assert second.auth.fetch_count == 0 and second.auth.adopt_count == 1
    assert second.auth is not first.auth and second.auth.token.value == session_id

    # A real second process, configured as a Dagster step is: from the environment.
    env = {
        **os.environ,
        "ML_BILL_URL": sandbox,
        "ML_BILL_USERNAME": LOGINS[BillResource]["username"],
        "ML_BILL_ORG_ID": LOGINS[BillResource]["organization_id"],
    }
    script = (
        "from connector_resources.bill import BillResource\n"
        "with BillResource.from_settings().session() as s:\n"
        "    next(iter(s.iter_records('vendors')))\n"
        "    print(s.auth.fetch_count, s.auth.adopt_count)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["0", "1"]  # no login, the stored session adopted

    assert _state(sandbox)["logins"] - before == 1
    # Encrypted at rest, never logged.
    engine = sa.create_engine(kept)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("select name, ciphertext from mlc_secret")).all()
    engine.dispose()
    assert [name for name, _ in stored] == [f"bill/session/{first.auth.store.key}"]
    assert all(session_id not in ciphertext for _, ciphertext in stored)
    if kept.startswith("sqlite:///"):
        assert session_id.encode() not in Path(kept.removeprefix("sqlite:///")).read_bytes()
    assert session_id not in caplog.text and session_id not in done.stderr + done.stdout


def _process_like(resource: BillResource) -> BillSession:
    """A client as a separate process builds it: its own auth, the store the settings give."""
    login_url = f"{resource.api_url}/v3/login"
    digest = bill_auth.reference_digest(resource.dev_key)
    auth = BillSessionAuth(
        login_url=login_url,
        username=resource.username,
        organization_id=resource.organization_id,
        password=lambda: resource.password,
        dev_key=lambda: resource.dev_key,
        store=store_for(store_key(login_url, digest, resource.organization_id, resource.username), keep=True),
    )
    http = resource._client(resource.api_url, auth, resource._policy())
    return BillSession(http, auth, events_url=resource.webhooks_url, max_in_flight=resource.max_in_flight)


def test_after_bill_ends_the_session_six_processes_at_once_log_in_once(sandbox, kept):
    resource = on_simulator(BillResource, sandbox, backoff_base=0.01, backoff_cap=0.2)
    _read_one_page(resource)
    _expire_sessions(sandbox)  # BILL's 35-minute death: every process holds a dead sessionId
    before = _state(sandbox)["logins"]
    sessions = [_process_like(resource) for _ in range(6)]
    for session in sessions:  # each "process" starts with the stored, now dead, session
        session.login()
    assert all(s.auth.adopt_count == 1 for s in sessions)
    errors: list[BaseException] = []
    start = threading.Barrier(len(sessions))

    def work(session: BillSession) -> None:
        try:
            start.wait()
            next(iter(session.iter_records("vendors")))  # BDC_1109, then one re-login among them all
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _state(sandbox)["logins"] - before == 1
    assert sum(s.auth.fetch_count for s in sessions) == 1
    assert len({s.auth.token.value for s in sessions}) == 1


def test_a_session_idle_past_bills_timeout_is_not_tried(sandbox, kept, monkeypatch):
    _read_one_page(on_simulator(BillResource, sandbox))
    forget_sessions()
    monkeypatch.setattr(bill_auth, "REUSE_IDLE", timedelta(0))  # the stored session is "35 minutes" old
    before = _state(sandbox)
    later = _read_one_page(on_simulator(BillResource, sandbox))
    after = _state(sandbox)
    assert later.auth.fetch_count == 1 and later.auth.adopt_count == 0
    assert after["logins"] - before["logins"] == 1
    assert after["error_codes"].get("BDC_1109", 0) == before["error_codes"].get("BDC_1109", 0)  # not tried


@pytest.mark.parametrize("store", ["ledger", "process"])
def test_the_hours_login_budget_is_refused_before_bill_refuses_it_naming_when(
    sandbox, store, monkeypatch, sqlite_url
):
    if store == "ledger":
        monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Vault.generate_key())
        monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    resource = on_simulator(BillResource, sandbox, logins_per_hour=2, keep_sessions=store == "ledger")
    before = _state(sandbox)["logins"]
    for _ in range(2):
        _read_one_page(resource)
        _expire_sessions(sandbox)  # so the next read needs a login
        if store == "ledger":
            forget_sessions()  # and comes from a new process: the count is in the ledger
    with pytest.raises(BillRateLimitError) as refused:
        _read_one_page(resource)
    message = str(refused.value)
    assert "logins this developer key may make in the hour are used" in message
    assert "UTC" in message and "local" in message
    assert refused.value.retry_at is not None and refused.value.retry_at.minute == 0
    assert _state(sandbox)["logins"] - before == 2  # the third was never sent


def test_the_store_is_the_ledger_only_with_a_vault_key(monkeypatch, sqlite_url):
    monkeypatch.delenv("ML_CONNECTOR_VAULT_KEY", raising=False)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    assert isinstance(store_for("k", keep=True), ProcessSessionStore)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Vault.generate_key())
    assert isinstance(store_for("k", keep=True), LedgerSessionStore)
    assert isinstance(store_for("k", keep=False), ProcessSessionStore)


def test_every_step_calling_bill_is_in_the_organizations_pool_limited_to_one_step():
    """BILL's 3-in-flight cap across processes: the BILL reads and BILL write steps share one pool per
    organization, limit 1, so one BILL step (up to 3 requests) runs at a time."""
    from dagster import AssetsDefinition
    from instances import instance_for_test

    from connector_assets.definitions import DEPLOYMENT, defs
    from connector_assets.flows.assets import apply_write_pool_limits

    pool = BillResource.from_settings().concurrency_pool
    steps = {a.key.to_user_string(): a.op.pool for a in defs.assets or [] if isinstance(a, AssetsDefinition)}
    reads = {k: p for k, p in steps.items() if k.startswith("bill/")}
    flows = {spec.key("written").to_user_string(): spec for spec in DEPLOYMENT.specs.values()}
    writes = {k: p for k, p in steps.items() if k in flows and flows[k].target_system == "bill"}
    # A mapped step that reads BILL itself (the payments flow's polling fallback).
    mapped_reads = {"jde_bill/payments_mapped": steps["jde_bill/payments_mapped"]}
    assert reads and writes, steps
    assert set(reads.values()) == set(writes.values()) == set(mapped_reads.values()) == {pool}
    assert all(flows[k].write_concurrency == 6 for k in writes)  # 2 a slot
    with instance_for_test() as instance:
        limits = apply_write_pool_limits(instance, defs.assets or [])
        assert limits[pool] == 1
        assert instance.event_log_storage.get_concurrency_info(pool).slot_count == 1


def test_a_bill_read_at_the_hourly_cap_fails_at_once_naming_when_without_a_step_retry(sandbox, tmp_path):
    """Reads behave as writes do: BDC_1144 is not retried within the hour; the step says when."""
    from datetime import UTC, datetime

    from dagster import materialize
    from instances import instance_for_test

    from connector_assets.runtime.staging import StagingResource
    from connector_assets.runtime.step_retry import retry_window
    from connector_assets.saas.assets import saas_assets
    from connector_resources.bill.errors import next_top_of_hour
    from connector_resources.ledger import LedgerResource

    # Near the top of the hour the cap lifts within the step retries' wait, and a retry is then right (the
    # step policy waits out a reset it can reach): start in the next hour instead, so the cap is an hour away.
    until_reset = (next_top_of_hour() - datetime.now(UTC)).total_seconds()
    if until_reset < retry_window() + 30:
        time.sleep(until_reset + 1)
    resource = on_simulator(BillResource, sandbox, backoff_base=0.01, backoff_cap=0.2)
    _read_one_page(resource)
    used = _state(sandbox)["limits"]["requests_this_window"]
    admin = sandbox.removesuffix("/connect") + "/sandbox"
    requests.post(
        f"{admin}/settings", json={"limits": {"requests_per_hour": used}}, timeout=15
    ).raise_for_status()
    asset = next(a for a in saas_assets if a.key.to_user_string() == "bill/vendors")
    resources = {
        "bill": resource,
        "staging": StagingResource(base_dir=str(tmp_path / "staging")),
        "ledger": LedgerResource(db_url=f"sqlite:///{tmp_path / 'ledger.sqlite'}"),
        "target_boundary": UNWRAPPED,
    }
    with instance_for_test() as instance:
        result = materialize(
            [asset],
            resources=resources,
            instance=instance,
            partition_key=datetime.now(UTC).date().isoformat(),
            raise_on_error=False,
        )
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1 and not [
        e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"
    ]
    message = failures[0].step_failure_data.error.message
    assert "not retried" in message and "UTC" in message and "local" in message, message
    assert _state(sandbox)["error_codes"].get("BDC_1144") == 1  # one refused call, then nothing
