"""A day's reconciliation report: what differs between JDE and BILL, in a finance user's words.

Each difference names the kind, the record, its supplier and each side's value, and a sentence to read;
the report also keeps the per-supplier totals of both sides (a supplier whose day's totals differ is named
once more) and the API calls the day's comparison cost. It becomes the asset's metadata and its
``in_balance`` check, a warning naming the first differences.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MaterializeResult, MetadataValue

from connector_assets.flows.reconciliation import CHECK, SAMPLE, amount, cell, money

__all__ = ["CHECK", "SAMPLE", "Difference", "Report", "amount", "money"]


@dataclass(frozen=True)
class Difference:
    """One thing the two sides disagree on: what kind, which record, whose, each side's value, and the
    sentence a finance user reads."""

    kind: str
    record: str
    supplier: str
    jde: str
    bill: str
    words: str


@dataclass
class Report:
    """A day's comparison: counts, differences, per-supplier totals, API calls made."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    differences: list[Difference] = field(default_factory=list)
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def differ(self, kind: str, record: str, supplier: Any, jde: Any, bill: Any, words: str) -> None:
        self.differences.append(Difference(kind, record, str(supplier or ""), str(jde), str(bill), words))
        self.counts["_".join(re.findall(r"[a-z0-9]+", kind.lower()))] += 1  # "paid_in_bill_not_in_jde"

    def side(self, supplier: str) -> dict[str, Any]:
        return self.totals.setdefault(
            supplier, {"jde": 0, "bill": 0, "jde_amount": Decimal(0), "bill_amount": Decimal(0)}
        )

    def tally(self, supplier: str, system: str, amount: Decimal) -> None:
        """One more record of ``supplier`` on ``system``'s side (``"jde"`` or ``"bill"``), for its totals."""
        side = self.side(supplier)
        side[system] += 1
        side[f"{system}_amount"] += amount

    def supplier_differences(self, what: str) -> None:
        """A supplier whose day's total differs between the sides is named once more, as a total."""
        for supplier, side in sorted(self.totals.items()):
            if side["jde_amount"] != side["bill_amount"]:
                self.differ(
                    "supplier total",
                    f"supplier {supplier}",
                    supplier,
                    money(side["jde_amount"]),
                    money(side["bill_amount"]),
                    f"supplier {supplier}: the day's {what} total {money(side['jde_amount'])} in JDE but "
                    f"{money(side['bill_amount'])} in BILL (difference "
                    f"{money(side['bill_amount'] - side['jde_amount'])})",
                )

    def results(self, asset_name: str) -> Iterator[AssetCheckResult | MaterializeResult]:
        metadata: dict[str, Any] = {
            **dict(sorted(self.counts.items())),
            "differences": len(self.differences),
            "difference_table": MetadataValue.md(_table(self.differences)),
            **{f"{system}_api_calls": n for system, n in sorted(self.calls.items())},
        }
        if self.totals:
            metadata["per_supplier"] = MetadataValue.md(_totals_table(self.totals))
        words = "; ".join(d.words for d in self.differences[:5])
        more = len(self.differences) - 5
        yield AssetCheckResult(
            asset_key=asset_name,
            check_name=CHECK,
            passed=not self.differences,
            severity=AssetCheckSeverity.WARN,
            description=(words + (f"; and {more} more" if more > 0 else "")) or "JDE and BILL agree",
            metadata=metadata,
        )
        yield MaterializeResult(metadata=metadata)


def _table(differences: list[Difference]) -> str:
    if not differences:
        return "No differences."
    rows = ["| What | Record | Supplier | JDE | BILL | In words |", "|---|---|---|---|---|---|"]
    for d in differences[:SAMPLE]:
        rows.append(
            "| " + " | ".join(cell(v) for v in (d.kind, d.record, d.supplier, d.jde, d.bill, d.words)) + " |"
        )
    if len(differences) > SAMPLE:
        rows.append(f"\n... and {len(differences) - SAMPLE} more (see the counts).")
    return "\n".join(rows)


def _totals_table(totals: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| Supplier | JDE records | JDE amount | BILL records | BILL amount | Difference |",
        "|---|---|---|---|---|---|",
    ]
    for supplier, s in sorted(totals.items())[:SAMPLE]:
        gap = s["bill_amount"] - s["jde_amount"]
        rows.append(
            f"| {supplier} | {s['jde']} | {money(s['jde_amount'])} | {s['bill']} "
            f"| {money(s['bill_amount'])} | {money(gap)} |"
        )
    return "\n".join(rows)
