"""A source system's amounts by JD Edwards account against a JDE document's, for a day's reconciliation of a
flow charging lines through a job cost map (Procore -> JDE). ``Amounts`` holds the source's money by JDE
account with the cost codes behind it (and, for a code with no account, why); ``compare_accounts`` names
each difference in a finance user's words.
"""

from collections import defaultdict, namedtuple
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connector_assets.flows.reconciliation import Report, money
from connector_assets.jde.job_cost_map import JobCostMap
from connector_assets.jde.reconcile_documents import account_key

NO_ACCOUNT = "no JDE account"


@dataclass
class Amounts:
    """Money by JDE account, with the cost codes that make each account's amount and, for a cost code
    with no account, why (its key is ``no JDE account (<code>)``)."""

    by_account: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unmapped: dict[str, str] = field(default_factory=dict)

    def add(self, account: str, code: str, value: Decimal) -> None:
        self.by_account[account] += value
        if code and code not in self.codes[account]:
            self.codes[account].append(code)

    def merge(self, other: "Amounts") -> None:
        """``other``'s amounts, cost codes and reasons added to these."""
        for account, value in other.by_account.items():
            self.by_account[account] += value
            for code in other.codes.get(account) or []:
                if code not in self.codes[account]:
                    self.codes[account].append(code)
        self.unmapped.update(other.unmapped)

    @property
    def total(self) -> Decimal:
        return sum(self.by_account.values(), Decimal(0))

    def where(self, account: str) -> str:
        """``cost code 03-100 (account M30.1310)``, as a finance user reads where an amount is charged."""
        codes = self.codes.get(account) or []
        named = ("cost code " if len(codes) == 1 else "cost codes ") + ", ".join(codes) if codes else ""
        if account in self.unmapped:
            return f"{named} ({NO_ACCOUNT}: {self.unmapped[account]})".strip()
        return f"{named} (account {account})".strip() if named else f"account {account}"


def charge(
    target: Amounts, costs: JobCostMap, project_id: str, project_name: str, code: str | None, value: Decimal
) -> None:
    """``value`` on the account ``code`` maps to (or on ``no JDE account (<code>)``, saying why)."""
    found = costs.account(project_id, project_name, code or "")
    if isinstance(found, str):
        key = f"{NO_ACCOUNT} ({code or 'no cost code'})"
        target.unmapped[key] = found
        target.add(key, code or "", value)
    else:
        target.add(account_key(found.account), code or "", value)


# A compared document: the kind of difference its amounts make, how the report names it, where it belongs,
# how a sentence about it starts (all words), and the JDE document it is compared with ("" when none).
Record = namedtuple("Record", ["kind", "name", "scope", "label", "counterpart"], defaults=("",))


def _differ(
    report: Report, record: Record, ours: str, jde: str, words: str, field: str, kind: str | None = None
) -> None:
    """One difference about ``record`` (of its own kind unless ``kind``), the source's value first."""
    report.differ(
        kind or record.kind,
        record.name,
        record.scope,
        ours,
        jde,
        words,
        counterpart=record.counterpart,
        field=field,
    )


def compare_accounts(
    report: Report,
    record: Record,
    source: tuple[str, str, Amounts],
    jde: tuple[str, str, Mapping[str, Decimal]],
) -> int:
    """The source system's amounts against JDE's, account by account (``source``: the system's name, verb,
    amounts; ``jde``: the document's name, verb, amounts by account); returns how many differences were
    named. A cost code with no account in today's table is named once, with the table's reason, against
    what JDE holds on accounts nothing else explains, not as two unrelated account differences."""
    system, verb, ours = source
    name, jde_verb, theirs = jde
    unmapped = [a for a in ours.by_account if a in ours.unmapped]
    jde_only = sorted(a for a in theirs if a not in ours.by_account and theirs[a])
    named = 0
    for account in sorted(a for a in ours.by_account if a not in ours.unmapped):
        mine, held = ours.by_account[account], theirs.get(account, Decimal(0))
        if mine != held:
            named += 1
            _differ(
                report,
                record,
                money(mine),
                money(held),
                f"{record.label}: {system} {verb} {money(mine)} on {ours.where(account)} but {name} "
                f"{jde_verb} {money(held)} there",
                f"amount on account {account}",
            )
    if unmapped:
        mine = sum((ours.by_account[a] for a in unmapped), Decimal(0))
        held = sum((theirs[a] for a in jde_only), Decimal(0))
        codes = ", ".join(code for a in unmapped for code in ours.codes.get(a) or [])
        reasons = "; ".join(dict.fromkeys(ours.unmapped[a] for a in unmapped))
        there = (
            ", ".join(f"{money(theirs[a])} on account {a}" for a in jde_only) or "nothing on other accounts"
        )
        _differ(
            report,
            record,
            money(mine),
            money(held),
            f"{record.label}: {system} {verb} {money(mine)} on cost code {codes}, which has no JDE account "
            f"in the table in force ({reasons}); {name} {jde_verb} {there}",
            f"account of cost code {codes}",
            kind="cost code without account",
        )
        return named + 1
    for account in jde_only:
        named += 1
        _differ(
            report,
            record,
            money(0),
            money(theirs[account]),
            f"{record.label}: {name} {jde_verb} {money(theirs[account])} on account {account}, where "
            f"{system} {verb} nothing",
            f"amount on account {account}",
        )
    return named


def not_compared(report: Report, record: Record, problem: str, jde: str) -> None:
    """A source document that could not be read whole (``problem``): named, not compared."""
    _differ(report, record, "?", jde, f"{record.label}: {problem}; not compared with JDE", "whole document")


def missing_in_jde(report: Report, record: Record, total: Decimal, words: str, field: str = "") -> None:
    """A source document JDE holds nothing of: its total against ``-``."""
    _differ(report, record, money(total), "-", words, field)
