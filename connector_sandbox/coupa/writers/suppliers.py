"""Suppliers: name and number unique, status defaults to draft, primary address/contact edited in place."""

from __future__ import annotations

from typing import Any

from ..schema import MATCHING_LEVELS, PAYMENT_METHODS, PO_METHODS, SUPPLIER_STATUSES
from ..validation import EMAIL, normalize
from .common import WriteContext, address, begin, custom_fields, resolve, shipping_term, stamp, unique


def supplier_write(ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    draft = begin(ctx, "suppliers", current)
    resource, errors, doc, creating = draft.resource, draft.errors, draft.doc, draft.creating
    name = errors.text(body, "name", required=creating, max_length=100)
    if name is not None:
        unique(ctx, draft, "name", name, fold=True)
        doc["name"] = name
    if "number" in body:
        number = errors.text(body, "number", max_length=255)
        if number is not None:
            unique(ctx, draft, "number", number)
        doc["number"] = number
    if "display-name" in body or creating:
        doc["display-name"] = errors.text(body, "display-name", max_length=100) or doc.get("name")
    status = errors.choice(body, "status", SUPPLIER_STATUSES)
    doc["status"] = status or doc.get("status") or "draft"  # documented: defaults to draft if not set
    po_method = errors.choice(body, "po-method", PO_METHODS)
    if po_method or creating:
        doc["po-method"] = po_method or doc.get("po-method") or "prompt"
    if "po-email" in body:
        doc["po-email"] = errors.email(body, "po-email")
    if doc.get("po-method") == "email" and not doc.get("po-email"):
        errors.add("po-email", "can't be blank when the PO method is email")
    if "po-change-method" in body:
        doc["po-change-method"] = errors.choice(body, "po-change-method", PO_METHODS)
    payment_method = errors.choice(body, "payment-method", PAYMENT_METHODS)
    doc["payment-method"] = payment_method or doc.get("payment-method") or "invoice"
    level = errors.choice(body, "invoice-matching-level", MATCHING_LEVELS)
    if level or creating:
        doc["invoice-matching-level"] = level or doc.get("invoice-matching-level") or "3-way"
    if "payment-term" in body:
        term = resolve(ctx, errors, body, "payment-term", "payment_terms", ("code",))
        doc["payment-term"] = {"id": term["id"]} if term else doc.get("payment-term")
    shipping = errors.obj(body, "shipping-term")
    if shipping is not None:
        doc["shipping-term"] = shipping_term(shipping)
    for key in ("tax-id", "duns", "account-number"):
        if key in body:
            doc[key] = errors.text(body, key, max_length=255)
    for key in ("on-hold", "one_time_supplier"):
        value = errors.boolean(body, key)
        doc[key] = value if value is not None else doc.get(key, False)
    contact = errors.obj(body, "primary-contact")
    if contact is not None:
        existing = doc.get("primary-contact")
        if existing is not None and contact.get("id") not in (None, existing.get("id")):
            errors.add("primary-contact", "cannot be replaced by another record; edit its fields instead")
        else:
            merged = dict(existing or {"id": ctx.store.next_id("contacts")})
            for key in ("email", "name-given", "name-family"):
                if key in contact:
                    merged[key] = contact[key]
            if isinstance(contact.get("phone-work"), dict):
                merged["phone-work"] = normalize(contact["phone-work"])
            if merged.get("email") and not EMAIL.match(str(merged["email"])):
                errors.add("primary-contact", "email is not a valid email address")
            doc["primary-contact"] = merged
    doc["primary-address"] = address(
        errors, errors.obj(body, "primary-address"), doc.get("primary-address"), ctx, "primary-address"
    )
    doc["custom-fields"] = custom_fields(ctx, resource, body, doc.get("custom-fields") or {})
    errors.raise_if_any()
    stamp(ctx, draft, {"created-by": ctx.user(), "remit-to-addresses": [], "supplier-sites": []})
    doc["updated-by"] = ctx.user()
    return doc
