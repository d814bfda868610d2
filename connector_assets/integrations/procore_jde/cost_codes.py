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

The tables check their rows' shape when staged; what only JD Edwards knows (the account exists in F0901 and
is postable, its business unit and the project's job business unit exist) is checked here, against the
staged F0901 (``GlAccounts``): the JDE sandbox has no F0006, so a business unit exists when F0901 has an
account on it, as the other JDE flows judge it. Every refusal names the cost code, the project and the
account in a finance user's words, since the person who fixes it edits the table or the chart of accounts.
"""

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetsDefinition

from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.integrations.procore_jde.integration import INTEGRATION
from connector_assets.jde.accounts import GlAccount, GlAccounts

DEFAULT_PROJECT = "*"  # the project-table key every project without a row of its own takes
JOB = "{job}"  # the business unit of a cost-code account that stands for the project's job business unit
PROJECT_SEPARATOR = "/"  # "<project id>/<full_code>": a cost-code row for one project only
GUARDED_BY = ("jde_ais", "procore")  # the sandbox tables only fit these two sandboxes
BUSINESS_UNIT_CHARS = 12  # F0006.MCU
PROCORE_ID = re.compile(r"[1-9][0-9]{0,19}")  # Procore ids: 64-bit integers, keyed as decimal strings
FULL_CODE = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")  # "03", "03-100", "03-100-10"
PARENT_SEPARATORS = re.compile(r"[-.]")


# -- the rows' shape (checked when a table is staged) ------------------------------------------------------


def business_unit_problem(value: str) -> str | None:
    """What is wrong with a JDE business unit as typed in the project table, in a finance user's words."""
    text = value.strip()
    if not text or len(text) > BUSINESS_UNIT_CHARS or not text.isalnum():
        return f"a JDE business unit is 1 to {BUSINESS_UNIT_CHARS} letters or digits"
    return None


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


def _account_parts(value: str) -> list[str]:
    return [part.strip() for part in value.strip().split(".")]


def job_account_problem(value: str) -> str | None:
    """What is wrong with a cost code's JDE account as typed: ``BU.OBJ[.SUB]`` or ``{job}.OBJ[.SUB]``."""
    parts = _account_parts(value)
    shape = f"the JDE account must read BU.OBJ, BU.OBJ.SUB, {JOB}.OBJ or {JOB}.OBJ.SUB"
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        return shape
    unit, rest = parts[0], parts[1:]
    if unit.lower() != JOB and business_unit_problem(unit):
        return f"{shape} (BU: 1 to {BUSINESS_UNIT_CHARS} letters or digits)"
    if not all(part.isalnum() for part in rest if part) or len(parts[1]) > 6 or len(rest[-1]) > 8:
        return f"{shape} (OBJ: up to 6, SUB: up to 8 letters or digits)"
    return None


def clean_job_account(value: str) -> str:
    """``{job}`` as written here, every JDE segment in capitals (F0901 keys are upper case), a blank
    subsidiary dropped (``M30.7120.`` is ``M30.7120``)."""
    parts = _account_parts(value)
    unit = JOB if parts[0].lower() == JOB else parts[0].upper()
    return ".".join([unit, *(part.upper() for part in parts[1:] if part)])


