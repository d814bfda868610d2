"""Which Procurify account code a JDE account is, and which JDE account a Procurify account code is.

Both directions go through here, so a purchase order line sent to Procurify and a bill item posted back
to JDE name the same account. Parsing a scope and reading a table both ways is JDE's
(``jde.account_codes``); this module binds this integration's settings and checks its table. The table
and the scope: docs/integrations/jde_procurify.md, "Mapping tables".
"""

from collections.abc import Mapping

from connector_assets.flows.code_maps import OneToOneTable
from connector_assets.flows.mapping_master import MasterData
from connector_assets.flows.mapping_tables import build_mapping_table_asset
from connector_assets.jde import account_codes
from connector_assets.jde.account_codes import normal_account
from connector_assets.jde.accounts import GlAccounts, account_problem
from connector_assets.jde.master_data import postable_accounts
from connector_assets.procurify.account_codes import code_problem
from connector_resources.refusals import Refusal, mapping_missing, master_missing

from .integration import INTEGRATION, setting

ACCOUNT_MAP_ENV = setting("ACCOUNT_MAP")
ACCOUNT_SCOPE_ENV = setting("ACCOUNT_SCOPE")
GUARDED_BY = ("jde_ais", "procurify")  # the sandbox table and the default scope only fit these sandboxes
ACCOUNT_CODE_ENTITY = "account_code"  # the ``account_codes`` flow's entity (JDE -> Procurify)


# Checked both ways (``flows.code_maps.OneToOneTable``): each JDE account reads ``BU.OBJ[.SUB]``.
ACCOUNTS: OneToOneTable = OneToOneTable.from_setting(
    ACCOUNT_MAP_ENV,
    key="jde_account",
    value="procurify_account_code",
    description=(
        "JDE account (BU.OBJ[.SUB]) <-> Procurify account code, one-to-one, staged from "
        f"${ACCOUNT_MAP_ENV}: PO lines are sent on the mapped code, bill items posted to the mapped JDE "
        f"account. Accounts not in it are their own code when in ${ACCOUNT_SCOPE_ENV}."
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
    master=MasterData.asking("jde", postable_accounts, "the JDE account is in F0901 and postable", of="keys"),
)
ACCOUNT_MAP_ASSET = ACCOUNTS.asset  # <integration>/account_map
jde_procurify_account_map = build_mapping_table_asset(ACCOUNTS, group=INTEGRATION)


class AccountScope(account_codes.AccountScope):
    """The F0901 accounts that become Procurify account codes of their own (code = the JDE account text)
    without a row in the account table (``ML_JDE_PROCURIFY_ACCOUNT_SCOPE``)."""

    setting = ACCOUNT_SCOPE_ENV
    guarded_by = GUARDED_BY


class AccountMap(account_codes.AccountMap):
    """The staged account table read both ways (JDE account -> code, code -> JDE account), with the scope."""

    scope_type = AccountScope
    table_setting = ACCOUNT_MAP_ENV


def procurify_code(
    jde_account: str, table: "Mapping[str, str] | AccountMap", scope: AccountScope | None = None
) -> str | None:
    """The Procurify account code of a JDE account: the table's, else the account's own text when it is in
    the scope (``ML_JDE_PROCURIFY_ACCOUNT_SCOPE``), else None (the caller refuses the line naming it).

    Not checked against F0901 here: the ``account_codes`` flow only creates postable accounts, so a line
    on an account without a code waits on ``account_code_dependency`` of it.
    """
    return AccountMap.of(table, scope).code_for(jde_account)


def jde_account(
    code: str,
    table: "Mapping[str, str] | AccountMap",
    gl: GlAccounts,
    scope: AccountScope | None = None,
) -> tuple[str | None, str | None]:
    """(JDE account, problem) for a Procurify account code (``jde.account_codes.AccountMap.jde_account``):
    the mapped account, else the code read as a JDE account, checked against the staged F0901. ``scope``
    is not needed (an unmapped code is read as an account whatever the scope)."""
    return AccountMap.of(table, scope if scope is not None else AccountScope(())).jde_account(code, gl)


def account_refusal(code: str, problem: str, table: AccountMap) -> Refusal:
    """``jde_account``'s ``problem`` for ``code`` as data: a code the table does not map (read as a JDE
    account that F0901 lacks or does not post to) is a row missing from the account map; a mapped code
    whose JDE account F0901 lacks or does not post to is that account missing in JDE."""
    text = str(code).strip()
    if text not in table.reverse:
        return mapping_missing(problem, table=ACCOUNTS.name, what="account code", value=text)
    return master_missing(problem, system="JDE", what="account", value=table.accounts_for_code(text) or text)


def account_code_dependency(jde_account: str) -> str:
    """What a record needing the Procurify code of ``jde_account`` waits on until the ``account_codes``
    flow wrote it: ``jde_procurify:account_code:JDE:<BU.OBJ[.SUB]>``."""
    return f"{INTEGRATION}:{ACCOUNT_CODE_ENTITY}:JDE:{normal_account(jde_account)}"
