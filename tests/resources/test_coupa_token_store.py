"""Coupa access tokens kept across processes: one token request for every step.

Real processes (``coupa_token_step.py`` run with ``subprocess``, configured from the environment as
a Dagster step is) against the Coupa simulator over loopback, one real ledger (a SQLite file; the
concurrent case also on PostgreSQL) and a real vault. Token requests are counted by the simulator
(``/sandbox/state``), never by the client.
"""

from __future__ import annotations

import logging
import subprocess

import pytest
import step_processes
from coupa_support import CLIENT_ID, CLIENT_SECRET, CoupaBox, coupa, start_box
from roots import TESTS
from step_processes import finish_step, start_step, step_env, stored_secrets

from connector_resources.coupa import ALL_SCOPES, forget_tokens, shared_oauth
from connector_resources.token_store import ProcessTokenStore, VaultTokenStore
from connector_resources.vault import Vault

STEP = TESTS / "coupa_token_step.py"
WARMUP = 1.0  # Coupa documents 5 s; 1 s keeps the tests short and the rule the same
KEY = Vault.generate_key()


@pytest.fixture
def box():
    sandbox, stop = start_box()
    forget_tokens()
    try:
        yield sandbox
    finally:
        forget_tokens()
        stop()


def _env(db_url: str, *, vault_key: bool) -> dict[str, str]:
    return step_env(db_url, KEY if vault_key else None)


def _start(box: CoupaBox, env: dict[str, str]) -> subprocess.Popen:
    return start_step(STEP, [box.url, str(WARMUP)], env)


def _step(box: CoupaBox, env: dict[str, str]) -> tuple[dict, str]:
    return finish_step(_start(box, env))


def _warm_up_refused(box: CoupaBox) -> None:
    """The simulator refuses (401) every call made within ``WARMUP`` of a token's mint, as Coupa may."""
    box.faults(rate_limit_enabled=False, token_warmup_seconds=WARMUP, token_warmup_failure_rate=1.0)


def test_two_processes_at_once_mint_one_token_and_a_later_step_uses_it_without_waiting(box, db_url):
    _warm_up_refused(box)
    env = _env(db_url, vault_key=True)
    # Nobody met a 401: nobody used the token inside its warm-up.
    reports = step_processes.two_at_once_mint_one_token(lambda: _start(box, env), box.tokens_minted)
    minted = box.tokens_minted()  # the one token of the two

    # A later step finds a token minted more than WARMUP ago: no token request, no wait, no 401.
    later, text = _step(box, env)
    assert (later["fetches"], later["adopted"], later["waited"], later["unauthorized"]) == (0, 1, 0.0, 0)
    assert box.tokens_minted() == minted  # the later step minted none

    # Encrypted at rest under a name that reveals nothing, and never printed or logged.
    token = VaultTokenStore(*_ledger_and_vault(db_url), "coupa", _key(box)).load()
    assert [name for name, _ in stored_secrets(db_url)] == [f"coupa/token/{_key(box)}"]
    step_processes.assert_stored_token_kept_secretly(db_url, token, [*reports, (later, text)])


def test_a_revoked_token_is_replaced_once_by_several_processes(box, sqlite_url):
    env = _env(sqlite_url, vault_key=True)
    step_processes.revoked_token_replaced_once(
        lambda: _start(box, env), box.tokens_minted, revoke=lambda: box.admin("POST", "tokens/revoke")
    )


def test_an_expired_token_in_this_process_is_replaced_and_stored(box, sqlite_url, monkeypatch):
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    with coupa(box).session() as session:
        session.search("suppliers", {}, limit=1)
    auth = shared_oauth(box.url, CLIENT_ID, CLIENT_SECRET, ALL_SCOPES, warmup_seconds=0)
    assert isinstance(auth.store, VaultTokenStore)
    old = auth.token.value
    box.admin("POST", "tokens/expire")
    before = box.tokens_minted()
    with coupa(box).session() as session:
        session.search("suppliers", {}, limit=1)
    assert box.tokens_minted() - before == 1
    assert session.metrics.statuses[401] == 1
    stored = auth.store.load()
    assert stored is not None and stored.value == auth.token.value != old

    forget_tokens()  # a new step: adopts the replacement
    with coupa(box).session() as session:
        session.search("suppliers", {}, limit=1)
    again = shared_oauth(box.url, CLIENT_ID, CLIENT_SECRET, ALL_SCOPES, warmup_seconds=0)
    assert (again.fetch_count, again.adopt_count) == (0, 1)
    assert box.tokens_minted() - before == 1


def test_without_a_vault_key_each_process_mints_its_own_and_says_why_once(box, sqlite_url):
    env = _env(sqlite_url, vault_key=False)
    before = box.tokens_minted()
    reports = [_step(box, env) for _ in range(2)]
    assert box.tokens_minted() - before == 2
    assert [r["fetches"] for r, _ in reports] == [1, 1]
    assert all(r["waited"] > 0 for r, _ in reports)  # each paid the warm-up, as before
    for _, output in reports:
        assert output.count("Coupa access tokens are kept per process only") == 1
        assert "ML_CONNECTOR_VAULT_KEY" in output


def test_keep_tokens_off_keeps_the_token_in_process_silently(box, sqlite_url, monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    with coupa(box, keep_tokens=False).session() as session:
        session.search("suppliers", {}, limit=1)
    auth = shared_oauth(box.url, CLIENT_ID, CLIENT_SECRET, ALL_SCOPES, warmup_seconds=0)
    assert isinstance(auth.store, ProcessTokenStore)
    assert _ledger_and_vault(sqlite_url)[1].list() == []
    assert "kept per process only" not in caplog.text  # switched off on purpose: nothing to warn about


def _ledger_and_vault(db_url: str):
    from connector_resources.ledger.ledger import shared_ledger

    ledger = shared_ledger(db_url)
    return ledger, Vault(ledger, KEY)


def _key(box: CoupaBox) -> str:
    import hashlib

    from connector_resources.coupa.auth import token_key

    digest = hashlib.sha256(CLIENT_SECRET.encode()).hexdigest()
    return token_key(box.url, CLIENT_ID, digest, " ".join(sorted(ALL_SCOPES)))
