"""Coupa account codes -> JDE accounts: the mapping table, read through its staged snapshot."""

from collections.abc import Mapping
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable
from connector_assets.jde.accounts import account_problem
from connector_assets.jde.master_data import postable_accounts


class AccountMap:
    """Coupa account code -> JDE account (``BU.OBJ.SUB``), from the mapping table ``name``; also
    ``charge:tax`` ... for header charges. Unmapped codes are read from the Coupa account's segments (1 =
    business unit, 2 = object, 3 = subsidiary), the usual set-up when Coupa's chart is loaded from JDE:
    Coupa ``20-8150`` is JDE ``20.8150``."""

    def __init__(self, table: Mapping[str, str], name: str) -> None:
        self.table = {str(k).strip(): str(v).strip().upper() for k, v in table.items()}
        self.name = name

    def jde_account(self, coupa_account: dict[str, Any] | None) -> str | None:
        if not isinstance(coupa_account, dict):
            return None
        code = str(coupa_account.get("code") or "").strip()
        if code in self.table:
            return self.table[code]
        segments = [str(coupa_account.get(f"segment-{n}") or "").strip() for n in (1, 2, 3)]
        if not (segments[0] and segments[1]):
            return None
        return ".".join(s for s in segments if s).upper()

    def charge_account(self, charge: str) -> str | None:
        return self.table.get(f"charge:{charge}")


def account_table(it: Instance) -> MappingTable:
    """``it``'s table, optional (no sandbox file for the guard to refuse): unset, it is empty."""
    variable = it.variable("account_map")
    return MappingTable(
        asset=asset_key(it.instance, "account_map"),
        variable=variable,
        key="coupa_account",
        value="jde_account",
        description="Coupa account code -> JDE account (BU.OBJ.SUB) mapping table, staged from the CSV file "
        f"named by ${variable} (columns coupa_account, jde_account; charge:tax etc. for header charges). "
        "Empty when unset: Coupa account segments are then read as BU.OBJ.SUB.",
        sandbox_file=None,
        check=account_problem,
        clean=str.upper,
        master=MasterData.asking("jde", postable_accounts, "the JDE account is in F0901 and postable"),
    )
