"""What the connector reads from Procurify, declared as data: path, "updated" field, key, how the
server can narrow a change window, and which filters the reference documents.

Why declared: the reading code is one paginator and three window strategies; an entity is a row in
this table, not a copy of a loop. Only filters the reference lists are allowed, because the server
ignores unknown ones silently (django-filter), and a client that merely *thinks* it filtered would
read a whole collection as "changed".

Change detection per entity (reference §2.3-§2.8):

=================  =========================  ============================================================
entity             updated field              how a window ``[start, end)`` is asked for
=================  =========================  ============================================================
vendors            ``dateModified``           no date filter: ``order_by=-dateModified`` and stop at the
                                              first older row, *if* the server honours that order
                                              (unconfirmed); otherwise a full scan, filtered client-side
requisitions       ``dateModified``           ``modified_date_0/_1`` (days)
order_items        ``last_modified``          ``last_modified_0/_1`` (days)
purchase_orders    ``last_modified``          ``modified_date_0/_1`` (days), list ``purchased/all``
bills              ``last_modified_datetime`` ``last_modified_datetime_0/_1`` (date-times)
payments           ``updated_at``             ``updated_at_after/_before`` (date-times), current API
=================  =========================  ============================================================

Account codes, departments, budget accounts and locations have **no** updated field and no date
filter: they are small master data, read whole (``iter_all``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connector_resources.declared import by_name

# Query parameters every list takes (§2.2); the paginator owns page/page_size, windows own order_by.
COMMON_FILTERS = frozenset({"search"})
RESERVED_PARAMS = frozenset({"page", "page_size", "format"})

PO_ROLES = ("purchased", "receivable")
PO_STATUSES = ("all", "open", "partial", "closed", "cancelled", "paid")


@dataclass(frozen=True)
class WindowFilter:
    """The server-side filter for a change window: inclusive ``lower`` / ``upper`` parameters that
    take days (``YYYY-MM-DD``) or date-times."""

    kind: Literal["date", "datetime"]
    lower: str
    upper: str


@dataclass(frozen=True)
class EntitySpec:
    """One readable Procurify collection.

    ``keys``: fields that identify a row, first present wins (dedupe across pages and re-reads).
    ``order_by``: ascending sort on the updated field for window reads (None: send none).
    ``sorted_desc_probe``: no date filter, but try ``-updated`` ordering to stop early (vendors).
    ``csv_filters``: filters that take comma-separated values (lists are joined for them; other
    list values are repeated, e.g. ``vendor[]``).
    ``detail``: the single-record path (``{id}`` placeholder), None when the reference has none;
    ``detail_unconfirmed``: the path is documented for writes only, so GET may be missing there.
    """

    name: str
    title: str
    path: str
    updated_field: str | None
    keys: tuple[str, ...]
    filters: frozenset[str]
    window: WindowFilter | None = None
    order_by: str | None = None
    sorted_desc_probe: bool = False
    csv_filters: frozenset[str] = frozenset()
    detail: str | None = None
    detail_unconfirmed: bool = False
    permission: str = ""

    @property
    def allowed_filters(self) -> frozenset[str]:
        return self.filters | COMMON_FILTERS


def _filters(names: str = "", *, ranges: str = "", lower: str = "_0", upper: str = "_1") -> frozenset[str]:
    """The filters a list takes (both arguments space separated): each of ``names`` as it is, and each of
    ``ranges`` as the inclusive pair ``<name><lower>`` / ``<name><upper>`` (django-filter's range form)."""
    pairs = (f"{name}{suffix}" for name in ranges.split() for suffix in (lower, upper))
    return frozenset((*names.split(), *pairs))


def _setup(name: str, title: str, path: str, filters: str, *, detail: bool = False) -> EntitySpec:
    """A master-data list of the ``setup`` permission: keyed by ``id``, no updated field; ``detail``:
    its single-record path (``path`` + ``{id}/``) is documented, for writes only."""
    return EntitySpec(
        name=name,
        title=title,
        path=path,
        updated_field=None,
        keys=("id",),
        filters=_filters(filters),
        detail=f"{path}{{id}}/" if detail else None,
        detail_unconfirmed=detail,
        permission="setup",
    )


SPECS: dict[str, EntitySpec] = by_name(
    EntitySpec(
        name="vendors",
        title="vendor",
        path="/api/v3/vendors/",
        updated_field="dateModified",
        keys=("id",),
        filters=_filters("name external_id exclude_other type type__in order_by"),
        sorted_desc_probe=True,
        # type__in is repeated (explode) and takes type names (vendors_list): never comma-joined.
        detail="/api/v3/vendors/{id}/",
        permission="vendors",
    ),
    EntitySpec(
        name="requisitions",
        title="requisition",
        path="/api/v2/global/orders/",
        updated_field="dateModified",
        keys=("uuid", "num"),  # §2.4 header fields: no `id` is documented
        filters=_filters(
            "status department location branch pref_vendor requester order_by",
            ranges="date modified_date required_date",
        ),
        window=WindowFilter("date", "modified_date_0", "modified_date_1"),
        order_by="dateModified",
        permission="requisitions",
    ),
    EntitySpec(
        name="order_items",
        title="order item",
        path="/api/v2/global/order_items/",
        updated_field="last_modified",
        keys=("id",),
        filters=_filters(
            "status orderNum orderNum__status po_vendor account_code department is_purchased order_by",
            ranges="last_modified po_created_date purchased_date approved_datetime order_created_date",
        ),
        window=WindowFilter("date", "last_modified_0", "last_modified_1"),
        order_by="last_modified",
        permission="requisitions",
    ),
    EntitySpec(
        name="purchase_orders",
        title="purchase order",
        # role and status are path segments; the "role" / "status" filters fill them in.
        path="/api/v2/purchase_orders/{role}/{status}/",
        updated_field="last_modified",
        keys=("uuid", "procurify_PO"),
        filters=_filters(
            "role status pref_vendor purchaser requester contract currency account_code order_by",
            ranges="date modified_date promise_date expiry_date total",
        ),
        window=WindowFilter("date", "modified_date_0", "modified_date_1"),
        order_by="last_modified",
        detail="/api/v2/purchase_orders/{id}/",
        permission="purchase_orders",
    ),
    EntitySpec(
        name="bills",
        title="bill",
        path="/api/v3/ap/bills/",
        updated_field="last_modified_datetime",
        keys=("uuid", "id"),
        filters=_filters(
            "is_exported has_payment vendor vendor[] type approver currency group sync_status_v2 order_by",
            ranges="last_modified_datetime modified_date invoice_date due_date submitted_date gl_post_date "
            "payment_date last_export_date",
        ),
        window=WindowFilter("datetime", "last_modified_datetime_0", "last_modified_datetime_1"),
        order_by="last_modified_datetime",
        detail="/api/v2/ap/bills/{id}/",
        permission="ap",
    ),
    EntitySpec(
        name="payments",
        title="payment",
        # The current public API; /api/v2/ap/payments/ is deprecated (removal after 2026-06-05).
        path="/api/public/v1/payments/",
        updated_field="updated_at",
        keys=("id", "uuid"),
        filters=_filters(
            "status vendor currency ids bill_groups invoice_number payment_amount order_by",
            ranges="updated_at created_at processing_date",
            lower="_after",
            upper="_before",
        ),
        window=WindowFilter("datetime", "updated_at_after", "updated_at_before"),
        # The only sort keys the reference allows here: created_at / updated_at, either way.
        order_by="updated_at",
        csv_filters=frozenset({"status", "ids", "bill_groups"}),
        permission="payments",
    ),
    # Master data: no updated field and no date filter, read whole.
    _setup(
        "account_codes",
        "account code",
        "/api/v3/account-codes/",
        "active code is_parent order_by",
        detail=True,
    ),
    # The reference lists "branch, locations, search, ..."; only those are used.
    _setup("departments", "department", "/api/v3/departments/", "branch locations", detail=True),
    _setup("accounts", "budget account", "/api/v3/accounts/", "account_code department active in_effect"),
    _setup("locations", "location", "/api/v2/locations/", ""),
)

# Entities whose changes can be found by their updated field (what ``iter_changed`` serves).
CHANGE_ENTITIES: dict[str, str] = {
    name: spec.updated_field for name, spec in SPECS.items() if spec.updated_field is not None
}
# entity -> the fields that identify a row, first present wins: requisition headers carry ``num`` and
# ``uuid`` (§2.4), purchase orders ``uuid`` and ``procurify_PO`` (§2.5), bills and payments ``id`` and
# ``uuid`` (§2.6, §2.7), the rest ``id`` (§2.3, §2.8).
KEYS: dict[str, tuple[str, ...]] = {name: spec.keys for name, spec in SPECS.items()}
# Small master data without an updated field: read whole with ``iter_all``.
SNAPSHOT_ENTITIES: tuple[str, ...] = tuple(name for name, spec in SPECS.items() if spec.updated_field is None)
# What ``ping`` proves read access to: everything the flows read or write.
PING_ENTITIES: tuple[str, ...] = (
    "vendors",
    "requisitions",
    "order_items",
    "purchase_orders",
    "bills",
    "payments",
    "account_codes",
    "departments",
)


def spec_for(entity: str) -> EntitySpec:
    try:
        return SPECS[entity]
    except KeyError:
        raise KeyError(f"Procurify has no entity {entity!r} here; known: {', '.join(SPECS)}") from None
