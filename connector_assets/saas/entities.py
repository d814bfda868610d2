"""SaaS entities (BILL, Procurify, Procore, Oracle Fusion, Coupa) as Dagster source assets.

Every session's change feed ``iter_changed(entity, start, end)`` yields the records whose "updated" field
(``ENTITIES[entity]``) lies in ``[start, end)``, so one factory serves every system. Records are staged as
their JSON document (``record``): payloads are nested and vary by API version. A record with no key or a
key seen twice in one read fails the step naming it: merging by key would silently keep one of them.
Past days are read with one query (docs/sources.md, "Range reads for backfills").
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    MaterializeResult,
)

from connector_assets.asset_keys import asset_key
from connector_assets.runtime.asset_metadata import row_count, staged_schema
from connector_assets.runtime.incremental import (
    DayRead,
    Stream,
    day_metadata,
    days_in_window,
    read_feeds_day,
    read_metadata,
    read_window,
    run_metadata,
)
from connector_assets.runtime.staging import Column, StagingError, StagingResource
from connector_assets.runtime.step_retry import retried_asset
from connector_resources import settings
from connector_resources.base import SaasClient, SaasSession
from connector_resources.ledger import Ledger

SAAS_COLUMNS = (Column("id"), Column("updated_at", "datetime"), Column("record"))


@dataclass(frozen=True)
class SaasEntity:
    system: str  # settings key and Dagster resource key ("bill", "procore", ...)
    entity: str  # the client's entity name ("vendors", "bills", ...)
    description: str
    # The fields that identify a record, first present wins; declared by the client (no default,
    # so an entity whose key nobody looked up in the reference cannot be staged).
    key_fields: tuple[str, ...]
    whole: bool = False  # no documented change stamp: unpartitioned, read whole with iter_all
    pool: str | None = (
        None  # Dagster concurrency pool for APIs with a cap on calls in flight (BILL: 3 per org)
    )
    # The integration instance that reads the entity through a connection of its own (another BILL
    # organization): its copy is staged in the instance's group, apart from the system's ("" : the system's).
    group: str = ""

    def __post_init__(self) -> None:
        if not self.key_fields or not all(isinstance(f, str) and f for f in self.key_fields):
            raise ValueError(
                f"{self.system}/{self.entity}: key_fields must name at least one field, got "
                f"{self.key_fields!r}"
            )

    @property
    def asset(self) -> AssetKey:
        """``[<system>, <entity>]`` (``["coupa", "invoices"]``): the system's group holds its entities; an
        instance's own copy is ``[<instance>, <system>_<entity>]``."""
        if self.group:
            return asset_key(self.group, f"{self.system}_{self.entity}")
        return asset_key(self.system, self.entity)

    @property
    def group_name(self) -> str:
        return self.group or self.system


def column_descriptions(spec: SaasEntity) -> dict[str, str]:
    """What each of ``SAAS_COLUMNS`` holds for ``spec``, for the asset's column schema."""
    return {
        "id": f"the record's key ({' / '.join(spec.key_fields)})",
        "updated_at": "when the record last changed (UTC), from its updated field",
        "record": f"the {spec.system} API's JSON document, as read",
    }


class RecordKeyError(StagingError):
    """A record's key is missing, or repeated within one read: it cannot be staged by key."""


def overlap() -> timedelta:
    return timedelta(minutes=settings.read("ML_SAAS_OVERLAP_MINUTES"))


def saas_daily_partitions() -> DailyPartitionsDefinition:
    start = settings.value("ML_SAAS_START_DATE")
    return DailyPartitionsDefinition(start_date=start, end_offset=1, timezone="UTC")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def record_key(spec: SaasEntity, record: dict[str, Any]) -> str:
    """The value of the first of ``spec.key_fields`` the record carries; ``RecordKeyError`` if none."""
    for name in spec.key_fields:
        value = record.get(name)
        if value is not None and str(value).strip() != "":
            return str(value)
    shown = json.dumps(record, default=str, sort_keys=True)
    raise RecordKeyError(
        f"{spec.system} {spec.entity}: record {shown[:300]} has no value in its key field "
        f"{' / '.join(spec.key_fields)}; it cannot be staged by key"
    )


