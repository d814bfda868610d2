"""The login host's OAuth 2.0 endpoints (``login.procore.com`` / ``login-sandbox.procore.com``).

Client-credentials only (what a DMSA uses). The token endpoint reads the grant from
``multipart/form-data`` (the docs' ``curl -F``), ``x-www-form-urlencoded`` or JSON (the DMSA FAQ), and
the client's credentials from the body or, as Doorkeeper allows, HTTP Basic. Answers follow Doorkeeper:
``{"access_token", "token_type": "bearer", "expires_in", "created_at"}`` with no refresh token, and
RFC 6749 error objects (``invalid_client``, ``unsupported_grant_type``, ``invalid_request``).
Injected faults apply here too (a login host can fail), rate limits do not.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector_sandbox.oauth import parse_basic

from .faults import failure_response
from .routing import JsonResponse, count
from .state import SandboxState

INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)


def _oauth_error(status: int, error: str, description: str, **headers: str) -> Response:
    return JsonResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _multipart_fields(raw: bytes, content_type: str) -> dict[str, str]:
    """Text fields of a multipart/form-data body (stdlib parser: no python-multipart dependency)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw
    )
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return fields


async def form_fields(request: Request) -> dict[str, str]:
    """Fields of a form-encoded, multipart or JSON body; {} for an empty or unreadable one."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    if not raw.strip():
        return {}
    if media == "multipart/form-data":
        return _multipart_fields(raw, content_type)
    if media == "application/json":
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}
        return {str(k): str(v) for k, v in body.items() if v is not None} if isinstance(body, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


def _client_credentials(request: Request, state: SandboxState, fields: dict[str, str]) -> tuple[str, str]:
    if "client_id" in fields or "client_secret" in fields:
        return fields.get("client_id", ""), fields.get("client_secret", "")
    if not state.variants.accept_basic_client_auth:
        return "", ""
    return parse_basic(request.headers.get("authorization", "")) or ("", "")


async def token(request: Request, state: SandboxState) -> Response:
    fields = await form_fields(request)
    grant = fields.get("grant_type")
    if not grant:
        return _oauth_error(400, "invalid_request", "Missing required parameter: grant_type.")
    if grant != "client_credentials":
        # Authorization-code and refresh grants are not simulated: a DMSA never uses them.
        return _oauth_error(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )
    client_id, secret = _client_credentials(request, state, fields)
    client = state.settings.client(client_id)
    if client is None or client.client_secret != secret:
        return _oauth_error(state.variants.bad_client_status, "invalid_client", INVALID_CLIENT)
    issued = state.tokens.issue(client.client_id, state.faults.token_lifetime_seconds)
    return JsonResponse(
        {
            "access_token": issued.value,
            "token_type": "bearer",
            "expires_in": int(round(issued.expires_at - issued.created_at)),
            "created_at": int(issued.created_at),
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def token_info(request: Request, state: SandboxState) -> Response:
    """Doorkeeper's token introspection: owner, remaining lifetime, application."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    found = state.tokens.find(value.strip()) if scheme.lower() == "bearer" else None
    now = time.time()
    if found is None or found.revoked or found.expires_at <= now:
        return _oauth_error(401, "invalid_token", "The access token is invalid")
    client = state.settings.client(found.client_id)
    return JsonResponse(
        {
            "resource_owner_id": client.service_account_user_id if client else None,
            "scopes": [],  # the SDK's OauthTokenInfoGet200Response
            "expires_in_seconds": found.remaining(now),
            "application": {"uid": found.client_id},
            "created_at": int(found.created_at),
        }
    )


async def revoke(request: Request, state: SandboxState) -> Response:
    """RFC 7009: always 200, even for an unknown token or the wrong client."""
    fields = await form_fields(request)
    client_id, secret = _client_credentials(request, state, fields)
    client = state.settings.client(client_id)
    if client is not None and client.client_secret == secret and fields.get("token"):
        state.tokens.revoke(fields["token"], client.client_id)
    return JsonResponse({})


def login_route(label: str, handler: Callable[[Request, SandboxState], Awaitable[Response]]):
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        state.calls[label] += 1
        await state.injector.delay(state.faults)
        state.faults, failure = state.injector.pick_failure(state.faults)
        response = (
            failure_response(failure, state.faults, state.variants)
            if failure is not None
            else await handler(request, state)
        )
        count(state, label, response.status_code)
        return response

    return endpoint


def oauth_routes() -> list[Route]:
    return [
        Route("/oauth/token", login_route("POST /oauth/token", token), methods=["POST"]),
        Route("/oauth/token/info", login_route("GET /oauth/token/info", token_info), methods=["GET"]),
        Route("/oauth/revoke", login_route("POST /oauth/revoke", revoke), methods=["POST"]),
    ]
