"""Documents that arrive twice: by webhook into the ledger's inbox, and by the poll that stages a day.

Every webhook source is read one way; what differs between sources is a ``DocumentSource``. The rules:
docs/flows.md, "Documents from webhooks and the poll".
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset,
    sensor,
)

from connector_assets.flows.backfill_policy import flow_backfill_policy
from connector_assets.flows.core import FlowSpec
from connector_assets.flows.flow_run import run_partitions
from connector_assets.runtime.automation import sensor_status
from connector_assets.runtime.staging import Column, StagingResource
from connector_resources.ledger import InboxEvent, Ledger, LedgerResource
from connector_resources.redaction import get_logger

log = get_logger(__name__)

MANIFEST_COLUMNS = (Column("inbox_id", "int"), Column("document_id"), Column("outcome"))
INBOX_PAGE = 500
ROWS_PER_TICK = 500  # bounded work per sensor evaluation; the next tick continues from the cursor


def utc(value: datetime) -> datetime:
    """``value`` as aware UTC (a naive value is taken to be UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def version_text(moment: datetime) -> str:
    """Fixed-width UTC text, so versions compare as strings in the ledger's cursor table."""
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class DocumentSource:
    """One webhook source that a poll also stages. ``changed_at`` is None when the stamp is absent or
    unreadable; with ``event_types`` only deliveries of those types are this source's; with ``current``,
    ``current(context, records)`` reads the documents each record names as the system holds them now
    (none, one or several ``Version``s), and those are applied."""

    name: str
    asset: AssetKey  # the source asset the poll stages (``["coupa", "invoices"]``)
    system: str  # the system name the audit trail uses ("coupa")
    record_of: Callable[[Any], dict[str, Any] | None]
    changed_at: Callable[[dict[str, Any]], datetime | None]
    change_field: str  # named in messages ("updated-at")
    unreadable: str  # why a delivery that is not a record can never be applied
    id_field: str = "id"
    inbox: str | None = None  # the inbox source, when not ``name`` ("bill" for every BILL event)
    event_type_of: Callable[[Any], str | None] | None = None
    event_types: frozenset[str] | None = None  # None: every delivery of the inbox source
    current: Callable[[Any, list[dict[str, Any]]], list[list["Version"]]] | None = None

    @property
    def inbox_source(self) -> str:
        return self.inbox or self.name

    def selects(self, payload: object) -> bool:
        """Whether a delivery's type is one this source's flows apply (always, without ``event_types``)."""
        if self.event_types is None:
            return True
        kind = self.event_type_of(payload) if self.event_type_of is not None else None
        return kind in self.event_types

    def inbox_record(self, event: InboxEvent) -> dict[str, Any] | None:
        """The record a delivery carried; None when the body is not a record with an id and a change stamp."""
        payload = inbox_payload(event)
        record = self.record_of(payload) if payload is not None else None
        if record is None or record.get(self.id_field) is None or self.changed_at(record) is None:
            return None
        return record

    def inbox_day(self, event: InboxEvent) -> str | None:
        """The UTC day (partition key) of the record an inbox event carries."""
        record = self.inbox_record(event)
        changed = self.changed_at(record) if record else None
        return changed.date().isoformat() if changed else None


def applied(event: InboxEvent, payload: object, sources: Iterable[DocumentSource]) -> bool:
    """Whether any of ``sources`` (the sources of the delivery's inbox its reader applies: a sensor's, a
    flow's own) selects it; one none selects (a BILL ``vendor.updated`` in an inbox only the payments flow
    reads) is never going to be applied. Handed in, never looked up: a delivery's fate does not depend on
    which modules happen to be imported."""
    mine = [source for source in sources if source.inbox_source == event.source]
    return payload is None or not mine or any(source.selects(payload) for source in mine)


def inbox_payload(event: InboxEvent) -> Any:
    """A delivery's JSON body, None when it is not JSON."""
    try:
        return json.loads(event.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Version:
    """One version of one document, from the poll, from a webhook, or read now on a webhook's behalf."""

    document_id: str
    updated_at: datetime
    record: dict[str, Any]
    origin: str  # "poll" | "inbox" | "read" (``DocumentSource.current``: from the API, like the poll)


@dataclass
class DocumentBatch:
    current: list[Version] = field(default_factory=list)  # the version of each document to apply now
    stale: int = 0
    superseded: int = 0
    unreadable: int = 0


def version_stream(flow: str, document_id: str) -> str:
    """The ledger cursor that holds the newest version of ``document_id`` seen by ``flow``."""
    return f"version:{flow}:{document_id}"


def newest_seen(ledger: Ledger, spec: FlowSpec, document_id: str) -> str | None:
    """The newest version of the document any run of ``spec`` applied (a replay must not go behind it)."""
    return ledger.get_cursor(spec.integration, version_stream(spec.name, document_id))


def _manifest_asset(spec: FlowSpec) -> AssetKey:
    """Where a run stages the inbox rows it consumed, beside the flow's assets (not an asset itself)."""
    return spec.key("inbox_manifest")


def _manifest_partition(context: AssetExecutionContext, partition: str | None) -> str:
    # The root run id: a re-execution from failure (a new run id) still finds what the first run consumed.
    run = context.run
    return f"{partition or 'all'}.{run.root_run_id or run.run_id}"


def _inbox_events(ledger: Ledger, source: str) -> Iterator[InboxEvent]:
    after = 0
    while True:
        page = ledger.inbox_pending(source=source, after_id=after, limit=INBOX_PAGE)
        yield from page
        if len(page) < INBOX_PAGE:
            return
        after = page[-1].id


class _Latest:
    """The latest version of each document offered, counting the ones it set aside."""

    def __init__(self, batch: DocumentBatch) -> None:
        self.batch = batch
        self.versions: dict[str, Version] = {}

    def offer(self, candidate: Version) -> None:
        held = self.versions.get(candidate.document_id)
        if held is None:
            self.versions[candidate.document_id] = candidate
            return
        newer = candidate.updated_at > held.updated_at or (
            candidate.updated_at == held.updated_at and candidate.origin != "inbox"
        )
        self.versions[candidate.document_id] = candidate if newer else held
        self.batch.superseded += 1


def collect_documents(
    context: AssetExecutionContext, partition: str | None, source: DocumentSource, spec: FlowSpec
) -> DocumentBatch:
    """The latest version of every document of ``source`` changed on ``partition``, from the staged poll
    and the pending inbox events together, with older versions than already seen dropped.

    Records the inbox rows it consumed in the run's manifest (``<flow>_inbox_done`` acknowledges them
    after the write) and marks rows that can never be processed (not a record) as failed now.
    """
    staging: StagingResource = context.resources.staging
    ledger: Ledger = context.resources.ledger.get()
    batch = DocumentBatch()
    latest = _Latest(batch)
    consumed: list[tuple[int, str]] = []

    for row in staging.read_rows(source.asset, partition):
        record = json.loads(row["record"])
        changed = source.changed_at(record) or (utc(row["updated_at"]) if row["updated_at"] else None)
        if changed is None:
            raise Failure(
                f"{source.asset.to_user_string()} {row['id']} in partition {partition} has no "
                f"{source.change_field}; "
                "re-read the day"
            )
        latest.offer(Version(str(row["id"]), changed, record, "poll"))
    named: list[tuple[int, dict[str, Any]]] = []  # deliveries whose documents are read now (``current``)
    for event in _inbox_events(ledger, source.inbox_source):
        payload = inbox_payload(event)
        if payload is not None and not source.selects(payload):
            if not applied(event, payload, (source,)):  # without the sensor running, it does not stay pending
                ledger.inbox_mark(event.id, status="processed")
            continue  # another source's event type
        record = source.inbox_record(event)
        if record is None:
            ledger.inbox_mark(event.id, status="failed", error=source.unreadable)
            batch.unreadable += 1
            continue
        changed = source.changed_at(record)
        assert changed is not None  # inbox_record checked it
        if partition is not None and changed.date().isoformat() != partition:
            continue  # another day's run applies it
        if source.current is not None:
            named.append((event.id, record))
            continue
        document_id = str(record[source.id_field])
        consumed.append((event.id, document_id))
        latest.offer(Version(document_id, changed, record, "inbox"))
    if named:
        found = source.current(context, [record for _, record in named])
        for (inbox_id, _), versions in zip(named, found, strict=True):
            if not versions:
                consumed.append((inbox_id, ""))  # names nothing this flow applies: acknowledged after the run
            for version in versions:
                consumed.append((inbox_id, version.document_id))
                latest.offer(version)

    outcomes = _apply_version_rule(context, partition, source, spec, latest.versions, batch)
    outcomes[""] = "nothing to apply"
    _stage_manifest(context, partition, spec, consumed, outcomes)
    batch.current.sort(key=_document_order)
    context.log.info(
        f"{spec.name}: {len(batch.current)} current, {batch.stale} stale, {batch.superseded} superseded, "
        f"{batch.unreadable} unreadable inbox event(s); {len(consumed)} inbox event(s) consumed"
    )
    return batch


def _document_order(version: Version) -> tuple[int, int, str]:
    """Numeric ids in number order (Coupa), other ids (BILL's ``stp...``) after them, alphabetically."""
    doc = version.document_id
    return (0, int(doc), "") if doc.isdigit() else (1, 0, doc)


def _apply_version_rule(
    context: AssetExecutionContext,
    partition: str | None,
    source: DocumentSource,
    spec: FlowSpec,
    latest: dict[str, Version],
    batch: DocumentBatch,
) -> dict[str, str]:
    """Advance each document's cursor to the version applied now; an older one than seen is dropped (and
    audited when it came by webhook: an old day's poll naturally holds versions changed again since)."""
    ledger: Ledger = context.resources.ledger.get()
    outcomes: dict[str, str] = {}
    with ledger.transaction() as conn:
        for version in latest.values():
            stream = version_stream(spec.name, version.document_id)
            seen = ledger.get_cursor(spec.integration, stream, conn=conn)
            if seen is not None and version_text(version.updated_at) < seen:
                batch.stale += 1
                outcomes[version.document_id] = "stale"
                if version.origin == "poll":
                    continue
                ledger.audit(
                    **spec.ledger_keys,
                    action="skip",
                    source_system=source.system,
                    source_id=version.document_id,
                    reason=f"an older version of this {spec.entity} (changed "
                    f"{version_text(version.updated_at)}) arrived after a newer one (changed {seen}) was "
                    "seen; the older one is not applied",
                    run_id=context.run.run_id,
                    partition_key=partition,
                    conn=conn,
                )
                continue
            ledger.advance_cursor(spec.integration, stream, version_text(version.updated_at), conn=conn)
            outcomes[version.document_id] = "applied"
            batch.current.append(version)
    return outcomes


def _stage_manifest(
    context: AssetExecutionContext,
    partition: str | None,
    spec: FlowSpec,
    consumed: list[tuple[int, str]],
    outcomes: dict[str, str],
) -> None:
    staging: StagingResource = context.resources.staging
    manifest = _manifest_partition(context, partition)
    writer = staging.writer(_manifest_asset(spec), manifest, MANIFEST_COLUMNS)
    try:
        for inbox_id, document_id in consumed:
            writer.write({"inbox_id": inbox_id, "document_id": document_id, "outcome": outcomes[document_id]})
        writer.commit()
    except BaseException:
        writer.abort()
        raise


def build_inbox_done(
    spec: FlowSpec,
    source: DocumentSource,
    *,
    partitions_def: PartitionsDefinition,
    group: str,
    kinds: set[str],
) -> AssetsDefinition:
    """``<flow>_inbox_done``: acknowledges the inbox rows a run consumed, once its write step succeeded."""

    @asset(
        key=spec.key("inbox_done"),
        group_name=group,
        kinds=kinds,
        partitions_def=partitions_def,
        deps=[spec.key("written")],
        required_resource_keys={"staging", "ledger"},
        backfill_policy=flow_backfill_policy(partitions_def),
        description=f"Webhook inbox rows ({source.inbox_source}) whose {spec.entity} was written, skipped or "
        "queued in this run, marked processed. Runs only after the write step succeeded, so a failed run "
        "leaves them pending.",
    )
    def _done(context: AssetExecutionContext) -> MaterializeResult:
        staging: StagingResource = context.resources.staging
        ledger: Ledger = context.resources.ledger.get()
        outcomes: dict[str, int] = {}
        for partition in run_partitions(context):
            manifest = _manifest_partition(context, partition)
            for row in staging.read_rows(_manifest_asset(spec), manifest):
                ledger.inbox_mark(int(row["inbox_id"]), status="processed")
                outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
            staging.path(_manifest_asset(spec), manifest).unlink(missing_ok=True)
        return MaterializeResult(metadata={"processed": sum(outcomes.values()), **outcomes})

    return _done


# -- the sensor that turns inbox rows into runs ------------------------------------------------------------


def pending_days(
    ledger: Ledger,
    after_id: int,
    sources: tuple[DocumentSource, ...],
    partitions_def: PartitionsDefinition,
    limit: int = ROWS_PER_TICK,
) -> tuple[list[str], int | None, int]:
    """The partition days of ``sources``' inbox rows after ``after_id``: (days, last row id seen, unreadable).

    ``last row id seen`` covers every source's rows (other sources have their own sensors), None when
    there were no rows at all. A row of a type none of ``sources`` selects is marked processed here."""
    by_inbox: dict[str, list[DocumentSource]] = {}
    for source in sources:
        by_inbox.setdefault(source.inbox_source, []).append(source)
    events = ledger.inbox_pending(after_id=after_id, limit=limit)
    days: set[str] = set()
    unreadable = 0
    for event in events:
        served = by_inbox.get(event.source)
        if served is None:
            continue
        payload = inbox_payload(event)
        selecting = [s for s in served if payload is None or s.selects(payload)]
        if not selecting:
            # An event type no flow applies (a BILL vendor.updated): nothing will ever read it, and it is
            # not a failure, so it is acknowledged now instead of staying pending for ever.
            if not applied(event, payload, served):
                ledger.inbox_mark(event.id, status="processed")
            continue
        source = selecting[0]
        day = source.inbox_day(event)
        if day is None:
            ledger.inbox_mark(event.id, status="failed", error=source.unreadable)
            unreadable += 1
        elif not partitions_def.has_partition_key(day):
            # A record changed before the partitions start (or in the future): no run can apply it.
            log.warning(
                "inbox row %s (%s) changed on %s, outside the partitions", event.id, event.source, day
            )
        else:
            days.add(day)
    return sorted(days), (events[-1].id if events else None), unreadable


def build_inbox_sensor(
    name: str,
    job: Any,
    sources: tuple[DocumentSource, ...],
    *,
    partitions_def: PartitionsDefinition,
    run_key_prefix: str,
    description: str,
):
    """A sensor that requests a run of ``job`` for each day the records newly in the inbox changed on; its
    cursor and run keys: docs/flows.md, "Documents from webhooks and the poll"."""

    @sensor(
        name=name,
        job=job,
        minimum_interval_seconds=30,
        default_status=sensor_status(),
        description=description,
    )
    def _inbox(context: SensorEvaluationContext, ledger: LedgerResource):
        after = int(context.cursor or 0)
        days, last, unreadable = pending_days(ledger.get(), after, sources, partitions_def)
        if last is None:
            return SkipReason(f"no inbox rows after id {after}")
        if unreadable:
            context.log.warning(
                f"{unreadable} inbox row(s) were not records of {job.name}'s sources; marked failed"
            )
        return SensorResult(
            run_requests=[
                RunRequest(partition_key=day, run_key=f"{run_key_prefix}-{day}-{last}") for day in days
            ],
            cursor=str(last),
        )

    return _inbox
