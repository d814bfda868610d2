"""Procurify -> Procurify: a PO purchased from a JDE order's requisition is linked to that order, its
``PO_Num`` set to ``<DOCO> <DCTO> <KCOO>`` (the bare DOCO can name two orders) through
``procurify.po_num_target``. Depth: docs/integrations/jde_procurify.md, "The flows".
"""

import json
from collections.abc import Iterable, Iterator
from datetime import date
from functools import partial

from dagster import AssetExecutionContext

from connector_assets.flows.assembly import Flow
from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.record_models import matching, record_model, string, whole
from connector_assets.flows.replay_resources import resources_from_settings
from connector_assets.flows.replays import Replay
from connector_assets.procurify.po_link_records import PoLinkRecords
from connector_assets.procurify.po_links import PoLinks
from connector_assets.procurify.po_num_target import ProcurifyPoNumbers
from connector_assets.procurify.po_origins import order_of
from connector_assets.saas.assets import saas_partitions
from connector_resources.ledger import Ledger

from .own import LINK_ENTITY as ENTITY  # this flow's xref: JDE order -> Procurify PO number
from .own import Own


def jde_orders(links: PoLinks, ledger: Ledger, procurify_pos: Iterable[int]) -> dict[int, str | None]:
    """Procurify PO number -> the JDE order ``KCOO:DOCO:DCTO`` (a suffix kept when the link has one) it was
    linked to, None for a PO not linked (not from JDE, or not linked yet): which JDE order a bill of those
    POs was raised against (the bills flow's order reference)."""
    found: dict[int, str | None] = {}
    for number in procurify_pos:
        if number not in found:
            key = links.link_of(ledger, number)
            found[number] = order_of(key) if key else None
    return found


def po_num_text(order_key: str) -> str:
    """``PO_Num`` for JDE order ``KCOO:DOCO:DCTO[:SFXO]``: ``"<DOCO> <DCTO> <KCOO>"`` (``4011 OP 00001``;
    a suffix other than 000 as the requisition's description writes it: ``4011 OP-001 00001``)."""
    parts = [part.strip() for part in order_of(order_key).split(":")]
    if len(parts) not in (3, 4) or not parts[1].isdigit() or not all(parts):
        raise ValueError(f"JDE order key {order_key!r} is not KCOO:DOCO:DCTO[:SFXO] (e.g. 00001:4011:OP)")
    suffix = f"-{parts[3]}" if len(parts) == 4 and parts[3] != "000" else ""
    return f"{int(parts[1])} {parts[2]}{suffix} {parts[0]}"


PoLinkRecord = record_model(
    "PoLinkRecord",
    "What can be written: a JDE order key, the PO's number, and a PO_Num Procurify takes (<= 30).",
    jde_order=matching(r"^[^:/\s]+:\d{1,8}:[^:/\s]+(:[^:/\s]+)?$"),
    procurify_PO=whole(ge=1),
    PO_Num=string(1, 30),
)


def link_record(
    key: str,
    procurify_po: int,
    requisitions: Iterable[int] = (),
    since: date | None = None,
    siblings: Iterable[int] = (),
) -> Mapped:
    """The write of one link. The body (what the content hash covers) is only the PO and its PO_Num, so
    a linked PO re-seen on a later day is unchanged whatever else changed on it."""
    order = order_of(key)
    text = po_num_text(order)
    return Mapped(
        source_key=key,
        body={"procurify_PO": procurify_po, "PO_Num": text},
        fields={"jde_order": order, "procurify_PO": procurify_po, "PO_Num": text},
        natural_key={
            "procurify_PO": procurify_po,
            "PO_Num": text,
            "jde_order": order,
            "requisitions": sorted(requisitions),
            "since": since.isoformat() if since else None,
            "siblings": sorted(siblings),
        },
    )


class JdePoNumbers(ProcurifyPoNumbers):
    """Procurify's PO_Num target (``procurify.po_num_target``) naming JDE in what it refuses or audits."""

    source_label = "JDE"


def po_links_flow(own: Own) -> Flow:
    """``own``'s PO links flow."""
    records = PoLinkRecords(own.links, link_record, "JDE")  # the Procurify side's linking
    staged = own.procurify

    def map_po_links(context: AssetExecutionContext, partition: str | None) -> Iterator[Mapped | Rejected]:
        """The day's staged POs -> links; what was seen is observed on the mapped asset (``counts``)."""
        rows = context.resources.staging.read_rows(staged.purchase_orders, partition)
        yield from records.mapped(context, spec, partition, [json.loads(row["record"]) for row in rows])

    def remap_po_links(context: object, keys: list[str]) -> Iterator[Mapped | Rejected]:
        """The named links (replay): each one's PO read from Procurify again and its origin found afresh."""
        yield from records.again(context, keys, spec.name)

    spec = own.po_route.flow("po_links", ENTITY, PoLinkRecord, map_po_links, remap_po_links, JdePoNumbers)
    assets = [
        *staged.own_order_assets,  # an instance reaching a Procurify account of its own stages its own POs
        *build_flow_assets(
            spec, partitions_def=saas_partitions, upstream=[staged.purchase_orders, staged.requisitions]
        ),
    ]
    resources = partial(resources_from_settings, ("procurify", "staging"), instance=own.name)
    return Flow(spec, assets, replay=Replay(JdePoNumbers.for_replay, resources))
