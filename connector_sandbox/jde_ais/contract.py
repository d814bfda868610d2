"""The JD Edwards AIS endpoints the connector calls, as Oracle's AIS REST reference documents them, and the
orchestrations' inputs as the project's own contracts (docs/jde_orchestrations) define them.

Facts only, in our own tables (Oracle's pages are not redistributable): each ``Operation`` names the page of
"REST API for JD Edwards EnterpriseOne AIS Server" (docs.oracle.com, ``.../cross-product/9.2/rest-api/``) it
was read from. The orchestration bodies are built from the JSON contracts the customer installs, so a client
input the contract does not list, or one in another form (every value travels as a string), is refused
naming the input. What Oracle leaves open is open here too (``closed=False``): the answers' designer outputs,
the COUNT answer, poservice's answer beyond "an object".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connector_sandbox.contracts import (
    Artifact,
    Contract,
    Operation,
    array,
    boolean,
    integer,
    number,
    obj,
    one_of,
    string,
)

from .errors import timestamp
from .settings import DEFAULT_CONTRACTS_DIR

_AMOUNT = r"\d+(\.\d{{1,{places}}})?"


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON body ``schema`` checks when it is an object; none, or one that is not JSON, goes on to the
    server, which answers it as AIS does (a login by HTTP Basic needs no body; a body that is not JSON is
    400, one of another Content-Type 415: every page's error answers)."""
    defs = schema.get("$defs")
    inner = {k: v for k, v in schema.items() if k != "$defs"}
    wrapped: dict[str, Any] = {"if": {"type": "object"}, "then": inner}
    if defs:
        wrapped["$defs"] = defs
    return wrapped


REFERENCE = "https://docs.oracle.com/en/applications/jd-edwards/cross-product/9.2/rest-api/"
ARTIFACTS = (
    Artifact(
        "REST API for JD Edwards EnterpriseOne AIS Server (Oracle)",
        REFERENCE,
        "Tools 9.2 reference as published 2023-2025 (read 2026-11)",
        "Oracle documentation licence, not redistributable: facts only, in this module",
    ),
    Artifact(
        "JD Edwards EnterpriseOne Accounts Payable Implementation Guide 9.2 (Oracle): batch voucher "
        "processing, R04110ZA processing options, Processed Batch Voucher Purge",
        "https://docs.oracle.com/en/applications/jd-edwards/financials/9.2/eoaap/",
        "9.2 (read 2026-11)",
        "Oracle documentation licence, not redistributable: facts only",
    ),
    Artifact(
        "ml-connector orchestration contracts (ours, installed by the customer)",
        "docs/jde_orchestrations/*.json",
        "this repository",
        "the project's own: kept in the repository",
    ),
)

# Credentials and session fields every AIS request body may carry (ServiceRequest base of every request
# schema on the reference's pages: token, deviceName, or username/password with environment, role,
# jasserver; psToken for the HTML server).
_AUTH = {
    "token": string(),
    "deviceName": string(),
    "username": string(),
    "password": string(),
    "environment": string(),
    "role": string(),
    "jasserver": string(),
    "psToken": string(),
}

# ServiceErrorResponse (every page's error answers).
_ERROR = obj(
    {
        "message": one_of(string(), {"type": "object"}),
        "exception": string(),
        "exceptionId": string(),
        "errorText": string(),
        "status": string(),
        "timeStamp": string(),
        "type": string(),
        "userDefinedErrorText": string(),
    },
    closed=False,
)

# op-defaultconfig-get: DefaultConfig (the fields the page lists; more follow there, so open).
_CAPABILITY = obj(
    {
        "name": string(),
        "shortDescription": string(),
        "longDescription": string(),
        "asOfRelease": string(),
        "sinceVersion": string(),
    },
    required=["name"],
)
_DEFAULT_CONFIG = obj(
    {
        "aisVersion": string(),
        "capabilityList": array(_CAPABILITY),
        "defaultCachingOn": boolean(),
        "defaultEnvironment": string(),
        "defaultJasServer": string(),
        "defaultRole": string(),
        "disconnectedTimeout": string(),
        "displayEnvironment": boolean(),
        "displayJasServer": boolean(),
    },
    closed=False,
)

