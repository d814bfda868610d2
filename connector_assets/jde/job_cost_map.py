"""JD Edwards job costing as a source's mapping tables declare it: a project -> its job business unit, a cost
code -> the account ``BU.OBJ[.SUB]`` (``{job}`` for the project's unit), each answer checked against the
staged F0901 or refused naming the table to fix. A document being mapped asks through its own view
(``awaiting``), where an account not set up yet is answered as it will be and noted in ``waits``.
"""

import copy
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self

from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.job_accounts import AccountWaits, JobAccount, JobAccounts, clean_job_account
from connector_assets.runtime.staging import StagingResource
from connector_resources.refusals import mapping_missing, source_invalid
from connector_resources.said import reworded, said


class JobCostMap:
    """A project table (project -> job business unit; ``default_project`` the key of every other project)
    and an account table (``keys(project, code)``: the keys a code's row is looked for under, in order)
    checked against the staged F0901; ``tables``: the two ``MappingTable``s, which the refusals name. Pure
    once built (the mappers call it per line, no I/O)."""

    tables: ClassVar[tuple[Any, Any]]
    default_project: ClassVar[str]
    keys: ClassVar[Callable[[str, str], list[str]]]
    waits: AccountWaits | None = None  # a document's view only (``awaiting``)

    def __init__(
        self,
        projects: Mapping[str, str],
        cost_codes: Mapping[str, str],
        accounts: GlAccounts,
        fingerprints: Mapping[str, str] | None = None,
    ) -> None:
        self.projects = {k.strip(): v.strip().upper() for k, v in projects.items()}
        self.cost_codes = {k.strip().upper(): clean_job_account(v) for k, v in cost_codes.items()}
        self.accounts = JobAccounts(accounts)
        # {table asset: fingerprint} of the snapshots this map was built from (the mapped asset's metadata
        # records them itself when the snapshots are read inside ``recording_snapshots``).
        self.fingerprints = dict(fingerprints or {})

    @classmethod
    def load(cls, staging: StagingResource) -> Self:
        """A run's map: the staged snapshots (never the files) and the staged F0901."""
        projects, codes = cls.tables
        return cls._of(projects.snapshot(staging), codes.snapshot(staging), staging)

    @classmethod
    def today(cls, staging: StagingResource) -> Self:
        """A replay's map: today's files staged afresh (so a fixed table takes effect), then read back."""
        projects, codes = cls.tables
        return cls._of(projects.restage(staging), codes.restage(staging), staging)

    @classmethod
    def _of(cls, projects: Any, cost_codes: Any, staging: StagingResource) -> Self:
        prints = {
            table.asset.to_user_string(): snapshot.fingerprint
            for table, snapshot in zip(cls.tables, (projects, cost_codes), strict=True)
        }
        return cls(projects, cost_codes, GlAccounts.load(staging), prints)

    def awaiting(self, document: str) -> tuple["JobCostMap", AccountWaits]:
        """This map as ``document`` (a finance user's label of it) is mapped through, and what it waits
        for: the same tables and F0901, noting in its own ``AccountWaits`` the accounts JDE's chart has not
        set up yet (module docstring). One view per document: what one waits for is never another's."""
        view = copy.copy(self)  # shares the read-only tables; a subclass keeps its key order
        view.waits = AccountWaits(document)
        return view, view.waits

    def job(self, project_id: str, project_label: str) -> JobAccount | str:
        """The project's job business unit and its company (a purchase order's header), or why not."""
        project = _project(project_id, project_label)
        table, default = self.tables[0], self.default_project
        unit = self.projects.get(str(project_id).strip())
        if unit is None:
            unit = self.projects.get(default)
        if unit is None:
            sentence = (
                f"{project} has no job business unit in {table.asset.to_user_string()} ({table.variable}), "
                f"and the table has no {default} row for every other project"
            )
            name = table.asset.to_user_string()
            return said(mapping_missing(sentence, table=name, what="project", value=str(project_id).strip()))
        return self.accounts.job(unit, project)

    def account(self, project_id: str, project_label: str, cost_code: str) -> JobAccount | str:
        """The postable JDE account a cost on ``cost_code`` of the project is charged to, or why not."""
        project = _project(project_id, project_label)
        code = str(cost_code or "").strip()
        if not code:
            sentence = f"a line on {project} has no cost code, so it has no JDE account"
            return said(source_invalid(sentence, field="cost code"))
        where = f"cost code {code} on {project}"
        job = self.job(project_id, project_label)
        if isinstance(job, str):
            return reworded(job, f"{where}: {job}")
        mapped = self._row(str(project_id).strip(), code.upper())
        if mapped is None:
            tried = ", ".join(self.keys(str(project_id).strip(), code.upper()))
            table = self.tables[1]
            sentence = (
                f"{where} has no row in {table.asset.to_user_string()} ({table.variable}; "
                f"looked for {tried}), "
                "so it has no JDE account"
            )
            name = table.asset.to_user_string()
            return said(mapping_missing(sentence, table=name, what="cost code", value=code))
        return self.accounts.account(mapped, job, where, self.waits)

    def _row(self, project_id: str, code: str) -> str | None:
        """The first row of the override order (``keys``)."""
        for key in self.keys(project_id, code):
            if key in self.cost_codes:
                return self.cost_codes[key]
        return None


def _project(project_id: str, project_label: str) -> str:
    label = str(project_label or "").strip()
    return f"project {project_id} ({label})" if label else f"project {project_id}"
