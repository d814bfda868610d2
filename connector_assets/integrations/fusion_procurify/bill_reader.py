"""What the Procurify -> Oracle Fusion invoices flow reads for its bills (``invoices``' docstring holds the
rules): today's settings (approved statuses, business unit, tax / freight accounts, currency), and
``BillReader``, which takes each staged bill through the Procurify side's approved-bill read
(``procurify.bill_reads``) and gathers what only a Fusion invoice needs (the supplier's pay site, the PO
lines each item bills, the Fusion orders) before ``bill_mappers.map_bill``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector_assets.flows.core import Rejected
from connector_assets.fusion.supplier_sites import SupplierSite, SupplierSites
from connector_assets.integrations.fusion_procurify.bill_mappers import (
    BillInputs,
    FusionOrder,
    map_bill,
    po_line_number,
)
from connector_assets.integrations.fusion_procurify.charge_accounts import ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.po_numbers import po_source_key
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, vendor_dependency
from connector_assets.procurify import bill_fields
from connector_assets.procurify.bill_fields import bill_vendor_id, describe, order_item
from connector_assets.procurify.bill_reads import (
    BillOutcome,
    BillWording,
    approved_full_bill,
    refused_after_sent,
)
from connector_assets.procurify.record_reads import mapped_or_queued
from connector_resources import settings
from connector_resources.fusion.errors import FusionNotFoundError
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.procurify.errors import ProcurifyNotFoundError

ENTITY = "invoice"
ORDER_ENTITY = "purchase_order"  # the purchase orders flow's xref: "PO<n>" -> Fusion POHeaderId
STATUSES_ENV = "ML_FUSION_PROCURIFY_BILL_STATUSES"
TAX_ACCOUNT_ENV = "ML_FUSION_PROCURIFY_BILL_TAX_ACCOUNT"
FREIGHT_ACCOUNT_ENV = "ML_FUSION_PROCURIFY_BILL_FREIGHT_ACCOUNT"
LEDGER_CURRENCY_ENV = "ML_FUSION_PROCURIFY_LEDGER_CURRENCY"
RATE_TYPE_ENV = "ML_FUSION_PROCURIFY_CONVERSION_RATE_TYPE"
BUSINESS_UNIT_ENV = "ML_FUSION_BUSINESS_UNIT"
WORDING = BillWording(
    sent_as="sent to Fusion as invoice {posted}",
    never="cancels a Fusion invoice; cancel it in Fusion",
    not_again="not sent to Fusion again",
    not_sent="not sent",
    nothing_again="nothing sent",
)


# -- settings -------------------------------------------------------------------------------------------


def approved_statuses() -> frozenset[int]:
    """``ML_FUSION_PROCURIFY_BILL_STATUSES``: the bill status codes (§2.6) that count as approved."""
    return bill_fields.approved_statuses(STATUSES_ENV)


@dataclass(frozen=True)
class InvoiceRules:
    """Today's settings for invoices: approved statuses, business unit, tax / freight accounts, currency."""

    statuses: frozenset[int]
    business_unit: str
    tax_account: str | None
    freight_account: str | None
    ledger_currency: str
    conversion_rate_type: str

    @classmethod
    def from_settings(cls) -> InvoiceRules:
        unit = settings.read(BUSINESS_UNIT_ENV)
        currency = settings.read(LEDGER_CURRENCY_ENV).upper()
        return cls(
            approved_statuses(),
            unit,
            settings.value(TAX_ACCOUNT_ENV).strip() or None,
            settings.value(FREIGHT_ACCOUNT_ENV).strip() or None,
            currency,
            settings.value(RATE_TYPE_ENV).strip() or "Corporate",
        )


# -- what the flow reads --------------------------------------------------------------------------------


def order_dependency(procurify_po: int) -> str:
    """What a bill of Procurify PO ``procurify_po`` waits on until that PO is in Fusion: the purchase
    orders flow's dependency key of it (``fusion_procurify:purchase_order:procurify:PO<n>``)."""
    return dependency_key(INTEGRATION, ORDER_ENTITY, "procurify", po_source_key(procurify_po))


def _po_number(value: Any) -> int | None:
    text = "" if value is None or isinstance(value, bool) else str(value).strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


