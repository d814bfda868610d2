"""The Starlette application: ``/oauth2/token``, the Core API under ``/api``, operator routes under
``/sandbox``.

Every ``/api`` call passes through ``_api``: it is counted, rate limited, delayed and failed as the
live fault settings say, authenticated and scope-checked, and any ``CoupaError`` raised on the way
becomes the body a real instance would send, in the format the caller asked for.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from connector_sandbox.serve import sandbox_app

from .admin import admin_routes
from .attributes import misfit_attributes
from .auth import IssuedToken, parse_scope
from .contract import CONTRACT
from .faults import (
    gateway_timeout,
    injected_failure,
    planned_latency_ms,
    rate_limit_headers,
    rate_limited_error,
)
from .formats import NO_RESULTS, CoupaError, errors_response, record_response, wants_json
from .query import Compiler, QueryError, QueryOptions, order_clause
from .render import FieldsError, parse_fields
from .schema import BY_PATH, Resource
from .settings import CoupaSandboxSettings
from .state import SandboxState
from .timefmt import utc_stamp
from .validation import normalize
from .writers import ACTIONS, WRITERS, WriteContext, mark_exported, not_found


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


# --- OAuth token endpoint -------------------------------------------------------------------------


def _injected_failure(state: SandboxState) -> CoupaError | None:
    """Decide fail-next / random failure on the live faults (read after any sleep, so an operator's
    change made meanwhile is not overwritten)."""
    live = state.faults
    remaining, failure = injected_failure(live, state.fault_rng)
    if remaining is not live:
        state.faults = remaining
    return failure


def _oauth_error(status: int, error: str, description: str, **headers: str) -> JSONResponse:
    """RFC 6749 section 5.2 error body (Coupa's exact wording is not documented)."""
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **headers},
    )


async def token(request: Request) -> Response:
    state = _state(request)
    settings = state.settings
    state.calls["POST /oauth2/token"] += 1
    response = await _token(request, state, settings)
    state.statuses[str(response.status_code)] += 1
    state.calls_by_status[f"POST /oauth2/token {response.status_code}"] += 1
    return response


async def _token(request: Request, state: SandboxState, settings: CoupaSandboxSettings) -> Response:
    faults = state.faults
    delay = planned_latency_ms(faults, state.fault_rng)
    if delay:
        await asyncio.sleep(delay / 1000)
    failure = _injected_failure(state)
    if failure is not None:
        return JSONResponse(
            {"error": "server_error", "error_description": failure.messages[0]}, failure.status
        )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "The request body is not valid UTF-8.")
    elif content_type == "application/json" and settings.token_accepts_json_body:
        try:
            loaded = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return _oauth_error(400, "invalid_request", "The request body is not valid JSON.")
        form = {str(key): str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}
    else:
        return _oauth_error(
            400,
            "invalid_request",
            "The token request must be form-encoded (Content-Type: application/x-www-form-urlencoded).",
        )
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        if not settings.accept_basic_client_auth:
            return _oauth_error(
                401, "invalid_client", "Client authentication failed.", **{"WWW-Authenticate": "Basic"}
            )
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        client_id, _, client_secret = decoded.partition(":")
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(
            400, "invalid_request", "The request is missing a required parameter: grant_type."
        )
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", f"The grant type {grant_type!r} is not supported.")
    client = settings.client(client_id or "")
    if client is None or not client_secret or client.client_secret != client_secret:
        return _oauth_error(
            401,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or "
            "unsupported authentication method.",
        )
    requested = parse_scope(form.get("scope"))
    granted = set(client.scopes) if requested is None else set(requested)
    unknown = sorted(granted - set(client.scopes))
    if unknown or not granted:
        return _oauth_error(
            400,
            "invalid_scope",
            f"The requested scope is invalid, unknown, or malformed: {' '.join(unknown) or '(empty)'}",
        )
    issuer = f"{request.url.scheme}://{request.url.netloc}"
    access_token, issued = state.tokens.mint(
        client,
        frozenset(granted),
        lifetime=state.faults.token_lifetime_seconds,
        min_length=settings.token_min_length,
        issuer=issuer,
    )
    state.tokens.prune()
    body: dict[str, Any] = {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": int(issued.expires_at - issued.issued_at),
    }
    if settings.token_echo_scope:
        body["scope"] = " ".join(sorted(granted))
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def scopes(request: Request) -> Response:
    """``/oauth2/scopes``: the scope names this instance knows."""
    families = sorted(set(_state(request).settings.resource_scopes.values()))
    return JSONResponse([f"{family}.{right}" for family in families for right in ("read", "write")])


# --- API plumbing ---------------------------------------------------------------------------------


