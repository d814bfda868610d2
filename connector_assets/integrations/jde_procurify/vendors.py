"""Vendors made in Procurify -> JD Edwards suppliers (``vendors``), and their address number written back.

Reading. Procurify's vendor list has no modified-since filter, and ``dateModified`` cannot be relied on
(whether a server sorts by it is unconfirmed, and an independent server may not move it on an edit: the
sandbox plays that with the ``vendor_date_modified=frozen`` variant). So a poll does not stand on the
staged ``procurify_vendors`` day (found by ``dateModified``): it reads every purchasable vendor (types 3
and 4, the OTHER bucket left out) in one paged read at ``ML_JDE_PROCURIFY_VENDOR_PAGE_SIZE`` rows a page,
and notices changes by content: each vendor's ``vendor_mappers.fingerprint`` is kept in the ledger
(cursor ``vendor_content:<id>``, ``<when seen>|<hash>``; only changed ones are written), so a poll with
nothing new costs ``ceil(vendors / page size)`` list calls, no JDE call and no write. Each poll says what
it read and found (an observation of ``jde_procurify_vendors_mapped``: vendors, pages, calls, changed,
to send, unchanged in the queue).

Which vendors are sent: ``vendor_mappers.not_sent`` (no ``external_id``, type 3/4, active, not paired).
A vendor whose content is unchanged since the poll that queued it (refused, or failed) is not queued again
on every poll: it waits for a change in Procurify (the next poll sees it, ``dateModified`` or not) or for
``ml-connector replay``. Every other vendor to send is sent, unchanged or not, so a vendor a killed run
mapped but never wrote is not lost behind its kept fingerprint.

Writing (``ProcurifyVendorSuppliers``, a ``jde.targets.Suppliers``): the ledger's pair first, then F0101
by the long address number ``PFY<vendor id>`` (what a crashed attempt left in JDE: adopted, never added
twice; a match that is another vendor's supplier is refused), then ``ML_AddUpdateSupplier`` adds it.
Once JDE answers with the address number, the pair is recorded in the ledger at once (so the JDE ->
Procurify ``suppliers`` flow, reading the new supplier, finds its vendor and makes no second one), the
address number is written as the vendor's ``external_id`` (PATCH), and the records held on
``vendor_pairs.supplier_dependency(an8)`` are released. If the PATCH fails, the record is queued, the pair
stays in the ledger with a hash no content has, and the next write (replay, or a poll after a change)
adopts the supplier and writes the ``external_id`` again.

Once paired, a vendor carries the address number and is JDE's (``suppliers`` keeps it up to date from
JDE): later edits made in Procurify are not sent back to JDE by this flow.
"""

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from dagster import AssetObservation

from connector_assets.flows.after_write import release_held, released_at
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected, replay_handler
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.integrations.jde_procurify import vendor_pairs
from connector_assets.integrations.jde_procurify.integration import BACK_ROUTE, INTEGRATION
from connector_assets.integrations.jde_procurify.vendor_mappers import (
    COMPANY_SETTING,
    JdeSupplierRecord,
    fingerprint,
    label,
    map_vendor,
    never_sent,
    not_sent,
)
from connector_assets.jde import targets
from connector_assets.procurify import vendor_changes
from connector_assets.procurify.vendor_reads import VendorRead, read_vendors
from connector_assets.saas import saas_daily_partitions
from connector_resources import settings
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.procurify import ProcurifyError
from connector_resources.redaction import get_logger
from connector_resources.replay import (
    ReplayOutcome,
    register_replay_handler,
    shared_context,
    shared_value,
)

log = get_logger(__name__)

PAGE_SIZE_SETTING = "ML_JDE_PROCURIFY_VENDOR_PAGE_SIZE"
CONTENT_STREAM = "vendor_content:"  # + vendor id: ``<when seen>|<fingerprint>`` (a ledger cursor)
# The content hash of a pair recorded the moment JDE answered, before the external_id is on the vendor:
# no mapped record hashes to it, so the next write of the vendor writes the external_id again.
EXTERNAL_ID_PENDING = "external-id-not-yet-on-the-vendor"


# -- reading every vendor, and what changed ------------------------------------------------------------------


def page_size() -> int:
    return settings.read(PAGE_SIZE_SETTING)


def known_fingerprints(ledger: Ledger) -> dict[str, str]:
    """Vendor id -> the fingerprint the last poll that saw it kept (one query for all of them)."""
    return vendor_changes.known_fingerprints(ledger, INTEGRATION, CONTENT_STREAM)


def keep_fingerprints(ledger: Ledger, changed: dict[str, str]) -> None:
    """Keep the new fingerprints of the vendors that changed (or are new), in one transaction."""
    vendor_changes.keep_fingerprints(ledger, INTEGRATION, CONTENT_STREAM, changed)


