"""Procore, Procurify and Oracle Fusion access tokens kept across processes.

Real processes (``oauth_token_step.py`` run with ``subprocess``, configured from the environment as a
Dagster step is) against each simulator over loopback, one real ledger (a SQLite file; the concurrent
case also on PostgreSQL) and a real vault. Token requests are counted by the simulators
(``/sandbox/state``), never by the client.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
import requests
import step_processes
from oauth_token_step import PROCORE_CLIENT, PROCORE_COMPANY, PROCURIFY_CLIENT
from roots import TESTS
from step_processes import finish_step, start_step, step_env, stored_secrets

from connector_resources.procore import ProcoreResource
from connector_resources.procurify import ProcurifyResource, forget_shared_tokens
from connector_resources.token_store import ProcessTokenStore, VaultTokenStore
from connector_resources.vault import Vault

STEP = TESTS / "oauth_token_step.py"
KEY = Vault.generate_key()
ANCHOR = date(2025, 6, 2)


@dataclass
class Simulator:
    """One simulator on a free port and how it counts the tokens it issued."""

    system: str
    url: str
    count: Callable[[dict], int]  # tokens issued so far, from /sandbox/state

    def state(self) -> dict:
        return self.admin("GET", "state").json()

    def admin(self, method: str, path: str) -> requests.Response:
        response = requests.request(method, f"{self.url}/sandbox/{path}", timeout=30)
        response.raise_for_status()
        return response

    def admin_json(self, path: str, body: dict) -> None:
        requests.post(f"{self.url}/sandbox/{path}", json=body, timeout=30).raise_for_status()

    def tokens_issued(self) -> int:
        return self.count(self.state())


def _serve(system: str) -> tuple[Simulator, Callable[[], None]]:
    from connector_sandbox.serve import serve_in_thread

    if system == "procore":
        from connector_sandbox.procore import ProcoreSandboxSettings, create_app

        url, stop = serve_in_thread(create_app(ProcoreSandboxSettings(scale=0.05, anchor_date=ANCHOR)))
        return Simulator(system, url, lambda s: s["calls"].get("POST /oauth/token", 0)), stop
    if system == "procurify":
        from connector_sandbox.procurify import ProcurifySandboxSettings
        from connector_sandbox.procurify import create_app as procurify_app

        url, stop = serve_in_thread(procurify_app(ProcurifySandboxSettings(scale=0.05, anchor_date=ANCHOR)))
        return Simulator(system, url, lambda s: s["tokens"]["minted"]), stop
    from connector_sandbox.fusion import FusionSandboxSettings, run_in_thread

    url, stop = run_in_thread(FusionSandboxSettings(scale=0.05, anchor_date=ANCHOR))
    return Simulator(system, url, lambda s: s["tokens"]["issued"]), stop


@pytest.fixture(scope="module", params=["procore", "procurify", "fusion"])
def box(request) -> Iterator[Simulator]:
    simulator, stop = _serve(request.param)
    try:
        yield simulator
    finally:
        stop()


@pytest.fixture(autouse=True)
def _no_shared_schemes() -> Iterator[None]:
    forget_shared_tokens()  # Procurify's per-process schemes: each test starts as a new process does
    yield
    forget_shared_tokens()


def _env(db_url: str, *, vault_key: bool) -> dict[str, str]:
    return step_env(db_url, KEY if vault_key else None)


def _start(box: Simulator, env: dict[str, str]) -> subprocess.Popen:
    return start_step(STEP, [box.system, box.url], env)


def _step(box: Simulator, env: dict[str, str]) -> tuple[dict, str]:
    return finish_step(_start(box, env))


def _vault(db_url: str) -> tuple:
    from connector_resources.ledger.ledger import shared_ledger

    ledger = shared_ledger(db_url)
    return ledger, Vault(ledger, KEY)


def test_two_processes_at_once_mint_one_token_and_a_later_step_adopts_it(box, db_url):
    env = _env(db_url, vault_key=True)
    reports = step_processes.two_at_once_mint_one_token(lambda: _start(box, env), box.tokens_issued)
    minted = box.tokens_issued()  # the one token of the two

    later, text = _step(box, env)
    assert (later["fetches"], later["adopted"], later["unauthorized"]) == (0, 1, 0)
    assert box.tokens_issued() == minted  # the later step minted none

    # Encrypted at rest under a name that reveals nothing, and never printed or logged.
    stored = stored_secrets(db_url)
    assert len(stored) == 1
    name = stored[0][0]
    assert name.startswith(f"{box.system}/token/") and "sandbox" not in name
    token = VaultTokenStore(*_vault(db_url), box.system, name.rsplit("/", 1)[1]).load()
    step_processes.assert_stored_token_kept_secretly(db_url, token, [*reports, (later, text)])


def test_a_revoked_token_is_replaced_once_by_several_processes(box, sqlite_url):
    env = _env(sqlite_url, vault_key=True)
    step_processes.revoked_token_replaced_once(
        lambda: _start(box, env), box.tokens_issued, revoke=lambda: box.admin("POST", "tokens/revoke")
    )

    # The replacement is what is kept now: a later step adopts it without a 401.
    later, _ = _step(box, env)
    assert (later["fetches"], later["adopted"], later["unauthorized"]) == (0, 1, 0)


def test_without_a_vault_key_each_process_mints_its_own_and_says_why_once(box, sqlite_url):
    env = _env(sqlite_url, vault_key=False)
    before = box.tokens_issued()
    reports = [_step(box, env) for _ in range(2)]
    assert box.tokens_issued() - before == 2
    assert [(r["fetches"], r["adopted"]) for r, _ in reports] == [(1, 0), (1, 0)]
    for _, output in reports:
        assert output.count("access tokens are kept per process only") == 1
        assert "ML_CONNECTOR_VAULT_KEY" in output


def _procore(url: str, **fields) -> ProcoreResource:
    client_id, secret = PROCORE_CLIENT
    return ProcoreResource(
        base_url=url,
        auth_url=url,
        company_id=PROCORE_COMPANY,
        client_id=client_id,
        client_secret=secret,
        **fields,
    )


@pytest.mark.parametrize("box", ["procore"], indirect=True)
def test_procore_revokes_a_token_at_close_only_when_it_is_not_kept(box, sqlite_url, monkeypatch):
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    active = box.state()["active_tokens"]
    with _procore(box.url).session() as kept:
        kept.me()
    assert box.state()["active_tokens"] == active + 1  # later sessions and steps use it
    with _procore(box.url).session() as again:
        again.me()
    assert (again.token_fetches, again._auth.adopt_count) == (0, 1)

    with _procore(box.url, keep_tokens=False).session() as own:
        own.me()
    assert isinstance(own._auth.store, ProcessTokenStore) and own.token_fetches == 1
    assert box.state()["active_tokens"] == active + 1  # its own token was revoked at close


@pytest.mark.parametrize("box", ["procore"], indirect=True)
def test_procore_ping_proves_the_credentials_with_a_token_of_its_own(box, sqlite_url, monkeypatch):
    """A kept token shows the credentials worked when it was minted; ping must show they work now."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    with _procore(box.url).session() as kept:
        kept.me()
    issued, active = box.tokens_issued(), box.state()["active_tokens"]
    _procore(box.url).ping()
    assert box.tokens_issued() == issued + 1  # a token of its own, not the kept one
    assert box.state()["active_tokens"] == active  # and revoked when the ping ends
    with pytest.raises(Exception, match="(?i)client|credential|401|invalid"):
        _procore(box.url, client_secret="not-the-secret").ping()


