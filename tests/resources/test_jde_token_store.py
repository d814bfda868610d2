"""JD Edwards AIS tokens kept across batches, steps and runs: one login for all (without a vault key,
one per process, logged out at its exit).

Real processes (``jde_session_step.py`` run with ``subprocess``, configured from the environment as
a Dagster step is; one ``session()`` per table, as each JDE asset opens its own) against the AIS
simulator over loopback, one real ledger (a SQLite file; the concurrent case also on PostgreSQL) and a
real vault. Logins and logouts are counted by the simulator (``/sandbox/state`` calls), never by the
client; ``/sandbox/restart`` kills every token (AIS answers 444).
"""

from __future__ import annotations

import logging
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from roots import TESTS
from step_processes import assert_kept_secretly, finish_step, start_step, step_env, stored_secrets

from connector_resources.jde import JdeAisResource
from connector_resources.jde.auth import session_key
from connector_resources.ledger.ledger import shared_ledger
from connector_resources.token_store import VaultTokenStore, release_process_tokens
from connector_resources.vault import Vault
from connector_sandbox.jde_ais import JdeSandboxSettings, create_app
from connector_sandbox.serve import serve_in_thread

STEP = TESTS / "jde_session_step.py"
TABLES = ("F0101", "F4311")  # two assets of one step: two sessions
KEY = Vault.generate_key()
EU_USER, EU_PASSWORD = "EUROINT", "euroint-sandbox"
LOGIN, LOGOUT = "POST /jderest/v2/tokenrequest", "POST /jderest/v2/tokenrequest/logout"


class Ais:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.root = base_url.rsplit("/jderest", 1)[0]

    def admin(self, method: str, path: str) -> dict:
        response = requests.request(method, f"{self.root}/sandbox/{path}", timeout=30)
        response.raise_for_status()
        return response.json()

    def calls(self, route: str) -> int:
        return self.admin("GET", "state")["calls"].get(route, 0)


@pytest.fixture
def ais():
    base_url, stop = serve_in_thread(create_app(JdeSandboxSettings(scale=0.05)), path="/jderest")
    try:
        yield Ais(base_url)
    finally:
        release_process_tokens()  # this process's sessions end with their simulator
        stop()


def _env(db_url: str, *, vault_key: bool) -> dict[str, str]:
    return step_env(db_url, KEY if vault_key else None)


def _start(ais: Ais, env: dict[str, str]) -> subprocess.Popen:
    return start_step(STEP, [ais.base_url, *TABLES], env)


def _finish(process: subprocess.Popen) -> tuple[dict, str]:
    report, output = finish_step(process)
    assert report["rows"] == len(TABLES)
    return report, output


def _resource(ais: Ais, user: str = "INTEGR8", password: str = "integr8-sandbox") -> JdeAisResource:
    return JdeAisResource(
        base_url=ais.base_url,
        username=user,
        password=password,
        environment="JPS920",
        role="*ALL",
        device_name="ml-connector-test",
    )


def _key(ais: Ais, user: str = "INTEGR8") -> str:
    return session_key(ais.base_url, user, "JPS920", "*ALL", "ml-connector-test")


def _stored_token(ais: Ais, db_url: str) -> str | None:
    ledger = shared_ledger(db_url)
    token = VaultTokenStore(ledger, Vault(ledger, KEY), "jde_ais", _key(ais)).load()
    return token.value if token is not None else None


def test_two_steps_at_once_log_in_once_and_nobody_logs_out(ais, db_url):
    env = _env(db_url, vault_key=True)
    first, second = _start(ais, env), _start(ais, env)
    reports = [_finish(first), _finish(second)]
    later = _finish(_start(ais, env))  # a later run: adopts the same session
    assert ais.calls(LOGIN) == 1
    assert ais.calls(LOGOUT) == 0
    assert ais.admin("GET", "state")["active_sessions"] == 1
    assert all(report["expired"] == 0 for report, _ in [*reports, later])

    token = _stored_token(ais, db_url)
    assert token is not None
    stored = stored_secrets(db_url)
    assert [name for name, _ in stored] == [f"jde_ais/token/{_key(ais)}"]
    assert_kept_secretly(db_url, token, [output for _, output in [*reports, later]])


def test_after_a_444_several_steps_log_in_again_once(ais, sqlite_url):
    env = _env(sqlite_url, vault_key=True)
    _finish(_start(ais, env))
    old = _stored_token(ais, sqlite_url)
    ais.admin("POST", "restart")  # every AIS token dies: the next call with one answers 444
    processes = [_start(ais, env) for _ in range(3)]
    reports = [_finish(p)[0] for p in processes]
    assert ais.calls(LOGIN) == 2  # the first step's, and one after the restart
    assert ais.calls(LOGOUT) == 0
    assert all(r["expired"] <= 1 for r in reports)  # each met the dead token once at most
    assert sum(r["expired"] for r in reports) >= 1  # and the first to try it did meet it
    assert _stored_token(ais, sqlite_url) not in (None, old)


def test_without_a_vault_key_a_process_logs_in_once_and_out_at_its_exit(ais, sqlite_url):
    env = _env(sqlite_url, vault_key=False)
    _, output = _finish(_start(ais, env))  # two sessions, then the process exits
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (1, 1)
    assert ais.admin("GET", "state")["active_sessions"] == 0  # no licence left held
    assert output.count("JD Edwards AIS sessions are kept per process only") == 1


def test_without_a_vault_key_the_sessions_of_a_process_share_one_login_until_a_444(
    ais, sqlite_url, monkeypatch
):
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.delenv("ML_CONNECTOR_VAULT_KEY", raising=False)
    resource = _resource(ais)
    with resource.session() as first, resource.session() as second:
        assert first.sample("F0101") is not None and second.sample("F4311") is not None
        assert second.reauths == 0

    def batch(table: str) -> int:  # write workers: sessions opened at once on threads
        with resource.session() as session:
            session.sample(table)
            return session.reauths

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(batch, TABLES * 2)) == [0] * 4
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (1, 0)

    ais.admin("POST", "restart")  # the process's token dies: AIS answers 444
    with resource.session() as third:
        third.sample("F0101")
        assert third.reauths == 1
    with resource.session() as fourth:  # adopts the new token
        fourth.sample("F0101")
        assert fourth.reauths == 0
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (2, 0)

    assert release_process_tokens() == 1  # what the process does at exit: the live token, once
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (2, 1)
    assert ais.admin("GET", "state")["active_sessions"] == 0


def test_an_adopted_session_keeps_the_users_date_format_and_ping_still_logs_in(
    ais, sqlite_url, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    resource = _resource(ais, EU_USER, EU_PASSWORD)
    with resource.session() as first:
        pattern = first.date_format
        first.sample("F0101")
    with resource.session() as second:  # another batch: adopts, knows the EU user's dates
        assert second.date_format == pattern != "MM/dd/yyyy"
        assert second.sample("F0101") is not None
        assert second.reauths == 0
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (1, 0)

    # ping proves today's credentials with a login of its own, and leaves the kept session alone.
    resource.ping(reads={"F0101": ["suppliers"]})
    assert (ais.calls(LOGIN), ais.calls(LOGOUT)) == (2, 1)
    with resource.session() as third:
        third.sample("F0101")
    assert ais.calls(LOGIN) == 2
