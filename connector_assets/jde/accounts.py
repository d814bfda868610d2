"""The JDE account master (F0901) as flows that write G/L lines into JDE check it: an account JDE does not
know or cannot post to is refused before anything is sent, looked up in the staged ``jde/gl_accounts``
(a cache read daily) only.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from dagster import Failure

from connector_assets.flows import instance
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.runtime.staging import StagingResource
from connector_resources import settings
from connector_resources.refusals import master_missing, refused
from connector_resources.said import said

WHY_NOT_POSTABLE = {"N": "a non-posting summary account", "I": "inactive"}  # by F0901.PEC


@dataclass(frozen=True)
class GlAccount:
    company: str
    posting_edit: str  # F0901.PEC: blank = postable, N non-posting, I inactive

    @property
    def posting_problem(self) -> str | None:
        """``posting edit code N: a non-posting summary account`` (or ``I: inactive``); None when postable."""
        why = WHY_NOT_POSTABLE.get(self.posting_edit)
        return f"posting edit code {self.posting_edit}: {why}" if why else None


def account_text_ok(text: str) -> bool:
    """Whether ``text`` reads as a JDE account in the ``BU.OBJ[.SUB]`` notation (at most 29 characters)."""
    parts = text.split(".")
    return len(parts) in (2, 3) and all(p.strip() for p in parts[:2]) and len(text) <= 29


def account_problem(text: str) -> str | None:
    """What is wrong with a JDE account as typed in a mapping table, in a finance user's words."""
    return None if account_text_ok(text) else "the JDE account must read BU.OBJ or BU.OBJ.SUB"


class GlAccounts:
    """The staged F0901 (``jde/gl_accounts``) keyed by (business unit, object, subsidiary)."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self.accounts: dict[tuple[str, str, str], GlAccount] = {}
        for row in rows:
            key = tuple((row.get(c) or "").strip().upper() for c in ("MCU", "OBJ", "SUB"))
            self.accounts[key] = GlAccount((row.get("CO") or "").strip(), (row.get("PEC") or "").strip())

    @classmethod
    def load(cls, staging: StagingResource) -> "GlAccounts":
        accounts = cls(staging.read_rows(GL_ACCOUNTS.asset, None))
        if not accounts.accounts:
            # Without the account master every line would be "not found": a systemic cause, not bad records.
            raise Failure(
                f"the JDE account master cache ({GL_ACCOUNTS.asset.to_user_string()}, F0901) is empty or was "
                "never read; "
                f"materialize {GL_ACCOUNTS.asset.to_user_string()}, then rerun this partition"
            )
        return accounts

    def lookup(self, account: str) -> GlAccount | None:
        parts = account.split(".")
        key = (parts[0], parts[1], parts[2] if len(parts) == 3 else "")
        return self.accounts.get(key)

    def postable(self, account: str, source: str) -> GlAccount | str:
        """The account a G/L line may be sent to, or why it cannot be (unknown or not postable), naming
        ``source``."""
        found = self.lookup(account) if account_text_ok(account) else None
        if found is None:
            sentence = f"account {account} not found in F0901 ({source})"
            return said(master_missing(sentence, system="JDE", what="account", value=account))
        if found.posting_problem:
            sentence = f"account {account} is not postable ({found.posting_problem}; {source})"
            return said(refused(sentence, rule="account not postable"))
        return found

    @cached_property
    def business_units(self) -> frozenset[str]:
        """The business units F0901 holds an account in."""
        return frozenset(unit for unit, _obj, _sub in self.accounts)

    def unit_problem(self, unit: str, where: str) -> str | None:
        """Why ``unit`` is no business unit of F0901 (no account in it), naming ``where``; None when it is."""
        return (
            None
            if unit in self.business_units
            else f"business unit {unit} not found in F0901 (no account in it; {where})"
        )


# -- accounts named by a setting (a journal's A/P, bank or tax account) -----------------------------------


def account_setting(env: str) -> str | None:
    """The JDE account the setting ``env`` names; its sandbox default only while JDE is the sandbox (an
    account that happens to exist in a real JDE must not be posted to because nobody set it). None: not
    set (or set to nothing) for a real JDE."""
    given = instance.given(env)  # an integration's setting: its instance's value
    if given:
        return given.strip()
    real_jde = any(s.is_url and settings.given(s.env) for s in settings.system("jde_ais").settings)
    default = (settings.registered(env).default or "").strip()
    return None if real_jde or not default else default


def setting_account_problems(
    accounts: Iterable[tuple[str, str | None]], gl: "GlAccounts | None", *, unset: str | None
) -> list[str]:
    """What is wrong with each (setting, account) of ``accounts`` in a finance user's words, naming the
    setting: not the ``BU.OBJ[.SUB]`` notation, or (``gl`` given) unknown or not postable in F0901. An
    unset account (None) is ``<setting> <unset>`` when ``unset`` says why that matters, else passed over."""
    problems = []
    for env, account in accounts:
        if account is None:
            if unset:
                problems.append(f"{env} {unset}")
        elif account_problem(account):
            problems.append(f"{env} {account!r}: {account_problem(account)}")
        elif gl is not None:
            found = gl.postable(account, env)
            if isinstance(found, str):
                problems.append(found)
    return problems
