"""JDE accounts (F0901) read as another system's account codes, both ways (JD Edwards -> Procurify account
codes, and the codes read back on bills): ``normal_account`` keys an account ``BU.OBJ[.SUB]``;
``AccountScope`` makes object-account ranges (``6000-8999``, ``M30.7000-7999``) codes of their own without a
table row; ``AccountMap`` reads the integration's one-to-one table both ways. The integration binds its
settings in a subclass, so the messages name them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from dagster import Failure

from connector_assets.flows import instance
from connector_assets.jde.accounts import WHY_NOT_POSTABLE, GlAccounts, account_text_ok
from connector_assets.jde.tables import GL_ACCOUNTS
from connector_assets.runtime.staging import StagingResource
from connector_resources import settings
from connector_resources.settings import system

NO_SCOPE = "none"
# A scope entry: [BU.]OBJ[-OBJ] (F0006 MCU up to 12 characters, F0901 OBJ up to 6).
SCOPE_ENTRY = re.compile(
    r"(?:(?P<unit>[A-Za-z0-9]{1,12})\.)?(?P<low>[A-Za-z0-9]{1,6})(?:-(?P<high>[A-Za-z0-9]{1,6}))?"
)


def normal_account(text: str) -> str:
    """A JDE account as the flows key it: ``BU.OBJ[.SUB]``, each part trimmed, upper case, a blank
    subsidiary dropped (``" m30 .7110. "`` -> ``M30.7110``), as F4311.ANI and ``jde/accounts.py`` write it."""
    parts = [p.strip().upper() for p in str(text).strip().split(".")]
    if len(parts) == 3 and not parts[2]:
        parts = parts[:2]
    return ".".join(parts)


# -- F0901 as a code flow reads it ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChartAccount:
    """One F0901 row: its account text, company, business unit, title and posting edit code."""

    account: str
    company: str
    business_unit: str
    title: str
    posting_edit: str

    @classmethod
    def of(cls, row: Mapping[str, object]) -> ChartAccount:
        def text(alias: str) -> str:
            return str(row.get(alias) or "").strip()

        unit = text("MCU").upper()
        account = normal_account(".".join((unit, text("OBJ"), text("SUB"))))
        return cls(account, text("CO"), unit, text("DL01"), text("PEC").upper())


def chart_of(rows: Iterable[Mapping[str, object]]) -> dict[str, ChartAccount]:
    """F0901 rows by account text (``BU.OBJ[.SUB]``)."""
    return {entry.account: entry for entry in (ChartAccount.of(row) for row in rows)}


def staged_chart(staging: StagingResource) -> tuple[list[dict[str, Any]], GlAccounts]:
    """The cached F0901 rows and the ``GlAccounts`` over them; an empty cache fails the step (without the
    chart every account would look missing: a systemic cause, not bad records)."""
    rows = list(staging.read_rows(GL_ACCOUNTS.asset, None))
    if not rows:
        raise Failure(
            f"the JDE account master cache ({GL_ACCOUNTS.asset.to_user_string()}, F0901) is empty or was "
            "never read; "
            f"materialize {GL_ACCOUNTS.asset.to_user_string()}, then rerun"
        )
    return rows, GlAccounts(rows)


# -- the scope: which unmapped F0901 accounts become codes of their own --------------------------------


def _object_key(obj: str) -> tuple[int, int | str]:
    """Numbers compare as numbers (``900`` < ``6000``), other object accounts as text, after numbers."""
    return (0, int(obj)) if obj.isdigit() else (1, obj)


@dataclass(frozen=True)
class ScopeRange:
    """``[BU.]OBJ[-OBJ]``: object accounts from ``low`` to ``high``, of one business unit or of all."""

    business_unit: str | None
    low: str
    high: str

    def covers(self, business_unit: str, obj: str) -> bool:
        if self.business_unit is not None and self.business_unit != business_unit:
            return False
        return _object_key(self.low) <= _object_key(obj) <= _object_key(self.high)

    def __str__(self) -> str:
        objects = self.low if self.low == self.high else f"{self.low}-{self.high}"
        return f"{self.business_unit}.{objects}" if self.business_unit else objects


@dataclass(frozen=True)
class AccountScope:
    """The F0901 accounts that become codes of their own (code = the JDE account text) without a row in
    the account table. Empty (``none``): only the mapped accounts. ``setting`` names the scope's setting;
    ``guarded_by`` the systems whose real instance refuses its sandbox default."""

    ranges: tuple[ScopeRange, ...]
    setting: ClassVar[str]
    guarded_by: ClassVar[tuple[str, ...]]

    @classmethod
    def parse(cls, text: str) -> AccountScope:
        """``6000-8999, M30.7000-7999, 8150`` -> ranges; ``none`` or blank -> no range. A malformed entry is
        an error naming it and the setting."""
        text = text.strip()
        if not text or text.lower() == NO_SCOPE:
            return cls(())
        ranges = []
        for entry in (e.strip() for e in text.split(",")):
            match = SCOPE_ENTRY.fullmatch(entry)
            if match is None:
                raise ValueError(
                    f"{cls.setting}: {entry!r} is not an object-account range; write OBJ, OBJ-OBJ or "
                    "BU.OBJ-OBJ separated by commas (e.g. 6000-8999, M30.7000-7999), or none"
                )
            unit, low, high = match.group("unit"), match.group("low").upper(), match.group("high")
            high = (high or low).upper()
            if _object_key(high) < _object_key(low):
                raise ValueError(f"{cls.setting}: {entry!r} ends before it starts")
            ranges.append(ScopeRange(unit.upper() if unit else None, low, high))
        return cls(tuple(ranges))

    @classmethod
    def from_settings(cls) -> AccountScope:
        """Today's scope setting. Its default fits only the sandbox chart: left unset while a guarding
        system is pointed at another instance it is refused, like a sandbox table, so a real chart is never
        pushed by a range nobody chose."""
        given = instance.given(cls.setting)
        if given:
            return cls.parse(given)
        elsewhere = [
            system(key).title
            for key in cls.guarded_by
            if any(s.is_url and settings.given(s.env) for s in system(key).settings)
        ]
        if elsewhere:
            raise ValueError(
                f"{cls.setting} is not set, and {' and '.join(elsewhere)} is pointed at another "
                f"instance; its default ({settings.registered(cls.setting).default}) is the sandbox "
                "chart's expense range: set your object-account ranges, or none for only the mapped accounts"
            )
        return cls.parse(settings.registered(cls.setting).default)

    def covers(self, jde_account: str) -> bool:
        account = normal_account(jde_account)
        if not account_text_ok(account):
            return False
        unit, obj = account.split(".")[:2]
        return any(r.covers(unit, obj) for r in self.ranges)

    def __str__(self) -> str:
        return ", ".join(str(r) for r in self.ranges) or NO_SCOPE


# -- both directions ------------------------------------------------------------------------------------


class AccountMap:
    """A staged account table read both ways (JDE account -> code, code -> JDE account), with the scope
    (``scope_type.from_settings()`` unless given). ``table_setting`` names the table in refusals."""

    scope_type: ClassVar[type[AccountScope]]
    table_setting: ClassVar[str]

    def __init__(self, table: Mapping[str, str], scope: AccountScope | None = None) -> None:
        self.forward = {normal_account(k): str(v).strip() for k, v in table.items()}
        self.reverse = {code: account for account, code in self.forward.items()}
        self.scope = scope if scope is not None else self.scope_type.from_settings()

    @classmethod
    def of(cls, table: Mapping[str, str] | AccountMap, scope: AccountScope | None = None) -> AccountMap:
        return table if isinstance(table, AccountMap) else cls(table, scope)

    def code_for(self, jde_account: str) -> str | None:
        account = normal_account(jde_account)
        if account in self.forward:
            return self.forward[account]
        # An account's own text is its code unless the table already gives that text to another account.
        if self.scope.covers(account) and account not in self.reverse:
            return account
        return None

    def accounts_for_code(self, code: str) -> str | None:
        """The JDE account text a code stands for, before any F0901 check: mapped, else the code itself
        when it reads as a JDE account that is not mapped to another code."""
        text = str(code).strip()
        if text in self.reverse:
            return self.reverse[text]
        account = normal_account(text)
        if account_text_ok(account) and account not in self.forward:
            return account
        return None

    def jde_account(self, code: str, gl: GlAccounts) -> tuple[str | None, str | None]:
        """(JDE account, problem) for a code: the mapped account, else the code read as a JDE account
        (``BU.OBJ[.SUB]``), checked against the staged F0901. The problem is a finance user's sentence:
        ``account code 4000-0-0-0 not found in F0901`` or ``account 1.6000 is not postable in F0901
        (posting edit N)``; exactly one of the two is None."""
        text = str(code).strip()
        account = self.accounts_for_code(text)
        mapped = text in self.reverse
        found = gl.lookup(account) if account else None
        if account is None or found is None:
            via = f" (mapped to JDE account {account} in {self.table_setting})" if mapped else ""
            return None, f"account code {text} not found in F0901{via}"
        if why := WHY_NOT_POSTABLE.get(found.posting_edit):
            of = f" for account code {text}" if text != account else ""
            return (
                None,
                f"account {account} is not postable in F0901 (posting edit {found.posting_edit}: {why}){of}",
            )
        return account, None
