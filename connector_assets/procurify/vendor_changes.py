"""Which Procurify vendors changed since the last poll, found by content: the vendor list has no "modified
since" filter and ``dateModified`` cannot be relied on (docs/integrations/jde_procurify.md, "The flows"),
so every poll reads the purchasable vendors whole and compares each one's fingerprint with the one kept in
the ledger (a cursor per vendor, ``<stream><vendor id>`` = ``<when seen>|<fingerprint>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from dagster import AssetKey, AssetObservation

from connector_assets.flows.assets import build_flow_assets
from connector_assets.procurify.vendor_fields import PURCHASABLE_TYPES
from connector_assets.runtime.run_reads import RunReads
from connector_assets.runtime.session_source import SessionSource
from connector_assets.saas.entities import saas_daily_partitions
from connector_resources.ledger import Ledger
from connector_resources.ledger import schema as ledger_schema
from connector_resources.procurify.session import ProcurifySession
from connector_resources.redaction import get_logger

log = get_logger(__name__)

# Types 3 and 4, the OTHER bucket left out: ``type__in`` takes the type names, repeated (vendors_list).
PURCHASABLE_FILTERS = {
    "type__in": [PURCHASABLE_TYPES[code].lower() for code in sorted(PURCHASABLE_TYPES)],
    "exclude_other": True,
}


@dataclass
class VendorRead:
    """What one whole read of the purchasable vendors found and cost (filled in as it streams).
    ``page_size``: rows a page asked for (None: the client's default)."""

    page_size: int | None = None
    vendors: int = 0
    pages: int = 0
    calls: int = 0


def read_vendors(procurify: SessionSource[ProcurifySession], read: VendorRead) -> Iterator[dict[str, object]]:
    """Every purchasable vendor, streamed page by page (one page in memory), on one session of
    ``procurify`` (the resource). A large ``read.page_size`` keeps a whole read to the fewest calls; a
    server with a lower cap answers smaller pages and more of them. ``read`` counts vendors, pages and
    calls as they come."""
    with procurify.session() as session:
        if read.page_size is not None:
            session.page_size = read.page_size
        before, pages = session.metrics.snapshot(), session.pages
        try:
            for vendor in session.iter_all("vendors", filters=PURCHASABLE_FILTERS):
                read.vendors += 1
                yield vendor
        finally:
            read.calls, read.pages = session.metrics.since(before).calls, session.pages - pages


# The polls done in a run's step (``<run id>:<retry number>`` -> flows): a poll reads every purchasable
# vendor whatever its day, so in a range (a backfill) the first day's poll finds every change, and each later
# day read the whole list again only to map every vendor once more for the write step to skip (10 reads in 10
# days). A retried step polls again: what its failed attempt mapped may not have been staged.
_POLLED: RunReads[set[str]] = RunReads(set)


def polled_in_step(context: Any, flow: str) -> bool:
    """Whether ``flow``'s poll ran in this step already (an earlier day of its range); if not, now it has."""
    polled = _POLLED(f"{context.run.run_id}:{context.retry_number}")
    if flow in polled:
        return True
    polled.add(flow)
    return False


CONTENT_STREAM = "vendor_content:"  # + vendor id: ``<when seen>|<fingerprint>`` (a ledger cursor)


def known_fingerprints(ledger: Ledger, integration: str, stream: str) -> dict[str, str]:
    """Vendor id -> the fingerprint the last poll that saw it kept (one query for all of them)."""
    t = ledger_schema.cursor
    query = sa.select(t.c.stream, t.c.value).where(
        t.c.integration == integration, t.c.stream.like(f"{stream}%")
    )
    with ledger.read_transaction() as conn:
        rows = conn.execute(query).all()
    return {name[len(stream) :]: value.rpartition("|")[2] for name, value in rows}


def keep_fingerprints(ledger: Ledger, integration: str, stream: str, changed: Mapping[str, str]) -> None:
    """Keep the new fingerprints of the vendors that changed (or are new), in one transaction. The cursor
    value starts with the time seen, so it always moves forward (a cursor never moves back)."""
    if not changed:
        return
    seen = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with ledger.transaction() as conn:
        for vendor_id, print_ in changed.items():
            ledger.advance_cursor(integration, f"{stream}{vendor_id}", f"{seen}|{print_}", conn=conn)


@dataclass
class VendorChanges:
    """One poll's view of what changed: ``known`` (vendor id -> last kept fingerprint), ``queued`` (vendor
    ids with an item left in the queue). A vendor unchanged since it was queued is held back: sending it
    again would only queue the same refusal again."""

    known: Mapping[str, str]
    queued: set[str]
    fingerprint: Callable[[Mapping[str, Any]], str]
    changed: dict[str, str] = field(default_factory=dict)  # vendor id -> its new fingerprint
    held_back: list[str] = field(default_factory=list)

    def fingerprinted(self, vendors: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The vendors as read, noting on the way each one whose fingerprint differs from the kept one."""
        for vendor in vendors:
            key, print_ = str(vendor.get("id")), self.fingerprint(vendor)
            if self.known.get(key) != print_:
                self.changed[key] = print_
            yield vendor

    def unchanged_in_queue(self, key: str) -> bool:
        """Whether to skip vendor ``key``: queued and not changed since (counted in ``held_back``)."""
        if key in self.queued and key not in self.changed:
            self.held_back.append(key)
            return True
        return False


def left_alone(ledger: Ledger, integration: str, flow: str) -> set[str]:
    """Vendors whose latest queue item of ``flow`` is still open (refused, or failed) or was abandoned by
    an operator: unchanged since, they are not sent (nor refused, nor audited) again. One query; a vendor
    whose latest item was resolved is sent again."""
    t = ledger_schema.retry_queue
    mine = (t.c.integration == integration, t.c.flow == flow)
    latest = sa.select(sa.func.max(t.c.id).label("id")).where(*mine).group_by(t.c.source_key).subquery()
    query = sa.select(t.c.source_key).where(
        t.c.id.in_(sa.select(latest.c.id)), t.c.status.in_((*ledger_schema.QUEUE_OPEN_STATUSES, "abandoned"))
    )
    with ledger.read_transaction() as conn:
        return {row[0] for row in conn.execute(query)}


class VendorPoll:
    """One poll of a ``vendors`` flow: every purchasable vendor read (``vendors``), changes noted by content
    against the fingerprints ``integration`` kept, the records sent counted (``counted``), then the new
    fingerprints kept and the poll's figures logged and observed on ``<flow>_mapped`` (``report``).
    ``queued``: the vendor ids left in the queue (held back while unchanged)."""

    def __init__(
        self,
        ledger: Ledger,
        integration: str,
        queued: set[str],
        fingerprint: Callable[[Mapping[str, Any]], str],
        page_size: int | None = None,
    ) -> None:
        self.ledger, self.integration = ledger, integration
        self.changes = VendorChanges(
            known_fingerprints(ledger, integration, CONTENT_STREAM), queued, fingerprint
        )
        self.read = VendorRead(page_size)
        self.sent = 0

    def vendors(self, procurify: SessionSource[ProcurifySession]) -> Iterator[dict[str, Any]]:
        """Every purchasable vendor of ``procurify`` (the resource), fingerprinted as it streams."""
        return self.changes.fingerprinted(read_vendors(procurify, self.read))

    def counted(self, records: Iterable[object]) -> Iterator[Any]:
        for record in records:
            self.sent += 1
            yield record

    def report(self, context: Any, flow: Any, partition: str | None, figures: Mapping[str, Any]) -> None:
        """Keep the changed fingerprints, and say what the poll read and found (``figures``, observed on
        ``flow``'s mapped asset)."""
        keep_fingerprints(self.ledger, self.integration, CONTENT_STREAM, self.changes.changed)
        log.info("procurify vendors poll: %s", ", ".join(f"{k}={v}" for k, v in figures.items()))
        context.log_event(
            AssetObservation(asset_key=flow.key("mapped"), partition=partition, metadata=dict(figures))
        )


def vendor_poll_assets(flow: Any, *, upstream: Sequence[AssetKey] = ()) -> list[Any]:
    """A ``vendors`` flow's assets, by day (``flows.assets.build_flow_assets``): no staged vendors
    upstream, since each poll reads the vendors itself instead of trusting the ``procurify/vendors`` day
    found by ``dateModified``; ``upstream``: what must run first (a manual matches file, loaded before the
    flow asks which vendors are paired)."""
    return build_flow_assets(flow, partitions_def=saas_daily_partitions(), upstream=upstream)