@pytest.mark.parametrize("box", ["procurify"], indirect=True)
def test_procurify_keep_tokens_off_keeps_the_token_in_process_silently(box, sqlite_url, monkeypatch, caplog):
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    client_id, secret = PROCURIFY_CLIENT
    resource = ProcurifyResource(
        base_url=box.url, client_id=client_id, client_secret=secret, keep_tokens=False
    )
    for _ in range(2):
        with resource.session() as session:
            list(session.iter_all("departments"))
    assert isinstance(session._auth.store, ProcessTokenStore)
    assert session._auth.fetch_count == 1  # still one per process
    assert _vault(sqlite_url)[1].list() == []
    assert "kept per process only" not in caplog.text  # switched off on purpose: nothing to warn about


@pytest.mark.parametrize("box", ["procore"], indirect=True)
def test_a_kept_token_inside_its_renewal_margin_is_replaced_before_it_expires(box, sqlite_url, monkeypatch):
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", sqlite_url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", KEY)
    box.admin_json("faults", {"token_lifetime_seconds": 2})
    try:
        with _procore(box.url).session() as first:
            first.me()
        time.sleep(1.2)  # inside the renewal margin (half of a 2 s lifetime): not adopted, replaced
        with _procore(box.url).session() as second:
            second.me()
        assert (second.token_fetches, second._auth.adopt_count) == (1, 0)
        assert second.metrics.statuses[401] == 0
        stored = second._auth.store.load()
        assert stored is not None and stored.value == second._auth.token.value != first._auth.token.value
    finally:
        box.admin("POST", "settings/reset")
