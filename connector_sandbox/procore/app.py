"""The Starlette application: login-host routes (``/oauth/...``), API routes (``/rest/v1.x/...``) and the
operator routes (``/sandbox/...``) on one port, so the sandbox's auth URL and API URL are the same.

Every API route goes through ``routing.api_route`` (faults, auth, rate limits, company header, error
rendering); its label, "METHOD /path/template", is what ``/sandbox/state`` counts calls under.
"""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from connector_sandbox.serve import sandbox_app

from . import api_change_order_lines
from . import api_commitments as commitments
from . import api_costs as costs
from . import api_directory as directory
from . import api_requisitions as requisitions
from . import api_webhooks as webhooks
from .admin import admin_routes
from .contract import CONTRACT
from .errors import ApiError
from .oauth import oauth_routes
from .resource import Writable
from .routing import Handler, api_route
from .settings import ProcoreSandboxSettings
from .state import SandboxState

V1 = "/rest/v1.0"


def _api(method: str, path: str, handler: Handler) -> Route:
    label = f"{method} {re.sub(r':[a-z]+}', '}', path)}"  # "GET /rest/v1.0/vendors/{id}"
    return Route(path, api_route(label, handler), methods=[method])


def _rest(
    base: str,
    *,
    index: Handler | None = None,
    create: Handler | None = None,
    sync: Handler | None = None,
    show: Handler | None = None,
    update: Handler | None = None,
    delete: Handler | None = None,
    sync_method: str = "PATCH",
) -> list[Route]:
    """A resource's conventional routes, those it has a handler for: list (``GET base``), create
    (``POST base``), batch (``PATCH base/sync``), show / update / delete (``base/{id}``)."""
    item = f"{base}/{{id:int}}"
    table = (
        ("GET", base, index),
        ("POST", base, create),
        (sync_method, f"{base}/sync", sync),
        ("GET", item, show),
        ("PATCH", item, update),
        ("DELETE", item, delete),
    )
    return [_api(method, path, handler) for method, path, handler in table if handler is not None]


def _writable(api: Writable) -> dict[str, Handler]:
    """The create, batch, show and update handlers a ``Writable`` spec drives."""
    return {"create": api.post, "sync": api.sync, "show": api.show, "update": api.patch}


def _commitment_routes() -> list[Route]:
    routes = [_api("GET", f"{V1}/commitments", commitments.list_all_commitments)]
    lines = commitments.LINES_API
    for kind, api in commitments.COMMITMENTS_API.items():
        base = f"{V1}/{kind}"
        routes += _rest(
            base, index=commitments.list_commitments, delete=commitments.delete_commitment, **_writable(api)
        )
        routes += _rest(
            f"{base}/{{commitment_id:int}}/line_items",
            index=commitments.list_lines,
            create=lines.post,
            sync=lines.sync,
            update=lines.patch,
        )
    change_orders = _rest(
        f"{V1}/projects/{{project_id:int}}/commitment_change_orders",
        index=commitments.list_change_orders,
        show=commitments.CHANGE_ORDERS_API.show,
        update=commitments.patch_change_order,
        delete=commitments.delete_change_order,
    )
    change_order_lines = _api(
        "GET",
        "/rest/v2.0/companies/{company_id:int}/projects/{project_id:int}/commitment_change_orders/"
        "{change_order_id:int}/line_items",
        api_change_order_lines.list_change_order_lines,
    )
    return [
        *routes,
        *change_orders,
        change_order_lines,
        _api("GET", f"{V1}/change_order_packages", commitments.list_packages),
    ]


def _requisition_routes() -> list[Route]:
    base = f"{V1}/requisitions"
    return [
        *_rest(
            base,
            index=requisitions.list_requisitions,
            create=requisitions.post_requisition,
            show=requisitions.REQUISITIONS_API.show,
            update=requisitions.patch_requisition,
            delete=requisitions.delete_requisition,
        ),
        _api("GET", "/rest/v1.1/requisitions", requisitions.list_requisitions),
        _api("GET", f"{base}/{{id:int}}/detail", requisitions.requisition_detail),
        _api(
            "GET",
            f"{V1}/projects/{{project_id:int}}/contracts/{{contract_id:int}}/invoice_configuration",
            requisitions.invoice_configuration,
        ),
        *_rest(
            f"{base}/{{requisition_id:int}}/contract_items",
            index=requisitions.list_contract_items,
            show=requisitions.ITEMS_API.show,
            update=requisitions.patch_contract_item,
        ),
        _api(
            "GET", f"{base}/{{requisition_id:int}}/change_order_items", requisitions.list_change_order_items
        ),
    ]


def _cost_routes() -> list[Route]:
    views = f"{V1}/budget_views/{{budget_view_id:int}}"
    budget = costs.BUDGET_LINES_API
    return [
        *_rest(f"{V1}/cost_codes", index=costs.list_cost_codes, **_writable(costs.COST_CODES_API)),
        _api("GET", f"{V1}/standard_cost_codes", costs.list_standard_cost_codes),
        _api("GET", f"{V1}/standard_cost_code_lists", costs.list_standard_cost_code_lists),
        _api("GET", f"{V1}/budget_views", costs.list_budget_views),
        _api("GET", f"{views}/summary_rows", costs.summary_rows),
        _api("GET", f"{views}/detail_rows", costs.detail_rows),
        # The budget's batch is a POST; v1.1 serves the same show and update.
        *_rest(f"{V1}/budget_line_items", sync_method="POST", **_writable(budget)),
        *_rest(
            "/rest/v1.1/budget_line_items",
            show=costs.v11_budget_line(budget.show),
            update=costs.v11_budget_line(budget.patch),
        ),
    ]


def _directory_routes() -> list[Route]:
    return [
        _api("GET", f"{V1}/me", directory.me),
        _api("GET", f"{V1}/companies", directory.companies),
        *_rest(f"{V1}/projects", index=directory.list_projects, show=directory.show_project),
        *_rest(f"{V1}/vendors", index=directory.list_vendors, **_writable(directory.VENDORS_API)),
        _api("GET", f"{V1}/companies/{{company_id:int}}/vendors/inactive", directory.list_inactive_vendors),
        *_rest(
            "/rest/v1.1/projects/{project_id:int}/vendors",
            index=directory.list_project_vendors,
            create=directory.post_project_vendor,
        ),
    ]


def _webhook_routes() -> list[Route]:
    hooks = f"{V1}/webhooks/hooks"
    triggers = f"{hooks}/{{hook_id:int}}/triggers"
    return [
        *_rest(
            hooks,
            index=webhooks.list_hooks,
            create=webhooks.create_hook,
            show=webhooks.show_hook,
            update=webhooks.patch_hook,
            delete=webhooks.delete_hook,
        ),
        *_rest(
            triggers,
            index=webhooks.list_triggers,
            create=webhooks.create_trigger,
            delete=webhooks.delete_trigger,
        ),
        _api("POST", f"{triggers}/bulk", webhooks.bulk_create_triggers),
        _api("DELETE", f"{triggers}/bulk", webhooks.bulk_delete_triggers),
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
    return sandbox_app(
        state,
        [*api_routes(), *admin_routes()],
        start=state.sender.start,
        exception_handlers={404: _http_error, 405: _http_error},
        contract=CONTRACT,
    )
