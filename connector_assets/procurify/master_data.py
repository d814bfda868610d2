"""Procurify's departments asked about the ``Location name|Department name`` places a mapping table names,
before an operator's change to the table is saved: an active department of that name in a location of that
name, in the words the flows use when they place a requisition (``DepartmentDirectory.placement_problem``).

``/api/v3/departments/`` takes no name filter, so the listing is read once per check (a page or two: it
is small master data, read the same way by every flow that places requisitions), never once per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector_assets.procurify.account_departments import (
    SEPARATOR,
    DepartmentDirectory,
    Placement,
    placement_problem,
)


def places(procurify: Any, named: Iterable[str]) -> dict[str, str]:
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
