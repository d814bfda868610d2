"""Builds cross-consistent business objects as stored rows: suppliers with sites and addresses,
purchase orders with lines / schedules / distributions, requisitions, invoices with lines,
distributions and installments, and the payments that paid them.

Shared by the seed (timestamps spread over the history) and by the operator's business activity
(timestamps = now), so new records look exactly like seeded ones. Every reference is real: an
invoice names a supplier site of its business unit, a matched line names an existing PO line of
that supplier, a charge account is an enabled, postable combination of the business unit's company,
and an invoice's paid amount is the sum of its payments.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from ..word_tables import rows
from .store import Store
from .values import epoch_ms
from .vocabulary import (
    BU_BY_ID,
    BU_WEIGHTS,
    BUSINESS_UNITS,
    CATEGORIES,
    CHART_OF_ACCOUNTS_ID,
    CITIES,
    COUNTRY_NAMES,
    PAY_GROUPS,
    PAYMENT_TERMS,
    PEOPLE,
    SEGMENT_DELIMITER,
    SITE_CODES,
    STREETS,
    TERM_DAYS,
    BusinessUnit,
    precision,
)

Row = dict[str, Any]

# Id sequences: (counter name, first value). Fusion ids are 15-digit numbers (reference 2.3).
ID_FLOORS = {
    "supplier": 300000047200001,
    "party": 300000047300001,
    "site": 300000047500001,
    "address": 300000047800001,
    "po": 300000100000001,
    "po_line": 300000110000001,
    "po_schedule": 300000120000001,
    "po_distribution": 300000130000001,
    "requisition": 300000140000001,
    "requisition_line": 300000150000001,
    "requisition_distribution": 300000160000001,
    "invoice": 300000200000001,
    "invoice_line": 300000210000001,
    "invoice_distribution": 300000220000001,
    "invoice_installment": 300000230000001,
    "payment": 300000240000001,
    "related_invoice": 300000250000001,
    "code_combination": 10001,
    "value_set": 300000270000001,
    "value": 300000280000001,
    "payment_id": 1001,
    "payment_number": 50001,
    "supplier_number": 10001,
    "ppr": 1,
}
# Order and requisition numbers count per business unit, so the same number exists in two units.
ORDER_NUMBER_FLOOR = 1000001
REQUISITION_NUMBER_FLOOR = 20001

# (code, label, share of seeded documents): the weights pick_weighted draws with.
PO_STATUSES: tuple[tuple[str, str, float], ...] = rows("connector_sandbox.fusion", "PO_STATUSES")
REQUISITION_STATUSES: tuple[tuple[str, str, float], ...] = rows(
    "connector_sandbox.fusion", "REQUISITION_STATUSES"
)


def money(value: Decimal) -> int:
    """Stored form of an amount (2 decimals)."""
    return int((value * 100).quantize(Decimal(1)))


PAYABLES_SCALE = 3  # decimals Payables amounts are stored with (tables.txt): a KWD amount's fils too


def payables_money(value: Decimal) -> int:
    """Stored form of a Payables amount (invoices, their lines, payments: ``PAYABLES_SCALE`` decimals)."""
    return int(value.scaleb(PAYABLES_SCALE).quantize(Decimal(1)))


def payables_unit(currency: str) -> int:
    """The stored form of ``currency``'s smallest unit (1 yen = 1000, 1 cent = 10, 1 fils = 1)."""
    return 10 ** (PAYABLES_SCALE - precision(currency))


def quantity(value: Decimal) -> int:
    """Stored form of a quantity or unit price (4 decimals)."""
    return int((value * 10000).quantize(Decimal(1)))


@dataclass
class SiteRef:
    id: int
    code: str
    bu: BusinessUnit
    terms: str
    pay_group: str


@dataclass
class SupplierRef:
    id: int
    name: str
    number: str
    sites: list[SiteRef]

    def site_for(self, bu: BusinessUnit) -> SiteRef | None:
        return next((site for site in self.sites if site.bu.id == bu.id), None)