# op-v2-tokenrequest-post: LoginRequest in, LoginResponse out.
_LOGIN_BODY = obj({**_AUTH, "applicationName": string(), "requiredCapabilities": string()})
_USER_INFO = obj(
    {
        "token": string(),
        "langPref": string(),
        "locale": string(),
        "dateFormat": string(),
        "dateSeperator": string(),  # Oracle's spelling
        "simpleDateFormat": string(),
        "timeFormat": string(),
        "decimalFormat": string(),
        "addressNumber": integer(),
        "alphaName": string(),
        "appsRelease": string(),
        "country": string(),
        "username": string(),
        "longUserId": string(),
        "timeZoneOffset": string(),
        "dstRuleKey": string(),
        "dstRule": {"type": "object"},
    },
    required=["token"],
)
_LOGIN_ANSWER = obj(
    {
        "username": string(),
        "environment": string(),
        "role": string(),
        "jasserver": string(),
        "userInfo": _USER_INFO,
        "userAuthorized": boolean(),
        "version": {},
        "poStringJSON": {},
        "altPoStringJSON": {},
        "aisSessionCookie": string(),
        "adminAuthorized": boolean(),
        "passwordAboutToExpire": boolean(),
        "envColor": string(),
        "machineName": string(),
        "currencyEnvironment": boolean(),
        "deprecated": boolean(),
    },
    required=["userInfo"],
)

# op-v2-dataservice-post: DataRequest. A condition and a (complex) query as the reference's Query schema.
_VALUE = obj({"content": string(), "specialValueId": string()}, required=["specialValueId"])
_CONDITION = obj(
    {"controlId": string(), "operator": string(), "value": array(_VALUE)},
    required=["controlId", "operator"],
)
_QUERY: dict[str, Any] = obj(
    {
        "autoFind": boolean(),
        "matchType": string(enum=["MATCH_ALL", "MATCH_ANY"]),
        "autoClear": boolean(),
        "condition": array(_CONDITION),
        "complexQuery": array(obj({"andOr": string(enum=["AND", "OR"]), "query": {"$ref": "#/$defs/query"}})),
    }
)
_ORDER_BY = obj({"column": string(), "direction": string(enum=["ASC", "DESC"])}, required=["column"])
_DATA_REQUEST = {
    **obj(
        {
            **_AUTH,
            "targetName": string(),
            "targetType": string(enum=["table", "view"]),
            "dataServiceType": string(enum=["BROWSE", "COUNT", "AGGREGATION"]),
            # maxPageSize is a string: a number of rows or "No Max"
            "maxPageSize": string(pattern=r"^(\d+|No Max)$"),
            "returnControlIDs": string(),
            "findOnEntry": string(enum=["TRUE", "FALSE"]),
            "outputType": string(enum=["GRID_DATA", "VERSION1", "VERSION2"]),
            "aliasNaming": boolean(),
            "enableNextPageProcessing": boolean(),
            "nextPageTimeInterval": one_of(string(pattern=r"^\d+$"), integer()),
            "query": {"$ref": "#/$defs/query"},
            "aggregation": obj({"orderBy": array(_ORDER_BY)}, closed=False),
            "batchDataRequest": boolean(),
            "dataRequests": array({"type": "object"}),
        },
        required=["targetName", "targetType", "dataServiceType"],
    ),
    "$defs": {"query": _QUERY},
}

