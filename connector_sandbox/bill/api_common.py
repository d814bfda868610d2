"""Pieces every resource's handlers share: listing, fetching by id, lookups for validation, the
all-or-nothing check of a bulk request, and storing / announcing / answering a changed record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.responses import Response

from . import errors
from .documents import render, stamp
from .errors import BillError, Problem
from .formats import new_id, now_ms
from .pipeline import Call, Handler, ok
from .query import list_page, page_body, parse_list_query
from .resources import RESOURCES, Resource
from .validation import Checker, Lookup

_Checked = TypeVar("_Checked")


def fetch(call: Call, resource: Resource, record_id: str) -> dict[str, Any]:
    """The stored document, or BDC_1205 naming the id."""
    doc = call.state.store.get(resource, call.org, record_id)
    if doc is None:
        raise errors.not_found(call.settings.variants.not_found_status, resource.label, record_id)
    return doc


def lookup(call: Call) -> Lookup:
    def find(kind: str, record_id: str) -> dict[str, Any] | None:
        return call.state.store.get(RESOURCES[kind], call.org, record_id)

    return find


def make_id(call: Call, kind: str) -> str:
    return new_id(kind, call.state.rng)


def reject_unknown_query(call: Call, allowed: tuple[str, ...] = ()) -> None:
    unknown = sorted(set(call.request.query_params) - set(allowed))
    if unknown and call.strict:
        raise errors.BillError(400, [errors.unknown_field(name) for name in unknown])


def list_handler(resource: Resource) -> Handler:
    async def handler(call: Call) -> Response:
        query, size, token = parse_list_query(resource, call.request.query_params, call.settings)
        rows, following, previous = list_page(
            call.state.store, resource, call.org, query, size, token, call.settings
        )
        results = [render(resource.name, row, call.settings) for row in rows]
        return ok(page_body(results, following, previous, call.settings))

    return handler


def get_handler(resource: Resource) -> Handler:
    async def handler(call: Call) -> Response:
        reject_unknown_query(call)
        return ok(render(resource.name, fetch(call, resource, call.param("id")), call.settings))

    return handler


def exists_elsewhere(
    call: Call, resource: Resource, where: str, params: list[Any], exclude: str | None
) -> bool:
    """Whether a stored record other than ``exclude`` (the one being updated) matches ``where``."""
    if exclude:
        where, params = where + " AND t.id <> ?", [*params, exclude]
    return call.state.store.exists(resource, call.org, where, params)


def rolled_back(failed: int, total: int, problems: list[Problem], noun: str = "") -> BillError:
    """The 400 of an all-or-nothing bulk request: BDC_1246 counting the failures, then each problem."""
    what = f"{total} {noun}" if noun else f"{total}"
    rollback = Problem(errors.BULK_ROLLBACK, f"Bulk operation rolled back: {failed} of {what} failed")
    return BillError(400, [rollback, *problems])


def check_bulk(
    call: Call,
    records: list[Any],
    label: Callable[[dict[str, Any], int], str],
    check_one: Callable[[dict[str, Any], Checker], _Checked],
    *,
    noun: str = "",
    not_object_path: str = "",
) -> list[_Checked]:
    """Every record of a bulk request checked, problems collected across all of them; any problem
    rejects the whole request (``rolled_back``). A record that is no JSON object is a problem of its
    own, at ``not_object_path`` when the resource names one."""
    problems: list[Problem] = []
    prepared: list[_Checked] = []
    failed = 0
    for position, record in enumerate(records):
        check = Checker(label(record if isinstance(record, dict) else {}, position), strict=call.strict)
        if isinstance(record, dict):
            prepared.append(check_one(record, check))
        elif not_object_path:
            check.fail(not_object_path, "must be a JSON object")
        else:
            check.problems.append(Problem(errors.VALIDATION, f"{check.record}must be a JSON object"))
        failed += bool(check.problems)
        problems.extend(check.problems)
    if problems:
        raise rolled_back(failed, len(records), problems, noun)
    return prepared


def save(call: Call, resource: Resource, doc: dict[str, Any], event: str, ms: int | None = None) -> None:
    """Stamp and store one changed record, then announce ``<entity>.<event>`` if the resource has
    webhook events."""
    stamp(doc, now_ms() if ms is None else ms)
    call.state.store.put(resource, call.org, doc)
    if resource.announces:
        call.state.publish(call.org, resource.name, event, doc)


def set_archived(
    call: Call, resource: Resource, doc: dict[str, Any], archived: bool, ms: int | None = None
) -> None:
    """Archive or restore; idempotent: archiving an archived record changes nothing (documented for bills)."""
    if doc["archived"] != archived:
        doc["archived"] = archived
        save(call, resource, doc, "archived" if archived else "restored", ms)


def store_created(call: Call, resource: Resource, docs: list[dict[str, Any]]) -> Response:
    """Store the records of a bulk create in one transaction, announce each, answer them all (201)."""
    with call.state.store.transaction():
        call.state.store.put_many(resource, call.org, docs)
    if resource.announces:
        for doc in docs:
            call.state.publish(call.org, resource.name, "created", doc)
    return ok([render(resource.name, doc, call.settings) for doc in docs], 201)


def rendered(call: Call, resource: Resource, doc: dict[str, Any], status: int = 200) -> Response:
    """The record as the API shows it."""
    return ok(render(resource.name, doc, call.settings), status)
