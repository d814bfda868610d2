"""Staging a whole JDE day (or a whole table) page by page, a column at a time.

A whole-day read is the bulk of what the JDE assets move (a backfill, a mass update, the first poll of a
day), so it skips the row-at-a-time path of ``connector_assets.incremental``: each page arrives from
``JdeSession.browse_columns`` as ``{alias: [values]}`` (strings as AIS sent them), becomes one typed
Arrow batch (``_typed_page``: ``staging.typed_batch``'s batch, with strings stripped and most type checks
done by Arrow) and goes to the partition file as it is. No dict per row is built, converted
and typed; that per-row work cost several times the raw HTTP + JSON time of a read (``bench/
jde_extract_vs_raw.py``).

The outcome is the row path's, file for file: a page holding a value that is not already of its staged
kind (a number sent as text, a malformed date passed on as text) is staged row by row through
``incremental``'s own coercion, which types what it can and queues the rest with record and field
named, so rejections behave exactly as before. The incremental read of today (a few rows since the
cursor, merged by key) stays on the row path.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from connector_assets.incremental import DayRead, _coerced
from connector_assets.jde.tables import JdeTable
from connector_assets.staging import StagingError, StagingResource, _arrow_types, arrow_schema, typed_batch
from connector_resources.jde import Condition, JdeSession
from connector_resources.ledger import Ledger

if TYPE_CHECKING:  # pyarrow loads when a day is staged, not with the definitions (issue 16)
    import pyarrow as pa


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
    from connector_assets.jde.extract import stream_of  # extract imports this module

    stream = stream_of(spec)
    read = DayRead(day, "whole day" if day is not None else "whole table")
    conditions = [Condition(spec.qualified(spec.date_column), "EQUAL", day)] if day is not None else []
    pages = session.browse_columns(
        spec.table,
        columns=[spec.qualified(a) for a in spec.aliases],
        conditions=conditions,
        strip_strings=False,  # stripped here, a column at a time in Arrow (_typed_page)
    )
    writer = staging.writer(spec.asset, day.isoformat() if day is not None else None, spec.columns)
    schema = arrow_schema(spec.columns)
    try:
        for page in pages:
            count = len(next(iter(page.values()), ()))
            try:
                batch = _typed_page(spec, schema, page, count)
            except StagingError:
                page = {name: _stripped(values) for name, values in page.items()}  # as browse gives them
                rows = [dict(zip(page, values, strict=True)) for values in zip(*page.values(), strict=True)]
                for row in _coerced(stream, rows, read, book, run_id):
                    writer.write(row)
                continue
            writer.write_batch(batch)
            read.rows += count
            _saw_batch(spec, read, batch)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        pages.close()
    return read


# What ``str.strip()`` strips (``str.isspace``: Unicode White_Space plus the four ASCII separators
# 0x1C-0x1F), for Arrow's trim to strip exactly the same; a test checks it against the running Python.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _stripped(values: list[Any]) -> list[Any]:
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
    strip_strings=False)``). Character columns are stripped in Arrow (``PY_WHITESPACE``) and the type
    scan of character and amount columns is left to pyarrow (``_CHECKED_BY_ARROW``): together about a
    fifth of our CPU on a whole-day read."""
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
        try:
            array = pa.array(data, type=_arrow_types()[column.kind])
        except (pa.ArrowException, ValueError, TypeError) as exc:
            raise StagingError(f"column {column.name}: {exc}") from exc
        arrays.append(pc.utf8_trim(array, characters=PY_WHITESPACE) if column.kind == "str" else array)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _saw_batch(spec: JdeTable, read: DayRead, batch: pa.RecordBatch) -> None:
    """The page's first and last change (UPMJ with UPMT/TDAY, a missing time being midnight), as the
    row path records them, found by Arrow over the typed batch instead of a tuple per row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from connector_assets.jde.extract import updated_at

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
    for day, pick in ((bounds["min"], pc.min), (bounds["max"], pc.max)):
        clock = pick(pc.filter(clocks, pc.equal(days, day))).as_py()
        read.saw(updated_at(spec, {spec.date_column: day.as_py(), spec.time_column: clock}))
