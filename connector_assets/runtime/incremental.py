"""Reading a source by "updated" day, shared by every source asset (JDE F-tables and SaaS entities): a past
day read whole and replaced, the current day from the cursor minus an overlap, a range of past days with
one change-feed query (``read_range``). The details: docs/sources.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dagster import AssetKey

from connector_assets.runtime.day_spool import DaySpool
from connector_assets.runtime.staging import Column, StagingError, StagingResource, coerce_row
from connector_resources.ledger import Ledger
from connector_resources.refusals import Refusal, refusal_of, source_invalid


@dataclass(frozen=True)
class Stream:
    """One source table or entity as the incremental reader sees it."""

    integration: str  # cursor namespace and retry-queue integration ("jde", "procore", ...)
    name: str  # cursor stream ("F0401", "commitments")
    asset: AssetKey  # where the day is staged (``StagingResource``)
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    record_id: Callable[[dict[str, Any]], str]
    updated_at: Callable[[dict[str, Any]], datetime | None]  # in the source's own clock


# fetch(day, since): the source's records changed on ``day`` (all of them when ``day`` is None), at or
# after ``since`` when given.
Fetch = Callable[[date | None, datetime | None], Iterable[dict[str, Any]]]

# fetch_range(first, end): the source's records changed from ``first`` (midnight) until ``end``
# (midnight, excluded), in one read: one query paged through.
FetchRange = Callable[[date, date], Iterable[dict[str, Any]]]


@dataclass
class DayRead:
    """What one day's read did, reported as asset metadata."""

    day: date | None
    mode: str
    rows: int = 0
    rejected: int = 0
    first: datetime | None = None
    last: datetime | None = None
    # The days read by the same query as this one ("2024-01-01..2024-04-30"), None for a day's own read.
    window: str | None = None

    def saw(self, moment: datetime | None) -> None:
        if moment is None:
            return
        self.first = moment if self.first is None else min(self.first, moment)
        self.last = moment if self.last is None else max(self.last, moment)


