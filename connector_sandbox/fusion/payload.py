"""Reading POST / PATCH bodies the way the framework does (reference 2.6, quirks 8, 9 and 14).

Attribute names are the served (possibly renamed) PascalCase names, case-sensitive. Numbers may
come as strings. An unknown attribute, a read-only one (status, WHO columns, ids), a value that
does not fit, or a missing required attribute is a 400 whose detailed message names the record
and the attribute; the terse variant names neither, as many pods answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .catalog import Resource
from .errors import FusionError
from .naming import Names
from .values import ValueProblem, to_storage

TERSE = "The request could not be processed because of a validation error."


def validation_error(message: str, path: str | None = None, code: str = "SBX-27024") -> FusionError:
    return FusionError(400, message, code=code, path=path, terse=TERSE)


@dataclass
class Parsed:
    """Stored values by canonical attribute name, nested child payloads by accessor, and given names."""

    values: dict[str, Any] = field(default_factory=dict)
    children: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    served: dict[str, str] = field(default_factory=dict)  # canonical -> the name the client used


def parse_payload(
    body: Any,
    names: Names,
    *,
    mode: Literal["create", "update"],
    record: str,
    path: str = "",
    allowed_children: tuple[str, ...] = (),
) -> Parsed:
    """Validate one object of a body against its resource; ``record`` names it in messages."""
    resource: Resource = names.resource
    title = resource.title
    if not isinstance(body, dict):
        raise validation_error(f"{record}: the body must be a JSON object.", path or None, "SBX-27001")
    parsed = Parsed()
    for key, value in body.items():
        where = f"{path}{key}"
        if key in resource.children_by_name:
            if key not in allowed_children:
                raise validation_error(
                    f"{record}: the child {key} of {title} cannot be {mode}d through this request.", where
                )
            if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
                raise validation_error(f"{record}: {key} must be an array of objects.", where)
            parsed.children[key] = value
            continue
        attr = names.lookup(key)
        if attr is None:
            raise validation_error(
                f"{record}: attribute {key} is not an attribute of {title}.", where, "SBX-27031"
            )
        if attr.read_only:
            raise validation_error(f"{record}: attribute {key} in {title} is read only.", where, "SBX-27008")
        try:
            parsed.values[attr.name] = to_storage(attr, value)
        except ValueProblem as problem:
            raise validation_error(
                f"{record}: the value {value!r} of attribute {key} in {title} is not valid: "
                f"expected {problem}.",
                where,
            ) from None
        parsed.served[attr.name] = key
    return parsed


def require(parsed: Parsed, required: tuple[str, ...], names: Names, *, record: str, path: str = "") -> None:
    """Every attribute in ``required`` (canonical names) present and not null."""
    for canonical in required:
        if parsed.values.get(canonical) is None:
            served = names.served.get(canonical, canonical)
            raise validation_error(
                f"{record}: attribute {served} in {names.resource.title} is required.",
                f"{path}{served}",
                "SBX-27014",
            )