def staged_row(spec: SaasEntity, record: dict[str, Any]) -> dict[str, Any]:
    """``{id, updated_at (naive UTC), record (JSON)}`` for one API record."""
    changed = record.get("_updated_at")
    body = {k: v for k, v in record.items() if k != "_updated_at"}
    return {
        "id": record_key(spec, record),
        "updated_at": _naive_utc(changed) if isinstance(changed, datetime) else None,
        "record": json.dumps(body, default=str, ensure_ascii=False, sort_keys=True),
    }


def stream_of(spec: SaasEntity) -> Stream:
    return Stream(
        integration=spec.group_name,
        name=spec.entity,
        asset=spec.asset,
        columns=SAAS_COLUMNS,
        key=("id",),
        record_id=lambda row: f"{spec.system} {spec.entity} {row.get('id')}",
        updated_at=lambda row: row.get("updated_at"),
    )


def unique_rows(
    spec: SaasEntity, records: Iterable[dict[str, Any]], seen: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """``staged_row`` of each record, refusing a key seen twice in this read: each client already drops
    the repeats of paging over a changing list, so a repeat here means the declared key does not identify
    records. Repeats across reads (the overlapped re-read) are resolved by the merge, latest wins. ``seen``
    shares the check between feeds staged as one read (Procore's companies)."""
    seen = set() if seen is None else seen
    for record in records:
        row = staged_row(spec, record)
        if row["id"] in seen:
            raise RecordKeyError(
                f"{spec.system} {spec.entity}: record {row['id']} appears twice in one read by its key "
                f"field {' / '.join(spec.key_fields)}; the key does not identify records, so staging "
                "would merge them into one"
            )
        seen.add(row["id"])
        yield row


def _fetcher(spec: SaasEntity, session: SaasSession, seen: set[str] | None = None):
    def fetch(day: date | None, since: datetime | None) -> Iterator[dict[str, Any]]:
        if spec.whole:
            return unique_rows(spec, session.iter_all(spec.entity), seen)
        assert day is not None, "SaaS change feeds are always read by day"
        return unique_rows(spec, session.iter_changed(spec.entity, *day_window(day, since)), seen)

    return fetch


def _range_fetcher(spec: SaasEntity, session: SaasSession, seen: set[str] | None = None):
    """``incremental.FetchRange`` over one session: one change-feed query for the whole window, its
    keys checked for repeats across the whole window (one read)."""

    def fetch(first: date, end: date) -> Iterator[dict[str, Any]]:
        return unique_rows(spec, session.iter_changed(spec.entity, midnight(first), midnight(end)), seen)

    return fetch


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_window(day: date, since: datetime | None) -> tuple[datetime, datetime]:
    """``[start, end)`` of a day's change-feed read (UTC): the whole day, or from ``since`` (an
    incremental read's cursor less the overlap) when that is later than midnight."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    if since is not None:
        start = max(start, since.replace(tzinfo=UTC))
    return start, datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


@dataclass(frozen=True)
class SourceRead:
    """One source step's read: its entity, where rows go (staging, the ledger's cursors), the partition
    window's days (None: the entity is read whole), today and the run."""

    spec: SaasEntity
    staging: StagingResource
    book: Ledger
    days: list[date] | None
    today: date
    run_id: str

    def updated_field(self, session: Any) -> str:
        """The field the read filters on, for the step's metadata (a session or its class answers)."""
        return "none (read whole)" if self.days is None else session.updated_field(self.spec.entity)


# How a source step reads with its system's client resource -> (one DayRead per day or the whole read,
# list pages read, extra metadata). ``read_with_session`` serves every system; Procore reads each of its
# companies (``connector_assets.procore.sources``).
SourceReader = Callable[[SourceRead, Any], tuple[list[DayRead], int, dict[str, Any]]]


