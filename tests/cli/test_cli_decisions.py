"""``ml-connector abandon`` / ``reopen``: the shell's user is the operator; each item said, refusals named."""

from click.testing import CliRunner
from ledger_entries import queued

from connector_cli.main import cli
from connector_resources.ledger import Ledger


def test_abandon_and_reopen_from_a_shell(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("USER", "ana")
    ledger = Ledger(url)
    item = queued(ledger, ("jde_coupa", "suppliers", "supplier"), "4472", "x")
    runner = CliRunner()
    done = runner.invoke(cli, ["abandon", str(item.id), "999", "--note", "merged into 4471"])
    assert done.exit_code == 1
    assert f"queue item {item.id} (jde_coupa/suppliers 4472): abandoned" in done.output
    assert "queue item 999: refused: queue item 999 does not exist" in done.output
    missing = runner.invoke(cli, ["reopen", str(item.id)])
    assert missing.exit_code == 2 and "--note" in missing.output
    again = runner.invoke(cli, ["reopen", str(item.id), "--note", "4471 was wrong", "--by", "ben"])
    assert again.exit_code == 0, again.output
    assert [(a.actor, a.action) for a in ledger.operator_actions()] == [("ben", "reopen"), ("ana", "abandon")]
