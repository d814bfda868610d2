"""The Starlette application: BILL v3 under ``/connect/v3``, webhook management under
``/connect-events/v3``, operator routes under ``/sandbox``.

The app seeds its data when it is created and starts the webhook delivery thread in its lifespan, so
``uvicorn.run(create_app(settings))`` and ``serve_in_thread(create_app(settings))`` both work.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from connector_sandbox.serve import sandbox_app

from . import api_auth, api_bills, api_classifications, api_events, api_payments, api_vendors
from .admin import admin_routes
from .contract import CONTRACT
from .pipeline import not_supported
from .settings import BillSandboxSettings
from .state import SandboxState

_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def create_app(settings: BillSandboxSettings | None = None) -> Starlette:
    """A seeded BILL sandbox; ``app.state.sandbox`` is its ``SandboxState``."""
    state = SandboxState(settings or BillSandboxSettings())
    routes = [
        *api_auth.routes(),
        *api_vendors.routes(),
        *api_bills.routes(),
        *api_payments.routes(),
        *api_classifications.routes(),
        *api_events.routes(),
        *admin_routes(),
        # Anything else under the two API prefixes: BDC_1121 "API not supported" (404).
        Route("/connect/{rest:path}", not_supported, methods=_ALL_METHODS),
        Route("/connect-events/{rest:path}", not_supported, methods=_ALL_METHODS),
    ]
    return sandbox_app(state, routes, start=state.hub.start, contract=CONTRACT)
