"""The Starlette application: AIS routes under ``/jderest``, operator routes under ``/sandbox``.

Every AIS route goes through ``ais_route``, which counts the call, applies injected latency and
failures, and turns an ``AisError`` raised anywhere into the JSON error a real server would send.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connector_sandbox.oauth import parse_basic
from connector_sandbox.serve import CompactJSONResponse, json_object_body, sandbox_app

from . import orchestrations
from .admin import admin_routes
from .auth import InvalidToken, Session, SessionLimitReached
from .contract import CONTRACT
from .dataservice import (
    STACK_ID,
    ResultSet,
    browse_body,
    count_body,
    next_link,
    parse_data_request,
    row_renderer,
)
from .dates import DatePattern, compile_pattern
from .errors import AisError, authorization_failure, bad_request, invalid_token, service_error, timestamp
from .query import ValueContext
from .settings import JdeSandboxSettings
from .state import SandboxState

ALLOWED_HOSTS_MESSAGE = (
    "Allowed Hosts on the HTML server is not configured to accept requests from this AIS Server"
)
# Body fields that carry authentication, never orchestration inputs.
AUTH_FIELDS = frozenset({"token", "deviceName", "username", "password", "environment", "role", "jasserver"})

Handler = Callable[[Request, SandboxState], Awaitable[Response]]


def ais_route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        state.calls[f"{request.method} {request.url.path}"] += 1
        faults = state.faults
        delay_ms = faults.latency_ms + (
            state.fault_rng.uniform(0, faults.latency_jitter_ms) if faults.latency_jitter_ms else 0
        )
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        try:
            if faults.fail_next > 0:
                state.faults = faults.model_copy(update={"fail_next": faults.fail_next - 1})
                raise service_error(faults.fail_next_status, "Sandbox injected failure (fail_next)")
            if faults.random_error_rate and state.fault_rng.random() < faults.random_error_rate:
                raise service_error(
                    faults.random_error_status, "Sandbox injected failure (random_error_rate)"
                )
            return await handler(request, state)
        except AisError as error:
            return CompactJSONResponse(error.body, status_code=error.status)

    return endpoint


async def json_body(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The JSON object body; 415 unless it is sent as application/json, 400 if it is not an object."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if (content_type or raw.strip()) and content_type != "application/json":
        raise service_error(
            415, f"Unsupported Media Type: Content-Type must be application/json, got {content_type!r}"
        )
    if not raw.strip() and not optional:
        raise bad_request("the request needs a JSON body")
    try:
        return await json_object_body(request, not_json="the body is not valid JSON")
    except ValueError as exc:
        raise bad_request(str(exc)) from None


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _login(request: Request, state: SandboxState, body: dict[str, Any], *, stateless: bool) -> Session:
    """A new session from HTTP Basic or body credentials (403 on anything wrong)."""
    settings = state.settings
    if state.faults.refuse_allowed_hosts:
        # The HTML server refuses the AIS server before any credential is looked at.
        raise service_error(405, ALLOWED_HOSTS_MESSAGE)
    try:
        basic = parse_basic(request.headers.get("authorization", ""), strict=True)
    except ValueError:
        raise authorization_failure() from None
    if basic is not None:
        if not settings.allow_basic_auth:
            raise authorization_failure()
        username, password = basic
    elif "username" in body or "password" in body:
        if not settings.allow_password_login:
            raise authorization_failure()
        username, password = str(body.get("username", "")), str(body.get("password", ""))
    else:
        raise authorization_failure()
    user = state.sessions.authenticate(username, password)
    environment = body.get("environment") or request.headers.get("jde-AIS-Auth-Environment")
    if user is None or (environment and environment != settings.environment):
        raise authorization_failure()
    try:
        return state.sessions.open(
            user,
            device=body.get("deviceName") or request.headers.get("jde-AIS-Auth-Device"),
            client_ip=_client_ip(request),
            environment=environment,
            role=body.get("role") or request.headers.get("jde-AIS-Auth-Role"),
            stateless=stateless,
        )
    except SessionLimitReached as exc:
        raise service_error(500, f"Unable to create a JAS session: {exc}") from None


@contextmanager
def authenticated(
    request: Request, state: SandboxState, body: dict[str, Any], query_token: str | None = None
) -> Iterator[Session]:
    """The caller's session: a token (header, body or next href) or a stateless login for this call."""
    token = request.headers.get("jde-AIS-Auth") or body.get("token") or query_token
    device = request.headers.get("jde-AIS-Auth-Device") or body.get("deviceName")
    if token:
        try:
            yield state.sessions.resolve(str(token), device, _client_ip(request))
        except InvalidToken:
            raise invalid_token(state.faults.dead_token_status) from None
        return
    # Stateless: a temporary JAS session created for this call and removed after it (reference 1).
    session = _login(request, state, body, stateless=True)
    try:
        yield session
    finally:
        state.result_sets.close_for_token(session.token)
        state.sessions.close(session.token)


