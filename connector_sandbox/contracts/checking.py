"""Requests and answers checked against a ``Contract``, each problem a ``Violation`` naming the field.

jsonschema does the checking (Draft 2020-12). The one meaning we add: in a request, a property whose schema
says ``readOnly`` is refused as output-only (the standard leaves that to the application). Errors under an
``anyOf`` are reported by their best match (``jsonschema.exceptions.best_match``), so a wrong nested field
is still named rather than "not valid under any of the given schemas".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.exceptions import best_match

from connector_sandbox.contracts.model import Contract, JsonSchema, Operation


@dataclass(frozen=True)
class Violation:
    """One thing the vendor would not take (or never send): which system, endpoint and field, and why."""

    system: str
    endpoint: str  # "PATCH /v3/bills/{billId}"
    where: str  # "body", "query", "header", "answer" or "path"
    field: str  # "lineItems[0].id"; "" for the endpoint itself
    problem: str  # "required", "output-only", "unknown", "form", "type", "no such endpoint" ...
    detail: str

    @property
    def words(self) -> str:
        named = f" {self.where} field '{self.field}'" if self.field else ""
        return f"{self.system} {self.endpoint}:{named} {self.problem}: {self.detail}"


def _read_only(
    validator: Any, read_only: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if read_only:
        yield ValidationError(
            "is output-only: the vendor fills it and refuses it in a request", validator="readOnly"
        )


_RequestValidator = validators.extend(Draft202012Validator, {"readOnly": _read_only})


_VALIDATORS: dict[tuple[int, bool], tuple[JsonSchema, Any]] = {}


def _validator(schema: JsonSchema, request: bool) -> Any:
    """One validator per schema and side; the schema is kept beside it so its id stays its own."""
    key = (id(schema), request)
    if key not in _VALIDATORS:
        cls = _RequestValidator if request else Draft202012Validator
        _VALIDATORS[key] = (schema, cls(schema))
    return _VALIDATORS[key][1]


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _violations(
    contract: Contract, op: Operation, where: str, schema: JsonSchema, instance: Any, *, request: bool
) -> list[Violation]:
    validator = _validator(schema, request)
    found: list[Violation] = []
    for error in validator.iter_errors(instance):
        if error.validator in ("anyOf", "oneOf") and error.context:
            error = best_match(error.context)
        # jsonschema reports each missing required name as an error of its own, each carrying the whole list
        found.extend(v for v in _named(contract, op, where, error) if v not in found)
    return found


def _named(contract: Contract, op: Operation, where: str, error: ValidationError) -> Iterator[Violation]:
    base = list(error.absolute_path)

    def violation(path: list[Any], problem: str, detail: str) -> Violation:
        return Violation(contract.system, op.endpoint, where, _field(path), problem, detail)

    if error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield violation([*base, name], "required", "the vendor requires it and it is missing")
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        patterns = error.schema.get("patternProperties", {})
        for name in error.instance:
            if name not in known and not any(re.search(p, name) for p in patterns):
                yield violation([*base, name], "unknown", "the vendor's contract has no such field")
    elif error.validator == "readOnly":
        yield violation(base, "output-only", "the vendor fills it and refuses it in a request")
    elif error.validator in ("pattern", "format", "enum", "const"):
        yield violation(base, "form", error.message)
    else:
        yield violation(base, str(error.validator), error.message)


def _query_schema(contract: Contract, op: Operation) -> JsonSchema | None:
    if op.query is None:
        return None
    if not contract.common_query:
        return op.query
    return _merged(id(op.query), id(contract.common_query), op.query, contract.common_query)


_MERGED: dict[tuple[int, int], JsonSchema] = {}


def _merged(a: int, b: int, query: JsonSchema, common: JsonSchema) -> JsonSchema:
    """The operation's query schema with the parameters every endpoint takes, built once per pair."""
    key = (a, b)
    if key not in _MERGED:
        _MERGED[key] = {
            **query,
            "properties": {**common.get("properties", {}), **query.get("properties", {})},
            "patternProperties": {
                **common.get("patternProperties", {}),
                **query.get("patternProperties", {}),
            },
        }
    return _MERGED[key]


# ``op``'s default: the caller has not looked the operation up (the middleware looks it up once a request).
LOOK_UP = object()


def request_violations(
    contract: Contract,
    method: str,
    path: str,
    query: Mapping[str, Any],
    body: Any,
    headers: Mapping[str, str] | None = None,
    *,
    op: Operation | None | object = LOOK_UP,
) -> list[Violation]:
    """What the vendor would refuse in this request; [] when it is outside the contract's prefixes. ``op``:
    the operation when the caller has already looked it up (None: none matches), else it is looked up."""
    if not contract.covers(path):
        return []
    if op is LOOK_UP:
        op = contract.operation(method, path)
    if not isinstance(op, Operation):
        endpoint = f"{method} {path}"
        return [
            Violation(
                contract.system,
                endpoint,
                "path",
                "",
                "no such endpoint",
                "the vendor publishes no such endpoint",
            )
        ]
    found: list[Violation] = []
    query_schema = _query_schema(contract, op)
    if query_schema is not None:
        found += _violations(contract, op, "query", query_schema, dict(query), request=True)
    if op.headers is not None:
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        found += _violations(contract, op, "header", op.headers, lowered, request=True)
    if op.body is not None:
        found += _violations(contract, op, "body", op.body, body, request=True)
    return found


def answer_violations(
    contract: Contract,
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    op: Operation | None | object = LOOK_UP,
) -> list[Violation]:
    """What in this answer the vendor would never send (checked for the documented success statuses);
    ``op`` as for ``request_violations``."""
    if not contract.covers(path):
        return []
    if op is LOOK_UP:
        op = contract.operation(method, path)
    if not isinstance(op, Operation) or op.answer is None or status not in op.ok:
        return []
    return _violations(contract, op, "answer", op.answer, body, request=False)