class BillReader:
    """What one mapped step (or replay) reads for its bills: each full bill, the Procurify POs they bill,
    the pairs, sites and Fusion orders, on one Procurify and one Fusion session."""

    def __init__(
        self,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        accounts: ChargeAccounts,
        rules: InvoiceRules,
    ) -> None:
        self.procurify, self.fusion, self.ledger, self.accounts, self.rules = (
            procurify,
            fusion,
            ledger,
            accounts,
            rules,
        )
        self.sites = SupplierSites(fusion)
        self._po_lines: dict[int, dict[str, int]] = {}  # Procurify PO -> order item id -> PO_line_num
        self._orders: dict[int, FusionOrder] = {}
        self._po_by_uuid: dict[str, int | None] = {}  # Procurify PO uuid -> its procurify_PO

    def posted(self, bill_uuid: str) -> str | None:
        xref = self.ledger.get_xref(INTEGRATION, ENTITY, "procurify", bill_uuid, "fusion")
        return xref.target_id if xref is not None and xref.target_id else None

    def po_lines(self, procurify_po: int) -> dict[str, int]:
        """Order item id -> ``PO_line_num`` of a Procurify PO, read by number once per run."""
        if procurify_po not in self._po_lines:
            detail = self.procurify.get("purchase_orders", procurify_po)
            lines: dict[str, int] = {}
            for line in detail.get("order_items") or []:
                number = po_line_number(line) if isinstance(line, Mapping) else None
                if number is not None and line.get("id") is not None:
                    lines[str(line["id"])] = number
            self._po_lines[procurify_po] = lines
        return self._po_lines[procurify_po]

    def added_po(self, entry: Any) -> int | None:
        """The Procurify PO number an ``added_purchase_orders`` entry names. procurify.md §2.6 lists the
        field, not its shape, so besides a summary's ``procurify_PO`` a bare entry is read too: digits are
        the number, anything else a PO UUID read once (``GET /api/v2/purchase_orders/{uuid}/``, which §2.5
        accepts) for its ``procurify_PO``; otherwise a bill of a PO would be sent unmatched."""
        if isinstance(entry, Mapping):
            return _po_number(entry.get("procurify_PO"))
        ident = "" if entry is None or isinstance(entry, bool) else str(entry).strip()
        if not ident or ident.isdigit():
            return _po_number(ident)
        if ident not in self._po_by_uuid:
            detail = self.procurify.get("purchase_orders", ident)
            self._po_by_uuid[ident] = _po_number(detail.get("procurify_PO"))
        return self._po_by_uuid[ident]

    def item_lines(self, bill: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
        """Order item id -> (Procurify PO number, PO line number) of each item that bills a PO line. One
        PO on the bill: every such item is of it (no call); several: each PO is read for its lines."""
        pos = [
            number
            for entry in bill.get("added_purchase_orders") or []
            if (number := self.added_po(entry)) is not None
        ]
        found: dict[str, tuple[int, int]] = {}
        for item in bill.get("items") or []:
            line = order_item(item) if isinstance(item, Mapping) else None
            if line is None or line.get("id") is None or not pos:
                continue
            if len(pos) == 1:
                number = po_line_number(line)
                if number is not None:
                    found[str(line["id"])] = (pos[0], number)
                continue
            for po in pos:
                number = self.po_lines(po).get(str(line["id"]))
                if number is not None:
                    found[str(line["id"])] = (po, number)
                    break
        return found

    def order(self, procurify_po: int) -> FusionOrder:
        """The Fusion order of a Procurify PO (read by the ``POHeaderId`` the purchase orders flow
        recorded), or a not-yet-written one carrying the key to wait on."""
        if procurify_po not in self._orders:
            key = po_source_key(procurify_po)
            xref = self.ledger.get_xref(INTEGRATION, ORDER_ENTITY, "procurify", key, "fusion")
            if xref is None or not xref.target_id:
                self._orders[procurify_po] = FusionOrder(None, dependency=order_dependency(procurify_po))
            else:
                try:
                    record = self.fusion.get("purchase_orders", xref.target_id)
                except FusionNotFoundError:  # a draft not yet submitted: read as a draft, by its id
                    drafts = self.fusion.search("draft_purchase_orders", {"POHeaderId": int(xref.target_id)})
                    record = drafts[0] if drafts else {}
                # The number Fusion has (it numbers the order unless ML_FUSION_SEND_UNCONFIRMED lets us),
                # never the one we would have sent: a bill matched to a number Fusion lacks is refused.
                number = str(record.get("OrderNumber") or "").strip()
                if not number:
                    self._orders[procurify_po] = FusionOrder(None, dependency=order_dependency(procurify_po))
                else:
                    self._orders[procurify_po] = FusionOrder(
                        number, description=str(record.get("Description") or "").strip()
                    )
        return self._orders[procurify_po]

    def record(self, bill: Mapping[str, Any], updated_at: datetime) -> BillOutcome:
        """The bill (slim or full) as a Fusion invoice, a refusal, a skip, or None when it is none of this
        flow's business (not approved, never sent). Procurify not answering a read this bill needs (its
        full record, its POs' lines) after every retry queues the bill; the rest of the day still goes."""
        return mapped_or_queued(
            str(bill.get("uuid") or ""), describe(bill), lambda: self._record(bill, updated_at)
        )

    def _record(self, bill: Mapping[str, Any], updated_at: datetime) -> BillOutcome:
        bill_uuid = str(bill.get("uuid") or "")
        posted = self.posted(bill_uuid)
        # A read that fails after every retry raises for ``record``, which queues the bill.
        full = approved_full_bill(
            self.procurify, bill, statuses=self.rules.statuses, posted=posted, wording=WORDING
        )
        if not isinstance(full, Mapping):
            return full
        full = {**full, "uuid": bill_uuid}
        vendor_id = bill_vendor_id(full)
        site: SupplierSite | None = None
        waits = ""
        if vendor_id:
            supplier_id = paired_supplier(self.ledger, vendor_id)
            if supplier_id is None:
                waits = vendor_dependency(vendor_id)
            else:
                site, problem = self.sites.site_for(supplier_id, self.rules.business_unit, "pay")
                if site is None:
                    return Rejected(bill_uuid, f"{describe(full)}: {problem}")
        try:
            lines = self.item_lines(full)
        except ProcurifyNotFoundError as exc:  # a PO the bill names is gone: never sent unmatched
            return Rejected(
                bill_uuid,
                f"{describe(full)}: a purchase order it bills cannot be read from Procurify "
                f"({exc}); nothing sent",
            )
        orders = {po: self.order(po) for po in {po for po, _ in lines.values()}}
        inputs = BillInputs(
            bill=full,
            site=site,
            vendor_dependency=waits,
            business_unit=self.rules.business_unit,
            updated_at=updated_at,
            item_lines=lines,
            orders=orders,
            tax_account=self.rules.tax_account,
            freight_account=self.rules.freight_account,
            ledger_currency=self.rules.ledger_currency,
            conversion_rate_type=self.rules.conversion_rate_type,
        )
        mapped = map_bill(inputs, self.accounts.combination)
        return refused_after_sent(bill_uuid, mapped, posted, WORDING)
