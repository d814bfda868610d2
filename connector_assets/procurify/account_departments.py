"""Procurify's departments as every flow that charges or opens account codes reads them: named by location and
name (``Location name|Department name``: names repeat across locations), each at most 150 characters
(reference 2.8). ``DepartmentDirectory`` holds Procurify's listing whole, so a table row is checked the same
way whatever the ERP; ``CodeDepartments`` is which departments an ERP account's code is opened for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from connector_assets.runtime.session_source import SessionSource
from connector_resources.procurify.session import ProcurifySession

SEPARATOR = "|"
NAME_MAX = 150  # Procurify location and department names (reference 2.8)

Place = tuple[str, str]  # (location name, department name)


def department_place(department: Mapping[str, object]) -> Place:
    """(location name, department name) of a Procurify department object as the API gives it, in its
    listing and nested in order items and bills (``{"name", "branch": {"name"}}``)."""
    branch = department.get("branch")
    location = str(branch.get("name") or "").strip() if isinstance(branch, Mapping) else ""
    return location, str(department.get("name") or "").strip()


def department_key(department: Mapping[str, Any] | None) -> str | None:
    """``Location name|Department name`` of a Procurify department object; None when it names none."""
    if not isinstance(department, Mapping):
        return None
    location, name = department_place(department)
    return f"{location}{SEPARATOR}{name}" if name else None


def name_length_problem(location: str, department: str) -> str | None:
    """Which of a location and department name is longer than Procurify keeps, in a finance user's words."""
    for what, part in zip(("location", "department"), (location, department), strict=True):
        if len(part) > NAME_MAX:
            return f"a Procurify {what} name has at most {NAME_MAX} characters ({len(part)} given)"
    return None


@dataclass(frozen=True)
class Placement:
    """Where a requisition is placed, by the names the API takes (``location_name``, ``department_name``)."""

    location: str
    department: str

    def __str__(self) -> str:
        return f"{self.location}{SEPARATOR}{self.department}"


def placement_problem(value: str) -> str | None:
    """What is wrong with a ``Location name|Department name`` table cell, in a finance user's words."""
    parts = value.split(SEPARATOR)
    if len(parts) != 2 or not all(p.strip() for p in parts):
        return "write the Procurify location and department as Location name|Department name"
    return name_length_problem(parts[0].strip(), parts[1].strip())


def clean_placement(value: str) -> str:
    """A valid ``Location name|Department name`` cell with the spaces around each name trimmed."""
    location, department = value.split(SEPARATOR)
    return f"{location.strip()}{SEPARATOR}{department.strip()}"


class DepartmentDirectory:
    """Procurify's departments read whole (``/api/v3/departments/`` has no date filter; it is small master
    data): every place known, the active ones, their locations, each id's place and the id of each active
    place (the first listed)."""

    def __init__(self, departments: Iterable[Mapping[str, Any]]) -> None:
        self.active: set[Place] = set()
        self.known: set[Place] = set()
        self.locations: set[str] = set()
        self.places_by_id: dict[str, Place] = {}
        self.active_ids: dict[Place, int] = {}
        for row in departments:
            place = department_place(row)
            self.locations.add(place[0])
            self.known.add(place)
            self.places_by_id[str(row.get("id"))] = place
            if row.get("active") is not False:
                self.active.add(place)
                if isinstance(row.get("id"), int):
                    self.active_ids.setdefault(place, row["id"])

    @classmethod
    def read(cls, session: ProcurifySession) -> Self:
        """Procurify's departments, one listing on ``session``."""
        return cls(session.iter_all("departments"))

    def placement_problem(self, where: Placement, row: str) -> str | None:
        """Why a requisition cannot be placed at ``where`` (None: it can), after ``row`` (the table row
        that names the place, in the integration's words)."""
        if (where.location, where.department) in self.active:
            return None
        if where.location not in self.locations:
            return f"{row}, but Procurify has no location named {where.location!r}"
        if (where.location, where.department) in self.known:
            return f"{row}, but that department is inactive in Procurify"
        return f"{row}, but Procurify has no department {where.department!r} in {where.location!r}"


def active_places(departments: Iterable[Mapping[str, object]] | None) -> list[tuple[int, str]]:
    """(id, ``Location|Department``) of each active Procurify department with an id, as listed."""
    found = []
    for row in departments or ():
        place = department_key(row)
        if place and row.get("active") is not False and isinstance(row.get("id"), int):
            found.append((row["id"], place))
    return found


class CodeDepartments:
    """The Procurify department ids an ERP account's code is opened for, by ``rule``: ``company`` (every
    unit of the account's company: an order may charge any of them), ``unit`` (its own unit only) or
    ``none`` (a Procurify admin opens them). ``unit_places``: unit -> (location, department) from the
    integration's department table; ``department_ids``: Procurify's active departments by place. An
    account is read by its ``company`` and ``business_unit``."""

    def __init__(
        self,
        rule: str,
        unit_places: Mapping[str, Place | None],
        department_ids: Mapping[Place, int],
        units_of_company: Mapping[str, set[str]],
    ) -> None:
        self.rule = rule
        self.unit_places = unit_places
        self.department_ids = department_ids
        self.units_of_company = units_of_company
        self.unplaced: set[str] = set()  # placements the table names that Procurify does not have

    @classmethod
    def none(cls) -> CodeDepartments:
        return cls("none", {}, {}, {})

    @classmethod
    def load(
        cls,
        rule: str,
        accounts: Iterable[Any],
        place: Callable[[str], Place | None],
        session: ProcurifySession,
    ) -> CodeDepartments:
        """For the ERP ``accounts`` (their units placed by ``place``) and Procurify's departments (one
        listing on ``session``)."""
        if rule == "none":
            return cls.none()
        units_of_company: dict[str, set[str]] = {}
        for entry in accounts:
            units_of_company.setdefault(entry.company, set()).add(entry.business_unit)
        places = {unit: place(unit) for units in units_of_company.values() for unit in units}
        ids = DepartmentDirectory(session.iter_all("departments")).active_ids
        return cls(rule, places, ids, units_of_company)

    def for_account(self, entry: Any) -> list[int]:
        if self.rule == "none":
            return []
        units = {entry.business_unit}
        if self.rule == "company":
            units = self.units_of_company.get(entry.company, units)
        found: set[int] = set()
        for unit in units:
            place = self.unit_places.get(unit)
            if place is None:
                continue
            department = self.department_ids.get(place)
            if department is None:
                self.unplaced.add(SEPARATOR.join(place))
            else:
                found.add(department)
        return sorted(found)


# Procurify asked about the ``Location name|Department name`` places a mapping table names, before an
# operator's change to the table is saved. ``/api/v3/departments/`` takes no name filter, so the listing is
# read once per check (a page or two of small master data), never once per row.
def places(procurify: SessionSource[ProcurifySession], named: Iterable[str]) -> dict[str, str]:
    """``{place: problem}`` for each ``Location|Department`` Procurify has no active department for."""
    wanted = [p for p in dict.fromkeys(named) if p and not placement_problem(p)]
    if not wanted:
        return {}
    with procurify.session() as session:
        directory = DepartmentDirectory.read(session)
    problems = {}
    for place in wanted:
        location, department = (part.strip() for part in place.split(SEPARATOR))
        problem = directory.placement_problem(
            Placement(location, department), f"Procurify department {place}"
        )
        if problem:
            problems[place] = problem
    return problems
