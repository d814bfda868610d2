"""A reconciliation between two systems, written once for every integration: the report (what differs,
in a finance user's words, named by parameter) and the asset that yields it with its ``in_balance`` check
(a warning, never blocking). What it shows and counts: docs/operations.md, "Reconciliation: every
difference, record by record".
"""

import csv
import io
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

from connector_assets.flows.amounts import quantum
from connector_assets.runtime.staging import StagingResource

CHECK = "in_balance"
SAMPLE = 25  # rows of a summary table (per supplier ...) in metadata; the count says how many in all
PER_KIND = 10  # rows of each kind of difference (and of expected gap) shown in metadata; the CSV has all

SHOWN = 5  # differences named in the check's description; the table and the counts hold the rest


@dataclass(frozen=True)
class Difference:
    """One thing the two sides disagree on: what kind, which record (named as the source system knows it)
    and its counterpart in the target (``""`` when it has none there), the field, where it belongs, each
    side's value (in the report's ``systems`` order), and the sentence a finance user reads."""

    kind: str
    record: str
    scope: str
    values: tuple[str, str]
    words: str
    counterpart: str = ""
    field: str = ""


@dataclass(frozen=True)
class Expected:
    """A record the target does not hold, or holds differently, on purpose: held, queued, refused by rule
    or abandoned, with the retry queue's reason (``flows.reconciliation_expected``)."""

    kind: str
    record: str
    reason: str


def slug(kind: str) -> str:
    """A kind as a metadata name: ``"missing in JDE"`` -> ``missing_in_jde``."""
    return "_".join(re.findall(r"[a-z0-9]+", kind.lower()))


@dataclass
class Report:
    """A comparison of ``systems`` (source first): counts, differences, expected gaps, records compared,
    API calls made per system, and extra markdown tables by metadata name."""

    systems: tuple[str, str]
    scope_label: str = "Where"
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    differences: list[Difference] = field(default_factory=list)
    expected: list[Expected] = field(default_factory=list)
    compared: int = 0
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tables: dict[str, str] = field(default_factory=dict)

    def differ(
        self,
        kind: str,
        record: str,
        scope: Any,
        first: Any,
        second: Any,
        words: str,
        *,
        counterpart: Any = "",
        field: str = "",
    ) -> None:
        """One difference; counted by kind (``"missing in JDE"`` -> ``missing_in_jde``). ``counterpart``
        names the record in the target system, ``field`` the field that differs (the kind when blank)."""
        values = (str(first), str(second))
        self.differences.append(
            Difference(kind, record, str(scope or ""), values, words, str(counterpart or ""), field or kind)
        )
        self.counts[slug(kind)] += 1

    def take_back(self, since: int) -> list[Difference]:
        """The differences named after the first ``since``, taken off the report with their counts (a
        record's field differences a queued update explains: ``flows.queued_differences``)."""
        taken, self.differences[since:] = self.differences[since:], []
        for d in taken:
            self.counts[slug(d.kind)] -= 1
            if not self.counts[slug(d.kind)]:
                del self.counts[slug(d.kind)]
        return taken

    def expect(self, kind: str, record: str, reason: str) -> None:
        """A record not written (or written differently) on purpose: ``expected_<kind>``, not a difference."""
        self.expected.append(Expected(kind, record, reason))
        self.counts[f"expected_{slug(kind)}"] += 1

    @property
    def agree(self) -> str:
        return f"{self.systems[0]} and {self.systems[1]} agree"

    def metadata(self, csv_path: str | None = None) -> dict[str, Any]:
        calls = sum(self.calls.values())
        return {
            **dict(sorted(self.counts.items())),
            "differences": len(self.differences),
            "difference_table": MetadataValue.md(self.table()),
            **({"expected_gaps": len(self.expected)} if self.expected else {}),
            **({"expected_table": MetadataValue.md(self.expected_table())} if self.expected else {}),
            **({"differences_csv": MetadataValue.path(csv_path)} if csv_path else {}),
            "records_compared": self.compared,
            **{f"{system.lower()}_api_calls": n for system, n in sorted(self.calls.items())},
            **({"api_calls_per_record": round(calls / self.compared, 3)} if self.compared else {}),
            **{name: MetadataValue.md(text) for name, text in self.tables.items()},
        }

    def description(self) -> str:
        words = "; ".join(d.words for d in self.differences[:SHOWN])
        more = len(self.differences) - SHOWN
        return (words + (f"; and {more} more" if more > 0 else "")) or self.agree

    def results(
        self, asset_name: AssetKey, csv_path: str | None = None
    ) -> Iterator[AssetCheckResult | MaterializeResult]:
        metadata = self.metadata(csv_path)
        yield AssetCheckResult(
            asset_key=asset_name,
            check_name=CHECK,
            passed=not self.differences,
            severity=AssetCheckSeverity.WARN,
            description=self.description(),
            metadata=metadata,
        )
        yield MaterializeResult(metadata=metadata)

    def by_kind(self) -> dict[str, list[Difference]]:
        """The differences grouped by kind, kinds in the order first met."""
        return _by_kind(self.differences)

    def table(self) -> str:
        """Per kind, its count and its first ``PER_KIND`` rows (what, the record in each system, the
        field, where, both values, in words), then how many more of that kind the CSV holds."""
        if not self.differences:
            return "No differences."
        first, second = self.systems
        columns = ("What", first, second + " record", "Field", self.scope_label, first, second, "In words")
        parts = []
        for kind, group in self.by_kind().items():
            rows = (
                (d.kind, d.record, d.counterpart or "-", d.field, d.scope, *d.values, d.words) for d in group
            )
            table = markdown_table(
                columns, rows, len(group), PER_KIND, f"more {kind} (all in differences_csv)."
            )
            parts.append(f"**{kind}**: {len(group)}\n\n{table}")
        return "\n\n".join(parts)

    def expected_table(self) -> str:
        """Per kind of expected gap, its first ``PER_KIND`` records with the queue's reason."""
        parts = []
        for kind, group in _by_kind(self.expected).items():
            rows = ((e.kind, e.record, e.reason) for e in group)
            table = markdown_table(
                ("Why not written", "Record", "Reason"), rows, len(group), PER_KIND, "more."
            )
            parts.append(f"**{kind}**: {len(group)}\n\n{table}")
        return "\n\n".join(parts)

    def csv_text(self) -> str:
        """Every difference and every expected gap, one row each (``differences_csv``)."""
        out = io.StringIO()
        first, second = self.systems
        writer = csv.writer(out)
        writer.writerow(
            ["kind", f"{first} record", f"{second} record", "field", self.scope_label, first, second, "words"]
        )
        for d in self.differences:
            writer.writerow([d.kind, d.record, d.counterpart, d.field, d.scope, *d.values, d.words])
        for e in self.expected:
            writer.writerow([f"expected: {e.kind}", e.record, "", "", "", "", "", e.reason])
        return out.getvalue()


