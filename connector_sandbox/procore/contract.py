"""Procore's published contract for every endpoint our client calls, checked at the simulator's door.

The facts come from ``vendor_facts.json``: our own table of the operation ids, query parameters (name,
type, required, list form), request body models (required fields) and answer models (field names and
types) of Procore's REST API as the OpenAPI-generated SDK ``weigandconstruction/procore_python_sdk``
states them. The SDK states no licence, so the repository keeps only those facts, never its text or code.

What the SDK leaves open is settled here, each naming its source:

* every answer field may be null (the SDK types every field ``Optional``), and answers are closed: a
  field the model does not name is the simulator's breach; a field the SDK gives an enum takes only
  those values (or null);
* ``custom_field_%{definition_id}`` keys become ``custom_field_<digits>``;
* a sync's per-row ``errors`` object is keyed by the record's field names, whatever they are;
* the variants of one answer (compact / normal / extended views) are one closed object naming every
  field any variant names;
* a PATCH body's record fields are each optional (the SDK gives updates the create body's model);
* the Webhooks endpoints take ``company_id`` *or* ``project_id`` (the SDK marks both required, and
  its parameter text says "you must supply either");
* ``GET /rest/v2.0/.../commitment_change_orders/{id}/line_items`` is not in the SDK: it stays callable
  (the client asks for it only where the integration is set to read change order lines) with its
  answer unchecked, and docs/reference/procore.md marks it unconfirmed.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from connector_sandbox.contracts import Artifact, Contract, Operation, array, nullable, obj, one_of, string

FACTS = Path(__file__).with_name("vendor_facts.json")
SDK = "weigandconstruction/procore_python_sdk"

ARTIFACTS = (
    Artifact(
        "Procore REST API, OpenAPI-generated Python SDK (docs/*Api.md, procore_sdk/api, procore_sdk/models)",
        f"https://github.com/{SDK}",
        "commit d9fc38a; API version 2.0; openapi-generator 7.8.0",
        "no licence stated (pyproject: NoLicense): facts only, kept as our own table vendor_facts.json",
    ),
    Artifact(
        "Procore developer documentation: OAuth 2.0, rate limiting, pagination, webhooks",
        "https://developers.procore.com/documentation",
        "read 2026-11",
        "Procore's site terms: facts only",
    ),
)

_INT = string(pattern=r"^-?\d+$")
_BOOL = string(pattern=r"^(true|false)$")
_CUSTOM_FIELD = r"^custom_field_%\{\w+\}$"


@cache
def facts() -> dict[str, Any]:
    return json.loads(FACTS.read_text(encoding="utf-8"))


# Models whose one enum covers rows of several kinds (``/commitments`` lists purchase orders and
# subcontracts, whose status vocabularies differ): their enum is not checked.
_MIXED_ENUMS = frozenset({"Commitment"})
# A trigger's event type: the SDK's request model says create / update / delete (as Procore's webhooks
# pages do), its trigger model CREATE / UPDATE / DELETE; an answer may say either.
_EITHER_CASE = frozenset({("WebhooksTrigger", "event_type")})


def _scalar(kind: str) -> dict[str, Any] | None:
    return {
        "str": {"type": "string"},
        "int": {"type": "integer"},
        "num": {"type": ["number", "string"]},  # money the SDK types as a number is sent as a string too
        "bool": {"type": "boolean"},
        "date": {"type": "string"},
        "datetime": {"type": "string"},
        "dict": {"type": "object"},
        "any": {},
    }.get(kind)


def schema_of(kind: str, *, request: bool = False, depth: int = 0) -> dict[str, Any]:
    """The JSON Schema for one of the table's type names (a scalar, ``list[...]``, ``A|B`` or a model)."""
    if depth > 12:
        return {}
    if "|" in kind:
        return one_of(*(schema_of(k, request=request, depth=depth + 1) for k in kind.split("|")))
    if kind.startswith("list[") and kind.endswith("]"):
        return array(schema_of(kind[5:-1], request=request, depth=depth + 1))
    scalar = _scalar(kind)
    if scalar is not None:
        return scalar
    model = facts()["models"].get(kind)
    if model is None:
        return {}
    if "oneof" in model:
        return _merged([schema_of(k, request=request, depth=depth + 1) for k in model["oneof"]])
    properties: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    # The generator's name for a model whose other keys are open (a budget view's configured columns).
    open_ended = "additional_properties" in model["fields"]
    for name, field_kind in model["fields"].items():
        if name == "additional_properties":
            continue
        if name == "errors" and field_kind in facts()["models"]:
            # A sync's per-row errors are keyed by the record's field names: the SDK's model of them is
            # one example's keys, so any field name is taken (each with its messages).
            properties[name] = {"type": ["object", "null"]}
            continue
        field = _or_null(schema_of(field_kind, request=request, depth=depth + 1))
        if name in model.get("enums", {}) and kind not in _MIXED_ENUMS:
            # The SDK's enum validator: these values only (or null).
            values = list(model["enums"][name])
            if (kind, name) in _EITHER_CASE:
                values = sorted({*values, *(v.lower() for v in values), *(v.upper() for v in values)})
            field = {**field, "enum": [*values, None]}
        if re.match(_CUSTOM_FIELD, name):
            patterns[r"^custom_field_\d+$"] = field
        else:
            properties[name] = field
    required = [r for r in model["required"] if r != "additional_properties"] if request else ()
    schema = obj(properties, required, closed=not open_ended)
    if patterns:
        schema["patternProperties"] = patterns
    if kind == "WebhooksDeliveryEvent":
        schema = _every_payload_format(schema)
    return schema


