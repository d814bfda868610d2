"""Procurify vendors -> the Fusion supplier of the same name (``vendors``): a pair in the ledger
(``procurify.vendor_pairing.LedgerPairs``), nothing written to either system; each poll reads every
purchasable vendor (a run over several days on its last day only) and notices changes by content.
docs/integrations/fusion_procurify.md, "Vendors paired by name".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import run_partitions
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.replays import Replay
from connector_assets.fusion.supplier_names import SupplierNames, list_of_replays, match_supplier
from connector_assets.procurify.vendor_changes import VendorPoll, left_alone, vendor_poll_assets
from connector_assets.procurify.vendor_list import replay_vendors
from connector_assets.procurify.vendor_pairing import open_pairs
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger

from . import vendor_pairs
from .integration import INTEGRATION, ROUTE, SETTINGS_RESOURCES
from .manual_matches import matches_first
from .vendor_mappers import (
    FusionSupplierPairRecord,
    fingerprint,
    label,
    map_vendor,
    not_paired_why,
    skipped_why,
)

log = get_logger(__name__)


def vendor_records(
    ledger: Ledger,
    names: SupplierNames,
    vendors: Iterable[Mapping[str, Any]],
    *,
    skip: Callable[[str], bool] = lambda _key: False,
) -> Iterator[Mapped | Rejected]:
    """The vendors to pair, each with its Fusion supplier or why it has none (``skip(key)``: left out
    this time, see ``map_vendors``)."""
    for vendor in vendors:
        key = str(vendor.get("id"))
        itself = skipped_why(vendor)
        if itself is None and skip(key):  # before the ledger is asked: most of a poll's vendors
            continue
        why = itself or not_paired_why(
            vendor, vendor_pairs.paired_supplier(ledger, key) if key.isdigit() else None
        )
        if why is not None:
            log.debug("%s is not paired: %s", label(vendor), why)
            continue
        name = " ".join(str(vendor.get("name") or "").split())
        supplier, matched_by, candidates = (
            match_supplier(name, names.candidates(name)) if name else (None, "", [])
        )
        other = (
            vendor_pairs.paired_vendor(ledger, str(supplier.get("SupplierId")))
            if supplier is not None
            else None
        )
        yield map_vendor(vendor, supplier, matched_by, candidates, paired_vendor_of_supplier=other)


def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """One poll: every purchasable vendor read, changes found by content, the vendors to pair matched
    (on the run's last day only, or a run without days)."""
    if partition is not None and partition != run_partitions(context)[-1]:
        log.debug("vendors: %s maps nothing; the run's last day reads the vendor list", partition)
        return
    resources = context.resources
    ledger = resources.ledger.get()
    # Left alone: a vendor whose latest queue item is open (refused, failed) or abandoned, until it changes.
    poll = VendorPoll(ledger, INTEGRATION, left_alone(ledger, INTEGRATION, VENDORS_FLOW.name), fingerprint)
    with resources.fusion.session() as fusion:
        names = SupplierNames(fusion)
        vendors = poll.vendors(resources.procurify)
        yield from poll.counted(vendor_records(ledger, names, vendors, skip=poll.changes.unchanged_in_queue))
    figures = {
        "vendors_read": poll.read.vendors,
        "procurify_calls": poll.read.calls,
        "changed": len(poll.changes.changed),
        "to_pair": poll.sent,
        "unchanged_in_queue": len(poll.changes.held_back),
        "fusion_exact_searches": names.exact_searches,
        "fusion_whole_reads": names.whole_reads,
    }
    poll.report(context, VENDORS_FLOW, partition, figures)


def remap_vendors(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named vendors read again from Procurify (by list, kept for the replay, when that costs fewer
    calls than a chunk's reads by id) and matched against Fusion today (replay)."""
    resources = context.resources
    ledger = resources.ledger.get()
    wanted = [key for key in keys if key.isdigit()]
    with resources.procurify.session() as session:
        listed = replay_vendors(session, len(wanted))
        if listed is None:
            vendors = [session.get("vendors", key) for key in wanted]
        else:
            vendors = [listed[key] for key in wanted if key in listed]
    with resources.fusion.session() as fusion:
        names = SupplierNames(fusion, list_of_replays(resources.fusion))
        yield from vendor_records(ledger, names, vendors)


# -- writing: the pair is a ledger record only --------------------------------------------------------------


def _open_pairs(ledger: Ledger):
    return open_pairs(ledger, vendor_pairs.PAIRING, "Fusion supplier", "SupplierId")


def _pairs_for_run(context: Any):
    return _open_pairs(context.resources.ledger.get())


def _pairs_for_replay(_built: dict[str, Any], ledger: Ledger, _spec: Any):
    return _open_pairs(ledger)


VENDORS_FLOW = ROUTE.flow(
    "vendors",
    vendor_pairs.VENDOR_ENTITY,
    FusionSupplierPairRecord,
    map_vendors,
    remap_vendors,
    _pairs_for_run,
    reads={"procurify": ("vendors",), "fusion": ("suppliers",)},
    writes={},
    # A vendor with no supplier of its name is the normal case of a name pairing (employees, one-off
    # vendors, names spelled differently), not a broken mapping: on a first poll most vendors may be
    # refused, and the matched ones must still be paired. Never "systemic".
    systemic_share=1.0,
)
if VENDORS_FLOW.dependency_key("1") != vendor_pairs.vendor_dependency(1):  # a write releases the vendor
    raise RuntimeError("the vendors flow's dependency key is not vendor_pairs.vendor_dependency")

vendor_assets = vendor_poll_assets(VENDORS_FLOW, upstream=[vendor_pairs.MATCHES_ASSET])

REPLAY = Replay(_pairs_for_replay, SETTINGS_RESOURCES, first=(matches_first,))

FLOW = Flow(VENDORS_FLOW, vendor_assets, replay=REPLAY)