def _route(path: str) -> tuple[Resource, int | None, str | None] | None:
    """``coupa_pay/payments/12/x`` -> (payments resource, 12, "x")."""
    parts = [part for part in path.split("/") if part]
    for length in (2, 1):
        resource = BY_PATH.get("/".join(parts[:length]))
        if resource is None:
            continue
        rest = parts[length:]
        if not rest:
            return resource, None, None
        if not rest[0].isdigit() or len(rest) > 2:
            return None
        return resource, int(rest[0]), rest[1] if len(rest) == 2 else None
    return None


def _unauthorized(request: Request, state: SandboxState, message: str) -> Response:
    headers = {
        "WWW-Authenticate": f'Bearer realm="Coupa", error="invalid_token", error_description="{message}"'
    }
    if state.settings.unauthorized_body == "text":
        return PlainTextResponse(message, status_code=401, headers=headers)
    response = errors_response(request, "authorization", [message], 401)
    response.headers.update(headers)
    return response


def _authenticate(request: Request, state: SandboxState) -> IssuedToken | Response:
    settings = state.settings
    header = request.headers.get("authorization", "")
    api_key = request.headers.get("x-coupa-api-key")
    if not header and api_key is not None:
        if settings.legacy_api_key and api_key == settings.legacy_api_key:
            everything = frozenset(
                f"{f}.{r}" for f in settings.resource_scopes.values() for r in ("read", "write")
            )
            return IssuedToken("legacy-api-key", everything, 0.0, float("inf"), "api-key")
        return _unauthorized(
            request, state, "API keys are no longer supported; use OAuth 2.0 client credentials"
        )
    if not header.lower().startswith("bearer "):
        return _unauthorized(request, state, "Missing access token")
    issued = state.tokens.lookup(header[7:].strip())
    now = time.monotonic()
    if issued is None:
        return _unauthorized(request, state, "The access token is invalid")
    if issued.expires_at <= now:
        return _unauthorized(request, state, "The access token expired")
    faults = state.faults
    if (
        faults.token_warmup_seconds
        and now - issued.issued_at < faults.token_warmup_seconds
        and state.fault_rng.random() < faults.token_warmup_failure_rate
    ):
        return _unauthorized(request, state, "The access token is not active yet")
    return issued


def _rate_key(request: Request, state: SandboxState) -> str:
    if state.settings.rate_limit_scope == "instance":
        return "instance"
    header = request.headers.get("authorization", "")
    issued = state.tokens.lookup(header[7:].strip()) if header.lower().startswith("bearer ") else None
    if issued is not None:
        return f"client:{issued.client_id}"
    return f"anonymous:{request.client.host if request.client else '?'}"


async def api(request: Request) -> Response:
    state = _state(request)
    routed = _route(request.path_params["path"])
    label = _label(request, routed)
    state.calls[label] += 1
    response = await _api(request, state, routed)
    state.statuses[str(response.status_code)] += 1
    state.calls_by_status[f"{label} {response.status_code}"] += 1
    return response


def _label(request: Request, routed: tuple[Resource, int | None, str | None] | None) -> str:
    if routed is None:
        return f"{request.method} /api/(unknown)"
    resource, record_id, action = routed
    suffix = "" if record_id is None else "/{id}" + ("" if action is None else f"/{action}")
    return f"{request.method} /api/{resource.path}{suffix}"


async def _api(
    request: Request, state: SandboxState, routed: tuple[Resource, int | None, str | None] | None
) -> Response:
    faults = state.faults
    extra_headers: dict[str, str] = {}
    if faults.rate_limit_enabled:
        decision = state.limiter.take(
            _rate_key(request, state), faults.rate_limit_per_second, faults.rate_limit_burst
        )
        if not decision.allowed:
            return rate_limited_error(decision, faults).response(request)
        if faults.rate_limit_headers:
            extra_headers = rate_limit_headers(decision, faults)
    delay_ms = planned_latency_ms(faults, state.fault_rng)
    timeout_ms = faults.gateway_timeout_ms
    if timeout_ms and delay_ms >= timeout_ms:
        await asyncio.sleep(timeout_ms / 1000)
        return gateway_timeout().response(request)
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    failure = _injected_failure(state)
    if failure is not None:
        return failure.response(request)
    authenticated = _authenticate(request, state)
    if isinstance(authenticated, Response):
        return authenticated
    if routed is None:
        return errors_response(request, "base", [f"No route matches /api/{request.path_params['path']}"], 404)
    resource, record_id, action = routed
    try:
        _check_scope(state, authenticated, resource, request.method)
        response, records = await _dispatch(request, state, resource, record_id, action, authenticated)
    except CoupaError as error:
        return error.response(request)
    extra_ms = faults.latency_per_record_ms * records
    if extra_ms:
        if timeout_ms and delay_ms + extra_ms >= timeout_ms:
            await asyncio.sleep(max(timeout_ms - delay_ms, 0) / 1000)
            return gateway_timeout().response(request)
        await asyncio.sleep(extra_ms / 1000)
    response.headers.update(extra_headers)
    return response