_ANY_ID = {"type": ["integer", "string", "null"]}


def _every_payload_format(schema: dict[str, Any]) -> dict[str, Any]:
    """The delivery log's ``event`` is the payload as delivered, in the hook's payload format: the SDK
    models v2.0; Procore's payload-format page adds ``related_resources`` (v3.0) and, in v4.0, string
    ids, ``reason`` for ``event_type`` and ``resource_type`` for ``resource_name``."""
    properties = dict(schema["properties"])
    for name in ("id", "user_id", "company_id", "project_id", "resource_id"):
        properties[name] = _ANY_ID
    properties["related_resources"] = {
        "type": ["array", "null"],
        "items": obj({"id": _ANY_ID, "name": {"type": ["string", "null"]}}),
    }
    properties["reason"] = {"type": ["string", "null"]}
    properties["resource_type"] = {"type": ["string", "null"]}
    metadata = properties.get("metadata")
    if isinstance(metadata, dict) and "properties" in metadata:
        inner = {k: (_ANY_ID if k.endswith("_id") else v) for k, v in metadata["properties"].items()}
        properties["metadata"] = {**metadata, "properties": inner}
    return {**schema, "properties": properties}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A field that may be null: ``null`` added to its type, so a wrong field inside an object is still
    named (an ``anyOf`` would report only that the value is not null)."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return {**schema, "type": [*kind, "null"]} if "null" not in kind else schema
    return nullable(schema) if schema else schema


