"""Which Procurify account code a JDE account is, and which JDE account a Procurify account code is.

Both directions go through here, so a purchase order line sent to Procurify and a bill item posted back
to JDE name the same account:

* ``ACCOUNTS`` is the mapping table (``ML_JDE_PROCURIFY_ACCOUNT_MAP``; columns ``jde_account`` ->
  ``procurify_account_code``), one-to-one both ways: a JDE account mapped twice or a Procurify code mapped
  from two JDE accounts is a table error naming both lines (a bill item on that code could not be posted
  to one account without guessing).
* An account not in the table is its own code when it is in the account scope
  (``ML_JDE_PROCURIFY_ACCOUNT_SCOPE``: object-account ranges such as ``6000-8999``, ``M30.7000-7999``):
  the ``account_codes`` flow creates such accounts in Procurify with the JDE text as the code
  (``M30.7110.01000``), so the reverse reading of an unmapped code is the code read as a JDE account.
* ``jde_account`` checks the result against the staged F0901 (``GlAccounts``): a code that leads to no
  F0901 account is refused with ``account code 4000-0-0-0 not found in F0901``, one that leads to a
  summary or inactive account with ``account 1.6000 is not postable in F0901 (posting edit N)``.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from connector_assets.flows.mapping_tables import MappingTable, build_mapping_table_asset
from connector_assets.integrations.jde_procurify.integration import INTEGRATION
from connector_assets.jde.accounts import GlAccounts, account_problem, account_text_ok
from connector_assets.procurify.account_codes import CODE_MAX, code_length_problem
from connector_resources import settings
from connector_resources.settings import system

ACCOUNT_MAP_ENV = "ML_JDE_PROCURIFY_ACCOUNT_MAP"
ACCOUNT_SCOPE_ENV = "ML_JDE_PROCURIFY_ACCOUNT_SCOPE"
GUARDED_BY = ("jde_ais", "procurify")  # the sandbox table and the default scope only fit these sandboxes
ACCOUNT_CODE_ENTITY = "account_code"  # the ``account_codes`` flow's entity (JDE -> Procurify)
NO_SCOPE = "none"
# A scope entry: [BU.]OBJ[-OBJ] (F0006 MCU up to 12 characters, F0901 OBJ up to 6).
SCOPE_ENTRY = re.compile(
    r"(?:(?P<unit>[A-Za-z0-9]{1,12})\.)?(?P<low>[A-Za-z0-9]{1,6})(?:-(?P<high>[A-Za-z0-9]{1,6}))?"
)


def normal_account(text: str) -> str:
    """A JDE account as this integration keys it: ``BU.OBJ[.SUB]``, each part trimmed, upper case, a blank
    subsidiary dropped (``" m30 .7110. "`` -> ``M30.7110``), as F4311.ANI and ``jde/accounts.py`` write it."""
    parts = [p.strip().upper() for p in str(text).strip().split(".")]
    if len(parts) == 3 and not parts[2]:
        parts = parts[:2]
    return ".".join(parts)


def _code_problem(value: str) -> str | None:
    text = value.strip()
    if len(text) > CODE_MAX:
        return code_length_problem(len(text))
    return None


class AccountMapTable(MappingTable):
    """The account table, also checked the other way round: each JDE account reads ``BU.OBJ[.SUB]`` and no
    Procurify code is mapped from two JDE accounts (``load_pairs`` checks only the key column)."""

    def read(self, path: Path | None = None) -> dict[str, str]:
        path = path or self.path()
        pairs = super().read(path)
        if path is None:
            return pairs
        seen_account: dict[str, int] = {}
        seen_code: dict[str, tuple[int, str]] = {}
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                account, code = (row.get(self.key) or "").strip(), (row.get(self.value) or "").strip()
                problem = account_problem(account)
                if problem:
                    raise ValueError(f"{path.name} line {number}: {self.key} {account}: {problem}")
                key = normal_account(account)
                if key in seen_account:
                    raise ValueError(
                        f"{path.name} lines {seen_account[key]} and {number}: JDE account {key} is mapped "
                        "twice (each JDE account maps to one Procurify account code)"
                    )
                seen_account[key] = number
                if code in seen_code:
                    first, other = seen_code[code]
                    raise ValueError(
                        f"{path.name} lines {first} and {number}: Procurify account code {code} is mapped "
                        f"from both {other} and {key}; a bill item on {code} could not be posted to one "
                        "JDE account (each code maps to one JDE account)"
                    )
                seen_code[code] = (number, key)
        return {normal_account(k): v for k, v in pairs.items()}


ACCOUNTS: AccountMapTable = AccountMapTable.from_setting(
    ACCOUNT_MAP_ENV,
    key="jde_account",
    value="procurify_account_code",
    description=(
        "JDE account (BU.OBJ[.SUB]) <-> Procurify account code, one-to-one, staged from "
        f"${ACCOUNT_MAP_ENV}: PO lines are sent on the mapped code, bill items posted to the mapped JDE "
        f"account. Accounts not in it are their own code when in ${ACCOUNT_SCOPE_ENV}."
    ),
    guarded_by=GUARDED_BY,
    check=_code_problem,
    clean=str.strip,
)
ACCOUNT_MAP_ASSET = ACCOUNTS.asset  # "jde_procurify_account_map"
jde_procurify_account_map = build_mapping_table_asset(ACCOUNTS, group=INTEGRATION)
account_map_tables = [jde_procurify_account_map]


# -- the scope: which unmapped F0901 accounts become Procurify codes of their own ---------------------


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
    """The F0901 accounts that become Procurify account codes of their own (code = the JDE account text)
    without a row in the account table. Empty (``none``): only the mapped accounts."""

    ranges: tuple[ScopeRange, ...]

    @classmethod
    def parse(cls, text: str) -> "AccountScope":
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
                    f"{ACCOUNT_SCOPE_ENV}: {entry!r} is not an object-account range; write OBJ, OBJ-OBJ or "
                    "BU.OBJ-OBJ separated by commas (e.g. 6000-8999, M30.7000-7999), or none"
                )
            unit, low, high = match.group("unit"), match.group("low").upper(), match.group("high")
            high = (high or low).upper()
            if _object_key(high) < _object_key(low):
                raise ValueError(f"{ACCOUNT_SCOPE_ENV}: {entry!r} ends before it starts")
            ranges.append(ScopeRange(unit.upper() if unit else None, low, high))
        return cls(tuple(ranges))

    @classmethod
    def from_settings(cls) -> "AccountScope":
        """Today's ``ML_JDE_PROCURIFY_ACCOUNT_SCOPE``. Its default fits only the sandbox chart: left unset
        while JDE or Procurify is pointed at another instance it is refused, like the sandbox table, so a
        real chart is never pushed to Procurify by a range nobody chose."""
        given = settings.given(ACCOUNT_SCOPE_ENV)
        if given:
            return cls.parse(given)
        elsewhere = [
            system(key).title
            for key in GUARDED_BY
            if any(s.is_url and settings.given(s.env) for s in system(key).settings)
        ]
        if elsewhere:
            raise ValueError(
                f"{ACCOUNT_SCOPE_ENV} is not set, and {' and '.join(elsewhere)} is pointed at another "
                f"instance; its default ({settings.registered(ACCOUNT_SCOPE_ENV).default}) is the sandbox "
                "chart's expense range: set your object-account ranges, or none for only the mapped accounts"
            )
        return cls.parse(settings.registered(ACCOUNT_SCOPE_ENV).default)

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
    """A staged account table read both ways (JDE account -> code, code -> JDE account), with the scope."""

    def __init__(self, table: Mapping[str, str], scope: AccountScope | None = None) -> None:
        self.forward = {normal_account(k): str(v).strip() for k, v in table.items()}
        self.reverse = {code: account for account, code in self.forward.items()}
        self.scope = scope if scope is not None else AccountScope.from_settings()

    @classmethod
    def of(cls, table: "Mapping[str, str] | AccountMap", scope: AccountScope | None = None) -> "AccountMap":
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
    """(JDE account, problem) for a Procurify account code: the mapped account, else the code read as a JDE
    account (``BU.OBJ[.SUB]``), checked against the staged F0901. The problem is a finance user's
    sentence: ``account code 4000-0-0-0 not found in F0901`` or ``account 1.6000 is not postable in F0901
    (posting edit N)``; exactly one of the two is None.

    ``scope`` is not needed (an unmapped code is read as an account whatever the scope) but may be passed
    to avoid reading the setting.
    """
    mapping = AccountMap.of(table, scope if scope is not None else AccountScope(()))
    text = str(code).strip()
    account = mapping.accounts_for_code(text)
    mapped = text in mapping.reverse
    found = gl.lookup(account) if account else None
    if account is None or found is None:
        via = f" (mapped to JDE account {account} in {ACCOUNT_MAP_ENV})" if mapped else ""
        return None, f"account code {text} not found in F0901{via}"
    if found.posting_edit in ("N", "I"):
        why = "a non-posting summary account" if found.posting_edit == "N" else "inactive"
        of = f" for account code {text}" if text != account else ""
        return (
            None,
            f"account {account} is not postable in F0901 (posting edit {found.posting_edit}: {why}){of}",
        )
    return account, None


def account_code_dependency(jde_account: str) -> str:
    """What a record needing the Procurify code of ``jde_account`` waits on until the ``account_codes``
    flow wrote it: ``jde_procurify:account_code:JDE:<BU.OBJ[.SUB]>``."""
    return f"{INTEGRATION}:{ACCOUNT_CODE_ENTITY}:JDE:{normal_account(jde_account)}"


def mapped_accounts(table: Mapping[str, str]) -> Iterable[str]:
    """The JDE accounts the table names (normalised), for the flow that gives each its Procurify code."""
    return (normal_account(k) for k in table)