def _user_pattern(session: Session) -> DatePattern:
    return compile_pattern(session.user.simple_date_format)


def _row_pattern(state: SandboxState, session: Session) -> DatePattern:
    forced = state.settings.row_date_format
    return compile_pattern(forced) if forced else _user_pattern(session)


def _token_response(state: SandboxState, session: Session, *, v1: bool) -> dict[str, Any]:
    user, pattern = session.user, _user_pattern(session)
    body: dict[str, Any] = {
        "username": user.username,
        "environment": session.environment,
        "role": session.role,
        "jasserver": state.settings.jas_server,
        "userInfo": {
            "token": session.token,
            "langPref": "  ",
            "locale": user.locale,
            "dateFormat": pattern.jde_code,
            "dateSeperator": pattern.separator,  # Oracle's spelling
            "simpleDateFormat": user.simple_date_format,
            "timeFormat": "24",
            "decimalFormat": ".",
            "addressNumber": user.address_number,
            "alphaName": user.alpha_name,
            "appsRelease": "E920",
            "country": " ",
            "username": user.username,
            "longUserId": "",
            "timeZoneOffset": "UTC",
            "dstRuleKey": "",
        },
        "userAuthorized": False,
        "aisSessionCookie": f"{secrets.token_urlsafe(24)}!{secrets.randbelow(10**9)}",
        "adminAuthorized": False,
        "passwordAboutToExpire": False,
        "envColor": "#1e4a6d",
        "machineName": state.settings.machine_name,
        "currencyEnvironment": True,
    }
    if v1:
        body["deprecated"] = True  # seen on the v1 path; unconfirmed for v2, so only v1 says it
    return body


def _token_endpoint(*, v1: bool) -> Handler:
    async def token_request(request: Request, state: SandboxState) -> Response:
        body = await json_body(request, optional=True) if request.method == "POST" else {}
        session = _login(request, state, body, stateless=False)
        return CompactJSONResponse(_token_response(state, session, v1=v1))

    return token_request


def _token_and_device(request: Request, body: dict[str, Any]) -> tuple[str, str | None]:
    token = request.headers.get("jde-AIS-Auth") or body.get("token")
    if not token:
        raise bad_request("token: send it in the body or the jde-AIS-Auth header")
    return str(token), request.headers.get("jde-AIS-Auth-Device") or body.get("deviceName")


async def validate_token(request: Request, state: SandboxState) -> Response:
    """tokenrequest/validate: 200 isValidSession, or 403 "Token is Invalid" (reference 2.4)."""
    body = await json_body(request, optional=True)  # the token may come in the jde-AIS-Auth header
    token, device = _token_and_device(request, body)
    try:
        state.sessions.resolve(token, device, _client_ip(request), touch=bool(body.get("touch")))
    except InvalidToken:
        raise invalid_token(403) from None
    return CompactJSONResponse({"isValidSession": True})


async def validate_session(request: Request, state: SandboxState) -> Response:
    """orchestrator/jde-validate-session: 200, or 444 "Invalid Token" (the documented example)."""
    body = await json_body(request, optional=True) if request.method == "POST" else {}
    token, device = _token_and_device(request, body)
    try:
        state.sessions.resolve(token, device, _client_ip(request), touch=bool(body.get("touch")))
    except InvalidToken:
        raise invalid_token() from None
    return CompactJSONResponse({"isValidSession": True})


