"""The factory that turns a ``JdeTable`` spec into a Dagster source asset.

Partitioned tables are partitioned by day on UPMJ (the day a row last changed, in the JDE server's time
zone). Reading rules, chosen so that polling is cheap and nothing is lost:

* A past day is read whole (``UPMJ = day``) and its staged file replaced: backfills and reruns are
  idempotent. A single-run backfill reads each day of the range in turn, so memory and file handles
  stay bounded however long the range.
* The current day is read incrementally: only rows with ``UPMJ = today`` and a time at or after the
  cursor minus an overlap (``ML_JDE_OVERLAP_MINUTES``, default 10) that catches rows committed late with
  an earlier timestamp. New rows are merged into the day's staged file by document key, so the file
  always holds every record changed that day in its latest version: a downstream step that failed on
  one poll still sees those records on the next. A poll with no change costs one data-service call.
* The cursor (ledger: integration ``jde``, stream = table) moves only after the staged file is
  committed, so a run killed in between simply re-reads the overlap.
* A row that cannot be staged (a malformed value) goes to the retry queue with the record and field
  named; the rest of the partition proceeds.
"""

import json
import os
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    DailyPartitionsDefinition,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from connector_assets.jde.tables import JdeTable
from connector_assets.staging import StagingError, StagingResource, coerce_row
from connector_resources.jde import Condition, JdeAisResource
from connector_resources.ledger import LedgerResource

CURSOR_INTEGRATION = "jde"
GROUP = "jde"


def jde_timezone() -> ZoneInfo:
    return ZoneInfo(os.environ.get("ML_JDE_TIMEZONE", "").strip() or "UTC")


def overlap() -> timedelta:
    return timedelta(minutes=float(os.environ.get("ML_JDE_OVERLAP_MINUTES", "").strip() or 10))


def jde_daily_partitions() -> DailyPartitionsDefinition:
    """Days on UPMJ, up to and including today (``end_offset=1``) so the current day can be polled."""
    start = os.environ.get("ML_JDE_START_DATE", "").strip() or "2024-01-01"
    return DailyPartitionsDefinition(start_date=start, end_offset=1, timezone=jde_timezone().key)


def hhmmss(moment: datetime | time) -> int:
    return moment.hour * 10000 + moment.minute * 100 + moment.second


