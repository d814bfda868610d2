"""The factory that turns a ``JdeTable`` spec into a Dagster source asset, partitioned by day on UPMJ (in the
JDE server's time zone, ``ML_JDE_TIMEZONE``): the JDE query for a day (``UPMJ = day`` and, incrementally,
``UPMT/TDAY >= since``) and one query for a run's range of whole days (``columnar.stage_range``); how a
day is read is ``runtime.incremental``'s.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    MaterializeResult,
)

from connector_assets.jde.columnar import stage_range, stage_whole, stream_of
from connector_assets.jde.tables import GROUP, JdeTable
from connector_assets.runtime.asset_metadata import row_count, staged_schema
from connector_assets.runtime.automation import NEVER_READ
from connector_assets.runtime.incremental import (
    DayRead,
    Stream,
    days_in_window,
    read_day,
    read_groups,
    read_metadata,
    since_cursor,
)
from connector_assets.runtime.staging import StagingResource
from connector_assets.runtime.step_retry import retried_asset
from connector_resources import settings
from connector_resources.jde import Condition, JdeAisResource, JdeSession, optional_tables
from connector_resources.ledger import Ledger, LedgerResource


def jde_timezone() -> ZoneInfo:
    return ZoneInfo(settings.value("ML_JDE_TIMEZONE"))


def overlap() -> timedelta:
    return timedelta(minutes=settings.read("ML_JDE_OVERLAP_MINUTES"))


def jde_daily_partitions() -> DailyPartitionsDefinition:
    """Days on UPMJ, up to and including today (``end_offset=1``) so the current day can be polled."""
    start = settings.value("ML_JDE_START_DATE")
    return DailyPartitionsDefinition(start_date=start, end_offset=1, timezone=jde_timezone().key)


def hhmmss(moment: datetime | time) -> int:
    return moment.hour * 10000 + moment.minute * 100 + moment.second


def _fetcher(spec: JdeTable, session: Any):
    columns = [spec.qualified(alias) for alias in spec.aliases]

    def fetch(day: date | None, since: datetime | None) -> Iterator[dict[str, Any]]:
        conditions: list[Condition] = []
        if day is not None:
            conditions.append(Condition(spec.qualified(spec.date_column), "EQUAL", day))
        if since is not None:
            conditions.append(Condition(spec.qualified(spec.time_column), "GREATER_EQUAL", hhmmss(since)))
        return session.browse(spec.table, columns=columns, conditions=conditions)

    return fetch


def read_table(
    spec: JdeTable,
    session: JdeSession,
    staging: StagingResource,
    book: Ledger,
    *,
    days: list[date] | None,
    run_id: str,
    today: date | None = None,
) -> list[DayRead]:
    """What the asset does inside its JDE session: stage ``days`` of ``spec`` (the whole table when
    ``days`` is None); apart from the asset so ``bench/jde_extract_vs_raw.py`` times exactly this. Days
    read whole go column-wise, each run of consecutive days in one browse (``columnar.stage_range``);
    today's incremental poll is ``incremental.read_day``'s row path."""
    if days is None:
        return [stage_whole(spec, session, staging, book, day=None, run_id=run_id)]
    stream = stream_of(spec)
    today = today or datetime.now(jde_timezone()).date()
    polled = today in days and _incremental(stream, staging, book, today, today)
    reads: list[DayRead] = []
    for group in read_groups(days, today if polled else None):
        if polled and group == [today]:
            fetch = _fetcher(spec, session)
            reads.append(
                read_day(
                    stream, fetch, staging, book, day=today, today=today, overlap=overlap(), run_id=run_id
                )
            )
            continue
        if len(group) > 1:
            reads += stage_range(spec, session, staging, book, days=group, run_id=run_id)
        else:
            reads.append(stage_whole(spec, session, staging, book, day=group[0], run_id=run_id))
        for read in reads[-len(group) :]:  # today read whole: its cursor moves as read_day moves it
            if read.day == today and read.last is not None:
                book.advance_cursor(stream.integration, stream.name, read.last.isoformat())
    return reads


def _incremental(stream: Stream, staging: StagingResource, book: Ledger, day: date, today: date) -> bool:
    """Whether ``incremental.read_day`` would read ``day`` incrementally (its rule, asked the same way)."""
    if day != today or not staging.exists(stream.asset, day.isoformat()):
        return False
    cursor = book.get_cursor(stream.integration, stream.name)
    return since_cursor(cursor, day, overlap()) is not None


def build_table_asset(spec: JdeTable, partitions_def: DailyPartitionsDefinition | None) -> AssetsDefinition:
    """One source asset for ``spec``: partitioned by UPMJ day, or read whole when not partitioned."""

    @retried_asset(
        key=spec.asset,
        group_name=GROUP,
        kinds={"jde", "parquet"},
        description=f"JDE {spec.description}",
        partitions_def=partitions_def if spec.partitioned else None,
        backfill_policy=BackfillPolicy.single_run() if spec.partitioned else None,
        metadata={
            "jde_table": spec.table,
            "document_key": ", ".join(spec.key),
            **staged_schema(spec.columns, {c: f"{spec.qualified(c)} (document key)" for c in spec.key}),
        },
        automation_condition=None if spec.partitioned else NEVER_READ,
    )
    def _extract(
        context: AssetExecutionContext,
        jde: JdeAisResource,
        staging: StagingResource,
        ledger: LedgerResource,
    ) -> MaterializeResult:
        if not optional_tables.enabled(spec.table):  # F0116 ... switched off: never asked for, nothing staged
            off = optional_tables.OPTIONAL_TABLES[spec.table]
            context.log.warning(f"{spec.table}: not read ({off.setting}=off); nothing staged")
            return MaterializeResult(metadata={"rows": 0, "not_read": f"{off.setting}=off"})
        book = ledger.get()
        run_id = context.run.run_id
        days = None
        if spec.partitioned:
            window = context.partition_time_window
            days = days_in_window(window.start, window.end)
        with optional_tables.refusal_explained(), jde.session() as session:
            reads = read_table(spec, session, staging, book, days=days, run_id=run_id)
            extra = {
                "reauths": session.reauths,
                "query_restarts": session.restarts,
                **session.metrics.as_metadata(),
            }
            metadata = read_metadata(reads, pages=session.pages, extra=extra)
        context.log.info(
            f"{spec.table}: {metadata['rows']} rows over {len(reads)} day(s) in {metadata['pages']} page(s), "
            f"{metadata['rows_rejected_to_retry_queue']} rejected"
        )
        if days is None:
            return MaterializeResult(metadata={**metadata, **row_count(staging.count(spec.asset, None))})
        for day in days:  # each day partition's own staged rows (an incremental read merged into it)
            partition = day.isoformat()
            staged = row_count(staging.count(spec.asset, partition))
            context.add_asset_metadata(staged, partition_key=partition)
        return MaterializeResult(metadata=metadata)

    return _extract