def own_pair(ledger: Ledger, vendor_id: str) -> str | None:
    """The AN8 of the supplier this flow made for the vendor (its ``vendor`` xref), if any."""
    return vendor_pairs.PAIRING.matched_supplier(ledger, vendor_id)


def to_send(ledger: Ledger, vendor: dict[str, Any]) -> tuple[bool, str]:
    """Whether the vendor is one to make (or finish) a JDE supplier for, and if not, why. The cheap checks
    (type, external_id) come first, so the ledger is asked only about vendors without an ERP key."""
    itself = never_sent(vendor)
    if itself is not None:
        return False, itself
    key = str(vendor.get("id"))
    ours = own_pair(ledger, key)
    paired = ours or vendor_pairs.paired_supplier(ledger, key)
    why = not_sent(vendor, paired, ours=ours is not None)
    return why is None, why or ""


def vendor_records(
    ledger: Ledger, vendors: Iterable[dict[str, Any]], *, skip: Callable[[str], bool] = lambda _key: False
) -> Iterator[Mapped | Rejected]:
    """The vendors to send, mapped (``skip(key)``: left out this time, see ``map_vendors``)."""
    company = settings.value(COMPANY_SETTING).strip()
    for vendor in vendors:
        send, why = to_send(ledger, vendor)
        key = str(vendor.get("id"))
        if not send:
            log.debug("%s is not sent to JDE: %s", label(vendor), why)
            continue
        if skip(key):
            continue
        yield map_vendor(vendor, company=company)


def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """One poll: every purchasable vendor read, changes found by content, the vendors to send mapped."""
    resources = context.resources
    ledger = resources.ledger.get()
    known = known_fingerprints(ledger)
    queued = {
        item.source_key
        for item in ledger.open_items(integration=INTEGRATION, flow=VENDORS_FLOW.name, limit=100_000)
    }
    read = VendorRead(page_size())
    changes = vendor_changes.VendorChanges(known, queued, fingerprint)

    sent = 0
    vendors = changes.fingerprinted(read_vendors(resources.procurify, read))
    for record in vendor_records(ledger, vendors, skip=changes.unchanged_in_queue):
        sent += 1
        yield record
    keep_fingerprints(ledger, changes.changed)
    figures = {
        "vendors_read": read.vendors,
        "pages": read.pages,
        "api_calls": read.calls,
        "page_size": read.page_size,
        "changed": len(changes.changed),
        "to_send": sent,
        "unchanged_in_queue": len(changes.held_back),
    }
    log.info("procurify vendors poll: %s", ", ".join(f"{k}={v}" for k, v in figures.items()))
    context.log_event(
        AssetObservation(asset_key=f"{VENDORS_FLOW.flow}_mapped", partition=partition, metadata=figures)
    )


def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named vendors read again from Procurify and mapped with today's settings (replay)."""
    ledger = context.resources.ledger.get()
    with context.resources.procurify.session() as session:
        vendors = [session.get("vendors", key) for key in keys if key.isdigit()]
    yield from vendor_records(ledger, vendors)


# -- writing -------------------------------------------------------------------------------------------------


class ExternalIdNotWritten(RuntimeError):
    """JDE has the supplier and the ledger the pair, but Procurify did not take the AN8 as external_id."""