def _by_kind(items: list[Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(item.kind, []).append(item)
    return groups


def cell(value: object) -> str:
    """A markdown table cell: no pipes, no line breaks."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], count: int, limit: int, more: str
) -> str:
    """A markdown table of the first ``limit`` of ``count`` rows under ``columns`` (cells made safe:
    ``cell``), then ``... and <n> <more>`` when there are more."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in islice(rows, limit)]
    if count > limit:
        lines.append(f"\n... and {count - limit} {more}")
    return "\n".join(lines)


def money(value: Decimal | None, currency: str | None = None) -> str:
    """Thousands separators and the currency's own decimals (``1,000`` JPY, ``1,000.00`` EUR, ``1.234``
    KWD; two without a currency), as a finance user reads an amount; ``-`` for none. Never refuses a
    value finer than its currency: a report shows what a system holds, whatever it is."""
    if value is None:
        return "-"
    unit = quantum(currency or None)
    value = Decimal(value)
    exact = value.quantize(unit)
    return f"{exact if exact == value else value.normalize():,}"


# A document whose two sides are in different currencies: its own kind (field ``currency``), and its
# amounts are not compared, since 1,000.00 EUR against 1,083.40 USD is no amount difference.
CURRENCY_MISMATCH = "currency mismatch"


def currencies_differ(source: str | None, target: str | None) -> bool:
    """Both sides name a currency (ISO code, any case) and they are not the same; a blank one cannot be
    judged (JDE's blank is the company's currency, which the caller may not know)."""
    first, second = (str(c or "").strip().upper() for c in (source, target))
    return bool(first and second and first != second)


def amount(value: object) -> Decimal:
    """An amount as a system answers it (text or number; blank is zero) as a ``Decimal``."""
    return Decimal(str(value if value not in (None, "") else 0))


def day_window(day: str) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` in UTC: a UTC day partition as a change window."""
    start = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def iso_day(value: object) -> str | None:
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


def write_differences(staging: StagingResource, name: AssetKey, partition: str | None, report: Report) -> str:
    """The report's full list written beside the staging, one file per partition (``<staging root>/<asset
    key>/<partition>.differences.csv``), on disk or in the bucket; returns the path as text."""
    parquet = staging.path(name, partition)
    path = parquet.with_name(parquet.name.removesuffix(".parquet") + ".differences.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(report.csv_text())
    return str(path)


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
    """The asset ``name`` comparing ``systems`` (resource keys, e.g. ``("jde", "procurify")``) for one
    partition: ``compare(staging, <first>, <second>, ledger, partition) -> Report``. ``deps``: what it
    reads after (the flows' target assets, so lineage ends source -> ... -> target -> reconciliation)."""
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
        yield from report.results(name, write_differences(r.staging, name, context.partition_key, report))

    return _reconciliation


# How a system's resource key reads in a sentence (the check's description).
_DISPLAY = {"jde": "JDE", "bill": "BILL", "procore": "Procore", "procurify": "Procurify", "coupa": "Coupa"}


def _display(system: str) -> str:
    return _DISPLAY.get(system, system.title())
