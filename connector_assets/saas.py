"""SaaS entities (BILL, Procurify, Procore, Oracle Fusion, Coupa) as Dagster source assets.

Every client session offers the same change feed: ``iter_changed(entity, start, end)`` yields the records
whose "updated" field (``ENTITIES[entity]``: updatedTime, last_modified, updated_at, LastUpdateDate) lies
in ``[start, end)``, using the API's own date filter where it has one. So one factory serves every
system: an entity is a line in ``SAAS_ENTITIES``. Records are staged as their JSON document (``record``)
beside their ID and change time, because SaaS payloads are nested (lines, addresses) and vary by API
version; the mapping step parses what it needs. Days are UTC.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    BackfillPolicy,
    DailyPartitionsDefinition,
    MaterializeResult,
)

from connector_assets.incremental import Stream, days_in_window, read_day, read_metadata
from connector_assets.staging import Column
from connector_assets.step_retry import retried_asset

SAAS_COLUMNS = (Column("id"), Column("updated_at", "datetime"), Column("record"))


@dataclass(frozen=True)
class SaasEntity:
    system: str  # settings key and Dagster resource key ("bill", "procore", ...)
    entity: str  # the client's entity name ("vendors", "bills", ...)
    description: str
    id_field: str = "id"
    pool: str | None = (
        None  # Dagster concurrency pool for APIs with a cap on calls in flight (BILL: 3 per org)
    )

    @property
    def asset(self) -> str:
        return f"{self.system}_{self.entity}"


def overlap() -> timedelta:
    return timedelta(minutes=float(os.environ.get("ML_SAAS_OVERLAP_MINUTES", "").strip() or 10))


def saas_daily_partitions() -> DailyPartitionsDefinition:
    start = os.environ.get("ML_SAAS_START_DATE", "").strip() or "2024-01-01"
    return DailyPartitionsDefinition(start_date=start, end_offset=1, timezone="UTC")


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def staged_row(spec: SaasEntity, record: dict[str, Any]) -> dict[str, Any]:
    """``{id, updated_at (naive UTC), record (JSON)}`` for one API record."""
    changed = record.get("_updated_at")
    body = {k: v for k, v in record.items() if k != "_updated_at"}
    return {
        "id": str(record.get(spec.id_field, "")),
        "updated_at": _naive_utc(changed) if isinstance(changed, datetime) else None,
        "record": json.dumps(body, default=str, ensure_ascii=False, sort_keys=True),
    }


def stream_of(spec: SaasEntity) -> Stream:
    return Stream(
        integration=spec.system,
        name=spec.entity,
        asset=spec.asset,
        columns=SAAS_COLUMNS,
        key=("id",),
        record_id=lambda row: f"{spec.system} {spec.entity} {row.get('id')}",
        updated_at=lambda row: row.get("updated_at"),
    )


def _fetcher(spec: SaasEntity, session: Any):
    def fetch(day: date | None, since: datetime | None) -> Iterator[dict[str, Any]]:
        assert day is not None, "SaaS entities are always read by day"
        start = datetime.combine(day, time(), tzinfo=UTC)
        if since is not None:
            start = max(start, since.replace(tzinfo=UTC))
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
        for record in session.iter_changed(spec.entity, start, end):
            yield staged_row(spec, record)

    return fetch


def build_entity_asset(spec: SaasEntity, partitions_def: DailyPartitionsDefinition) -> AssetsDefinition:
    """One source asset per entity, partitioned by the UTC day of its updated field."""

    @retried_asset(
        name=spec.asset,
        group_name=spec.system,
        kinds={spec.system, "parquet"},
        description=spec.description,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        required_resource_keys={spec.system, "staging", "ledger"},
        metadata={"system": spec.system, "entity": spec.entity},
        pool=spec.pool,
    )
    def _extract(context: AssetExecutionContext) -> MaterializeResult:
        client = getattr(context.resources, spec.system)
        staging, book = context.resources.staging, context.resources.ledger.get()
        stream = stream_of(spec)
        today = datetime.now(UTC).date()
        window = context.partition_time_window
        with client.session() as session:
            updated_field = getattr(session, "ENTITIES", {}).get(spec.entity, "?")
            fetch = _fetcher(spec, session)
            reads = [
                read_day(
                    stream,
                    fetch,
                    staging,
                    book,
                    day=day,
                    today=today,
                    overlap=overlap(),
                    run_id=context.run.run_id,
                )
                for day in days_in_window(window.start, window.end)
            ]
            extra = {"updated_field": updated_field, **session.metrics.as_metadata()}
            metadata = read_metadata(reads, pages=getattr(session, "pages", 0), extra=extra)
        context.log.info(f"{spec.asset}: {metadata['rows']} records over {len(reads)} day(s)")
        return MaterializeResult(metadata=metadata)

    return _extract
