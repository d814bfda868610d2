"""Procore projects and cost codes as mapping table keys (a project id as its decimal string, a cost code by
its ``full_code``; one ``GET /projects/{id}`` each checks a project). Docs: docs/integrations/procore_jde.md,
"Mapping tables"."""

import re
from collections.abc import Iterable
from typing import Any

from connector_resources.procore.errors import ProcoreNotFoundError

DEFAULT_PROJECT = "*"  # the project-table key every project without a row of its own takes
PROJECT_SEPARATOR = "/"  # "<project id>/<full_code>": a cost-code row for one project only
PROCORE_ID = re.compile(r"[1-9][0-9]{0,19}")  # Procore ids: 64-bit integers, keyed as decimal strings
FULL_CODE = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")  # "03", "03-100", "03-100-10"
PARENT_SEPARATORS = re.compile(r"[-.]")


def project_key_problem(key: str) -> str | None:
    if key == DEFAULT_PROJECT or PROCORE_ID.fullmatch(key):
        return None
    return f"a Procore project id is its number (e.g. 562949953432100), or {DEFAULT_PROJECT} for the default"


def cost_code_key_problem(key: str) -> str | None:
    project, _, code = key.rpartition(PROJECT_SEPARATOR)
    if project and PROCORE_ID.fullmatch(project) is None:
        return (
            f"a project-specific row reads <Procore project id>{PROJECT_SEPARATOR}<cost code> "
            f"(e.g. 562949953432100{PROJECT_SEPARATOR}03-100)"
        )
    if FULL_CODE.fullmatch(code) is None:
        return "a cost code is its full code as Procore shows it (e.g. 03, 03-100 or 03-100-10)"
    return None


def parent_codes(full_code: str) -> list[str]:
    """The code, then each parent, nearest first: ``03-100-10`` -> ``03-100-10``, ``03-100``, ``03``."""
    codes = [full_code]
    while (found := list(PARENT_SEPARATORS.finditer(codes[-1]))) and found[-1].start() > 0:
        codes.append(codes[-1][: found[-1].start()])
    return codes


def cost_code_keys(project_id: str, code: str) -> list[str]:
    """The keys a cost code's row is looked for under, in override order: the project's own row, then the
    code, then its parents."""
    return [f"{project_id}{PROJECT_SEPARATOR}{code}", *parent_codes(code)]


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
