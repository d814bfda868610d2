"""The shape of every simulated Coupa resource, as one declarative tree per resource.

The same tree drives storage (which paths hold references to other tables), query compilation
(``supplier[name]=...``, ``order_lines[account][code]=...``), rendering (hydrating references,
``fields=``, ``return_object=``, XML element names) and write validation, so a field added here is
filterable, renderable and typed everywhere at once. Element names are Coupa's hyphenated ones.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Kind(enum.Enum):
    INT = "integer"
    DECIMAL = "decimal"
    TEXT = "string"
    BOOL = "boolean"
    # Stored as UTC "YYYY-MM-DDTHH:MM:SSZ", rendered with the instance's offset.
    DATETIME = "dateTime"
    # Stored as "YYYY-MM-DD", rendered as midnight in the instance's time zone (as Coupa shows dates).
    DATE = "date"
    # Opaque JSON object (custom-fields): rendered as stored, not filterable below its top level.
    OBJECT = "object"


@dataclass(frozen=True)
class Scalar:
    kind: Kind


@dataclass(frozen=True)
class Embedded:
    """An object stored inside the record (addresses, contacts): no table of its own."""

    fields: dict[str, Node]


@dataclass(frozen=True)
class Reference:
    """An association to another resource, stored as ``{"id": n}`` and rendered from that table."""

    resource: str


@dataclass(frozen=True)
class Collection:
    """A list of owned child objects (order lines, invoice lines, payments)."""

    item_element: str
    fields: dict[str, Node]


Node = Scalar | Embedded | Reference | Collection

INT = Scalar(Kind.INT)
DEC = Scalar(Kind.DECIMAL)
TEXT = Scalar(Kind.TEXT)
BOOL = Scalar(Kind.BOOL)
DT = Scalar(Kind.DATETIME)
DATE = Scalar(Kind.DATE)
OBJ = Scalar(Kind.OBJECT)


# Every resource, and every line or payment it owns, carries these first.
_STAMPS: dict[str, Node] = {"id": INT, "created-at": DT, "updated-at": DT}


@dataclass(frozen=True)
class Resource:
    """One API resource. ``fields`` lists its own elements; the record's id and timestamps come first
    on every resource and are added here."""

    key: str  # internal name and table: "payments"
    element: str  # Coupa element name: "invoice-header" (XML root, key in validation errors)
    fields: dict[str, Node]
    # id + these identify the record in ``return_object=shallow`` and in nested associations' shallow form.
    natural_keys: tuple[str, ...]
    creatable: bool = False
    updatable: bool = False
    # Columns copied out of the document so the hot filters (and foreign keys) use indexes.
    indexed: tuple[str, ...] = field(default=())
    path: str = ""  # URL under /api: "coupa_pay/payments"; the key where not given

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", {**_STAMPS, **self.fields})
        if not self.path:
            object.__setattr__(self, "path", self.key)

    @property
    def table(self) -> str:
        return self.key

    @property
    def plural_element(self) -> str:
        return plural(self.element)


def plural(element: str) -> str:
    if element.endswith("y") and not element.endswith("ey"):
        return element[:-1] + "ies"
    if element.endswith(("s", "x")):
        return element + "es"
    return element + "s"


_USER = Embedded({"id": INT, "login": TEXT, "email": TEXT})
_COUNTRY = Embedded({"id": INT, "code": TEXT, "name": TEXT})
_ADDRESS = Embedded(
    {
        "id": INT,
        "name": TEXT,
        "street1": TEXT,
        "street2": TEXT,
        "city": TEXT,
        "state": TEXT,
        "postal-code": TEXT,
        "country": _COUNTRY,
    }
)
_TERM = Embedded({"id": INT, "code": TEXT, "description": TEXT})
_UOM = Embedded({"id": INT, "code": TEXT, "name": TEXT})
_ALLOCATIONS = Collection(
    "account-allocation", {"id": INT, "amount": DEC, "pct": DEC, "account": Reference("accounts")}
)

SUPPLIERS = Resource(
    key="suppliers",
    element="supplier",
    natural_keys=("name", "number"),
    creatable=True,
    updatable=True,
    indexed=("name", "number"),
    fields={
        "created-by": _USER,
        "updated-by": _USER,
        "name": TEXT,
        "display-name": TEXT,
        "number": TEXT,
        "status": TEXT,
        "po-method": TEXT,
        "po-email": TEXT,
        "po-change-method": TEXT,
        "payment-method": TEXT,
        "payment-term": Reference("payment_terms"),
        "shipping-term": _TERM,
        "invoice-matching-level": TEXT,
        "tax-id": TEXT,
        "duns": TEXT,
        "account-number": TEXT,
        "primary-contact": Embedded(
            {
                "id": INT,
                "email": TEXT,
                "name-given": TEXT,
                "name-family": TEXT,
                "phone-work": Embedded({"country-code": TEXT, "area-code": TEXT, "number": TEXT}),
            }
        ),
        "primary-address": _ADDRESS,
        # Quirk 2 of the reference: address objects from the address API use underscores; remit-to
        # addresses render that way here so clients prove they tolerate both spellings.
        "remit-to-addresses": Collection(
            "remit-to-address",
            {
                "id": INT,
                "remit_to_code": TEXT,
                "name": TEXT,
                "street1": TEXT,
                "city": TEXT,
                "state": TEXT,
                "postal_code": TEXT,
                "country": _COUNTRY,
                "active": BOOL,
            },
        ),
        "supplier-sites": Collection(
            "supplier-site", {"id": INT, "code": TEXT, "name": TEXT, "active": BOOL}
        ),
        "on-hold": BOOL,
        "one_time_supplier": BOOL,
        "custom-fields": OBJ,
    },
)

# What order lines and invoice lines both are: a numbered quantity (or amount) at a price, charged
# to an account.
_LINE_FIELDS: dict[str, Node] = {
    **_STAMPS,
    "line-num": INT,
    "type": TEXT,
    "description": TEXT,
    "quantity": DEC,
    "price": DEC,
    "total": DEC,
    "uom": _UOM,
    "account": Reference("accounts"),
    "account-allocations": _ALLOCATIONS,
}

ORDER_LINE_FIELDS: dict[str, Node] = {
    **_LINE_FIELDS,
    "commodity": Embedded({"id": INT, "name": TEXT}),
    "need-by-date": DATE,
    "received": DEC,
    "invoiced": DEC,
    "match-type": TEXT,
    "status": TEXT,
    "order-header-id": INT,
    "version": INT,
    # Only on lines removed with ``_delete`` and only shown with ``show_deleted_lines=true``.
    "deleted-at": DT,
}

PURCHASE_ORDERS = Resource(
    key="purchase_orders",
    element="order-header",
    natural_keys=("po-number",),
    creatable=True,
    updatable=True,
    indexed=("po-number", "status", "exported", "supplier"),
    fields={
        "po-number": TEXT,
        "type": TEXT,
        "status": TEXT,
        "version": INT,
        "internal-revision": INT,
        "supplier": Reference("suppliers"),
        "supplier-site": Embedded({"id": INT, "code": TEXT, "name": TEXT}),
        "currency": Reference("currencies"),
        "payment-term": Reference("payment_terms"),
        "shipping-term": _TERM,
        "ship-to-address": _ADDRESS,
        "ship-to-user": _USER,
        "requester": _USER,
        "requisition-header": Embedded({"id": INT}),
        "order-lines": Collection("order-line", ORDER_LINE_FIELDS),
        "total": DEC,
        "invoice-total": DEC,
        "exported": BOOL,
        "last-exported-at": DT,
        "transmission-status": TEXT,
        "acknowledged-flag": BOOL,
        "custom-fields": OBJ,
    },
)

INVOICE_LINE_FIELDS: dict[str, Node] = {
    **_LINE_FIELDS,
    "order-line-id": INT,
    "po-number": TEXT,
    "status": TEXT,
}

INVOICE_PAYMENT_FIELDS: dict[str, Node] = {
    **_STAMPS,
    "amount-paid": DEC,
    "notes": TEXT,
    "payment-date": DT,
    "payable-type": TEXT,
    "payable-id": INT,
}

INVOICES = Resource(
    key="invoices",
    element="invoice-header",
    natural_keys=("invoice-number",),
    creatable=True,
    updatable=True,
    indexed=("invoice-number", "status", "exported", "supplier"),
    fields={
        "invoice-number": TEXT,
        "invoice-date": DATE,
        "supplier": Reference("suppliers"),
        "currency": Reference("currencies"),
        "status": TEXT,
        "document-type": TEXT,
        "is-credit-note": BOOL,
        "original-invoice-number": TEXT,
        "original-invoice-date": DATE,
        "payment-term": Reference("payment_terms"),
        "net-due-date": DATE,
        "discount-due-date": DATE,
        "gross-total": DEC,
        "total-with-taxes": DEC,
        "tax-amount": DEC,
        "shipping-amount": DEC,
        "handling-amount": DEC,
        "misc-amount": DEC,
        "line-level-taxation": BOOL,
        "account-type": Reference("account_types"),
        "bill-to-address": _ADDRESS,
        "remit-to-address": _ADDRESS,
        "supplier-remit-to": Embedded({"id": INT, "remit-to-code": TEXT}),
        "invoice-lines": Collection("invoice-line", INVOICE_LINE_FIELDS),
        "invoice-charges": Collection("invoice-charge", {"id": INT, "type": TEXT, "total": DEC}),
        "tax-lines": Collection("tax-line", {"id": INT, "amount": DEC, "rate": DEC, "code": TEXT}),
        "approvals": Collection(
            "approval", {"id": INT, "status": TEXT, "approver": _USER, "approval-date": DT}
        ),
        "paid": BOOL,
        "payment-date": DT,
        "payment-notes": TEXT,
        "payments": Collection("payment", INVOICE_PAYMENT_FIELDS),
        "payment-channel": TEXT,
        "exported": BOOL,
        "last-exported-at": DT,
        "lock-version-key": INT,
        "custom-fields": OBJ,
    },
)

_SEGMENTS: dict[str, Node] = {f"segment-{n}": TEXT for n in range(1, 21)}

ACCOUNTS = Resource(
    key="accounts",
    element="account",
    natural_keys=("name", "code"),
    creatable=True,
    updatable=True,
    indexed=("code",),
    fields={
        "name": TEXT,
        "code": TEXT,
        "active": BOOL,
        "account-type": Reference("account_types"),
        **_SEGMENTS,
    },
)

ACCOUNT_TYPES = Resource(
    key="account_types",
    element="account-type",
    natural_keys=("name",),
    fields={"name": TEXT, "active": BOOL, "currency": Reference("currencies")},
)

LOOKUPS = Resource(
    key="lookups",
    element="lookup",
    natural_keys=("name",),
    fields={"name": TEXT, "description": TEXT, "active": BOOL},
)

LOOKUP_VALUES = Resource(
    key="lookup_values",
    element="lookup-value",
    natural_keys=("name", "external-ref-code"),
    creatable=True,
    updatable=True,
    indexed=("external-ref-code",),
    fields={
        "name": TEXT,
        "description": TEXT,
        "lookup": Reference("lookups"),
        "external-ref-num": TEXT,
        "external-ref-code": TEXT,
        "parent": Reference("lookup_values"),
        "depth": INT,
        "active": BOOL,
        "is-default": BOOL,
    },
)

DEPARTMENTS = Resource(
    key="departments",
    element="department",
    natural_keys=("name",),
    fields={"name": TEXT, "active": BOOL},
)

CURRENCIES = Resource(
    key="currencies",
    element="currency",
    natural_keys=("code",),
    fields={"code": TEXT, "decimals": INT, "enabled-flag": BOOL},
)

PAYMENT_TERMS = Resource(
    key="payment_terms",
    element="payment-term",
    natural_keys=("code",),
    fields={
        "code": TEXT,
        "description": TEXT,
        "days-for-net-payment": INT,
        "days-for-discount-payment": INT,
        "discount-rate": DEC,
        "active": BOOL,
    },
)

PAYMENTS = Resource(
    key="payments",
    path="coupa_pay/payments",
    element="payment",
    natural_keys=(),
    updatable=True,
    indexed=("status", "exported"),
    fields={
        "status": TEXT,
        "exported": BOOL,
        "last-exported-at": DT,
        "pay-from-total": DEC,
        "pay-to-total": DEC,
        "exchange-rate": DEC,
        "pay-from-currency": Reference("currencies"),
        "pay-to-currency": Reference("currencies"),
        "pay-to-account": Embedded({"id": INT, "type": TEXT, "name": TEXT}),
        "payment-details": Collection(
            "payment-detail",
            {
                "id": INT,
                "source-transaction-id": INT,
                "source-transaction-reference": TEXT,
                "source-transaction-type": TEXT,
                "payment-total": DEC,
                "currency": Reference("currencies"),
            },
        ),
    },
)

RESOURCES: dict[str, Resource] = {
    resource.key: resource
    for resource in (
        SUPPLIERS,
        PURCHASE_ORDERS,
        INVOICES,
        ACCOUNTS,
        ACCOUNT_TYPES,
        LOOKUPS,
        LOOKUP_VALUES,
        DEPARTMENTS,
        CURRENCIES,
        PAYMENT_TERMS,
        PAYMENTS,
    )
}
BY_PATH: dict[str, Resource] = {resource.path: resource for resource in RESOURCES.values()}

# Resources whose changes may be announced by call-outs.
CALLOUT_RESOURCES = ("invoices", "payments")

# Vocabularies (documented lists).
SUPPLIER_STATUSES = ("active", "inactive", "draft")
PO_METHODS = ("cxml", "xml", "email", "prompt", "mark_as_sent", "buy_online")
PAYMENT_METHODS = ("invoice", "pcard", "invoice_only", "pcard_only", "virtual_card")
MATCHING_LEVELS = ("2-way", "3-way", "3-way-direct", "none")
PO_STATUSES = (
    "buyer_hold",
    "cancelled",
    "closed",
    "currency_hold",
    "draft",
    "error",
    "expensed",
    "issued",
    "supplier_hold",
    "supplier_window_hold",
    "exported",
    "soft_closed",
)
INVOICE_STATUSES = (
    "new",
    "draft",
    "ap_hold",
    "on_hold",
    "pending_receipt",
    "pending_approval",
    "pending_action",
    "booking_hold",
    "approved",
    "disputed",
    "rejected",
    "abandoned",
    "voided",
    "processing",
    "invalid",
    "payable_adjustment",
)
PAYMENT_STATUSES = (
    "draft",
    "approved",
    "payment_initiated",
    "payment_in_progress",
    "completed_successfully",
    "completed_with_errors",
)


def child(fields: dict[str, Node], name: str) -> tuple[str, Node] | None:
    """The field a query argument names: arguments use underscores where elements use dashes."""
    if name in fields:
        return name, fields[name]
    dashed = name.replace("_", "-")
    if dashed in fields:
        return dashed, fields[dashed]
    for key, node in fields.items():
        if key.replace("-", "_") == name:
            return key, node
    return None
