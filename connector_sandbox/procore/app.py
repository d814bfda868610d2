"""The Starlette application: login-host routes (``/oauth/...``), API routes (``/rest/v1.x/...``) and the
operator routes (``/sandbox/...``) on one port, so the sandbox's auth URL and API URL are the same.

Every API route goes through ``routing.api_route`` (faults, auth, rate limits, company header, error
rendering); its label, "METHOD /path/template", is what ``/sandbox/state`` counts calls under.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import api_commitments as commitments
from . import api_costs as costs
from . import api_directory as directory
from . import api_requisitions as requisitions
from . import api_webhooks as webhooks
from .admin import admin_routes
from .errors import ApiError
from .oauth import oauth_routes
from .routing import Handler, api_route
from .settings import ProcoreSandboxSettings
from .state import SandboxState

V1 = "/rest/v1.0"


def _api(method: str, path: str, handler: Handler) -> Route:
    label = f"{method} {re.sub(r':[a-z]+}', '}', path)}"  # "GET /rest/v1.0/vendors/{id}"
    return Route(path, api_route(label, handler), methods=[method])


def _commitment_routes() -> list[Route]:
    routes = [_api("GET", f"{V1}/commitments", commitments.list_all_commitments)]
    for kind in commitments.KINDS:
        base = f"{V1}/{kind}"
        lines = f"{base}/{{commitment_id:int}}/line_items"
        routes += [
            _api("GET", base, commitments.list_commitments),
            _api("POST", base, commitments.post_commitment),
            _api("PATCH", f"{base}/sync", commitments.sync_commitments),
            _api("GET", f"{base}/{{id:int}}", commitments.show_commitment),
            _api("PATCH", f"{base}/{{id:int}}", commitments.patch_commitment),
            _api("DELETE", f"{base}/{{id:int}}", commitments.delete_commitment),
            _api("GET", lines, commitments.list_lines),
            _api("POST", lines, commitments.post_line),
            _api("PATCH", f"{lines}/sync", commitments.sync_lines),
            _api("PATCH", f"{lines}/{{id:int}}", commitments.patch_line),
        ]
    change_orders = f"{V1}/projects/{{project_id:int}}/commitment_change_orders"
    routes += [
        _api("GET", change_orders, commitments.list_change_orders),
        _api("GET", f"{change_orders}/{{id:int}}", commitments.show_change_order),
        _api("PATCH", f"{change_orders}/{{id:int}}", commitments.patch_change_order),
        _api("DELETE", f"{change_orders}/{{id:int}}", commitments.delete_change_order),
        _api("GET", f"{V1}/change_order_packages", commitments.list_packages),
    ]
    return routes


def _requisition_routes() -> list[Route]:
    base = f"{V1}/requisitions"
    items = f"{base}/{{requisition_id:int}}/contract_items"
    return [
        _api("GET", base, requisitions.list_requisitions),
        _api("GET", "/rest/v1.1/requisitions", requisitions.list_requisitions),
        _api("POST", base, requisitions.post_requisition),
        _api("GET", f"{base}/{{id:int}}", requisitions.show_requisition),
        _api("GET", f"{base}/{{id:int}}/detail", requisitions.requisition_detail),
        _api("PATCH", f"{base}/{{id:int}}", requisitions.patch_requisition),
        _api("DELETE", f"{base}/{{id:int}}", requisitions.delete_requisition),
        _api("GET", items, requisitions.list_contract_items),
        _api("GET", f"{items}/{{id:int}}", requisitions.show_contract_item),
        _api("PATCH", f"{items}/{{id:int}}", requisitions.patch_contract_item),
        _api(
            "GET", f"{base}/{{requisition_id:int}}/change_order_items", requisitions.list_change_order_items
        ),
    ]


def _cost_routes() -> list[Route]:
    views = f"{V1}/budget_views/{{budget_view_id:int}}"
    routes = [
        _api("GET", f"{V1}/cost_codes", costs.list_cost_codes),
        _api("POST", f"{V1}/cost_codes", costs.post_cost_code),
        _api("PATCH", f"{V1}/cost_codes/sync", costs.sync_cost_codes),
        _api("GET", f"{V1}/cost_codes/{{id:int}}", costs.show_cost_code),
        _api("PATCH", f"{V1}/cost_codes/{{id:int}}", costs.patch_cost_code),
        _api("GET", f"{V1}/standard_cost_codes", costs.list_standard_cost_codes),
        _api("GET", f"{V1}/standard_cost_code_lists", costs.list_standard_cost_code_lists),
        _api("GET", f"{V1}/budget_views", costs.list_budget_views),
        _api("GET", f"{views}/summary_rows", costs.summary_rows),
        _api("GET", f"{views}/detail_rows", costs.detail_rows),
        _api("POST", f"{V1}/budget_line_items", costs.post_budget_line),
        _api("POST", f"{V1}/budget_line_items/sync", costs.sync_budget_lines),
    ]
    for version in ("v1.0", "v1.1"):
        routes += [
            _api("GET", f"/rest/{version}/budget_line_items/{{id:int}}", costs.show_budget_line),
            _api("PATCH", f"/rest/{version}/budget_line_items/{{id:int}}", costs.patch_budget_line),
        ]
    return routes


def _directory_routes() -> list[Route]:
    vendors = f"{V1}/vendors"
    return [
        _api("GET", f"{V1}/me", directory.me),
        _api("GET", f"{V1}/companies", directory.companies),
        _api("GET", f"{V1}/projects", directory.list_projects),
        _api("GET", f"{V1}/projects/{{id:int}}", directory.show_project),
        _api("GET", vendors, directory.list_vendors),
        _api("POST", vendors, directory.post_vendor),
        _api("PATCH", f"{vendors}/sync", directory.sync_vendors),
        _api("GET", f"{vendors}/{{id:int}}", directory.show_vendor),
        _api("PATCH", f"{vendors}/{{id:int}}", directory.patch_vendor),
        _api("GET", f"{V1}/companies/{{company_id:int}}/vendors/inactive", directory.list_inactive_vendors),
        _api("GET", "/rest/v1.1/projects/{project_id:int}/vendors", directory.list_project_vendors),
        _api("POST", "/rest/v1.1/projects/{project_id:int}/vendors", directory.post_project_vendor),
    ]


def _webhook_routes() -> list[Route]:
    hooks = f"{V1}/webhooks/hooks"
    triggers = f"{hooks}/{{hook_id:int}}/triggers"
    return [
        _api("POST", hooks, webhooks.create_hook),
        _api("GET", hooks, webhooks.list_hooks),
        _api("GET", f"{hooks}/{{id:int}}", webhooks.show_hook),
        _api("PATCH", f"{hooks}/{{id:int}}", webhooks.patch_hook),
        _api("DELETE", f"{hooks}/{{id:int}}", webhooks.delete_hook),
        _api("POST", triggers, webhooks.create_trigger),
        _api("GET", triggers, webhooks.list_triggers),
        _api("POST", f"{triggers}/bulk", webhooks.bulk_create_triggers),
        _api("DELETE", f"{triggers}/bulk", webhooks.bulk_delete_triggers),
        _api("DELETE", f"{triggers}/{{id:int}}", webhooks.delete_trigger),
        _api("GET", f"{hooks}/{{hook_id:int}}/deliveries", webhooks.list_deliveries),
        _api("GET", f"{V1}/webhooks/resources", webhooks.list_resources),
    ]


def api_routes() -> list[Route]:
    return [
        *oauth_routes(),
        *_directory_routes(),
        *_commitment_routes(),
        *_requisition_routes(),
        *_cost_routes(),
        *_webhook_routes(),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods on the API answer in Procore's JSON error shape, not Starlette's text."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(("/rest/", "/oauth/")):
        state: SandboxState = request.app.state.sandbox
        return ApiError(exc.status_code, str(exc.detail)).response(state.variants.error_body)
    return PlainTextResponse(str(exc.detail), status_code=exc.status_code)


def create_app(settings: ProcoreSandboxSettings | None = None) -> Starlette:
    """A ready-to-serve sandbox: data seeded, no token issued, webhook sender started with the server."""
    state = SandboxState(settings or ProcoreSandboxSettings())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.sender.start()
        try:
            yield
        finally:
            state.close()

    app = Starlette(
        routes=[*api_routes(), *admin_routes()],
        lifespan=lifespan,
        exception_handlers={404: _http_error, 405: _http_error},
    )
    app.state.sandbox = state
    return app
