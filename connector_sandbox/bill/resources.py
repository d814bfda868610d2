"""What each listable BILL resource is: its table, stored columns, filterable and sortable fields.

Filterable/sortable fields follow the reference (2.5) where it lists them; for payments and
classifications, which it does not list, the sandbox offers the fields a careful client would expect
(README: "Lists, filters, sorting, paging"). Anything else in ``filters=`` or ``sort=`` is a 400 naming
the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

EQUALITY = frozenset({"eq", "ne", "in", "nin"})
ORDERED = EQUALITY | {"gt", "gte", "lt", "lte"}
TEXT = frozenset({"eq", "ne", "in", "nin", "sw"})
NAME = frozenset({"eq", "sw"})  # documented for vendor names
BOOLEAN = frozenset({"eq", "ne"})

PAYMENT_STATUSES = ("UNPAID", "PARTIAL", "SCHEDULED", "PAID")
APPROVAL_STATUSES = ("UNASSIGNED", "ASSIGNED", "APPROVING", "APPROVED", "DENIED")
ACCOUNT_TYPES = ("BUSINESS", "PERSON", "NONE")
SINGLE_STATUSES = (
    "SCHEDULED",
    "CANCELED",
    "VOIDED",
    "FUNDING_FAILED_VOIDED",
    "FUNDING_FAILED_ACTION_NEEDED",
    "DISBURSEMENT_FAILED_ACTION_NEEDED",
    "DISBURSEMENT_FAILED_VENDOR_BANK_REJECTED",
    "FUNDS_ESCHEATED",
    "CLEARED",
)


@dataclass(frozen=True)
class FilterField:
    """How one API field filters: SQL column (on alias ``t`` or a child table), value kind, operators."""

    column: str
    kind: str  # id | text | enum | bool | date | time | money
    ops: frozenset[str]
    values: tuple[str, ...] = ()  # allowed values of an enum
    in_child: bool = False  # a column of the resource's child table, matched with EXISTS (any line)
    fold: bool = False  # compare case-insensitively (casefolded column)


_ID = FilterField("t.id", "id", EQUALITY)
_ARCHIVED = FilterField("t.archived", "bool", BOOLEAN)
_TIME_FILTERS = {
    "createdTime": FilterField("t.created_ms", "time", ORDERED),
    "updatedTime": FilterField("t.updated_ms", "time", ORDERED),
}
_TIME_SORTS = {"createdTime": "created_ms", "updatedTime": "updated_ms"}


@dataclass(frozen=True)
class Child:
    """Rows derived from each stored record (a bill's classifications, a payment's bills), kept in
    step by the store so filters can match any of them with EXISTS."""

    table: str
    key: str  # the column holding the record's id
    rows: Callable[[dict[str, Any]], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Resource:
    """A listable resource. Every one filters by ``id`` and by its created / updated times and sorts
    by those times: ``filters`` and ``sorts`` name only what the resource adds (they hold all of it
    once built)."""

    name: str  # path segment: vendors, bills, payments, chart-of-accounts, ...
    label: str  # singular word used in error messages
    columns: Callable[[dict[str, Any]], dict[str, Any]]
    filters: Mapping[str, FilterField]
    sorts: Mapping[str, str]  # API field -> column of the main table
    table: str = ""  # the name unless several resources share one table
    kind: str | None = None  # classifications share one table, scoped by kind
    child: Child | None = None
    announces: bool = True  # changes are webhook events (classifications have none)

    def __post_init__(self) -> None:
        object.__setattr__(self, "table", self.table or self.name)
        object.__setattr__(self, "filters", {"id": _ID, **self.filters, **_TIME_FILTERS})
        object.__setattr__(self, "sorts", {**self.sorts, **_TIME_SORTS})

    @property
    def child_table(self) -> str | None:
        return self.child.table if self.child else None

    @property
    def child_key(self) -> str:
        return self.child.key if self.child else ""

    def child_rows(self, doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self.child.rows(doc) if self.child else []

    def scope(self) -> tuple[str, tuple[Any, ...]]:
        return (" AND t.kind = ?", (self.kind,)) if self.kind else ("", ())


# Vendors and classifications: archived flag and name (case-insensitive, on the casefolded column).
_NAMED_FILTERS = {"archived": _ARCHIVED, "name": FilterField("t.name_fold", "text", NAME, fold=True)}
_NAME_SORTS = {"name": "name_fold"}


def _stamps(doc: dict[str, Any]) -> dict[str, Any]:
    """The created / updated columns every table keeps (paging and time filters)."""
    return {"created_ms": doc["_createdMs"], "updated_ms": doc["_updatedMs"]}


def _named(doc: dict[str, Any]) -> dict[str, Any]:
    """Name (and its casefolded twin, which name filters and sorting use) and the archived flag."""
    return {"name": doc["name"], "name_fold": doc["name"].casefold(), "archived": int(doc["archived"])}


def _vendor_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        **_named(doc),
        "account_type": doc.get("accountType") or "NONE",
        "bill_currency": doc.get("billCurrency") or "USD",
        **_stamps(doc),
    }


def _bill_columns(doc: dict[str, Any]) -> dict[str, Any]:
    invoice = doc.get("invoice") or {}
    return {
        "vendor_id": doc["vendorId"],
        "due_date": doc["dueDate"],
        "payment_status": doc["paymentStatus"],
        "approval_status": doc["approvalStatus"],
        "archived": int(doc["archived"]),
        "invoice_number": invoice.get("invoiceNumber") or "",
        "invoice_date": invoice.get("invoiceDate") or "",
        "description": doc.get("description") or "",
        "amount_cents": doc["_amountCents"],
        "pay_from_coa": doc.get("payFromChartOfAccountId") or "",
        **_stamps(doc),
    }


_CLASSIFICATION_KEYS = ("chartOfAccountId", "departmentId", "locationId", "accountingClassId", "itemId")


def _bill_classification_rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    sources = [doc.get("classifications") or {}]
    sources += [line.get("classifications") or {} for line in doc.get("billLineItems") or []]
    rows = {tuple(source.get(key) or "" for key in _CLASSIFICATION_KEYS) for source in sources}
    rows.discard(("",) * len(_CLASSIFICATION_KEYS))
    return sorted(rows)


def _payment_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "vendor_id": doc["vendorId"],
        "bill_id": doc.get("billId") or "",
        "amount_cents": doc["_amountCents"],
        "process_date": doc.get("processDate") or "",
        "status": doc["status"],
        "single_status": doc["singleStatus"],
        "disbursement_status": doc.get("disbursementStatus") or "",
        **_stamps(doc),
    }


def _payment_bill_rows(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted({(part["billId"],) for part in doc.get("billPayments") or []})


def _classification_columns(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": doc["_kind"],
        **_named(doc),
        "account_number": doc.get("accountNumber") or "",
        **_stamps(doc),
    }


def _line_filter(column: str) -> FilterField:
    return FilterField(column, "id", EQUALITY, in_child=True)


VENDORS = Resource(
    name="vendors",
    label="vendor",
    columns=_vendor_columns,
    filters={
        **_NAMED_FILTERS,
        "accountType": FilterField("t.account_type", "enum", EQUALITY, ACCOUNT_TYPES),
        "billCurrency": FilterField("t.bill_currency", "text", EQUALITY),
    },
    sorts=_NAME_SORTS,
)

BILLS = Resource(
    name="bills",
    label="bill",
    columns=_bill_columns,
    filters={
        "archived": _ARCHIVED,
        "vendorId": FilterField("t.vendor_id", "id", EQUALITY),
        "dueDate": FilterField("t.due_date", "date", ORDERED),
        "paymentStatus": FilterField("t.payment_status", "enum", EQUALITY, PAYMENT_STATUSES),
        "payFromChartOfAccountId": FilterField("t.pay_from_coa", "id", EQUALITY),
        "invoice.invoiceNumber": FilterField("t.invoice_number", "text", TEXT),
        "classifications.chartOfAccountId": _line_filter("chart_of_account_id"),
        "classifications.departmentId": _line_filter("department_id"),
        "classifications.locationId": _line_filter("location_id"),
        "classifications.accountingClassId": _line_filter("accounting_class_id"),
        "classifications.itemId": _line_filter("item_id"),
    },
    sorts={
        "archived": "archived",
        "dueDate": "due_date",
        "description": "description",
        "amount": "amount_cents",
        "invoice.invoiceDate": "invoice_date",
    },
    child=Child("bill_classifications", "bill_id", _bill_classification_rows),
)

PAYMENTS = Resource(
    name="payments",
    label="payment",
    columns=_payment_columns,
    filters={
        "vendorId": FilterField("t.vendor_id", "id", EQUALITY),
        "billId": FilterField("bill_id", "id", EQUALITY, in_child=True),
        "status": FilterField("t.status", "text", EQUALITY),
        "singleStatus": FilterField("t.single_status", "enum", EQUALITY, SINGLE_STATUSES),
        "disbursementStatus": FilterField("t.disbursement_status", "text", EQUALITY),
        "processDate": FilterField("t.process_date", "date", ORDERED),
        "amount": FilterField("t.amount_cents", "money", ORDERED),
    },
    sorts={
        "processDate": "process_date",
        "amount": "amount_cents",
        "disbursementStatus": "disbursement_status",
    },
    child=Child("payment_bills", "payment_id", _payment_bill_rows),
)

# Each classification kind (its path segment) and the singular word error messages use.
_CLASSIFICATION_LABELS = {
    "chart-of-accounts": "chart of accounts",
    "departments": "department",
    "locations": "location",
    "accounting-classes": "accounting class",
    "jobs": "job",
    "items": "item",
    "employees": "employee",
}
CLASSIFICATION_KINDS = tuple(_CLASSIFICATION_LABELS)


def _classification(kind: str) -> Resource:
    filters = dict(_NAMED_FILTERS)
    sorts = dict(_NAME_SORTS)
    if kind == "chart-of-accounts":
        filters["accountNumber"] = FilterField("t.account_number", "text", TEXT)
        sorts["accountNumber"] = "account_number"
    return Resource(
        name=kind,
        label=_CLASSIFICATION_LABELS[kind],
        table="classifications",
        columns=_classification_columns,
        filters=filters,
        sorts=sorts,
        kind=kind,
        announces=False,
    )


CLASSIFICATIONS = {kind: _classification(kind) for kind in CLASSIFICATION_KINDS}

RESOURCES: dict[str, Resource] = {
    "vendors": VENDORS,
    "bills": BILLS,
    "payments": PAYMENTS,
    **CLASSIFICATIONS,
}
