"""Counts and totals of both sides per key (a vendor and period, ...), with the difference per row, as a
reconciliation's markdown table: the key columns and words are the caller's, the arithmetic is here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from connector_assets.flows.reconciliation import Report, markdown_table, money

ROWS = 100  # rows of the table in metadata


@dataclass
class SideTotals:
    """Per key: ``[count, total]`` of the ``first`` system's records, then of the other's. ``columns``
    name the key's columns then the four figures' (the difference column follows); ``empty`` is the table
    when no key was touched."""

    columns: tuple[str, ...]
    first: str
    empty: str
    rows: dict[tuple[str, ...], list] = field(default_factory=dict)

    def touch(self, key: tuple[str, ...]) -> list:
        """The row of ``key``, made empty when new (a key compared, whatever its records)."""
        return self.rows.setdefault(key, [0, Decimal(0), 0, Decimal(0)])

    def add(self, key: tuple[str, ...], system: str, amount: Decimal) -> None:
        """One record of ``system`` (the ``first`` one or the other) for ``key``."""
        row = self.touch(key)
        at = 0 if system == self.first else 2
        row[at] += 1
        row[at + 1] += amount

    def report_to(self, report: Report, name: str, table: str) -> None:
        """Into ``report``: the counts ``<name>`` (keys compared) and ``<name>_out_of_balance``, and the
        table as metadata ``table``."""
        report.counts[name] = len(self.rows)
        report.counts[f"{name}_out_of_balance"] = self.out_of_balance
        report.tables[table] = self.table()

    @property
    def out_of_balance(self) -> int:
        """Keys whose counts or totals differ."""
        return sum(1 for r in self.rows.values() if r[0] != r[2] or r[1] != r[3])

    def table(self) -> str:
        if not self.rows:
            return self.empty
        ordered = sorted(self.rows.items())
        rows = (
            (*key, n, money(amount), m, money(other), money(other - amount))
            for key, (n, amount, m, other) in ordered
        )
        return markdown_table((*self.columns, "Difference"), rows, len(ordered), ROWS, "more rows.")
