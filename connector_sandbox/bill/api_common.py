"""Pieces every resource's handlers share: listing, fetching by id, lookups for validation, answering
with a record. What writes share is in ``api_writes``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from . import errors
from .documents import render
from .formats import new_id
from .pipeline import Call, Handler, ok
from .query import list_page, page_body, parse_list_query
from .resources import RESOURCES, Resource
from .validation import Lookup


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
        return rendered(call, resource, fetch(call, resource, call.param("id")))

    return handler


def rendered(call: Call, resource: Resource, doc: dict[str, Any], status: int = 200) -> Response:
    """The record as the API shows it."""
    return ok(render(resource.name, doc, call.settings), status)
