"""Vendors: ``/api/v3/vendors/`` list and create, ``/api/v3/vendors/{id}/`` read, PUT and PATCH.

What a client meets (reference 2.3):

* no modified-since filter: an incremental sync must scan; ``order_by=dateModified`` is honoured only
  with the ``vendor_order_by_date_modified`` variant (ignored otherwise, like any unknown ordering);
* the special OTHER vendor (id 1, type 1) is in every unfiltered list unless ``exclude_other=true``;
* names are not unique (deleted vendors stay as inactive rows); ``external_id`` is the ERP key, unique
  only with the ``vendor_external_id_unique`` variant;
* ``email`` is an array and required; field names mix camelCase and snake_case;
* ``dateModified`` moves on every write, or (``vendor_date_modified`` variant ``frozen``) only at creation.

``overall_score``, ``tax``, ``po_pdf_labels`` and the ``*_ref`` term objects are fields of the vendor
request (OptimizedVendorRequest; ``type`` and ``overall_score`` are required on create, the score
nullable): taken, and ignored by the sandbox. ``payment_methods`` is output-only.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from starlette.responses import Response

from .endpoints import ListQuery, read_filters
from .errors import invalid
from .listing import Filters
from .master_data import MasterData, Write, exists_in
from .representations import vendor
from .responses import listing
from .routing import ApiRoute, RequestContext
from .settings import BehaviourVariants
from .validation import Attributes, BodyValidator

VENDOR_TYPES = range(1, 8)
CREATABLE_TYPES = (3, 4, 5, 6)  # OTHER, HIDDEN and checkout vendors are system-made
_VENDOR_GROUPS = {
    "all": "1=1",
    "credit_card_providers": "v.type = 6",
    "default": "v.type IN (3, 4)",
    "other": "v.type = 1",
    "preferred": "v.type = 3",
    "purchasable": "v.active = 1 AND v.type IN (3, 4, 6)",
    "requestable": "v.active = 1 AND v.type IN (1, 3, 4)",
}
# API field -> max length (an assumption where the reference gives none); the column is the field in
# snake case ("addressLineOne" -> address_line_one).
_TEXT_LIMITS = {
    "addressLineOne": 255, "addressLineTwo": 255, "postalCode": 30, "city": 100, "state_province": 100,
    "country": 100, "phoneOne": 50, "phoneTwo": 50, "fax": 50, "contact": 150, "url": 200,
    "comments": 1000, "tax": 50,
}  # fmt: skip
_TEXT_FIELDS = {
    name: (re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower(), limit) for name, limit in _TEXT_LIMITS.items()
}


# vendors_list (newer snapshot): ``type__in`` is repeated (explode) and takes the type *names*.
TYPE_NAMES = {
    "other": 1,
    "amazon_punchout": 2,
    "preferred": 3,
    "regular": 4,
    "employee": 5,
    "cc_provider": 6,
    "checkout": 7,
    "pending": 8,
}


def _types_in(filters: Filters) -> None:
    """``type__in=preferred&type__in=regular``: a MultipleChoiceFilter over the names."""
    names = filters.values("type__in")
    if not names:
        return
    wrong = [name for name in names if name not in TYPE_NAMES]
    if wrong:
        filters.error("type__in", f"Select a valid choice. {wrong[0]} is not one of the available choices.")
        return
    codes = [TYPE_NAMES[name] for name in names]
    filters.add(f"v.type IN ({', '.join('?' for _ in codes)})", *codes)


def _vendor_filters(filters: Filters, variants: BehaviourVariants) -> None:
    filters.text("name", "v.name")
    filters.text("external_id", "v.external_id")
    filters.boolean("exclude_other", "v.type != 1", "1=1")
    filters.choice("type", "v.type", VENDOR_TYPES)
    _types_in(filters)
    if variants.vendor_group == "filter":
        group = filters.value("vendor_group")
        if group is not None and group not in _VENDOR_GROUPS:
            filters.error(
                "vendor_group", f"Select a valid choice. {group} is not one of the available choices."
            )
        elif group is not None:
            filters.add(_VENDOR_GROUPS[group])
    filters.search(["v.name", "v.external_id", "v.contact", "v.email"])


VENDORS = ListQuery(
    source="vendors v",
    orderings={"name": "v.name", "id": "v.id", "type": "v.type", "active": "v.active"},
    follows_list_order=False,
)


async def list_vendors(ctx: RequestContext) -> Response:
    """Filters and orderings both depend on variants, so this list builds them per request."""
    filters = read_filters(ctx, lambda filters: _vendor_filters(filters, ctx.variants))
    orderings = dict(VENDORS.orderings)
    if ctx.variants.vendor_order_by_date_modified:
        orderings["dateModified"] = "v.date_modified"
    page = VENDORS.page(ctx, filters, orderings=orderings)
    return listing(ctx.request, page, [vendor(row, ctx.lookups) for row in page.rows])


# OptimizedVendorRequest (vendors_create / vendors_update): what a vendor write takes; id, dateModified and
# payment_methods are read-only.
VENDOR_ATTRIBUTES = Attributes.of(
    (
        "name",
        "email",
        "external_id",
        "active",
        "type",
        "is_1099_eligible",
        "is_auto_email_po_enabled",
        "currency",
        "default_payment_method",
        "overall_score",
        "tax",
        "po_pdf_labels",
        "payment_term_ref",
        "shipping_term_ref",
        "payment_method_ref",
        "shipping_method_ref",
        *_TEXT_FIELDS,
    ),
    read_only=("id", "dateModified", "payment_methods"),
)


def _validate(ctx: RequestContext, body: Any, partial: bool, vendor_id: int | None) -> Write:
    check = BodyValidator(
        body, partial=partial, attributes=VENDOR_ATTRIBUTES, refuse_unknown=ctx.variants.refuses_unknown
    )
    check.required_string("name", max_length=150)
    check.email_list("email", required=True)
    external_id = check.string("external_id", max_length=100)
    check.boolean("active")
    check.choice("type", CREATABLE_TYPES)
    check.boolean("is_1099_eligible")
    check.boolean("is_auto_email_po_enabled")
    check.primary_key("currency", exists_in(ctx, "currencies"), "currency_id", allow_null=False)
    check.primary_key(
        "default_payment_method",
        lambda pk: (
            ctx.state.store.scalar("SELECT 1 FROM terms WHERE id = ? AND kind = 'payment_method'", (pk,))
            is not None
        ),
    )
    for name, (column, limit) in _TEXT_FIELDS.items():
        check.string(name, column, max_length=limit)
    if external_id and ctx.variants.vendor_external_id_unique:
        clash = ctx.state.store.scalar(
            "SELECT id FROM vendors WHERE external_id = ? AND id != ?", (external_id, vendor_id or 0)
        )
        if clash is not None:
            check.error("external_id", "vendor with this external id already exists.")
    check.check()
    clean = dict(check.clean)
    if "email" in clean:
        clean["email"] = json.dumps(clean["email"], ensure_ascii=False)
    return Write(clean)


def _refuse_system_vendor(row: sqlite3.Row) -> None:
    if row["type"] in (1, 2):
        raise invalid({"non_field_errors": ["System vendors cannot be modified."]})


VENDOR_RECORDS = MasterData(
    path="/api/v3/vendors/",
    family="vendors",
    table="vendors",
    list=list_vendors,
    render=vendor,
    validate=_validate,
    defaults={
        "active": 1,
        "type": 3,
        "currency_id": 3,
        "is_1099_eligible": 0,
        "is_auto_email_po_enabled": 0,
        "comments": "",
        "external_id": None,
    },
    stamp="date_modified",
    refuse_change=_refuse_system_vendor,
    update_methods=("PUT", "PATCH"),
    stamps_updates=lambda ctx: ctx.variants.vendor_date_modified == "on_write",
)


def vendor_routes() -> list[ApiRoute]:
    return VENDOR_RECORDS.routes()
