"""Which attributes a write may carry, checked before any other validation and at every depth.

The reference (docs/reference/coupa.md 2.3-2.5) lists each resource's elements but is silent on what Coupa
does with an element it does not know, one it computes itself, or one of the wrong JSON type. Rails'
strong parameters would drop them without a word, which would hide a client that depends on an
attribute Coupa never stores (a flow must not depend on an unconfirmed attribute). The
sandbox therefore takes the strict reading by default (``reject_unknown_attributes``) and answers
the confirmed error shape, 400 ``{"errors": {"<element>": [...]}}``, naming each attribute by its
path, before it looks at anything else in the body.
"""

from __future__ import annotations

from typing import Any

from .schema import RESOURCES, Collection, Embedded, Kind, Node, Reference, Resource, Scalar, child

# Set by Coupa on every record and line, never by a client.
STAMPED = frozenset({"created-at", "updated-at", "created-by", "updated-by"})
# Per resource: header elements Coupa computes or changes only through its own actions (a PO's status
# moves by /issue, /cancel, ...; an invoice's by /submit, /void, ...), and line elements it computes.
READ_ONLY: dict[str, frozenset[str]] = {
    "suppliers": frozenset(),
    "purchase_orders": frozenset(
        {"version", "internal-revision", "total", "invoice-total", "last-exported-at", "transmission-status"}
    ),
    # document-type is output only (Compass, Invoices API elements): a client says is-credit-note.
    "invoices": frozenset(
        {"status", "approvals", "last-exported-at", "lock-version-key", "gross-total", "document-type"}
    ),
    "accounts": frozenset(),
    "lookup_values": frozenset({"depth"}),
    "payments": frozenset(),
}
LINE_READ_ONLY = frozenset(
    {"total", "received", "invoiced", "order-header-id", "version", "deleted-at", "status"}
)
# Documented but deprecated names Coupa still takes on writes: ``check-number`` (replaced by ``notes``
# on a payment, docs/reference/coupa.md 2.6; the header form stands for ``payment-notes``). Accepted, not
# rendered.
DEPRECATED: dict[str, frozenset[str]] = {
    "invoices": frozenset({"check-number"}),
    "payment": frozenset({"check-number"}),
}
# Written only on create (an external PO may be POSTed issued or as a draft; afterwards only actions).
CREATE_ONLY: dict[str, frozenset[str]] = {"purchase_orders": frozenset({"status", "type"})}


def misfit_attributes(resource: Resource, body: dict[str, Any], *, creating: bool) -> list[str]:
    """Messages for every unknown, read-only or wrongly typed attribute of ``body``, at any depth."""
    read_only = READ_ONLY.get(resource.key, frozenset()) | {"id"}
    if not creating:
        read_only |= CREATE_ONLY.get(resource.key, frozenset())
    problems: list[str] = []
    accepted = DEPRECATED.get(resource.key, frozenset())
    _check_object(
        resource.fields,
        {k: v for k, v in body.items() if k not in accepted},
        "",
        read_only,
        problems,
        line=False,
    )
    return problems


def _check_object(
    fields: dict[str, Node],
    value: dict[str, Any],
    path: str,
    read_only: frozenset[str] | set[str],
    problems: list[str],
    *,
    line: bool,
    deprecated: frozenset[str] = frozenset(),
) -> None:
    for key, given in value.items():
        if (line and key == "_delete") or key in deprecated:  # the documented line-removal flag
            continue
        found = child(fields, key)
        label = f"{path}{key}"
        if found is None:
            problems.append(f"{label} is an unknown attribute")
            continue
        name, node = found
        if name in STAMPED or name in read_only:
            problems.append(f"{label} is read only")
            continue
        if given is not None:
            _check_node(node, given, label, problems)


def _check_node(node: Node, given: Any, label: str, problems: list[str]) -> None:
    if isinstance(node, Scalar):
        if not _fits(node.kind, given):
            problems.append(f"{label} is not a valid {node.kind.value}")
    elif isinstance(node, Embedded):
        if not isinstance(given, dict):
            problems.append(f"{label} must be an object")
        else:
            _check_object(node.fields, given, f"{label} ", set(), problems, line=False)
    elif isinstance(node, Reference):
        if not isinstance(given, dict):
            problems.append(f"{label} must be an object (id or natural key)")
        else:
            # An association is named by id or any element of the associated record; stamps are not keys.
            _check_object(RESOURCES[node.resource].fields, given, f"{label} ", set(), problems, line=False)
    elif isinstance(node, Collection):
        if not isinstance(given, list) or not all(isinstance(item, dict) for item in given):
            problems.append(f"{label} must be a list of objects")
            return
        lines = node.item_element in ("order-line", "invoice-line")
        for index, item in enumerate(given, start=1):
            read_only = LINE_READ_ONLY if lines else frozenset()
            _check_object(
                node.fields,
                item,
                f"{label}[{index}] ",
                read_only,
                problems,
                line=lines,
                deprecated=DEPRECATED.get(node.item_element, frozenset()),
            )


def _fits(kind: Kind, given: Any) -> bool:
    """JSON types Coupa's readers take for an element (decimals as strings or numbers)."""
    if given is None:
        return True
    if kind is Kind.OBJECT:
        return isinstance(given, dict)
    if isinstance(given, dict | list):
        return False
    if kind is Kind.BOOL:
        return isinstance(given, bool) or str(given).strip().lower() in ("true", "false", "1", "0", "t", "f")
    if isinstance(given, bool):
        return False
    if kind is Kind.INT:
        return isinstance(given, int) or (isinstance(given, str) and given.strip().isdigit())
    if kind is Kind.DECIMAL:
        return isinstance(given, int | float | str)  # the value itself is checked later
    if kind in (Kind.DATE, Kind.DATETIME):
        return isinstance(given, str)
    return isinstance(given, str | int | float)
