"""What every ``/connect`` request goes through before and after its handler.

Order, as a gateway in front of BILL plausibly applies it:

1. count the call;
2. devKey (header; in the body for /v3/login): missing or unknown -> BDC_1102 (webhook API: 400 when
   missing, 401 when invalid, as documented);
3. the devKey's hourly budget (BDC_1144), and for /v3/login the login budget;
4. the session (``sessionId`` header): unknown or idle too long -> BDC_1109; a live one is touched;
5. an in-flight slot for devKey + organization (BDC_1322 when all are taken), held until the answer;
6. injected faults (latency inside the slot, then fail-next / random errors);
7. the handler. A ``BillError`` raised anywhere becomes the documented JSON error array.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from connector_sandbox.serve import CompactJSONResponse

from . import errors
from .errors import BillError
from .faults import GATEWAY_HTML, InjectedHtml
from .sessions import Session
from .settings import BillSandboxSettings
from .state import SandboxState


@dataclass
class Call:
    request: Request
    state: SandboxState
    session: Session | None
    body: Any = None  # parsed JSON body when the route reads one

    @property
    def settings(self) -> BillSandboxSettings:
        return self.state.settings

    @property
    def org(self) -> str:
        assert self.session is not None
        return self.session.org_id

    @property
    def strict(self) -> bool:
        return self.settings.variants.reject_unknown_fields

    def param(self, name: str) -> str:
        return self.request.path_params[name]


Handler = Callable[[Call], Awaitable[Response]]


def error_response(error: BillError, settings: BillSandboxSettings) -> Response:
    status = 200 if settings.variants.errors_as_http_200 else error.status
    body = error.body(detail_keys=settings.variants.error_detail_keys)
    return CompactJSONResponse(body, status_code=status, headers=error.headers)


async def read_json(request: Request) -> Any:
    """The JSON body; 415 for a form body (v2 habit), 400 for malformed JSON, None when empty."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw.strip() and content_type and content_type != "application/json":
        raise errors.error(
            415,
            errors.VALIDATION,
            f"Content-Type must be application/json, got {content_type!r} "
            "(v3 takes JSON bodies, not v2 form fields)",
        )
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.validation([f"body: not valid JSON ({exc})"]) from None


def json_object(body: Any, what: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.validation([f"{what}: must be a JSON object"])
    return body


def json_array(body: Any, limit: int, what: str) -> list[Any]:
    if not isinstance(body, list) or not body:
        raise errors.validation([f"body: must be a non-empty JSON array of {what}"])
    if len(body) > limit:
        raise errors.error(
            400, errors.LIMIT_EXCEEDED, f"body: at most {limit} {what} per bulk request, got {len(body)}"
        )
    return body


def _dev_key_error(settings: BillSandboxSettings, *, events: bool, login: bool, missing: bool) -> BillError:
    if events and missing:
        return errors.validation(["devKey and sessionId headers are required"])
    status = settings.variants.login_failure_status if login else 401
    message = "Invalid devKey (is it for this environment?)"
    return errors.error(status, errors.BAD_DEV_KEY, message, "DOWNSTREAM")


async def _run(
    request: Request, state: SandboxState, handler: Handler, *, login: bool, events: bool
) -> Response:
    settings = state.settings
    session = None
    body = None
    if login:
        body = json_object(await read_json(request))
        dev_key = body.get("devKey")
        if not dev_key:
            raise errors.validation(["devKey: is required in the login body"])
        org_id = body.get("organizationId") if isinstance(body.get("organizationId"), str) else None
    else:
        dev_key = request.headers.get("devKey")
        session_id = request.headers.get("sessionId")
        if events and (not dev_key or not session_id):
            raise _dev_key_error(settings, events=True, login=False, missing=True)
    if not isinstance(dev_key, str) or dev_key != settings.dev_key:
        raise _dev_key_error(settings, events=events, login=login, missing=not dev_key)
    state.limits.take_request(dev_key)
    if login:
        state.limits.take_login(dev_key)
        counted = settings.variants.login_counts_in_flight and org_id and settings.organization(org_id)
        slot = state.limits.in_flight(dev_key, org_id) if counted and org_id else nullcontext()
    else:
        session = state.sessions.resolve(session_id or "", dev_key)
        if session is None:
            raise errors.session_invalid(401 if events else settings.variants.session_invalid_status)
        slot = state.limits.in_flight(dev_key, session.org_id)
    with slot:
        await state.faults.apply(settings.faults)
        call = Call(request, state, session, body)
        if not login and request.method in ("POST", "PUT", "PATCH"):
            call.body = await read_json(request)
        return await handler(call)


def api_route(
    path: str, handler: Handler, methods: list[str], *, prefix: str = "/connect", login: bool = False
) -> Route:
    """A BILL route; ``prefix`` is /connect for the API and /connect-events for webhook management."""
    events = prefix == "/connect-events"
    label = f"{'/'.join(methods)} {prefix}{path}"

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        state.stats.count_call(label)
        codes: list[str] = []
        try:
            response = await _run(request, state, handler, login=login, events=events)
        except BillError as error:
            codes = error.codes
            response = error_response(error, state.settings)
        except InjectedHtml as fault:
            response = HTMLResponse(GATEWAY_HTML.format(status=fault.status), status_code=fault.status)
        state.stats.count_answer(response.status_code, codes)
        return response

    return Route(prefix + path, endpoint, methods=methods, name=label)


async def not_supported(request: Request) -> Response:
    """Any other path under /connect: 404 BDC_1121 "API not supported" (documented)."""
    state: SandboxState = request.app.state.sandbox
    label = f"{request.method} (unsupported path)"
    state.stats.count_call(label)
    error = errors.error(
        404, errors.API_NOT_SUPPORTED, f"API not supported: {request.method} {request.url.path}"
    )
    state.stats.count_answer(404, error.codes)
    return error_response(error, state.settings)


def ok(body: Any, status: int = 200) -> Response:
    return CompactJSONResponse(body, status_code=status)