@dataclass
class PoLineRef:
    number: int
    amount: Decimal
    quantity: Decimal
    price: Decimal
    account: str
    uom: str
    description: str
    category: str


@dataclass
class OrderRef:
    id: int
    number: str
    bu: BusinessUnit
    supplier: SupplierRef
    site: SiteRef
    currency: str
    lines: list[PoLineRef]


@dataclass(frozen=True)
class Stamp:
    """Creation and last-update moments of one object."""

    created: dt.datetime
    updated: dt.datetime

    @cached_property
    def who(self) -> Row:
        return {
            "CreationDate": epoch_ms(self.created),
            "LastUpdateDate": epoch_ms(self.updated),
        }


@dataclass
class Batch:
    """Rows waiting to be inserted, per table."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def size(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush(self, store: Store) -> None:
        """Insert and commit (one transaction per chunk keeps the write-ahead log small)."""
        with store.transaction():
            for table, rows in self.rows.items():
                store.insert(table, rows)
        self.rows.clear()


class Factory:
    """Makes rows; ids come from in-memory counters written back to the store by ``save_counters``."""

    def __init__(self, store: Store, rng: random.Random, user: str) -> None:
        self.store = store
        self.rng = rng
        self.user = user
        self.counters: dict[str, int] = {}
        for name, value in store.conn.execute("SELECT name, value FROM sbx_counter"):
            self.counters[name] = value
        self.suppliers: list[SupplierRef] = []
        self.suppliers_by_bu: dict[int, list[SupplierRef]] = defaultdict(list)
        self.accounts: dict[str, list[tuple[int, str]]] = defaultdict(list)  # company -> postable expense
        self.accounts_by_natural: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)

    # --- ids and small helpers ---

    def next(self, name: str, floor: int | None = None) -> int:
        floor = ID_FLOORS.get(name, 1) if floor is None else floor
        value = max(floor, self.counters.get(name, floor - 1) + 1)
        self.counters[name] = value
        return value

    def save_counters(self) -> None:
        for name, value in self.counters.items():
            self.store.set_counter(name, value)

    def pick_bu(self) -> BusinessUnit:
        return self.rng.choices(BUSINESS_UNITS, weights=BU_WEIGHTS)[0]

    def pick_weighted(self, options: tuple[tuple[str, str, float], ...]) -> tuple[str, str]:
        code, label, _ = self.rng.choices(options, weights=[weight for *_, weight in options])[0]
        return code, label

    def who(self, stamp: Stamp) -> Row:
        return {**stamp.who, "CreatedBy": self.user, "LastUpdatedBy": self.user}

    def load_reference_data(self) -> None:
        """Suppliers, sites and postable accounts from the store (activity after a seed or restart)."""
        sites: dict[int, list[SiteRef]] = defaultdict(list)
        for row in self.store.conn.execute(
            'SELECT sbx_parent, "SupplierSiteId", "SupplierSite", "ProcurementBUId", "PaymentTerms", '
            '"PayGroup" FROM supplier_site WHERE "InactiveDate" IS NULL ORDER BY sbx_id'
        ):
            sites[row[0]].append(SiteRef(row[1], row[2], BU_BY_ID[row[3]], row[4], row[5]))
        self.suppliers, self.suppliers_by_bu = [], defaultdict(list)
        for row in self.store.conn.execute(
            'SELECT "SupplierId", "Supplier", "SupplierNumber" FROM supplier WHERE "Status" = \'ACTIVE\' '
            "ORDER BY sbx_id"
        ):
            if sites[row[0]]:
                self._remember(SupplierRef(row[0], row[1], row[2], sites[row[0]]))
        self.accounts, self.accounts_by_natural = defaultdict(list), defaultdict(list)
        for row in self.store.conn.execute(
            'SELECT "_CODE_COMBINATION_ID", "_SEGMENT1", "_SEGMENT2", "_SEGMENT3", "_SEGMENT4" '
            'FROM code_combination WHERE "EnabledFlag" = 1 AND "DetailPostingAllowed" = 1 '
            'AND "EndDateActive" IS NULL AND "AccountType" = \'E\' ORDER BY sbx_id'
        ):
            self._remember_account(row[0], tuple(row[1:]))

    def _remember(self, supplier: SupplierRef) -> None:
        self.suppliers.append(supplier)
        for site in supplier.sites:
            known = self.suppliers_by_bu[site.bu.id]
            if not known or known[-1] is not supplier:  # a supplier's sites are added together
                known.append(supplier)

    def _remember_account(self, ccid: int, segments: tuple[str, ...]) -> None:
        entry = (ccid, SEGMENT_DELIMITER.join(segments))
        self.accounts[segments[0]].append(entry)
        self.accounts_by_natural[(segments[0], segments[2])].append(entry)

    # --- chart of accounts ---

    def code_combination(
        self,
        segments: tuple[str, str, str, str],
        account_type: str,
        *,
        enabled: bool,
        posting: bool,
        start: dt.date,
        end: dt.date | None,
    ) -> Row:
        ccid = self.next("code_combination")
        if enabled and posting and end is None and account_type == "E":
            self._remember_account(ccid, segments)
        return {
            "sbx_id": ccid,
            "_CODE_COMBINATION_ID": ccid,
            "_CHART_OF_ACCOUNTS_ID": CHART_OF_ACCOUNTS_ID,
            "EnabledFlag": int(enabled),
            "DetailPostingAllowed": int(posting),
            "DetailBudgetingAllowed": int(posting),
            "AccountType": account_type,
            "StartDateActive": start.isoformat(),
            "EndDateActive": end.isoformat() if end else None,
            "_SEGMENT1": segments[0],
            "_SEGMENT2": segments[1],
            "_SEGMENT3": segments[2],
            "_SEGMENT4": segments[3],
        }

    def account_for(self, bu: BusinessUnit, natural: str | None = None) -> tuple[int, str]:
        options = self.accounts_by_natural.get((bu.company, natural or ""), []) or self.accounts[bu.company]
        return self.rng.choice(options)

    # --- suppliers ---

    def supplier(
        self, batch: Batch, name: str, country: str, stamp: Stamp, *, inactive: bool = False
    ) -> SupplierRef:
        supplier_id = self.next("supplier")
        number = str(self.next("supplier_number"))
        batch.add(
            "supplier",
            {
                "sbx_id": supplier_id,
                "SupplierId": supplier_id,
                "Supplier": name,
                "SupplierNumber": number,
                "AlternateName": None,
                "SupplierPartyId": self.next("party"),
                "TaxOrganizationType": self.rng.choice(("Corporation", "Partnership", "Individual")),
                "SupplierType": "Supplier",
                "BusinessRelationship": "Spend Authorized",
                "Status": "INACTIVE" if inactive else "ACTIVE",
                "InactiveDate": stamp.updated.date().isoformat() if inactive else None,
                "TaxpayerId": f"{self.rng.randrange(10, 99)}-{self.rng.randrange(1000000, 9999999)}",
                **self.who(stamp),
            },
        )
        cities = CITIES.get(country, CITIES["US"])
        units = [BUSINESS_UNITS[0]] + [unit for unit in BUSINESS_UNITS[1:] if self.rng.random() < 0.35]
        sites: list[SiteRef] = []
        codes = self.rng.sample(SITE_CODES, k=len(units))
        for unit, code in zip(units, codes, strict=True):
            address_id = self.next("address")
            city, state, postal = self.rng.choice(cities)
            address_name = f"{city} {code}"[:240]
            batch.add(
                "supplier_address",
                {
                    "sbx_id": address_id,
                    "sbx_parent": supplier_id,
                    "SupplierAddressId": address_id,
                    "AddressName": address_name,
                    "AddressLine1": f"{self.rng.randrange(1, 999)} {self.rng.choice(STREETS)}",
                    "AddressLine2": None,
                    "City": city,
                    "State": state,
                    "PostalCode": postal,
                    "Country": COUNTRY_NAMES.get(country, country),
                    "CountryCode": country,
                    **self.who(stamp),
                },
            )
            site = SiteRef(
                self.next("site"), code, unit, self.rng.choice(PAYMENT_TERMS), self.rng.choice(PAY_GROUPS)
            )
            batch.add(
                "supplier_site",
                {
                    "sbx_id": site.id,
                    "sbx_parent": supplier_id,
                    "sbx_bu": unit.id,
                    "SupplierSiteId": site.id,
                    "SupplierSite": code,
                    "ProcurementBUId": unit.id,
                    "ProcurementBU": unit.name,
                    "SupplierAddressId": address_id,
                    "AddressName": address_name,
                    "SitePurposePurchasingFlag": 1,
                    "SitePurposePayFlag": 1,
                    "PaymentTerms": site.terms,
                    "PayGroup": site.pay_group,
                    "InactiveDate": None,
                    **self.who(stamp),
                },
            )
            sites.append(site)
        ref = SupplierRef(supplier_id, name, number, sites)
        if not inactive:
            self._remember(ref)
        return ref

    # --- purchase orders ---

    def purchase_order(
        self,
        batch: Batch,
        stamp: Stamp,
        *,
        status: tuple[str, str] | None = None,
        line_count: int | None = None,
    ) -> OrderRef:
        bu = self.pick_bu()
        supplier = self.rng.choice(self.suppliers_by_bu[bu.id])
        site = supplier.site_for(bu)
        assert site is not None
        code, label = status or self.pick_weighted(PO_STATUSES)
        po_id = self.next("po")
        number = str(self.next(f"order_number:{bu.name}", ORDER_NUMBER_FLOOR))
        buyer_id, buyer = self.rng.choice(PEOPLE)
        lines: list[PoLineRef] = []
        total = Decimal(0)
        for line_number in range(1, (line_count or self.rng.randint(1, 6)) + 1):
            category, natural, uom, uom_code, descriptions = self.rng.choice(CATEGORIES)
            qty = Decimal(self.rng.choice((1, 2, 5, 10, 12, 25, 40, 100)))
            price = Decimal(self.rng.randrange(150, 250000)) / 100
            amount = (qty * price).quantize(Decimal("0.01"))
            ccid, account = self.account_for(bu, natural)
            description = self.rng.choice(descriptions)
            line_id = self.next("po_line")
            batch.add(
                "po_line",
                {
                    "sbx_id": line_id,
                    "sbx_parent": po_id,
                    "POLineId": line_id,
                    "LineNumber": line_number,
                    "LineType": "Goods" if uom != "Hour" else "Services",
                    "Item": None if uom == "Hour" else f"ITM-{self.rng.randrange(10000, 99999)}",
                    "Description": description,
                    "CategoryName": category,
                    "Quantity": quantity(qty),
                    "UOMCode": uom_code,
                    "UOM": uom,
                    "Price": quantity(price),
                    "Amount": money(amount),
                    "CurrencyCode": bu.currency,
                    **self.who(stamp),
                },
            )
            schedule_id = self.next("po_schedule")
            received = qty if code in {"CLOSED", "FINALLY CLOSED"} else Decimal(0)
            batch.add(
                "po_schedule",
                {
                    "sbx_id": schedule_id,
                    "sbx_parent": line_id,
                    "LineLocationId": schedule_id,
                    "ScheduleNumber": 1,
                    "Quantity": quantity(qty),
                    "QuantityReceived": quantity(received),
                    "QuantityBilled": quantity(received),
                    "RequestedDeliveryDate": (stamp.created.date() + dt.timedelta(days=14)).isoformat(),
                    "ShipToLocation": bu.bill_to_location,
                    **self.who(stamp),
                },
            )
            distribution_id = self.next("po_distribution")
            batch.add(
                "po_distribution",
                {
                    "sbx_id": distribution_id,
                    "sbx_parent": schedule_id,
                    "PODistributionId": distribution_id,
                    "DistributionNumber": 1,
                    "Quantity": quantity(qty),
                    "POChargeAccountId": ccid,
                    "POChargeAccount": account,
                    **self.who(stamp),
                },
            )
            lines.append(PoLineRef(line_number, amount, qty, price, account, uom, description, category))
            total += amount
        batch.add(
            "po_header",
            {
                "sbx_id": po_id,
                "sbx_bu": bu.id,
                "POHeaderId": po_id,
                "OrderNumber": number,
                "Description": f"{lines[0].description} and {len(lines) - 1} more"
                if len(lines) > 1
                else lines[0].description,
                "DocumentStyle": "Purchase Order",
                "StatusCode": code,
                "Status": label,
                "ProcurementBUId": bu.id,
                "ProcurementBU": bu.name,
                "RequisitioningBUId": bu.id,
                "RequisitioningBU": bu.name,
                "SoldToLegalEntityId": bu.legal_entity_id,
                "SoldToLegalEntity": bu.legal_entity,
                "BillToBUId": bu.id,
                "BillToBU": bu.name,
                "BillToLocationId": bu.bill_to_location_id,
                "BillToLocation": bu.bill_to_location,
                "BuyerId": buyer_id,
                "Buyer": buyer,
                "SupplierId": supplier.id,
                "Supplier": supplier.name,
                "SupplierSiteId": site.id,
                "SupplierSite": site.code,
                "CurrencyCode": bu.currency,
                "Currency": bu.currency_name,
                "Ordered": money(total),
                "PaymentTerms": site.terms,
                "OrderDate": stamp.created.date().isoformat(),
                **self.who(stamp),
            },
        )
        return OrderRef(po_id, number, bu, supplier, site, bu.currency, lines)

    def requisition(self, batch: Batch, stamp: Stamp, order: OrderRef | None) -> None:
        bu = order.bu if order else self.pick_bu()
        code, label = ("APPROVED", "Approved") if order else self.pick_weighted(REQUISITION_STATUSES)
        header_id = self.next("requisition")
        preparer_id, preparer = self.rng.choice(PEOPLE)
        total = Decimal(0)
        if order:
            plan = [
                (line.description, line.quantity, line.price, line.uom, line.account, line.category)
                for line in order.lines
            ]
        else:
            plan = []
            for _ in range(self.rng.randint(1, 4)):
                category, natural, uom, _code, descriptions = self.rng.choice(CATEGORIES)
                plan.append(
                    (
                        self.rng.choice(descriptions),
                        Decimal(self.rng.choice((1, 3, 10, 50))),
                        Decimal(self.rng.randrange(150, 90000)) / 100,
                        uom,
                        self.account_for(bu, natural)[1],
                        category,
                    )
                )
        for line_number, (description, qty, price, uom, account, category) in enumerate(plan, start=1):
            amount = (qty * price).quantize(Decimal("0.01"))
            total += amount
            line_id = self.next("requisition_line")
            supplier = order.supplier if order else None
            site = order.site if order else None
            batch.add(
                "requisition_line",
                {
                    "sbx_id": line_id,
                    "sbx_parent": header_id,
                    "RequisitionLineId": line_id,
                    "LineNumber": line_number,
                    "Description": description,
                    "CategoryName": category,
                    "Quantity": quantity(qty),
                    "UOM": uom,
                    "Price": quantity(price),
                    "CurrencyCode": bu.currency,
                    "LineAmount": money(amount),
                    "SupplierId": supplier.id if supplier else None,
                    "Supplier": supplier.name if supplier else None,
                    "SupplierSiteId": site.id if site else None,
                    "SupplierSite": site.code if site else None,
                    "RequestedDeliveryDate": (stamp.created.date() + dt.timedelta(days=21)).isoformat(),
                    "POHeaderId": order.id if order else None,
                    "OrderNumber": order.number if order else None,
                    **self.who(stamp),
                },
            )
            distribution_id = self.next("requisition_distribution")
            ccid = next((cc for cc, text in self.accounts[bu.company] if text == account), None)
            batch.add(
                "requisition_distribution",
                {
                    "sbx_id": distribution_id,
                    "sbx_parent": line_id,
                    "RequisitionDistributionId": distribution_id,
                    "DistributionNumber": 1,
                    "Quantity": quantity(qty),
                    "ChargeAccountId": ccid,
                    "ChargeAccount": account,
                    **self.who(stamp),
                },
            )
        batch.add(
            "requisition",
            {
                "sbx_id": header_id,
                "sbx_bu": bu.id,
                "RequisitionHeaderId": header_id,
                "Requisition": str(self.next(f"requisition_number:{bu.name}", REQUISITION_NUMBER_FLOOR)),
                "Description": plan[0][0],
                "Justification": None,
                "DocumentStatusCode": code,
                "DocumentStatus": label,
                "RequisitioningBUId": bu.id,
                "RequisitioningBU": bu.name,
                "PreparerId": preparer_id,
                "Preparer": preparer,
                "FunctionalCurrencyCode": bu.currency,
                "Amount": money(total),
                **self.who(stamp),
            },
        )

    # --- invoices and payments ---

    def invoice(
        self,
        batch: Batch,
        stamp: Stamp,
        *,
        order: OrderRef | None,
        number: str | None = None,
        description: str | None = None,
    ) -> Row:
        """An invoice (matched to ``order`` when given); returns the header row for later payment."""
        if order:
            bu, supplier, site, currency = order.bu, order.supplier, order.site, order.currency
        else:
            bu = self.pick_bu()
            supplier = self.rng.choice(self.suppliers_by_bu[bu.id])
            site = supplier.site_for(bu)
            assert site is not None
            currency = bu.currency
        invoice_id = self.next("invoice")
        invoice_date = stamp.created.date() - dt.timedelta(days=self.rng.randint(0, 10))
        lines: list[tuple[Row, list[Row]]] = []
        total = Decimal(0)
        line_plan: list[tuple[str, Decimal, PoLineRef | None, str]] = []
        if order:
            for po_line in order.lines[: self.rng.randint(1, len(order.lines))]:
                line_plan.append(("Item", po_line.amount, po_line, po_line.account))
            if self.rng.random() < 0.3:
                line_plan.append(
                    (
                        "Freight",
                        Decimal(self.rng.randrange(500, 20000)) / 100,
                        None,
                        self.account_for(bu, "65000")[1],
                    )
                )
        else:
            for _ in range(self.rng.randint(1, 3)):
                line_plan.append(
                    ("Item", Decimal(self.rng.randrange(500, 900000)) / 100, None, self.account_for(bu)[1])
                )
        for line_number, (line_type, amount, po_line, account) in enumerate(line_plan, start=1):
            total += amount
            line_id = self.next("invoice_line")
            line = {
                "sbx_id": line_id,
                "sbx_parent": invoice_id,
                "LineNumber": line_number,
                "LineType": line_type,
                "LineAmount": payables_money(amount),
                "Description": po_line.description
                if po_line
                else ("Freight" if line_type == "Freight" else None),
                "Quantity": quantity(po_line.quantity) if po_line else None,
                "UnitPrice": quantity(po_line.price) if po_line else None,
                "UOM": po_line.uom if po_line else None,
                "PurchaseOrderNumber": order.number if (order and po_line) else None,
                "PurchaseOrderLineNumber": po_line.number if po_line else None,
                "PurchaseOrderScheduleLineNumber": 1 if po_line else None,
                "DistributionCombination": account,
                "AccountingDate": invoice_date.isoformat(),
                "CanceledFlag": 0,
                **self.who(stamp),
            }
            distribution_id = self.next("invoice_distribution")
            distribution = {
                "sbx_id": distribution_id,
                "sbx_parent": line_id,
                "InvoiceDistributionId": distribution_id,
                "DistributionLineNumber": 1,
                "DistributionLineType": line_type,
                "DistributionAmount": payables_money(amount),
                "DistributionCombination": account,
                "AccountingDate": invoice_date.isoformat(),
                "Description": line["Description"],
                **self.who(stamp),
            }
            lines.append((line, [distribution]))
        requester = self.rng.choice(PEOPLE)[1]
        header = {
            "sbx_id": invoice_id,
            "sbx_bu": bu.id,
            "InvoiceId": invoice_id,
            "InvoiceNumber": number
            or f"{self.rng.choice(('INV', 'RE', 'FA', 'BILL'))}-{invoice_date:%Y}-{invoice_id % 1000000:06d}",
            "InvoiceCurrency": currency,
            "PaymentCurrency": currency,
            "InvoiceAmount": payables_money(total),
            "InvoiceDate": invoice_date.isoformat(),
            "BusinessUnit": bu.name,
            "Supplier": supplier.name,
            "SupplierNumber": supplier.number,
            "ProcurementBU": bu.name,
            "SupplierSite": site.code,
            "Requester": requester,
            "InvoiceGroup": f"SBX-{invoice_date:%Y-%m-%d}",
            "ConversionRateType": None,
            "ConversionDate": None,
            "ConversionRate": None,
            "AccountingDate": invoice_date.isoformat(),
            "Description": description or (f"PO {order.number}" if order else "Services rendered"),
            "DeliveryChannelCode": None,
            "DeliveryChannel": None,
            "PayAloneFlag": 0,
            "InvoiceSource": self.rng.choice(("Manual invoice entry", "Spreadsheet", "Imaging", "External")),
            "InvoiceType": "Standard",
            "PayGroup": site.pay_group,
            "InvoiceReceivedDate": invoice_date.isoformat(),
            "PaymentReasonCode": None,
            "PaymentReason": None,
            "PaymentReasonComments": None,
            "PaymentTerms": site.terms,
            "ValidationStatus": "Validated",
            "ApprovalStatus": "Approved",
            "PaidStatus": "Unpaid",
            "AmountPaid": 0,
            "CanceledFlag": 0,
            "CanceledDate": None,
            "AccountingStatus": "Accounted",
            **self.who(stamp),
        }
        roll = self.rng.random()
        if roll < 0.05:
            header.update(
                ValidationStatus="Canceled",
                CanceledFlag=1,
                CanceledDate=stamp.updated.date().isoformat(),
                InvoiceAmount=0,
                ApprovalStatus="Not required",
                AccountingStatus="Accounted",
            )
        elif roll < 0.15:
            header.update(
                ValidationStatus="Needs revalidation",
                ApprovalStatus="Required",
                AccountingStatus="Unaccounted",
            )
        elif roll < 0.3:
            header.update(
                ValidationStatus="Not validated", ApprovalStatus="Required", AccountingStatus="Unaccounted"
            )
        batch.add("invoice", header)
        for line, distributions in lines:
            batch.add("invoice_line", line)
            for distribution in distributions:
                batch.add("invoice_distribution", distribution)
        self.installment(batch, header, stamp)
        return header

    def installment(self, batch: Batch, header: Row, stamp: Stamp) -> None:
        due = dt.date.fromisoformat(header["InvoiceDate"]) + dt.timedelta(
            days=TERM_DAYS.get(header["PaymentTerms"], 30)
        )
        installment_id = self.next("invoice_installment")
        batch.add(
            "invoice_installment",
            {
                "sbx_id": installment_id,
                "sbx_parent": header["InvoiceId"],
                "InstallmentNumber": 1,
                "DueDate": due.isoformat(),
                "GrossAmount": header["InvoiceAmount"],
                "UnpaidAmount": header["InvoiceAmount"] - header["AmountPaid"],
                "HoldFlag": 0,
                "PaymentPriority": 99,
                **self.who(stamp),
            },
        )
        header["_installment"] = batch.rows["invoice_installment"][-1]

    def pay(
        self,
        batch: Batch,
        invoices: list[Row],
        stamp: Stamp,
        *,
        partial: bool = False,
        void: bool = False,
        amount: int | None = None,
        payment_date: dt.date | None = None,
    ) -> Row:
        """One payment paying ``invoices`` (same supplier, currency and business unit): on each what is
        open, half of it when ``partial``, or ``amount`` (stored form) when given; dated ``payment_date``
        (default: the day of ``stamp.created``)."""
        first = invoices[0]
        check_id = self.next("payment")
        payment_number = self.next("payment_number")
        total = 0
        for header in invoices:
            outstanding = header["InvoiceAmount"] - header["AmountPaid"]
            # Half of what is open, down to the currency's smallest unit (no half yen, no tenth of a cent).
            unit = payables_unit(header["InvoiceCurrency"])
            half = outstanding // 2 // unit * unit
            paid = amount if amount is not None else half if partial else outstanding
            total += paid
            related_id = self.next("related_invoice")
            batch.add(
                "related_invoice",
                {
                    "sbx_id": related_id,
                    "sbx_parent": check_id,
                    "InvoicePaymentId": related_id,
                    "InvoiceId": header["InvoiceId"],
                    "InvoiceNumber": header["InvoiceNumber"],
                    "InstallmentNumber": 1,
                    "AmountPaid": paid,
                    "InvoiceCurrency": header["InvoiceCurrency"],
                    **self.who(stamp),
                },
            )
            if not void:
                header["AmountPaid"] += paid
                fully = header["AmountPaid"] >= header["InvoiceAmount"]
                header["PaidStatus"] = "Paid" if fully else "Partially paid"
                installment = header.get("_installment")
                if installment is not None:
                    installment["UnpaidAmount"] = header["InvoiceAmount"] - header["AmountPaid"]
                    installment["LastUpdateDate"] = epoch_ms(stamp.updated)
            header["LastUpdateDate"] = max(header["LastUpdateDate"], epoch_ms(stamp.updated))
        payment_date = payment_date or stamp.created.date()
        method = self.rng.choice(("CHECK", "EFT", "WIRE"))
        row = {
            "sbx_id": check_id,
            "sbx_bu": first["sbx_bu"],
            "CheckId": check_id,
            "PaymentId": self.next("payment_id"),
            "PaymentNumber": payment_number,
            "PaymentReference": None,
            "PaperDocumentNumber": payment_number if method == "CHECK" else None,
            "PaymentFileReference": None
            if method == "CHECK"
            else f"PF-{payment_date:%Y%m%d}-{self.rng.randrange(100, 999)}",
            "PaymentProcessRequest": f"PPR-{payment_date:%Y%m%d}-{self.next('ppr')}",
            "PaymentAmount": total,
            "PaymentCurrency": first["PaymentCurrency"],
            "PaymentDate": payment_date.isoformat(),
            "AccountingDate": payment_date.isoformat(),
            "PaymentDescription": None,
            "PaymentMethodCode": method,
            "Payee": first["Supplier"],
            "SupplierNumber": first["SupplierNumber"],
            "BusinessUnit": first["BusinessUnit"],
            "ConversionRate": None,
            "ConversionDate": None,
            "ConversionRateType": "Corporate"
            if first["PaymentCurrency"] != BU_BY_ID[first["sbx_bu"]].currency
            else None,
            "ClearingDate": (payment_date + dt.timedelta(days=3)).isoformat()
            if self.rng.random() < 0.5
            else None,
            "ClearingAmount": None,
            "MaturityDate": None,
            "StopDate": None,
            "VoidDate": payment_date.isoformat() if void else None,
            "VoidAccountingDate": payment_date.isoformat() if void else None,
            **self.who(stamp),
        }
        if row["ClearingDate"]:
            row["ClearingAmount"] = total
        batch.add("payment", row)
        return row