def _check_scope(state: SandboxState, issued: IssuedToken, resource: Resource, method: str) -> None:
    family = state.settings.resource_scopes.get(resource.key)
    if family is None:
        return
    needed = f"{family}.{'read' if method == 'GET' else 'write'}"
    if needed not in issued.scopes:
        raise CoupaError(
            state.settings.scope_denied_status,
            f"The access token does not grant the scope {needed} required for {method} {resource.path}",
            "authorization",
        )


async def _dispatch(
    request: Request,
    state: SandboxState,
    resource: Resource,
    record_id: int | None,
    action: str | None,
    issued: IssuedToken,
) -> tuple[Response, int]:
    method = request.method
    unsupported = state.settings.unsupported_method_status
    if method == "GET" and action is None:
        if record_id is None:
            return _index(request, state, resource)
        return _show(request, state, resource, record_id), 1
    if method == "GET":
        raise CoupaError(404, f"{action} is not simulated by the sandbox", resource.element)
    if method == "POST" and record_id is None and resource.creatable:
        return await _create(request, state, resource, issued), 1
    if method == "PUT" and record_id is not None and action is not None and resource.key in ACTIONS:
        return _action(request, state, resource, record_id, action, issued), 1
    patch_ok = method == "PATCH" and resource.key == "purchase_orders"
    if (method == "PUT" or patch_ok) and record_id is not None and action is None and resource.updatable:
        return await _update(request, state, resource, record_id, issued), 1
    raise CoupaError(unsupported, f"{method} is not supported on {resource.path}", resource.element)


def _options(state: SandboxState) -> QueryOptions:
    settings = state.settings
    return QueryOptions(settings.case_insensitive_text, settings.unknown_filter, settings.time_zone)


def _shaping(request: Request, state: SandboxState) -> tuple[str | None, list[Any] | None]:
    params = request.query_params
    return_object = params.get("return_object")
    if return_object not in (None, "limited", "shallow", "none"):
        raise CoupaError(
            state.settings.validation_error_status,
            f"return_object {return_object!r} must be limited, shallow or none",
        )
    fields = None
    if params.get("fields"):
        try:
            fields = parse_fields(params["fields"])
        except FieldsError as exc:
            raise CoupaError(state.settings.validation_error_status, str(exc)) from None
    return return_object, fields


