"""``mappings``: the mapping tables the ledger holds, from a shell (list, show with history, export, import).

Why a CLI beside the exceptions desk: a chart of accounts reworked in a spreadsheet is a bulk edit, and
the ledger, not a file, is where a table lives once it is first used. ``export`` writes a table as the CSV
its file would be (the table's own two column headers), so it can be edited and brought back; ``import``
reads a file exactly as a configured file is read, shows the diff and any row refused (format or master
data, through the same ``plan_change`` the desk uses), asks, and saves it with who and why as one new
version. Whoever runs the CLI with the ledger's credentials is an operator, as for ``abandon``: ``--by``
names them (default: the login name), ``--note`` says why. Both name the ledger they use first
(``ledger_line``): a table lives in one ledger, and the shell's settings decide which.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import click

from connector_cli.decisions import login_name
from connector_resources.ledger import Ledger, describe_url, shared_ledger
from connector_resources.ledger.mapping_store import MappingChange, MappingUse, StaleMapping
from connector_resources.ledger.operator_actions import OPERATOR_ROLE, Operator

if TYPE_CHECKING:  # loaded with the deployment, when a command first needs the tables
    from connector_assets.flows.mapping_changes import MappingDiff, MappingRefused
    from connector_assets.flows.mapping_tables import MappingTable

WHEN = "%Y-%m-%d %H:%M UTC"


def enabled() -> dict[str, MappingTable]:
    """The tables of the enabled integrations, by name (``jde_bill/payment_terms_map``): the deployment's
    (``Deployment.tables``, its components' tables)."""
    from connector_assets.deployment import Deployment

    return dict(sorted(Deployment.of().tables.items()))


def table_named(name: str) -> MappingTable:
    """The table ``name`` names; a ``ClickException`` listing every table otherwise."""
    tables = enabled()
    if name not in tables:
        raise click.ClickException(f"no mapping table {name!r}; the tables: {', '.join(tables) or 'none'}")
    return tables[name]


@click.group()
def mappings() -> None:
    """The mapping tables (JDE account -> Coupa account, payment terms, ...) the ledger holds: a configured
    file is imported once on first use; after that, change a table at the exceptions desk or with
    `mappings import`, each change checked and kept with who, when and why."""


@mappings.command("list")
def list_command() -> None:
    """Every table of the enabled integrations: rows, version, where it was imported from, the last change,
    and a warning when its configured file no longer matches what the ledger imported."""
    ledger = shared_ledger()
    for name, table in enabled().items():
        info = ledger.mapping_info(name)
        if info is None:
            click.echo(f"{name}: not in the ledger yet; {_first_use(table)}")
            continue
        last = ledger.mapping_history(name, limit=1)
        change = f"; last change by {last[0].actor} at {last[0].at:{WHEN}}" if last else ""
        click.echo(f"{name}: {info.rows} row(s), version {info.version}, {origin_said(info.origin)}{change}")
        differs = table.file_differs(ledger)
        if differs:
            click.echo(f"  warning: {differs}")


def origin_said(origin: str) -> str:
    """Where a table started: a file imported on first use, or an import into an empty optional table."""
    if origin.startswith("import "):
        return f"started by mappings {origin}"
    return f"imported from {origin}"


def current_rows(table: MappingTable, ledger: Ledger) -> dict[str, str]:
    """Today's rows (the first use imports the configured file); a table whose file cannot be used (the
    sandbox file once a system is real and the setting unset, a file that does not load) said in one line."""
    try:
        return table.current(ledger)
    except ValueError as problem:
        raise click.ClickException(
            f"{table.name}: {problem}. To start the table from a file of yours, set ${table.variable} to it "
            "(the first use imports it)"
        ) from None


def _first_use(table: MappingTable) -> str:
    """What the first run will import into a table the ledger does not hold yet."""
    try:
        path = table.path()
    except ValueError as problem:  # the sandbox guard: the file to import is not set
        return f"it cannot be imported: {problem}"
    if path is None:
        return f"empty until a row is saved (${table.variable} is unset)"
    return f"the first use imports {path}"


@mappings.command("show")
@click.argument("table_name", metavar="TABLE")
@click.option("--history", is_flag=True, help="Also every change: who, when, old -> new, and why.")
@click.option("--key", default=None, help="With --history: the changes of this row only.")
@click.option("--limit", default=100, show_default=True, help="With --history: at most this many changes.")
@click.option(
    "--uses", is_flag=True, help="Also the latest runs that mapped with the table, and the version each used."
)
def show_command(table_name: str, history: bool, key: str | None, limit: int, uses: bool) -> None:
    """The rows of TABLE (key -> value), as flows map with them from the next step that maps or replay on."""
    table = table_named(table_name)
    ledger = shared_ledger()
    rows = current_rows(table, ledger)
    info = ledger.mapping_info(table.name)
    said = f"version {info.version}, {origin_said(info.origin)}" if info else "empty, never saved"
    click.echo(f"{table.name} ({table.key} -> {table.value}): {len(rows)} row(s), {said}")
    if table.master is not None:
        click.echo(f"rows are checked before they are saved: {table.master.what}")
    for left, right in rows.items():
        click.echo(f"  {left} -> {right}")
    if history:
        changes = ledger.mapping_history(table.name, key=key, limit=limit)
        click.echo(f"changes, latest first{' (of ' + key + ')' if key else ''}:")
        for line in history_lines(changes):
            click.echo(line)
        if len(changes) == limit:
            click.echo(f"  (the latest {limit} changes; --limit for more)")
    if uses:
        for line in use_lines(ledger.mapping_uses(table.name)):
            click.echo(line)


def use_lines(uses: list[MappingUse]) -> list[str]:
    """The runs that mapped with the table, latest first: which version each used and since when."""
    if not uses:
        return ["no run has mapped with it yet"]
    return ["runs that mapped with it, latest first:"] + [
        f"  version {use.version} in run {use.run_id} (first read {use.at:{WHEN}})" for use in uses
    ]


def history_lines(changes: list[MappingChange]) -> list[str]:
    """Changes grouped by version (latest first): a heading with when, who, how and why, then each row's
    old -> new, by key."""
    versions: dict[int, list[MappingChange]] = {}
    for change in changes:
        versions.setdefault(change.version, []).append(change)
    lines: list[str] = []
    for version, rows in versions.items():
        head = rows[0]
        lines.append(
            f"  version {version} at {head.at:{WHEN}} by {head.actor} ({head.role}) via {head.origin}: "
            f"{head.note}"
        )
        for change in sorted(rows, key=lambda c: c.map_key):
            old, new = change.old_value, change.new_value
            if old is None:
                lines.append(f"    + {change.map_key} -> {new}")
            elif new is None:
                lines.append(f"    - {change.map_key} (was {old})")
            else:
                lines.append(f"    ~ {change.map_key}: {old} -> {new}")
    return lines


@mappings.command("export")
@click.argument("table_name", metavar="TABLE")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def export_command(table_name: str, file: Path | None) -> None:
    """TABLE as CSV (its own two column headers, sorted by key) to FILE, else to stdout: edit it and bring
    it back with `mappings import FILE --table TABLE`."""
    table = table_named(table_name)
    ledger = shared_ledger()
    click.echo(ledger_line(ledger), err=True)  # stdout may be the CSV itself
    rows = current_rows(table, ledger)
    info = ledger.mapping_info(table.name)
    if file is None:
        write_csv(sys.stdout, table, rows)
    else:
        with file.open("w", newline="", encoding="utf-8") as handle:
            write_csv(handle, table, rows)
    version = info.version if info else 0
    click.echo(f"exported {len(rows)} row(s) of {table.name} (version {version})", err=True)


def ledger_line(ledger: Ledger) -> str:
    """Which ledger a command reads or writes (password masked): a table lives in one ledger, and a shell
    whose settings name another would otherwise export or change that one's without a word."""
    return f"ledger: {describe_url(ledger.url)}"


def write_csv(handle: TextIO, table: MappingTable, rows: dict[str, str]) -> None:
    """The table as its configured file would hold it: ``key,value`` header, then the rows by key."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow((table.key, table.value))
    writer.writerows(sorted(rows.items()))


@mappings.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--table", "table_name", required=True, help="The table FILE holds (see `mappings list`).")
@click.option("--note", required=True, help="Why (kept with every row's change).")
@click.option("--by", default=login_name, help="Who imports (default: $USER).")
@click.option("--yes", is_flag=True, help="Save without asking (the diff is still printed).")
@click.option("--replace", is_flag=True, help="Remove the table's rows FILE does not have (default: keep).")
def import_command(file: Path, table_name: str, note: str, by: str, yes: bool, replace: bool) -> None:
    """Set the rows of FILE in TABLE: FILE is checked as the table's configured file would be, every row
    added or changed is checked against the systems' master data where the table has such a check, the
    diff is shown, and, once confirmed, saved as one new version with who and why. A refused row saves
    nothing. Rows of the table that FILE does not have are kept, unless --replace."""
    from connector_assets.flows.mapping_changes import MappingRefused, plan_change, save_change

    table = table_named(table_name)
    operator = Operator(by, OPERATOR_ROLE)  # refused before anything is read when --by is blank
    try:
        rows = table.read(file)
    except ValueError as problem:
        raise click.ClickException(f"{file}: not imported, nothing saved: {problem}") from None
    ledger = shared_ledger()
    click.echo(ledger_line(ledger))
    today = current_rows(table, ledger)  # the first use imports the configured file: the diff is against it
    if replace and today and not rows:
        raise click.ClickException(
            f"{file} has no rows: --replace would empty {table.name}; nothing saved (remove rows by name "
            "at the desk, or import a file holding the rows to keep)"
        )
    try:
        planned = plan_change(table, rows, ledger=ledger, replace=replace)
    except MappingRefused as refused:
        _refused(refused)
    diff = planned.diff
    if not diff:
        click.echo(f"{table.name} already has every row of {file}: nothing to change")
        return
    click.echo(f"{table.name} (version {planned.version}) <- {file}:")
    for line in diff.lines():
        click.echo(f"  {line}")
    click.echo(_summary(diff, kept=_kept(table, ledger, rows) if not replace else 0))
    if not yes and not click.confirm(f"Save as version {planned.version + 1}?", default=False):
        click.echo("not saved")
        raise click.exceptions.Exit(1)
    try:
        info = save_change(planned, by=operator, note=note, origin=f"import {file}", ledger=ledger)
    except StaleMapping as stale:
        raise click.ClickException(
            f"{stale}; nothing was saved: import the file again to see the diff against today's table"
        ) from None
    except MappingRefused as refused:
        _refused(refused)
    click.echo(f"saved {table.name} version {info.version} (now {info.rows} row(s)) by {by}: {note}")
    click.echo(
        "the next step that maps, or replay, maps with it (ml-connector replay sends what it unblocks)"
    )


def _refused(refused: MappingRefused) -> NoReturn:
    """Each refused row on stderr (key: problem), then exit 1: nothing was saved."""
    click.echo(f"{refused.table}: not saved, {len(refused.problems)} row(s) refused:", err=True)
    for key, problem in sorted(refused.problems.items()):
        click.echo(f"  {key}: {problem}", err=True)
    raise click.exceptions.Exit(1)


def _kept(table: MappingTable, ledger: Ledger, rows: dict[str, str]) -> int:
    """How many of the table's rows the file does not name (kept without --replace)."""
    return len(set(current_rows(table, ledger)) - set(rows))


def _summary(diff: MappingDiff, *, kept: int) -> str:
    said = f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.removed)} removed"
    if kept:
        said += f"; {kept} row(s) not in the file kept (--replace removes them)"
    return said
