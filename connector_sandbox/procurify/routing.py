"""The pipeline every simulated request goes through, and the answer to paths without a slash.

``ApiRoute`` wraps the handlers of one path template: it counts the call, resolves the customer
domain, applies injected faults, authenticates, checks the user's permission for the endpoint family,
throttles, dispatches on the method (DRF's 405 otherwise) and renders any ``ApiError``. Handlers get a
``RequestContext`` and return a ``Response``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from .auth import Principal, authenticate, bearer_of, request_domain
from .errors import ApiError, detail, html_not_found, html_server_error
from .listing import page_size
from .representations import Lookups
from .settings import BehaviourVariants, Permission
from .state import SandboxState


@dataclass
class RequestContext:
    request: Request
    state: SandboxState
    principal: Principal
    lookups: Lookups = field(init=False)

    def __post_init__(self) -> None:
        self.lookups = Lookups(self.state.store)

    @property
    def variants(self) -> BehaviourVariants:
        return self.state.variants

    async def json_body(self) -> Any:
        """DRF's JSONParser: 415 for another media type, 400 with the parse error for bad JSON."""
        content_type = self.request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise detail(415, f'Unsupported media type "{content_type}" in request.')
        raw = await self.request.body()
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise detail(400, f"JSON parse error - {exc}") from None


Handler = Callable[[RequestContext], Awaitable[Response]]
# Every route takes every method, so a wrong one gets DRF's JSON 405 rather than Starlette's text one.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def counted(
    request: Request, key: str, answer: Callable[[SandboxState], Awaitable[Response]]
) -> Response:
    """Count the call and its status under ``key``, rendering any ``ApiError`` the answer raises.

    Every entry point (API routes, the token route, unmatched paths) is counted the same way, so
    ``/sandbox/state`` shows each call a client made and how it was answered.
    """
    state: SandboxState = request.app.state.sandbox
    state.calls[key] += 1
    try:
        response = await answer(state)
    except ApiError as error:
        response = error.response(state.variants.error_style)
    state.statuses[f"{key} {response.status_code}"] += 1
    return response


class ApiRoute:
    """One documented path template with its handlers per method."""

    def __init__(
        self,
        path: str,
        handlers: dict[str, Handler],
        *,
        family: Permission | None,
        is_list: bool = False,
        name: str | None = None,
        param_patterns: dict[str, str] | None = None,
        removed_when: Callable[[SandboxState], bool] | None = None,
    ) -> None:
        self.path = path
        self.handlers = handlers
        self.family = family
        self.is_list = is_list
        self.name = name or path
        # Django URL regexes narrower than a path segment: a mismatch is the 404 page, before any auth.
        self.param_patterns = {key: re.compile(value) for key, value in (param_patterns or {}).items()}
        # An endpoint that has been retired (by the sandbox clock or a variant) answers like any unknown path.
        self.removed_when = removed_when

    async def handle(self, request: Request) -> Response:
        return await counted(request, f"{request.method} {self.name}", partial(self._answer, request))

    async def _answer(self, request: Request, state: SandboxState) -> Response:
        domain = request_domain(request, state)
        if self.removed_when is not None and self.removed_when(state):
            raise html_not_found()
        for key, pattern in self.param_patterns.items():
            if not pattern.match(str(request.path_params.get(key, ""))):
                raise html_not_found()
        token = bearer_of(request)
        client_hint = state.tokens.client_of(token) if token else None
        rows = page_size(request, state.variants) if self.is_list and request.method == "GET" else 1
        await state.gate.before_request(request.url.path, rows, client_hint)
        # DRF order: authenticate, permissions, throttles, and only then the method lookup.
        principal = authenticate(request, state, domain)
        state.gate.check_suspended(principal.application.client_id)
        if self.family is not None and self.family not in principal.application.permissions:
            raise detail(403, "You do not have permission to perform this action.")
        state.gate.throttle_api(principal.application.client_id)
        handler = self.handlers.get(request.method)
        if handler is None:
            allowed = ", ".join(sorted(self.handlers))
            raise detail(405, f'Method "{request.method}" not allowed.', {"Allow": allowed})
        return await handler(RequestContext(request, state, principal))

    def route(self) -> Route:
        # A bound method, so Starlette treats it as a request -> response endpoint, not a raw ASGI app.
        return Route(self.path, self.handle, methods=ALL_METHODS)


class TokenRoute:
    """``/oauth/token``: faults apply, API authentication does not."""

    def __init__(self, handler: Callable[[Request, SandboxState], Awaitable[Response]]) -> None:
        self.handler = handler

    async def handle(self, request: Request) -> Response:
        return await counted(request, f"{request.method} /oauth/token", partial(self._answer, request))

    async def _answer(self, request: Request, state: SandboxState) -> Response:
        if request.method != "POST":
            raise detail(405, f'Method "{request.method}" not allowed.', {"Allow": "POST"})
        await state.gate.before_request(request.url.path, 1, None)
        return await self.handler(request, state)


class MissingSlash:
    """Every path no route matched: Django's APPEND_SLASH for API paths, its 404 page otherwise."""

    def __init__(self, templates: list[re.Pattern[str]]) -> None:
        self.templates = templates

    async def handle(self, request: Request) -> Response:
        path = request.url.path
        would_match = not path.endswith("/") and any(t.match(path + "/") for t in self.templates)
        key = f"{request.method} {path} ({'missing slash' if would_match else 'no route'})"

        async def answer(state: SandboxState) -> Response:
            request_domain(request, state)
            if not would_match:
                raise html_not_found()
            return self._missing_slash(request, state.variants)

        return await counted(request, key, answer)

    @staticmethod
    def _missing_slash(request: Request, variants: BehaviourVariants) -> Response:
        variant = variants.missing_trailing_slash
        if variant == "not_found":
            raise html_not_found()
        if variant == "debug_post_error" and request.method not in ("GET", "HEAD"):
            # Django DEBUG: "You called this URL via POST, but the URL doesn't end in a slash ..."
            raise html_server_error(500)
        scheme, netloc, path, query, fragment = urlsplit(str(request.url))
        return RedirectResponse(urlunsplit((scheme, netloc, path + "/", query, fragment)), status_code=301)


def compile_templates(routes: list[ApiRoute]) -> list[re.Pattern[str]]:
    """Regexes of the API path templates (``{name}`` and ``{name:int}`` become one path segment)."""
    patterns = []
    for route in routes:
        regex = re.sub(r"\{[^}:]+:int\}", r"[0-9]+", route.path)
        regex = re.sub(r"\{[^}]+\}", r"[^/]+", regex)
        patterns.append(re.compile(f"^{regex}$"))
    return patterns