class ProcurifyVendorSuppliers(targets.Suppliers):
    """``targets.Suppliers`` for vendors made in Procurify: found by the long address number ``PFY<id>``
    (never by name); once JDE names the address number, the pair is recorded, the number written back as
    the vendor's ``external_id``, and the records waiting for that supplier released."""

    source_label = "Procurify"

    def __init__(self, *args: Any, procurify: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procurify = procurify  # a Procurify session, for the external_id PATCH

    def find(self, record: Mapped) -> str | None:
        an8 = super().find(record)  # F0101 by ALKY PFY<vendor id>: what an earlier attempt added
        if an8 is None:
            return None
        assert self.ledger is not None
        other = vendor_pairs.paired_vendor(self.ledger, an8)
        if other is not None and other != record.source_key:
            raise targets.JdeRefused(
                f"JDE supplier {an8} carries this vendor's long address number "
                f"{record.body['Long_Address_Number']} but is already the supplier of Procurify vendor "
                f"{other}; not adopted. Correct the long address number (F0101 ALKY) in JDE, or link the "
                "vendor by hand, then replay"
            )
        return an8

    def create(self, record: Mapped) -> str:
        an8 = self._orchestrate({k: v for k, v in record.body.items() if k != "Address_Number"})
        self._paired(record, an8)
        return an8

    def update(self, target_id: str, record: Mapped) -> None:
        """An adopted supplier (found by ALKY) or this flow's own pair whose external_id is not on the
        vendor yet: JDE gets the vendor's values again (a no-op when unchanged), the vendor its AN8."""
        self._orchestrate({**record.body, "Address_Number": int(target_id)})
        self._paired(record, target_id)

    def _paired(self, record: Mapped, an8: str) -> None:
        assert self.ledger is not None and self.spec is not None
        s = self.spec
        # At once, before the PATCH: the pair exists for every other flow from the moment JDE has it.
        self.ledger.record_target(
            s.integration,
            s.entity,
            s.source_system,
            record.source_key,
            s.target_system,
            target_id=an8,
            content_hash=EXTERNAL_ID_PENDING,
        )
        try:
            self.procurify.update_vendor(int(record.source_key), {"external_id": an8})
        except ProcurifyError as exc:
            raise ExternalIdNotWritten(
                f"JDE supplier {an8} was made from Procurify vendor {record.source_key} (the pair is in the "
                f"ledger), but writing {an8} as the vendor's external_id failed: {exc}. A replay writes it; "
                "the supplier is not added again"
            ) from None
        release_held(
            self.ledger,
            vendor_pairs.supplier_dependency(an8),
            f"released: JDE supplier {an8} was made from Procurify vendor {record.source_key} at "
            f"{released_at()} UTC; due for replay",
            run_id=self.run_id,
            what=f"JDE supplier {an8}",
            log=log,
        )


@contextmanager
def open_vendor_suppliers(
    jde: Any, procurify: Any, ledger: Ledger, run_id: str | None, partition: str | None
) -> Iterator[ProcurifyVendorSuppliers]:
    """The target on one JDE session and one Procurify session, for a run's (or a replay's) ledger."""
    with jde.session() as session, procurify.session() as procurify_session:
        yield ProcurifyVendorSuppliers(
            session, ledger, run_id, partition, VENDORS_FLOW, procurify=procurify_session
        )


def _suppliers_for_run(context: Any):
    partition = context.partition_key if context.has_partition_key else None
    resources = context.resources
    return open_vendor_suppliers(
        resources.jde, resources.procurify, resources.ledger.get(), context.run.run_id, partition
    )


VENDORS_FLOW = BACK_ROUTE.flow(
    "vendors",
    "vendor",
    JdeSupplierRecord,
    map_vendors,
    remap_vendors,
    _suppliers_for_run,
    reads={"procurify": ("vendors",), "JDE": (targets.ADDRESS_BOOK_TABLE,)},  # F0101 by ALKY (adopt)
    writes={"JDE": (targets.ADD_UPDATE_SUPPLIER,), "procurify": ("vendors",)},  # and the external_id
)

# No upstream asset: each poll reads the vendors itself (see the module docstring), so the flow does not
# wait on, or trust, the ``procurify_vendors`` day found by dateModified.
vendor_assets = build_flow_assets(
    VENDORS_FLOW,
    partitions_def=saas_daily_partitions(),
    upstream=[],
    resource_keys={"jde", "procurify"},
    group=INTEGRATION,
    kinds={"procurify", "jde"},
)


def calls_per_poll(vendors: int, page_size: int) -> int:
    """List calls of a whole vendor read: what a poll with nothing to send costs (the token is cached)."""
    return max(1, math.ceil(vendors / page_size))


# -- replay --------------------------------------------------------------------------------------------------


def register_vendor_replays(resources: Callable[[], dict[str, Any]] | None = None) -> None:
    """``ml-connector replay`` for ``vendors``: the queued vendor is read again from Procurify, mapped with
    today's settings and written through the target on the replay's ledger (``resources``: today's
    ``jde`` and ``procurify``, from settings unless given)."""
    build = resources or (lambda: resources_from_settings(("jde", "procurify", "staging")))

    def handle(item: QueueItem, ledger: Ledger) -> ReplayOutcome:
        built = shared_value(("resources", INTEGRATION, id(build)), build)
        key = ("target", INTEGRATION, VENDORS_FLOW.name, id(build), id(ledger))
        return replay_handler(
            VENDORS_FLOW,
            lambda: shared_context(
                key, lambda: open_vendor_suppliers(built["jde"], built["procurify"], ledger, None, None)
            ),
            lambda: built,
        )(item, ledger)

    register_replay_handler(INTEGRATION, VENDORS_FLOW.name, handle)


__all__ = [
    "VENDORS_FLOW",
    "ProcurifyVendorSuppliers",
    "calls_per_poll",
    "register_vendor_replays",
    "remap_vendors",
    "vendor_assets",
]