# The browse answer: fs_DATABROWSE_<target> beside currentApp, timeStamp, sysErrors and, when paging, links.
_GRID = obj(
    {
        "id": integer(),
        "fullGridId": string(),
        "columns": {"type": "object"},
        "rowset": array({"type": "object"}),
        "summary": obj({"records": integer(), "moreRecords": boolean()}, required=["records", "moreRecords"]),
    },
    required=["rowset", "summary"],
)
_FORM = obj(
    {
        "title": string(),
        "data": obj({"gridData": _GRID}, required=["gridData"]),
        "count": integer(),  # a COUNT's: its JSON is not shown in Oracle's material (reference 2.5)
        "errors": array({"type": "object"}),
        "warnings": array({"type": "object"}),
    }
)
_LINK = obj({"rel": string(), "href": string()}, required=["rel", "href"])
_BROWSE_ANSWER = {
    **obj(
        {
            "currentApp": string(),
            "timeStamp": string(),
            "sysErrors": array({"type": "object"}),
            "links": array(_LINK),
        }
    ),
    "patternProperties": {r"^fs_DATABROWSE_[A-Z0-9]+$": _FORM},
}

# op-v2-dataservice-next-post: the next link's query string as AIS wrote it.
_NEXT_QUERY = obj(
    {
        "stackId": string(),
        "stateId": string(),
        "rid": string(),
        "fullGridId": string(),
        "formOID": string(),
        "token": string(),
        "outputType": string(),
        "returnControlIDs": string(),
    },
    required=["rid"],
)

# op-v2-appstack-post: ApplicationStackRequest. The sandbox's stacks are data-service result sets, closed by
# ``action: close`` with the stack a next link names; forms (formRequest, actionRequest) are not simulated.
_APPSTACK_BODY = obj(
    {
        **_AUTH,
        "action": string(enum=["open", "execute", "close"]),
        "stackId": integer(),
        "stateId": integer(),
        "rid": string(),
        "formRequest": {"type": "object"},
        "actionRequest": {"type": "object"},
        "aliasNaming": boolean(),
        "enableNextPageProcessing": boolean(),
        "nextPageTimeInterval": one_of(string(pattern=r"^\d+$"), integer()),
        "outputType": string(),
    },
    required=["action"],
)

# op-v2-poservice-post / op-poservice-post: ProcessingOptionRequest (applicationName required, version).
_PO_BODY = obj({**_AUTH, "applicationName": string(), "version": string()}, required=["applicationName"])

# op-v2-tokenrequest-logout-post and validate: the token to end or check.
_TOKEN_FIELDS = {"token": string(), "deviceName": string(), "jasserver": string(), "touch": boolean()}
_TOKEN_BODY = _json(obj(_TOKEN_FIELDS))
_VALID = obj({"isValidSession": boolean()}, required=["isValidSession"])

# The orchestrator's standard elements (Orchestrator guide, "Defining Orchestration Response Messages",
# Tools 9.2.5.4) and the step reports of continue-on-error steps.
_STANDARD = {
    "jde__status": string(enum=["SUCCESS", "ERROR", "WARN"]),
    "jde__simpleMessage": string(),
    "jde__startTimestamp": string(),
    "jde__endTimestamp": string(),
    "jde__serverExecutionSeconds": number(),
    "Errors/Warnings": array({"type": "object"}),
    "continuedOnError": array({"type": "object"}),
}


def _input(spec: dict[str, Any]) -> dict[str, Any]:
    """One input of our contract as JSON Schema: every value a string in its documented form, a grid an
    array of closed rows."""
    kind = spec["type"]
    if kind == "grid":
        columns = spec.get("columns", [])
        required = [c["name"] for c in columns if c.get("required")]
        row = obj({c["name"]: _input(c) for c in columns}, required=required)
        bounds = (("minItems", "minRows"), ("maxItems", "maxRows"))
        limits = {key: spec[name] for key, name in bounds if name in spec}
        return array(row, **limits)
    if kind == "integer":
        return string(pattern=rf"^\d{{1,{spec.get('maxDigits', 15)}}}$")
    if kind == "amount":
        sign = "-?" if spec.get("allowNegative") else ""
        places = int(spec.get("decimals", 2))
        digits = _AMOUNT.format(places=places) if places else r"\d+"
        return string(pattern=rf"^{sign}{digits}$")
    more: dict[str, Any] = {}
    if "maxLength" in spec:
        more["maxLength"] = spec["maxLength"]
    if spec.get("allowed"):
        more["enum"] = list(spec["allowed"])
    return string(**more)


