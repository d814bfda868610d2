"""Stored documents -> what the API returns: every schema element present (null when unset), references
hydrated from their tables, times shown in the instance's zone, decimals as strings.

Shaping follows the reference: by default associations come back with their own attributes (the
payload bloat of quirk 4), ``return_object=shallow`` keeps only ids and natural keys of associations,
``limited`` only ids, and ``fields=[...]`` picks elements, nesting with ``{"association": [...]}``.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from .schema import RESOURCES, Collection, Embedded, Kind, Node, Reference, Resource, Scalar, child
from .store import Store
from .timefmt import render_date, render_datetime

FieldSpec = list[Any]


class FieldsError(ValueError):
    """``fields=`` that is not a JSON list of names and {name: [...]} objects."""


def parse_fields(raw: str) -> FieldSpec:
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FieldsError(f'fields must be a URL-encoded JSON list, e.g. ["id","name"]: {exc}') from None

    def check(node: Any) -> None:
        if not isinstance(node, list):
            raise FieldsError('fields must be a JSON list of element names and {"association": [...]}')
        for item in node:
            if isinstance(item, dict):
                for value in item.values():
                    check(value)
            elif not isinstance(item, str):
                raise FieldsError(f"fields entry {item!r} is neither a name nor an object")

    check(spec)
    return spec


class Renderer:
    """Renders records for one request; caches hydrated associations for the request's lifetime."""

    def __init__(
        self, store: Store, zone: str, decimals_as: str, *, show_deleted_lines: bool = False
    ) -> None:
        self.store = store
        self.zone = zone
        self.decimals_as = decimals_as
        self.show_deleted_lines = show_deleted_lines
        self._docs: dict[tuple[str, int], dict[str, Any] | None] = {}
        self.extra_fields: dict[str, set[str]] = {}

    # --- values ----------------------------------------------------------------------------------

    def scalar(self, kind: Kind, value: Any) -> Any:
        if value is None:
            return None
        if kind is Kind.DATETIME:
            return render_datetime(value, self.zone)
        if kind is Kind.DATE:
            return render_date(value, self.zone)
        if kind is Kind.DECIMAL:
            if self.decimals_as == "number":
                try:
                    number = Decimal(str(value))
                except InvalidOperation:
                    return value
                return int(number) if number == number.to_integral_value() else float(number)
            return str(value)
        return value

    def _doc(self, resource_key: str, record_id: Any) -> dict[str, Any] | None:
        if not isinstance(record_id, int):
            return None
        key = (resource_key, record_id)
        if key not in self._docs:
            self._docs[key] = self.store.get(RESOURCES[resource_key], record_id)
        return self._docs[key]

    # --- shapes ----------------------------------------------------------------------------------

    def full(self, resource: Resource, doc: dict[str, Any]) -> dict[str, Any]:
        return self._object(resource.fields, doc, mode="full", hidden=self._hidden(resource))

    def shallow(self, resource: Resource, doc: dict[str, Any]) -> dict[str, Any]:
        return self._object(resource.fields, doc, mode="shallow", hidden=self._hidden(resource))

    def _hidden(self, resource: Resource) -> set[str]:
        hidden = {"invoice-total"} if resource.key == "purchase_orders" else set()
        return hidden - self.extra_fields.get(resource.key, set())

    def _object(
        self, fields: dict[str, Node], doc: dict[str, Any], *, mode: str, hidden: set[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, node in fields.items():
            if key in hidden:
                continue
            value = doc.get(key)
            if key == "deleted-at" and value is None:
                continue  # only removed lines carry it
            if isinstance(node, Scalar):
                out[key] = self.scalar(node.kind, value) if node.kind is not Kind.OBJECT else (value or {})
            elif isinstance(node, Embedded):
                out[key] = (
                    None if value is None else self._object(node.fields, value, mode=mode, hidden=set())
                )
            elif isinstance(node, Reference):
                record_id = value.get("id") if isinstance(value, dict) else None
                out[key] = self.association(node.resource, record_id, shallow=mode != "full")
            elif isinstance(node, Collection):
                items = [
                    item
                    for item in (value or [])
                    if self.show_deleted_lines or item.get("deleted-at") is None
                ]
                if mode == "full":
                    out[key] = [self._object(node.fields, item, mode="full", hidden=set()) for item in items]
                else:
                    out[key] = [{"id": item.get("id")} for item in items]
        return out

    def association(self, resource_key: str, record_id: Any, *, shallow: bool) -> dict[str, Any] | None:
        """An associated record: its own attributes (default) or id + natural keys (shallow)."""
        target = RESOURCES[resource_key]
        doc = self._doc(resource_key, record_id)
        if doc is None:
            return None
        if shallow:
            out: dict[str, Any] = {"id": doc["id"]}
            for key in target.natural_keys:
                node = target.fields[key]
                assert isinstance(node, Scalar)
                out[key] = self.scalar(node.kind, doc.get(key))
            return out
        out = {}
        for key, node in target.fields.items():
            if isinstance(node, Scalar) and node.kind is not Kind.OBJECT:
                out[key] = self.scalar(node.kind, doc.get(key))
            elif isinstance(node, Reference):
                nested = doc.get(key)
                nested_id = nested.get("id") if isinstance(nested, dict) else None
                out[key] = self.association(node.resource, nested_id, shallow=True)
        return out

    def shape(
        self, resource: Resource, doc: dict[str, Any], return_object: str | None, fields: FieldSpec | None
    ) -> Any:
        if return_object == "limited":
            return {"id": doc["id"]}
        if fields is not None:
            return pick(resource.fields, self.full(resource, doc), fields)
        if return_object == "shallow":
            return self.shallow(resource, doc)
        return self.full(resource, doc)


def pick(fields: dict[str, Node], rendered: dict[str, Any], spec: FieldSpec) -> dict[str, Any]:
    """Apply a ``fields=`` spec to a rendered record; names may use dashes or underscores."""
    out: dict[str, Any] = {}
    for item in spec:
        entries = item.items() if isinstance(item, dict) else [(item, None)]
        for name, nested in entries:
            found = child(fields, name)
            if found is None or found[0] not in rendered:
                continue  # unknown names are dropped, not errors
            key, node = found
            value = rendered[key]
            if nested is not None and value is not None:
                sub_fields = _fields_of(node)
                if isinstance(value, list):
                    value = [pick(sub_fields, element, nested) for element in value]
                elif isinstance(value, dict):
                    value = pick(sub_fields, value, nested)
            out[key] = value
    return out


def _fields_of(node: Node) -> dict[str, Node]:
    if isinstance(node, Embedded | Collection):
        return node.fields
    if isinstance(node, Reference):
        return RESOURCES[node.resource].fields
    return {}
