"""Procurify -> Procurify: a PO purchased from a JDE order's requisition is linked to that order, and its
external PO number (``PO_Num``) set to the JDE order number, so both systems name the order the same way.

Procurify's API cannot create purchase orders: the purchase order flow sends each approved JDE order as a
requisition, and a Procurify buyer approves and purchases it, which makes the PO. This flow then reads the
day's POs (``procurify_purchase_orders``, staged by ``last_modified``: a new PO is modified the day it is
made), finds the JDE order each came from (``po_origins``: lines -> requisition -> the ``purchase_order``
xref) and sets ``PO_Num`` through ``PUT /api/v3/purchase-orders/{procurify_PO}/`` (§2.5; the client sends
the PO whole as read with the new ``PO_Num``, since the reference does not say whether that PUT is partial
or full: ``connector_resources.procurify.po_revisions``). The link is the
``po_link`` xref: source key the JDE order ``KCOO:DOCO:DCTO`` -> target id the ``procurify_PO`` number;
``linked_po`` answers "which PO is this JDE order" for the purchase order flow's revisions.

``PO_Num`` text: ``<DOCO> <DCTO> <KCOO>`` (``4011 OP 00001``; an order suffix other than 000 as the
requisition's description writes it, ``4011 OP-001 00001``), at most 21 characters (DOCO 8 digits, DCTO 2,
suffix 4, KCOO 5) against Procurify's 30. Why not the bare DOCO: JDE numbers orders per document type
(and, with next numbers by company, per company), so ``4011`` alone can be two orders, and Procurify refuses a
``PO_Num`` another PO carries. The three key fields in JDE's own order (order number, type, company, as
JDE's order screens show them) are unique and read as the JDE order a JDE user looks up.

What happens to each PO of the day:

* already linked (its number is a ``po_link`` target): re-mapped from the ledger, no call; unchanged, so
  the write skips it. A ``PO_Num`` a Procurify user changed after the link is left as they set it.
* lines from no requisition of ours: not from JDE, ignored (counted in the mapped step's observation).
* lines from one JDE order's requisition: linked. ``PO_Num`` already says so: adopted, nothing sent;
  otherwise PUT. A second PO of the same order (a requisition purchased as one PO per vendor, or in
  parts) is linked too, keyed ``KCOO:DOCO:DCTO/<procurify_PO>``; ``linked_po`` names the first.
* lines from several requisitions where they are not all one JDE order's: queued ("its PO_Num can name
  one JDE order only"), nothing sent.
* ``PO_Num`` already used by another PO: sent again with ``confirm_duplicate_external_po_number`` only when
  every PO carrying it came from the same JDE order (linked to it in the ledger, or its lines are that
  order's requisitions); otherwise queued naming the other PO. A cancelled, closed or paid PO that
  Procurify refuses to revise is queued with the PO's state and what to do.
"""

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from dagster import AssetKey, AssetObservation

from connector_assets.flows.assets import build_flow_assets
from connector_assets.flows.core import Created, Mapped, Rejected
from connector_assets.flows.lazy_model import lazy_model
from connector_assets.flows.replay_resources import register_settings_replay, resources_from_settings
from connector_assets.flows.targets import SessionTarget
from connector_assets.saas_assets import saas_partitions
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyValidationError

from .integration import INTEGRATION, PO_ROUTE
from .po_origins import (
    LINK_ENTITY,
    SIBLING,
    STAGED_REQUISITIONS,
    OriginFinder,
    PoOrigin,
    linked_pos,
    order_of,
    requisition_numbers,
    requisition_sent,
)

ENTITY = LINK_ENTITY
STAGED_POS = "procurify_purchase_orders"
PO_STATES = {0: "purchased", 1: "cancelled", 2: "legacy", 3: "closed", 4: "paid", 5: "reopened"}  # §2.5
HOLDER_LOOKBACK = timedelta(days=31)  # duplicate search without a ledger date: POs modified this recently


def linked_po(ledger: Ledger, order_source_key: str) -> str | None:
    """The Procurify PO number (``procurify_PO``) linked to a JDE order (``KCOO:DOCO:DCTO``), or None.

    None until the order's requisition has been purchased in Procurify and this flow has linked the PO
    (a PO whose link write is still under way has no target id yet, and counts as not linked). A JDE order
    purchased as several POs names its first here (the others are linked under ``<key>/<procurify_PO>``);
    when only those others could be linked (the first PO refused, e.g. closed), the lowest of them.
    """
    first = _first_link(ledger, order_source_key)
    if first is not None:
        return first
    others = linked_pos(ledger, order_source_key)
    return str(others[0]) if others else None


