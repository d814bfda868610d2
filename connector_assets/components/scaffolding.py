"""What ``dg scaffold defs <type> <name>`` writes for an ml-connector component: a ``defs.yaml`` that loads
as it is, and the ``Connector`` instance beside it when the defs folder has none yet.

Why the connector too: the shared parts (the ledger, the replay job, the system sides an integration
reads, alerts) are built once per code location by one ``Connector`` instance; a first integration
scaffolded into a new project would otherwise fail to load until a second command was run.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

CONNECTOR_TYPE = "connector_assets.components.Connector"


def has_connector(defs_root: Path) -> bool:
    """Whether a ``defs.yaml`` under ``defs_root`` declares the ``Connector`` type."""
    return any(CONNECTOR_TYPE in path.read_text(encoding="utf-8") for path in defs_root.rglob("defs.yaml"))


def write_defs(folder: Path, type_name: str) -> None:
    """``folder``'s ``defs.yaml``: an instance of ``type_name`` with no attributes (every setting at its
    default)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defs.yaml").write_text(f"type: {type_name}\n", encoding="utf-8")


def write_instance(request: dg.ScaffoldRequest) -> None:
    """The requested instance's ``defs.yaml``. YAML only: an instance made in Python is a
    ``ComponentLoadContext`` function the project writes itself."""
    if request.scaffold_format != "yaml":
        raise ValueError(f"{request.type_name} is scaffolded as YAML (--format yaml)")
    write_defs(request.target_path, request.type_name)


class IntegrationScaffolder(dg.Scaffolder):
    """An integration instance: its type with no attributes (every setting at its default: the sandbox), and
    the connector instance if the defs folder has none."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        write_instance(request)
        defs_root = request.target_path.parent
        if not has_connector(defs_root):
            write_defs(defs_root / "connector", CONNECTOR_TYPE)


class ConnectorScaffolder(dg.Scaffolder):
    """The connector instance: its type alone."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        write_instance(request)