def _int_argument(state: SandboxState, raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CoupaError(
            state.settings.validation_error_status, f"{name} {raw!r} is not a whole number"
        ) from None
    if value < 0:
        raise CoupaError(state.settings.validation_error_status, f"{name} must not be negative")
    return value


def _index(request: Request, state: SandboxState, resource: Resource) -> tuple[Response, int]:
    settings = state.settings
    params = request.query_params
    cap = settings.page_size_cap
    limit = _int_argument(state, params.get("limit"), "limit", cap)
    if limit > cap:
        if settings.limit_over_cap == "error":
            raise CoupaError(settings.validation_error_status, f"limit must be at most {cap}")
        limit = cap
    limit = limit or cap
    offset = _int_argument(state, params.get("offset"), "offset", 0)
    arguments = list(params.multi_items())
    named = params.get("filter")
    if named:
        if named not in settings.api_filters:
            raise CoupaError(
                settings.validation_error_status, f"API filter {named!r} does not exist", resource.element
            )
        arguments += list(settings.api_filters[named].items())
    compiler = Compiler(resource, _options(state))
    try:
        where = compiler.compile(arguments)
        if settings.sort_parameters:
            order = order_clause(resource, params.get("order_by"), params.get("dir"))
        else:
            order = 't."id"'
    except QueryError as exc:
        raise CoupaError(settings.validation_error_status, str(exc), resource.element) from None
    return_object, fields = _shaping(request, state)
    docs = state.store.select(resource, where, compiler.params, order=order, limit=limit, offset=offset)
    if not docs and not wants_json(request):
        return errors_response(request, resource.element, [NO_RESULTS], 404), 0
    renderer = state.renderer(show_deleted_lines=params.get("show_deleted_lines") == "true")
    payload = [renderer.shape(resource, doc, return_object, fields) for doc in docs]
    return record_response(request, resource.element, payload), len(docs)


def _show(request: Request, state: SandboxState, resource: Resource, record_id: int) -> Response:
    doc = state.store.get(resource, record_id)
    if doc is None:
        raise not_found(resource, record_id)
    return_object, fields = _shaping(request, state)
    renderer = state.renderer(show_deleted_lines=request.query_params.get("show_deleted_lines") == "true")
    return record_response(request, resource.element, renderer.shape(resource, doc, return_object, fields))


async def _body(request: Request, state: SandboxState, resource: Resource) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise CoupaError(
            415,
            f"Content-Type {content_type or '(none)'} is not accepted: the sandbox takes JSON bodies only "
            "(send Content-Type: application/json)",
            resource.element,
        )
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CoupaError(400, f"The request body is not valid JSON: {exc}", resource.element) from None
    if not isinstance(body, dict):
        raise CoupaError(400, "The request body must be a JSON object", resource.element)
    return normalize(body)


def _refuse_misfits(state: SandboxState, resource: Resource, body: dict[str, Any], *, creating: bool) -> None:
    """Unknown, read-only and wrongly typed attributes are refused before any other check."""
    if not state.settings.reject_unknown_attributes:
        return
    problems = misfit_attributes(resource, body, creating=creating)
    if problems:
        raise CoupaError(state.settings.validation_error_status, problems, resource.element)


def _context(state: SandboxState, issued: IssuedToken) -> WriteContext:
    return WriteContext(state.store, state.settings, utc_stamp(state.now()), issued.client_id)


def _write_response(
    request: Request, state: SandboxState, resource: Resource, doc: dict[str, Any], status: int
) -> Response:
    return_object, fields = _shaping(request, state)
    if return_object == "none":
        return Response(status_code=status)
    payload = state.renderer().shape(resource, doc, return_object, fields)
    return record_response(request, resource.element, payload, status)


async def _create(request: Request, state: SandboxState, resource: Resource, issued: IssuedToken) -> Response:
    body = await _body(request, state, resource)
    _refuse_misfits(state, resource, body, creating=True)
    ctx = _context(state, issued)
    with state.store.transaction():
        doc = WRITERS[resource.key](ctx, body, None)
        state.store.save(resource, doc)
    if resource.key in ("suppliers", "accounts"):
        state.forget_factory()
    state.announce(resource.key, [doc], "created")
    return _write_response(request, state, resource, doc, state.settings.create_status)


def _exported_value(
    request: Request, body: dict[str, Any], resource: Resource, state: SandboxState
) -> bool | None:
    raw = request.query_params.get("exported", body.get("exported"))
    if raw is None:
        return None
    text = str(raw).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise CoupaError(
        state.settings.validation_error_status, ["Exported is not true or false"], resource.element
    )


async def _update(
    request: Request, state: SandboxState, resource: Resource, record_id: int, issued: IssuedToken
) -> Response:
    body = await _body(request, state, resource)
    current = state.store.get(resource, record_id)
    if current is None:
        raise not_found(resource, record_id)
    _refuse_misfits(state, resource, body, creating=False)
    ctx = _context(state, issued)
    exported = _exported_value(request, body, resource, state) if "exported" in resource.fields else None
    others = {key: value for key, value in body.items() if key not in ("exported", "id")}
    event = "updated"
    with state.store.transaction():
        if exported is not None:
            mode = state.settings.exported_update_mode
            if others and mode == "reject":
                raise CoupaError(
                    state.settings.validation_error_status,
                    ["Exported must be updated in a separate request, without other fields"],
                    resource.element,
                )
            doc = current
            if others and mode == "apply_all":
                doc = WRITERS[resource.key](ctx, others, current)
                event = "updated"
            else:
                event = "exported"
            doc = mark_exported(ctx, doc, exported)
        else:
            doc = WRITERS[resource.key](ctx, others, current)
        state.store.save(resource, doc)
    if doc != current:
        state.announce(resource.key, [doc], event)
    if resource.key in ("suppliers", "accounts"):
        state.forget_factory()
    return _write_response(request, state, resource, doc, 200)


def _action(
    request: Request,
    state: SandboxState,
    resource: Resource,
    record_id: int,
    action: str,
    issued: IssuedToken,
) -> Response:
    current = state.store.get(resource, record_id)
    if current is None:
        raise not_found(resource, record_id)
    ctx = _context(state, issued)
    with state.store.transaction():
        doc = ACTIONS[resource.key](ctx, current, action)
        state.store.save(resource, doc)
    state.announce(resource.key, [doc], "updated")
    return _write_response(request, state, resource, doc, 200)


# --- application ----------------------------------------------------------------------------------


def create_app(settings: CoupaSandboxSettings | None = None) -> Starlette:
    """A seeded Coupa sandbox. The call-out thread starts and stops with the application."""
    state = SandboxState.build(settings or CoupaSandboxSettings())
    routes = [
        Route("/oauth2/token", token, methods=["POST"]),
        Route("/oauth2/scopes", scopes, methods=["GET"]),
        Route("/api/{path:path}", api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        *admin_routes(),
    ]
    return sandbox_app(state, routes, start=state.callouts.start, contract=CONTRACT)
