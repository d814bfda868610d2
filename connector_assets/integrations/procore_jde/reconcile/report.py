"""A reconciliation report between two systems, named by parameter: what differs, in a finance user's words.

``jde_bill.reconcile.report`` is the model, but its names are JDE <-> BILL's (a ``bill`` column, "JDE and
BILL agree", totals per supplier). This is the same report with the two systems and the scope of a
difference given by the caller, so Procore -> JDE (and the integrations after it) use it as it is; the
money formatting, the check's name and the table size are imported from the model, not copied.

Each difference names its kind, the record, where it belongs (here: project and period, or a vendor) and
each side's value, and carries the sentence a finance user reads. Extra markdown tables (the per project
and period balances) ride along in the metadata. The report becomes the asset's metadata and its
``in_balance`` check, a warning (never blocking) whose description names the first differences.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, MaterializeResult, MetadataValue

from connector_assets.integrations.jde_bill.reconcile.report import CHECK, SAMPLE, amount, money

__all__ = ["CHECK", "SAMPLE", "Difference", "Report", "amount", "cell", "money"]

SHOWN = 5  # differences named in the check's description; the table and the counts hold the rest


@dataclass(frozen=True)
class Difference:
    """One thing the two sides disagree on: what kind, which record, where it belongs, each side's value
    (in the report's ``systems`` order), and the sentence a finance user reads."""

    kind: str
    record: str
    scope: str
    values: tuple[str, str]
    words: str


@dataclass
class Report:
    """A comparison of ``systems`` (source first): counts, differences, API calls made per system, and
    extra markdown tables by metadata name."""

    systems: tuple[str, str]
    scope_label: str = "Where"
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    differences: list[Difference] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tables: dict[str, str] = field(default_factory=dict)

    def differ(self, kind: str, record: str, scope: Any, first: Any, second: Any, words: str) -> None:
        """One difference; counted by kind (``"missing in JDE"`` -> ``missing_in_jde``)."""
        self.differences.append(Difference(kind, record, str(scope or ""), (str(first), str(second)), words))
        self.counts["_".join(re.findall(r"[a-z0-9]+", kind.lower()))] += 1

    @property
    def agree(self) -> str:
        return f"{self.systems[0]} and {self.systems[1]} agree"

    def metadata(self) -> dict[str, Any]:
        return {
            **dict(sorted(self.counts.items())),
            "differences": len(self.differences),
            "difference_table": MetadataValue.md(self.table()),
            **{f"{system.lower()}_api_calls": n for system, n in sorted(self.calls.items())},
            **{name: MetadataValue.md(text) for name, text in self.tables.items()},
        }

    def description(self) -> str:
        words = "; ".join(d.words for d in self.differences[:SHOWN])
        more = len(self.differences) - SHOWN
        return (words + (f"; and {more} more" if more > 0 else "")) or self.agree

    def results(self, asset_name: str) -> Iterator[AssetCheckResult | MaterializeResult]:
        metadata = self.metadata()
        yield AssetCheckResult(
            asset_key=asset_name,
            check_name=CHECK,
            passed=not self.differences,
            severity=AssetCheckSeverity.WARN,
            description=self.description(),
            metadata=metadata,
        )
        yield MaterializeResult(metadata=metadata)

    def table(self) -> str:
        if not self.differences:
            return "No differences."
        first, second = self.systems
        rows = [
            f"| What | Record | {self.scope_label} | {first} | {second} | In words |",
            "|---|---|---|---|---|---|",
        ]
        for d in self.differences[:SAMPLE]:
            cells = (d.kind, d.record, d.scope, *d.values, d.words)
            rows.append("| " + " | ".join(cell(v) for v in cells) + " |")
        if len(self.differences) > SAMPLE:
            rows.append(f"\n... and {len(self.differences) - SAMPLE} more (see the counts).")
        return "\n".join(rows)


def cell(value: Any) -> str:
    """A markdown table cell: no pipes, no line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")
