"""Staged partitions: what a source asset read, kept as typed Parquet files between the flow's steps.

Why not Dagster's default IO manager: it pickles a whole DataFrame, so a million-row partition would have
to fit in memory twice. Here a source asset streams rows into Parquet row groups as pages arrive and the
next step reads them back batch by batch; memory stays bounded by the batch size.

Files are written to a temporary name and renamed into place only when complete, so a run killed
mid-write leaves the previous version of the partition intact, never half a file.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dagster import ConfigurableResource

from connector_resources import settings

if TYPE_CHECKING:  # pyarrow and pandas load on first use, not with the definitions (issue 16)
    import pandas as pd
    import pyarrow as pa

ColumnKind = Literal["str", "int", "decimal", "date", "time", "datetime"]


@cache
def _arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type of each column kind; built on first use so loading the definitions (every run and
    every ``dagster`` command does) does not import pyarrow.

    Amounts: JDE's widest amount columns are 15 digits with up to 4 decimals in practice; 38/8 leaves
    room for foreign amounts and exchange rates (CRR) without ever falling back to binary floats.
    """
    import pyarrow as pa

    return {
        "str": pa.string(),
        "int": pa.int64(),
        "decimal": pa.decimal128(38, 8),
        "date": pa.date32(),
        "time": pa.int32(),  # HHMMSS as JDE stores it
        "datetime": pa.timestamp("s"),
    }


BATCH_ROWS = 5_000


@dataclass(frozen=True)
class Column:
    """One staged column: the JDE data-dictionary alias (or SaaS field) and its type."""

    name: str
    kind: ColumnKind = "str"


class StagingError(ValueError):
    """A value could not be staged; names the record and the field."""


def arrow_schema(columns: Iterable[Column]) -> pa.Schema:
    import pyarrow as pa

    types = _arrow_types()
    return pa.schema([pa.field(c.name, types[c.kind]) for c in columns])


def _coerce(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == "" and kind != "str"):
        return None
    if kind == "str":
        return str(value).rstrip() if isinstance(value, str) else str(value)
    if kind == "int":
        return int(Decimal(str(value)))
    if kind == "decimal":
        return value if isinstance(value, Decimal) else Decimal(str(value))
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])
    if kind == "time":
        if isinstance(value, time):
            return value.hour * 10000 + value.minute * 100 + value.second
        return int(str(value).strip() or 0)
    if kind == "datetime":
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    raise StagingError(f"unknown column kind {kind!r}")


def coerce_row(row: dict[str, Any], columns: Iterable[Column], *, record: str) -> dict[str, Any]:
    """The row reduced to ``columns`` with each value in its staged type; errors name record and field."""
    out: dict[str, Any] = {}
    for column in columns:
        try:
            out[column.name] = _coerce(row.get(column.name), column.kind)
        except (ValueError, TypeError, InvalidOperation) as exc:
            raise StagingError(
                f"{record}: field {column.name} has value {row.get(column.name)!r}, not a valid {column.kind}"
            ) from exc
    return out


