"""A voucher's distribution onto JD Edwards accounts through a job cost map (Procore -> JDE vouchers): lines
on one account merge into one F0911Z1 line whose explanation (EXA, 30 characters) names its cost codes;
a line the map cannot place is a problem in a finance user's words, never dropped. A rounding difference
goes on the largest line (``settlement``), one rule for the flow and its reconciliation:
docs/integrations/procore_jde.md, "Reconciliation".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from connector_assets.flows import amounts
from connector_assets.jde.job_cost_map import JobCostMap
from connector_resources.refusals import source_invalid
from connector_resources.said import said

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
            problems.append(said(source_invalid(f"{line.where}: {line.amount}", field="amount")))
            continue
        if not line.amount:
            continue  # nothing charged on this line
        if line.code is None:
            sentence = f"{line.where} has no cost code in {source}, so it has no JDE account"
            problems.append(said(source_invalid(sentence, field="cost code")))
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


@dataclass(frozen=True)
class Settlement:
    """How a distribution is made to come to the source's payable: ``difference`` (payable less the lines)
    goes on ``account``; none when nothing differs. ``too_large``: more than rounding can make (a unit of
    the currency per payable line), a real difference for a person; ``problem``: why the difference cannot
    go on the largest line (it would leave nothing there)."""

    difference: Decimal
    account: str | None = None
    too_large: bool = False
    problem: str | None = None


def settlement(
    by_account: Mapping[str, Decimal], due: Decimal, lines: int, unit: Decimal = amounts.CENT
) -> Settlement:
    """Where the rounding difference between ``due`` (the source's payable) and the lines ``by_account``
    goes: on the largest line by amount, the first of equals in line order (``by_account``'s order), so a
    rerun and the reconciliation put it on the same line. ``lines``: the payable source lines (each may
    round by one ``unit``, the currency's smallest amount, away from the source's total)."""
    difference = due - sum(by_account.values(), Decimal(0))
    if not difference:
        return Settlement(difference)
    charged = {account: value for account, value in by_account.items() if value}
    if not charged or abs(difference) > unit * max(lines, 1):
        return Settlement(difference, too_large=True)
    largest = max(charged, key=lambda account: abs(charged[account]))  # max keeps the first of equals
    if (charged[largest] + difference) * charged[largest] <= 0:
        return Settlement(
            difference,
            problem=(
                f"the rounding difference {amounts.money(difference)} would leave nothing on the largest "
                f"line ({amounts.money(charged[largest])}); enter the voucher by hand"
            ),
        )
    return Settlement(difference, largest)
