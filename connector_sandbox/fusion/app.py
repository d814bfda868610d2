"""The Starlette application of the sandbox pod.

``/fscmRestApi/resources/{version}/...`` is one generic ADF-style REST API over the catalog (collection
and item GETs, creates, partial updates, custom actions, children, describe), ``/oauth2/v1/token``
is the identity domain, ``/fscmRestApi/tokenrelay`` the legacy token relay, and ``/sandbox/...`` the
operator routes (``admin.py``). Every pod call is counted, then faulted, then authenticated,
throttled and authorised, in that order, before it reaches a handler; a ``FusionError`` raised at
any depth becomes the error body the live behaviour settings call for.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector_sandbox.serve import sandbox_app

from . import writes
from .admin import admin_routes
from .auth import (
    JWT_BEARER,
    OAuthError,
    authenticate_client,
    check_password,
    check_scope,
    parse_basic,
    verify_assertion,
)
from .catalog import DATA_SECURED_TABLES, RESOURCES, Resource
from .contract import CONTRACT
from .errors import FusionError, bad_request, invalid_operation, not_found, render_error
from .faults import Scope, deep_offset_delay, skewed_total
from .keys import change_indicator
from .naming import names_for
from .periods import PayablesPeriods
from .query import Compiled, compile_finder, compile_order_by, compile_q, parse_expand, parse_fields
from .settings import FusionSandboxSettings, FusionUser
from .shaping import Renderer, Shape, describe, item_key
from .state import SandboxState
from .vocabulary import BU_BY_NAME, pod_currencies

API_ROOT = "/fscmRestApi/resources"
VERSIONS = ("11.13.18.05", "latest")
COLLECTION_TYPE = "application/vnd.oracle.adf.resourcecollection+json"
ITEM_TYPE = "application/vnd.oracle.adf.resourceitem+json"
DESCRIPTION_TYPE = "application/vnd.oracle.adf.description+json"
ACTION_TYPE = "application/vnd.oracle.adf.action+json"
ACTION_RESULT_TYPE = "application/vnd.oracle.adf.actionresult+json"
WRITE_TYPES = ("application/json", ITEM_TYPE)
ACCEPTABLE = ("*/*", "application/*", "application/json", "application/vnd.oracle.adf.")


def pod_json(
    body: Any,
    *,
    status: int = 200,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    """JSON as the pod sends it: UTF-8, non-ASCII characters unescaped."""
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(content, status_code=status, media_type=media_type, headers=headers)


@dataclass
class Target:
    """What a pod path addresses."""

    kind: str  # root | version | collection | item | describe | collection_action | item_action
    resource: Resource | None = None
    top: Resource | None = None
    path: str = ""  # names path: "invoices.invoiceLines"
    href: str = ""  # the collection href (collection) or the item href (item)
    collection_href: str = ""
    row: dict[str, Any] | None = None
    parent_row: dict[str, Any] | None = None
    action: str | None = None
    template: str = ""


def _template(segments: list[str]) -> str:
    """The route template a call is counted under: item keys become {id}."""
    out: list[str] = []
    expect_key = False
    for index, segment in enumerate(segments):
        if index == 0:
            out.append("{version}")
        elif index == 1:
            out.append(segment)
            expect_key = True
        elif expect_key and segment not in ("describe", "action"):
            out.append("{id}")
            expect_key = False
        elif out and out[-1] == "child":
            out.append(segment)
            expect_key = True
        else:
            out.append(segment)
            expect_key = False
    return "/".join(out)


# --- authentication, authorisation ---------------------------------------------------------------


def _unauthorized(state: SandboxState, scheme: str) -> FusionError:
    headers = {}
    if state.behaviour.www_authenticate:
        headers["WWW-Authenticate"] = (
            'Bearer error="invalid_token"' if scheme == "bearer" else 'Basic realm="fusion"'
        )
    return FusionError(401, "Authentication failed.", code="SBX-401", headers=headers)


def authenticate(request: Request, state: SandboxState) -> FusionUser:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = state.tokens.resolve(header[7:].strip(), state.now())
        user = state.settings.user(token.username) if token else None
        if user is None:
            raise _unauthorized(state, "bearer")
        return user
    basic = parse_basic(header)
    if basic is not None and state.behaviour.allow_basic_auth:
        user = check_password(state.settings, *basic)
        if user is not None:
            return user
    raise _unauthorized(state, "basic")


def throttle(state: SandboxState, user: FusionUser) -> None:
    behaviour = state.behaviour
    if behaviour.rate_limit_requests is None:
        return
    wait = state.limiter.check(
        user.username.lower(), behaviour.rate_limit_requests, behaviour.rate_limit_window_seconds, state.now()
    )
    if wait is not None:
        headers = {"Retry-After": str(max(1, math.ceil(wait)))} if behaviour.rate_limit_retry_after else {}
        raise FusionError(429, "Too Many Requests", code="SBX-429", headers=headers)


def authorise(user: FusionUser, top: Resource, access: Literal["read", "write"]) -> None:
    privilege = top.privilege or top.name
    if not user.may(privilege, access):
        raise FusionError(
            403,
            f"User {user.username} is not authorized to {access} the resource {top.name}.",
            code="SBX-403",
        )


def _check_accept(request: Request) -> None:
    accept = request.headers.get("accept")
    if accept and not any(kind in accept.lower() for kind in ACCEPTABLE):
        raise FusionError(406, f"Not Acceptable: the resource answers JSON, not {accept}.", code="SBX-406")


def _framework_version(request: Request, state: SandboxState, resource_name: str | None) -> int:
    behaviour = state.behaviour
    raw = request.headers.get("rest-framework-version")
    if raw is None:
        return behaviour.resource_framework_versions.get(
            resource_name or "", behaviour.default_framework_version
        )
    if not raw.strip().isdigit() or int(raw) not in behaviour.allowed_framework_versions:
        raise bad_request(
            f"The REST-Framework-Version {raw!r} is not supported; allowed: "
            f"{', '.join(map(str, behaviour.allowed_framework_versions))}.",
            path="REST-Framework-Version",
        )
    return int(raw)


# --- locating rows -------------------------------------------------------------------------------


def _visibility(resource: Resource, top: Resource, state: SandboxState, user: FusionUser) -> Compiled:
    """Which rows of ``resource`` exist for this user: the resource's own filter and data security."""
    clauses, params = [], []
    if resource.row_filter:
        clauses.append(resource.row_filter)
    if (
        resource.name in ("purchaseOrders", "purchaseOrdersLOV")
        and not state.behaviour.drafts_in_purchase_orders
    ):
        clauses.append("\"StatusCode\" <> 'INCOMPLETE'")
    if resource is top and resource.table.name in DATA_SECURED_TABLES and user.business_units is not None:
        ids = [BU_BY_NAME[name].id for name in user.business_units if name in BU_BY_NAME]
        clauses.append(f"sbx_bu IN ({', '.join('?' for _ in ids) or 'NULL'})")
        params.extend(ids)
    return Compiled(" AND ".join(clauses) or "1=1", params)


