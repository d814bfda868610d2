"""``ml-connector mappings``: the ledger's tables from a shell; an import shows its diff, refuses a wrong row
naming it, and saves with who and why, or saves nothing.

The table used is jde_bill/payment_terms_map (JDE payment terms -> BILL net days), configured to a file of
the test's own, so the file's import on first use and the warning when the file changes afterwards are
real; each test has a ledger of its own (a tmp SQLite through ML_CONNECTOR_DB_URL).
"""

import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from connector_assets.flows.mapping_changes import plan_change, save_change
from connector_assets.flows.mapping_master import MasterData
from connector_cli import mappings as mappings_module
from connector_cli.main import cli
from connector_resources.ledger import shared_ledger
from connector_resources.ledger.operator_actions import Operator

TABLE = "jde_bill/payment_terms_map"
SANDBOX_FILE = Path(__file__).resolve().parents[2] / "mappings" / "sandbox" / "jde_bill_payment_terms.csv"
HEADER = "jde_payment_terms,net_days\n"


@pytest.fixture
def terms_file(tmp_path, monkeypatch) -> Path:
    """The table configured to a copy of the sandbox terms, in a ledger of the test's own."""
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", f"sqlite:///{tmp_path / 'ledger.sqlite'}")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    configured = tmp_path / "payment_terms.csv"
    shutil.copy(SANDBOX_FILE, configured)
    monkeypatch.setenv("ML_JDE_BILL_PAYMENT_TERMS_MAP", str(configured))
    # The CLI's part is tested here, not a master-data check: the table is checked by its format only.
    _table_as(monkeypatch, TABLE, master=None)
    return configured


def _table_as(monkeypatch, name: str, **changed) -> None:
    """The deployment's table ``name`` with ``changed`` fields, for the CLI and the desk alike."""
    tables = mappings_module.enabled()
    tables[name] = dataclasses.replace(tables[name], **changed)
    monkeypatch.setattr(mappings_module, "enabled", lambda: dict(tables))


