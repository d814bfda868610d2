"""A mapping table's file named in a ``defs.yaml`` must exist when Dagster loads the instance.

Why at load: a table's file is read only on the table's first use, in a run. An attribute naming a file
that is not there (a typo, a path relative to another folder) passed ``dg check defs`` and failed the first
run of the deployment; now the load refuses it, naming the instance's folder, the attribute and the file.
Only a value this instance's attributes set and that is in force is checked: a variable set in the
environment wins over the attribute (``IntegrationType.given``), and the sandbox defaults are the
project's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector_assets.components.integration_type import IntegrationType
    from connector_assets.flows.mapping_tables import MappingTable


def missing_mapping_file(instance: IntegrationType, tables: Iterable[MappingTable]) -> str | None:
    """What is wrong with the first mapping-table file ``instance``'s attributes name that does not exist
    (relative paths from the code location's working directory, as a run reads them), None when none."""
    configured = instance.variables()
    attribute = {declared.env: short for short, declared in instance.instance_settings().items()}
    for table in tables:
        named = configured.get(table.variable, "").strip()
        if not named or instance.given(attribute[table.variable]) != named:  # an override in force wins
            continue
        path = Path(named).expanduser()
        if not path.is_file():
            return (
                f"{instance.defined_in}: attributes.{attribute[table.variable]}: the mapping table file "
                f"{named} does not exist (looked for {path.resolve()}); name the CSV file of "
                f"{table.name} ({table.key},{table.value}), or remove the attribute to use the default"
            )
    return None
