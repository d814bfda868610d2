"""What the Procurify -> Oracle Fusion purchase orders flow reads, and what each order becomes
(``purchase_orders`` declares the flow): ``OrderReader`` reads one Procurify order and decides whether it
is held, refused or mapped.

What is read (Procurify's ``procurify.order_reads``). By default the day's staged Procurify POs
(``procurify_purchase_orders``, polled on their last modified day), each read in full with its
``order_items`` (``GET /api/v2/purchase_orders/{n}/``); the Description comes from the requisition(s) its
lines were ordered on (``orderNum``), read from the requisitions list narrowed to the PO's vendor
(``pref_vendor``: the list has no number filter, procurify.md 2.4). With the requisitions source (for
customers who buy in Fusion, not in Procurify) the day's staged requisitions (``procurify_requisitions``)
in status 1 Approved are read with their order items (``orderNum`` filter); a requisition with lines for
several vendors becomes one order per vendor.

How it maps: ``order_mappers`` (lines, charge accounts, Description) and ``po_numbers`` (the order number
``PFY1187`` that keeps the Procurify number on the Fusion side). The supplier is the Fusion supplier paired
with the Procurify vendor (``vendor_pairs.paired_supplier``: a name match, a manual match, or a vendor made
for a supplier) at its active purchasing site in ``ML_FUSION_BUSINESS_UNIT``
(``fusion.supplier_sites.SupplierSites``). A vendor with no Fusion supplier yet holds the order on
``vendor_pairs.vendor_dependency`` (released by whatever makes the pair); a supplier without a purchasing
site in the unit, or a line whose charge account cannot be made ("Procurify PO 1187 line 2 (Rebar): Procurify
account code 6100 has no row in the account map"), refuses the order with that reason (queued; ``ml-connector
replay`` maps it again with today's tables and pairs). A Procurify PO cancelled after it was sent is queued
for a person: cancelling or closing a Fusion order is a buyer's decision (Fusion's ``close`` / ``cancel``
actions act at once on money already committed), so the connector does not do it.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.values import text, whole_number
from connector_assets.fusion.draft_orders import body_of, checked_payload, draft_order, order_total
from connector_assets.fusion.supplier_sites import SupplierSites
from connector_assets.integrations.fusion_procurify.charge_accounts import ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION, ROUTE
from connector_assets.integrations.fusion_procurify.order_mappers import notes, order_lines
from connector_assets.integrations.fusion_procurify.po_numbers import (
    fusion_order_number,
    po_source_key,
    requisition_source_key,
)
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, vendor_dependency
from connector_assets.procurify.order_fields import (
    PO_CANCELLED,
    PO_STATE_NAMES,
    REQUISITION_APPROVED,
    REQUISITION_STATUS_NAMES,
    id_of,
    item_vendor,
    live_items,
    name_of,
    order_num,
)
from connector_assets.procurify.order_reads import ProcurifyOrderReads, Requisitions
from connector_assets.procurify.record_reads import mapped_or_queued, read_for_record
from connector_resources import settings
from connector_resources.ledger import Ledger
from connector_resources.procurify.errors import ProcurifyNotFoundError
from connector_resources.redaction import get_logger

ENTITY = "purchase_order"  # the flow's xref: "PO<n>" / "REQ<n>[-<vendor>]" -> Fusion POHeaderId
BUYER_ENV = "ML_FUSION_PROCURIFY_BUYER"
log = get_logger("ml_connector.fusion_procurify")


@dataclass(frozen=True)
class SourceOrder:
    """One Procurify order to become one Fusion order: its key and name, vendor, currency, notes and items."""

    source_key: str
    label: str
    vendor_id: str
    currency: str | None
    description: str | None
    items: list[Mapping[str, Any]]


class OrderReader:
    """What one mapping step (or replay) reads and decides, on one Procurify and one Fusion session: full
    POs and requisitions by vendor (for their notes, Procurify's ``ProcurifyOrderReads``; ``requisitions``
    the cache it shares, ``requisitions_for_run``), pairs, sites and charge accounts."""

    def __init__(
        self,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        charges: ChargeAccounts,
        *,
        prefix: str,
        requisitions: Requisitions | None = None,
    ) -> None:
        self.reads = ProcurifyOrderReads(procurify, requisitions)
        self.ledger, self.charges, self.prefix = ledger, charges, prefix
        self.sites = SupplierSites(fusion)
        self.business_unit: str = fusion.business_unit
        self.buyer = settings.value(BUYER_ENV).strip() or None

    def sent(self, key: str) -> str | None:
        """The Fusion POHeaderId this order was written as, None when it was never written."""
        xref = self.ledger.get_xref(INTEGRATION, ENTITY, ROUTE.source_system, key, ROUTE.target_system)
        return xref.target_id if xref is not None and xref.target_id else None

    # -- purchase orders --------------------------------------------------------------------------------

    def purchase_order(self, listed: Mapping[str, Any]) -> Mapped | Rejected | Skipped | None:
        """A staged (list) PO read in full and mapped."""
        number = text(listed.get("procurify_PO"))
        key = po_source_key(number)

        def mapped() -> Mapped | Rejected | Skipped | None:
            try:
                po = read_for_record("its full record", lambda: self.reads.purchase_order(number))
            except ProcurifyNotFoundError as exc:
                return Rejected(
                    key, f"Procurify PO {number} cannot be read from Procurify ({exc}); nothing sent"
                )
            return self.po_record(po)

        # Procurify not answering one PO's reads after every retry queues that PO; the rest still go.
        return mapped_or_queued(key, f"Procurify PO {number}", mapped)

    def po_record(self, po: Mapping[str, Any]) -> Mapped | Rejected | Skipped | None:
        number = text(po.get("procurify_PO"))
        key, label = po_source_key(number), f"Procurify PO {number}"
        sent = self.sent(key)
        state = whole_number(po.get("state"))
        if state == PO_CANCELLED:
            if sent is None:
                return Skipped(key, f"{label} was cancelled in Procurify before it was sent; nothing to send")
            return Rejected(
                key,
                f"{label} was cancelled in Procurify after it was sent to Fusion as order "
                f"{fusion_order_number(key, self.prefix)} (POHeaderId {sent}). Cancelling or closing a "
                "Fusion order is a buyer's decision the connector does not take: cancel it in Fusion if "
                "that is right, then abandon this item",
            )
        items = live_items(po.get("order_items") or [])
        vendor_id = id_of(po.get("pref_vendor")) or next(
            (item_vendor(i) for i in items if item_vendor(i)), ""
        )
        if not vendor_id:
            return Rejected(key, f"{label} names no vendor; nothing sent")
        nums = sorted(
            {order_num(i) for i in items if order_num(i)}, key=lambda n: int(n) if n.isdigit() else 0
        )
        found = self.reads.requisitions_of(vendor_id)
        missing = [n for n in nums if n not in found]
        if missing:
            log.warning(
                "%s: requisition(s) %s not among vendor %s's requisitions; their notes are left out of the "
                "Fusion order's Description",
                label,
                ", ".join(missing),
                vendor_id,
            )
        source = SourceOrder(
            source_key=key,
            label=label,
            vendor_id=vendor_id,
            currency=name_of(po.get("purchased_currency")) or None,
            description=notes(found[n].get("description") for n in nums if n in found),
            items=items,
        )
        if not items:
            return Rejected(key, f"{label} has no lines left to order (all rejected or denied); nothing sent")
        if state not in PO_STATE_NAMES:
            log.info("%s: unknown state %r; sent as a purchased PO", label, po.get("state"))
        return self.record(source)

    # -- requisitions -----------------------------------------------------------------------------------

    def requisition_records(self, requisition: Mapping[str, Any]) -> list[Mapped | Rejected | Skipped]:
        """An approved requisition as one order per vendor of its lines; [] when it is not (yet) approved
        and was never sent."""
        num = text(requisition.get("num"))
        label = f"Procurify requisition {num}"
        status = whole_number(requisition.get("status"))
        items = live_items(self.reads.order_items(num))
        vendors = sorted({item_vendor(i) for i in items if item_vendor(i)}, key=lambda v: int(v))
        keys = (
            [requisition_source_key(num)]
            if len(vendors) <= 1
            else [requisition_source_key(num, v) for v in vendors]
        )
        if status != REQUISITION_APPROVED:
            name = REQUISITION_STATUS_NAMES.get(status, str(requisition.get("status")))
            out: list[Mapped | Rejected | Skipped] = []
            for key in keys:
                sent = self.sent(key)
                if sent is not None and status in (2, 4):
                    out.append(
                        Rejected(
                            key,
                            f"{label} is {name} in Procurify now, after it was sent to Fusion as order "
                            f"{fusion_order_number(key, self.prefix)} (POHeaderId {sent}); cancelling a "
                            "Fusion order is a buyer's decision: cancel it in Fusion if that is right, "
                            "then abandon this item",
                        )
                    )
            return out  # not approved (pending, draft) or bought in Procurify: not this flow's to send
        if not vendors:
            return [Rejected(keys[0], f"{label} has no lines with a vendor; nothing sent")]
        out = []
        for key, vendor_id in zip(keys, vendors, strict=True):
            mine = [i for i in items if item_vendor(i) == vendor_id]
            source = SourceOrder(
                source_key=key,
                label=label if len(vendors) == 1 else f"{label} (vendor {vendor_id})",
                vendor_id=vendor_id,
                currency=name_of(requisition.get("currency")) or None,
                description=notes([requisition.get("description")]),
                items=mine,
            )
            out.append(self.record(source))
        return out

    def requisition_by_key(self, key: str) -> list[Mapped | Rejected | Skipped]:
        """The requisition of source key ``REQ<n>[-<vendor>]`` read again (replay)."""
        num = key.removeprefix("REQ").split("-")[0]
        header = self.reads.requisition(num)
        if header is None:
            return [Rejected(key, f"Procurify requisition {num} is not found in Procurify; nothing sent")]
        return [r for r in self.requisition_records(header) if r.source_key == key]

    # -- the order ----------------------------------------------------------------------------------------

    def record(self, source: SourceOrder) -> Mapped | Rejected:
        """The Fusion order of ``source``: held on its vendor's pairing, refused naming what to fix, or
        mapped with its supplier, site and charge accounts."""
        key, label = source.source_key, source.label
        order_number = fusion_order_number(key, self.prefix)
        mapped = order_lines(label, source.items, self.charges.combination)
        if mapped.problems:
            return Rejected(
                key, "; ".join(mapped.problems) + "; fix the mapping table (or Procurify), then replay"
            )
        supplier_id = paired_supplier(self.ledger, source.vendor_id)
        depends_on: str | None = None
        supplier = site = ""
        if supplier_id is None:
            depends_on = vendor_dependency(source.vendor_id)
        else:
            found, why = self.sites.site_for(supplier_id, self.business_unit, "purchasing")
            if found is None:
                return Rejected(key, f"{label}: {why}")
            supplier, site = found.supplier, found.site
        draft = draft_order(
            order_number=order_number,
            business_unit=self.business_unit,
            supplier=supplier,
            supplier_site=site,
            currency=source.currency,
            description=source.description,
            buyer=self.buyer,
            lines=mapped.lines,
        )
        if depends_on is None:
            _payload, problem = checked_payload(draft)
            if problem:
                return Rejected(key, f"{label}: {problem}")
        body = body_of(draft)
        return Mapped(
            source_key=key,
            body=body,
            fields={
                "order": key,
                "order_number": order_number,
                "vendor": source.vendor_id,
                "description": source.description or "",
                "lines": len(mapped.lines),
                "total": float(order_total(body)),
            },
            natural_key={
                "order_number": order_number,
                "business_unit": self.business_unit,
                "supplier_id": supplier_id,
                "label": label,
            },
            depends_on=depends_on,
        )
