"""A reconciliation between two systems, written once for every integration: the report (what differs,
in a finance user's words, named by parameter) and the asset that yields it with its ``in_balance`` check.

The report: each difference names its kind, the record, where it belongs (a project and period, a vendor
...) and each side's value, and carries the sentence a finance user reads; extra markdown tables ride
along in the metadata. It becomes the asset's metadata and its ``in_balance`` check, a warning (never
blocking: a difference is news for a person, not a reason to stop the flows) whose description names the
first differences. ``jde_bill.reconcile.report`` was the model (its names are JDE <-> BILL's and it keeps
per-supplier totals); Procore -> JDE wrote this one with the two systems given by the caller, and JDE <->
Procurify reused it, so it lives here. ``procore_jde.reconcile.report`` re-exports it.

Small readings of time every reconciliation by day makes: ``day_window`` (a UTC day as a change window),
``iso_day`` (the day of a date or a timestamp as a system answers it) and ``period_of`` (the month an ISO day
falls in, the period of a per vendor and period table).

The asset (``build_reconciliation_asset``): downstream of what it reads (the flows' target assets, so
lineage reads source -> mapped -> written -> target -> reconciliation), a comparison of one partition
``compare(staging, <first system>, <second system>, ledger, day) -> Report``.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from connector_assets.flows.amounts import CENT

__all__ = [
    "CHECK",
    "SAMPLE",
    "Difference",
    "Report",
    "amount",
    "build_reconciliation_asset",
    "cell",
    "day_window",
    "markdown_table",
    "iso_day",
    "money",
    "period_of",
]

CHECK = "in_balance"
SAMPLE = 25  # rows of the differences table in metadata; the count says how many there are in all

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

    def results(self, asset_name: AssetKey) -> Iterator[AssetCheckResult | MaterializeResult]:
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
        columns = ("What", "Record", self.scope_label, first, second, "In words")
        rows = ((d.kind, d.record, d.scope, *d.values, d.words) for d in self.differences)
        return markdown_table(columns, rows, len(self.differences), SAMPLE, "more (see the counts).")


def cell(value: Any) -> str:
    """A markdown table cell: no pipes, no line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], count: int, limit: int, more: str
) -> str:
    """A markdown table of the first ``limit`` of ``count`` rows under ``columns`` (cells made safe:
    ``cell``), then ``... and <n> <more>`` when there are more."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in islice(rows, limit)]
    if count > limit:
        lines.append(f"\n... and {count - limit} {more}")
    return "\n".join(lines)


def money(value: Decimal | None) -> str:
    """Two decimals with thousands separators, as a finance user reads an amount; ``-`` for none."""
    return "-" if value is None else f"{Decimal(value).quantize(CENT):,}"


def amount(value: Any) -> Decimal:
    """An amount as a system answers it (text or number; blank is zero) as a ``Decimal``."""
    return Decimal(str(value if value not in (None, "") else 0))


def day_window(day: str) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` in UTC: a UTC day partition as a change window."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def iso_day(value: Any) -> str | None:
    """``2026-11-23`` of a date, a datetime or a text starting with one; None for a shorter text."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raw = str(value or "").strip()
    return raw[:10] if len(raw) >= 10 else None


def period_of(day: object) -> str | None:
    """``2026-11`` of an ISO day (``2026-11-23`` or a timestamp), None without one."""
    text = str(day or "").strip()
    return text[:7] if len(text) >= 10 and text[4] == "-" and text[:4].isdigit() else None


def build_reconciliation_asset(
    name: AssetKey,
    *,
    group: str,
    systems: tuple[str, str],
    partitions_def: PartitionsDefinition,
    deps: Iterable[AssetKey],
    compare: Callable[..., Report],
    description: str,
) -> AssetsDefinition:
    """The asset ``name`` (a key) comparing ``systems`` (resource keys, e.g. ``("jde", "procurify")``) for one
    partition: ``compare(staging, <first>, <second>, ledger, partition) -> Report``, yielded as the
    asset's metadata and its ``in_balance`` check (a warning naming each difference). ``deps`` are the
    asset names it reads after (the flows' target assets, staged sources)."""
    first, second = systems
    agree = f"{_display(first)} and {_display(second)} agree for the day"

    @asset(
        key=name,
        group_name=group,
        kinds=set(systems),
        partitions_def=partitions_def,
        deps=list(deps),
        required_resource_keys={first, second, "staging", "ledger"},
        check_specs=[
            AssetCheckSpec(
                CHECK,
                asset=name,
                description=f"{agree} (fails as a warning, naming each difference).",
                partitions_def=partitions_def,
            )
        ],
        description=description,
    )
    def _reconciliation(context: AssetExecutionContext):
        r = context.resources
        left, right = getattr(r, first), getattr(r, second)
        report = compare(r.staging, left, right, r.ledger.get(), context.partition_key)
        yield from report.results(name)

    return _reconciliation


# How a system's resource key reads in a sentence (the check's description).
_DISPLAY = {"jde": "JDE", "bill": "BILL", "procore": "Procore", "procurify": "Procurify", "coupa": "Coupa"}


def _display(system: str) -> str:
    return _DISPLAY.get(system, system.title())
