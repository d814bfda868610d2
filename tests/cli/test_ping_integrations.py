"""``ml-connector ping`` checks only the systems the chosen integrations reach, with the ledger and the
vault: ``--integration`` names them (repeatable), else ``ML_INTEGRATIONS``. Only the JDE and Coupa
simulators run here, on free ports: a check of BILL, Procore, Procurify or Fusion would fail (nothing
listens at their addresses), so a passing ping proves none was tried.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from connector_assets.deployment import known_names
from connector_cli.main import cli

JDE_COUPA_CHECKS = ["coupa", "jde_ais", "ledger", "vault"]


@pytest.fixture
def env(jde_coupa_sandboxes, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.delenv("ML_INTEGRATIONS", raising=False)


def _checked(output: str) -> list[str]:
    """The checks a ping printed, each of which passed (a failed one fails the test naming it)."""
    lines = [line for line in output.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert all(line.startswith("ok ") for line in lines), output
    return [line.split()[1] for line in lines]


def test_ping_integration_checks_only_the_systems_it_reaches(env):
    result = CliRunner().invoke(cli, ["ping", "--integration", "jde_coupa"])
    assert result.exit_code == 0, result.output
    assert _checked(result.output) == JDE_COUPA_CHECKS
    jde = next(line for line in result.output.splitlines() if line.startswith("ok   jde_ais"))
    # What JDE -> Coupa reads of JDE, nothing the other integrations need (F0414, F0901, orchestrations).
    assert "read 6 table(s) (F0101, F0401, F0411, F0911, F4301, F4311); no orchestrations" in jde


def test_plain_ping_checks_the_systems_of_the_integrations_the_setting_names(env, monkeypatch):
    monkeypatch.setenv("ML_INTEGRATIONS", "jde_coupa,coupa_jde")
    result = CliRunner().invoke(cli, ["ping"])
    assert result.exit_code == 0, result.output
    assert _checked(result.output) == JDE_COUPA_CHECKS
    assert "orchestrations offered (ML_CreateVoucherBatch, ML_RecordPayment)" in result.output  # Coupa -> JDE
    only = CliRunner().invoke(cli, ["ping", "--system", "ledger"])  # --system still picks checks
    assert only.exit_code == 0 and _checked(only.output) == ["ledger"], only.output


def test_an_unknown_integration_is_refused_naming_the_known_ones(env):
    result = CliRunner().invoke(cli, ["ping", "--integration", "jde_coupa", "--integration", "sap"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--integration': unknown integration 'sap'" in result.output
    assert f"known: {', '.join(known_names())}" in result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_an_unknown_integration_in_the_setting_is_refused_naming_the_known_ones(env, monkeypatch):
    monkeypatch.setenv("ML_INTEGRATIONS", "jde_coupa,sap")
    result = CliRunner().invoke(cli, ["ping"])
    assert result.exit_code == 1, result.output
    known = ", ".join(known_names())
    assert f"unknown integration 'sap' (named by ML_INTEGRATIONS); known: {known}" in result.output


def test_plain_ping_against_a_configured_system_says_the_setting_is_unset(env, monkeypatch):
    """Unset, every integration runs: fine on the sandbox, but a deployment pointed at a real system (here
    a connection setting given) is told to name the integrations it runs."""
    monkeypatch.setenv("ML_COUPA_CLIENT_ID", "ml-connector-sandbox")  # a connection setting given
    told = CliRunner().invoke(cli, ["ping", "--system", "ledger"])
    assert told.exit_code == 0 and "ML_INTEGRATIONS is not set" in told.stderr, told.output
    monkeypatch.setenv("ML_INTEGRATIONS", "jde_coupa")
    chosen = CliRunner().invoke(cli, ["ping", "--system", "ledger"])
    assert chosen.exit_code == 0 and "ML_INTEGRATIONS" not in chosen.stderr, chosen.output
    monkeypatch.delenv("ML_INTEGRATIONS")
    monkeypatch.delenv("ML_COUPA_CLIENT_ID")
    sandbox = CliRunner().invoke(cli, ["ping", "--system", "ledger"])  # make dev's case: nothing said
    assert sandbox.exit_code == 0 and "ML_INTEGRATIONS" not in sandbox.stderr, sandbox.output
