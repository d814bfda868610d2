"""Where a command or a run finds its project: one answer, from one function, for every process.

Why one function: each surface used to guess on its own. The ledger fell back to a ``./.dagster_home``
relative to wherever the shell stood and made it, so ``ml-connector mappings export`` one folder above the
project opened a new, empty ledger there (and an import would have written into it), while ``where`` in
the same folder refused. Now a process finds its project in the configured settings (``DAGSTER_HOME``,
``ML_CONNECTOR_HOME``, ``ML_CONNECTOR_DB_URL``), else as the nearest folder at or above the current
directory holding ``workspace.yaml`` or a Dagster project's ``pyproject.toml`` (one with
``[tool.dg.project]``, as ``dg scaffold project`` writes it: a user's own project with ml-connector installed
has no ``workspace.yaml``), whose ``.dagster_home`` is the embedded default; with neither, it is refused,
naming where it looked, and nothing is created. The same folder is the project whose defs folder the
process serves (``connector_assets.project_tree``). Dagster's own processes always have one of the two: a
code location runs with the project folder as its working directory and ``DAGSTER_HOME`` set.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from connector_resources import settings

WORKSPACE_FILE = "workspace.yaml"
PYPROJECT_FILE = "pyproject.toml"
LOOKED_FOR = f"{WORKSPACE_FILE} or {PYPROJECT_FILE} with [tool.dg.project]"  # what marks a project folder
DEFAULT_HOME = ".dagster_home"  # the embedded default, inside the project folder
DB_URL_ENV = "ML_CONNECTOR_DB_URL"
LEDGER_HOME_ENV = "ML_CONNECTOR_HOME"
DAGSTER_HOME_ENV = "DAGSTER_HOME"


class NoProject(LookupError):
    """Nothing says where the project is; the message says where it was looked for and what to do."""


@dataclass(frozen=True)
class Located:
    """What ``locate`` found from ``start``: the project folder (None when none holds it) and the settings
    that name a home or a ledger (blank when unset)."""

    start: Path
    root: Path | None
    dagster_home_given: str
    ledger_home_given: str
    db_url_given: str

    @property
    def dagster_home(self) -> Path | None:
        """The Dagster instance folder: ``$DAGSTER_HOME``, else the project's ``.dagster_home``."""
        if self.dagster_home_given:
            return Path(self.dagster_home_given).expanduser().resolve()
        return self.root / DEFAULT_HOME if self.root is not None else None

    @property
    def ledger_home(self) -> Path | None:
        """The folder of the SQLite ledger: ``$ML_CONNECTOR_HOME``, else the Dagster instance folder."""
        if self.ledger_home_given:
            return Path(self.ledger_home_given).expanduser().resolve()
        return self.dagster_home

    def refusal(self, *settings_read: str) -> NoProject:
        """The refusal of a process that needs what none of ``settings_read`` nor a project folder gives."""
        unset = (
            f"{settings_read[0]} is not set"
            if len(settings_read) == 1
            else f"none of {', '.join(settings_read)} is set"
        )
        return NoProject(
            f"not in an ml-connector project: no {LOOKED_FOR} in {self.start} or any folder above it, "
            f"and {unset}; run it in the project folder (or below it), or set "
            f"{'it' if len(settings_read) == 1 else 'one'} (nothing was created)"
        )

    def require_dagster_home(self) -> Path:
        """The Dagster instance folder, or the refusal naming where it was looked for."""
        home = self.dagster_home
        if home is None:
            raise self.refusal(DAGSTER_HOME_ENV)
        return home

    def require_root(self) -> Path:
        """The project folder itself (``make dev`` runs its workspace), or the refusal."""
        if self.root is None:
            raise NoProject(
                f"no {LOOKED_FOR} in {self.start} or any folder above it; run it in the project folder"
            )
        return self.root


def project_root(start: Path | None = None) -> Path | None:
    """The nearest folder holding ``workspace.yaml`` or a Dagster project's ``pyproject.toml``: ``start``
    (default: the current directory) or one above it."""
    here = (start or Path.cwd()).resolve()
    return next(
        (
            folder
            for folder in (here, *here.parents)
            if (folder / WORKSPACE_FILE).is_file() or dagster_project(folder)
        ),
        None,
    )


def dagster_project(folder: Path) -> bool:
    """Whether ``folder`` is a Dagster project as ``dg`` knows one: its ``pyproject.toml`` has a
    ``[tool.dg.project]`` table (naming the root module, whose ``defs`` folder holds the instances)."""
    try:
        with (folder / PYPROJECT_FILE).open("rb") as handle:
            found = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return isinstance(found.get("tool", {}).get("dg", {}).get("project"), dict)


def locate(start: Path | None = None) -> Located:
    """The project as a process started in ``start`` (default: the current directory) finds it."""
    here = (start or Path.cwd()).resolve()
    return Located(
        start=here,
        root=project_root(here),
        dagster_home_given=settings.given(DAGSTER_HOME_ENV),
        ledger_home_given=settings.given(LEDGER_HOME_ENV),
        db_url_given=settings.given(DB_URL_ENV),
    )
