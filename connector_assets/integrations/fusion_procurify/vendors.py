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
from .own import Own
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
    own: Own,
    ledger: Ledger,
    names: SupplierNames,
    vendors: Iterable[Mapping[str, Any]],
    *,
    skip: Callable[[str], bool] = lambda _key: False,
) -> Iterator[Mapped | Rejected]:
    """The vendors to pair with ``own``'s Fusion suppliers, each with its supplier or why it has none
    (``skip(key)``: left out this time, see ``map_vendors``)."""
    pairing, xref = own.pairing, own.it.variable("vendor_xref")
    for vendor in vendors:
        key = str(vendor.get("id"))
        itself = skipped_why(vendor)
        if itself is None and skip(key):  # before the ledger is asked: most of a poll's vendors
            continue
        why = itself or not_paired_why(
            vendor, pairing.paired_supplier(ledger, key) if key.isdigit() else None
        )
        if why is not None:
            log.debug("%s is not paired: %s", label(vendor), why)
            continue
        name = " ".join(str(vendor.get("name") or "").split())
        supplier, matched_by, candidates = (
            match_supplier(name, names.candidates(name)) if name else (None, "", [])
        )
        other = pairing.paired_vendor(ledger, str(supplier.get("SupplierId"))) if supplier else None
        yield map_vendor(
            vendor, supplier, matched_by, candidates, paired_vendor_of_supplier=other, xref_setting=xref
        )


def vendors_flow(own: Own) -> Flow:
    """``own``'s vendors flow: a pair in its ledger, nothing written to either system."""

    def map_vendors(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
        """One poll: every purchasable vendor read, changes found by content, the vendors to pair matched
        (on the run's last day only, or a run without days)."""
        if partition is not None and partition != run_partitions(context)[-1]:
            log.debug("vendors: %s maps nothing; the run's last day reads the vendor list", partition)
            return
        resources = context.resources
        ledger = resources.ledger.get()
        # Left alone: a vendor whose latest queue item is open (refused, failed) or abandoned, until it
        # changes.
        poll = VendorPoll(ledger, own.name, left_alone(ledger, own.name, spec.name), fingerprint)
        with resources.fusion.session() as fusion:
            names = SupplierNames(fusion)
            vendors = poll.vendors(resources.procurify)
            records = vendor_records(own, ledger, names, vendors, skip=poll.changes.unchanged_in_queue)
            yield from poll.counted(records)
        figures = {
            "vendors_read": poll.read.vendors,
            "procurify_calls": poll.read.calls,
            "changed": len(poll.changes.changed),
            "to_pair": poll.sent,
            "unchanged_in_queue": len(poll.changes.held_back),
            "fusion_exact_searches": names.exact_searches,
            "fusion_whole_reads": names.whole_reads,
        }
        poll.report(context, spec, partition, figures)

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
            yield from vendor_records(own, ledger, names, vendors)

    def pairs(ledger: Ledger):  # writing: the pair is a ledger record only
        return open_pairs(ledger, own.pairing, "Fusion supplier", "SupplierId")

    spec = own.route.flow(
        "vendors",
        vendor_pairs.VENDOR_ENTITY,
        FusionSupplierPairRecord,
        map_vendors,
        remap_vendors,
        lambda context: pairs(context.resources.ledger.get()),
        reads={"procurify": ("vendors",), "fusion": ("suppliers",)},
        writes={},
        # A vendor with no supplier of its name is the normal case of a name pairing (employees, one-off
        # vendors, names spelled differently), not a broken mapping: on a first poll most vendors may be
        # refused, and the matched ones must still be paired. Never "systemic".
        systemic_share=1.0,
    )
    if spec.dependency_key("1") != own.pairing.vendor_dependency(1):  # a write releases the vendor
        raise RuntimeError("the vendors flow's dependency key is not the pairing's vendor_dependency")
    assets = vendor_poll_assets(spec, upstream=[own.matches.asset])
    return Flow(
        spec,
        assets,
        replay=Replay(lambda _built, ledger, _spec: pairs(ledger), own.resources, first=(own.matches.first,)),
    )
