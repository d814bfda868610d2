"""Coupa account codes -> JDE accounts: the mapping table, read through its staged snapshot."""

from collections.abc import Mapping
from typing import Any

from connector_assets.asset_keys import asset_key
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.jde.accounts import account_problem
from connector_assets.jde.master_data import postable_accounts

from .integration import INTEGRATION, setting

ACCOUNT_MAP_ASSET = asset_key(INTEGRATION, "account_map")
ACCOUNT_MAP_ENV = setting("ACCOUNT_MAP")


class AccountMap:
    """Coupa account code -> JDE account (``BU.OBJ.SUB``), from the mapping table; also ``charge:tax``,
    ``charge:shipping`` ... for header charges. Unmapped codes are read from the Coupa account's
    segments (segment 1 = business unit, 2 = object, 3 = subsidiary), the usual set-up when Coupa's
    chart is loaded from JDE: Coupa ``20-8150`` is JDE ``20.8150``."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self.table = {str(k).strip(): str(v).strip().upper() for k, v in table.items()}

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


# Optional (no sandbox file): unset, the table is empty and Coupa account segments are read as BU.OBJ.SUB,
# so there is no sandbox table for the guard to refuse once JDE or Coupa is pointed at a real instance.
ACCOUNTS = MappingTable(
    asset=ACCOUNT_MAP_ASSET,
    variable=ACCOUNT_MAP_ENV,
    key="coupa_account",
    value="jde_account",
    description="Coupa account code -> JDE account (BU.OBJ.SUB) mapping table, staged from the CSV file "
    f"named by ${ACCOUNT_MAP_ENV} (columns coupa_account, jde_account; charge:tax etc. for header charges). "
    "Empty when unset: Coupa account segments are then read as BU.OBJ.SUB.",
    sandbox_file=None,
    check=account_problem,
    clean=str.upper,
    master=MasterData.asking("jde", postable_accounts, "the JDE account is in F0901 and postable"),
)
coupa_jde_account_map = build_mapping_table_asset(ACCOUNTS, group=INTEGRATION)
