"""Which Procurify account code a JDE account is, and which JDE account a Procurify account code is.

Both directions go through here, so a purchase order line sent to Procurify and a bill item posted back
to JDE name the same account. Parsing a scope and reading a table both ways is JDE's
(``jde.account_codes``); this module binds this integration's settings and checks its table. The table
and the scope: docs/integrations/jde_procurify.md, "Mapping tables".
"""

from connector_assets.flows.code_maps import OneToOneTable
from connector_assets.flows.instance import Instance
from connector_assets.flows.mapping_master import MasterData
from connector_assets.jde import account_codes
from connector_assets.jde.account_codes import normal_account
from connector_assets.jde.accounts import account_problem
from connector_assets.jde.master_data import postable_accounts
from connector_assets.procurify.account_codes import code_problem
from connector_resources.refusals import Refusal, mapping_missing, master_missing

GUARDED_BY = ("jde_ais", "procurify")  # the sandbox table and the default scope only fit these sandboxes
ACCOUNT_CODE_ENTITY = "account_code"  # the ``account_codes`` flow's entity (JDE -> Procurify)


def accounts_table(it: Instance) -> OneToOneTable:
    """``it``'s account table (``<instance>/account_map``), checked both ways (``flows.code_maps``): each
    JDE account reads ``BU.OBJ[.SUB]``."""
    table, scope = it.variable("account_map"), it.variable("account_scope")
    return OneToOneTable.from_setting(
        table,
        key="jde_account",
        value="procurify_account_code",
        description=(
            "JDE account (BU.OBJ[.SUB]) <-> Procurify account code, one-to-one, staged from "
            f"${table}: PO lines are sent on the mapped code, bill items posted to the mapped JDE "
            f"account. Accounts not in it are their own code when in ${scope}."
        ),
        guarded_by=GUARDED_BY,
        check=code_problem,
        clean=str.strip,
        key_problem=account_problem,
        key_clean=normal_account,
        twice="JDE account {key} is mapped twice (each JDE account maps to one Procurify account code)",
        shared="Procurify account code {value} is mapped from both {other} and {key}; a bill item on {value} "
        "could not be posted to one JDE account (each code maps to one JDE account)",
        # The code is created or adopted in Procurify by the account_codes flow, so only JDE's side is asked.
        master=MasterData.asking(
            "jde", postable_accounts, "the JDE account is in F0901 and postable", of="keys"
        ),
    )


def account_map_type(it: Instance, table: OneToOneTable) -> type[account_codes.AccountMap]:
    """``it``'s staged account table read both ways (JDE account -> code, code -> JDE account), with its
    scope: the F0901 accounts that become Procurify account codes of their own (code = the JDE account
    text) without a row in ``table`` (its ``account_scope``). Its messages name the instance's settings."""

    class AccountScope(account_codes.AccountScope):
        setting = it.variable("account_scope")
        guarded_by = GUARDED_BY

    class AccountMap(account_codes.AccountMap):
        scope_type = AccountScope
        table_setting = table.variable

    return AccountMap


def account_refusal(code: str, problem: str, table: account_codes.AccountMap, name: str) -> Refusal:
    """``AccountMap.jde_account``'s ``problem`` for ``code`` as data: a code the table (named ``name``) does
    not map (read as a JDE account that F0901 lacks or does not post to) is a row missing from the account
    map; a mapped code whose JDE account F0901 lacks or does not post to is that account missing in JDE."""
    text = str(code).strip()
    if text not in table.reverse:
        return mapping_missing(problem, table=name, what="account code", value=text)
    return master_missing(problem, system="JDE", what="account", value=table.accounts_for_code(text) or text)