def _find_row(
    state: SandboxState,
    resource: Resource,
    top: Resource,
    user: FusionUser,
    parent: dict[str, Any] | None,
    key: str,
) -> dict[str, Any] | None:
    behaviour = state.behaviour
    row_id: int | None = None
    if resource.hashed and (behaviour.item_keys == "hash" or resource.key is None):
        row_id = state.keys.decode(resource.table.name, key)
        if row_id is None and behaviour.hash_key_accepts_plain_id and key.isdigit():
            row_id = int(key)
    elif key.isdigit():
        row_id = int(key)
    if row_id is None:
        return None
    visible = _visibility(resource, top, state, user)
    sql = f'SELECT * FROM "{resource.table.name}" WHERE sbx_id = ? AND {visible.sql}'
    params: list[Any] = [row_id, *visible.params]
    if parent is not None:
        sql += " AND sbx_parent = ?"
        params.append(parent["sbx_id"])
    return state.store.fetch_one(sql, params)


def locate(request: Request, state: SandboxState, user: FusionUser, segments: list[str]) -> Target:
    root = str(request.base_url).rstrip("/") + API_ROOT
    if not segments:
        return Target("root", href=root)
    version = segments[0]
    if version not in VERSIONS:
        raise not_found(f"The REST version {version} does not exist.")
    base = f"{root}/{version}"
    template = _template(segments)
    if len(segments) == 1:
        return Target("version", href=base, template=template)
    if segments[1:] == ["describe"]:
        return Target("describe", href=base, template=template)
    resource = RESOURCES.get(segments[1])
    if resource is None or (resource.name == "valueSets" and not state.behaviour.value_sets):
        raise not_found(f"The resource {segments[1]} does not exist.")
    top = resource
    path = resource.name
    collection_href = f"{base}/{resource.name}"
    row: dict[str, Any] | None = None
    parent: dict[str, Any] | None = None
    index = 2
    while index < len(segments):
        segment = segments[index]
        rest = segments[index:]
        if row is None:
            if rest == ["describe"] and resource is top:
                return Target(
                    "describe", resource, top, path, collection_href, collection_href, template=template
                )
            if segment == "action" and len(rest) == 2:
                if rest[1] not in resource.collection_actions:
                    raise not_found(f"The action {rest[1]} does not exist on {resource.name}.")
                return Target(
                    "collection_action",
                    resource,
                    top,
                    path,
                    collection_href,
                    collection_href,
                    parent_row=parent,
                    action=rest[1],
                    template=template,
                )
            found = _find_row(state, resource, top, user, parent, segment)
            if found is None:
                raise not_found(f"The item {segment} of {resource.name} does not exist.")
            row = found
            index += 1
            continue
        item_href = f"{collection_href}/{item_key(state.keys, state.behaviour, resource, row)}"
        if segment == "child" and len(rest) >= 2:
            child = resource.children_by_name.get(rest[1])
            if child is None:
                raise not_found(f"The child {rest[1]} of {resource.name} does not exist.")
            parent, row, resource = row, None, child
            path = f"{path}.{child.name}"
            collection_href = f"{item_href}/child/{child.name}"
            index += 2
            continue
        if segment == "action" and len(rest) == 2:
            if rest[1] not in resource.item_actions:
                raise not_found(f"The action {rest[1]} does not exist on {resource.name}.")
            return Target(
                "item_action", resource, top, path, item_href, collection_href, row, parent, rest[1], template
            )
        raise not_found(f"The path {'/'.join(segments)} does not exist.")
    if row is None:
        return Target(
            "collection",
            resource,
            top,
            path,
            collection_href,
            collection_href,
            None,
            parent,
            template=template,
        )
    item_href = f"{collection_href}/{item_key(state.keys, state.behaviour, resource, row)}"
    return Target("item", resource, top, path, item_href, collection_href, row, parent, template=template)


