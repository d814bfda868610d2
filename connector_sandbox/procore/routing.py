"""What every Procore API call goes through before and after its handler.

``api_route`` counts the call, injects latency and failures, authenticates the bearer token (401),
applies the rate limits (429 with ``X-Rate-Limit-*``), checks the ``Procore-Company-Id`` header (400 /
403), runs the handler, renders any ``ApiError`` in the live error-body style, and stamps the rate-limit
headers on the answer. Handlers get a ``Caller`` with helpers for the company / project parameters that
Procore still requires on top of the header.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from .errors import ApiError, ValidationFailed, bad_request, forbidden, not_found
from .events import Origin
from .faults import failure_response
from .ratelimit import RATE_LIMIT_TEXT
from .settings import ClientApp
from .state import SandboxState
from .tokens import AccessToken, InvalidToken

NOT_CONNECTED = "App is not connected to this company"
MISSING_COMPANY_HEADER = "Missing Procore-Company-Id header!"
PROJECT_NOT_PERMITTED = "The app has not been granted access to this project"
_TOKEN_MESSAGES = {
    "invalid": "The access token is invalid",
    "expired": "The access token expired",
    "revoked": "The access token was revoked",
}


class JsonResponse(Response):
    """JSON as Procore sends it: UTF-8, non-ASCII unescaped."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False).encode("utf-8")


@dataclass
class Caller:
    """The authenticated app making this call."""

    state: SandboxState
    token: AccessToken
    client: ClientApp
    header_company_id: int | None

    @property
    def origin(self) -> Origin:
        return Origin(self.client.service_account_user_id, self.client.application_id)

    def emit(self, resource: str, event: str, record_id: int, project_id: int | None, **related: Any) -> None:
        """Record a change this app made, for webhooks (``related=[...]`` passes through)."""
        self.state.emit(resource, event, record_id, project_id=project_id, origin=self.origin, **related)

    def company(self, raw: Any, *, name: str = "company_id") -> int:
        """The company parameter Procore still requires besides the header; must have our app installed."""
        company_id = int_param(raw, name)
        row = self.state.store.get("companies", company_id)
        if row is None or not row["connected"]:
            raise forbidden(NOT_CONNECTED)
        return company_id

    def project(self, raw: Any, *, name: str = "project_id") -> dict[str, Any]:
        """The project parameter: 404 if unknown, 403 if not among the DMSA's permitted projects."""
        project_id = int_param(raw, name)
        row = self.state.store.get("projects", project_id)
        if row is None:
            raise not_found("Project not found")
        company = self.state.store.get("companies", row["company_id"])
        if company is None or not company["connected"]:
            raise forbidden(NOT_CONNECTED)
        if not row["permitted"]:
            raise forbidden(PROJECT_NOT_PERMITTED)
        return row


def int_param(raw: Any, name: str) -> int:
    """A required integer id parameter (query, path or body): Rails' ParameterMissing when absent."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise bad_request(f"param is missing or the value is empty: {name}")
    if isinstance(raw, bool):
        raise bad_request(f"{name}: {raw!r} is not an integer id")
    try:
        return int(str(raw).strip())
    except ValueError:
        raise bad_request(f"{name}: {raw!r} is not an integer id") from None


def path_id(request: Request, name: str = "id") -> int:
    return int_param(request.path_params.get(name), name)


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 for anything else (Rails' wording for unparsable JSON)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("There was a problem in the JSON you submitted") from None
    if not isinstance(body, dict):
        raise bad_request("There was a problem in the JSON you submitted: expected an object")
    return body


def param(request: Request, body: dict[str, Any], name: str) -> Any:
    """A parameter from the query string or, failing that, the JSON body (Rails merges both)."""
    value = request.query_params.get(name)
    return value if value is not None else body.get(name)


def view_param(request: Request, default: str) -> str:
    """``?view=compact|normal|extended``; anything else is the endpoint's default."""
    view = request.query_params.get("view", default)
    return view if view in {"compact", "normal", "extended"} else default


Handler = Callable[[Request, Caller], Awaitable[Response]]


def _authenticate(request: Request, state: SandboxState) -> tuple[AccessToken, ClientApp]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    try:
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("invalid")
        token = state.tokens.resolve(value.strip())
    except InvalidToken as exc:
        reason = exc.reason if state.variants.distinct_token_messages else "invalid"
        message = _TOKEN_MESSAGES[reason]
        headers = {}
        if state.variants.www_authenticate_header:
            headers["WWW-Authenticate"] = (
                f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{message}"'
            )
        raise ApiError(401, message, headers=headers) from None
    client = state.settings.client(token.client_id)
    if client is None:  # a client removed by a settings change
        raise ApiError(401, _TOKEN_MESSAGES["invalid"])
    return token, client


def _company_header(request: Request, state: SandboxState) -> int | None:
    raw = request.headers.get("procore-company-id")
    if raw is None or not raw.strip():
        if state.variants.require_company_header:
            raise ApiError(state.variants.missing_company_header_status, MISSING_COMPANY_HEADER)
        return None
    try:
        company_id = int(raw.strip())
    except ValueError:
        raise bad_request(f"Procore-Company-Id: {raw!r} is not a company id") from None
    row = state.store.get("companies", company_id)
    if row is None or not row["connected"]:
        raise forbidden(NOT_CONNECTED)
    return company_id


def _rate_limited(headers: dict[str, str], retry_after: int, state: SandboxState) -> Response:
    if state.rate_limits.retry_after_on_429:
        headers = {**headers, "Retry-After": str(retry_after)}
    if state.rate_limits.body == "json":
        return ApiError(429, RATE_LIMIT_TEXT, headers=headers).response("errors")
    return PlainTextResponse(RATE_LIMIT_TEXT, status_code=429, headers=headers)


def count(state: SandboxState, label: str, status: int) -> None:
    state.statuses[str(status)] += 1
    state.statuses[f"{label} -> {status}"] += 1


def api_route(label: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with everything a real API call meets; ``label`` is "METHOD /path/template"."""

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        state.calls[label] += 1
        company = (request.headers.get("procore-company-id") or "").strip() or "none"
        state.company_calls[(company, label)] += 1
        await state.injector.delay(state.faults)
        state.faults, failure = state.injector.pick_failure(state.faults)
        if failure is not None:
            response = failure_response(failure, state.faults, state.variants)
            count(state, label, response.status_code)
            return response
        rate_headers: dict[str, str] = {}
        try:
            token, client = _authenticate(request, state)
            if state.rate_limits.enabled:
                key = client.client_id if state.rate_limits.scope == "client" else token.value
                decision = state.limiter.check(key, state.rate_limits, time.time())
                rate_headers = decision.headers
                if not decision.allowed:
                    response = _rate_limited(rate_headers, decision.retry_after, state)
                    count(state, label, 429)
                    return response
            caller = Caller(state, token, client, _company_header(request, state))
            response = await handler(request, caller)
        except ValidationFailed as failed:
            response = failed.as_api_error().response(state.variants.error_body)
        except ApiError as error:
            response = error.response(state.variants.error_body)
        for name, value in rate_headers.items():
            response.headers[name] = value
        count(state, label, response.status_code)
        return response

    return endpoint
