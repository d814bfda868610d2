"""Staged partitions: what a source asset read, kept as typed Parquet files between the flow's steps.

Not Dagster's default IO manager, which pickles a whole DataFrame: rows stream into Parquet row groups and
are read back batch by batch, in a local folder or an object store (docs/deployment.md, "Staging on object
storage"). A new version becomes visible whole or not at all.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from dagster import AssetKey, ConfigurableResource

from connector_resources import settings
from connector_resources.project_home import locate

if TYPE_CHECKING:  # pyarrow and pandas load on first use, not with the definitions
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from upath import UPath

ColumnKind = Literal["str", "int", "decimal", "date", "time", "datetime"]


@cache
def _arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type of each column kind; built on first use so loading the definitions (every run and
    every ``dagster`` command does) does not import pyarrow.

    Amounts: JDE's widest amount columns are 15 digits with up to 4 decimals in practice; 38/8 leaves
    room for foreign amounts and exchange rates (CRR) without ever falling back to binary floats."""
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

# Object stores: bytes buffered per uploaded part and per ranged read: S3's minimum part, so the least memory
# (10,000 parts at most: about 50 GiB a partition). A full-suite run measured 328 MB for a million-row
# partition with 8 MiB parts and threaded reads; 257 MB with these (docs/deployment.md, "Staging on object
# storage").
OBJECT_BLOCK_BYTES = 5 * 2**20


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


def is_local(path: Path | UPath) -> bool:
    """Whether ``path`` is on this machine's file system (a plain ``Path`` or a local ``UPath``)."""
    return getattr(path, "protocol", "") in ("", "file", "local")


class PartitionWriter:
    """Streams rows (``write``) or typed batches (``write_batch``) into one partition file, in order, in row
    groups of about ``batch_rows``; ``commit`` publishes it whole (a temporary file ``os.replace``d, or an S3
    multipart upload only ``commit()`` completes), ``abort`` throws it away. Why so: docs/deployment.md,
    "Staging on object storage"."""

    def __init__(self, final_path: Path | UPath, schema: pa.Schema, batch_rows: int = BATCH_ROWS) -> None:
        import pyarrow.parquet as pq

        self.final_path = final_path
        self.schema = schema
        self.batch_rows = batch_rows
        self._tmp: Path | None = None
        self._file: Any = None  # the object store's file, committed or discarded by this writer
        if is_local(final_path):
            final_path.parent.mkdir(parents=True, exist_ok=True)
            self._tmp = Path(final_path.with_name(f".{final_path.name}.{uuid.uuid4().hex}.tmp"))
            self._writer = pq.ParquetWriter(self._tmp, schema)
        else:
            fs = final_path.fs
            self._file = fs.open(final_path.path, "wb", autocommit=False, block_size=OBJECT_BLOCK_BYTES)
            # fsspec also lists the file in the file system's transaction; this writer finishes it itself,
            # and a long-lived (cached) file system must not keep every staged file it ever wrote.
            if self._file in fs.transaction.files:
                fs.transaction.files.remove(self._file)
            self._writer = pq.ParquetWriter(self._file, schema)
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
        if self._tmp is not None:
            os.replace(self._tmp, self.final_path)
        else:
            self._file.close()  # uploads the last part; the object is not there yet
            self._file.commit()  # CompleteMultipartUpload: the new version replaces the old one whole

    def abort(self) -> None:
        self._writer.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
        else:
            self._file.discard()  # AbortMultipartUpload: the parts are dropped, the old version stays
            self._file.closed = True  # discarded files cannot flush: keep the finaliser from trying


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


def _hhmmss(data: list[Any]) -> list[Any]:
    """Times as HHMMSS ints, anything else as it is: each distinct naive time worked out once, then one
    C-level lookup per value (aware times, equal across offsets with other clocks, one by one)."""
    clocks = {v for v in set(data) if type(v) is time}
    if not clocks:
        return data
    if any(v.tzinfo is not None for v in clocks):
        return [v.hour * 10000 + v.minute * 100 + v.second if type(v) is time else v for v in data]
    hhmmss = {v: v.hour * 10000 + v.minute * 100 + v.second for v in clocks}
    return list(map(hhmmss.get, data, data))


def typed_batch(
    columns: Iterable[Column], values: dict[str, list[Any]], rows: int, *, trimmed: bool = False
) -> pa.RecordBatch:
    """``rows`` rows given by column (``{name: [value per row]}``, a missing column all None) as one Arrow
    batch in the staged types. ``trimmed``: the strings carry no trailing blanks already (the JDE client's).
    ``StagingError`` when a column holds a value not already of its kind: the caller then stages those
    rows one by one with ``coerce_row``, which names and refuses the bad ones."""
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
            data = _hhmmss(data)
        try:
            arrays.append(pa.array(data, type=arrow_types[column.kind]))
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise StagingError(f"column {column.name}: {exc}") from exc
    return pa.RecordBatch.from_arrays(arrays, schema=arrow_schema(columns))


