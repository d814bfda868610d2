"""Procurify's departments as every flow that charges or opens account codes reads them (JD Edwards and
Oracle Fusion <-> Procurify): a department is named by its location and its own name (``Location
name|Department name``: names repeat across locations), each at most 150 characters (reference 2.8), and
``DepartmentDirectory`` holds Procurify's listing whole, so a department table row is checked against
Procurify the same way whichever ERP the other side is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SEPARATOR = "|"
NAME_MAX = 150  # Procurify location and department names (reference 2.8)

Place = tuple[str, str]  # (location name, department name)


def department_place(department: Mapping[str, Any]) -> Place:
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
