"""What the connector reads and writes in Coupa, as data: paths, change fields, scopes, error keys.

Every fact here comes from the Coupa reference (``docs/reference/coupa.md``): resources live at
``/api/{plural snake_case}`` (§1), JSON keys are hyphenated while query arguments use underscores
(§1, §2.2), and scopes are ``service.object.right`` strings (§2.1). Where the reference is silent
the choice is marked *unconfirmed* with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connector_resources.coupa.errors import CoupaInputError, CoupaScopeError
from connector_resources.declared import by_name
from connector_resources.errors import known_entity

COMMON_READ = "core.common.read"


@dataclass(frozen=True)
class Entity:
    """One Coupa resource the connector uses.

    ``updated_field`` is the JSON key of the change marker (``updated-at``, reference §1: "the
    reliable change marker"); ``updated_arg`` is the same attribute as a query argument (dashes become
    underscores, §2.2). ``element`` is the key Coupa files validation errors under (§2.9).
    ``key_field`` identifies a record. ``change_feed`` says whether the entity is polled as a
    day-partitioned change feed (a source asset): only entities whose documented fields include the
    change marker are; the others are read whole.
    """

    name: str
    path: str
    scope_family: str
    element: str
    label: str
    updated_field: str = "updated-at"
    updated_arg: str = "updated_at"
    change_feed: bool = True
    key_field: str = "id"  # every element table in §2.3-§2.7 starts with ``id``

    @property
    def read_scope(self) -> str:
        return f"{self.scope_family}.read"

    @property
    def write_scope(self) -> str:
        return f"{self.scope_family}.write"


_ENTITIES: tuple[Entity, ...] = (
    Entity("suppliers", "api/suppliers", "core.supplier", "supplier", "supplier"),
    Entity("purchase_orders", "api/purchase_orders", "core.purchase_order", "order-header", "purchase order"),
    Entity("invoices", "api/invoices", "core.invoice", "invoice-header", "invoice"),
    # Coupa Pay payments (§2.6 item 2). ERP payments recorded onto invoices live in the invoice.
    Entity("payments", "api/coupa_pay/payments", "core.pay.payments", "payment", "Coupa Pay payment"),
    Entity("accounts", "api/accounts", "core.accounting", "account", "account"),
    # The lookup-value element table (§2.7) lists no created-at/updated-at, and no scope family is
    # documented for it. So lookup values are read whole and found by key, never polled as a change feed
    # (a server without the timestamp would fail every poll); ``iter_changed`` still works where rows
    # carry updated-at, and names a row without it. core.common is the family the reference calls
    # "minimum for most connections" (unconfirmed).
    Entity(
        "lookup_values", "api/lookup_values", "core.common", "lookup-value", "lookup value", change_feed=False
    ),
)

ENTITIES: dict[str, Entity] = by_name(*_ENTITIES)
# Master data read only to check what a mapping table names (``iter_in`` by code), never staged or pinged:
# payment terms are under core.common like lookup values (unconfirmed, as there).
LOOKED_UP: dict[str, Entity] = by_name(
    Entity(
        "payment_terms", "api/payment_terms", "core.common", "payment-term", "payment term", change_feed=False
    )
)
# entity -> the fields that identify a record; entities read whole (no documented change marker).
KEYS: dict[str, tuple[str, ...]] = {e.name: (e.key_field,) for e in _ENTITIES}
SNAPSHOT_ENTITIES: tuple[str, ...] = tuple(e.name for e in _ENTITIES if not e.change_feed)

# Read scopes of every entity, plus core.common.read, which Coupa calls the minimum for most
# connections (§2.1): a session that may read anything.
READ_SCOPES: tuple[str, ...] = tuple(dict.fromkeys([COMMON_READ, *(e.read_scope for e in _ENTITIES)]))
WRITE_SCOPES: tuple[str, ...] = (
    "core.supplier.write",
    "core.purchase_order.write",
    "core.invoice.write",
    "core.pay.payments.write",
)
# Every scope some flow of the connector asks for; the default of ``CoupaResource.scopes``.
ALL_SCOPES: tuple[str, ...] = READ_SCOPES + WRITE_SCOPES

# The scopes each flow needs, so a session asks only for what it uses (§2.1: the token request
# names its scopes; asking for one the client lost breaks the request).
FLOW_SCOPES: dict[str, tuple[str, ...]] = {
    # JDE suppliers -> Coupa: search by number / tax id / name, create or update.
    "suppliers": (COMMON_READ, "core.supplier.read", "core.supplier.write"),
    # JDE purchase orders -> Coupa external POs: supplier lookup, accounts per line.
    "purchase_orders": (
        COMMON_READ,
        "core.supplier.read",
        "core.accounting.read",
        "core.purchase_order.read",
        "core.purchase_order.write",
    ),
    # JDE vouchers -> Coupa invoices on GL accounts, optionally against PO lines.
    "invoices": (
        COMMON_READ,
        "core.supplier.read",
        "core.accounting.read",
        "core.purchase_order.read",
        "core.invoice.read",
        "core.invoice.write",
    ),
    # JDE payments recorded onto Coupa invoices (§2.6 item 1 is a PUT on the invoice).
    "invoice_payments": (COMMON_READ, "core.invoice.read", "core.invoice.write"),
    # Polling fallback for webhooks: invoices and Coupa Pay payments changed since a time, and
    # marking them exported afterwards (§2.8 is a PUT, hence the write scopes).
    "polling": (
        COMMON_READ,
        "core.invoice.read",
        "core.invoice.write",
        "core.pay.payments.read",
        "core.pay.payments.write",
    ),
    # Mapping validation: accounts and lookup values.
    "mapping": (COMMON_READ, "core.accounting.read"),
    # Source assets of any entity.
    "read": READ_SCOPES,
}


def entity(name: str) -> Entity:
    """The ``Entity`` called ``name``; a clear error listing the known ones otherwise."""
    return known_entity(
        {**ENTITIES, **LOOKED_UP}, name, "Coupa", lambda message: CoupaInputError(message, field="entity")
    )


def normalise_scopes(scopes: Iterable[str] | str) -> tuple[str, ...]:
    """Scopes as a de-duplicated tuple; a string may be space- or comma-separated (the Coupa UI
    shows them comma-separated, the token endpoint wants spaces, §2.1)."""
    items = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes)
    out: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise CoupaInputError(f"scope {item!r} is not a non-empty string", field="scopes")
        text = item.strip()
        if text.count(".") < 2:
            raise CoupaInputError(
                f"scope {text!r} is not a Coupa scope (service.object.right, e.g. core.invoice.read)",
                field="scopes",
            )
        if text not in out:
            out.append(text)
    return tuple(out)


def scopes_for(
    scopes: Iterable[str] | str | None, flow: str | None, allowed: tuple[str, ...]
) -> tuple[str, ...]:
    """The scopes a session asks for: explicit ``scopes``, else the ``flow``'s, else every read scope
    the resource holds.

    They must be among ``allowed`` (the scopes the resource is configured to hold), so a flow that
    needs more than the OAuth client was given fails here, by name, before any token request.
    """
    if scopes is not None and flow is not None:
        raise CoupaInputError("pass scopes or flow, not both", field="scopes")
    if flow is not None:
        if flow not in FLOW_SCOPES:
            raise CoupaInputError(f"unknown flow {flow!r}; known: {', '.join(FLOW_SCOPES)}", field="flow")
        wanted = FLOW_SCOPES[flow]
    elif scopes is not None:
        wanted = normalise_scopes(scopes)
    else:
        # Every read the configured client may do: a restricted client still gets a default session.
        wanted = tuple(s for s in READ_SCOPES if s in allowed)
    if not wanted:
        raise CoupaInputError("a Coupa session needs at least one scope", field="scopes")
    missing = [s for s in wanted if s not in allowed]
    if missing:
        raise CoupaScopeError(
            f"the session asks for scope(s) {', '.join(missing)}, which the Coupa resource is not "
            f"configured to hold (scopes setting: {' '.join(allowed)})",
            missing=tuple(missing),
        )
    return tuple(wanted)
