"""Staging a whole JDE day (or a whole table) page by page, a column at a time.

A whole-day read is the bulk of what the JDE assets move (a backfill, a mass update, the first poll of a
day), so it skips the row-at-a-time path of ``connector_assets.incremental``: each page arrives from
``JdeSession.browse_columns`` as ``{alias: [values]}``, becomes one typed Arrow batch
(``staging.typed_batch``) and goes to the partition file as it is. No dict per row is built, converted
and typed; that per-row work cost several times the raw HTTP + JSON time of a read (``bench/
jde_extract_vs_raw.py``).

The outcome is the row path's, file for file: a page holding a value that is not already of its staged
kind (a number sent as text, a malformed date passed on as text) is staged row by row through
``incremental``'s own coercion, which types what it can and queues the rest with record and field
named, so rejections behave exactly as before. The incremental read of today (a few rows since the
cursor, merged by key) stays on the row path.
"""

from __future__ import annotations

from datetime import date, time
from typing import Any

from connector_assets.incremental import DayRead, _coerced
from connector_assets.jde.tables import JdeTable
from connector_assets.staging import StagingError, StagingResource, typed_batch
from connector_resources.jde import Condition, JdeSession
from connector_resources.ledger import Ledger


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
        spec.table, columns=[spec.qualified(a) for a in spec.aliases], conditions=conditions
    )
    writer = staging.writer(spec.asset, day.isoformat() if day is not None else None, spec.columns)
    try:
        for page in pages:
            count = len(next(iter(page.values()), ()))
            try:
                batch = typed_batch(spec.columns, page, count, trimmed=True)  # browse strips strings
            except StagingError:
                rows = [dict(zip(page, values, strict=True)) for values in zip(*page.values(), strict=True)]
                for row in _coerced(stream, rows, read, book, run_id):
                    writer.write(row)
                continue
            writer.write_batch(batch)
            read.rows += count
            _saw_page(spec, read, page)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    finally:
        pages.close()
    return read


def _saw_page(spec: JdeTable, read: DayRead, page: dict[str, list[Any]]) -> None:
    """The page's first and last change (UPMJ with UPMT/TDAY), as the row path records them."""
    from connector_assets.jde.extract import updated_at

    days = page.get(spec.date_column) or []
    clocks = page.get(spec.time_column) or [None] * len(days)
    stamps = [(d, _hhmmss(t)) for d, t in zip(days, clocks, strict=True) if isinstance(d, date)]
    if not stamps:
        return
    for d, t in (min(stamps), max(stamps)):
        read.saw(updated_at(spec, {spec.date_column: d, spec.time_column: t}))


def _hhmmss(value: Any) -> int:
    if isinstance(value, time):
        return value.hour * 10000 + value.minute * 100 + value.second
    return int(value or 0)
