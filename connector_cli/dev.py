"""``ml-connector dev``: the Dagster UI (webserver + daemon) with the embedded default.

DAGSTER_HOME defaults to ``.dagster_home`` inside the project so a fresh clone needs nothing set up:
SQLite instance storage and a SQLite ledger live there. The top-level ``dagster.yaml`` is copied in on
every start, so the checked-in file stays the one to edit.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import click


def project_root(start: Path | None = None) -> Path:
    """The folder holding workspace.yaml: the current directory or one of its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "workspace.yaml").is_file():
            return folder
    raise click.ClickException(
        f"no workspace.yaml in {here} or its parents; run ml-connector dev from the project folder"
    )


def prepare_dagster_home(root: Path, home: Path | None = None) -> Path:
    """Create DAGSTER_HOME and put the project's dagster.yaml in it; returns the folder."""
    home = (home or Path(os.environ.get("DAGSTER_HOME") or root / ".dagster_home")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    source, target = root / "dagster.yaml", home / "dagster.yaml"
    if source.resolve() != target.resolve() and (
        not target.exists() or target.read_bytes() != source.read_bytes()
    ):
        shutil.copyfile(source, target)
    return home


def dagster_dev_command(root: Path, host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-w",
        str(root / "workspace.yaml"),
        "-h",
        host,
        "-p",
        str(port),
    ]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the Dagster UI listens on.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the Dagster UI.")
@click.option(
    "--dagster-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instance folder (default: $DAGSTER_HOME, else ./.dagster_home).",
)
def dev(host: str, port: int, dagster_home: Path | None) -> None:
    """Start the Dagster UI and daemon on the embedded default (what `make dev` runs)."""
    root = project_root()
    home = prepare_dagster_home(root, dagster_home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.chdir(root)

    from connector_resources.ledger import Ledger, ledger_url

    url = ledger_url()
    Ledger(url).engine.dispose()  # creates / migrates the ledger before the first run needs it
    click.echo(f"DAGSTER_HOME={home}")
    click.echo(f"ledger: {url if url.startswith('sqlite') else 'ML_CONNECTOR_DB_URL'}")
    click.echo(f"Dagster UI: http://{host}:{port}")
    # Processes started in the background may inherit ignored SIGINT/SIGTERM; restore the defaults so
    # Ctrl-C and `kill -INT` stop dagster dev cleanly.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    command = dagster_dev_command(root, host, port)
    os.execv(command[0], command)