async def logout(request: Request, state: SandboxState) -> Response:
    body = await json_body(request, optional=True) if request.method == "POST" else {}
    token, device = _token_and_device(request, body)
    try:
        session = state.sessions.resolve(token, device, _client_ip(request))
    except InvalidToken:
        raise invalid_token(state.faults.dead_token_status) from None
    state.result_sets.close_for_token(session.token)
    state.sessions.close(session.token)
    return CompactJSONResponse({})  # 200; the body of a successful logout is not documented


def _value_context(state: SandboxState, session: Session) -> ValueContext:
    return ValueContext(
        _user_pattern(session),
        state.now().date(),
        state.settings.lenient_query_dates,
        state.settings.unconfirmed_operators,
    )


def _next_page(request: Request, state: SandboxState, result_set: ResultSet) -> Response:
    """The next page of an open result set: with a next link while rows remain, else the set closes."""
    rows, more = result_set.next_page()
    body_out = browse_body(result_set.request.table, result_set.request.columns, rows, more)
    if more:
        body_out["links"] = [next_link(str(request.base_url), result_set)]
    else:
        state.result_sets.close(result_set.rid)
    return CompactJSONResponse(body_out)


def _run_data_request(
    request: Request, state: SandboxState, body: dict[str, Any], session: Session
) -> Response:
    data_request = parse_data_request(
        body,
        state.settings,
        _value_context(state, session),
        result_set_timeout_seconds=state.faults.result_set_timeout_seconds,
    )
    if data_request.table.name in state.faults.refuse_tables:
        raise authorization_failure()
    conn = state.store.conn
    if data_request.service_type == "COUNT":
        count = conn.execute(data_request.count_sql(), data_request.params).fetchone()[0]
        return CompactJSONResponse(count_body(data_request.table, count))
    render = row_renderer(data_request.columns, data_request.table, _row_pattern(state, session))
    # A stateless session dies with this call, so no result set can outlive it: no next link.
    if data_request.next_page and not session.stateless:
        result_set = state.result_sets.open(state.store, session.token, data_request, render)
        return _next_page(request, state, result_set)
    limited = conn.execute(
        f"{data_request.select_sql()} LIMIT ?", (*data_request.params, data_request.page_size + 1)
    ).fetchall()
    rows = [render(row) for row in limited[: data_request.page_size]]
    return CompactJSONResponse(
        browse_body(data_request.table, data_request.columns, rows, len(limited) > data_request.page_size)
    )


async def dataservice(request: Request, state: SandboxState) -> Response:
    body = await json_body(request)
    with authenticated(request, state, body) as session:
        return _run_data_request(request, state, body, session)


async def dataservice_next(request: Request, state: SandboxState) -> Response:
    """The next page of an open result set, addressed by the href's rid and token."""
    body = await json_body(request, optional=True) if request.method == "POST" else {}
    params = request.query_params
    rid = params.get("rid") or body.get("rid")
    if not rid:
        raise bad_request("rid: the next-page call needs the rid from the links href")
    with authenticated(request, state, body, query_token=params.get("token")) as session:
        return _next_page(request, state, state.result_sets.take(str(rid), session.token))


async def appstack(request: Request, state: SandboxState) -> Response:
    """POST /v2/appstack (Oracle's "Execute Forms Keeping State v2"): ``close`` of the stack a data-service
    next link names (``stackId``, ``stateId``, ``rid``) closes its result set. Forms are not simulated, so
    ``open`` and ``execute`` are refused naming the action."""
    body = await json_body(request)
    action = body.get("action")
    if action != "close":
        raise bad_request(f"action: {action!r}; the sandbox's application stacks are data-service result "
                          "sets, which can only be closed")  # fmt: skip
    rid = body.get("rid")
    if not rid or body.get("stackId") != STACK_ID:
        raise bad_request("close needs the stackId, stateId and rid of a data-service next link")
    with authenticated(request, state, body) as session:
        result_set = state.result_sets.close_stack(str(rid), session.token)
    # The answer to a close is not shown in Oracle's material: the stack it closed, as every stack answer.
    return CompactJSONResponse(
        {
            "stackId": STACK_ID,
            "stateId": result_set.state_id,
            "rid": result_set.rid,
            "timeStamp": timestamp(),
            "sysErrors": [],
        }  # fmt: skip
    )


