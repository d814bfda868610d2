"""What the Procurify -> Oracle Fusion invoices flow reads for its bills (``invoices``' docstring holds the
rules): today's settings (approved statuses, business unit, tax / freight accounts, currency), and
``BillReader``: the Procurify side's approved-bill reader (``procurify.approved_bill_reader``) with what
only a Fusion invoice needs (the supplier's pay site, the PO lines each item bills,
``procurify.bill_order_lines``, and the Fusion orders, ``fusion.order_reads``) before
``bill_mappers.map_bill``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector_assets.flows.core import FlowSpec, Mapped, Rejected
from connector_assets.fusion.order_reads import order_number_of
from connector_assets.fusion.supplier_sites import SupplierSite, SupplierSites
from connector_assets.integrations.fusion_procurify.bill_mappers import BillInputs, FusionOrder, map_bill
from connector_assets.integrations.fusion_procurify.charge_accounts import ChargeAccounts
from connector_assets.integrations.fusion_procurify.integration import INTEGRATION
from connector_assets.integrations.fusion_procurify.po_numbers import po_source_key
from connector_assets.integrations.fusion_procurify.vendor_pairs import paired_supplier, vendor_dependency
from connector_assets.procurify import bill_fields
from connector_assets.procurify.approved_bill_reader import ApprovedBillReader
from connector_assets.procurify.bill_fields import bill_vendor_id, describe
from connector_assets.procurify.bill_order_lines import BillOrderLines
from connector_assets.procurify.bill_reads import BillWording
from connector_resources import settings
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


class BillReader(ApprovedBillReader):
    """The bills of the invoices ``flow``, on one Procurify and one Fusion session: the Procurify side's
    approved-bill reader, the vendor's pay site, the PO lines each item bills and the Fusion orders."""

    def __init__(
        self,
        procurify: Any,
        fusion: Any,
        ledger: Ledger,
        accounts: ChargeAccounts,
        rules: InvoiceRules,
        flow: FlowSpec,
    ) -> None:
        super().__init__(procurify, ledger, flow, rules.statuses, WORDING)
        self.procurify, self.fusion, self.accounts, self.rules = procurify, fusion, accounts, rules
        self.sites = SupplierSites(fusion)
        self.order_lines = BillOrderLines(procurify)
        self._orders: dict[int, FusionOrder] = {}

    def order(self, procurify_po: int) -> FusionOrder:
        """The Fusion order of a Procurify PO (read by the ``POHeaderId`` the purchase orders flow
        recorded), or a not-yet-written one carrying the key to wait on."""
        if procurify_po not in self._orders:
            key = po_source_key(procurify_po)
            xref = self.ledger.get_xref(INTEGRATION, ORDER_ENTITY, "procurify", key, "fusion")
            number, description = "", ""
            if xref is not None and xref.target_id:
                number, description = order_number_of(self.fusion, xref.target_id)
            if not number:
                self._orders[procurify_po] = FusionOrder(None, dependency=order_dependency(procurify_po))
            else:
                self._orders[procurify_po] = FusionOrder(number, description=description)
        return self._orders[procurify_po]

    def mapped(self, bill_uuid: str, full: Mapping[str, Any], updated_at: datetime) -> Mapped | Rejected:
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
            lines = self.order_lines.item_lines(full)
        except ProcurifyNotFoundError as exc:  # a PO the bill names is gone: never sent unmatched
            return Rejected(
                bill_uuid,
                f"{describe(full)}: a purchase order it bills cannot be read from Procurify "
                f"({exc}); nothing sent",
            )
        orders = {po: self.order(po) for po in {po for po, _ in lines.values()}}
        rules = self.rules
        inputs = BillInputs(
            bill=full,
            site=site,
            vendor_dependency=waits,
            business_unit=rules.business_unit,
            updated_at=updated_at,
            item_lines=lines,
            orders=orders,
            tax_account=rules.tax_account,
            freight_account=rules.freight_account,
            ledger_currency=rules.ledger_currency,
            conversion_rate_type=rules.conversion_rate_type,
        )
        return map_bill(inputs, self.accounts.combination)
