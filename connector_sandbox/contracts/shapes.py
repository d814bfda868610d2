"""Small builders for the JSON Schemas in the contracts, so a vendor's table reads like its documentation.

Objects are closed by default (``additionalProperties: false``): a field the vendor does not document is a
breach at any depth, in a request and in an answer alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Schema = dict[str, Any]


def obj(
    properties: Mapping[str, Schema] | None = None, required: Iterable[str] = (), *, closed: bool = True
) -> Schema:
    schema: Schema = {"type": "object", "properties": dict(properties or {})}
    required = list(required)
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def string(**more: Any) -> Schema:
    return {"type": "string", **more}


def integer(**more: Any) -> Schema:
    return {"type": "integer", **more}


def number(**more: Any) -> Schema:
    return {"type": "number", **more}


def boolean(**more: Any) -> Schema:
    return {"type": "boolean", **more}


def array(items: Schema, **more: Any) -> Schema:
    return {"type": "array", "items": items, **more}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def one_of(*schemas: Schema) -> Schema:
    return {"anyOf": list(schemas)}


def output_only(schema: Schema | None = None) -> Schema:
    """A field the vendor fills and documents as read-only: present in answers, refused in requests."""
    return {**(schema or {}), "readOnly": True}