@dataclass(frozen=True)
class KeyCheckedTable(MappingTable):
    """A mapping table whose keys have a shape too (project ids, cost codes): every key is checked when the
    file is read, naming the file and the line, before the values are (``load_pairs``)."""

    check_key: Callable[[str], str | None] | None = None

    def read(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.path()
        if path is not None and self.check_key is not None:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                for row in reader:
                    key = (row.get(self.key) or "").strip()
                    problem = self.check_key(key) if key else None
                    if problem:
                        line = reader.line_num
                        raise ValueError(f"{path.name} line {line}: {self.key} {key}: {problem}")
        return super().read(path)


def _table(
    variable: str,
    key: str,
    value: str,
    check_key: Callable[[str], str | None],
    check: Callable[[str], str | None],
    clean: Callable[[str], str],
    description: str,
) -> KeyCheckedTable:
    """A Procore -> JDE table as its setting declares it (the asset is the setting's name, the sandbox file
    its default), guarded by both sandboxes."""
    return KeyCheckedTable.from_setting(
        variable,
        key=key,
        value=value,
        description=description,
        guarded_by=GUARDED_BY,
        check=check,
        clean=clean,
        check_key=check_key,
    )


PROJECTS = _table(
    "ML_PROCORE_JDE_PROJECT_MAP",
    "procore_project_id",
    "jde_business_unit",
    project_key_problem,
    business_unit_problem,
    lambda text: text.strip().upper(),
    "Procore project id (or * for every other project) -> JDE job business unit, staged from "
    "ML_PROCORE_JDE_PROJECT_MAP. Every purchase order's business unit and company come from this snapshot.",
)
COST_CODES = _table(
    "ML_PROCORE_JDE_COST_CODE_MAP",
    "procore_cost_code",
    "jde_account",
    cost_code_key_problem,
    job_account_problem,
    clean_job_account,
    "Procore cost code (full code, or <project id>/<full code> for one project; a parent code maps its "
    "children) -> JDE account BU.OBJ[.SUB], where BU may be {job} (the project's job business unit), "
    "staged from ML_PROCORE_JDE_COST_CODE_MAP. Every line's account comes from this snapshot.",
)
TABLES = (PROJECTS, COST_CODES)
procore_jde_mapping_tables: list[AssetsDefinition] = [
    build_mapping_table_asset(table, group=INTEGRATION) for table in TABLES
]


# -- the resolver ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobAccount:
    """Where a cost lands in JDE: the F0901 account (``BU.OBJ[.SUB]``; empty for a project's job alone),
    its business unit (MCU, the cost center) and its company (CO)."""

    account: str
    business_unit: str
    company: str


def parent_codes(full_code: str) -> list[str]:
    """The code, then each parent, nearest first: ``03-100-10`` -> ``03-100-10``, ``03-100``, ``03``."""
    codes = [full_code]
    while (found := list(PARENT_SEPARATORS.finditer(codes[-1]))) and found[-1].start() > 0:
        codes.append(codes[-1][: found[-1].start()])
    return codes


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
        self.accounts = accounts
        # {table asset: fingerprint} of the snapshots this map was built from (the mapped asset's metadata
        # records them itself when the snapshots are read inside ``recording_snapshots``).
        self.fingerprints = dict(fingerprints or {})
        self.unit_companies: dict[str, str] = {}
        for (unit, _obj, _sub), found in accounts.accounts.items():
            self.unit_companies.setdefault(unit, found.company)

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
        company = self.unit_companies.get(unit)
        if company is None:
            return (
                f"{project} maps to job business unit {unit}, not found in F0901 (no account on it: the "
                f"business unit does not exist in JDE)"
            )
        return JobAccount("", unit, company)

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
            tried = ", ".join(self._keys(str(project_id).strip(), code.upper()))
            return (
                f"{where} has no row in {COST_CODES.asset} ({COST_CODES.variable}; looked for {tried}), "
                "so it has no JDE account"
            )
        account = mapped.replace(JOB, job.business_unit, 1) if mapped.startswith(JOB) else mapped
        unit = account.split(".")[0]
        if unit not in self.unit_companies:
            return (
                f"{where} maps to account {account}, whose business unit {unit} is not found in F0901 "
                "(no account on it: the business unit does not exist in JDE)"
            )
        found = self.accounts.lookup(account)
        if found is None:
            return f"{where} maps to account {account}, not found in F0901"
        if found.posting_edit in ("N", "I"):
            return f"{where} maps to account {account}, which is not postable ({_posting_edit(found)})"
        return JobAccount(account, unit, found.company)

    def _keys(self, project_id: str, code: str) -> list[str]:
        return [f"{project_id}{PROJECT_SEPARATOR}{code}", *parent_codes(code)]

    def _row(self, project_id: str, code: str) -> str | None:
        """The first row of the override order: the project's own row, then the code, then its parents."""
        for key in self._keys(project_id, code):
            if key in self.cost_codes:
                return self.cost_codes[key]
        return None


def _project(project_id: str, project_label: str) -> str:
    label = str(project_label or "").strip()
    return f"project {project_id} ({label})" if label else f"project {project_id}"


def _posting_edit(found: GlAccount) -> str:
    why = "a non-posting summary account" if found.posting_edit == "N" else "inactive"
    return f"posting edit code {found.posting_edit}: {why}"