def _run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def _file(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_list_and_an_export_that_imports_back_unchanged(terms_file, tmp_path):
    before = _run("mappings", "list")
    assert before.exit_code == 0, before.output
    assert f"{TABLE}: not in the ledger yet; the first use imports {terms_file}" in before.output
    assert "jde_coupa/account_map:" in before.output  # every table of the enabled integrations

    exported = tmp_path / "exported.csv"
    done = _run("mappings", "export", TABLE, str(exported))
    assert done.exit_code == 0, done.output
    ledger_said = f"ledger: sqlite:///{tmp_path / 'ledger.sqlite'}"  # which ledger, said by each
    assert done.stderr.splitlines()[0] == ledger_said
    assert exported.read_text(encoding="utf-8") == terms_file.read_text(encoding="utf-8")
    to_stdout = _run("mappings", "export", TABLE)
    assert to_stdout.stdout == terms_file.read_text(encoding="utf-8")  # the CSV alone: the ledger on stderr
    assert ledger_said in to_stdout.stderr

    back = _run("mappings", "import", str(exported), "--table", TABLE, "--note", "round trip", "--replace")
    assert back.exit_code == 0, back.output
    assert back.stdout.splitlines()[0] == ledger_said
    assert f"{TABLE} already has every row of {exported}: nothing to change" in back.output
    assert shared_ledger().mapping_info(TABLE).version == 1

    listed = _run("mappings", "list").output
    assert f"{TABLE}: 5 row(s), version 1, imported from {terms_file}; last change by ml-connector" in listed
    assert "warning" not in listed
    terms_file.write_text(HEADER + "N10,12\n", encoding="utf-8")  # someone edits the file afterwards
    warned = _run("mappings", "list").output
    assert f"  warning: $ML_JDE_BILL_PAYMENT_TERMS_MAP ({terms_file}) differs from the table" in warned
    assert f"ml-connector mappings import {terms_file} --table {TABLE}" in warned
    assert shared_ledger().mapping_rows(TABLE)["N10"] == "10"  # the ledger's table is still the one used


def test_an_import_shows_its_diff_and_saves_with_who_and_why(terms_file, tmp_path):
    edited = _file(tmp_path, "edited.csv", "N10,10\nN30,31\nN90,90\n")
    args = ("mappings", "import", str(edited), "--table", TABLE, "--note", "BILL terms reviewed")

    declined = _run(*args, "--by", "ann", input="n\n")
    assert declined.exit_code == 1 and "not saved" in declined.output
    assert "  + N90 -> 90\n" in declined.output and "  ~ N30: 30 -> 31\n" in declined.output
    assert "1 added, 1 changed, 0 removed; 3 row(s) not in the file kept (--replace removes them)" in (
        declined.output
    )
    assert shared_ledger().mapping_info(TABLE).version == 1

    saved = _run(*args, "--by", "ann", input="y\n")
    assert saved.exit_code == 0, saved.output
    assert f"saved {TABLE} version 2 (now 6 row(s)) by ann: BILL terms reviewed" in saved.output

    replaced = _run(*args, "--by", "ben", "--replace", "--yes")
    assert replaced.exit_code == 0, replaced.output
    assert "  - N15 (was 15)\n" in replaced.output and "0 added, 0 changed, 3 removed\n" in replaced.output
    ledger = shared_ledger()
    assert ledger.mapping_rows(TABLE) == {"N10": "10", "N30": "31", "N90": "90"}
    assert ledger.mapping_info(TABLE).version == 3
    assert {
        (c.version, c.map_key, c.old_value, c.new_value, c.actor, c.note)
        for c in ledger.mapping_history(TABLE, limit=5)
    } == {
        (3, "N15", "15", None, "ben", "BILL terms reviewed"),
        (3, "N45", "45", None, "ben", "BILL terms reviewed"),
        (3, "N60", "60", None, "ben", "BILL terms reviewed"),
        (2, "N30", "30", "31", "ann", "BILL terms reviewed"),
        (2, "N90", None, "90", "ann", "BILL terms reviewed"),
    }
    assert [(a.actor, a.action, a.source_key) for a in ledger.operator_actions()][:2] == [
        ("ben", "map", TABLE),
        ("ann", "map", TABLE),
    ]

    shown = _run("mappings", "show", TABLE, "--history")
    assert shown.exit_code == 0, shown.output
    assert f"{TABLE} (jde_payment_terms -> net_days): 3 row(s), version 3, imported from {terms_file}" in (
        shown.output
    )
    assert "  N30 -> 31\n" in shown.output
    lines = shown.output.splitlines()
    v3 = next(i for i, line in enumerate(lines) if line.startswith("  version 3 at "))
    assert lines[v3].endswith(f"by ben (operator) via import {edited}: BILL terms reviewed")
    assert lines[v3 + 1 : v3 + 4] == ["    - N15 (was 15)", "    - N45 (was 45)", "    - N60 (was 60)"]
    v2 = v3 + 4
    assert lines[v2].startswith("  version 2 at ") and " by ann (operator) " in lines[v2]
    assert lines[v2 + 1 : v2 + 3] == ["    ~ N30: 30 -> 31", "    + N90 -> 90"]
    assert "  version 1 at " in shown.output and "    + N60 -> 60" in shown.output


def test_a_wrong_row_is_refused_naming_its_key_and_nothing_is_saved(terms_file, tmp_path, monkeypatch):
    args = ("--table", TABLE, "--note", "new terms", "--yes")
    bad = _file(tmp_path, "bad.csv", "N10,10\nN20,twenty\n")
    refused = _run("mappings", "import", str(bad), *args)
    assert refused.exit_code == 1
    assert "nothing saved" in refused.output and "N20 -> net_days twenty: net days must be a whole" in (
        refused.output
    )
    columns = tmp_path / "columns.csv"
    columns.write_text("terms,days\nN10,10\n", encoding="utf-8")
    wrong = _run("mappings", "import", str(columns), *args)
    assert wrong.exit_code == 1 and "missing column(s) jde_payment_terms, net_days" in wrong.output
    empty = _file(tmp_path, "empty.csv", "")
    emptied = _run("mappings", "import", str(empty), *args, "--replace")
    assert emptied.exit_code == 1 and f"--replace would empty {TABLE}; nothing saved" in emptied.output
    unknown = _run("mappings", "import", str(bad), "--table", "jde_bill/terms", "--note", "x")
    assert unknown.exit_code == 1 and "no mapping table 'jde_bill/terms'; the tables: " in unknown.output
    assert shared_ledger().mapping_info(TABLE).version == 1  # imported on first use, nothing saved since

    def at_most_120_days(resources, rows):  # a master-data check: BILL refuses longer terms
        return {
            key: f"{days} net days: BILL allows at most 120" for key, days in rows.items() if int(days) > 120
        }

    check = MasterData(systems=(), check=at_most_120_days, what="BILL allows the net days")
    _table_as(monkeypatch, TABLE, master=check)
    long = _file(tmp_path, "long.csv", "N30,30\nN90,90\nN150,150\n")
    refused = _run("mappings", "import", str(long), *args)
    assert refused.exit_code == 1
    assert (
        refused.stderr
        == f"{TABLE}: not saved, 1 row(s) refused:\n  N150: 150 net days: BILL allows at most 120\n"
    )
    assert "N90" not in refused.stdout  # no diff of a change that cannot be saved
    ledger = shared_ledger()
    assert ledger.mapping_info(TABLE).version == 1 and "N90" not in ledger.mapping_rows(TABLE)
    assert ledger.operator_actions() == []


def test_a_table_saved_while_the_import_waits_is_not_overwritten(terms_file, tmp_path, monkeypatch):
    table = mappings_module.enabled()[TABLE]

    def someone_saves_first(question, **_):  # the desk saves while the operator reads the diff
        planned = plan_change(table, {"N30": "35"})
        save_change(planned, by=Operator("dan", "operator"), note="Coupa terms moved", origin="desk")
        return True

    monkeypatch.setattr(click, "confirm", someone_saves_first)
    edited = _file(tmp_path, "edited.csv", "N30,31\n")
    stale = _run("mappings", "import", str(edited), "--table", TABLE, "--note", "terms", "--by", "ann")
    assert stale.exit_code == 1
    assert f"mapping table {TABLE} was saved by dan at " in stale.output
    assert "nothing was saved: import the file again to see the diff against today's table" in stale.output
    ledger = shared_ledger()
    assert ledger.mapping_rows(TABLE)["N30"] == "35" and ledger.mapping_info(TABLE).version == 2
    assert [a.actor for a in ledger.operator_actions()] == ["dan"]


def test_the_sandbox_table_is_refused_once_a_system_is_real(terms_file, tmp_path, monkeypatch):
    monkeypatch.delenv("ML_JDE_BILL_PAYMENT_TERMS_MAP")
    monkeypatch.setenv("ML_JDE_AIS_URL", "https://jde.example.com/jderest")
    refused = _run("mappings", "show", TABLE)
    assert refused.exit_code == 1
    assert "ML_JDE_BILL_PAYMENT_TERMS_MAP is not set, and JD Edwards" in refused.output
    assert "set $ML_JDE_BILL_PAYMENT_TERMS_MAP to it (the first use imports it)" in refused.output
    edited = _file(tmp_path, "edited.csv", "N30,31\n")
    again = _run("mappings", "import", str(edited), "--table", TABLE, "--note", "x", "--yes")
    assert again.exit_code == 1 and "the first use imports it" in again.output
    assert shared_ledger().mapping_info(TABLE) is None


def test_an_optional_table_left_unset_starts_with_an_import(terms_file, tmp_path, monkeypatch):
    optional = "coupa_jde/account_map"
    monkeypatch.delenv("ML_COUPA_JDE_ACCOUNT_MAP", raising=False)
    _table_as(monkeypatch, optional, master=None)
    assert f"{optional}: not in the ledger yet; empty until a row is saved" in _run("mappings", "list").output
    assert _run("mappings", "export", optional).stdout == "coupa_account,jde_account\n"
    first = tmp_path / "coupa.csv"
    first.write_text("coupa_account,jde_account\n20-8150,20.8150\n", encoding="utf-8")
    done = _run("mappings", "import", str(first), "--table", optional, "--note", "first row", "--yes")
    assert done.exit_code == 0, done.output
    assert f"{optional} (version 0) <- {first}:\n  + 20-8150 -> 20.8150\n" in done.output
    listed = _run("mappings", "list").output
    assert f"{optional}: 1 row(s), version 1, started by mappings import {first}; last change by " in listed


def test_show_uses_lists_the_runs_that_mapped_with_each_version(terms_file):
    """``show --uses``: the runs a mapping step noted (``Ledger.note_mapping_use``), latest first."""
    assert "no run has mapped with it yet" in _run("mappings", "show", TABLE, "--uses").output
    ledger = shared_ledger()
    ledger.note_mapping_use(TABLE, 1, "run-before-the-change")
    ledger.note_mapping_use(TABLE, 2, "run-after-the-change")
    ledger.note_mapping_use(TABLE, 2, "run-after-the-change")  # a run notes a version once
    result = _run("mappings", "show", TABLE, "--uses")
    assert result.exit_code == 0, result.output
    lines = result.output.split("runs that mapped with it, latest first:\n")[1].splitlines()
    assert [line.split(" (first read")[0] for line in lines] == [
        "  version 2 in run run-after-the-change",
        "  version 1 in run run-before-the-change",
    ]


def test_the_ledger_a_command_names_has_its_password_masked():
    ledger = SimpleNamespace(url="postgresql+psycopg2://mlc:s3cret@db.example:5432/ledger")
    assert (
        mappings_module.ledger_line(ledger) == "ledger: postgresql+psycopg2://mlc:***@db.example:5432/ledger"
    )
