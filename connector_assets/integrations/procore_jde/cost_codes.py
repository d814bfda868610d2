"""Where a Procore cost on a project lands in JD Edwards: the project and cost code mapping tables and the
resolver every Procore -> JDE flow maps lines with, checked against the staged F0901; refusals in a finance
user's words. Columns, fallbacks, holds: docs/integrations/procore_jde.md, "Mapping tables"."""

from collections.abc import Iterable, Mapping
from typing import Any

from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.flows.master_checks import key_problems, merged, value_problems
from connector_assets.flows.setting_tables import setting_table
from connector_assets.jde.job_accounts import business_unit_problem, clean_job_account, job_account_problem
from connector_assets.jde.job_cost_map import JobCostMap
from connector_assets.jde.master_data import business_units, is_job_account, job_accounts, postable_accounts
from connector_assets.procore.cost_code_keys import (
    DEFAULT_PROJECT,
    cost_code_key_problem,
    cost_code_keys,
    project_key_problem,
    projects,
)

GUARDED_BY = ("jde_ais", "procore")  # the sandbox tables only fit these two sandboxes


def _projects_master(resources: Mapping[str, Any], rows: Mapping[str, str]) -> dict[str, str]:
    return merged(
        key_problems(
            rows, lambda ids: projects(resources["procore"], ids), keep=lambda k: k != DEFAULT_PROJECT
        ),
        value_problems(rows, lambda units: business_units(resources["jde"], units)),
    )


def _accounts(jde: Any, accounts: Iterable[str]) -> dict[str, str]:
    """A named account postable in F0901; a ``{job}`` account's object and subsidiary postable on some unit
    (the job's unit depends on the project: the project table's units are checked there)."""
    named = list(accounts)
    return {
        **postable_accounts(jde, [a for a in named if not is_job_account(a)]),
        **job_accounts(jde, [a for a in named if is_job_account(a)]),
    }


def cost_code_tables(it: Instance) -> tuple[MappingTable, MappingTable]:
    """``it``'s project and cost code tables, each as its setting declares it (the asset is the setting's
    name, the sandbox file its default)."""
    projects = setting_table(
        it.instance,
        it.variable("project_map"),
        "procore_project_id",
        "jde_business_unit",
        "Procore project id (or * for every other project) -> JDE job business unit, staged from "
        f"{it.variable('project_map')}. Every purchase order's business unit and company come from this "
        "snapshot.",
        GUARDED_BY,
        business_unit_problem,
        lambda text: text.strip().upper(),
        project_key_problem,
        master=MasterData(
            ("jde", "procore"),
            _projects_master,
            "the Procore project exists; the JDE business unit has accounts in F0901",
        ),
    )
    cost_codes = setting_table(
        it.instance,
        it.variable("cost_code_map"),
        "procore_cost_code",
        "jde_account",
        "Procore cost code (full code, or <project id>/<full code> for one project; a parent code maps its "
        "children) -> JDE account BU.OBJ[.SUB], where BU may be {job} (the project's job business unit), "
        f"staged from {it.variable('cost_code_map')}. Every line's account comes from this snapshot.",
        GUARDED_BY,
        job_account_problem,
        clean_job_account,
        cost_code_key_problem,
        master=MasterData.asking(
            "jde",
            _accounts,
            "the JDE account is in F0901 and postable ({job}: its object and subsidiary on some business "
            "unit)",
        ),
    )
    return projects, cost_codes


# -- the resolver ------------------------------------------------------------------------------------------


class CostCodeMap(JobCostMap):
    """The project and cost-code tables checked against the staged F0901 (the JDE side's ``JobCostMap``): a
    cost code's row is looked for as ``<project id>/<full_code>``, then the code, then its parents; pure
    once built (the mappers call it per line, no I/O). An instance's is a subclass on its own ``tables``."""

    default_project = DEFAULT_PROJECT
    keys = staticmethod(cost_code_keys)