def read_sessions(
    read: SourceRead,
    sessions: dict[str, Any],
    combine: Callable[[date, dict[str, DayRead]], DayRead] | None = None,
) -> list[DayRead]:
    """The window's past days in one range read (``read_groups``), today on its own (incremental from
    its cursor), or the whole entity, over ``sessions`` (cursor stream -> a session, or what reads like
    one: ``iter_all``, ``iter_changed``; Procore's companies) as one read: their keys checked together,
    today's cursor kept per session (``incremental.read_feeds_day``), whose reads ``combine`` makes the
    day's one (the only one by default)."""
    spec, staging, book, today, run_id = read.spec, read.staging, read.book, read.today, read.run_id
    stream = stream_of(spec)

    def every_session(fetcher: Callable[..., Any], *window: Any) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        for session in sessions.values():
            yield from fetcher(spec, session, seen)(*window)

    def one_day(day: date) -> DayRead:
        seen: set[str] = set()
        feeds = {name: _fetcher(spec, session, seen) for name, session in sessions.items()}
        reads = read_feeds_day(
            stream, feeds, staging, book, day=day, today=today, overlap=overlap(), run_id=run_id
        )
        if combine is None:
            (day_read,) = reads.values()
            return day_read
        return combine(day, reads)

    return read_window(
        stream, staging, book, read.days, today=today, run_id=run_id, read_one_day=one_day,
        fetch=lambda day, since: every_session(_fetcher, day, since),
        fetch_range=lambda first, end: every_session(_range_fetcher, first, end),
    )  # fmt: skip


def read_with_session(read: SourceRead, client: SaasClient) -> tuple[list[DayRead], int, dict[str, Any]]:
    """One session for the step (``read_sessions``)."""
    with client.session() as session:
        reads = read_sessions(read, {read.spec.entity: session})
        extra = {"updated_field": read.updated_field(session), **session.metrics.as_metadata()}
        return reads, session.pages, extra


def build_entity_asset(
    spec: SaasEntity, partitions_def: DailyPartitionsDefinition, reader: SourceReader | None = None
) -> AssetsDefinition:
    """One source asset per entity, partitioned by the UTC day of its updated field (unpartitioned
    and read whole when the entity has none, ``spec.whole``); ``reader`` replaces
    ``read_with_session`` for a system that reads otherwise (Procore: every configured company)."""
    read_with = reader or read_with_session

    @retried_asset(
        key=spec.asset,
        group_name=spec.group_name,
        kinds={spec.system, "parquet"},
        description=spec.description,
        partitions_def=None if spec.whole else partitions_def,
        backfill_policy=None if spec.whole else BackfillPolicy.single_run(),
        required_resource_keys={spec.system, "staging", "ledger"},
        metadata={
            "system": spec.system,
            "entity": spec.entity,
            **staged_schema(SAAS_COLUMNS, column_descriptions(spec)),
        },
        pool=spec.pool,
    )
    def _extract(context: AssetExecutionContext) -> MaterializeResult:
        client = getattr(context.resources, spec.system)
        staging, book = context.resources.staging, context.resources.ledger.get()
        today = datetime.now(UTC).date()
        days = None
        if not spec.whole:
            window = context.partition_time_window
            days = days_in_window(window.start, window.end)
        read = SourceRead(spec, staging, book, days, today, context.run.run_id)
        reads, pages, extra = read_with(read, client)
        if days is None:
            metadata = read_metadata(reads, pages=pages, extra=extra)
            context.log.info(f"{spec.asset.to_user_string()}: {metadata['rows']} records, read whole")
            return MaterializeResult(metadata={**metadata, **row_count(staging.count(spec.asset, None))})
        # Dagster records one materialization per partition of the run, each with the result's
        # metadata plus what was added for that partition key (verified on 1.13: the partition's
        # own keys win); so each day carries its own figures and the run's totals are shared.
        for day_read in reads:
            assert day_read.day is not None
            day = day_read.day.isoformat()
            staged = row_count(staging.count(spec.asset, day))  # an incremental read merged into the day
            context.add_asset_metadata({**day_metadata(day_read), **staged}, partition_key=day)
        metadata = run_metadata(reads, pages=pages, extra=extra)
        context.log.info(
            f"{spec.asset.to_user_string()}: {metadata['run_rows']} records over {len(reads)} day(s)"
        )
        return MaterializeResult(metadata=metadata)

    return _extract
