"""Turning stored rows into the framework's JSON (reference 2.2, 2.3, quirks 1, 2 and 15).

Items carry their attributes (served names, JSON types), expanded children, then ``links``: ``self``
(with ``properties.changeIndicator``), ``canonical`` and one ``child`` link per child collection.
``onlyData=true`` drops item links, ``fields`` picks attributes (``Accessor:Attr`` for children, and
when given it wins over ``expand``), ``expand`` inlines children: arrays up to framework version 2,
collection objects (``items``/``count``/``hasMore``/...) from version 3 on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .catalog import Resource
from .errors import bad_request
from .keys import KeyCodec, change_indicator
from .naming import Names, names_for
from .settings import BehaviourSettings
from .store import Store, quote
from .values import to_json


@dataclass(frozen=True)
class Shape:
    """How the client asked items to be shaped."""

    version: int
    only_data: bool = False
    link_rels: frozenset[str] | None = None
    fields: dict[str, list[str]] | None = None  # relative accessor path ("" = this resource) -> names
    expand: frozenset[str] | str | None = None  # "all" or relative accessor paths


def item_key(keys: KeyCodec, behaviour: BehaviourSettings, resource: Resource, row: dict[str, Any]) -> str:
    """The path key of an item: an opaque hash for ...UniqID resources (in hash mode), else the id."""
    if resource.hashed and (behaviour.item_keys == "hash" or resource.key is None):
        return keys.encode(resource.table.name, row["sbx_id"])
    return str(row["sbx_id"])


class Renderer:
    def __init__(self, store: Store, keys: KeyCodec, behaviour: BehaviourSettings, shape: Shape) -> None:
        self.store = store
        self.keys = keys
        self.behaviour = behaviour
        self.shape = shape
        self._names: dict[str, Names] = {}

    def names(self, resource: Resource, path: str) -> Names:
        if path not in self._names:
            self._names[path] = names_for(resource, path, self.behaviour)
        return self._names[path]

    def validate(self, resource: Resource, path: str) -> None:
        """400 for ``fields`` / ``expand`` naming attributes or children that do not exist."""
        if self.shape.fields is not None:
            for relative, wanted in self.shape.fields.items():
                target, target_path = self._descend(resource, path, relative, "fields")
                names = self.names(target, target_path)
                for name in wanted:
                    if names.lookup(name) is None:
                        raise bad_request(
                            "URL request parameter fields is not valid: "
                            f"{name} is not an attribute of {target_path}",
                            path="fields",
                        )
        if isinstance(self.shape.expand, frozenset):
            for relative in self.shape.expand:
                self._descend(resource, path, relative, "expand")

    @staticmethod
    def _descend(resource: Resource, path: str, relative: str, parameter: str) -> tuple[Resource, str]:
        target, target_path = resource, path
        for accessor in filter(None, relative.split(".")):
            child = target.children_by_name.get(accessor)
            if child is None:
                raise bad_request(
                    f"URL request parameter {parameter} is not valid: "
                    f"{accessor} is not a child of {target_path}",
                    path=parameter,
                )
            target, target_path = child, f"{target_path}.{accessor}"
        return target, target_path

    def _expanded(self, relative: str, resource: Resource) -> list[str]:
        """Accessors of ``resource`` (at ``relative``) to inline."""
        prefix = f"{relative}." if relative else ""
        if self.shape.fields is not None:
            return [name for name in resource.children_by_name if f"{prefix}{name}" in self.shape.fields]
        if self.shape.expand == "all":
            return list(resource.children_by_name) if relative == "" else []
        if isinstance(self.shape.expand, frozenset):
            return [name for name in resource.children_by_name if f"{prefix}{name}" in self.shape.expand]
        return []

    def _links(self, rels: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.shape.link_rels is None:
            return rels
        return [link for link in rels if link["rel"] in self.shape.link_rels]

    def item(
        self, resource: Resource, path: str, row: dict[str, Any], href: str, relative: str = ""
    ) -> dict[str, Any]:
        names = self.names(resource, path)
        wanted = self.shape.fields.get(relative) if self.shape.fields is not None else None
        body: dict[str, Any] = {}
        for attr in resource.attrs():
            served = names.rest(attr.name)
            if wanted is not None and served not in wanted:
                continue
            body[served] = to_json(attr, row.get(attr.name), millis=self.behaviour.timestamp_millis)
        for accessor in self._expanded(relative, resource):
            child = resource.children_by_name[accessor]
            child_relative = f"{relative}.{accessor}" if relative else accessor
            body[accessor] = self.child_collection(
                child, f"{path}.{accessor}", row, f"{href}/child/{accessor}", child_relative
            )
        if not self.shape.only_data:
            links = [
                {
                    "rel": "self",
                    "href": href,
                    "name": resource.name,
                    "kind": "item",
                    "properties": {"changeIndicator": change_indicator(row["sbx_version"])},
                },
                {"rel": "canonical", "href": href, "name": resource.name, "kind": "item"},
            ]
            links += [
                {"rel": "child", "href": f"{href}/child/{name}", "name": name, "kind": "collection"}
                for name in resource.children_by_name
            ]
            body["links"] = self._links(links)
        return body

    def child_collection(
        self, resource: Resource, path: str, parent: dict[str, Any], href: str, relative: str
    ) -> list[dict[str, Any]] | dict[str, Any]:
        limit = self.behaviour.expanded_child_limit
        sql = f"SELECT * FROM {quote(resource.table.name)} WHERE sbx_parent = ? ORDER BY sbx_id"
        params: list[Any] = [parent["sbx_id"]]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit + 1)
        rows = self.store.fetch(sql, params)
        has_more = limit is not None and len(rows) > limit
        rows = rows[:limit] if limit is not None else rows
        items = [
            self.item(
                resource, path, row, f"{href}/{item_key(self.keys, self.behaviour, resource, row)}", relative
            )
            for row in rows
        ]
        if self.shape.version < 3:
            return items
        collection: dict[str, Any] = {
            "items": items,
            "count": len(items),
            "hasMore": has_more,
            "limit": limit if limit is not None else len(items),
            "offset": 0,
        }
        if not self.shape.only_data:
            collection["links"] = self._links(
                [{"rel": "self", "href": href, "name": resource.name, "kind": "collection"}]
            )
        return collection


def describe(resource: Resource, path: str, behaviour: BehaviourSettings, href: str) -> dict[str, Any]:
    """The ``/describe`` metadata of a resource and its children (``...description+json``)."""
    names = names_for(resource, path, behaviour)
    attributes = []
    for attr in resource.attrs():
        entry: dict[str, Any] = {
            "name": names.rest(attr.name),
            "type": attr.kind.value,
            "updatable": attr.updatable and resource.updatable,
            "mandatory": attr.name in behaviour.invoice_required if resource.name == "invoices" else False,
            "queryable": attr.queryable,
            "allowChanges": "always" if attr.updatable else ("never" if attr.read_only else "create"),
        }
        if attr.max_length is not None:
            entry["maxLength"] = str(attr.max_length)
        attributes.append(entry)
    collection_actions = [{"name": "get", "method": "GET"}]
    if resource.creatable:
        collection_actions.append({"name": "create", "method": "POST"})
    collection_actions += [{"name": name, "method": "POST"} for name in resource.collection_actions]
    item_actions = [{"name": "get", "method": "GET"}]
    if resource.updatable:
        item_actions.append({"name": "update", "method": "PATCH"})
    item_actions += [{"name": name, "method": "POST"} for name in resource.item_actions]
    return {
        "title": resource.title,
        "titlePlural": resource.title,
        "attributes": attributes,
        "collection": {
            "rangeSize": behaviour.default_limit,
            "finders": [
                {
                    "name": finder.name,
                    "attributes": [
                        {"name": variable, "type": kind.value, "mandatory": True}
                        for variable, (kind, _) in finder.variables.items()
                    ],
                }
                for finder in resource.finders
            ],
            "links": [{"rel": "self", "href": href, "name": resource.name, "kind": "collection"}],
            "actions": collection_actions,
        },
        "item": {"actions": item_actions},
        "children": {
            name: describe(child, f"{path}.{name}", behaviour, f"{href}/{{id}}/child/{name}")
            for name, child in resource.children_by_name.items()
        },
    }