# --- handlers ------------------------------------------------------------------------------------


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() == "true"


def _shape(request: Request, version: int) -> Shape:
    params = request.query_params
    fields = parse_fields(params["fields"]) if params.get("fields") else None
    expand = None
    if fields is None and params.get("expand"):
        parsed = parse_expand(params["expand"])
        expand = parsed if isinstance(parsed, str) else frozenset(parsed)
    rels = params.get("links")
    return Shape(
        version=version,
        only_data=_flag(request, "onlyData"),
        link_rels=frozenset(rel.strip() for rel in rels.split(",") if rel.strip()) if rels else None,
        fields=fields,
        expand=expand,
    )


def _int_param(request: Request, name: str, default: int, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise bad_request(f"URL request parameter {name} with value {raw!r} is not valid.", path=name)
    return value


async def list_collection(
    request: Request, state: SandboxState, user: FusionUser, target: Target, version: int
) -> Response:
    assert target.resource is not None and target.top is not None
    resource, behaviour = target.resource, state.behaviour
    names = names_for(resource, target.path, behaviour)
    params = request.query_params
    visible = _visibility(resource, target.top, state, user)
    clauses, values = [visible.sql], list(visible.params)
    if target.parent_row is not None:
        clauses.append("sbx_parent = ?")
        values.append(target.parent_row["sbx_id"])
    if params.get("finder"):
        finder = compile_finder(params["finder"], resource, names)
        clauses.append(f"({finder.sql})")
        values.extend(finder.params)
    if params.get("q"):
        query = compile_q(params["q"], version, names, behaviour)
        clauses.append(f"({query.sql})")
        values.extend(query.params)
    order = compile_order_by(params.get("orderBy", ""), names)
    order_sql = [f'"{attr.name}" {"DESC" if descending else "ASC"}' for attr, descending in order]
    if order and state.faults.unstable_tie_order:
        # Rows tying on every orderBy attribute come back in a per-call random order (quirk 3).
        # Kept below 2**63 so SQLite stays in integer arithmetic.
        salt = state.injector.rng.randrange(3, 2**31, 2)
        order_sql.append(f"(((sbx_id % 1000003) * {salt}) % 2147483629)")
    order_sql.append("sbx_id")
    cap = behaviour.page_caps.get(resource.name, behaviour.page_cap)
    limit = min(_int_param(request, "limit", behaviour.default_limit, 1), cap)
    offset = _int_param(request, "offset", 0, 0)
    shape = _shape(request, version)
    renderer = Renderer(state.store, state.keys, behaviour, shape)
    renderer.validate(resource, target.path)
    await deep_offset_delay(state.faults, offset)
    where = " AND ".join(clauses)
    rows = state.store.fetch(
        f'SELECT * FROM "{resource.table.name}" WHERE {where} '
        f"ORDER BY {', '.join(order_sql)} LIMIT ? OFFSET ?",
        [*values, limit + 1, offset],
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    if state.faults.phantom_has_more and not has_more and rows:
        has_more = True  # quirk 2: the last page claims more; the next one comes back empty
    items = [
        renderer.item(
            resource, target.path, row, f"{target.href}/{item_key(state.keys, behaviour, resource, row)}"
        )
        for row in rows
    ]
    body: dict[str, Any] = {"items": items}
    if _flag(request, "totalResults"):
        total = state.store.conn.execute(
            f'SELECT COUNT(*) FROM "{resource.table.name}" WHERE {where}', values
        ).fetchone()[0]
        body["totalResults"] = skewed_total(total, state.faults.total_results_skew)
    body.update(count=len(items), hasMore=has_more, limit=limit, offset=offset)
    links = [{"rel": "self", "href": target.href, "name": resource.name, "kind": "collection"}]
    links += [
        {"rel": "action", "href": f"{target.href}/action/{name}", "name": name, "kind": "other"}
        for name in resource.collection_actions
    ]
    body["links"] = links
    return pod_json(body, media_type=COLLECTION_TYPE)


def _item_response(
    state: SandboxState, target: Target, row: dict[str, Any], shape: Shape, *, status: int = 200
) -> Response:
    assert target.resource is not None
    renderer = Renderer(state.store, state.keys, state.behaviour, shape)
    renderer.validate(target.resource, target.path)
    href = f"{target.collection_href}/{item_key(state.keys, state.behaviour, target.resource, row)}"
    body = renderer.item(target.resource, target.path, row, href)
    headers = {"ETag": f'"{change_indicator(row["sbx_version"])}"'}
    if status == 201:
        headers["Location"] = href
    return pod_json(body, status=status, media_type=ITEM_TYPE, headers=headers)


def _check_if_match(request: Request, row: dict[str, Any]) -> None:
    wanted = request.headers.get("if-match")
    if wanted is None or wanted.strip() == "*":
        return
    current = change_indicator(row["sbx_version"])
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in wanted.split(",")]
    if current not in tags:
        raise FusionError(
            412, "Precondition Failed: the item was changed by another request.", code="SBX-412"
        )


async def _json_body(request: Request, accepted: tuple[str, ...]) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in accepted:
        raise FusionError(
            415,
            f"Unsupported Media Type: send {' or '.join(accepted)}, not {content_type or 'nothing'}.",
            code="SBX-415",
        )
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.", path="body") from None


def _write_context(state: SandboxState, user: FusionUser) -> writes.WriteContext:
    currencies = pod_currencies(state.settings.planted_faults)
    payables = PayablesPeriods(state.store, state.settings.periods, state.behaviour)
    return writes.WriteContext(state.store, state.behaviour, user, state.now(), currencies, payables)


def _created_shape(version: int, resource: Resource) -> Shape:
    """A create answers with the item and the children it was given (all levels)."""
    paths: set[str] = set()

    def walk(node: Resource, prefix: str) -> None:
        for name, child in node.children_by_name.items():
            if child.creatable or resource.creatable:
                paths.add(f"{prefix}{name}")
                walk(child, f"{prefix}{name}.")

    walk(resource, "")
    if resource.name == "invoices":
        paths.discard("invoiceInstallments")
    return Shape(version=version, expand=frozenset(paths))


async def create(
    request: Request, state: SandboxState, user: FusionUser, target: Target, version: int
) -> Response:
    resource = target.resource
    assert resource is not None
    if not resource.creatable:
        if state.behaviour.read_only_create_status == 405:
            raise FusionError(405, "Method Not Allowed", code="SBX-405", headers={"Allow": "GET"})
        raise invalid_operation("create")
    body = await _json_body(request, WRITE_TYPES)
    ctx = _write_context(state, user)
    if resource.name == "invoices":
        row_id = writes.create_invoice(ctx, body)
    elif resource.name == "draftPurchaseOrders":
        row_id = writes.create_draft_purchase_order(ctx, body)
    elif resource.name == "invoiceLines":
        assert target.parent_row is not None
        row_id = writes.create_invoice_line(ctx, target.parent_row, body)
    else:  # pragma: no cover - every creatable resource is listed above
        raise invalid_operation("create")
    row = state.store.row(resource.table.name, row_id)
    assert row is not None
    return _item_response(state, target, row, _created_shape(version, resource), status=201)


async def update(
    request: Request, state: SandboxState, user: FusionUser, target: Target, version: int
) -> Response:
    resource, row = target.resource, target.row
    assert resource is not None and row is not None
    if not resource.updatable:
        raise invalid_operation("update")
    _check_if_match(request, row)
    body = await _json_body(request, WRITE_TYPES)
    ctx = _write_context(state, user)
    if resource.name == "invoices":
        writes.update_invoice(ctx, row, body)
    elif resource.name == "draftPurchaseOrders":
        writes.update_draft_purchase_order(ctx, row, body)
    elif resource.name == "invoiceLines":
        assert target.parent_row is not None
        writes.update_invoice_line(ctx, target.parent_row, row, body)
    fresh = state.store.row(resource.table.name, row["sbx_id"])
    assert fresh is not None
    return _item_response(state, target, fresh, _shape(request, version))


async def run_action(request: Request, state: SandboxState, user: FusionUser, target: Target) -> Response:
    body = await _json_body(request, (ACTION_TYPE,))
    ctx = _write_context(state, user)
    assert target.resource is not None and target.action is not None
    if target.kind == "collection_action":
        if target.action == "validateInvoice":
            result = writes.validate_invoice(ctx, body)
        else:
            result = writes.cancel_invoice(ctx, body)
    else:
        assert target.row is not None
        result = writes.run_item_action(ctx, target.resource, target.row, target.action)
    return pod_json({"result": result}, media_type=ACTION_RESULT_TYPE)


def _root_listing(state: SandboxState, href: str) -> dict[str, Any]:
    behaviour = state.behaviour
    extension = {
        "defaultFrameworkVersion": str(behaviour.default_framework_version),
        "allowedFrameworkVersions": [str(version) for version in behaviour.allowed_framework_versions],
    }
    return {
        "items": [
            {
                "version": version,
                "isLatest": version == "11.13.18.05",
                "adf:extension": extension,
                "links": [
                    {"rel": "self", "href": f"{href}/{version}", "name": version, "kind": "collection"}
                ],
            }
            for version in VERSIONS[:1]
        ],
        "adf:extension": extension,
        "links": [{"rel": "self", "href": href, "name": "resources", "kind": "collection"}],
    }


def _catalog_listing(state: SandboxState, href: str) -> dict[str, Any]:
    names = [name for name in RESOURCES if name != "valueSets" or state.behaviour.value_sets]
    return {
        "items": [
            {
                "name": name,
                "links": [{"rel": "self", "href": f"{href}/{name}", "name": name, "kind": "collection"}],
            }
            for name in names
        ],
        "links": [{"rel": "self", "href": href, "name": "resources", "kind": "collection"}],
    }


E = TypeVar("E", bound=Exception)


async def _observed(
    state: SandboxState,
    call: str,
    scope: Scope,
    serve: Callable[[], Awaitable[Response]],
    *,
    render_fault: Callable[[FusionError], Response],
    handled: type[E],
    render: Callable[[E], Response],
) -> Response:
    """How the pod answers any call: count it, apply the fault plan of its scope (an injected fault is
    answered by ``render_fault``), serve it (``handled`` errors answered by ``render``), count the
    answer's status."""
    state.calls[call] += 1
    state.faults, fault = await state.injector.apply(state.faults, scope)
    if fault is not None:
        response = render_fault(fault)
    else:
        try:
            response = await serve()
        except handled as error:
            response = render(error)
    state.statuses[str(response.status_code)] += 1
    return response


def _check_request_line(request: Request, limit: int | None) -> None:
    """The front web server's refusal of a request line longer than ``limit`` bytes (414), before the pod
    sees the call (``BehaviourSettings.request_line_limit``)."""
    if limit is None:
        return
    query = request.scope.get("query_string", b"")
    target = request.scope.get("raw_path", b"") + (b"?" + query if query else b"")
    line = len(request.method) + 1 + len(target) + len(" HTTP/1.1")
    if line > limit:
        raise FusionError(
            414,
            f"Request-URI Too Long: the request line is {line} bytes; this server takes {limit} at most.",
            code="SBX-414",
        )


async def pod_endpoint(request: Request) -> Response:
    """Every ``/fscmRestApi/resources[/...]`` call."""
    state: SandboxState = request.app.state.sandbox
    raw_path = request.path_params.get("rest", "")
    segments = [segment for segment in raw_path.split("/") if segment]
    template = _template(segments) if segments else ""
    version = state.behaviour.default_framework_version

    async def serve() -> Response:
        nonlocal version
        _check_request_line(request, state.behaviour.request_line_limit)
        version = _framework_version(request, state, segments[1] if len(segments) > 1 else None)
        user = authenticate(request, state)
        throttle(state, user)
        _check_accept(request)
        target = locate(request, state, user, segments)
        return await _dispatch(request, state, user, target, version)

    def render(error: FusionError) -> Response:
        # In the framework version the request asked for, once it is known.
        accept = request.headers.get("accept", "")
        return render_error(error, state.behaviour, accept=accept, framework_version=version)

    call = f"{request.method} {API_ROOT}/{template}".rstrip("/")
    return await _observed(state, call, "api", serve, render_fault=render, handled=FusionError, render=render)


async def _dispatch(
    request: Request, state: SandboxState, user: FusionUser, target: Target, version: int
) -> Response:
    method = request.method
    if method == "PUT":  # ADF resources replace nothing: PATCH is the update
        raise FusionError(405, "Method Not Allowed", code="SBX-405", headers={"Allow": "GET, POST, PATCH"})
    if target.kind in ("root", "version", "describe") and target.resource is None:
        if method != "GET":
            raise FusionError(405, "Method Not Allowed", code="SBX-405", headers={"Allow": "GET"})
        if target.kind == "root":
            return pod_json(_root_listing(state, target.href), media_type=COLLECTION_TYPE)
        if target.kind == "version":
            return pod_json(_catalog_listing(state, target.href), media_type=COLLECTION_TYPE)
        listing = {
            name: describe(resource, name, state.behaviour, f"{target.href}/{name}")
            for name, resource in RESOURCES.items()
            if name != "valueSets" or state.behaviour.value_sets
        }
        return pod_json({"Resources": listing}, media_type=DESCRIPTION_TYPE)
    assert target.top is not None and target.resource is not None
    reading = method == "GET"
    authorise(user, target.top, "read" if reading else "write")
    if target.kind == "describe":
        if not reading:
            raise FusionError(405, "Method Not Allowed", code="SBX-405", headers={"Allow": "GET"})
        body = {
            "Resources": {
                target.resource.name: describe(target.resource, target.path, state.behaviour, target.href)
            }
        }
        return pod_json(body, media_type=DESCRIPTION_TYPE)
    if target.kind in ("collection_action", "item_action"):
        if method != "POST":
            raise FusionError(405, "Method Not Allowed", code="SBX-405", headers={"Allow": "POST"})
        return await run_action(request, state, user, target)
    if target.kind == "collection":
        if method == "GET":
            return await list_collection(request, state, user, target, version)
        if method == "POST":
            return await create(request, state, user, target, version)
        raise invalid_operation("update" if method == "PATCH" else method.lower())
    assert target.row is not None
    if method == "GET":
        return _item_response(state, target, target.row, _shape(request, version))
    if method == "PATCH":
        return await update(request, state, user, target, version)
    if method == "DELETE":
        _check_if_match(request, target.row)
        raise invalid_operation("delete")
    raise invalid_operation("create" if method == "POST" else method.lower())


# --- identity domain and token relay -------------------------------------------------------------


def _oauth_error(error: OAuthError) -> Response:
    headers = {"Cache-Control": "no-store"}
    if error.challenge:
        headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return pod_json(
        {"error": error.error, "error_description": error.description}, status=error.status, headers=headers
    )


async def token_endpoint(request: Request) -> Response:
    """POST /oauth2/v1/token (the identity domain of the pod, simulated on the same port)."""
    state: SandboxState = request.app.state.sandbox
    return await _observed(
        state,
        "POST /oauth2/v1/token",
        "token",
        lambda: _issue_token(request, state),
        render_fault=lambda fault: render_error(fault, state.behaviour),
        handled=OAuthError,
        render=_oauth_error,
    )


async def _issue_token(request: Request, state: SandboxState) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError(400, "invalid_request", "The request must be application/x-www-form-urlencoded.")
    try:
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode("utf-8")).items()}
    except UnicodeDecodeError:
        raise OAuthError(400, "invalid_request", "The request body is not UTF-8.") from None
    settings = state.settings
    client = authenticate_client(settings, state.behaviour, request.headers.get("authorization", ""), form)
    grant = form.get("grant_type", "")
    if not grant:
        raise OAuthError(400, "invalid_request", "The grant_type parameter is required.")
    if grant not in client.allowed_grants and not (
        grant == "password" and state.behaviour.allow_password_grant
    ):
        known = {"client_credentials", JWT_BEARER, "refresh_token", "password"}
        if grant not in known or (grant == "password" and not state.behaviour.allow_password_grant):
            raise OAuthError(400, "unsupported_grant_type", f"The grant type {grant} is not supported.")
        raise OAuthError(400, "unauthorized_client", f"The client is not allowed the grant type {grant}.")
    now = state.now()
    if grant == "refresh_token":
        refresh = state.tokens.take_refresh(form.get("refresh_token", ""), client.client_id)
        if refresh is None:
            raise OAuthError(400, "invalid_grant", "The refresh token is invalid or expired.")
        username, scope, offline = refresh.username, refresh.scope, False
    else:
        scope, offline = check_scope(form.get("scope", ""), settings, state.behaviour)
        if grant == "client_credentials":
            username, offline = client.acts_as, False
        elif grant == JWT_BEARER:
            claims = verify_assertion(form.get("assertion", ""), client, now)
            if settings.user(claims["sub"]) is None:
                raise OAuthError(400, "invalid_grant", "The assertion subject is not a known user.")
            username = claims["sub"]
        else:
            user = check_password(settings, form.get("username", ""), form.get("password", ""))
            if user is None:
                raise OAuthError(400, "invalid_grant", "The user name or password is invalid.")
            username = user.username
    token = state.tokens.issue(
        username=username,
        client_id=client.client_id,
        scope=scope,
        now=now,
        lifetime=state.faults.token_lifetime_seconds,
    )
    body: dict[str, Any] = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": state.faults.token_lifetime_seconds,
    }
    if offline:
        body["refresh_token"] = state.tokens.issue_refresh(username, client.client_id, scope)
    return pod_json(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def token_relay(request: Request) -> Response:
    """GET /fscmRestApi/tokenrelay with Basic auth: a Fusion JWT usable as a bearer token."""
    state: SandboxState = request.app.state.sandbox

    def render(error: FusionError) -> Response:
        return render_error(error, state.behaviour)

    return await _observed(
        state,
        "GET /fscmRestApi/tokenrelay",
        "api",
        lambda: _relay_token(request, state),
        render_fault=render,
        handled=FusionError,
        render=render,
    )


async def _relay_token(request: Request, state: SandboxState) -> Response:
    if not state.behaviour.token_relay:
        raise not_found("The requested resource does not exist.")
    basic = parse_basic(request.headers.get("authorization", ""))
    user = check_password(state.settings, *basic) if basic else None
    if user is None:
        raise _unauthorized(state, "basic")
    lifetime = state.faults.token_lifetime_seconds
    token = state.tokens.issue(
        username=user.username,
        client_id=None,
        scope="",
        now=state.now(),
        lifetime=lifetime,
        kind="tokenrelay",
    )
    return pod_json(
        {
            "principal": user.username,
            "expires_in": lifetime,
            "token_type": "JWT",
            "access_token": token.value,
        }
    )


def create_app(settings: FusionSandboxSettings) -> Starlette:
    """A ready-to-serve sandbox pod: data seeded, no token issued yet."""
    state = SandboxState.build(settings)
    methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
    routes = [
        Route("/oauth2/v1/token", token_endpoint, methods=["POST"]),
        Route("/fscmRestApi/tokenrelay", token_relay, methods=["GET"]),
        Route(API_ROOT, pod_endpoint, methods=methods),
        Route(API_ROOT + "/{rest:path}", pod_endpoint, methods=methods),
        *admin_routes(),
    ]
    return sandbox_app(state, routes, contract=CONTRACT)