class PartitionWriter:
    """Streams rows into one partition file; ``commit`` renames it into place atomically.

    Rows come one at a time (``write``) or a typed batch at a time (``write_batch``, from a reader that
    types a page column-wise); either way they are kept in order and written in row groups of about
    ``batch_rows``.
    """

    def __init__(self, final_path: Path, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> None:
        import pyarrow.parquet as pq

        self.final_path = final_path
        self.schema = schema
        self.batch_rows = batch_rows
        final_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = final_path.with_name(f".{final_path.name}.{uuid.uuid4().hex}.tmp")
        self._writer = pq.ParquetWriter(self._tmp, schema)
        self._buffer: list[dict[str, Any]] = []
        self._batches: list[pa.RecordBatch] = []  # pending, in order, before ``_buffer``
        self._pending = 0  # rows in ``_batches``
        self.rows = 0

    def write(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) + self._pending >= self.batch_rows:
            self._flush()

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append rows already typed to ``schema`` (``typed_batch``), after any rows written before."""
        import pyarrow as pa

        if self._buffer:
            self._batches.append(pa.RecordBatch.from_pylist(self._buffer, schema=self.schema))
            self._pending += len(self._buffer)
            self._buffer = []
        self._batches.append(batch)
        self._pending += batch.num_rows
        if self._pending >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._buffer:
            self._batches.append(pa.RecordBatch.from_pylist(self._buffer, schema=self.schema))
            self._pending += len(self._buffer)
            self._buffer = []
        if self._batches:
            self._writer.write_table(pa.Table.from_batches(self._batches, schema=self.schema))
            self.rows += self._pending
            self._batches, self._pending = [], 0

    def commit(self) -> None:
        self._flush()
        self._writer.close()
        os.replace(self._tmp, self.final_path)

    def abort(self) -> None:
        self._writer.close()
        self._tmp.unlink(missing_ok=True)


# What ``typed_batch`` takes as it is for each kind: exactly what ``coerce_row`` would pass through
# unchanged (an int is an exact decimal, an HHMMSS int a time). Anything else (a blank string, a number
# as text, a bool) is left to ``coerce_row``, row by row, so both paths stage the same values.
_COLUMN_TYPES: dict[str, frozenset[type]] = {
    "str": frozenset({str, type(None)}),
    "int": frozenset({int, type(None)}),
    "decimal": frozenset({Decimal, int, type(None)}),
    "date": frozenset({date, type(None)}),
    "time": frozenset({time, int, type(None)}),
    "datetime": frozenset({datetime, type(None)}),
}


def typed_batch(
    columns: Iterable[Column], values: dict[str, list[Any]], rows: int, *, trimmed: bool = False
) -> pa.RecordBatch:
    """``rows`` rows given by column (``{name: [value per row]}``, a missing column is all None) as one
    Arrow batch in the staged types, built a column at a time. ``trimmed``: the caller's strings carry
    no trailing blanks already (the JDE client strips every string), so they are not stripped again.

    Raises ``StagingError`` when a column holds a value that is not already of its kind; the caller
    then stages those rows one by one with ``coerce_row``, which names and refuses the bad ones.
    """
    import pyarrow as pa

    arrow_types = _arrow_types()
    arrays = []
    columns = tuple(columns)
    for column in columns:
        data = values.get(column.name)
        if data is None:
            data = [None] * rows
        if len(data) != rows:
            raise StagingError(f"column {column.name} has {len(data)} values for {rows} rows")
        if not set(map(type, data)) <= _COLUMN_TYPES[column.kind]:
            raise StagingError(f"column {column.name} holds values that are not {column.kind} yet")
        if column.kind == "str" and not trimmed:
            data = [v.rstrip() if v is not None else None for v in data]
        elif column.kind == "time":
            data = [v.hour * 10000 + v.minute * 100 + v.second if type(v) is time else v for v in data]
        try:
            arrays.append(pa.array(data, type=arrow_types[column.kind]))
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise StagingError(f"column {column.name}: {exc}") from exc
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


class StagingResource(ConfigurableResource):
    """Where staged partitions live: ``base_dir`` (default ``$DAGSTER_HOME/staging``).

    On several machines point it at a shared volume; each asset/partition is one file.
    """

    base_dir: str = ""

    def root(self) -> Path:
        base = self.base_dir or os.path.join(settings.value("DAGSTER_HOME"), "staging")
        return Path(base)

    def path(self, asset: str, partition: str | None) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", partition or "all")
        return self.root() / asset / f"{name}.parquet"

    def exists(self, asset: str, partition: str | None) -> bool:
        return self.path(asset, partition).is_file()

    def writer(self, asset: str, partition: str | None, columns: Iterable[Column]) -> PartitionWriter:
        return PartitionWriter(self.path(asset, partition), arrow_schema(columns))

    def read_batches(
        self, asset: str, partition: str | None, *, batch_rows: int = BATCH_ROWS
    ) -> Iterator[pd.DataFrame]:
        """The staged rows as DataFrames of at most ``batch_rows``; nothing if never staged."""
        import pyarrow.parquet as pq

        path = self.path(asset, partition)
        if not path.is_file():
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield batch.to_pandas()

    def read_rows(self, asset: str, partition: str | None) -> Iterator[dict[str, Any]]:
        import pyarrow.parquet as pq

        path = self.path(asset, partition)
        if not path.is_file():
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            yield from batch.to_pylist()

    def count(self, asset: str, partition: str | None) -> int:
        import pyarrow.parquet as pq

        path = self.path(asset, partition)
        return pq.ParquetFile(path).metadata.num_rows if path.is_file() else 0

    def merge(
        self,
        asset: str,
        partition: str | None,
        columns: list[Column],
        new_rows: Iterable[dict[str, Any]],
        key: Callable[[dict[str, Any]], tuple],
    ) -> int:
        """Upsert ``new_rows`` (already coerced) into the staged partition, keyed by ``key``.

        Used for the current day: each poll fetches only what changed since the cursor, and the day's
        file keeps every record changed that day in its latest version, so a downstream step that
        failed on an earlier poll still sees those records on the next run. Memory holds only the
        new rows; the existing file is streamed. Returns the partition's row count afterwards.
        """
        fresh: dict[tuple, dict[str, Any]] = {}
        for row in new_rows:
            fresh[key(row)] = row  # a record seen twice (re-read overlap) keeps its latest version
        if self._holds_already(asset, partition, fresh, key):
            return self.count(asset, partition)
        writer = self.writer(asset, partition, columns)
        try:
            for old in self.read_rows(asset, partition):
                if key(old) not in fresh:
                    writer.write(old)
            for row in fresh.values():
                writer.write(row)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
        return writer.rows

    def _holds_already(
        self,
        asset: str,
        partition: str | None,
        fresh: dict[tuple, dict[str, Any]],
        key: Callable[[dict[str, Any]], tuple],
    ) -> bool:
        """Whether the staged partition already holds every row of ``fresh`` exactly as it is: a poll that
        re-read only its overlap and found nothing new. Then ``merge`` leaves the file alone instead of
        rewriting it identical (and writing Arrow arrays is what makes pyarrow import pandas, ~0.5 s of a
        poll run that changes nothing; issue 16). Values compare as Python values (``Decimal('1.5') ==
        Decimal('1.50000000')``), which is what staging them again would keep."""
        if not self.exists(asset, partition):
            return False
        unmatched = set(fresh)
        if not unmatched:
            return True
        for old in self.read_rows(asset, partition):
            old_key = key(old)
            if old_key in unmatched:
                if fresh[old_key] != old:
                    return False
                unmatched.discard(old_key)
                if not unmatched:
                    return True
        return not unmatched
