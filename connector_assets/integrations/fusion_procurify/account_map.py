"""Which Fusion natural account a Procurify account code posts to: the account table (``accounts_table``,
segment 3 of ``company-costcenter-account-intercompany``), many-to-one since Procurify's codes are finer than
a chart of a few dozen natural accounts. Rows are shape-checked when staged; usability when a charge account
is built (``charge_accounts.ChargeAccounts``). docs/integrations/fusion_procurify.md, "Mapping tables".
"""

from collections.abc import Callable

from connector_assets.flows.code_maps import KeyCheckedTable
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.fusion.charge_combinations import segment_problem
from connector_assets.fusion.master_data import natural_accounts
from connector_assets.procurify.account_codes import code_problem

GUARDED_BY = ("fusion", "procurify")  # the sandbox table only fits these two sandboxes
Segments = Callable[[], tuple[str, ...]]  # accountCombinationsLOV's segment attribute names


def normal_code(code: str) -> str:
    """A Procurify account code as the table keys it: trimmed (codes are case-sensitive text)."""
    return str(code).strip()


def segment_names(it: Instance) -> tuple[str, ...]:
    """The four segment attributes of ``accountCombinationsLOV`` (company, cost center, natural account,
    intercompany): ``it``'s ``account_segments``, a setting as the reference spells none beyond
    ``_CODE_COMBINATION_ID`` (§2.9). The combinations asset reads them too."""
    return tuple(it.setting("account_segments"))


def accounts_table(variable: str, segments: Segments) -> KeyCheckedTable:
    """The account table of setting ``variable`` (an instance's ``account_map``), its natural accounts
    checked in the combinations of ``segments``."""
    return KeyCheckedTable.from_setting(
        variable,
        key="procurify_account_code",
        value="fusion_account",
        description=(
            "Procurify account code -> Fusion natural account (segment 3, e.g. 60000), staged from "
            f"${variable}: every purchase order line and bill item is charged to "
            "<company>-<cost center>-<this account>-<intercompany> in Fusion, and the account_codes flow "
            "keeps each mapped code in Procurify."
        ),
        guarded_by=GUARDED_BY,
        check=segment_problem,
        clean=str.strip,
        key_check=code_problem,
        key_clean=normal_code,
        key_shown=lambda code: f"{code[:60]}...",
        # Only Fusion is asked: the Procurify code is created or adopted by the account_codes flow.
        master=MasterData.asking(
            "fusion",
            lambda fusion, naturals: natural_accounts(fusion, naturals, segments()),
            "the Fusion natural account is in an enabled, postable, active combination",
        ),
    )
