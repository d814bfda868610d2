"""Per-day staged files written from one read that spans several days (a range read).

A range read's change feed comes in the API's order (Coupa: by id, not by day), yet each day is its own
partition, replaced whole. Neither the window in memory nor one open Parquet writer per day fits (121 days x
5,000 rows), so rows wait in per-day lists under one budget, and when it is reached the day holding most
rows is written out as a row group to its own temporary file. Nothing is visible before ``commit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dagster import AssetKey

from connector_assets.runtime.staging import (
    BATCH_ROWS,
    Column,
    PartitionWriter,
    StagingResource,
    arrow_schema,
)


class DaySpool:
    """Rows of ``days`` of ``asset`` (already coerced), staged per day at ``commit``."""

    def __init__(
        self,
        staging: StagingResource,
        asset: AssetKey,
        columns: Iterable[Column],
        days: Iterable[date],
        *,
        budget: int = BATCH_ROWS,
    ) -> None:
        self.staging = staging
        self.asset = asset
        self.schema = arrow_schema(columns)
        self.days = tuple(days)
        self.budget = max(1, budget)
        self._pending: dict[date, list[dict[str, object]]] = {day: [] for day in self.days}
        self._held = 0  # rows in ``_pending``, all days together
        self._writers: dict[date, PartitionWriter] = {}

    def write(self, day: date, row: dict[str, Any]) -> None:
        if day not in self._pending:
            raise ValueError(
                f"{self.asset.to_user_string()}: day {day.isoformat()} is not one of this read's days"
            )
        self._pending[day].append(row)
        self._held += 1
        if self._held >= self.budget:
            self._spill(max(self._pending, key=lambda d: len(self._pending[d])))

    def _writer(self, day: date) -> PartitionWriter:
        writer = self._writers.get(day)
        if writer is None:
            # batch_rows=1: the spool does the batching, so every batch handed over is written at once.
            path = self.staging.path(self.asset, day.isoformat())
            writer = self._writers[day] = PartitionWriter(path, self.schema, batch_rows=1)
        return writer

    def _spill(self, day: date) -> None:
        import pyarrow as pa  # on first use, not with the definitions

        rows = self._pending[day]
        if rows:
            self._writer(day).write_batch(pa.RecordBatch.from_pylist(rows, schema=self.schema))
            self._held -= len(rows)
            self._pending[day] = []

    def commit(self) -> None:
        """Every day's file into place, an empty one for a day without rows."""
        try:
            for day in self.days:
                self._spill(day)
                self._writer(day).commit()
                del self._writers[day]
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        for writer in self._writers.values():
            writer.abort()
        self._writers.clear()
        self._pending = {day: [] for day in self.days}
        self._held = 0
