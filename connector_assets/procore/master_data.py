"""Procore asked whether the projects a mapping table names exist, before an operator's change to the table
is saved: one ``GET /projects/{id}`` per project named (Procore has no list filter by id), so a table of a
few project rows costs a few calls, never the company's whole project list per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector_resources.procore.errors import ProcoreNotFoundError


def projects(procore: Any, ids: Iterable[str]) -> dict[str, str]:
    """``{project id: problem}`` for each Procore project id the service account cannot read."""
    named = [i for i in dict.fromkeys(ids) if i]
    if not named:
        return {}
    problems = {}
    with procore.session() as session:
        for project in named:
            try:
                session.get("projects", project)
            except ProcoreNotFoundError:
                problems[project] = (
                    f"Procore project {project} is not in Procore (or the service account may not read it)"
                )
    return problems