def _json_safe(row: Mapping[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(row, default=str))


def _reject(
    stream: Stream,
    raw: Mapping[str, object],
    record: str,
    exc: StagingError,
    read: DayRead,
    ledger: Ledger,
    run_id: str,
) -> None:
    """A record that cannot be staged: to the retry queue (record and reason), counted on ``read``."""
    flow = f"extract_{stream.name}"
    read.rejected += 1
    with ledger.transaction() as conn:
        ledger.enqueue(
            integration=stream.integration,
            flow=flow,
            entity=stream.name,
            source_key=record,
            payload=_json_safe(raw),
            reason=str(exc),
            run_id=run_id,
            refusal=refusal_of(exc) if hasattr(exc, "refusal") else _invalid(exc),
            conn=conn,
        )
        ledger.audit(
            integration=stream.integration,
            flow=flow,
            entity=stream.name,
            action="fail",
            source_system=stream.integration,
            source_id=record,
            reason=str(exc),
            run_id=run_id,
            conn=conn,
        )


def _invalid(exc: StagingError) -> Refusal:
    """A value that cannot be staged: the source record is invalid, in the field the error names (when it
    names one as data: ``field``)."""
    return source_invalid(
        str(exc), field=str(getattr(exc, "field", "") or ""), value=getattr(exc, "value", "")
    )


def _coerced(
    stream: Stream, raw_rows: Iterable[dict[str, Any]], read: DayRead, ledger: Ledger, run_id: str
) -> Iterator[dict[str, Any]]:
    for raw in raw_rows:
        record = stream.record_id(raw)
        try:
            row = coerce_row(raw, stream.columns, record=record)
        except StagingError as exc:
            _reject(stream, raw, record, exc, read, ledger, run_id)
            continue
        read.rows += 1
        read.saw(stream.updated_at(row))
        yield row


def read_whole(
    stream: Stream, fetch: Fetch, staging: StagingResource, ledger: Ledger, run_id: str
) -> DayRead:
    """An unpartitioned source (a chart of accounts): read everything, replace the staged file."""
    read = DayRead(None, "whole table")
    _replace(stream, None, _coerced(stream, fetch(None, None), read, ledger, run_id), staging)
    return read


def read_day(stream: Stream, fetch: Fetch, staging: StagingResource, ledger: Ledger, **when: Any) -> DayRead:
    """One day partition: whole for past days (or a first read today), incremental for today:
    ``read_feeds_day`` of one feed (``when``: its ``day``, ``today``, ``overlap`` and ``run_id``)."""
    return read_feeds_day(stream, {stream.name: fetch}, staging, ledger, **when)[stream.name]


def read_feeds_day(
    stream: Stream,
    feeds: dict[str, Fetch],
    staging: StagingResource,
    ledger: Ledger,
    *,
    day: date,
    today: date,
    overlap: timedelta,
    run_id: str,
) -> dict[str, DayRead]:
    """One day partition staged from several feeds as one write (Procore's companies), each feed
    under its own cursor (``feeds``: cursor stream -> fetch): a cursor is the last change *seen* in
    its feed, so a feed started from another's would skip records. Past days, and today before any
    feed has a cursor, are read whole and replace the file; otherwise each feed is read from its
    cursor less the overlap (the whole day when it has none) and merged into the file."""
    partition = day.isoformat()
    since: dict[str, datetime | None] = dict.fromkeys(feeds)
    if day == today and staging.exists(stream.asset, partition):
        for name in feeds:
            since[name] = since_cursor(ledger.get_cursor(stream.integration, name), day, overlap)
    reads = {name: DayRead(day, "whole day" if since[name] is None else "incremental") for name in feeds}
    rows = (
        row
        for name, fetch in feeds.items()
        for row in _coerced(stream, fetch(day, since[name]), reads[name], ledger, run_id)
    )
    if any(moment is not None for moment in since.values()):
        _merge(stream, partition, rows, staging)
    else:
        _replace(stream, partition, rows, staging)
    if day == today:
        for name, read in reads.items():
            if read.last is not None:
                ledger.advance_cursor(stream.integration, name, read.last.isoformat())
    return reads


def read_range(
    stream: Stream,
    fetch_range: FetchRange,
    staging: StagingResource,
    ledger: Ledger,
    *,
    days: list[date],
    run_id: str,
) -> list[DayRead]:
    """Consecutive past days with one read of their window, each staged whole in its own partition, as
    ``read_day`` for each day would (the cursor untouched). A record is staged in the UTC day of its
    change time; one dated outside the window stays in the edge day that returned it; one without a change
    time goes to the retry queue. Nothing is replaced unless the whole window was read (``DaySpool``)."""
    if not days:
        return []
    first, last = days[0], days[-1]
    if days != [first + timedelta(days=i) for i in range(len(days))]:
        raise ValueError(f"{stream.asset.to_user_string()}: a range read needs consecutive days, got {days}")
    window = f"{first.isoformat()}..{last.isoformat()}"
    reads = {day: DayRead(day, "whole day", window=window) for day in days}
    spool = DaySpool(staging, stream.asset, stream.columns, days)
    try:
        for raw in fetch_range(first, last + timedelta(days=1)):
            record = stream.record_id(raw)
            day = _day_in(stream.updated_at(raw), first, last)
            try:
                row = coerce_row(raw, stream.columns, record=record)
                day = day or _day_in(stream.updated_at(row), first, last)
                if day is None:
                    raise StagingError(
                        f"{record}: its change time (updated_at) is empty, so a read of {window} cannot "
                        "tell which day to stage it in"
                    )
            except StagingError as exc:
                _reject(stream, raw, record, exc, reads[day or first], ledger, run_id)
                continue
            read = reads[day]
            read.rows += 1
            read.saw(stream.updated_at(row))
            spool.write(day, row)
        spool.commit()
    except BaseException:
        spool.abort()
        raise
    return [reads[day] for day in days]


def _day_in(moment: object, first: date, last: date) -> date | None:
    """The day of ``moment`` (a change time, UTC) held to ``[first, last]``; None if not a datetime."""
    if not isinstance(moment, datetime):
        return None
    return min(max(moment.date(), first), last)


def since_cursor(cursor: str | None, day: date, overlap: timedelta) -> datetime | None:
    """Where today's incremental read starts: the ledger cursor (the last change seen) less the
    overlap, or None (read the whole day) when there is no cursor or that point falls on another day
    (the cursor is older than the partition, so an incremental read from it would miss records)."""
    if not cursor:
        return None
    candidate = datetime.fromisoformat(cursor) - overlap
    return candidate if candidate.date() == day else None


def _merge(stream: Stream, partition: str, rows: Iterable[dict[str, Any]], staging: StagingResource) -> None:
    """Merge ``rows`` into the staged partition by the stream's key (latest wins)."""
    staging.merge(
        stream.asset, partition, list(stream.columns), rows, key=lambda r: tuple(r[k] for k in stream.key)
    )


def _replace(
    stream: Stream, partition: str | None, rows: Iterable[dict[str, Any]], staging: StagingResource
) -> None:
    writer = staging.writer(stream.asset, partition, stream.columns)
    try:
        for row in rows:
            writer.write(row)
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def read_groups(days: list[date], today: date | None) -> list[list[date]]:
    """``days`` (ascending) in the reads that cover them: each run of consecutive days other than
    ``today`` is one group (a range read when longer than a day), and ``today`` is a group of its own
    (its incremental read from the cursor; None when no day is read apart)."""
    groups: list[list[date]] = []
    for day in days:
        previous = groups[-1][-1] if groups else None
        joins = previous is not None and previous != today and day != today
        if joins and day == previous + timedelta(days=1):
            groups[-1].append(day)
        else:
            groups.append([day])
    return groups


def read_window(
    stream: Stream,
    staging: StagingResource,
    ledger: Ledger,
    days: list[date] | None,
    *,
    today: date,
    run_id: str,
    fetch: Fetch,
    fetch_range: FetchRange,
    read_one_day: Callable[[date], DayRead],
) -> list[DayRead]:
    """A source step's reads, whatever its sessions: the whole source (``read_whole`` through ``fetch``)
    when ``days`` is None, else each group of ``read_groups``: a run of past days in one range read
    (``read_range`` through ``fetch_range``), a lone day (today: incremental) by ``read_one_day``."""
    if days is None:
        return [read_whole(stream, fetch, staging, ledger, run_id)]
    reads: list[DayRead] = []
    for group in read_groups(days, today):
        if len(group) > 1:
            reads += read_range(stream, fetch_range, staging, ledger, days=group, run_id=run_id)
        else:
            reads.append(read_one_day(group[0]))
    return reads


def days_in_window(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((last - first).days)]


def day_metadata(read: DayRead) -> dict[str, Any]:
    """One day partition's own figures, for its own materialization (``read_metadata``'s keys)."""
    from dagster import MetadataValue

    metadata: dict[str, object] = {
        "rows": read.rows,
        "rows_rejected_to_retry_queue": read.rejected,
        "modes": read.mode,
        "read": f"one query for {read.window}" if read.window else "its own query",
    }
    if read.first is not None and read.last is not None:
        metadata["first_updated"] = MetadataValue.text(read.first.isoformat())
        metadata["last_updated"] = MetadataValue.text(read.last.isoformat())
    return metadata


def run_metadata(reads: list[DayRead], *, pages: int, extra: Mapping[str, object]) -> dict[str, Any]:
    """What a partitioned run shares among its partitions' materializations: the run's totals, under
    names of their own (``run_...``) so they never pass for a day's figures (``day_metadata``)."""
    return {
        "run_rows": sum(r.rows for r in reads),
        "run_rows_rejected_to_retry_queue": sum(r.rejected for r in reads),
        "run_days": len(reads),
        "pages": pages,
        **extra,
    }


def read_metadata(reads: list[DayRead], *, pages: int, extra: Mapping[str, object]) -> dict[str, Any]:
    """The metadata every source asset reports: rows, rejections, pages, first/last change, modes."""
    from dagster import MetadataValue

    firsts = [r.first for r in reads if r.first]
    lasts = [r.last for r in reads if r.last]
    metadata: dict[str, object] = {
        "rows": sum(r.rows for r in reads),
        "rows_rejected_to_retry_queue": sum(r.rejected for r in reads),
        "pages": pages,
        "days": len(reads),
        "modes": ", ".join(sorted({r.mode for r in reads})),
        **extra,
    }
    if firsts:
        metadata["first_updated"] = MetadataValue.text(min(firsts).isoformat())
        metadata["last_updated"] = MetadataValue.text(max(lasts).isoformat())
    return metadata