def _first_link(ledger: Ledger, order_key: str) -> str | None:
    """The PO linked under the JDE order's own key (its first PO), or None."""
    xref = ledger.get_xref(INTEGRATION, ENTITY, PO_ROUTE.source_system, order_key, PO_ROUTE.target_system)
    return xref.target_id if xref and xref.target_id else None


def po_num_text(order_key: str) -> str:
    """``PO_Num`` for JDE order ``KCOO:DOCO:DCTO[:SFXO]``: ``"<DOCO> <DCTO> <KCOO>"`` (``4011 OP 00001``;
    a suffix other than 000 as the requisition's description writes it: ``4011 OP-001 00001``)."""
    kcoo, doco, dcto, suffix = _order_parts(order_key)
    return f"{int(doco)} {dcto}{'-' + suffix if suffix else ''} {kcoo}"


def _order_parts(order_key: str) -> tuple[str, str, str, str]:
    parts = [part.strip() for part in order_of(order_key).split(":")]
    if len(parts) not in (3, 4) or not parts[1].isdigit() or not all(parts):
        raise ValueError(f"JDE order key {order_key!r} is not KCOO:DOCO:DCTO[:SFXO] (e.g. 00001:4011:OP)")
    suffix = parts[3] if len(parts) == 4 and parts[3] != "000" else ""
    return parts[0], parts[1], parts[2], suffix


def link_key(order_key: str, procurify_po: int, first: bool) -> str:
    """The ``po_link`` source key: the JDE order for its first PO, ``<order>/<procurify_PO>`` for another."""
    return order_key if first else f"{order_key}{SIBLING}{procurify_po}"


@lazy_model
def PoLinkRecord() -> type:
    """What can be written: a JDE order key, the PO's number, and a PO_Num Procurify takes (<= 30)."""
    import pandera.pandas as pa
    from pandera.typing import Series

    class PoLinkRecord(pa.DataFrameModel):
        jde_order: Series[str] = pa.Field(str_matches=r"^[^:/\s]+:\d{1,8}:[^:/\s]+(:[^:/\s]+)?$")
        procurify_PO: Series[int] = pa.Field(ge=1)
        PO_Num: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 30})

        class Config:
            strict = True
            coerce = True

    return PoLinkRecord


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


def _mixed_reason(origin: PoOrigin) -> str:
    parts = [
        f"{num} (JDE order {key})" if key else f"{num} (not from JDE)"
        for num, key in sorted(origin.requisitions.items())
    ]
    return (
        f"Procurify PO {origin.procurify_po} holds lines of requisitions {', '.join(parts)}; its PO_Num can "
        "name one JDE order only, so it was left as it is and not linked. Split the PO in Procurify so each "
        "JDE order has its own, then replay; or abandon this item and keep the link by hand."
    )


def link_records(
    pos: Iterable[dict[str, Any]], finder: OriginFinder, ledger: Ledger, counts: Counter[str]
) -> Iterator[Mapped | Rejected]:
    """The links for the given PO headers (``procurify_PO`` at least): already linked ones from the
    ledger, the rest through their origin; ``counts`` gets what was seen and why it was left alone."""
    fresh: list[PoOrigin] = []
    for po in sorted(pos, key=lambda row: int(str(row["procurify_PO"]))):
        number = int(str(po["procurify_PO"]))
        counts["purchase_orders"] += 1
        known = ledger.find_xref_by_target(INTEGRATION, ENTITY, PO_ROUTE.target_system, str(number))
        if known is not None and known.target_id:
            counts["linked_before"] += 1
            yield link_record(known.source_key, number)
            continue
        origin = finder.origin(finder.session.get("purchase_orders", number))
        if not origin.orders:
            counts["not_from_jde"] += 1
            continue
        fresh.append(origin)
    first_of: dict[str, int] = {}  # JDE order -> the lowest PO number of the day's unlinked ones
    for origin in fresh:
        first_of.setdefault(origin.orders[0], origin.procurify_po)
    for origin in fresh:
        order = origin.orders[0]
        first = _first_link(ledger, order) is None and first_of[order] == origin.procurify_po
        key = link_key(order, origin.procurify_po, first)
        if len(origin.orders) > 1 or origin.foreign:
            counts["mixed"] += 1
            yield Rejected(key, _mixed_reason(origin), {"procurify_PO": origin.procurify_po})
            continue
        counts["to_link"] += 1
        since, siblings = requisition_sent(ledger, order), linked_pos(ledger, order)
        yield link_record(key, origin.procurify_po, origin.requisitions, since, siblings)