def _partial(schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """A PATCH body: the wrapper's own required fields stand, the record's fields are each optional
    (the SDK gives updates the create body's model; Procore's update changes only what is sent)."""
    out = dict(schema)
    if depth > 0:
        out.pop("required", None)
    if "properties" in out:
        out["properties"] = {k: _partial(v, depth + 1) for k, v in out["properties"].items()}
    if "anyOf" in out:
        out["anyOf"] = [_partial(v, depth) for v in out["anyOf"]]
    return out


def _merged(variants: list[dict[str, Any]]) -> dict[str, Any]:
    """The SDK's variants of one answer (compact / extended views, company / project owners) as one
    closed object: a field any variant names is taken, one none names is not; required is what every
    variant requires. Variants that are not all objects stay alternatives."""
    if not variants or any(v.get("type") != "object" for v in variants):
        return one_of(*variants)
    properties: dict[str, Any] = {}
    patterns: dict[str, Any] = {}
    for variant in variants:
        properties.update(variant["properties"])
        patterns.update(variant.get("patternProperties", {}))
    required = set.intersection(*(set(v.get("required", ())) for v in variants))
    schema = obj(properties, sorted(required))
    if patterns:
        schema["patternProperties"] = patterns
    return schema


def _query_value(kind: str, form: str | None) -> dict[str, Any]:
    one = _INT if kind == "int" else _BOOL if kind == "bool" else string()
    if kind.startswith("list[") or form in ("multi", "csv"):
        inner = _INT if "int" in kind else string()
        return one_of(inner, array(inner)) if form == "multi" else string()
    return one


# The Webhooks endpoints: "you must supply either a company_id or project_id" (SDK parameter text).
_EITHER_OWNER = "/rest/v1.0/webhooks/"


def query_schema(method: str, path: str, query: dict[str, list[Any]]) -> dict[str, Any]:
    properties = {name: _query_value(kind, form) for name, (kind, _, form) in query.items()}
    required = [name for name, (_, needed, _) in query.items() if needed]
    if path.startswith(_EITHER_OWNER) and {"company_id", "project_id"} & set(query):
        required = [n for n in required if n not in ("company_id", "project_id")]
        properties.setdefault("company_id", _INT)
        properties.setdefault("project_id", _INT)
        schema = obj(properties, required)
        schema["anyOf"] = [{"required": ["company_id"]}, {"required": ["project_id"]}]
        return schema
    return obj(properties, required)


def _body_schema(model: str, path: str) -> dict[str, Any]:
    schema = schema_of(model, request=True)
    if path.startswith(_EITHER_OWNER):
        schema = _either_owner_body(schema)
    return schema


def _either_owner_body(schema: dict[str, Any]) -> dict[str, Any]:
    """A webhook body takes ``company_id`` or ``project_id``: the SDK's company and project variants."""
    if "anyOf" in schema:
        return {**schema, "anyOf": [_either_owner_body(s) for s in schema["anyOf"]]}
    return schema


def _answer_schema(method: str, path: str, answers: dict[str, str] | None) -> dict[str, Any] | None:
    """The 2xx answer: one model, or (a 200 and a 207 of a bulk call) what either may hold."""
    kinds = sorted({kind for kind in (answers or {}).values() if kind != "any"})
    if not kinds:
        return None
    schemas = [_one_answer(method, path, kind) for kind in kinds]
    return schemas[0] if len(schemas) == 1 else _merged(schemas)


def _one_answer(method: str, path: str, answer: str) -> dict[str, Any]:
    schema = schema_of(answer)
    model = facts()["models"].get(answer, {})
    if method == "GET" and "oneof" in model and not path.endswith("}"):
        # A list whose SDK answer type is one item's variants: the list of them, as Procore sends it.
        return one_of(array(schema), schema)
    return schema


def _operation(row: dict[str, Any]) -> Operation:
    method, path = row["method"], row["path"]
    login_host = path.startswith("/oauth/")
    # The login host's bodies are not checked here: Procore's token endpoint takes a form, multipart or
    # JSON body and HTTP Basic client authentication, and the contract kit reads one body form per
    # endpoint. What it takes is the simulator's oauth module's to refuse (RFC 6749 errors).
    body = _body_schema(row["body"], path) if row["body"] and not login_host else None
    if body is not None and method == "PATCH":
        body = _partial(body)
    ok = tuple(row["ok"]) or (200, 201, 204)
    return Operation(
        method,
        path,
        f"{SDK}: {row['op']}",
        query=None if login_host else query_schema(method, path, row["query"]),
        body=body,
        answer=_answer_schema(method, path, row["answer"]),
        ok=ok,
    )


# Not in the SDK: kept callable, answer unchecked (docs/reference/procore.md: unconfirmed).
_CHANGE_ORDER_LINES = Operation(
    "GET",
    "/rest/v2.0/companies/{company_id}/projects/{project_id}/commitment_change_orders/"
    "{commitment_change_order_id}/line_items",
    "not in the SDK: Procore REST v2.0 commitment change order line items (unconfirmed)",
    query=obj({"page": _INT, "per_page": _INT}),
)


def _refusal(violations: list[Any]) -> tuple[int, Any]:
    """Procore's answer to a request it does not take, in its per-field error shape (``{"errors": {field:
    [messages]}}``): 406 when the only fault is fields the resource does not have (Procore's documented
    code for non-existent fields), else 400 (malformed or missing)."""
    errors: dict[str, list[str]] = {}
    for v in violations:
        errors.setdefault(v.field or "base", []).append(v.words)
    if all(v.problem == "no such endpoint" for v in violations):
        return 404, {"errors": errors}  # a path Procore does not serve
    unknown_only = all(v.problem == "unknown" and v.where == "body" for v in violations)
    return (406 if unknown_only else 400), {"errors": errors}


def contract() -> Contract:
    """Literal paths first, so ``/vendors/sync`` is never read as ``/vendors/{id}``."""
    operations = [*(_operation(row) for row in facts()["operations"]), _CHANGE_ORDER_LINES]
    return Contract(
        system="procore",
        artifacts=ARTIFACTS,
        operations=tuple(sorted(operations, key=lambda op: op.path.count("{"))),
        prefixes=("/rest/", "/oauth/"),
        refusal=_refusal,
    )


CONTRACT = contract()