_SIMPLE_OPERATORS = {
    "EQ": "EQUAL",
    "NE": "NOT_EQUAL",
    "LT": "LESS",
    "LE": "LESS_EQUAL",
    "GT": "GREATER",
    "GE": "GREATER_EQUAL",
    "STARTSWITH": "STR_START_WITH",
    "ENDSWITH": "STR_END_WITH",
    "CONTAINS": "STR_CONTAIN",
}


async def dataservice_simple(request: Request, state: SandboxState) -> Response:
    """GET /v2/dataservice/table/{table}?$field=..&$filter=<col> <op> <value>&$limit=.. (reference 2.5)."""
    params = request.query_params
    table = request.path_params["table"]
    conditions = []
    for index, text in enumerate(params.getlist("$filter")):
        parts = text.split(" ", 2)
        if len(parts) < 3 or parts[1] not in _SIMPLE_OPERATORS:
            raise bad_request(
                f"$filter[{index}]: {text!r} is not '<column> <{'|'.join(_SIMPLE_OPERATORS)}> <value>'"
            )
        column, operator, value = parts
        content, _, special = value.rpartition(" ")
        if special.startswith("TODAY"):  # Tools 9.2.8.3+: "F0101.UPMJ EQ 5 TODAY_MINUS_DAY"
            item = {"content": content, "specialValueId": special}
        else:
            item = {"content": value, "specialValueId": "LITERAL"}
        conditions.append({"controlId": column, "operator": _SIMPLE_OPERATORS[operator], "value": [item]})
    body: dict[str, Any] = {
        "targetName": table,
        "targetType": "table",
        "dataServiceType": "BROWSE",
        "returnControlIDs": "|".join(params.getlist("$field")),
        "maxPageSize": params.get("$limit"),
        "outputType": params.get("$outputType", "GRID_DATA"),
        "query": {"matchType": params.get("$filterType", "MATCH_ALL"), "condition": conditions},
    }
    with authenticated(request, state, {}, query_token=params.get("$token")) as session:
        return _run_data_request(request, state, body, session)


async def orchestrate(request: Request, state: SandboxState) -> Response:
    name = request.path_params["name"]
    contract = state.contracts.get(name)
    if contract is None:
        raise service_error(404, f"Orchestration {name} was not found")
    body = await json_body(request, optional=True)
    with authenticated(request, state, body) as session:
        if name in state.faults.refuse_orchestrations:
            raise authorization_failure()
        payload = {key: value for key, value in body.items() if key not in AUTH_FIELDS}
        call = orchestrations.Call(
            state.store,
            session.user.username,
            state.settings.machine_name,
            state.now(),
            state.faults.error_codes,
            state.settings.periods,
        )
        succeeded, response = orchestrations.run(contract, call, payload, _user_pattern(session))
        status = 200 if succeeded else state.settings.orchestration_error_status
        return CompactJSONResponse(response, status_code=status)


# R04110ZA's processing options as the sandbox's version of it holds them (A/P implementation guide,
# "Process" tab: final mode, out-of-balance, purge processed transactions). The member names are ours:
# Oracle's public material names the options by their text, not their data structure members.
def _voucher_processor_options(state: SandboxState) -> dict[str, dict[str, str]]:
    purge = "1" if state.faults.purge_processed_batches else ""
    return {
        "cFinalMode": {"type": "String", "value": "1"},
        "cAllowOutOfBalance": {"type": "String", "value": ""},
        "cPurgeProcessedTransactions": {"type": "String", "value": purge},
    }


async def processing_options(request: Request, state: SandboxState) -> Response:
    """poservice: the processing option values of one application version (Oracle's AIS REST reference,
    "Get Processing Options"); the sandbox knows R04110ZA in its ``r04110za_version``."""
    body = await json_body(request)
    with authenticated(request, state, body):
        application = str(body.get("applicationName") or "")
        if not application:
            raise bad_request("applicationName: the processing option service needs the application name")
        version = str(body.get("version") or "")
        if application != "R04110ZA" or version != state.faults.r04110za_version:
            raise service_error(500, f"No processing options found for {application} version {version}")
        return CompactJSONResponse(
            {
                "application": application,
                "version": version,
                "processingOptions": _voucher_processor_options(state),
            }
        )


