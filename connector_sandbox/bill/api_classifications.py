"""GL classifications: chart of accounts, departments, locations, accounting classes, jobs, items,
employees, all under ``/v3/classifications/<kind>`` with one pattern (reference 2.9): list, get, create,
PATCH, archive / restore, and the bulk variants (all-or-nothing).

Only ``id``, ``name`` and ``archived`` are confirmed field names; chart-of-accounts objects also carry
``accountNumber``, ``type`` and ``parentId`` (the reference's guesses). Account numbers are unique per
organization (sandbox rule). No webhook events exist for classifications.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.responses import Response

from . import errors
from .api_common import fetch, get_handler, make_id, record_routes, rendered, resource_routes
from .api_writes import check_bulk, exists_elsewhere, rolled_back, save, set_archived, store_created
from .documents import render, stamp
from .errors import Problem
from .formats import now_ms
from .pipeline import Call, api_route, json_array, json_object, ok
from .resources import CLASSIFICATION_KINDS, CLASSIFICATIONS, Resource
from .validation import Checker, merge_patch, writable

BULK_MAX = 100
ACCOUNT_TYPES = (
    "BANK",
    "ACCOUNTS_PAYABLE",
    "ACCOUNTS_RECEIVABLE",
    "CREDIT_CARD",
    "EXPENSE",
    "COST_OF_GOODS_SOLD",
    "OTHER_EXPENSE",
    "INCOME",
    "OTHER_INCOME",
    "FIXED_ASSET",
    "OTHER_ASSET",
    "OTHER_CURRENT_ASSET",
    "OTHER_CURRENT_LIABILITY",
    "LONG_TERM_LIABILITY",
    "EQUITY",
)
READONLY = ("id", "archived", "createdTime", "updatedTime")


def _check(
    call: Call,
    resource: Resource,
    body: dict[str, Any],
    check: Checker,
    taken: set[str],
    exclude: str | None = None,
) -> dict[str, Any]:
    coa = resource.kind == "chart-of-accounts"
    allowed = ("name", "description", "parentId", *(("accountNumber", "type") if coa else ()))
    check.unknown(body, "", allowed, READONLY)
    fields: dict[str, Any] = {
        "name": check.text(body, "name", "", required=True, limit="classification.name")
    }
    if (description := check.text(body, "description", "", limit="classification.description")) is not None:
        fields["description"] = description
    parent = check.text(body, "parentId", "")
    if parent is not None:
        if parent == exclude or call.state.store.get(resource, call.org, parent) is None:
            check.fail("parentId", f"{parent} is not another {resource.label} of this organization")
        else:
            fields["parentId"] = parent
    if coa:
        fields["type"] = check.text(body, "type", "", choices=ACCOUNT_TYPES) or "EXPENSE"
        number = check.text(body, "accountNumber", "", limit="classification.accountNumber")
        if number:
            if number in taken or exists_elsewhere(call, resource, "t.account_number = ?", [number], exclude):
                check.fail(
                    "accountNumber", f"{number!r} is already used by another account", errors.DUPLICATE
                )
            taken.add(number)
            fields["accountNumber"] = number
    return fields


def _label(resource: Resource, body: Any, position: int | None = None) -> str:
    name = body.get("name") if isinstance(body, dict) and isinstance(body.get("name"), str) else None
    label = f"{resource.label} {name!r}" if name else resource.label
    return f"[{position}] {label}" if position is not None else label


def _new(call: Call, resource: Resource, fields: dict[str, Any], ms: int) -> dict[str, Any]:
    doc = {"id": make_id(call, resource.name), **fields, "archived": False, "_kind": resource.name}
    stamp(doc, ms, created=True)
    return doc


def _create(resource: Resource):
    async def handler(call: Call) -> Response:
        body = json_object(call.body)
        check = Checker(_label(resource, body), strict=call.strict)
        fields = _check(call, resource, body, check, set())
        check.raise_if_any()
        doc = _new(call, resource, fields, now_ms())
        call.state.store.put(resource, call.org, doc)
        return rendered(call, resource, doc, 201)

    return handler


def _bulk_create(resource: Resource):
    async def handler(call: Call) -> Response:
        records = json_array(call.body, BULK_MAX, resource.name)
        taken: set[str] = set()
        prepared = check_bulk(
            call,
            records,
            lambda record, position: _label(resource, record, position),
            lambda record, check: _check(call, resource, record, check, taken),
            not_object_path="body",
        )
        ms = now_ms()
        return store_created(call, resource, [_new(call, resource, fields, ms) for fields in prepared])

    return handler


def _update(resource: Resource):
    async def handler(call: Call) -> Response:
        doc = fetch(call, resource, call.param("id"))
        patch = json_object(call.body)
        base = writable(render(resource.name, doc, call.settings), READONLY)
        account = base.pop("account", None) or {}
        base.update(
            {
                key: account[wire]
                for key, wire in (("type", "type"), ("accountNumber", "number"))
                if wire in account
            }
        )
        merged = merge_patch(base, patch)
        check = Checker(_label(resource, merged), strict=call.strict)
        fields = _check(call, resource, merged, check, set(), exclude=doc["id"])
        check.raise_if_any()
        for key in ("description", "parentId", "accountNumber"):
            doc.pop(key, None)
        doc.update(fields)
        save(call, resource, doc, "updated")
        return rendered(call, resource, doc)

    return handler


def _archive(resource: Resource, archived: bool):
    async def handler(call: Call) -> Response:
        doc = fetch(call, resource, call.param("id"))
        set_archived(call, resource, doc, archived)  # idempotent, like bills
        return rendered(call, resource, doc)

    return handler


def _bulk_archive(resource: Resource, *, archived: bool):
    async def handler(call: Call) -> Response:
        records = json_array(call.body, BULK_MAX, "ids")
        docs, problems = [], []
        for position, record in enumerate(records):
            record_id = record.get("id") if isinstance(record, dict) else record
            doc = call.state.store.get(resource, call.org, record_id) if isinstance(record_id, str) else None
            if doc is None:
                problems.append(
                    Problem(
                        errors.NO_DATA_FOR_ID, f"[{position}] {resource.label}: no data for id {record_id!r}"
                    )
                )
            else:
                docs.append(doc)
        if problems:
            raise rolled_back(len(problems), len(records), problems)
        ms = now_ms()
        with call.state.store.transaction():
            for doc in docs:
                set_archived(call, resource, doc, archived, ms)
        return ok([render(resource.name, doc, call.settings) for doc in docs])

    return handler


def routes() -> list:
    found = []
    for kind in CLASSIFICATION_KINDS:
        resource, base = CLASSIFICATIONS[kind], f"/v3/classifications/{kind}"
        bulk_archive = api_route(f"{base}/bulk/archive", _bulk_archive(resource, archived=True), ["POST"])
        bulk_restore = api_route(f"{base}/bulk/restore", _bulk_archive(resource, archived=False), ["POST"])
        edits = {"GET": get_handler(resource), "PATCH": _update(resource)}
        found += [
            *resource_routes(
                base, resource, _create(resource), _bulk_create(resource), bulk_archive, bulk_restore
            ),
            *record_routes(base, edits, partial(_archive, resource)),
        ]
    return found
