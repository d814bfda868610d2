"""The business objects the sandbox pod serves, described once as data.

Oracle generates every Fusion REST resource from a business object with the same ADF framework, so
the sandbox does the same: a ``Table`` names the stored attributes (PascalCase exactly as the REST
docs spell them, type, length, whether a client may set them), and a ``Resource`` is a REST view of
a table (key, children, finders, actions, whether it can be created). The generic collection and
item code in ``app.py`` then behaves identically for every resource, as the real framework does.

Names the reference confirms are used as is; the others are the most likely spelling and can be
renamed per resource with ``BehaviourSettings.attribute_names`` (README lists them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(Enum):
    INT = "integer"  # int64 ids and counters
    NUMBER = "number"  # amounts, quantities, rates: stored as scaled integers, served as JSON numbers
    STRING = "string"
    DATE = "date"  # yyyy-MM-dd
    DATETIME = "datetime"  # stored as epoch milliseconds UTC, served ISO-8601 with +00:00
    BOOL = "boolean"


@dataclass(frozen=True)
class Attr:
    name: str
    kind: Kind
    max_length: int | None = None
    scale: int = 0  # decimals kept for NUMBER
    # Status attributes, WHO columns and ids cannot be set by POST or PATCH (reference quirk 8).
    read_only: bool = False
    updatable: bool = False  # PATCH may change it (creatable attributes are not all updatable)
    queryable: bool = True


def _who() -> tuple[Attr, ...]:
    return (
        Attr("CreationDate", Kind.DATETIME, read_only=True),
        Attr("CreatedBy", Kind.STRING, 64, read_only=True),
        Attr("LastUpdateDate", Kind.DATETIME, read_only=True),
        Attr("LastUpdatedBy", Kind.STRING, 64, read_only=True),
    )


def _s(name: str, length: int, **flags: bool) -> Attr:
    return Attr(name, Kind.STRING, length, **flags)


def _i(name: str, **flags: bool) -> Attr:
    return Attr(name, Kind.INT, **flags)


def _n(name: str, scale: int = 2, **flags: bool) -> Attr:
    return Attr(name, Kind.NUMBER, scale=scale, **flags)


def _d(name: str, **flags: bool) -> Attr:
    return Attr(name, Kind.DATE, **flags)


def _b(name: str, **flags: bool) -> Attr:
    return Attr(name, Kind.BOOL, **flags)


@dataclass(frozen=True)
class Table:
    """Stored rows of one business object. Every table also has the sandbox's own columns:
    ``sbx_id`` (row id = the object's id where it has a visible one), ``sbx_parent`` (the parent
    row of a child), ``sbx_version`` (object version, behind ETag / changeIndicator) and ``sbx_bu``
    (the business unit id data security filters on)."""

    name: str
    attributes: tuple[Attr, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    def attr(self, name: str) -> Attr:
        return next(attribute for attribute in self.attributes if attribute.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(attribute.name for attribute in self.attributes)


def _table(
    name: str, attributes: tuple[Attr, ...], indexes: tuple[tuple[str, ...], ...] = (), *, who: bool = True
) -> Table:
    """A table of a business object; ADF gives every one the WHO columns, after its own attributes
    (the code-combination view of the ledger is the exception: ``who=False``)."""
    return Table(name, attributes + (_who() if who else ()), indexes)


def _charge_distribution(name: str, id_attr: str, account_attr: str, *, quantity_updatable: bool) -> Table:
    """Purchasing's distributions (orders and requisitions alike): a numbered share of the quantity
    charged to one account combination, given by its text and kept with its id."""
    return _table(
        name,
        (
            _i(id_attr, read_only=True),
            _i("DistributionNumber"),
            _n("Quantity", 4, updatable=quantity_updatable),
            _i(f"{account_attr}Id", read_only=True),
            _s(account_attr, 250),
        ),
    )


@dataclass(frozen=True)
class Finder:
    """A named server-side query: ``finder=Name;Var=value,...``; each variable adds one SQL condition."""

    name: str
    variables: dict[str, tuple[Kind, str]]  # variable -> (type, SQL with one "?")


@dataclass(frozen=True, eq=False)
class Resource:
    """A REST view of a table; top-level resources and child accessors alike."""

    name: str  # REST resource name, or the accessor name for a child ("invoiceLines")
    table: Table
    key: str | None  # attribute holding the row id; None = an internal row id (always hashed)
    title: str = ""  # describe's title, errors' object name; derived from the name when not given
    # Documented with an opaque ...UniqID path key (quirk 6); served hashed when item_keys = "hash".
    hashed: bool = False
    attributes: tuple[str, ...] | None = None  # a subset of the table (LOV resources), None = all
    children: tuple[Resource, ...] = ()
    finders: tuple[Finder, ...] = ()
    item_actions: tuple[str, ...] = ()
    collection_actions: tuple[str, ...] = ()
    creatable: bool = False
    updatable: bool = False
    # Extra SQL restricting which rows this resource shows (draftPurchaseOrders: INCOMPLETE only).
    row_filter: str | None = None
    privilege: str = ""  # resource name the user's privileges name; defaults to the top-level name
    children_by_name: dict[str, Resource] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "children_by_name", {child.name: child for child in self.children})
        if not self.title:
            object.__setattr__(self, "title", title_of(self.name))

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return self.attributes if self.attributes is not None else self.table.names

    def attrs(self) -> list[Attr]:
        return [self.table.attr(name) for name in self.attribute_names]


def title_of(name: str) -> str:
    """ADF titles a resource by its name in words: ``purchaseOrdersLOV`` is "Purchase Orders LOV"."""
    words = re.findall(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+", name)
    return " ".join(word[0].upper() + word[1:] for word in words)


def _primary_key(attribute: str) -> Finder:
    return Finder("PrimaryKey", {attribute: (Kind.INT, f'"{attribute}" = ?')})


def _top_level(
    name: str, table: Table, key: str, *, finders: tuple[Finder, ...] = (), **options: Any
) -> Resource:
    """A top-level resource: ADF gives each one the ``PrimaryKey`` finder on its key first."""
    return Resource(name, table, key, finders=(_primary_key(key), *finders), **options)


# --- tables -------------------------------------------------------------------------------------

SUPPLIER = _table(
    "supplier",
    (
        _i("SupplierId", read_only=True),
        _s("Supplier", 360, updatable=True),
        _s("SupplierNumber", 30),
        _s("AlternateName", 360, updatable=True),
        _i("SupplierPartyId", read_only=True),
        _s("TaxOrganizationType", 80, updatable=True),
        _s("SupplierType", 80, updatable=True),
        _s("BusinessRelationship", 80, updatable=True),
        _s("Status", 30, read_only=True),
        _d("InactiveDate", updatable=True),
        _s("TaxpayerId", 30, updatable=True),
    ),
    indexes=(("SupplierNumber",), ("Supplier",), ("LastUpdateDate",)),
)

SUPPLIER_SITE = _table(
    "supplier_site",
    (
        _i("SupplierSiteId", read_only=True),
        _s("SupplierSite", 15),
        _i("ProcurementBUId"),
        _s("ProcurementBU", 240),
        _i("SupplierAddressId"),
        _s("AddressName", 240),
        _b("SitePurposePurchasingFlag"),
        _b("SitePurposePayFlag"),
        _s("PaymentTerms", 50),
        _s("PayGroup", 25),
        _d("InactiveDate"),
    ),
    indexes=(("SupplierSite",), ("LastUpdateDate",)),
)

SUPPLIER_ADDRESS = _table(
    "supplier_address",
    (
        _i("SupplierAddressId", read_only=True),
        _s("AddressName", 240),
        _s("AddressLine1", 240),
        _s("AddressLine2", 240),
        _s("City", 60),
        _s("State", 60),
        _s("PostalCode", 60),
        _s("Country", 80),
        _s("CountryCode", 2),
    ),
)

PO_HEADER = _table(
    "po_header",
    (
        _i("POHeaderId", read_only=True),
        _s("OrderNumber", 30),
        _s("Description", 240, updatable=True),
        _s("DocumentStyle", 240),
        _s("StatusCode", 25, read_only=True),
        _s("Status", 80, read_only=True),
        _i("ProcurementBUId"),
        _s("ProcurementBU", 240),
        _i("RequisitioningBUId"),
        _s("RequisitioningBU", 240),
        _i("SoldToLegalEntityId", read_only=True),
        _s("SoldToLegalEntity", 240, read_only=True),
        _i("BillToBUId", read_only=True),
        _s("BillToBU", 240, read_only=True),
        _i("BillToLocationId", read_only=True),
        _s("BillToLocation", 60, read_only=True),
        _i("BuyerId"),
        _s("Buyer", 240, updatable=True),
        _i("SupplierId"),
        _s("Supplier", 360),
        _i("SupplierSiteId"),
        _s("SupplierSite", 15, updatable=True),
        _s("CurrencyCode", 15),
        _s("Currency", 80, read_only=True),
        _n("Ordered", read_only=True),
        _s("PaymentTerms", 50, updatable=True),
        _d("OrderDate", read_only=True),
    ),
    indexes=(("OrderNumber",), ("LastUpdateDate",), ("SupplierId",), ("StatusCode",)),
)

PO_LINE = _table(
    "po_line",
    (
        _i("POLineId", read_only=True),
        _i("LineNumber"),
        _s("LineType", 30),
        _s("Item", 300),
        _s("Description", 240, updatable=True),
        _s("CategoryName", 240),
        _n("Quantity", 4, updatable=True),
        _s("UOMCode", 3),
        _s("UOM", 25),
        _n("Price", 4, updatable=True),
        _n("Amount", read_only=True),
        _s("CurrencyCode", 15, read_only=True),
    ),
)

PO_SCHEDULE = _table(
    "po_schedule",
    (
        _i("LineLocationId", read_only=True),
        _i("ScheduleNumber"),
        _n("Quantity", 4, updatable=True),
        _n("QuantityReceived", 4, read_only=True),
        _n("QuantityBilled", 4, read_only=True),
        _d("RequestedDeliveryDate", updatable=True),
        _s("ShipToLocation", 60),
    ),
)

PO_DISTRIBUTION = _charge_distribution(
    "po_distribution", "PODistributionId", "POChargeAccount", quantity_updatable=True
)

REQUISITION = _table(
    "requisition",
    (
        _i("RequisitionHeaderId", read_only=True),
        _s("Requisition", 64),
        _s("Description", 240),
        _s("Justification", 1000),
        _s("DocumentStatusCode", 25, read_only=True),
        _s("DocumentStatus", 80, read_only=True),
        _i("RequisitioningBUId"),
        _s("RequisitioningBU", 240),
        _i("PreparerId"),
        _s("Preparer", 240),
        _s("FunctionalCurrencyCode", 15, read_only=True),
        _n("Amount", read_only=True),
    ),
    indexes=(("Requisition",), ("LastUpdateDate",)),
)

REQUISITION_LINE = _table(
    "requisition_line",
    (
        _i("RequisitionLineId", read_only=True),
        _i("LineNumber"),
        _s("Description", 240),
        _s("CategoryName", 240),
        _n("Quantity", 4),
        _s("UOM", 25),
        _n("Price", 4),
        _s("CurrencyCode", 15),
        _n("LineAmount", read_only=True),
        _i("SupplierId"),
        _s("Supplier", 360),
        _i("SupplierSiteId"),
        _s("SupplierSite", 15),
        _d("RequestedDeliveryDate"),
        _i("POHeaderId", read_only=True),
        _s("OrderNumber", 30, read_only=True),
    ),
)

REQUISITION_DISTRIBUTION = _charge_distribution(
    "requisition_distribution", "RequisitionDistributionId", "ChargeAccount", quantity_updatable=False
)

INVOICE = _table(
    "invoice",
    (
        _i("InvoiceId", read_only=True),
        _s("InvoiceNumber", 50),
        _s("InvoiceCurrency", 15),
        _s("PaymentCurrency", 15),
        _n("InvoiceAmount", updatable=True),
        _d("InvoiceDate", updatable=True),
        _s("BusinessUnit", 240),
        _s("Supplier", 360),
        _s("SupplierNumber", 30),
        _s("ProcurementBU", 240),
        _s("SupplierSite", 15),
        _s("Requester", 240, updatable=True),
        _s("InvoiceGroup", 50, updatable=True),
        _s("ConversionRateType", 30, updatable=True),
        _d("ConversionDate", updatable=True),
        _n("ConversionRate", 6, updatable=True),
        _d("AccountingDate", updatable=True),
        _s("Description", 240, updatable=True),
        _s("DeliveryChannelCode", 30, updatable=True),
        _s("DeliveryChannel", 80, read_only=True),
        _b("PayAloneFlag", updatable=True),
        _s("InvoiceSource", 80),
        _s("InvoiceType", 80),
        _s("PayGroup", 25, updatable=True),
        _d("InvoiceReceivedDate", updatable=True),
        _s("PaymentReasonCode", 30, updatable=True),
        _s("PaymentReason", 80, read_only=True),
        _s("PaymentReasonComments", 240, updatable=True),
        _s("PaymentTerms", 50, updatable=True),
        _s("ValidationStatus", 25, read_only=True),
        _s("ApprovalStatus", 25, read_only=True),
        _s("PaidStatus", 25, read_only=True),
        _n("AmountPaid", read_only=True),
        _b("CanceledFlag", read_only=True),
        _d("CancelledDate", read_only=True),
        _s("AccountingStatus", 25, read_only=True),
    ),
    indexes=(("InvoiceNumber",), ("SupplierNumber", "InvoiceNumber"), ("LastUpdateDate",)),
)

INVOICE_LINE = _table(
    "invoice_line",
    (
        _i("LineNumber"),
        _s("LineType", 25),
        _n("LineAmount", updatable=True),
        _s("Description", 240, updatable=True),
        _n("Quantity", 4),
        _n("UnitPrice", 4),
        _s("UOM", 25),
        _s("PurchaseOrderNumber", 30),
        _i("PurchaseOrderLineNumber"),
        _i("PurchaseOrderScheduleLineNumber"),
        _s("DistributionCombination", 250),
        _d("AccountingDate"),
        _b("CanceledFlag", read_only=True),
    ),
)

INVOICE_DISTRIBUTION = _table(
    "invoice_distribution",
    (
        _i("InvoiceDistributionId", read_only=True),
        _i("DistributionLineNumber"),
        _s("DistributionLineType", 25),
        _n("DistributionAmount"),
        _s("DistributionCombination", 250),
        _d("AccountingDate"),
    ),
)

INVOICE_INSTALLMENT = _table(
    "invoice_installment",
    (
        _i("InstallmentNumber", read_only=True),
        _d("DueDate", updatable=True),
        _n("GrossAmount", read_only=True),
        _n("UnpaidAmount", read_only=True),
        _b("HoldFlag", updatable=True),
        _i("PaymentPriority", updatable=True),
    ),
)

PAYMENT = _table(
    "payment",
    (
        _i("CheckId", read_only=True),
        _i("PaymentId", read_only=True),
        _i("PaymentNumber", read_only=True),
        _s("PaymentReference", 30),
        _i("PaperDocumentNumber"),
        _s("PaymentFileReference", 30),
        _s("PaymentProcessRequest", 255),
        _n("PaymentAmount"),
        _s("PaymentCurrency", 15),
        _d("PaymentDate"),
        _d("AccountingDate"),
        _s("PaymentDescription", 240),
        _s("PaymentMethodCode", 30),
        _s("Payee", 360),
        _s("SupplierNumber", 30),
        _s("BusinessUnit", 240),
        _n("ConversionRate", 6),
        _d("ConversionDate"),
        _s("ConversionRateType", 30),
        _d("ClearingDate", read_only=True),
        _n("ClearingAmount", read_only=True),
        _d("MaturityDate"),
        _d("StopDate", read_only=True),
        _d("VoidDate", read_only=True),
        _d("VoidAccountingDate", read_only=True),
    ),
    indexes=(("LastUpdateDate",),),
)

RELATED_INVOICE = _table(
    "related_invoice",
    (
        _i("InvoicePaymentId", read_only=True),
        _i("InvoiceId"),
        _s("InvoiceNumber", 50),
        _i("InstallmentNumber"),
        _n("AmountPaid"),
        _s("InvoiceCurrency", 15),
    ),
    indexes=(("InvoiceNumber",), ("InvoiceId",)),
)

CODE_COMBINATION = _table(
    "code_combination",
    (
        _i("_CODE_COMBINATION_ID", read_only=True),
        _i("_CHART_OF_ACCOUNTS_ID", read_only=True),
        _b("EnabledFlag", read_only=True),
        _b("DetailPostingAllowed", read_only=True),
        _b("DetailBudgetingAllowed", read_only=True),
        _s("AccountType", 1, read_only=True),
        _d("StartDateActive", read_only=True),
        _d("EndDateActive", read_only=True),
        _s("_SEGMENT1", 25, read_only=True),
        _s("_SEGMENT2", 25, read_only=True),
        _s("_SEGMENT3", 25, read_only=True),
        _s("_SEGMENT4", 25, read_only=True),
    ),
    indexes=(("_SEGMENT1", "_SEGMENT2", "_SEGMENT3", "_SEGMENT4"),),
    who=False,
)

VALUE_SET = _table(
    "value_set",
    (
        _i("ValueSetId", read_only=True),
        _s("ValueSetCode", 60),
        _s("Description", 240),
        _s("ValidationType", 30),
        _s("ValueDataType", 30),
        _i("MaximumLength"),
    ),
)

VALUE_SET_VALUE = _table(
    "value_set_value",
    (
        _i("ValueId", read_only=True),
        _s("Value", 150),
        _s("Description", 240),
        _b("EnabledFlag"),
        _d("StartDateActive"),
        _d("EndDateActive"),
        _b("SummaryFlag"),
    ),
)

# --- resources ----------------------------------------------------------------------------------


def _po_children() -> tuple[Resource, ...]:
    distributions = Resource("distributions", PO_DISTRIBUTION, "PODistributionId")
    schedules = Resource("schedules", PO_SCHEDULE, "LineLocationId", hashed=True, children=(distributions,))
    return (Resource("lines", PO_LINE, "POLineId", children=(schedules,)),)


_PO_LOV_ATTRIBUTES = (
    "POHeaderId",
    "OrderNumber",
    "Supplier",
    "SupplierId",
    "SupplierSite",
    "SupplierSiteId",
    "BillToBU",
    "BillToBUId",
    "Buyer",
    "BuyerId",
    "Currency",
    "CurrencyCode",
    "SoldToLegalEntity",
)

_PAID_INVOICES = Finder(
    "PaidInvoicesFinder",
    {
        "InvoiceNumber": (
            Kind.STRING,
            'sbx_id IN (SELECT sbx_parent FROM "related_invoice" WHERE "InvoiceNumber" = ?)',
        )
    },
)

# findByIntent: the intents are not documented; the sandbox accepts any Intent and applies the user's
# data security only (README).
_FIND_BY_INTENT = Finder("findByIntent", {"Intent": (Kind.STRING, "? IS NOT NULL")})

_INVOICE_LINES = Resource(
    "invoiceLines",
    INVOICE_LINE,
    None,
    hashed=True,
    creatable=True,
    updatable=True,
    children=(Resource("invoiceDistributions", INVOICE_DISTRIBUTION, "InvoiceDistributionId"),),
)
_REQUISITION_LINES = Resource(
    "lines",
    REQUISITION_LINE,
    "RequisitionLineId",
    children=(Resource("distributions", REQUISITION_DISTRIBUTION, "RequisitionDistributionId"),),
)

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        _top_level(
            "suppliers",
            SUPPLIER,
            "SupplierId",
            children=(
                Resource("sites", SUPPLIER_SITE, "SupplierSiteId"),
                Resource("addresses", SUPPLIER_ADDRESS, "SupplierAddressId"),
            ),
        ),
        _top_level(
            "suppliersLOV",
            SUPPLIER,
            "SupplierId",
            attributes=("SupplierId", "Supplier", "SupplierNumber", "Status"),
            privilege="suppliers",
        ),
        _top_level(
            "purchaseOrders",
            PO_HEADER,
            "POHeaderId",
            hashed=True,
            children=_po_children(),
            finders=(_FIND_BY_INTENT,),
            item_actions=("close",),
        ),
        _top_level(
            "purchaseOrdersLOV",
            PO_HEADER,
            "POHeaderId",
            hashed=True,
            attributes=_PO_LOV_ATTRIBUTES,
            privilege="purchaseOrders",
        ),
        _top_level(
            "draftPurchaseOrders",
            PO_HEADER,
            "POHeaderId",
            hashed=True,
            children=_po_children(),
            item_actions=("submit",),
            creatable=True,
            updatable=True,
            row_filter="\"StatusCode\" = 'INCOMPLETE'",
        ),
        _top_level(
            "purchaseRequisitions",
            REQUISITION,
            "RequisitionHeaderId",
            hashed=True,
            children=(_REQUISITION_LINES,),
            item_actions=("cancel",),
        ),
        _top_level(
            "invoices",
            INVOICE,
            "InvoiceId",
            hashed=True,
            children=(
                _INVOICE_LINES,
                Resource("invoiceInstallments", INVOICE_INSTALLMENT, None, hashed=True),
            ),
            collection_actions=("validateInvoice", "cancelInvoice"),
            creatable=True,
            updatable=True,
        ),
        _top_level(
            "payablesPayments",
            PAYMENT,
            "CheckId",
            children=(Resource("relatedInvoices", RELATED_INVOICE, "InvoicePaymentId"),),
            finders=(_PAID_INVOICES,),
        ),
        _top_level("accountCombinationsLOV", CODE_COMBINATION, "_CODE_COMBINATION_ID"),
        _top_level(
            "valueSets", VALUE_SET, "ValueSetId", children=(Resource("values", VALUE_SET_VALUE, "ValueId"),)
        ),
    )
}


def _tables(resources: Iterable[Resource]) -> Iterator[Table]:
    for resource in resources:
        yield resource.table
        yield from _tables(resource.children)


# Every table a resource serves, parents before their children, in the order resources are declared.
TABLES: dict[str, Table] = {table.name: table for table in _tables(RESOURCES.values())}

# Resources whose rows carry a business unit the user's data access restricts (quirk 10).
DATA_SECURED_TABLES = frozenset({"po_header", "requisition", "invoice", "payment"})
