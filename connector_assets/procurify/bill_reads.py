"""Reading an approved Procurify bill for a flow that posts it to an ERP, one copy for both Procurify
integrations: the day's staged bills (latest version each), which are the flow's business, the full bill
by UUID, the bills a replay reads again, and the day's records settled (exported-elsewhere skips audited).
``approved_bill_reader.ApprovedBillReader`` puts them together; each flow words them (``BillWording``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dagster import AssetKey

from connector_assets.asset_keys import asset_key
from connector_assets.flows.core import FlowSpec, Mapped, Rejected, Skipped, skips_audited
from connector_assets.flows.never_written import NeverWritten, never_written_settled
from connector_assets.procurify.bill_fields import bill_vendor_id, describe, status_code, status_name
from connector_assets.procurify.order_reads import staged_versions
from connector_assets.procurify.record_reads import (
    NOT_FOUND,
    RecordReadFailed,
    queued_for_read,
    read_for_record,
)
from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.procurify.session import ProcurifySession
from connector_resources.procurify.values import parse_timestamp
from connector_resources.refusals import Refusal, refused

BillOutcome = Mapped | Rejected | Skipped | None
# The deployment's staged Procurify bills (``connector_assets.saas.assets``); an instance reaching a Procurify
# account of its own reads its own copy (``saas.own_side``), so every read takes the key it reads.
BILLS_ASSET = asset_key("procurify", "bills")


def bill_stamp(bill: Mapping[str, object]) -> datetime:
    """The bill's change time (``last_modified_datetime``, UTC when it names no zone); now when it has none
    that parses, so the bill is taken as the latest version seen."""
    try:
        return parse_timestamp(bill.get("last_modified_datetime")) or datetime.now(UTC)
    except ValueError:
        return datetime.now(UTC)


def staged_bills(
    staging: StagingResource, asset: AssetKey, partition: str | None
) -> list[tuple[dict[str, Any], datetime]]:
    """The partition's bills staged at ``asset``, latest version each (by UUID), with their change time."""
    return staged_versions(staging, asset, partition, stamp_of=bill_stamp)


@dataclass(frozen=True)
class BillWording:
    """How an ERP's flow says what it does, and never does, with a bill: ``sent_as`` (``"posted to JDE as
    {posted}"``), ``never`` (what a person does instead of undoing a posting), ``not_again`` (an exported-
    elsewhere skip), ``not_sent`` (a replayed bill unapproved), ``nothing_again`` (a sent one's refusal)."""

    sent_as: str
    never: str
    not_again: str
    not_sent: str = "not sent"
    nothing_again: str = "nothing sent"


def refused_after_sent(
    bill_uuid: str, mapped: Mapped | Rejected, posted: str | None, wording: BillWording
) -> Mapped | Rejected:
    """``mapped``, or, when it is a refusal of a bill already sent (``posted``), the refusal naming what
    it was sent as: what is wrong with a bill the ERP holds now is news for a person, never a reason to
    send it again."""
    if isinstance(mapped, Rejected) and posted is not None:
        sent = wording.sent_as.format(posted=posted)
        said = f"{mapped.reason} (it was {sent} before; {wording.nothing_again})"
        own = mapped.refusal or refused(mapped.reason, rule="bill refused")
        return Rejected.of(bill_uuid, Refusal(own.kind, said, own.params))
    return mapped


def approved_full_bill(
    session: ProcurifySession,
    bill: Mapping[str, Any],
    *,
    statuses: frozenset[int],
    posted: str | None,
    wording: BillWording,
    full: Mapping[str, Any] | None = None,
) -> Mapping[str, Any] | BillOutcome:
    """The full bill (``GET /api/v2/ap/bills/{uuid}/`` unless a replay read it: ``full``; the slim one's
    vendor kept if it lacks one) when the flow maps it; else None (not approved, never ``posted``), a refusal
    (moved back after it was posted, or gone from Procurify) or a never-written skip (exported by another
    process). A read that fails after every retry raises ``RecordReadFailed``."""
    bill_uuid = str(bill.get("uuid") or "")
    if status_code(bill) not in statuses:
        if posted is None:
            return None
        said = (
            f"{describe(bill)} is {status_name(bill)} in Procurify now, after it was "
            f"{wording.sent_as.format(posted=posted)}: the integration never {wording.never} if that is "
            "right, then abandon this item"
        )
        return Rejected.of(bill_uuid, refused(said, rule="moved back after it was sent"))
    if posted is None and bill.get("last_export_date"):
        return NeverWritten(
            bill_uuid,
            f"{describe(bill)} was exported from Procurify on {bill.get('last_export_date')} by another "
            f"process (not this integration); {wording.not_again}",
        )
    try:
        full = full or read_for_record("its full bill", lambda: session.get("bills", bill_uuid))
    except ProcurifyNotFoundError as exc:
        said = f"{describe(bill)} cannot be read from Procurify ({exc}); nothing sent"
        return Rejected.of(bill_uuid, refused(said, rule=NOT_FOUND))
    if not bill_vendor_id(full) and bill_vendor_id(bill):
        full = {**full, "vendor": bill["vendor"]}  # the list's {id, name} when the full bill lacks it
    return full


def remapped_bills(
    keys: Iterable[str],
    read: Callable[[str], Mapping[str, object]],
    *,
    statuses: frozenset[int],
    posted: Callable[[str], object],
    statuses_env: str,
    wording: BillWording,
    mapped: Callable[[list[tuple[Mapping[str, object], datetime]]], Iterable[Mapped | Rejected]],
) -> Iterator[Mapped | Rejected]:
    """The bills a replay names, read again (``read``): refused as read (gone, or unapproved and never
    ``posted``; a read still failing stays queued), the rest mapped by ``mapped`` (bill, change time)."""
    found: list[tuple[Mapping[str, object], datetime]] = []
    for key in keys:
        try:
            bill = read(key)
        except ProcurifyNotFoundError as exc:
            yield Rejected.of(
                key, refused(f"bill {key} cannot be read from Procurify ({exc})", rule=NOT_FOUND)
            )
            continue
        except RecordReadFailed as failed:  # still no answer: stays queued, the rest replay
            yield queued_for_read(key, f"bill {key}", failed)
            continue
        if status_code(bill) not in statuses and not posted(key):
            said = (
                f"{describe(bill)} is {status_name(bill)} in Procurify now, not "
                f"approved ({statuses_env}): {wording.not_sent}; abandon this item if that is right"
            )
            yield Rejected.of(key, refused(said, rule="not approved now"))
            continue
        found.append(({**bill, "uuid": key}, bill_stamp(bill)))
    yield from mapped(found)


def settled_bill_records(
    flow: FlowSpec,
    ledger: Ledger,
    record: Callable[[Mapping[str, object], datetime], BillOutcome],
    bills: Iterable[tuple[Mapping[str, object], datetime]],
    *,
    run_id: str | None,
    partition: str | None,
) -> Iterator[Mapped | Rejected]:
    """Each of the day's bills (with its change time) mapped by ``record``, as the write takes them: a
    record held on a never-written bill refused, a skip (exported elsewhere) audited here, not passed on."""
    records = (record(bill, updated_at) for bill, updated_at in bills)
    settled = never_written_settled(flow, ledger, records, run_id=run_id, partition=partition)
    yield from skips_audited(flow, ledger, settled, run_id=run_id, partition=partition)
