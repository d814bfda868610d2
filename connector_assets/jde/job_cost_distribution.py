"""A voucher's distribution onto JD Edwards accounts through a job cost map, for a source whose invoice lines
carry cost codes on a project (Procore -> JDE vouchers).

Each line that charges something goes to the account its cost code maps to on the project (``JobCostMap``);
lines on one account are merged into one F0911Z1 line, whose explanation (EXA, one line of 30 characters)
names the cost code and description it holds, or its cost codes; an account that comes to nothing is left
out. A line the map cannot place is a problem named in a finance user's words, never dropped. A rounding
difference from the source's payable goes on the largest line (``round_on_largest``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from connector_assets.flows import amounts
from connector_assets.jde.job_cost_map import JobCostMap

EXPLANATION_MAX = 30  # F0911 EXA


@dataclass
class AccountShare:
    """What one account of the distribution holds: its amount, and the cost codes and descriptions in it."""

    amount: Decimal
    codes: list[str]
    descriptions: list[str]

    def explanation(self) -> str:
        if len(self.codes) == 1:
            text = f"{self.codes[0]} {self.descriptions[0]}".strip()
        else:
            text = "cost codes " + ", ".join(dict.fromkeys(self.codes))
        return text[:EXPLANATION_MAX]


@dataclass(frozen=True)
class CostLine:
    """One source line: where it is (in words), its description, what it charges (or why that cannot be
    read) and its cost code (None: it has none)."""

    where: str
    description: str
    amount: Decimal | str
    code: str | None


def distribute(
    lines: Iterable[CostLine], costs: JobCostMap, project: tuple[str, str], source: str, problems: list[str]
) -> tuple[dict[str, AccountShare], set[str]]:
    """The distribution by account of ``lines`` on ``project`` (id, label), each problem appended to
    ``problems`` (``source``: the system's name in them), and the companies of its accounts."""
    by_account: dict[str, AccountShare] = {}
    companies: set[str] = set()
    for line in lines:
        if isinstance(line.amount, str):
            problems.append(f"{line.where}: {line.amount}")
            continue
        if not line.amount:
            continue  # nothing charged on this line
        if line.code is None:
            problems.append(f"{line.where} has no cost code in {source}, so it has no JDE account")
            continue
        found = costs.account(project[0], project[1], line.code)
        if isinstance(found, str):
            problems.append(found)
            continue
        companies.add(str(found.company))
        entry = by_account.setdefault(found.account, AccountShare(Decimal(0), [], []))
        entry.amount += line.amount
        entry.codes.append(line.code)
        entry.descriptions.append(line.description)
    return {account: entry for account, entry in by_account.items() if entry.amount}, companies


def round_on_largest(accounts: dict[str, AccountShare], difference: Decimal) -> str | None:
    """Put a rounding ``difference`` on the largest line (the first of equals, in line order, so a rerun
    puts it on the same line); None when done, else why it cannot be (it would leave nothing there)."""
    largest = max(accounts.values(), key=lambda entry: abs(entry.amount))  # max keeps the first of equals
    if (largest.amount + difference) * largest.amount <= 0:
        return (
            f"the rounding difference {amounts.money(difference)} would leave nothing on the largest line "
            f"({amounts.money(largest.amount)}); enter the voucher by hand"
        )
    largest.amount += difference
    return None
