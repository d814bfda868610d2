"""The customer host, the OAuth token endpoint and bearer authentication of API calls.

* Host: ``{domain}.procurify.com`` (or ``{domain}.localhost`` for local tests) selects the customer;
  a bare IP or ``localhost`` is the sandbox's own domain. Tokens carry their domain and are refused on
  any other (quirk 1).
* ``POST /oauth/token``: client credentials as a JSON body with the fixed audience. Errors answer in
  Auth0's shape (``{"error", "error_description"}``) unless the ``token_error_style`` variant says DRF.
* API calls need ``X-Procurify-Client: api`` and ``Authorization: Bearer <jwt>``; failures answer DRF
  ``{"detail": ...}`` with the statuses chosen by the variants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from connector_sandbox.serve import CompactJSONResponse

from .errors import NOT_AUTHENTICATED, ApiError, auth0_error, detail, html_not_found
from .settings import SandboxApplication
from .state import SandboxState
from .tokens import TokenRejected, scope_for

CLIENT_HEADER = "X-Procurify-Client"
# Grant types Auth0 knows but a machine-to-machine application is not allowed to use.
_KNOWN_GRANTS = {
    "password",
    "authorization_code",
    "refresh_token",
    "implicit",
    "http://auth0.com/oauth/grant-type/password-realm",
}


def request_domain(request: Request, state: SandboxState) -> str:
    """The customer the Host header names; 404 (Django's page) for a domain the sandbox does not host."""
    host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
    domain = state.settings.domain
    for suffix in (".procurify.com", ".localhost"):
        if host.endswith(suffix):
            domain = host[: -len(suffix)]  # "a.b.procurify.com" gives "a.b": no such customer
    if domain not in state.settings.known_domains():
        raise html_not_found()
    return domain


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the API application and the user who created it, on one domain."""

    application: SandboxApplication
    domain: str


def _token_error(state: SandboxState, status: int, error: str, description: str) -> ApiError:
    if state.variants.token_error_style == "drf":
        return detail(status, description)
    return auth0_error(status, error, description)


async def _token_body(request: Request, state: SandboxState) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type == "application/json":
        try:
            body = json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _token_error(state, 400, "invalid_request", "Invalid JSON body") from None
        if not isinstance(body, dict):
            raise _token_error(state, 400, "invalid_request", "The body must be a JSON object")
        return body
    if content_type == "application/x-www-form-urlencoded" and state.variants.token_form_body:
        return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    raise _token_error(
        state,
        400,
        "invalid_request",
        f"Unsupported content type {content_type or '(none)'!r}: send application/json",
    )


async def token_endpoint(request: Request, state: SandboxState) -> Response:
    """``POST /oauth/token``: the client-credentials exchange (reference 2.1)."""
    domain = request_domain(request, state)
    if state.variants.token_requires_client_header and request.headers.get(CLIENT_HEADER) != "api":
        raise detail(state.variants.missing_client_header_status, NOT_AUTHENTICATED)
    body = await _token_body(request, state)
    grant_type = body.get("grant_type")
    if not grant_type:
        raise _token_error(state, 400, "invalid_request", "Missing required parameter: grant_type")
    if grant_type != "client_credentials":
        if grant_type in _KNOWN_GRANTS:
            raise _token_error(
                state, 403, "unauthorized_client", f"Grant type '{grant_type}' not allowed for the client."
            )
        raise _token_error(state, 400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    client_id = body.get("client_id")
    caller = str(client_id) if client_id else (request.client.host if request.client else "-")
    rate_headers = state.gate.throttle_token(caller, state.now().timestamp())
    application = state.application(str(client_id)) if client_id else None
    secret = body.get("client_secret")
    if (
        application is None
        or not isinstance(secret, str)
        or secret != application.client_secret
        or state.settings.application_domain(application) != domain
    ):
        # One answer for unknown client, wrong secret and another customer's credential: Auth0 does
        # not tell which part was wrong.
        raise _token_error(state, 401, "access_denied", "Unauthorized")
    audience = body.get("audience")
    if not audience:
        raise _token_error(
            state,
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        )
    if audience != state.settings.audience:
        raise _token_error(state, 403, "access_denied", f"Service not found: {audience}")
    lifetime = state.gate.settings.token_lifetime_seconds
    token, _issued = state.tokens.mint(
        client_id=application.client_id,
        domain=domain,
        user_email=application.user_email,
        audience=audience,
        now=state.now(),
        lifetime_seconds=lifetime,
    )
    body_out = {
        "access_token": token,
        "scope": scope_for(domain, application.user_email),
        "expires_in": int(lifetime),
        "token_type": "Bearer",
    }
    return CompactJSONResponse(
        body_out, headers={"Cache-Control": "no-store", "Pragma": "no-cache", **rate_headers}
    )


def bearer_of(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api"'}


def authenticate(request: Request, state: SandboxState, domain: str) -> Principal:
    """The API application a request acts as, or the documented/variant failure."""
    variants = state.variants
    if request.headers.get(CLIENT_HEADER) != "api":
        # Without the header the request is not an API-client request at all: Django session auth
        # finds no session (variant status, default 403).
        raise detail(variants.missing_client_header_status, NOT_AUTHENTICATED)
    header = request.headers.get("authorization")
    if not header:
        raise detail(401, NOT_AUTHENTICATED, _WWW_AUTHENTICATE)
    token = bearer_of(request)
    if token is None or " " in token:
        raise detail(401, "Invalid Authorization header. Expected 'Bearer <token>'.", _WWW_AUTHENTICATE)
    try:
        issued = state.tokens.verify(token, domain, state.now())
    except TokenRejected as rejected:
        message = {
            "expired": "Token has expired.",
            "other_domain": "Token is not valid for this domain.",
        }.get(rejected.reason, "Invalid token.")
        headers = _WWW_AUTHENTICATE if variants.invalid_token_status == 401 else None
        raise detail(variants.invalid_token_status, message, headers) from None
    application = state.application(issued.client_id)
    if application is None:
        raise detail(variants.invalid_token_status, "Invalid token.")
    return Principal(application=application, domain=domain)
