"""Where a JDE purchase order is requested in Procurify: its business unit's location and department.

A Procurify requisition is created *by names* (reference §2.4): ``location_name`` (a location, which the
API also calls a branch) and ``department_name`` (a department of that location). JDE has neither; an
order belongs to a business unit (F4301.MCU, right-justified in the database, compared trimmed). The
department table (``ML_JDE_PROCURIFY_DEPARTMENT_MAP``, asset ``jde_procurify_department_map``) names, per
business unit, ``Location name|Department name``; the key ``*`` is the default for every unit without a
row of its own.

Names are checked twice: the row's shape when the table is staged (``|`` between two non-empty names of
at most 150 characters, Procurify's limit for both), and, when an order is mapped, against Procurify's
own departments (``ProcurifyDepartments``: an active department of that name in a location of that name),
so an order is refused naming the business unit and the names before anything is sent, instead of
Procurify answering 400 on the requisition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.procurify.account_departments import SEPARATOR, DepartmentDirectory, name_length_problem

DEPARTMENT_MAP_ENV = "ML_JDE_PROCURIFY_DEPARTMENT_MAP"
GUARDED_BY = ("jde_ais", "procurify")  # the sandbox table only fits these two sandboxes
DEFAULT_UNIT = "*"


def business_unit(value: Any) -> str:
    """A JDE business unit as the table keys it: trimmed, upper case (MCU is stored right-justified)."""
    return str(value or "").strip().upper()


def _placement_problem(value: str) -> str | None:
    """What is wrong with a ``Location name|Department name`` cell, in a finance user's words."""
    parts = value.split(SEPARATOR)
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return "write the Procurify location and department as Location name|Department name"
    return name_length_problem(parts[0].strip(), parts[1].strip())


def _clean(value: str) -> str:
    location, department = value.split(SEPARATOR)
    return f"{location.strip()}{SEPARATOR}{department.strip()}"


DEPARTMENTS: MappingTable = MappingTable.from_setting(
    DEPARTMENT_MAP_ENV,
    key="jde_business_unit",
    value="procurify_department",
    description=(
        "JDE business unit (F4301.MCU, trimmed; * = every other unit) -> Procurify location and department "
        f"(Location name|Department name), staged from ${DEPARTMENT_MAP_ENV}: the location_name and "
        "department_name of the requisition a JDE purchase order becomes."
    ),
    guarded_by=GUARDED_BY,
    check=_placement_problem,
    clean=_clean,
)
DEPARTMENT_MAP_ASSET = DEPARTMENTS.asset  # "jde_procurify_department_map"
jde_procurify_department_map = build_mapping_table_asset(DEPARTMENTS, group=INTEGRATION)


@dataclass(frozen=True)
class Placement:
    """A requisition's location and department, by the names the API takes."""

    location: str
    department: str

    def __str__(self) -> str:
        return f"{self.location}{SEPARATOR}{self.department}"


def placement(unit: Any, table: Mapping[str, str]) -> Placement | None:
    """The location and department of business unit ``unit`` (its row, else the ``*`` row), or None."""
    value = table.get(business_unit(unit)) or table.get(DEFAULT_UNIT)
    if not value:
        return None
    location, department = value.split(SEPARATOR)
    return Placement(location, department)


def unplaced_reason(unit: Any) -> str:
    return (
        f"business unit {business_unit(unit) or '(blank)'} has no row in {DEPARTMENT_MAP_ASSET} (and there "
        f"is no * row): add Location name|Department name for it to ${DEPARTMENT_MAP_ENV}, then replay"
    )


class ProcurifyDepartments(DepartmentDirectory):
    """Procurify's departments by (location name, department name), read whole once per mapping run
    (``DepartmentDirectory``), and why a requisition cannot be placed in one."""

    @classmethod
    def read(cls, session: Any) -> ProcurifyDepartments:
        return cls(session.iter_all("departments"))

    def problem(self, where: Placement, unit: Any) -> str | None:
        """Why a requisition cannot be placed there, naming the business unit and the table (None: it can)."""
        row = f"business unit {business_unit(unit)} maps to {where} in {DEPARTMENT_MAP_ASSET}"
        if (where.location, where.department) in self.active:
            return None
        if where.location not in self.locations:
            return f"{row}, but Procurify has no location named {where.location!r}"
        if (where.location, where.department) in self.known:
            return f"{row}, but that department is inactive in Procurify"
        return f"{row}, but Procurify has no department {where.department!r} in {where.location!r}"
