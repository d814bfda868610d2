"""Where a Procore cost on a project lands in JD Edwards: the two mapping tables, and the resolver every
Procore -> JDE flow maps lines with.

Two CSV tables (``mappings/``, one ``MappingTable`` each, staged as snapshots like every table):

* projects (``procore_jde_project_map``): the Procore project id -> the JDE job business unit its purchase
  orders are written to (header MCU and, through F0901, the order company). The key ``*`` is the default
  for every project without a row of its own.
* cost codes (``procore_jde_cost_code_map``): a Procore cost code's ``full_code`` -> the JDE account
  ``BU.OBJ[.SUB]`` its costs are charged to, where ``BU`` may be ``{job}``: the project's job business
  unit, so one row serves every project. A key ``<project id>/<full_code>`` overrides the row for one
  project; a missing code falls back to its parent code (``03-100-10`` -> ``03-100`` -> ``03``), so a table
  can map a whole division with one row.

The tables check their rows' shape when staged (the keys' shapes are Procore's,
``connector_assets.procore.cost_code_keys``; the accounts' are JDE's, ``connector_assets.jde.job_accounts``);
what only JD Edwards knows (the account exists in F0901 and is postable, its business unit and the
project's job business unit exist) is checked against the staged F0901 by the JDE side's ``JobAccounts``.
Every refusal names the cost code, the project and the account in a finance user's words, since the person
who fixes it edits the table or the chart of accounts.
"""

from collections.abc import Mapping
from typing import Any

from dagster import AssetsDefinition

from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.flows.setting_tables import setting_table
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.jde.accounts import GlAccounts
from connector_assets.jde.job_accounts import (
    JobAccount,
    JobAccounts,
    business_unit_problem,
    clean_job_account,
    job_account_problem,
)
from connector_assets.procore.cost_code_keys import (
    DEFAULT_PROJECT,
    cost_code_key_problem,
    cost_code_keys,
    project_key_problem,
)

GUARDED_BY = ("jde_ais", "procore")  # the sandbox tables only fit these two sandboxes

# Each table as its setting declares it (the asset is the setting's name, the sandbox file its default).
PROJECTS = setting_table(
    "ML_PROCORE_JDE_PROJECT_MAP",
    "procore_project_id",
    "jde_business_unit",
    "Procore project id (or * for every other project) -> JDE job business unit, staged from "
    "ML_PROCORE_JDE_PROJECT_MAP. Every purchase order's business unit and company come from this snapshot.",
    GUARDED_BY,
    business_unit_problem,
    lambda text: text.strip().upper(),
    project_key_problem,
)
COST_CODES = setting_table(
    "ML_PROCORE_JDE_COST_CODE_MAP",
    "procore_cost_code",
    "jde_account",
    "Procore cost code (full code, or <project id>/<full code> for one project; a parent code maps its "
    "children) -> JDE account BU.OBJ[.SUB], where BU may be {job} (the project's job business unit), "
    "staged from ML_PROCORE_JDE_COST_CODE_MAP. Every line's account comes from this snapshot.",
    GUARDED_BY,
    job_account_problem,
    clean_job_account,
    cost_code_key_problem,
)
TABLES = (PROJECTS, COST_CODES)
procore_jde_mapping_tables: list[AssetsDefinition] = [
    build_mapping_table_asset(table, group=INTEGRATION) for table in TABLES
]


# -- the resolver ------------------------------------------------------------------------------------------


class CostCodeMap:
    """The project and cost-code tables checked against the staged F0901: pure once built (the mappers
    call it per line, no I/O)."""

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
    def load(cls, staging: Any) -> "CostCodeMap":
        """A run's map: the staged snapshots (never the files) and the staged F0901."""
        return cls._of(PROJECTS.snapshot(staging), COST_CODES.snapshot(staging), staging)

    @classmethod
    def today(cls, staging: Any) -> "CostCodeMap":
        """A replay's map: today's files staged afresh (so a fixed table takes effect), then read back."""
        return cls._of(PROJECTS.restage(staging), COST_CODES.restage(staging), staging)

    @classmethod
    def _of(cls, projects: Any, cost_codes: Any, staging: Any) -> "CostCodeMap":
        prints = {PROJECTS.asset: projects.fingerprint, COST_CODES.asset: cost_codes.fingerprint}
        return cls(projects, cost_codes, GlAccounts.load(staging), prints)

    def job(self, project_id: str, project_label: str) -> JobAccount | str:
        """The project's job business unit and its company (a purchase order's header), or why not."""
        project = _project(project_id, project_label)
        unit = self.projects.get(str(project_id).strip())
        if unit is None:
            unit = self.projects.get(DEFAULT_PROJECT)
        if unit is None:
            return (
                f"{project} has no job business unit in {PROJECTS.asset} ({PROJECTS.variable}), "
                f"and the table has no {DEFAULT_PROJECT} row for every other project"
            )
        return self.accounts.job(unit, project)

    def account(self, project_id: str, project_label: str, cost_code: str) -> JobAccount | str:
        """The postable JDE account a cost on ``cost_code`` of the project is charged to, or why not."""
        project = _project(project_id, project_label)
        code = str(cost_code or "").strip()
        if not code:
            return f"a line on {project} has no cost code, so it has no JDE account"
        where = f"cost code {code} on {project}"
        job = self.job(project_id, project_label)
        if isinstance(job, str):
            return f"{where}: {job}"
        mapped = self._row(str(project_id).strip(), code.upper())
        if mapped is None:
            tried = ", ".join(cost_code_keys(str(project_id).strip(), code.upper()))
            return (
                f"{where} has no row in {COST_CODES.asset} ({COST_CODES.variable}; looked for {tried}), "
                "so it has no JDE account"
            )
        return self.accounts.account(mapped, job, where)

    def _row(self, project_id: str, code: str) -> str | None:
        """The first row of the override order: the project's own row, then the code, then its parents."""
        for key in cost_code_keys(project_id, code):
            if key in self.cost_codes:
                return self.cost_codes[key]
        return None


def _project(project_id: str, project_label: str) -> str:
    label = str(project_label or "").strip()
    return f"project {project_id} ({label})" if label else f"project {project_id}"
