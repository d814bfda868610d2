"""One reader of approved Procurify bills for every flow posting them to an ERP: the day's staged bills in the
flow's approved statuses, each read in full by UUID, mapped by the subclass (``mapped``); one whose read fails
is queued alone, one another process exported is skipped as never written (our export lives in the ledger:
the API cannot mark a bill exported, §2.6). Depth: docs/integrations/jde_procurify.md, "The flows"."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.procurify.bill_fields import describe
from connector_assets.procurify.bill_reads import (
    BillOutcome,
    BillWording,
    approved_full_bill,
    refused_after_sent,
    remapped_bills,
    settled_bill_records,
)
from connector_assets.procurify.record_reads import mapped_or_queued, read_for_record
from connector_assets.procurify.vendor_list import listed_vendors
from connector_assets.runtime.run_reads import RunReads
from connector_resources.error_kinds import ConnectorError
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.redaction import get_logger

log = get_logger(__name__)

Vendors = dict[str, dict[str, Any] | None]  # vendor id -> the vendor read, None: Procurify has none
# The bills' vendors a run's days share: a mapping step maps its range day by day, and the vendors a held
# bill waits on were read again each day (they change in other steps, never while bills are mapped).
bill_vendors_for_run: RunReads[Vendors] = RunReads(dict)


class ApprovedBillReader:
    """The bills of ``flow`` (whose cross-reference says what was sent) that count as approved
    (``statuses``), told in the flow's ``wording``; a subclass maps a full bill (``mapped``)."""

    def __init__(
        self,
        session: Any,
        ledger: Ledger,
        flow: FlowSpec,
        statuses: frozenset[int],
        wording: BillWording,
        vendors: Vendors | None = None,
    ) -> None:
        self.session, self.ledger, self.flow = session, ledger, flow
        self.statuses, self.wording = statuses, wording
        self.vendors: Vendors = {} if vendors is None else vendors
        self.full: dict[
            str, Mapping[str, object]
        ] = {}  # bills a replay read in full, by UUID: not read again

    def posted(self, bill_uuid: str) -> str | None:
        """What the flow sent the bill as (its cross-reference's target id), None when never sent."""
        f = self.flow
        xref = self.ledger.get_xref(f.integration, f.entity, f.source_system, bill_uuid, f.target_system)
        return xref.target_id if xref is not None and xref.target_id else None

    def vendor(self, vendor_id: str) -> dict[str, Any] | None:
        """The bill's vendor, read once per step, or per run with the run's ``vendors`` (None when Procurify
        has none of that id); ``RecordReadFailed`` (not cached) when Procurify gave no answer."""
        if vendor_id not in self.vendors:
            try:
                self.vendors[vendor_id] = read_for_record(
                    f"the bill's vendor (Procurify vendor {vendor_id})",
                    lambda: self.session.get("vendors", vendor_id),
                )
            except ProcurifyNotFoundError:
                self.vendors[vendor_id] = None
        return self.vendors[vendor_id]

    def read_vendors_ahead(self, vendor_ids: Iterable[str]) -> dict[str, dict[str, Any]] | None:
        """The whole vendor list (returned) when ``vendor_ids`` not read and those read cost more one by one
        (``vendor_list``); if it fails, each is read by id."""
        unread = {vendor_id for vendor_id in vendor_ids if vendor_id and vendor_id not in self.vendors}
        try:
            listed = listed_vendors(self.session, len(unread) + len(self.vendors)) if unread else None
        except ConnectorError as exc:
            log.warning("Procurify vendors not read by list (read one by one instead): %s", exc)
            return None
        for vendor_id, vendor in (listed or {}).items():
            self.vendors.setdefault(vendor_id, vendor)
        return listed

    def mapped(self, bill_uuid: str, full: Mapping[str, object], updated_at: datetime) -> Mapped | Rejected:
        """The full approved bill as the flow's ERP document (held, or refused saying why)."""
        raise NotImplementedError

    def record(self, bill: Mapping[str, object], updated_at: datetime) -> BillOutcome:
        """The bill (slim or full) as the flow's record, refusal or skip; None: unapproved, never sent."""
        return mapped_or_queued(
            str(bill.get("uuid") or ""), describe(bill), lambda: self._record(bill, updated_at)
        )

    def _record(self, bill: Mapping[str, Any], updated_at: datetime) -> BillOutcome:
        bill_uuid = str(bill.get("uuid") or "")
        posted, known = self.posted(bill_uuid), self.full.pop(bill_uuid, None)
        full = approved_full_bill(
            self.session, bill, statuses=self.statuses, posted=posted, wording=self.wording, full=known
        )
        if not isinstance(full, Mapping):
            return full
        return refused_after_sent(bill_uuid, self.mapped(bill_uuid, full, updated_at), posted, self.wording)

    def settled(
        self,
        bills: Iterable[tuple[Mapping[str, object], datetime]],
        *,
        run_id: str | None,
        partition: str | None,
    ) -> Iterator[Mapped | Rejected]:
        """The records of ``bills`` (each with its change time) as the flow's write takes them."""
        return settled_bill_records(
            self.flow, self.ledger, self.record, bills, run_id=run_id, partition=partition
        )

    def replayed(
        self,
        keys: Iterable[str],
        read: Callable[[str], Mapping[str, object]],
        statuses_env: str,
        posted: Callable[[str], object] | None = None,
    ) -> Iterator[Mapped | Rejected]:
        """The bills a replay names, read again in full by ``read`` (kept: not read again to map them) and
        mapped (``remapped_bills``: ``statuses_env`` the setting a refusal names, ``posted`` if sent)."""
        return remapped_bills(
            keys,
            lambda key: self.full.setdefault(key, read(key)),
            statuses=self.statuses,
            posted=posted or self.posted,
            statuses_env=statuses_env,
            wording=self.wording,
            mapped=lambda found: self.settled(found, run_id=None, partition=None),
        )
