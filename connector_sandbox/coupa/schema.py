"""The shape of every simulated Coupa resource, as one declarative tree per resource.

The same tree drives storage (which paths hold references to other tables), query compilation
(``supplier[name]=...``, ``order_lines[account][code]=...``), rendering (hydrating references,
``fields=``, ``return_object=``, XML element names) and write validation, so a field added to the tree is
filterable, renderable and typed everywhere at once. Element names are Coupa's hyphenated ones.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any


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


# The trees themselves are data (resources.json): ``nodes`` are shapes several resources embed (an address,
# a user), ``field_sets`` the lists of fields that owned children share (``stamps``, an order or invoice
# ``line``; a set may extend another), ``resources`` every resource with its own fields. A field is a Kind's
# value (``"string"``), ``"@name"`` of a node, ``{"reference": table}``, ``{"embedded": {fields}}`` or
# ``{"collection": item element, "fields": {fields} or "@field set"}``. Worth knowing in there: remit-to
# addresses use underscores (quirk 2 of the reference: the address API's spelling, so clients prove they
# tolerate both), and an order line's ``deleted-at`` shows only with ``show_deleted_lines=true``.
_TREES: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("resources.json").read_text(encoding="utf-8")
)


def _field_set(name: str) -> dict[str, Node]:
    spec = _TREES["field_sets"][name]
    if "extends" not in spec:
        return _fields(spec)
    return {**_field_set(spec["extends"]), **_fields(spec["fields"])}


def _fields(spec: dict[str, Any]) -> dict[str, Node]:
    return {name: _node(node) for name, node in spec.items()}


def _node(spec: str | dict[str, Any]) -> Node:
    if isinstance(spec, str):
        return _node(_TREES["nodes"][spec[1:]]) if spec.startswith("@") else Scalar(Kind(spec))
    if "reference" in spec:
        return Reference(spec["reference"])
    if "embedded" in spec:
        return Embedded(_fields(spec["embedded"]))
    fields = spec["fields"]
    return Collection(
        spec["collection"], _field_set(fields[1:]) if isinstance(fields, str) else _fields(fields)
    )


def _resource(spec: dict[str, Any]) -> Resource:
    return Resource(
        **{
            name: tuple(value) if isinstance(value, list) else value
            for name, value in spec.items()
            if name != "fields"
        },
        fields=_fields(spec["fields"]),
    )


# Every resource, and every line or payment it owns, carries these first.
_STAMPS: dict[str, Node] = _field_set("stamps")

RESOURCES: dict[str, Resource] = {spec["key"]: _resource(spec) for spec in _TREES["resources"]}
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