@contextmanager
def _finder(context: Any, partition: str | None) -> Iterator[OriginFinder]:
    resources = context.resources
    with resources.procurify.session() as session:
        yield OriginFinder(resources.ledger.get(), session, resources.staging, partition)


def map_po_links(context: Any, partition: str | None) -> Iterator[Mapped | Rejected]:
    """The day's staged POs -> links; what was seen is observed on the mapped asset (``counts``)."""
    pos = [json.loads(row["record"]) for row in context.resources.staging.read_rows(STAGED_POS, partition)]
    counts: Counter[str] = Counter()
    with _finder(context, partition) as finder:
        yield from link_records(pos, finder, finder.ledger, counts)
        counts["requisition_reads"] = finder.requisition_reads
    summary = {name: int(counts[name]) for name in OBSERVED}
    context.log.info(
        f"{PO_LINKS_FLOW.flow} {partition}: " + ", ".join(f"{k}={v}" for k, v in summary.items())
    )
    context.log_event(
        AssetObservation(
            asset_key=AssetKey(f"{PO_LINKS_FLOW.flow}_mapped"), partition=partition, metadata=summary
        )
    )


OBSERVED = ("purchase_orders", "linked_before", "to_link", "not_from_jde", "mixed", "requisition_reads")


def _queued_po(ledger: Ledger, key: str) -> int | None:
    """The PO a queued link was about (its payload), for a key that does not name one itself."""
    for item in reversed(ledger.queue_for(key)):
        if item.integration != INTEGRATION or item.flow != PO_LINKS_FLOW.name:
            continue
        payload = item.payload or {}
        value = payload.get("procurify_PO", (payload.get("body") or {}).get("procurify_PO"))
        if value is not None and str(value).isdigit():
            return int(value)
    return None


def po_of_key(ledger: Ledger, key: str) -> int | None:
    """Which PO a ``po_link`` source key is about: named in a sibling's key, linked, or queued."""
    if SIBLING in key:
        tail = key.rsplit(SIBLING, 1)[1]
        return int(tail) if tail.isdigit() else None
    linked = _first_link(ledger, key)
    return int(linked) if linked and linked.isdigit() else _queued_po(ledger, key)


def remap_po_links(context: Any, keys: list[str]) -> Iterator[Mapped | Rejected]:
    """The named links (replay): each one's PO read from Procurify again and its origin found afresh."""
    with _finder(context, None) as finder:
        for key in keys:
            number = po_of_key(finder.ledger, key)
            if number is None:
                yield Rejected(
                    key,
                    f"JDE order {order_of(key)}: no Procurify PO is known for it yet; it is linked when a PO "
                    "purchased from its requisition appears",
                )
                continue
            yield from link_records([{"procurify_PO": number}], finder, finder.ledger, Counter())


class PoLinkRefused(ValueError):
    """Procurify will not take this PO_Num on this PO (a duplicate of another order's, or a PO it does not
    let anyone revise); the reason says which and what to do."""


def _says(po: dict[str, Any], text: str) -> bool:
    return str(po.get("PO_Num") or "").strip() == text