def updated_at(spec: JdeTable, row: dict[str, Any]) -> datetime | None:
    """When the row last changed: its UPMJ date with its UPMT / TDAY time (naive, server time)."""
    day = row.get(spec.date_column)
    if not isinstance(day, date):
        return None
    raw = row.get(spec.time_column) or 0
    value = int(raw)
    return datetime.combine(day, time(value // 10000 % 24, value // 100 % 100, value % 100))


def _json_safe(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(row, default=str))


class _DayRead:
    """Counters for one day's read, reported as asset metadata."""

    def __init__(self, day: date, mode: str, since: datetime | None) -> None:
        self.day, self.mode, self.since = day, mode, since
        self.rows = 0
        self.rejected = 0
        self.first: datetime | None = None
        self.last: datetime | None = None

    def saw(self, moment: datetime | None) -> None:
        if moment is None:
            return
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)


def _staged_rows(
    spec: JdeTable,
    session: Any,
    day: date | None,
    since: datetime | None,
    read: _DayRead,
    ledger: Any,
    run_id: str,
) -> Iterator[dict[str, Any]]:
    conditions: list[Condition] = []
    if day is not None:
        conditions.append(Condition(spec.qualified(spec.date_column), "EQUAL", day))
    if since is not None:
        conditions.append(Condition(spec.qualified(spec.time_column), "GREATER_EQUAL", hhmmss(since)))
    columns = [spec.qualified(alias) for alias in spec.aliases]
    for raw in session.browse(spec.table, columns=columns, conditions=conditions):
        record = spec.record_id(raw)
        try:
            row = coerce_row(raw, spec.columns, record=record)
        except StagingError as exc:
            read.rejected += 1
            ledger.enqueue(
                integration=CURSOR_INTEGRATION,
                flow=f"extract_{spec.table}",
                entity=spec.table,
                source_key=record,
                payload=_json_safe(raw),
                reason=str(exc),
                run_id=run_id,
            )
            ledger.audit(
                integration=CURSOR_INTEGRATION,
                flow=f"extract_{spec.table}",
                entity=spec.table,
                action="fail",
                source_system="jde",
                source_id=record,
                reason=str(exc),
                run_id=run_id,
            )
            continue
        read.rows += 1
        read.saw(updated_at(spec, row))
        yield row


def _days(context: AssetExecutionContext) -> list[date]:
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    return [first + timedelta(days=i) for i in range((end - first).days)]


def build_table_asset(spec: JdeTable, partitions_def: DailyPartitionsDefinition | None) -> AssetsDefinition:
    """One source asset for ``spec``: partitioned by UPMJ day, or read whole when not partitioned."""

    @asset(
        name=spec.asset,
        group_name=GROUP,
        kinds={"jde", "parquet"},
        description=spec.description,
        partitions_def=partitions_def if spec.partitioned else None,
        backfill_policy=BackfillPolicy.single_run() if spec.partitioned else None,
        retry_policy=RetryPolicy(
            max_retries=2, delay=15, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS
        ),
        metadata={"jde_table": spec.table, "document_key": ", ".join(spec.key)},
    )
    def _extract(
        context: AssetExecutionContext, jde: JdeAisResource, staging: StagingResource, ledger: LedgerResource
    ) -> MaterializeResult:
        book = ledger.get()
        reads: list[_DayRead] = []
        with jde.session() as session:
            if not spec.partitioned:
                reads.append(_read_whole(spec, session, staging, book, context.run.run_id))
            else:
                today = datetime.now(jde_timezone()).date()
                for day in _days(context):
                    reads.append(_read_day(spec, session, staging, book, day, today, context.run.run_id))
            metrics = session.metrics.as_metadata()
            pages, reauths, restarts = session.pages, session.reauths, session.restarts
        firsts = [r.first for r in reads if r.first]
        lasts = [r.last for r in reads if r.last]
        metadata: dict[str, Any] = {
            "rows": sum(r.rows for r in reads),
            "rows_rejected_to_retry_queue": sum(r.rejected for r in reads),
            "pages": pages,
            "reauths": reauths,
            "query_restarts": restarts,
            "days": len(reads),
            "modes": ", ".join(sorted({r.mode for r in reads})),
            **metrics,
        }
        if firsts:
            metadata["first_updated"] = MetadataValue.text(min(firsts).isoformat())
            metadata["last_updated"] = MetadataValue.text(max(lasts).isoformat())
        context.log.info(
            f"{spec.table}: {metadata['rows']} rows over {len(reads)} day(s) in {pages} page(s), "
            f"{metadata['rows_rejected_to_retry_queue']} rejected"
        )
        return MaterializeResult(metadata=metadata)

    return _extract


def _read_whole(spec: JdeTable, session: Any, staging: StagingResource, ledger: Any, run_id: str) -> _DayRead:
    read = _DayRead(date.min, "whole table", None)
    writer = staging.writer(spec.asset, None, spec.columns)
    try:
        for row in _staged_rows(spec, session, None, None, read, ledger, run_id):
            writer.write(row)
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return read


def _read_day(
    spec: JdeTable, session: Any, staging: StagingResource, ledger: Any, day: date, today: date, run_id: str
) -> _DayRead:
    partition = day.isoformat()
    since: datetime | None = None
    if day == today:
        cursor = ledger.get_cursor(CURSOR_INTEGRATION, spec.table)
        if cursor and staging.exists(spec.asset, partition):
            candidate = datetime.fromisoformat(cursor) - overlap()
            if candidate.date() == day:
                since = candidate
    if since is not None:
        read = _DayRead(day, "incremental", since)
        rows = _staged_rows(spec, session, day, since, read, ledger, run_id)
        staging.merge(
            spec.asset, partition, list(spec.columns), rows, key=lambda r: tuple(r[k] for k in spec.key)
        )
    else:
        read = _DayRead(day, "whole day", None)
        writer = staging.writer(spec.asset, partition, spec.columns)
        try:
            for row in _staged_rows(spec, session, day, None, read, ledger, run_id):
                writer.write(row)
            writer.commit()
        except BaseException:
            writer.abort()
            raise
    if day == today and read.last is not None:
        ledger.advance_cursor(CURSOR_INTEGRATION, spec.table, read.last.isoformat())
    return read
