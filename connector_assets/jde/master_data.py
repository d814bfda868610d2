"""JDE's account master (F0901) asked directly about the accounts and business units a mapping table names,
before a change to the table is saved: as JDE is now, reading only what the rows name (100 values a call).
``MCU`` is stored right-justified and whether AIS trims it in a condition is unconfirmed, so a unit is
asked for both as typed and right-justified, and compared trimmed.
"""

from __future__ import annotations

from collections.abc import Iterable

from connector_assets.jde.account_codes import normal_account
from connector_assets.jde.accounts import GlAccount, GlAccounts, account_text_ok
from connector_assets.jde.job_accounts import BUSINESS_UNIT_CHARS, JOB
from connector_assets.jde.lookup import browse_in
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.runtime.session_source import SessionSource
from connector_resources.jde.session import JdeSession

COLUMNS = ["MCU", "OBJ", "SUB", "CO", "PEC"]
NO_UNIT = "not in JDE (F0901 has no account on it)"


def _parts(account: str) -> tuple[str, str, str]:
    parts = normal_account(account).split(".")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else ""


def _unit_spellings(units: Iterable[str]) -> list[str]:
    """Each unit as typed and right-justified to F0901.MCU's 12 characters."""
    spelled: list[str] = []
    for unit in units:
        spelled += [unit, unit.rjust(BUSINESS_UNIT_CHARS)] if len(unit) < BUSINESS_UNIT_CHARS else [unit]
    return spelled


def accounts_of_units(jde: SessionSource[JdeSession], units: Iterable[str]) -> GlAccounts:
    """F0901's accounts on ``units`` (read by ``MCU``, 50 units to a call), keyed as the flows key them."""
    wanted = sorted({u.strip().upper() for u in units if u.strip()})
    if not wanted:
        return GlAccounts(())
    with jde.session() as session:
        return GlAccounts(
            list(browse_in(session, GL_ACCOUNTS.table, "MCU", _unit_spellings(wanted), COLUMNS))
        )


def not_postable(account: str, found: GlAccount | None) -> str | None:
    """Why a G/L line cannot be posted to ``account`` (``found``: its F0901 row), None when it can."""
    if found is None:
        return f"account {account} is not in F0901"
    if found.posting_problem:
        return f"account {account} is not postable in F0901 ({found.posting_problem})"
    return None


def postable_accounts(jde: SessionSource[JdeSession], accounts: Iterable[str]) -> dict[str, str]:
    """``{account: problem}`` for each of ``accounts`` (``BU.OBJ[.SUB]``) that is not in F0901 or not
    postable (posting edit code ``N`` or ``I``); fine accounts have no entry. One F0901 read per 50 units."""
    named = [a for a in dict.fromkeys(accounts) if a]
    problems = {a: f"account {a} does not read BU.OBJ or BU.OBJ.SUB" for a in named if not account_text_ok(a)}
    readable = [a for a in named if a not in problems]
    chart = accounts_of_units(jde, (_parts(a)[0] for a in readable))
    for account in readable:
        problem = not_postable(account, chart.accounts.get(_parts(account)))
        if problem:
            problems[account] = problem
    return problems


def business_units(jde: SessionSource[JdeSession], units: Iterable[str]) -> dict[str, str]:
    """``{unit: problem}`` for each business unit F0901 has no account on; one F0901 read per 50 units."""
    named = [u for u in dict.fromkeys(units) if u]
    known = accounts_of_units(jde, named).business_units
    return {u: f"business unit {u} is {NO_UNIT}" for u in named if u.strip().upper() not in known}


def job_accounts(jde: SessionSource[JdeSession], accounts: Iterable[str]) -> dict[str, str]:
    """``{account: problem}`` for accounts a table names as ``{job}.OBJ[.SUB]`` (the job's unit comes from
    another table, per project): the object and subsidiary must be a postable account on at least one unit
    of F0901. Read by ``OBJ``, 100 objects to a call (an account on a named unit: ``postable_accounts``)."""
    named = [a for a in dict.fromkeys(accounts) if a]
    objects = sorted({_parts(a)[1] for a in named})
    if not objects:
        return {}
    with jde.session() as session:
        rows = list(browse_in(session, GL_ACCOUNTS.table, "OBJ", objects, COLUMNS))
    seen: dict[tuple[str, str], list[GlAccount]] = {}
    for key, found in GlAccounts(rows).accounts.items():
        seen.setdefault(key[1:], []).append(found)
    problems: dict[str, str] = {}
    for account in named:
        _unit, obj, sub = _parts(account)
        shown = f"{obj}.{sub}" if sub else obj
        on_units = seen.get((obj, sub), [])
        if not on_units:
            problems[account] = f"account {account}: object {shown} is not in F0901 on any business unit"
        elif all(not_postable(account, found) for found in on_units):
            problems[account] = (
                f"account {account}: object {shown} is not postable on any business unit of F0901"
            )
    return problems


def is_job_account(account: str) -> bool:
    """Whether a table's account names the project's job unit (``{job}.OBJ[.SUB]``) rather than a unit."""
    return account.strip().lower().startswith(f"{JOB}.")
