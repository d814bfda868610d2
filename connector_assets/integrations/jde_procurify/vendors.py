"""Vendors made in Procurify -> JD Edwards suppliers (``vendors``), the address number written back: each poll
reads every purchasable vendor (``procurify.vendor_changes.VendorPoll``), the pair recorded as JDE answers.
Depth: docs/integrations/jde_procurify.md, "The flows" (vendors).
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any, Self

from dagster import AssetExecutionContext

from connector_assets.flows.assembly import Flow
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.jde import targets
from connector_assets.jde.paired_suppliers import EXTERNAL_ID_PENDING as EXTERNAL_ID_PENDING
from connector_assets.jde.paired_suppliers import PairedSuppliers
from connector_assets.procurify.vendor_changes import VendorPoll, polled_in_step, vendor_poll_assets
from connector_resources.ledger import Ledger
from connector_resources.procurify import ProcurifyError
from connector_resources.redaction import get_logger

from .own import Own
from .vendor_mappers import JdeSupplierRecord, fingerprint, label, map_vendor, never_sent, not_sent

log = get_logger(__name__)


def to_send(own: Own, ledger: Ledger, vendor: Mapping[str, object]) -> tuple[bool, str]:
    """Whether the vendor is one to make (or finish) a JDE supplier for in ``own``, and if not, why. The
    cheap checks (type, external_id) come first, so the ledger is asked only about vendors without an ERP
    key."""
    itself = never_sent(vendor, own.it)
    if itself is not None:
        return False, itself
    key = str(vendor.get("id"))
    ours = own.pairing.matched_supplier(ledger, key)  # the AN8 this flow made for the vendor
    paired = ours or own.pairing.paired_supplier(ledger, key)
    why = not_sent(vendor, paired, own.it, ours=ours is not None)
    return why is None, why or ""


def vendor_records(
    own: Own,
    ledger: Ledger,
    vendors: Iterable[Mapping[str, object]],
    *,
    skip: Callable[[str], bool] = lambda _key: False,
) -> Iterator[Mapped | Rejected]:
    """The vendors to send, mapped (``skip(key)``: left out this time, see ``vendors_flow``'s poll)."""
    company, addresses = str(own.it.setting("vendor_company")).strip(), own.long_addresses()
    for vendor in vendors:
        send, why = to_send(own, ledger, vendor)
        key = str(vendor.get("id"))
        if not send:
            log.debug("%s is not sent to JDE: %s", label(vendor), why)
            continue
        if skip(key):
            continue
        yield map_vendor(vendor, company=company, addresses=addresses)


def vendors_flow(own: Own) -> Flow:
    """``own``'s vendors flow."""
    name = own.name

    def map_vendors(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """One poll: every purchasable vendor read, changes found by content, the vendors to send mapped;
        once per step, its range's first day (``polled_in_step``)."""
        if polled_in_step(context, spec.name):
            return
        resources = context.resources
        ledger = resources.ledger.get()
        queued = {
            item.source_key for item in ledger.open_items(integration=name, flow=spec.name, limit=100_000)
        }
        poll = VendorPoll(ledger, name, queued, fingerprint, own.it.setting("vendor_page_size"))
        vendors = poll.vendors(resources.procurify)
        yield from poll.counted(vendor_records(own, ledger, vendors, skip=poll.changes.unchanged_in_queue))
        figures = {
            "vendors_read": poll.read.vendors,
            "pages": poll.read.pages,
            "api_calls": poll.read.calls,
            "page_size": poll.read.page_size,
            "changed": len(poll.changes.changed),
            "to_send": poll.sent,
            "unchanged_in_queue": len(poll.changes.held_back),
        }
        poll.report(context, spec, partition, figures)

    def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named vendors read again from Procurify and mapped with today's settings (replay)."""
        ledger = context.resources.ledger.get()
        with context.resources.procurify.session() as session:
            vendors = [session.get("vendors", key) for key in keys if key.isdigit()]
        yield from vendor_records(own, ledger, vendors)

    class ProcurifyVendorSuppliers(PairedSuppliers):
        """JDE suppliers for vendors made in Procurify (``jde.paired_suppliers``): found by ``PFY<id>``, the
        AN8 written back as the vendor's ``external_id``."""

        source_label = "Procurify"
        pairing = own.pairing

        @classmethod
        @contextmanager
        def open_on(cls, resource: Callable[[str], Any], held: targets.Held) -> Iterator[Self]:
            """On one JDE session and one Procurify session (the AN8 is written back there)."""
            with resource("jde").session() as session, resource("procurify").session() as procurify:

                def write_back(vendor_id: str, an8: str) -> None:
                    procurify.update_vendor(int(vendor_id), {"external_id": an8})

                yield cls(session, *held, write_back=write_back, write_back_errors=(ProcurifyError,))

    spec = own.back_route.flow(
        "vendors",
        "vendor",
        JdeSupplierRecord,
        map_vendors,
        remap_vendors,
        ProcurifyVendorSuppliers,
        reads={"procurify": ("vendors",), "JDE": (targets.ADDRESS_BOOK_TABLE,)},  # F0101 by ALKY (adopt)
        writes={"procurify": ("vendors",)},  # the external_id, beside the target's suppliers
    )
    resources = partial(resources_from_settings, ("jde", "procurify", "staging"), instance=name)
    return Flow(spec, vendor_poll_assets(spec), replay=Replay(ProcurifyVendorSuppliers.for_replay, resources))
