"""The Starlette application: Procurify's paths on the customer host, operator routes under ``/sandbox``.

Route order matters only for the last one: a catch-all that answers paths no route matched, which is
where Django's APPEND_SLASH behaviour (a 301 to the path with a slash) and its HTML 404 page live.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from connector_sandbox.serve import sandbox_app

from .admin import admin_routes
from .auth import token_endpoint
from .contract import CONTRACT
from .routes_ap import ap_routes
from .routes_purchasing import purchasing_routes
from .routes_setup import setup_routes
from .routes_vendors import vendor_routes
from .routing import ALL_METHODS, ApiRoute, MissingSlash, TokenRoute, compile_templates
from .settings import ProcurifySandboxSettings
from .state import SandboxState


def api_routes() -> list[ApiRoute]:
    return [*vendor_routes(), *purchasing_routes(), *ap_routes(), *setup_routes()]


def create_app(settings: ProcurifySandboxSettings | None = None) -> Starlette:
    """A ready-to-serve sandbox: data seeded, no token issued yet."""
    state = SandboxState.build(settings or ProcurifySandboxSettings())
    api = api_routes()
    routes = [
        Route("/oauth/token", TokenRoute(token_endpoint).handle, methods=ALL_METHODS),
        *[route.route() for route in api],
        *admin_routes(),
        Route("/{path:path}", MissingSlash(compile_templates(api)).handle, methods=ALL_METHODS),
    ]
    app = sandbox_app(state, routes, contract=CONTRACT)
    # Starlette would answer a missing slash with its own 307; Procurify (Django) answers 301.
    app.router.redirect_slashes = False
    return app