async def discover(request: Request, state: SandboxState) -> Response:
    """GET /jderest/discover: the orchestrations this user may call (shape partly unconfirmed)."""
    with authenticated(request, state, {}):
        listing = [
            {
                "name": contract.name,
                "description": contract.summary,
                "inputFormat": "Generic",
                "version": contract.raw.get("version", "1.0"),
                "inputs": [{"name": spec.name, "type": spec.type} for spec in contract.inputs],
                "outputs": [{"name": output["name"], "type": output["type"]} for output in contract.outputs],
            }
            for contract in state.contracts.values()
            if contract.name not in state.faults.refuse_orchestrations
        ]
        return CompactJSONResponse({"orchestrations": listing})


async def default_config(request: Request, state: SandboxState) -> Response:
    """Server information, no authentication: the DefaultConfig fields of Oracle's reference ("Get
    Configuration": aisVersion, capabilityList, defaultEnvironment, defaultJasServer, defaultRole)."""
    settings = state.settings
    return CompactJSONResponse(
        {
            "aisVersion": settings.ais_version,
            "capabilityList": [
                {
                    "name": "version2services",
                    "shortDescription": "Version 2 Service URL",
                    "asOfRelease": "9.2.1.2",
                    "sinceVersion": "v2",
                },
                {
                    "name": "nextPage",
                    "shortDescription": "Next Page for App Stack and Data Request",
                    "asOfRelease": "9.2.1.2",
                    "sinceVersion": "v2",
                },
            ],
            "defaultEnvironment": settings.environment,
            "defaultJasServer": settings.jas_server,
            "defaultRole": settings.role,
        }
    )


def _ais_routes() -> list[Route]:
    login_v1, login_v2 = ais_route(_token_endpoint(v1=True)), ais_route(_token_endpoint(v1=False))
    routes = [
        Route("/jderest/defaultconfig", ais_route(default_config), methods=["GET"]),
        Route("/jderest/tokenrequest", login_v1, methods=["POST"]),
        Route("/jderest/v2/tokenrequest", login_v2, methods=["POST"]),
        Route("/jderest/tokenrequest/validate", ais_route(validate_token), methods=["POST"]),
        Route("/jderest/v2/tokenrequest/validate", ais_route(validate_token), methods=["POST"]),
        Route("/jderest/tokenrequest/logout", ais_route(logout), methods=["POST"]),
        Route("/jderest/v2/tokenrequest/logout", ais_route(logout), methods=["POST"]),
        Route("/jderest/v2/dataservice", ais_route(dataservice), methods=["POST"]),
        Route("/jderest/poservice", ais_route(processing_options), methods=["POST"]),
        Route("/jderest/v2/poservice", ais_route(processing_options), methods=["POST"]),
        Route("/jderest/v2/dataservice/next", ais_route(dataservice_next), methods=["GET", "POST"]),
        Route("/jderest/v2/dataservice/table/{table}", ais_route(dataservice_simple), methods=["GET"]),
        Route("/jderest/v2/appstack", ais_route(appstack), methods=["POST"]),
        Route("/jderest/discover", ais_route(discover), methods=["GET"]),
    ]
    for prefix in ("/jderest/orchestrator", "/jderest/v2/orchestrator", "/jderest/v3/orchestrator"):
        routes += [
            Route(f"{prefix}/jde-login", login_v2, methods=["GET", "POST"]),
            Route(f"{prefix}/jde-validate-session", ais_route(validate_session), methods=["GET", "POST"]),
            Route(f"{prefix}/jde-logout", ais_route(logout), methods=["GET", "POST"]),
            Route(f"{prefix}/{{name}}", ais_route(orchestrate), methods=["POST"]),
        ]
    return routes


def create_app(settings: JdeSandboxSettings) -> Starlette:
    """A ready-to-serve sandbox: data seeded (or reused), contracts loaded, no session open yet."""
    return sandbox_app(SandboxState.build(settings), [*_ais_routes(), *admin_routes()], contract=CONTRACT)
