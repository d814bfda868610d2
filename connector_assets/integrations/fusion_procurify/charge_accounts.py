"""The Fusion charge account of a Procurify line (``101-10-60000-000``), checked against both systems before
anything is sent, so a refusal names the table row to fix, not a pod's 400 (``fusion.charge_combinations``,
``procurify.code_checks``). docs/integrations/fusion_procurify.md, "Mapping tables".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from dagster import AssetKey, AssetsDefinition

from connector_assets.asset_keys import asset_key
from connector_assets.flows.code_maps import KeyCheckedTable
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_tables import Snapshot, fingerprint
from connector_assets.fusion.account_combinations import DELIMITER, Combination
from connector_assets.fusion.charge_combinations import Combinations, combinations_asset
from connector_assets.procurify.code_checks import (
    EVERY,
    ProcurifyCodeChecks,
    staged_records,
)
from connector_resources.refusals import mapping_missing, master_missing, source_invalid
from connector_resources.said import Said, reworded, said

from .account_map import accounts_table, normal_code, segment_names
from .departments import company_cost_center, departments_table, normal_key
from .procurify_side import ProcurifySide


@dataclass(frozen=True)
class ChargeTables:
    """What one instance builds its charge accounts from: its account and department tables, its staged
    Fusion combinations and Procurify's codes and departments, and its intercompany segment (read from
    ``it`` when a step loads)."""

    it: Instance
    accounts: KeyCheckedTable
    departments: KeyCheckedTable
    combinations: AssetKey
    procurify: ProcurifySide

    @classmethod
    def of(cls, it: Instance, procurify: ProcurifySide) -> "ChargeTables":
        segments = partial(segment_names, it)  # read when a table's rows are checked
        accounts = accounts_table(it.variable("account_map"), segments)
        departments = departments_table(it.variable("department_map"), segments)
        return cls(it, accounts, departments, asset_key(it.instance, "account_combinations"), procurify)

    @property
    def upstream(self) -> list[AssetKey]:
        """The tables' assets and the combinations: what a flow building charge accounts reads after."""
        return [self.accounts.asset, self.departments.asset, self.combinations]

    def combinations_asset(self) -> AssetsDefinition:
        """The instance's ``account_combinations``, staged whole with its segment setting's attributes."""
        return combinations_asset(
            key=self.combinations,
            group=self.it.instance,
            segments=partial(segment_names, self.it),
            segments_setting=self.it.variable("account_segments"),
            description=(
                "Fusion's account combinations (accountCombinationsLOV), read whole (the resource has no "
                "change stamp): every charge account the Procurify -> Fusion flows build is checked against "
                "it (exists, enabled, detail posting allowed, active on the day)."
            ),
        )

    def load(self, staging: Any, *, restage: bool = False) -> "ChargeAccounts":
        """From the staged tables (``restage=True``, a replay: today's table files staged first), the
        staged Fusion combinations and, where staged, Procurify's account codes and departments."""
        accounts: Snapshot = self.accounts.restage(staging) if restage else self.accounts.snapshot(staging)
        departments = self.departments.restage(staging) if restage else self.departments.snapshot(staging)
        return ChargeAccounts(
            accounts,
            departments,
            Combinations.staged(staging, self.combinations),
            tables=self,
            intercompany_segment=str(self.it.setting("intercompany")).strip(),
            procurify_codes=staged_records(staging, self.procurify.codes),
            procurify_departments=staged_records(staging, self.procurify.departments),
        )


class ChargeAccounts:
    """Build one per mapping step with ``ChargeTables.load`` (it reads the staged snapshots once), then ask
    ``combination`` per line; ``fingerprint`` names what it read, for a mapped asset's metadata."""

    def __init__(
        self,
        accounts: Mapping[str, str],
        departments: Mapping[str, str],
        combinations: Mapping[str, Combination],
        *,
        tables: ChargeTables,
        intercompany_segment: str,
        procurify_codes: Iterable[Mapping[str, Any]] | None = None,
        procurify_departments: Iterable[Mapping[str, Any]] | None = None,
    ) -> None:
        self.accounts = {normal_code(k): str(v).strip() for k, v in accounts.items()}
        self.departments = {normal_key(k): str(v).strip() for k, v in departments.items()}
        self.combinations = Combinations(combinations)
        self.intercompany, self.tables = intercompany_segment, tables
        # Procurify's side; a snapshot not staged (None) is not checked.
        self.procurify = ProcurifyCodeChecks(procurify_codes, procurify_departments, normal_code)
        self.known_codes = self.procurify.known_codes
        self.fingerprint = fingerprint(
            {
                "accounts": fingerprint(self.accounts),
                "departments": fingerprint(self.departments),
                "combinations": fingerprint({k: repr(v) for k, v in self.combinations.items()}),
                "intercompany": self.intercompany,
            }
        )

    def combination(
        self, account_code: str, department: str | None, *, on: date | None = None
    ) -> tuple[str | None, str | None]:
        """(combination ``101-10-60000-000``, None), or (None, why not in a finance user's words).
        ``department``: ``Location|Department`` (``departments.department_key``) or the Procurify
        department id, None for the ``*`` row; ``on``: the day the line is charged (default today, UTC)."""
        code = normal_code(account_code or "")
        if not code:
            return None, said(source_invalid("the line has no Procurify account code", field="account code"))
        place = self.procurify.department_of(department)
        refused = self.procurify.problem(code, place)
        if refused:  # Procurify's own state, not the line's: clears once Procurify lists it active
            if self.procurify.problem(code, None):
                known = code in (self.procurify.known_codes or set())
                what, value = ("active account code" if known else "account code"), code
            else:
                what, value = "department", place or ""
            return None, Said(master_missing(refused, system="Procurify", what=what, value=value))
        natural, table = self.accounts.get(code), self.tables.accounts
        if natural is None:
            return None, said(
                mapping_missing(
                    f"Procurify account code {code} has no row in the account map ({table.variable})",
                    table=table.name,
                    what="Procurify account code",
                    value=code,
                )
            )
        text, problem = self.charge_account(natural, place, on=on)
        if problem:
            return None, reworded(problem, f"{problem} (Procurify account code {code})")
        return text, None

    def charge_account(
        self, natural: str, place: str | None, *, on: date | None = None
    ) -> tuple[str | None, str | None]:
        """(combination, None) of Fusion natural account ``natural`` for department ``place``
        (``Location|Department`` or None), or (None, why not), without the Procurify side's checks: what
        the account_codes flow asks before opening a code for a department."""
        segments, _key = company_cost_center(place, self.departments)
        table = self.tables.departments
        if segments is None:
            named = f"Procurify department {place}" if place else "a line without a department"
            sentence = (
                f"{named} has no row in the department map ({table.variable}), and there is no {EVERY} row"
            )
            what = "Procurify department"
            return None, said(mapping_missing(sentence, table=table.name, what=what, value=place or ""))
        company, center = segments
        text = DELIMITER.join((company, center, natural, self.intercompany))
        problem = self.combinations.problem(text, on)
        if problem:
            return None, said(master_missing(problem, system="Fusion", what="charge account", value=text))
        return text, None

    def natural_account_problem(self, natural: str, *, on: date | None = None) -> str | None:
        """Why Fusion natural account ``natural`` takes no postings anywhere (``Combinations``)."""
        return self.combinations.natural_account_problem(natural, on=on)
