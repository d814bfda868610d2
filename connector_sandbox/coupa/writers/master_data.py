"""Accounts (on an existing chart, code from segments, unique per chart), lookup values (hierarchical
``external-ref-code``), and Coupa Pay payments (only ``exported`` may change)."""

from __future__ import annotations

from typing import Any

from .common import WriteContext, begin, reject_taken, resolve, stamp


def account_write(ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    draft = begin(ctx, "accounts", current)
    resource, errors, doc, creating = draft.resource, draft.errors, draft.doc, draft.creating
    if creating or "account-type" in body:
        # The chart of accounts must already exist; it cannot be created through the API.
        chart = resolve(ctx, errors, body, "account-type", "account_types", ("name",), required=creating)
        if chart is not None:
            doc["account-type"] = {"id": chart["id"]}
    for number in range(1, 21):
        key = f"segment-{number}"
        if key in body:
            doc[key] = errors.text(body, key, max_length=100)
    if not doc.get("segment-1"):
        errors.add("segment-1", "can't be blank")
    segments = [doc.get(f"segment-{n}") for n in range(1, 21)]
    code = "-".join(segment for segment in segments if segment)
    doc["code"] = code
    name = errors.text(body, "name", max_length=255)
    if name is not None:
        doc["name"] = name
    elif creating:
        doc["name"] = code
    active = errors.boolean(body, "active")
    doc["active"] = active if active is not None else doc.get("active", True)
    if code and doc.get("account-type"):
        clash = ctx.store.find_one(
            resource,
            't."ix_code" = ? AND json_extract(t.doc, \'$."account-type".id\') = ?',
            [code, doc["account-type"]["id"]],
        )
        reject_taken(errors, clash, doc, "code")
    errors.raise_if_any()
    return stamp(ctx, draft)


def lookup_value_write(
    ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None
) -> dict[str, Any]:
    draft = begin(ctx, "lookup_values", current)
    resource, errors, doc, creating = draft.resource, draft.errors, draft.doc, draft.creating
    name = errors.text(body, "name", required=creating, max_length=255)
    if name is not None:
        doc["name"] = name
    if creating or "lookup" in body:
        lookup = resolve(ctx, errors, body, "lookup", "lookups", ("name",), required=creating)
        if lookup is not None:
            doc["lookup"] = {"id": lookup["id"]}
    parent = None
    if "parent" in body and body["parent"] is not None:
        parent = resolve(ctx, errors, body, "parent", "lookup_values", ("external-ref-code",))
        if parent is not None and doc.get("lookup") and parent["lookup"]["id"] != doc["lookup"]["id"]:
            errors.add("parent", "belongs to another lookup")
            parent = None
        if parent is not None:
            doc["parent"] = {"id": parent["id"]}
    elif doc.get("parent"):
        parent = ctx.store.get(resource, doc["parent"]["id"])
    if "external-ref-num" in body:
        doc["external-ref-num"] = errors.text(body, "external-ref-num", max_length=255)
    for key in ("description",):
        if key in body:
            doc[key] = errors.text(body, key, max_length=255)
    for key, default in (("active", True), ("is-default", False)):
        value = errors.boolean(body, key)
        doc[key] = value if value is not None else doc.get(key, default)
    own = doc.get("external-ref-num") or doc.get("name") or ""
    doc["external-ref-code"] = own if parent is None else f"{parent['external-ref-code']}-{own}"
    doc["depth"] = 1 if parent is None else int(parent.get("depth") or 1) + 1
    if doc.get("lookup"):
        clash = ctx.store.find_one(
            resource,
            "t.\"ix_external_ref_code\" = ? AND json_extract(t.doc, '$.lookup.id') = ?",
            [doc["external-ref-code"], doc["lookup"]["id"]],
        )
        reject_taken(errors, clash, doc, "name")
    errors.raise_if_any()
    return stamp(ctx, draft)


def payment_write(ctx: WriteContext, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Coupa Pay payments: PUT may only set ``exported``; anything else is ignored (unpermitted)."""
    assert current is not None
    return dict(current)
