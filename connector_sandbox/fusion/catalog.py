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
from importlib import resources
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

_ATTRIBUTE_FLAGS = {
    "read_only": ("read_only", True),
    "updatable": ("updatable", True),
    "not_queryable": ("queryable", False),
}
_KIND = re.compile(r"(?P<kind>[a-z]+)(?:\((?P<size>\d+)\))?")


def _attribute(words: list[str]) -> Attr:
    """``Name kind[(size)] flags...`` of tables.txt: size is a string's length or a number's decimals."""
    match = _KIND.fullmatch(words[1])
    if match is None or any(flag not in _ATTRIBUTE_FLAGS for flag in words[2:]):
        raise ValueError(f"fusion tables.txt: cannot read {' '.join(words)!r}")
    kind, size = Kind(match["kind"]), match["size"]
    flags = dict(_ATTRIBUTE_FLAGS[flag] for flag in words[2:])
    if kind is Kind.STRING:
        return Attr(words[0], kind, int(size), **flags)
    if kind is Kind.NUMBER:
        return Attr(words[0], kind, scale=int(size), **flags)
    return Attr(words[0], kind, **flags)


def _read_tables(text: str) -> dict[str, Table]:
    """The tables tables.txt declares (its head gives the notation); a line it cannot read fails at import."""
    declared: dict[str, tuple[list[Attr], list[tuple[str, ...]], bool]] = {}
    attributes: list[Attr] = []
    indexes: list[tuple[str, ...]] = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "table":
            if words[2:] not in ([], ["without_who"]):
                raise ValueError(f"fusion tables.txt: cannot read {line!r}")
            attributes, indexes = [], []
            declared[words[1]] = (attributes, indexes, not words[2:])
        elif words[0] == "index":
            indexes.append(tuple(words[1:]))
        else:
            attributes.append(_attribute(words))
    return {
        name: _table(name, tuple(attributes), tuple(indexes), who=who)
        for name, (attributes, indexes, who) in declared.items()
    }


# The business objects' own tables, declared as data; the distributions share one shape (above).
_STORED = _read_tables(resources.files(__package__).joinpath("tables.txt").read_text(encoding="utf-8"))

PO_DISTRIBUTION = _charge_distribution(
    "po_distribution", "PODistributionId", "POChargeAccount", quantity_updatable=True
)
REQUISITION_DISTRIBUTION = _charge_distribution(
    "requisition_distribution", "RequisitionDistributionId", "ChargeAccount", quantity_updatable=False
)

# --- resources ----------------------------------------------------------------------------------


def _po_children() -> tuple[Resource, ...]:
    distributions = Resource("distributions", PO_DISTRIBUTION, "PODistributionId")
    schedules = Resource(
        "schedules", _STORED["po_schedule"], "LineLocationId", hashed=True, children=(distributions,)
    )
    return (Resource("lines", _STORED["po_line"], "POLineId", children=(schedules,)),)


def _orders_with_lines(name: str, **options: Any) -> Resource:
    """A view of purchase orders with their lines, schedules and distributions (each its own children)."""
    return _top_level(
        name, _STORED["po_header"], "POHeaderId", hashed=True, children=_po_children(), **options
    )


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

# The LOV's key is documented as a hash of these three; the finder finds one period without building it.
_PERIOD_KEY = Finder(
    "PrimaryKey",
    {
        "PeriodNameId": (Kind.STRING, '"PeriodNameId" = ?'),
        "ApplicationId": (Kind.INT, '"ApplicationId" = ?'),
        "LedgerId": (Kind.INT, '"LedgerId" = ?'),
    },
)

_INVOICE_LINES = Resource(
    "invoiceLines",
    _STORED["invoice_line"],
    None,
    hashed=True,
    creatable=True,
    updatable=True,
    children=(Resource("invoiceDistributions", _STORED["invoice_distribution"], "InvoiceDistributionId"),),
)
_REQUISITION_LINES = Resource(
    "lines",
    _STORED["requisition_line"],
    "RequisitionLineId",
    children=(Resource("distributions", REQUISITION_DISTRIBUTION, "RequisitionDistributionId"),),
)

RESOURCES: dict[str, Resource] = {
    resource.name: resource
    for resource in (
        _top_level(
            "suppliers",
            _STORED["supplier"],
            "SupplierId",
            children=(
                Resource("sites", _STORED["supplier_site"], "SupplierSiteId"),
                Resource("addresses", _STORED["supplier_address"], "SupplierAddressId"),
            ),
        ),
        _top_level(
            "suppliersLOV",
            _STORED["supplier"],
            "SupplierId",
            attributes=("SupplierId", "Supplier", "SupplierNumber", "Status"),
            privilege="suppliers",
        ),
        _orders_with_lines("purchaseOrders", finders=(_FIND_BY_INTENT,), item_actions=("close", "cancel")),
        _top_level(
            "purchaseOrdersLOV",
            _STORED["po_header"],
            "POHeaderId",
            hashed=True,
            attributes=_PO_LOV_ATTRIBUTES,
            privilege="purchaseOrders",
        ),
        _orders_with_lines(
            "draftPurchaseOrders",
            item_actions=("submit",),
            creatable=True,
            updatable=True,
            row_filter="\"StatusCode\" = 'INCOMPLETE'",
        ),
        _top_level(
            "purchaseRequisitions",
            _STORED["requisition"],
            "RequisitionHeaderId",
            hashed=True,
            children=(_REQUISITION_LINES,),
            item_actions=("cancel",),
        ),
        _top_level(
            "invoices",
            _STORED["invoice"],
            "InvoiceId",
            hashed=True,
            children=(
                _INVOICE_LINES,
                Resource("invoiceInstallments", _STORED["invoice_installment"], None, hashed=True),
            ),
            collection_actions=("validateInvoice", "cancelInvoice"),
            creatable=True,
            updatable=True,
        ),
        _top_level(
            "payablesPayments",
            _STORED["payment"],
            "CheckId",
            children=(Resource("relatedInvoices", _STORED["related_invoice"], "InvoicePaymentId"),),
            finders=(_PAID_INVOICES,),
        ),
        Resource(
            "accountingPeriodStatusLOV",
            _STORED["period_status"],
            None,
            hashed=True,
            finders=(_PERIOD_KEY,),
        ),
        _top_level("accountCombinationsLOV", _STORED["code_combination"], "_CODE_COMBINATION_ID"),
        _top_level(
            "valueSets",
            _STORED["value_set"],
            "ValueSetId",
            children=(Resource("values", _STORED["value_set_value"], "ValueId"),),
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
