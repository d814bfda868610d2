"""What the Procurify -> Fusion purchase orders flow reads and what each order becomes: ``OrderReader``,
``procurify.order_sources.ProcurifyOrders`` keyed and worded for Fusion. An unpaired vendor holds the order;
a PO cancelled after it was sent is queued: docs/integrations/fusion_procurify.md, "Purchase orders".
"""

from collections.abc import Iterable, Iterator, Mapping
from functools import partial
from typing import Any

from connector_assets.flows.core import Mapped, Rejected, Skipped
from connector_assets.flows.unread_holds import held_unread
from connector_assets.fusion.draft_orders import body_of, checked_payload, draft_order, order_total
from connector_assets.fusion.supplier_sites import Read, SupplierSites
from connector_assets.procurify.order_fields import id_of
from connector_assets.procurify.order_reads import ProcurifyOrderReads, Requisitions
from connector_assets.procurify.order_sources import ProcurifyOrders, SourceOrder
from connector_resources.ledger import Ledger
from connector_resources.redaction import get_logger
from connector_resources.said import refusal_for

from .charge_accounts import ChargeAccounts
from .order_mappers import notes, order_lines
from .own import Own
from .po_numbers import (
    fusion_order_number,
    po_source_key,
    requisition_source_key,
)

ENTITY = "purchase_order"  # the flow's xref: "PO<n>" / "REQ<n>[-<vendor>]" -> Fusion POHeaderId


class OrderReader(ProcurifyOrders):
    """What one mapping step (or replay) reads and decides, on one Procurify and one Fusion session: POs and
    requisitions (``requisitions``/``suppliers``: the run's reads), pairs, sites and charge accounts, for
    instance ``own`` (its order prefix and buyer read once)."""

    target_label = "Fusion"
    log = get_logger(__name__)  # the module's, whichever instance reads

    def __init__(
        self,
        own: Own,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        charges: ChargeAccounts,
        *,
        requisitions: Requisitions | None = None,
        suppliers: Read | None = None,
    ) -> None:
        super().__init__(ProcurifyOrderReads(procurify, requisitions))
        self.own, self.ledger, self.charges = own, ledger, charges
        prefix, setting = own.it.setting("order_prefix"), own.it.variable("order_prefix")
        self.order_number = partial(fusion_order_number, prefix=prefix, prefix_setting=setting)
        self.sites = SupplierSites(fusion, suppliers)
        self.business_unit: str = fusion.business_unit
        self.buyer = str(own.it.setting("buyer")).strip() or None

    def po_key(self, number: str) -> str:
        return po_source_key(number)

    def requisition_key(self, num: str, vendor_id: str | None = None) -> str:
        return requisition_source_key(num, vendor_id)

    def sent(self, key: str) -> str | None:
        """The Fusion POHeaderId this order was written as, None when it was never written."""
        xref = self.ledger.get_xref(self.own.name, ENTITY, "procurify", key, "fusion")
        return xref.target_id if xref is not None and xref.target_id else None

    def sent_as(self, key: str, target_id: str) -> str:
        return f"Fusion as order {self.order_number(key)} (POHeaderId {target_id})"

    def held_unread(self, key: str, vendor_id: str) -> Rejected | None:
        """``record``'s hold on an unpaired vendor, before the PO's read (other refusals show on release)."""
        pairing = self.own.pairing
        paired = pairing.paired_supplier(self.ledger, vendor_id) is not None
        return None if paired else held_unread(self.ledger, ENTITY, key, pairing.vendor_dependency(vendor_id))

    def paired_vendors(self, pos: Iterable[Mapping[str, Any]]) -> Iterator[str]:
        """The paired vendors of ``pos``: whose requisitions the POs' reads need (the others' are held)."""
        vendors = (id_of(po.get("pref_vendor")) for po in pos)
        return (v for v in vendors if v and self.own.pairing.paired_supplier(self.ledger, v) is not None)

    def requisition_by_key(self, key: str) -> list[Mapped | Rejected | Skipped]:
        """The requisition of source key ``REQ<n>[-<vendor>]`` read again (replay)."""
        return self.requisition_by_number(key.removeprefix("REQ").split("-")[0], key)

    def record(self, source: SourceOrder) -> Mapped | Rejected:
        """The Fusion order of ``source``: held on its vendor's pairing, refused naming what to fix, or
        mapped with its supplier, site and charge accounts."""
        key, label, description = source.source_key, source.label, notes(source.notes)
        order_number = self.order_number(key)
        mapped = order_lines(label, source.items, self.charges.combination)
        if mapped.problems:
            sentence = "; ".join(mapped.problems)
            return Rejected.of(key, refusal_for(sentence, mapped.problems, rule="order lines not mappable"))
        supplier_id = self.own.pairing.paired_supplier(self.ledger, source.vendor_id)
        depends_on: str | None = None
        supplier = site = ""
        if supplier_id is None:
            depends_on = self.own.pairing.vendor_dependency(source.vendor_id)
        else:
            found, why = self.sites.site_for(supplier_id, self.business_unit, "purchasing")
            if found is None:
                return Rejected.of(
                    key, refusal_for(f"{label}: {why}", [why or ""], rule="no purchasing site")
                )
            supplier, site = found.supplier, found.site
        draft = draft_order(
            order_number=order_number,
            business_unit=self.business_unit,
            supplier=supplier,
            supplier_site=site,
            currency=source.currency,
            description=description,
            buyer=self.buyer,
            lines=mapped.lines,
        )
        if depends_on is None:
            _payload, problem = checked_payload(draft)
            if problem:
                return Rejected.of(
                    key, refusal_for(f"{label}: {problem}", [problem], rule="order not writable")
                )
        body = body_of(draft)
        return Mapped(
            source_key=key,
            body=body,
            fields={
                "order": key,
                "order_number": order_number,
                "vendor": source.vendor_id,
                "description": description or "",
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
