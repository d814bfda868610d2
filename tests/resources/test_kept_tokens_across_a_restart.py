"""A restart of ``make dev`` reuses the kept tokens quietly.

The Procore simulator on a kept folder, stopped and started again as ``make dev``'s restart does, and a
new resource each time (a new process's): the token kept in the vault by the first is used by the second
with no token request and no line about it; one expired by its stored expiry is renewed with a DEBUG line
only; one the server refuses before its expiry (revoked) is worth an INFO line. Token requests are
counted by the simulator.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from oauth_token_step import PROCORE_CLIENT, PROCORE_COMPANY

from connector_resources.procore import ProcoreResource
from connector_resources.procore.resource import TOKEN_PATH
from connector_resources.token_store import TokenStore, oauth_token_store
from connector_resources.vault import KEY_ENV, Vault
from tests.sandbox.kept_world import FIRST_DAY, NEXT_DAY, simulator

TOKEN_REQUESTS = "POST /oauth/token"


@dataclass(frozen=True)
class Kept:
    """A make dev home after its first run, and the simulator's port (a restart keeps it: the kept
    token's name includes its token URL)."""

    folder: Path
    port: int

    @contextmanager
    def restarted(self) -> Iterator[tuple[Any, str]]:
        with simulator("procore", self.folder, NEXT_DAY, port=self.port) as running:
            yield running


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kept:
    """A make dev home's ledger and vault key, and the simulator's first run on it: one token kept."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.setenv(KEY_ENV, Vault.generate_key())
    with simulator("procore", tmp_path, FIRST_DAY) as (state, url):
        _read(url)
        assert state.calls[TOKEN_REQUESTS] == 1
    return Kept(tmp_path, int(url.rsplit(":", 1)[1]))


def _read(url: str) -> Any:
    """One read by a new resource (a new process's), as a step does; answers the session's auth scheme."""
    client_id, secret = PROCORE_CLIENT
    resource = ProcoreResource(
        base_url=url, auth_url=url, company_id=PROCORE_COMPANY, client_id=client_id, client_secret=secret
    )
    with resource.session() as session:
        session.me()
    return session._auth


def _kept_token_store(url: str) -> TokenStore:
    """The vault entry the resource keeps its token in (named as ``ProcoreResource`` names it)."""
    client_id, secret = PROCORE_CLIENT
    token_url = url.rstrip("/") + TOKEN_PATH
    return oauth_token_store("procore", token_url, client_id, secret, keep=True, what="tokens", cost="none")


def _said(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """What the connector logged at ``level`` or above about a credential's end or renewal."""
    words = ("expir", "re-authenticat", "refused", "renewal", "new credential")
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= level
        and r.name.startswith("ml_connector")
        and any(w in r.getMessage() for w in words)
    ]


def test_a_valid_kept_token_is_used_after_a_restart_with_no_token_request_and_no_line(kept, caplog):
    with caplog.at_level(logging.DEBUG, logger="ml_connector"), kept.restarted() as (s, url):
        auth = _read(url)
        assert s.calls[TOKEN_REQUESTS] == 0  # the restarted simulator honoured the kept token
    assert (auth.fetch_count, auth.adopt_count) == (0, 1)
    assert _said(caplog, logging.DEBUG) == []
    assert [
        r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and "token" in r.getMessage()
    ] == []


def test_a_kept_token_expired_by_its_stored_expiry_is_renewed_quietly(kept, caplog):
    with caplog.at_level(logging.DEBUG, logger="ml_connector"), kept.restarted() as (s, url):
        store = _kept_token_store(url)
        token = store.load()
        assert token is not None and token.expires_at is not None
        store.save(replace(token, obtained_at=time.time() - 7200, expires_at=time.time() - 1))
        auth = _read(url)
        assert s.calls[TOKEN_REQUESTS] == 1
    assert (auth.fetch_count, auth.adopt_count) == (1, 0)
    assert _said(caplog, logging.INFO) == []
    assert any("due for renewal" in line for line in _said(caplog, logging.DEBUG))


def test_a_kept_token_refused_before_its_expiry_is_said_at_info(kept, caplog):
    with caplog.at_level(logging.DEBUG, logger="ml_connector"), kept.restarted() as (s, url):
        s.tokens.revoke_all()  # the server refuses a token it issued, still within its lifetime
        auth = _read(url)
        assert s.calls[TOKEN_REQUESTS] == 1
    assert auth.fetch_count == 1
    [line] = _said(caplog, logging.INFO)
    assert "credential refused before its expiry; re-authenticating" in line
    assert not [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("ml_connector")
    ]
