"""A command run outside any project is refused, naming where it looked, and creates nothing.

``ml-connector mappings export`` one folder above the project used to open a new, empty ledger in a
``./.dagster_home`` it made there (and exported the sandbox's table from it; an import would have written
into it), while ``where`` in the same folder refused. Every command now finds the project one way
(``connector_resources.project_home.locate``). Here the shell stands in a folder with no ``workspace.yaml``
at or above it and none of the settings naming a home or a ledger.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from connector_cli.main import cli

SETTINGS = ("ML_CONNECTOR_DB_URL", "ML_CONNECTOR_HOME", "DAGSTER_HOME")
ACCOUNTS = "jde_account,bill_chart_of_account_id\n1.6110,0ca02H7YJrQnSuDepqNB\n"


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder, the current directory, outside any project; none of ``SETTINGS`` set."""
    folder = tmp_path / "outside"
    folder.mkdir()
    for name in SETTINGS:
        monkeypatch.setenv(name, "")  # restored after the test
        monkeypatch.delenv(name)
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["mappings", "export", "jde_bill/account_map"],
        ["mappings", "import", "{file}", "--table", "jde_bill/account_map", "--note", "x", "--yes"],
        ["mappings", "list"],
        ["audit", "1001"],
        ["where"],
    ],
    ids=["export", "import", "list", "audit", "where"],
)
def test_a_command_outside_a_project_is_refused_naming_where_it_looked_and_makes_nothing(outside, args):
    accounts = outside.parent / "accounts.csv"  # the file to import lies beside, not in, the folder
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    result = CliRunner().invoke(cli, [arg.format(file=accounts) for arg in args])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    looked = "no workspace.yaml or pyproject.toml with [tool.dg.project]"
    assert f"not in an ml-connector project: {looked} in {outside} or any folder above it" in said
    assert "DAGSTER_HOME" in said and "nothing was created" in said
    assert isinstance(result.exception, SystemExit)  # a refusal, not an exception escaping
    assert list(outside.iterdir()) == []  # no .dagster_home, no ledger
