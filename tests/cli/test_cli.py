"""The ml-connector CLI end to end: each command's help, the vault, audit, replay and ping."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from given_replays import given_to_commands, with_deployment
from ledger_entries import audited, queued

from connector_cli.main import cli
from connector_resources.ledger import Ledger
from connector_resources.replay import ReplayOutcome
from connector_resources.replay_report import ReplaySummary

COMMANDS = [
    [],
    ["dev"],
    ["sandbox"],
    ["webhooks"],
    ["credentials"],
    ["credentials", "set"],
    ["credentials", "list"],
    ["credentials", "rotate"],
    ["credentials", "status"],
    ["credentials", "gen-key"],
    ["audit"],
    ["replay"],
    ["ping"],
    ["bill-webhooks"],
    ["xref"],
    ["xref", "set"],
    ["xref", "list"],
    ["xref", "delete"],
]


@pytest.fixture
def env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    return url


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "ml-connector")
def test_every_command_has_help(args):
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "ml-connector"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "credentials" in out.stdout


def test_credentials_set_list_rotate_never_print_values(env, monkeypatch):
    runner = CliRunner()
    secret = "s3cr3t-" + Fernet.generate_key().decode()[:12]
    result = runner.invoke(cli, ["credentials", "set", "jde_password", "--stdin"], input=secret + "\n")
    assert result.exit_code == 0, result.output
    listed = runner.invoke(cli, ["credentials", "list"])
    assert listed.exit_code == 0 and "jde_password" in listed.output and secret not in listed.output

    old_key = __import__("os").environ["ML_CONNECTOR_VAULT_KEY"]
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", f"{new_key},{old_key}")
    rotated = runner.invoke(cli, ["credentials", "rotate"])
    assert rotated.exit_code == 0 and "1 secret" in rotated.output, rotated.output

    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", new_key)
    from connector_resources.vault import Vault

    assert Vault(Ledger(env)).get("jde_password") == secret

    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", old_key)  # the old key alone can no longer read it
    failed = runner.invoke(cli, ["ping", "--system", "vault"])
    assert failed.exit_code == 1 and "FAIL" in failed.output
    assert secret not in failed.output and old_key not in failed.output and new_key not in failed.output


def test_without_a_vault_key_list_status_and_ping_say_the_same(env, monkeypatch):
    """``credentials list`` used to fail ("No vault key") where ``ping`` reported the state: all three now
    report it in the same words, and list still names what is stored (names are not secret)."""
    runner = CliRunner()
    monkeypatch.delenv("ML_CONNECTOR_VAULT_KEY")
    said = "no vault key set and no secrets stored (sandbox defaults need none)"
    for args in (["credentials", "list"], ["credentials", "status"], ["ping", "--system", "vault"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and said in result.output, (args, result.output)

    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    stored = runner.invoke(cli, ["credentials", "set", "bill/dev_key", "--stdin"], input="k-123\n")
    assert stored.exit_code == 0, stored.output
    monkeypatch.delenv("ML_CONNECTOR_VAULT_KEY")
    said = "1 secret(s) stored, not checked (ML_CONNECTOR_VAULT_KEY is not set)"
    listed = runner.invoke(cli, ["credentials", "list"])
    assert listed.exit_code == 0 and said in listed.output, listed.output
    assert "bill/dev_key\tcreated" in listed.output and "k-123" not in listed.output
    ledger = runner.invoke(cli, ["ping", "--system", "ledger"])
    assert ledger.exit_code == 0 and said in ledger.output, ledger.output
    # Stored secrets nobody can read: status fails as the vault check does, both naming the variable.
    status = runner.invoke(cli, ["credentials", "status"])
    assert status.exit_code == 1 and said in status.output and "set ML_CONNECTOR_VAULT_KEY" in status.output
    vault = runner.invoke(cli, ["ping", "--system", "vault"])
    assert vault.exit_code == 1 and "1 secret(s) are stored but ML_CONNECTOR_VAULT_KEY is not set" in (
        vault.output
    )


def test_audit_shows_a_records_whole_history(env):
    ledger = Ledger(env)
    key = ("jde_coupa", "supplier", "JDE", "4343", "coupa")
    ledger.claim_xref(*key)
    audited(ledger, "jde_coupa", "suppliers", "fail", "4343", "tax ID missing in F0401")
    ledger.record_target(*key, target_id="C-981", content_hash="h1")
    audited(ledger, "jde_coupa", "suppliers", "create", "4343", "created supplier", target_id="C-981")
    runner = CliRunner()
    by_source = runner.invoke(cli, ["audit", "4343"])
    by_target = runner.invoke(cli, ["audit", "C-981"])
    assert by_source.exit_code == 0, by_source.output
    assert "tax ID missing in F0401" in by_source.output and "C-981" in by_source.output
    assert "created supplier" in by_target.output and "4343" in by_target.output
    missing = runner.invoke(cli, ["audit", "nope"])
    assert missing.exit_code != 0 and "nothing recorded" in missing.output


def test_a_replay_line_names_records_left_queued_only_when_there_are_some():
    """Every record had a handler: the line does not say "0 left queued (...)"."""
    assert ReplaySummary(replayed=[1, 2], failed=[3]).line() == "2 replayed, 1 failed again"
    assert ReplaySummary(no_handler=[4]).line() == (
        "0 replayed, 0 failed again, 1 left queued (no replay handler for their flow in this deployment)"
    )


def test_replay_resolves_with_a_handler_and_keeps_the_rest(env, monkeypatch):
    ledger = Ledger(env)
    vendors = ("itest", "vendors", "vendor")
    ok = queued(ledger, vendors, "V1", "BILL answered 503", payload={"name": "Müller"})
    bad = queued(ledger, vendors, "V2", "name missing", payload={"name": ""})
    orphan = queued(ledger, ("other", "nobody", "x"), "X1", "no handler")

    def handler(item, _ledger):
        if not item.payload["name"]:
            raise ValueError(f"vendor {item.source_key}: field name is empty")
        return ReplayOutcome(target_id=f"T-{item.source_key}", detail="vendor created")

    given_to_commands(monkeypatch, with_deployment({("itest", "vendors"): handler}))
    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0
    assert "[stays queued: no replay handler for their flow in this deployment]" in dry.output
    assert len(ledger.open_items(status="failed")) == 3
    result = CliRunner().invoke(cli, ["replay"])
    assert result.exit_code == 1, result.output  # one record failed again
    assert (
        "1 replayed, 1 failed again, 1 left queued (no replay handler for their flow in this deployment)"
        in result.output
    )
    open_ids = {item.id for item in ledger.open_items(status="failed")}
    assert open_ids == {bad.id, orphan.id}
    [retried] = [i for i in ledger.open_items(status="failed") if i.id == bad.id]
    # Queued by its first failed write (attempt 1), failed again in the replay (attempt 2), and said so.
    assert retried.attempts == 2 and "field name is empty" in retried.reason
    assert f"#{bad.id} itest/vendors V2 failed again: attempts=2" in result.output
    assert [e.action for e in ledger.history("V1")] == ["replay"]
    assert ledger.history("T-V1")[0].source_id == "V1"
    assert ok.id not in open_ids


def test_ping_checks_every_configured_system(env, monkeypatch, tmp_path):
    from connector_resources.ping import registered_pings
    from connector_resources.settings import SANDBOX_PORT_BASE_ENV
    from connector_sandbox.registry import free_port_base, start

    monkeypatch.setenv(SANDBOX_PORT_BASE_ENV, str(free_port_base()))  # never the default ports
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    running = start(scale=0.02)  # every system at its default (sandbox) address, moved together
    try:
        result = CliRunner().invoke(cli, ["ping"])
    finally:
        for sandbox in running:
            sandbox.stop()
    assert result.exit_code == 0, result.output
    names = registered_pings()
    assert {"ledger", "vault", "jde_ais"} <= set(names)
    for name in names:
        assert f"ok   {name}" in result.output, result.output
    unknown = CliRunner().invoke(cli, ["ping", "--system", "sap"])
    assert unknown.exit_code != 0 and "no ping check named sap" in unknown.output


def test_ping_fails_loudly_for_an_unreachable_system(env, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("ML_JDE_AIS_URL", f"http://127.0.0.1:{port}/jderest")
    result = CliRunner().invoke(cli, ["ping", "--system", "jde_ais", "--system", "ledger"])
    assert result.exit_code == 1
    assert "FAIL jde_ais" in result.output and "ok   ledger" in result.output


def test_audit_groups_an_id_by_the_system_it_names_a_record_in(env):
    """JDE supplier 1011 and Procurify vendor 1011 are two records: each under its own system, JDE's first
    here by name, and ``--system`` shows one."""
    ledger = Ledger(env)
    jde = ("jde_procurify", "supplier", "JDE", "1011", "procurify")
    ledger.claim_xref(*jde)
    ledger.record_target(*jde, target_id="88", content_hash="h1")
    vendor = ("jde_procurify", "vendor", "procurify", "1011", "JDE")
    ledger.claim_xref(*vendor)
    ledger.record_target(*vendor, target_id="5004", content_hash="h2")
    created = {"entity": "vendor", "source_system": "procurify", "target_system": "JDE", "target_id": "5004"}
    audited(ledger, "jde_procurify", "vendors", "create", "1011", "created supplier 5004", **created)
    no_email = queued(ledger, ("jde_procurify", "suppliers", "supplier"), "1011", "no e-mail")
    ledger.audit_item(no_email, "fail", "no e-mail in F01151")
    shown = CliRunner().invoke(cli, ["audit", "1011"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    jde_at, procurify_at = lines.index("== JDE 1011"), lines.index("== procurify 1011")
    assert jde_at < procurify_at
    assert any("no e-mail in F01151" in line for line in lines[jde_at:procurify_at])  # a queue event
    assert any("created supplier 5004" in line for line in lines[procurify_at:])
    only = CliRunner().invoke(cli, ["audit", "1011", "--system", "procurify"])
    assert "== " not in only.output.split("queue #")[0] and "JDE 1011 ->" not in only.output
    assert "procurify 1011 -> JDE 5004" in only.output
    nowhere = CliRunner().invoke(cli, ["audit", "1011", "--system", "coupa"])
    assert nowhere.exit_code != 0 and "nothing recorded for '1011' in coupa" in nowhere.output
