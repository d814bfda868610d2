"""Staging a whole JDE day, a range of days (one query, split by day) or a whole table a page and a column
at a time, each page one typed Arrow batch with no dict per row (``bench/jde_extract_vs_raw.py``); a page
with a value not yet of its kind goes row by row through ``incremental``'s coercion (the row path's outcome).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, suppress
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from connector_assets.jde.tables import JdeTable
from connector_assets.runtime.incremental import DayRead, Stream, _coerced
from connector_assets.runtime.staging import (
    PartitionWriter,
    StagingError,
    StagingResource,
    _arrow_types,
    arrow_schema,
    typed_batch,
)
from connector_resources.jde import Condition, JdeSession
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

if TYPE_CHECKING:  # pyarrow loads when a day is staged, not with the definitions
    import pyarrow as pa

log = get_logger(__name__)

CURSOR_INTEGRATION = "jde"  # the ledger cursor's integration for every JDE table read by day


def updated_at(spec: JdeTable, row: dict[str, Any]) -> datetime | None:
    """When the row last changed: its UPMJ date with its UPMT / TDAY time (naive, server time)."""
    day = row.get(spec.date_column)
    if not isinstance(day, date):
        return None
    value = int(row.get(spec.time_column) or 0)
    return datetime.combine(day, time(value // 10000 % 24, value // 100 % 100, value % 100))


def stream_of(spec: JdeTable) -> Stream:
    return Stream(
        integration=CURSOR_INTEGRATION,
        name=spec.table,
        asset=spec.asset,
        columns=spec.columns,
        key=spec.key,
        record_id=spec.record_id,
        updated_at=lambda row: updated_at(spec, row),
    )


def stage_whole(
    spec: JdeTable,
    session: JdeSession,
    staging: StagingResource,
    book: Ledger,
    *,
    day: date | None,
    run_id: str,
) -> DayRead:
    """Read ``day`` of ``spec`` (the whole table when None) and replace its staged file."""
    stream = stream_of(spec)
    read = DayRead(day, "whole day" if day is not None else "whole table")
    conditions = [Condition(spec.qualified(spec.date_column), "EQUAL", day)] if day is not None else []
    writer = staging.writer(spec.asset, day.isoformat() if day is not None else None, spec.columns)
    try:
        with closing(_pages(spec, session, conditions)) as pages:
            for page in pages:
                if isinstance(page, list):
                    _write_rows(stream, writer, read, page, book, run_id)
                else:
                    _write_batch(spec, writer, read, page)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return read


def stage_range(
    spec: JdeTable,
    session: JdeSession,
    staging: StagingResource,
    book: Ledger,
    *,
    days: list[date],
    run_id: str,
) -> list[DayRead]:
    """Consecutive ``days`` of ``spec`` with ONE paged browse (docs/sources.md), each day's file replaced
    as ``stage_whole(day=...)`` would. Rows come ordered by day, so one day's file is open at a time
    (``_DayFiles``); a resumed query (after a 444) keeps the order. A server ignoring ``orderBy`` or the
    range (``_Disorder``: a row before a committed day, outside the range or undated) has the range read
    again a day at a time, with a warning naming the table and days; records rejected before the switch
    are queued again (their attempt count goes up)."""
    first, last = days[0], days[-1]
    if days != [first + timedelta(days=i) for i in range(len(days))]:
        raise ValueError(f"{spec.table}: a range read needs consecutive days, got {days}")
    window = f"{first.isoformat()}..{last.isoformat()}"
    reads = {day: DayRead(day, "whole day", window=window) for day in days}
    column = spec.qualified(spec.date_column)
    conditions = [Condition(column, "GREATER_EQUAL", first), Condition(column, "LESS_EQUAL", last)]
    stream = stream_of(spec)
    files = _DayFiles(spec, staging, first, last)
    try:
        with closing(_pages(spec, session, conditions, order_by=[(column, "ASC")])) as pages:
            for page in pages:
                if isinstance(page, list):
                    for day, rows in _rows_by_day(spec, page, files.open_day, first):
                        _write_rows(stream, files.to(day), reads[day], rows, book, run_id)
                else:
                    for day, batch in _batch_by_day(spec, page):
                        _write_batch(spec, files.to(day), reads[day], batch)
        files.finish()
    except _Disorder as disorder:
        files.abort()
        log.warning("%s %s: %s; reading the days one at a time", spec.table, window, disorder)
        return [stage_whole(spec, session, staging, book, day=day, run_id=run_id) for day in days]
    except BaseException:
        files.abort()
        raise
    return [reads[day] for day in days]


class _Disorder(Exception):
    """A range read met a row it cannot place: the server did not keep to the range or the order."""


class _DayFiles:
    """The staged files of a range read, one open at a time: rows arrive ordered by day, so moving to
    a later day commits the open day and every day passed over (empty, as a per-day read stages it)."""

    def __init__(self, spec: JdeTable, staging: StagingResource, first: date, last: date) -> None:
        self.spec, self.staging, self.first, self.last = spec, staging, first, last
        self.open_day: date | None = None
        self._writer: PartitionWriter | None = None
        self._next = first  # the first day not yet opened

    def to(self, day: date) -> PartitionWriter:
        """The writer of ``day``, committing the days before it."""
        if day == self.open_day and self._writer is not None:
            return self._writer
        if not self.first <= day <= self.last:
            raise _Disorder(f"a row dated {day.isoformat()} lies outside the range")
        if day < self._next:
            assert self.open_day is not None
            raise _Disorder(
                f"a row dated {day.isoformat()} came after {self.open_day.isoformat()} was staged "
                "(rows not ordered by day)"
            )
        self._commit_until(day)
        self._writer = self.staging.writer(self.spec.asset, day.isoformat(), self.spec.columns)
        self.open_day, self._next = day, day + timedelta(days=1)
        return self._writer

    def finish(self) -> None:
        """Commit the open day and stage every remaining day of the range empty."""
        self._commit_until(self.last + timedelta(days=1))

    def _commit_until(self, day: date) -> None:
        """Commit the open day, then every day before ``day`` not yet opened, empty."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.commit()
        while self._next < day:
            self.staging.writer(self.spec.asset, self._next.isoformat(), self.spec.columns).commit()
            self._next += timedelta(days=1)

    def abort(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.abort()


def _batch_by_day(spec: JdeTable, batch: pa.RecordBatch) -> Iterator[tuple[date, pa.RecordBatch]]:
    """The typed page cut where its day changes: one slice per run of rows of one day, found by Arrow
    (``run_end_encode``), so the Python work is per day, not per row."""
    import pyarrow.compute as pc

    runs = pc.run_end_encode(batch.column(spec.date_column))
    start = 0
    for day, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
        if day is None:
            raise _Disorder("a row without a date came back")
        yield day, batch.slice(start, end - start)
        start = end


def _rows_by_day(
    spec: JdeTable, rows: list[dict[str, Any]], open_day: date | None, first: date
) -> Iterator[tuple[date, list[dict[str, Any]]]]:
    """The row-path page grouped by day. A date the session could not read (left as text, rejected by
    the row path) is given the day of the row before it (``open_day`` at the start of the page, else
    the page's first readable day): the server sorted it among its own day's rows, so its rejection
    counts on that day, as a per-day read counts it."""
    values = [row.get(spec.date_column) for row in rows]
    if any(value is None for value in values):
        raise _Disorder("a row without a date came back")
    current = open_day or next((v for v in values if type(v) is date), first)
    group: list[dict[str, Any]] = []
    for row, value in zip(rows, values, strict=True):
        day = value if type(value) is date else current
        if day != current and group:
            yield current, group
            group = []
        current = day
        group.append(row)
    if group:
        yield current, group


def _pages(
    spec: JdeTable,
    session: JdeSession,
    conditions: list[Condition],
    order_by: list[tuple[str, str]] | None = None,
) -> Iterator[pa.RecordBatch | list[dict[str, Any]]]:
    """The browse's pages, each as one typed batch (``_typed_page``) or, for a page holding a value
    that is not already of its staged kind, as its rows (stripped, as ``browse`` gives them) for the
    row path, which types what it can and queues the rest with record and field named."""
    schema = arrow_schema(spec.columns)
    pages = session.browse_columns(
        spec.table,
        columns=[spec.qualified(a) for a in spec.aliases],
        conditions=conditions,
        order_by=order_by or (),
        strip_strings=False,  # stripped here, a column at a time (_typed_page)
    )
    try:
        for page in pages:
            count = len(next(iter(page.values()), ()))
            try:
                batch = _typed_page(spec, schema, page, count)
            except StagingError:
                page = {name: _stripped(values) for name, values in page.items()}
                yield [dict(zip(page, values, strict=True)) for values in zip(*page.values(), strict=True)]
                continue
            yield batch
    finally:
        pages.close()


def _write_batch(spec: JdeTable, writer: PartitionWriter, read: DayRead, batch: pa.RecordBatch) -> None:
    writer.write_batch(batch)
    read.rows += batch.num_rows
    _saw_batch(spec, read, batch)


def _write_rows(
    stream: Stream,
    writer: PartitionWriter,
    read: DayRead,
    rows: list[dict[str, Any]],
    book: Ledger,
    run_id: str,
) -> None:
    for row in _coerced(stream, rows, read, book, run_id):
        writer.write(row)


# What ``str.strip()`` strips (``str.isspace``: Unicode White_Space plus the four ASCII separators
# 0x1C-0x1F), for Arrow's trim to strip exactly the same; a test checks it against the running Python.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _stripped(values: list[object]) -> list[Any]:
    return [v.strip() if type(v) is str else v for v in values]


# Kinds whose Arrow conversion refuses every decoded JSON value that ``staging.typed_batch``'s scan
# refuses (a number, bool, list or object in a character column; a bool, string, list or object in an
# amount: pyarrow raises, the page goes the row path), so for them that Python-level scan of every
# value is left out. Not ``int`` (pyarrow takes ``Decimal("5.5")`` as 5) nor ``date`` (it takes ints
# and datetimes): those keep the scan.
_CHECKED_BY_ARROW = frozenset({"str", "decimal"})


def _typed_page(spec: JdeTable, schema: pa.Schema, page: dict[str, list[Any]], count: int) -> pa.RecordBatch:
    """``staging.typed_batch(spec.columns, stripped page, count, trimmed=True)``: the same batch or the
    same ``StagingError``, from a page whose strings are as AIS sent them (``browse_columns(
    strip_strings=False)``). Character columns are stripped by ``str.strip`` in one C-level loop when
    they hold only strings, else in Arrow (``PY_WHITESPACE``), and the type scan of character and
    amount columns is left to pyarrow (``_CHECKED_BY_ARROW``): together about a fifth of our CPU on a
    whole-day read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    scanned = typed_batch(
        [c for c in spec.columns if c.kind not in _CHECKED_BY_ARROW], page, count, trimmed=True
    )
    arrays = []
    for column in spec.columns:
        if column.kind not in _CHECKED_BY_ARROW:
            arrays.append(scanned.column(column.name))
            continue
        data = page.get(column.name)
        if data is None:
            data = [None] * count
        if len(data) != count:
            raise StagingError(f"column {column.name} has {len(data)} values for {count} rows")
        trim = column.kind == "str"
        # All strings (AIS sends a blank as " "): stripped by str.strip in one C loop; a column with a
        # None (or a value pyarrow refuses below) raises TypeError here and is stripped in Arrow.
        with suppress(TypeError):
            if trim:
                data, trim = list(map(str.strip, data)), False
        try:
            array = pa.array(data, type=_arrow_types()[column.kind])
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise StagingError(f"column {column.name}: {exc}") from exc
        arrays.append(pc.utf8_trim(array, characters=PY_WHITESPACE) if trim else array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _saw_batch(spec: JdeTable, read: DayRead, batch: pa.RecordBatch) -> None:
    """The page's first and last change (UPMJ with UPMT/TDAY, a missing time being midnight), as the
    row path records them, found by Arrow over the typed batch instead of a tuple per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = batch.schema.names
    if spec.date_column not in names:
        return
    days = batch.column(spec.date_column)
    if days.null_count == len(days):
        return
    if spec.time_column in names:
        clocks = pc.fill_null(batch.column(spec.time_column), 0)
    else:
        clocks = pa.array([0] * len(days), type=pa.int32())
    bounds = pc.min_max(days)
    if days.null_count == 0 and bounds["min"] == bounds["max"]:  # one day (a day's read): all its clocks
        clock_bounds = pc.min_max(clocks)
        ends = ((bounds["min"], clock_bounds["min"]), (bounds["max"], clock_bounds["max"]))
    else:
        ends = tuple(
            (day, pick(pc.filter(clocks, pc.equal(days, day))))
            for day, pick in ((bounds["min"], pc.min), (bounds["max"], pc.max))
        )
    for day, clock in ends:
        read.saw(updated_at(spec, {spec.date_column: day.as_py(), spec.time_column: clock.as_py()}))
