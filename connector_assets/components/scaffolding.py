"""What ``dg scaffold defs <type> <name>`` writes for an ml-connector component: a ``defs.yaml`` that loads
as it is (``scaffolded_instance``: a further instance named and apart from the others), and the ``Connector``
instance beside it when the defs folder has none yet.

Why the connector too: the shared parts (the ledger, the replay job, the system sides an integration
reads, alerts) are built once per code location by one ``Connector`` instance; a first integration
scaffolded into a new project would otherwise fail to load until a second command was run.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import dagster as dg

from connector_assets.components.scaffolded_instance import instance_yaml

CONNECTOR_TYPE = "connector_assets.components.Connector"


def has_connector(defs_root: Path) -> bool:
    """Whether a ``defs.yaml`` under ``defs_root`` declares the ``Connector`` type."""
    return any(CONNECTOR_TYPE in path.read_text(encoding="utf-8") for path in defs_root.rglob("defs.yaml"))


def write_defs(folder: Path, text: str) -> None:
    """``folder``'s ``defs.yaml``, holding ``text``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defs.yaml").write_text(text, encoding="utf-8")


def yaml_only(request: dg.ScaffoldRequest) -> None:
    """Refuses a request for Python: an instance made in Python is a ``ComponentLoadContext`` function the
    project writes itself."""
    if request.scaffold_format != "yaml":
        raise ValueError(f"{request.type_name} is scaffolded as YAML (--format yaml)")


def scaffolded_type(type_name: str) -> type:
    """The component type ``type_name`` (``connector_assets.components.JdeBill``) names."""
    module, _, name = type_name.rpartition(".")
    return getattr(importlib.import_module(module), name)


class IntegrationScaffolder(dg.Scaffolder):
    """An integration instance (``scaffolded_instance.instance_yaml``: the first at every default, the
    sandbox; a further one named, apart and on placeholders of its own account), and the connector instance
    if the defs folder has none."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        yaml_only(request)
        defs_root = request.target_path.parent
        kind = scaffolded_type(request.type_name)
        write_defs(request.target_path, instance_yaml(kind, defs_root, request.target_path))
        if not has_connector(defs_root):
            write_defs(defs_root / "connector", f"type: {CONNECTOR_TYPE}\n")


class ConnectorScaffolder(dg.Scaffolder):
    """The connector instance: its type alone."""

    def scaffold(self, request: dg.ScaffoldRequest) -> None:
        yaml_only(request)
        write_defs(request.target_path, f"type: {request.type_name}\n")
