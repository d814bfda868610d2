"""``ml-connector periods``: the windows money is judged by, read from the JDE and Fusion simulators as the
flows read them, and ``periods roll`` moving both on by one period (a month end rehearsed)."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner
from served_sandboxes import served

from connector_cli.main import cli


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def test_periods_shows_the_open_windows_and_roll_moves_them_on(tmp_path, monkeypatch):
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    this_month = date.today().replace(day=1)
    with served(["jde_ais", "fusion"], str(tmp_path / "home")):
        before = CliRunner().invoke(cli, ["periods", "show", "--company", "00001"])
        assert before.exit_code == 0, before.output
        assert "ML_GL_DATE_POLICY=refuse" in before.output
        assert f"JDE company 00001 (A/P periods): open from {this_month}" in before.output
        assert f"JDE company 00001 (G/L periods): open from {this_month}" in before.output
        assert (
            f"(Payables periods, ApplicationId 200): open {this_month:%b-%y} (from {this_month})"
            in before.output
        )

        rolled = CliRunner().invoke(cli, ["periods", "roll"])
        assert rolled.exit_code == 0, rolled.output
        assert "JD Edwards sandbox: the current period closed" in rolled.output
        assert "Oracle Fusion sandbox: the current period closed" in rolled.output
        next_month = _month_after(this_month)
        # Which period closed and which is now open, per company and ledger, as the flows read them.
        ap_rolled = next(line for line in rolled.output.splitlines() if "JDE company 00001 (A/P" in line)
        assert f"closed period {this_month.month} of the fiscal year starting" in ap_rolled
        assert f"({this_month} to {next_month - timedelta(days=1)})" in ap_rolled
        assert f"now current period {next_month.month} of the fiscal year starting" in ap_rolled
        assert f"({next_month} to " in ap_rolled
        assert (
            f"(Payables periods, ApplicationId 200): closed {this_month:%b-%y} ({this_month} to "
            in rolled.output
        )
        assert f"now open {next_month:%b-%y} ({next_month} to " in rolled.output

        after = CliRunner().invoke(cli, ["periods", "show", "--company", "00001"])
        assert f"JDE company 00001 (A/P periods): open from {next_month}" in after.output
        assert f"open {next_month:%b-%y} (from {next_month})" in after.output


def test_roll_is_refused_against_a_configured_system(monkeypatch):
    monkeypatch.setenv("ML_JDE_AIS_URL", "https://jde.example.com/jderest")
    result = CliRunner().invoke(cli, ["periods", "roll", "--system", "jde"])
    assert result.exit_code == 1
    assert "JD Edwards is a configured system, not a sandbox" in result.output
