"""Pieces every resource's handlers share: listing, fetching by id, lookups for validation, answering
with a record, the routes every resource has. What writes share is in ``api_writes``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from . import errors
from .documents import render
from .formats import new_id
from .pipeline import Call, Handler, api_route, ok
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


def resource_routes(
    base: str, resource: Resource, create: Handler, bulk_create: Handler, *own: Route
) -> list[Route]:
    """List, create and bulk create (every resource has them), then the resource's own routes under
    ``base`` (record-payment, bulk archive), which must come before any ``/{id}`` route."""
    return [
        api_route(base, list_handler(resource), ["GET"]),
        api_route(base, create, ["POST"]),
        api_route(f"{base}/bulk", bulk_create, ["POST"]),
        *own,
    ]


def record_routes(
    base: str, handlers: Mapping[str, Handler], archive: Callable[[bool], Handler] | None = None
) -> list[Route]:
    """``/{id}`` by method (GET, PATCH, PUT), then archive / restore where the resource has them."""
    routes = [api_route(base + "/{id}", handler, [method]) for method, handler in handlers.items()]
    if archive is not None:
        routes += [
            api_route(base + "/{id}/archive", archive(True), ["POST"]),
            api_route(base + "/{id}/restore", archive(False), ["POST"]),
        ]
    return routes