def orchestration_operations(contracts_dir: Path = DEFAULT_CONTRACTS_DIR) -> tuple[Operation, ...]:
    """``POST /jderest/v3/orchestrator/<name>`` for each of our orchestrations, its body the contract's
    inputs (Generic input format), its answer the contract's outputs and the standard elements."""
    operations = []
    for path in sorted(contracts_dir.glob("ML_*.json")):
        contract = json.loads(path.read_text(encoding="utf-8"))
        inputs = contract["inputs"]
        body = obj(
            {spec["name"]: _input(spec) for spec in inputs},
            required=[spec["name"] for spec in inputs if spec.get("required")],
        )
        answer = obj({**{o["name"]: {} for o in contract.get("outputs", [])}, **_STANDARD})
        source = (
            f"{REFERENCE}op-v3-orchestrator-orchestration-post.html (Generic input); inputs and outputs: "
            f"docs/jde_orchestrations/{path.name}"
        )
        path_of = f"/jderest/v3/orchestrator/{contract['name']}"
        operations.append(Operation("POST", path_of, source, body=_json(body), answer=answer))
    return tuple(operations)


def _orchestration_refusal(name: str, words: str) -> tuple[int, Any] | None:
    """An input our orchestration contract refuses is refused by the orchestration itself on a real server
    (AIS passes the inputs on; the installed orchestration fails with 59A0 naming the input): the nested
    failure of the Orchestrator guide, as the orchestration would answer. None for a name we do not hold."""
    path = DEFAULT_CONTRACTS_DIR / f"{name}.json"
    if not path.is_file():
        return None
    contract = json.loads(path.read_text(encoding="utf-8"))
    catalog = json.loads((DEFAULT_CONTRACTS_DIR / "error_catalog.json").read_text(encoding="utf-8"))
    spec = catalog["errors"]["59A0"]
    error = {"CODE": "59A0", "TITLE": spec["title"], "DESC": f"CAUSE . . . . {spec['cause']} {words}\n"
             f"RESOLUTION. . {spec['resolution']}", "MOBILE": f"{spec['cause']} {words}"}  # fmt: skip
    request = contract["serviceRequest"]
    form = {f"fs_{contract['form']}": {"errors": [error]}}
    body = {
        "message": {f"ServiceRequest: {request}": {"JAS Response": form}},
        "exception": "Exception",
        "timeStamp": timestamp(),
        "jde__status": "ERROR",
        "jde__simpleMessage": f"{request} failed: {spec['title']}",
    }
    return 500, body


def _refusal(violations: list[Any]) -> tuple[int, Any]:
    """AIS answers a request it cannot take with 400 and a ServiceErrorResponse (every page's 400); one of
    our orchestrations answers as the orchestration would (``_orchestration_refusal``)."""
    words = "; ".join(v.words for v in violations)
    endpoints = {v.endpoint for v in violations}
    if len(endpoints) == 1:
        method, _, path = endpoints.pop().partition(" ")
        if method == "POST" and "/orchestrator/" in path:
            refused = _orchestration_refusal(path.rsplit("/", 1)[-1], words)
            if refused is not None:
                return refused
    return 400, {"message": f"Bad Request - Invalid JSON Input: {words}", "exception": "Exception",
                 "timeStamp": timestamp()}  # fmt: skip


def _page(name: str) -> str:
    return f"{REFERENCE}{name}.html"


