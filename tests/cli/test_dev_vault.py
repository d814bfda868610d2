"""``ml-connector dev`` keeps a vault key in the instance folder when none is configured,
so tokens and sessions live across runs; a configured key wins; the key is never printed."""

from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet

from connector_cli.dev_vault import KEY_FILE, DevVaultKeyError, development_key, keep_sessions
from connector_resources.ledger import Ledger
from connector_resources.redaction import redact
from connector_resources.vault import KEY_ENV, Vault


def test_a_key_is_made_once_with_mode_0600_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "")  # unset, and restored after the test
    said = keep_sessions(tmp_path)
    path = tmp_path / KEY_FILE
    key = os.environ[KEY_ENV]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == key
    Fernet(key)  # a real Fernet key
    assert "created" in said and str(path) in said and key not in said
    assert redact(f"token {key}") != f"token {key}"  # registered: never in a log line

    monkeypatch.delenv(KEY_ENV)
    again = keep_sessions(tmp_path)
    assert os.environ[KEY_ENV] == key and "kept" in again


def test_a_secret_stored_in_one_run_opens_in_the_next(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "")  # unset, and restored after the test
    ledger = Ledger(f"sqlite:///{tmp_path}/ledger.sqlite")
    keep_sessions(tmp_path)
    Vault(ledger).set("procurify.session", "s3cret-session")
    monkeypatch.delenv(KEY_ENV)  # the next `make dev`: a new process, nothing in its environment
    keep_sessions(tmp_path)
    assert Vault(ledger).get("procurify.session") == "s3cret-session"


def test_a_configured_key_wins_and_the_file_is_not_made(tmp_path, monkeypatch):
    configured = Fernet.generate_key().decode()
    monkeypatch.setenv(KEY_ENV, configured)
    assert keep_sessions(tmp_path) == f"vault key: {KEY_ENV} (configured)"
    assert os.environ[KEY_ENV] == configured
    assert not (tmp_path / KEY_FILE).exists()


def test_a_key_file_open_to_others_or_broken_is_refused_naming_the_file(tmp_path):
    path = tmp_path / KEY_FILE
    path.write_text(Fernet.generate_key().decode())
    path.chmod(0o644)
    with pytest.raises(DevVaultKeyError, match="readable by others.*chmod 600"):
        development_key(tmp_path)
    path.chmod(0o600)
    path.write_text("not a key")
    with pytest.raises(DevVaultKeyError, match=f"{KEY_FILE} holds no valid Fernet key"):
        development_key(tmp_path)


def test_make_dev_stops_with_the_file_named_when_the_key_file_is_open_to_others(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from connector_cli.main import cli
    from connector_sandbox.registry import free_port_base

    monkeypatch.setenv(KEY_ENV, "")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))  # dev exports it: restored after the test
    # A free block of addresses: a developer's own ``make dev`` on the default ports must not answer first.
    monkeypatch.setenv("ML_SANDBOX_PORT_BASE", str(free_port_base()))
    (home / KEY_FILE).write_text(Fernet.generate_key().decode())
    (home / KEY_FILE).chmod(0o644)
    result = CliRunner().invoke(cli, ["dev", "--no-sandbox", "--dagster-home", str(home), "--port", "1"])
    assert (
        result.exit_code == 1 and "readable by others" in result.output and "Traceback" not in result.output
    )
