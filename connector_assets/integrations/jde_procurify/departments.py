"""Where a JDE purchase order is requested in Procurify: its business unit's location and department, by
name, as Procurify creates a requisition. Names are checked against Procurify's own departments when an
order is mapped, so it is refused naming the unit before Procurify answers 400. How a place is written and
checked is the Procurify side's (``procurify.account_departments``).
The table: docs/integrations/jde_procurify.md, "Mapping tables".
"""

from __future__ import annotations

from collections.abc import Mapping

from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.procurify.account_departments import (
    SEPARATOR,
    DepartmentDirectory,
    Placement,
    clean_placement,
    placement_problem,
    places,
)

from .account_map import GUARDED_BY

DEFAULT_UNIT = "*"


def business_unit(value: object) -> str:
    """A JDE business unit as the table keys it: trimmed, upper case (MCU is stored right-justified)."""
    return str(value or "").strip().upper()


def departments_table(it: Instance) -> MappingTable:
    """``it``'s department table (``<instance>/department_map``)."""
    variable = it.variable("department_map")
    return MappingTable.from_setting(
        variable,
        key="jde_business_unit",
        value="procurify_department",
        description=(
            "JDE business unit (F4301.MCU, trimmed; * = every other unit) -> Procurify location and "
            f"department (Location name|Department name), staged from ${variable}: the location_name and "
            "department_name of the requisition a JDE purchase order becomes."
        ),
        guarded_by=GUARDED_BY,
        check=placement_problem,
        clean=clean_placement,
        master=MasterData.asking(
            "procurify", places, "Procurify has an active department of that name in a location of that name"
        ),
    )


def placement(unit: object, table: Mapping[str, str]) -> Placement | None:
    """The location and department of business unit ``unit`` (its row, else the ``*`` row), or None."""
    value = table.get(business_unit(unit)) or table.get(DEFAULT_UNIT)
    if not value:
        return None
    location, department = value.split(SEPARATOR)
    return Placement(location, department)


def unplaced_reason(unit: object, table: MappingTable) -> str:
    return (
        f"business unit {business_unit(unit) or '(blank)'} has no row in "
        f"{table.asset.to_user_string()} (and there is no * row): add Location name|Department name "
        f"for it to ${table.variable}, then replay"
    )


class ProcurifyDepartments(DepartmentDirectory):
    """Procurify's departments by (location name, department name), read whole once per mapping run
    (``DepartmentDirectory.read``), and why a requisition cannot be placed in one."""

    def problem(self, where: Placement, unit: object, table: MappingTable) -> str | None:
        """Why a requisition cannot be placed there, naming the business unit and ``table`` (None: it can)."""
        row = f"business unit {business_unit(unit)} maps to {where} in {table.asset.to_user_string()}"
        return self.placement_problem(where, row)