class ProcurifyPoNumbers(SessionTarget):
    """Procurify's side of a link: the PO's ``PO_Num``. "Found" = it already says the JDE order number."""

    resource = "procurify"
    writes = ("purchase_orders",)

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        self._before: dict[int, str] = {}  # PO -> the PO_Num it had when read (named in the audit)

    def find(self, record: Mapped) -> str | None:
        number = record.body["procurify_PO"]
        po = self.session.get("purchase_orders", number)
        with self.lock:
            self._before[number] = str(po.get("PO_Num") or "").strip()
        return str(number) if _says(po, record.body["PO_Num"]) else None

    def create(self, record: Mapped) -> Created:
        return Created(str(record.body["procurify_PO"]), "create", self._set(record))

    def update(self, target_id: str, record: Mapped) -> None:
        number = record.body["procurify_PO"]
        if str(target_id) != str(number):
            raise PoLinkRefused(
                f"JDE order {order_of(record.source_key)} is linked to Procurify PO {target_id}, not "
                f"{number}; correct the link in the ledger (ml-connector) before replaying"
            )
        if not _says(self.session.get("purchase_orders", number), record.body["PO_Num"]):
            self._set(record)

    # -- setting PO_Num ---------------------------------------------------------------------------------

    def _set(self, record: Mapped) -> str:
        number, text = record.body["procurify_PO"], record.body["PO_Num"]
        order = order_of(record.source_key)
        with self.lock:
            before = self._before.pop(number, "")
        was = f" (was {before!r})" if before else ""
        try:
            self.session.revise_purchase_order(number, {"PO_Num": text})
            return f"PO {number} linked to JDE order {order}; PO_Num set to {text!r}{was}"
        except ProcurifyValidationError as exc:
            if not exc.from_server:
                raise
            if "PO_Num" not in exc.fields:
                raise self._refused(number, text, exc) from None
        holders = self._holders(record)
        others = sorted(n for n, same in holders.items() if not same)
        if not holders or others:
            named = f"Procurify PO {', '.join(map(str, others))}" if others else "another Procurify PO"
            raise PoLinkRefused(
                f"PO_Num {text!r} (JDE order {order}) is already used by {named}, which did not come from "
                f"this JDE order; PO {number} was not changed. Correct the other PO's PO_Num in Procurify, "
                "then replay this item"
            )
        self.session.revise_purchase_order(
            number, {"PO_Num": text}, confirm_duplicate_external_po_number=True
        )
        same = ", ".join(map(str, sorted(holders)))
        return (
            f"PO {number} linked to JDE order {order}; PO_Num set to {text!r}, which PO {same} of the same "
            "JDE order also carries (its requisition was purchased as more than one PO): duplicate confirmed"
        )

    def _holders(self, record: Mapped) -> dict[int, bool]:
        """Other POs carrying the PO_Num -> whether each came from the same JDE order (linked to it in the
        ledger as the mapper saw it, or every line from that order's requisitions)."""
        number, text = record.body["procurify_PO"], record.body["PO_Num"]
        natural = record.natural_key
        since_text = natural.get("since")
        since = date.fromisoformat(since_text) if since_text else date.today() - HOLDER_LOOKBACK
        ours = set(natural.get("requisitions") or [])
        siblings = set(natural.get("siblings") or [])
        holders: dict[int, bool] = {}
        for po in self.session.find_purchase_orders(po_num=text, modified_since=since):
            other = int(str(po["procurify_PO"]))
            if other == number:
                continue
            if other in siblings:
                holders[other] = True
                continue
            lines = requisition_numbers(self.session.get("purchase_orders", other))
            holders[other] = bool(lines) and bool(ours) and set(lines) <= ours
        return holders

    def _refused(self, number: int, text: str, exc: ProcurifyValidationError) -> PoLinkRefused:
        said = "; ".join(m for messages in exc.fields.values() for m in messages) or str(exc)
        try:
            state = PO_STATES.get(int(self.session.get("purchase_orders", number).get("state")), "")
        except Exception:  # noqa: BLE001 - the refusal matters more than naming the state
            state = ""
        advice = {
            "closed": "Reopen the PO in Procurify and replay this item, or abandon it",
            "cancelled": "A cancelled PO keeps its number; abandon this item if that is right",
            "paid": "A paid PO cannot change; abandon this item, the link stays in the ledger only",
        }.get(state, "Fix what Procurify names, then replay this item")
        status = f" ({state})" if state else ""
        return PoLinkRefused(f"Procurify refused PO_Num {text!r} on PO {number}{status}: {said}. {advice}")


PO_LINKS_FLOW = PO_ROUTE.flow(
    "po_links",
    ENTITY,
    PoLinkRecord,
    map_po_links,
    remap_po_links,
    ProcurifyPoNumbers,
)

po_links_assets = build_flow_assets(
    PO_LINKS_FLOW,
    partitions_def=saas_partitions,
    upstream=[STAGED_POS, STAGED_REQUISITIONS],
    resource_keys={"procurify"},
    group=INTEGRATION,
    kinds={"procurify"},
)


def register_po_links_replays(resources: Any = None) -> None:
    """``ml-connector replay`` for queued links: the PO is read again and its PO_Num set through the same
    target, with Procurify and staging from today's settings (or ``resources()``)."""
    register_settings_replay(
        PO_LINKS_FLOW,
        ProcurifyPoNumbers.for_replay,
        resources or (lambda: resources_from_settings(("procurify", "staging"))),
    )