_OPERATIONS = (
    Operation("GET", "/jderest/defaultconfig", _page("op-defaultconfig-get"),
              query=obj({"requiredCapabilities": string(), "settings": string()}), answer=_DEFAULT_CONFIG),
    Operation("POST", "/jderest/v2/tokenrequest", _page("op-v2-tokenrequest-post"), body=_json(_LOGIN_BODY),
              answer=_LOGIN_ANSWER),
    Operation("POST", "/jderest/tokenrequest", _page("op-tokenrequest-post"), body=_json(_LOGIN_BODY),
              answer=_LOGIN_ANSWER),
    Operation("POST", "/jderest/v2/tokenrequest/validate", _page("op-v2-tokenrequest-validate-post"),
              body=_TOKEN_BODY, answer=_VALID),
    Operation("POST", "/jderest/tokenrequest/validate", _page("op-tokenrequest-validate-post"),
              body=_TOKEN_BODY, answer=_VALID),
    Operation("POST", "/jderest/v2/tokenrequest/logout", _page("op-v2-tokenrequest-logout-post"),
              body=_TOKEN_BODY),
    Operation("POST", "/jderest/tokenrequest/logout", _page("op-tokenrequest-logout-post"), body=_TOKEN_BODY),
    Operation("POST", "/jderest/v2/dataservice", _page("op-v2-dataservice-post"), body=_json(_DATA_REQUEST),
              answer=_BROWSE_ANSWER),
    Operation("POST", "/jderest/v2/dataservice/next", _page("op-v2-dataservice-next-post"),
              query=_NEXT_QUERY, body=_json(obj(_AUTH)), answer=_BROWSE_ANSWER),
    Operation("GET", "/jderest/v2/dataservice/next", _page("op-v2-dataservice-next-post"),
              query=_NEXT_QUERY, answer=_BROWSE_ANSWER),
    Operation("GET", "/jderest/v2/dataservice/table/{table}", _page("op-v2-dataservice-table-tablename-get"),
              answer=_BROWSE_ANSWER),
    Operation("POST", "/jderest/v2/appstack", _page("op-v2-appstack-post"), body=_json(_APPSTACK_BODY),
              answer=obj({"stackId": integer(), "stateId": integer(), "rid": string(), "timeStamp": string(),
                          "sysErrors": array({"type": "object"})}, closed=False)),
    Operation("POST", "/jderest/v2/poservice", _page("op-v2-poservice-post"), body=_json(_PO_BODY),
              answer={"type": "object"}),
    Operation("POST", "/jderest/poservice", _page("op-poservice-post"), body=_json(_PO_BODY),
              answer={"type": "object"}),
    Operation("GET", "/jderest/discover", _page("op-discover-get"),
              answer=obj({"orchestrations": array({"type": "object"})}, closed=False)),
    *(
        Operation(method, f"{prefix}/{service}", _page(page))
        for prefix in ("/jderest/orchestrator", "/jderest/v2/orchestrator", "/jderest/v3/orchestrator")
        for service, page in (
            ("jde-login", "op-orchestrator-jde-login-post"),
            ("jde-validate-session", "op-v2-orchestrator-jde-validate-session-get"),
            ("jde-logout", "op-orchestrator-jde-logout-post"),
        )
        for method in ("GET", "POST")
    ),
    *orchestration_operations(),
    # Any other orchestration (the reference's path parameter): unknown to our contracts, so unchecked; AIS
    # answers a name it does not hold itself.
    *(
        Operation("POST", f"{prefix}/{{name}}", _page("op-v3-orchestrator-orchestration-post"))
        for prefix in ("/jderest/orchestrator", "/jderest/v2/orchestrator", "/jderest/v3/orchestrator")
    ),
)  # fmt: skip

CONTRACT = Contract(
    system="jde_ais",
    artifacts=ARTIFACTS,
    operations=_OPERATIONS,
    prefixes=("/jderest/",),
    refusal=_refusal,
)
