"""Which of a day's Procurify POs a link flow links to the source order they were purchased for, and which it
leaves alone (not from our requisitions: counted), re-maps from the ledger (already linked) or refuses (from
several orders). The integration says what one link writes (``LinkRecord``) and names its source system.
Depth: docs/integrations/jde_procurify.md, "The flows" (PO links).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from dagster import AssetObservation

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.procurify.po_links import PoLinks
from connector_assets.procurify.po_origins import OriginFinder, PoOrigin, link_key, order_of
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import SYSTEM
from connector_resources.refusals import Refusal, refused

# The link of (key, procurify_PO, requisitions, since, siblings): ``Mapped`` with the PO_Num to set.
LinkRecord = Callable[[str, int, Iterable[int], date | None, Iterable[int]], Mapped]
OBSERVED = ("purchase_orders", "linked_before", "to_link", "not_from_jde", "mixed", "requisition_reads")


@dataclass(frozen=True)
class PoLinkRecords:
    """The link records of ``links``' integration, whose orders come from ``source`` (e.g. ``JDE``)."""

    links: PoLinks
    record: LinkRecord
    source: str

    def mixed_reason(self, origin: PoOrigin) -> str:
        parts = [
            f"{num} ({self.source} order {key})" if key else f"{num} (not from {self.source})"
            for num, key in sorted(origin.requisitions.items())
        ]
        return (
            f"Procurify PO {origin.procurify_po} holds lines of requisitions {', '.join(parts)}; its PO_Num "
            f"can name one {self.source} order only, so it was left as it is and not linked. Split the PO in "
            f"Procurify so each {self.source} order has its own, then replay; or abandon this item and keep "
            "the link by hand."
        )

    def of(
        self, pos: Iterable[Mapping[str, object]], finder: OriginFinder, ledger: Ledger, counts: Counter[str]
    ) -> Iterator[Mapped | Rejected]:
        """The links for the given PO headers (``procurify_PO`` at least): already linked ones from the
        ledger, the rest through their origin; ``counts`` gets what was seen and why it was left alone."""
        links, fresh = self.links, []
        for po in sorted(pos, key=lambda row: int(str(row["procurify_PO"]))):
            number = int(str(po["procurify_PO"]))
            counts["purchase_orders"] += 1
            known = links.link_of(ledger, number)
            if known is not None:
                counts["linked_before"] += 1
                yield self.record(known, number, (), None, ())
                continue
            origin = None
            if finder.may_be_ours(po):  # else no line can name a requisition of ours: the PO is not read
                origin = finder.origin(finder.session.get("purchase_orders", number))
            if origin is None or not origin.orders:
                counts["not_from_jde"] += 1
                continue
            fresh.append(origin)
        first_of: dict[str, int] = {}  # order -> the lowest PO number of the day's unlinked ones
        for origin in fresh:
            first_of.setdefault(origin.orders[0], origin.procurify_po)
        for origin in fresh:
            order = origin.orders[0]
            first = links.first_link(ledger, order) is None and first_of[order] == origin.procurify_po
            key = link_key(order, origin.procurify_po, first)
            if len(origin.orders) > 1 or origin.foreign:
                counts["mixed"] += 1
                mixed = refused(self.mixed_reason(origin), rule="PO of several orders")
                yield Rejected.of(key, mixed, {"procurify_PO": origin.procurify_po})
                continue
            counts["to_link"] += 1
            since, siblings = links.requisition_sent(ledger, order), links.linked_pos(ledger, order)
            yield self.record(key, origin.procurify_po, origin.requisitions, since, siblings)

    @contextmanager
    def finder(self, context: Any, partition: str | None) -> Iterator[tuple[OriginFinder, Ledger]]:
        """The run's ``OriginFinder`` (on one Procurify session) and ledger."""
        resources = context.resources
        ledger: Ledger = resources.ledger.get()
        with resources.procurify.session() as session:
            yield self.links.origin_finder(ledger, session, resources.staging, partition), ledger

    def mapped(self, context: Any, flow: Any, partition: str | None, pos: list[dict[str, Any]]):
        """The day's POs -> links; what was seen is logged and observed on ``<flow>_mapped``."""
        counts: Counter[str] = Counter()
        with self.finder(context, partition) as (finder, ledger):
            yield from self.of(pos, finder, ledger, counts)
            counts["requisition_reads"] = finder.requisition_reads
        summary = {name: int(counts[name]) for name in OBSERVED}
        context.log.info(f"{flow.flow} {partition}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
        context.log_event(
            AssetObservation(asset_key=flow.key("mapped"), partition=partition, metadata=summary)
        )

    def again(self, context: object, keys: list[str], flow_name: str) -> Iterator[Mapped | Rejected]:
        """The named links (replay): each one's PO read from Procurify again and its origin found afresh."""
        with self.finder(context, None) as (finder, ledger):
            for key in keys:
                number = self.links.po_of_key(ledger, key, flow_name)
                if number is None:
                    said = (
                        f"{self.source} order {order_of(key)}: no Procurify PO is known for it yet; it is "
                        "linked when a PO purchased from its requisition appears"
                    )
                    waits = {"system": SYSTEM, "waits_for": "a PO purchased from its requisition"}
                    yield Rejected.of(key, Refusal("target_processing", said, waits))
                    continue
                yield from self.of([{"procurify_PO": number}], finder, ledger, Counter())
