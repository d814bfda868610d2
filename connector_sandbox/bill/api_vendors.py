"""Vendors: list, get, create, bulk create (<= 20, all-or-nothing), PATCH / PUT, archive / restore.

BILL has no idempotency keys: a repeated create makes a second vendor (unless the
``reject_duplicate_vendor_names`` variant is on). Bank details need an MFA-trusted session.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import errors
from .api_common import fetch, get_handler, make_id, record_routes, rendered, resource_routes
from .api_writes import check_bulk, exists_elsewhere, save, set_archived, store_created
from .documents import apply_vendor_fields, new_vendor_doc, render
from .errors import BillError
from .formats import now_ms
from .pipeline import Call, json_array, json_object
from .resources import VENDORS
from .validation import (
    PAYMENT_INFO_READONLY,
    VENDOR_READONLY,
    Checker,
    check_vendor,
    merge_patch,
    vendor_label,
    writable,
)


def _validate(
    call: Call, body: dict[str, Any], check: Checker, *, taken: set[str], exclude: str | None = None
) -> tuple[dict[str, Any], dict[str, str] | None]:
    fields, bank = check_vendor(body, check)
    if bank is not None and not (call.session and call.session.trusted):
        check.fail(
            "paymentInformation.bankAccount",
            "adding bank details requires an MFA-trusted session",
            errors.MFA_REQUIRED,
        )
    name = fields.get("name")
    if name and call.settings.variants.reject_duplicate_vendor_names:
        fold = name.casefold()
        if fold in taken or exists_elsewhere(call, VENDORS, "t.name_fold = ?", [fold], exclude):
            check.fail("name", f"a vendor named {name!r} already exists", errors.DUPLICATE)
        taken.add(fold)
    return fields, bank


def _status(check: Checker) -> int:
    return 403 if any(problem.code == errors.MFA_REQUIRED for problem in check.problems) else 400


async def create(call: Call) -> Response:
    body = json_object(call.body)
    check = Checker(vendor_label(body), strict=call.strict)
    fields, bank = _validate(call, body, check, taken=set())
    if check.problems:
        raise BillError(_status(check), check.problems)
    doc = new_vendor_doc(make_id(call, "vendor"), fields, bank, now_ms())
    call.state.store.put(VENDORS, call.org, doc)
    call.state.publish(call.org, "vendors", "created", doc)
    return rendered(call, VENDORS, doc, 201)


async def bulk_create(call: Call) -> Response:
    records = json_array(call.body, call.settings.vendor_bulk_max, "vendors")
    taken: set[str] = set()

    def check_one(record: dict[str, Any], check: Checker) -> tuple[dict[str, Any], dict[str, str] | None]:
        return _validate(call, record, check, taken=taken)

    prepared = check_bulk(call, records, vendor_label, check_one, noun="vendors")
    ms = now_ms()
    docs = [new_vendor_doc(make_id(call, "vendor"), fields, bank, ms) for fields, bank in prepared]
    return store_created(call, VENDORS, docs, key="vendors")  # the collection's 'Create multiple vendors'


def _update(*, replace: bool):
    async def handler(call: Call) -> Response:
        doc = fetch(call, VENDORS, call.param("id"))
        patch = json_object(call.body)
        shown = render("vendors", doc, call.settings)
        nested = {"paymentInformation": PAYMENT_INFO_READONLY}
        base = {} if replace else writable(shown, VENDOR_READONLY, nested)
        merged = merge_patch(base, patch)
        check = Checker(vendor_label(merged), strict=call.strict)
        fields, bank = _validate(call, merged, check, taken=set(), exclude=doc["id"])
        if check.problems:
            raise BillError(_status(check), check.problems)
        apply_vendor_fields(doc, fields, bank)
        save(call, VENDORS, doc, "updated")
        return rendered(call, VENDORS, doc)

    return handler


def _archive(archived: bool):
    async def handler(call: Call) -> Response:
        if not call.settings.variants.vendor_archive_routes:
            raise errors.error(
                404, errors.API_NOT_SUPPORTED, f"API not supported: POST {call.request.url.path}"
            )
        doc = fetch(call, VENDORS, call.param("id"))
        set_archived(call, VENDORS, doc, archived)  # archiving an archived vendor is a no-op
        return rendered(call, VENDORS, doc)

    return handler


def routes() -> list:
    base = "/v3/vendors"
    edits = {"GET": get_handler(VENDORS), "PATCH": _update(replace=False), "PUT": _update(replace=True)}
    return [*resource_routes(base, VENDORS, create, bulk_create), *record_routes(base, edits, _archive)]
