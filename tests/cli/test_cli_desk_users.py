"""``ml-connector desk users``: accounts added with a password read from stdin (never an argument), listed
without it, refused when too short, removed with their sessions."""

from click.testing import CliRunner

from connector_cli.main import cli
from connector_resources.ledger import Ledger


def test_desk_accounts_from_a_shell(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(
        cli,
        ["desk", "users", "add", "otto", "--role", "operator", "--password-stdin"],
        input="a long password\n",
    )
    assert added.exit_code == 0 and "desk account otto (operator) added" in added.output
    short = runner.invoke(
        cli, ["desk", "users", "add", "vera", "--role", "viewer", "--password-stdin"], input="x\n"
    )
    assert short.exit_code == 1 and "at least 12 characters" in short.output
    token = Ledger(url).desk_sign_in("otto", "a long password", hours=1)
    listed = runner.invoke(cli, ["desk", "users", "list"])
    assert "otto  operator" in listed.output and "a long password" not in listed.output
    assert runner.invoke(cli, ["desk", "users", "remove", "otto"]).exit_code == 0
    assert Ledger(url).desk_session(token) is None
    assert runner.invoke(cli, ["desk", "users", "remove", "otto"]).exit_code == 1