class StagingResource(ConfigurableResource):
    """Where staged partitions live: ``base_dir``, a folder or an object store URL (``s3://bucket/prefix``);
    blank: ``ML_STAGING_URL``, else ``staging`` in the instance folder (``$DAGSTER_HOME``, else the project's
    ``.dagster_home``: ``project_home.locate``). Several machines share a bucket (or volume).
    An S3 store's credentials come from the standard AWS variables, read by botocore itself, so nothing
    secret is in Dagster's run config."""

    base_dir: str = ""

    def root(self) -> Path | UPath:
        base = (
            self.base_dir
            or settings.value("ML_STAGING_URL")
            or os.path.join(locate().require_dagster_home(), "staging")
        )
        return staging_root(base)

    def path(self, asset: AssetKey, partition: str | None) -> Path | UPath:
        """``<root>/<group>/<name>/<day>.parquet``: one folder per part of the asset's key (``asset_keys``),
        ``all.parquet`` for an unpartitioned asset."""
        if not isinstance(asset, AssetKey):  # a flat name would land beside every group's folder
            raise TypeError(f"staging needs the asset's key (an AssetKey), got {asset!r}")
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", partition or "all")
        return self.root().joinpath(*asset.path) / f"{name}.parquet"

    def source(self, asset: AssetKey, partition: str | None) -> Path | UPath:
        """Where the partition is read from: its own ``path`` (a preview's staging reads what it did not
        stage itself from the deployment's, ``preview.scratch.ScratchStaging``)."""
        return self.path(asset, partition)

    def exists(self, asset: AssetKey, partition: str | None) -> bool:
        return self.source(asset, partition).is_file()

    def writer(self, asset: AssetKey, partition: str | None, columns: Iterable[Column]) -> PartitionWriter:
        return PartitionWriter(self.path(asset, partition), arrow_schema(columns))

    def read_batches(
        self, asset: AssetKey, partition: str | None, *, batch_rows: int = BATCH_ROWS
    ) -> Iterator[pd.DataFrame]:
        """The staged rows as DataFrames of at most ``batch_rows``; nothing if never staged."""
        for batch in self._batches(asset, partition, batch_rows=batch_rows):
            yield batch.to_pandas()

    def read_rows(self, asset: AssetKey, partition: str | None) -> Iterator[dict[str, Any]]:
        for batch in self._batches(asset, partition):
            yield from batch.to_pylist()

    def _batches(
        self, asset: AssetKey, partition: str | None, *, batch_rows: int = BATCH_ROWS, columns: Any = None
    ) -> Iterator[pa.RecordBatch]:
        path = self.source(asset, partition)
        if not path.is_file():
            return
        with _open_for_reading(path) as source:
            parquet = _parquet(source)
            yield from parquet.iter_batches(batch_size=batch_rows, columns=columns, use_threads=False)

    def column_values(self, asset: AssetKey, partition: str | None, column: str) -> Iterator[Any]:
        """One column of the staged rows, in order; nothing if never staged. Parquet column projection:
        only that column's pages are read and decoded, never the records beside it (a mapped step's
        ``source_key`` without its bodies, a fraction of the file)."""
        for batch in self._batches(asset, partition, columns=[column]):
            yield from batch.column(0).to_pylist()

    def count(self, asset: AssetKey, partition: str | None) -> int:
        path = self.source(asset, partition)
        if not path.is_file():
            return 0
        with _open_for_reading(path) as source:
            return _parquet(source).metadata.num_rows

    def merge(
        self,
        asset: AssetKey,
        partition: str | None,
        columns: list[Column],
        new_rows: Iterable[dict[str, Any]],
        key: Callable[[dict[str, Any]], tuple],
    ) -> int:
        """Upsert ``new_rows`` (already coerced) into the staged partition, keyed by ``key`` (the current
        day's poll); the existing file is streamed. Returns the partition's row count afterwards."""
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
        asset: AssetKey,
        partition: str | None,
        fresh: dict[tuple, dict[str, Any]],
        key: Callable[[dict[str, Any]], tuple],
    ) -> bool:
        """Whether the staged partition already holds every row of ``fresh`` exactly as it is: a poll that
        re-read only its overlap and found nothing new. Then ``merge`` leaves the file alone instead of
        rewriting it identical (and writing Arrow arrays is what makes pyarrow import pandas, ~0.5 s of a
        poll run that changes nothing). Values compare as Python values (``Decimal('1.5') ==
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


def staging_root(base: str) -> Path | UPath:
    """The staging root named by ``base``: a plain ``Path`` for a folder (or ``file://`` URL), else a
    ``UPath``. Its listings cache is off: other processes write partitions, and a cached listing would
    hide their files from ``exists``."""
    if "://" not in base:
        return Path(base)
    from upath import UPath

    try:
        root = UPath(base)
        if is_local(root):
            return Path(root.path)
        return UPath(base, use_listings_cache=False)
    except ImportError as exc:  # fsspec's own message names the missing package (s3fs, ...)
        raise ImportError(
            f"staging at {base}: {exc}; for s3:// install the 's3' extra: pip install 'ml-connector[s3]'"
        ) from exc


def _open_for_reading(path: Path | UPath) -> AbstractContextManager[str | IO[bytes]]:
    """A staged file as Parquet reads it: a local file by its name (Arrow's own reader); on an object
    store, a file making ranged reads of ``OBJECT_BLOCK_BYTES`` at a time, so reading never pulls a whole
    partition into memory."""
    if is_local(path):
        return nullcontext(str(path))
    return path.fs.open(path.path, "rb", block_size=OBJECT_BLOCK_BYTES)


def _parquet(source: str | IO[bytes]) -> pq.ParquetFile:
    """A staged file for reading row group by row group. ``pre_buffer`` off: Arrow's default (on since
    pyarrow 13) fetches every requested row group up front in coalesced ranges, i.e. the whole partition
    into memory when iterating over all of it (+74 MB for a million rows on local disk, +130 MB on S3)."""
    import pyarrow.parquet as pq

    return pq.ParquetFile(source, pre_buffer=False)
