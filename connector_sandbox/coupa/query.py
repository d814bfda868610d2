"""Coupa's query language compiled to SQLite: ``?<attribute>[<operator>]=<value>``, ANDed.

Operators: none (exact), ``contains``, ``starts_with``, ``ends_with``, ``gt``, ``lt``, ``gt_or_eq``,
``lt_or_eq``, ``not_eq``, ``in``, ``not_in`` (comma list) and ``blank`` (true/false). Associations
nest with brackets (``supplier[name]=Acme``, ``order_lines[account][code]=a-c``); dashes in element
names become underscores (both spellings are accepted, as the docs themselves use both). A reference
compiles to ``id IN (SELECT ...)`` against the other table and a collection to ``EXISTS`` over
``json_each``, so any depth works without special cases.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

from .schema import RESOURCES, Collection, Embedded, Kind, Node, Reference, Resource, Scalar, child
from .store import index_column, quote
from .timefmt import parse_input_date, parse_input_datetime, utc_stamp

TEXT_OPERATORS = frozenset({"contains", "starts_with", "ends_with"})
# Comparisons and the SQL they compile to; "eq" is the bare argument (``name=x``), not a suffix.
_COMPARISONS = {"eq": "=", "not_eq": "!=", "gt": ">", "lt": "<", "gt_or_eq": ">=", "lt_or_eq": "<="}
# The operators a query argument may end with: ``supplier[name][starts_with]=...``.
OPERATORS = TEXT_OPERATORS | (_COMPARISONS.keys() - {"eq"}) | {"in", "not_in", "blank"}
# Query arguments that are not filters.
RESERVED = frozenset(
    {"limit", "offset", "fields", "return_object", "filter", "order_by", "dir", "show_deleted_lines"}
)
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


class QueryError(ValueError):
    """A query argument the server cannot use; the message names the argument."""


@dataclasses.dataclass
class QueryOptions:
    case_insensitive: bool
    unknown_filter: str  # "error" | "ignore"
    zone: str


def split_argument(name: str) -> tuple[list[str], str | None]:
    """``order_lines[account][code][contains]`` -> (["order_lines", "account", "code"], "contains")."""
    head = name.split("[", 1)[0]
    segments = [head, *_SEGMENT.findall(name[len(head) :])]
    if "[" in name and "".join(f"[{s}]" for s in segments[1:]) != name[len(head) :]:
        raise QueryError(f"query argument {name!r} is malformed")
    operator = None
    if len(segments) > 1 and segments[-1] in OPERATORS:
        operator = segments.pop()
    return segments, operator


class Compiler:
    """Turns query arguments into one SQL condition over ``t`` (the resource table) plus parameters."""

    def __init__(self, resource: Resource, options: QueryOptions) -> None:
        self.resource = resource
        self.options = options
        self.params: list[Any] = []
        self._aliases = itertools.count(1)
        self._argument = ""

    def compile(self, arguments: list[tuple[str, str]]) -> str:
        clauses = []
        for name, value in arguments:
            if name in RESERVED:
                continue
            segments, operator = split_argument(name)
            self._argument = name
            try:
                clause = self._path(self.resource.fields, segments, operator, value, "t.doc", "$", top=True)
            except _UnknownAttribute as unknown:
                if self.options.unknown_filter == "ignore":
                    continue
                raise QueryError(
                    f"{name!r}: {unknown.args[0]!r} is not an attribute of {unknown.args[1]}"
                ) from None
            clauses.append(clause)
        return " AND ".join(clauses) or "1=1"

    # --- paths -----------------------------------------------------------------------------------

    def _path(
        self,
        fields: dict[str, Node],
        segments: list[str],
        operator: str | None,
        value: str,
        doc: str,
        path: str,
        *,
        top: bool,
        owner: str | None = None,
    ) -> str:
        owner = owner or self.resource.element
        name, rest = segments[0], segments[1:]
        found = child(fields, name)
        if found is None and name.endswith("_id") and not rest:
            # ``supplier_id=5`` / ``from_currency_id=1``: the id of a one-level association.
            reference = child(fields, name[:-3])
            if reference is not None and isinstance(reference[1], Reference):
                found, rest = reference, ["id"]
        if found is None:
            raise _UnknownAttribute(name, owner)
        key, node = found
        json_path = f'{path}."{key}"'
        argument = self._argument  # messages name the query argument exactly as the client sent it
        if isinstance(node, Scalar):
            if rest:
                raise QueryError(f"{argument!r}: {key!r} is not an association")
            if top and key in ("created-at", "updated-at"):
                expression = f't."{key.replace("-", "_")}"'
            elif top and key in self.resource.indexed:
                expression = f"t.{quote(index_column(key))}"
            elif top and key == "id":
                expression = 't."id"'
            else:
                expression = f"json_extract({doc}, '{json_path}')"
            return self._condition(expression, node.kind, operator, value, argument)
        if isinstance(node, Embedded):
            if not rest:
                raise QueryError(f"{argument!r}: {key!r} is an object; name one of its attributes")
            return self._path(node.fields, rest, operator, value, doc, json_path, top=False, owner=key)
        if isinstance(node, Reference):
            if top and key in self.resource.indexed:
                id_expression = f"t.{quote(index_column(key))}"
            else:
                id_expression = f"json_extract({doc}, '{json_path}.\"id\"')"
            if not rest or rest == ["id"]:
                return self._condition(id_expression, Kind.INT, operator, value, argument)
            target = RESOURCES[node.resource]
            alias = f"r{next(self._aliases)}"
            inner = self._path(
                target.fields, rest, operator, value, f"{alias}.doc", "$", top=False, owner=key
            )
            return (
                f"{id_expression} IN (SELECT {alias}.id FROM {quote(target.table)} AS {alias} WHERE {inner})"
            )
        if isinstance(node, Collection):
            if not rest:
                raise QueryError(f"{argument!r}: {key!r} is a collection; name one of its attributes")
            alias = f"j{next(self._aliases)}"
            inner = self._path(
                node.fields, rest, operator, value, f"{alias}.value", "$", top=False, owner=key
            )
            return f"EXISTS (SELECT 1 FROM json_each({doc}, '{json_path}') AS {alias} WHERE {inner})"
        raise AssertionError(node)  # pragma: no cover - exhaustive over Node

    # --- conditions ------------------------------------------------------------------------------

    def _condition(self, expression: str, kind: Kind, operator: str | None, raw: str, argument: str) -> str:
        operator = operator or "eq"
        if kind is Kind.OBJECT:
            raise QueryError(f"{argument!r}: this attribute cannot be queried")
        if operator == "blank":
            wanted = _boolean(raw, argument)
            blank = f"({expression} IS NULL OR {expression} = '')"
            return blank if wanted else f"NOT {blank}"
        if operator in TEXT_OPERATORS and kind in (Kind.DATETIME, Kind.DATE, Kind.BOOL):
            raise QueryError(f"{argument!r}: text operator {operator!r} is not valid on a {kind.value}")
        if kind is Kind.BOOL and operator not in ("eq", "not_eq"):
            raise QueryError(f"{argument!r}: operator {operator!r} is not valid on a boolean")
        fold = self.options.case_insensitive and kind is Kind.TEXT
        if operator in ("in", "not_in"):
            items = [item for item in raw.split(",")]
            values = [self._value(kind, item, argument, fold) for item in items]
            self.params.extend(values)
            placeholders = ", ".join("?" for _ in values)
            target = self._expr(expression, kind, fold)
            return f"{target} {'NOT ' if operator == 'not_in' else ''}IN ({placeholders})"
        if kind is Kind.DATETIME and operator not in TEXT_OPERATORS:
            return self._datetime_condition(expression, operator, raw, argument)
        target = self._expr(expression, kind, fold)
        if operator in TEXT_OPERATORS:
            text = str(raw).casefold() if fold else str(raw)
            self.params.append(text)
            haystack = target if kind is Kind.TEXT else f"CAST({expression} AS TEXT)"
            if operator == "contains":
                return f"instr({haystack}, ?) > 0"
            if operator == "starts_with":
                self.params.append(text)
                return f"substr({haystack}, 1, length(?)) = ?"
            self.params.append(text)
            return f"substr({haystack}, -length(?)) = ?"
        self.params.append(self._value(kind, raw, argument, fold))
        return f"{target} {_COMPARISONS[operator]} ?"

    def _datetime_condition(self, expression: str, operator: str, raw: str, argument: str) -> str:
        try:
            moment = parse_input_datetime(raw)
        except ValueError as exc:
            raise QueryError(f"{argument!r}: {exc}") from None
        whole = utc_stamp(moment)
        if moment.microsecond:
            # Stored times have whole seconds: compare exactly against a fractional bound.
            operator = {"gt": "gt", "gt_or_eq": "gt", "lt": "lt_or_eq", "lt_or_eq": "lt_or_eq"}.get(
                operator, operator
            )
            if operator == "eq":
                return "0"
            if operator == "not_eq":
                return f"{expression} IS NOT NULL"
        self.params.append(whole)
        return f"{expression} {_COMPARISONS[operator]} ?"

    @staticmethod
    def _expr(expression: str, kind: Kind, fold: bool) -> str:
        if fold:
            return f"sbx_fold({expression})"
        if kind is Kind.DECIMAL:
            return f"CAST({expression} AS REAL)"
        return expression

    def _value(self, kind: Kind, raw: str, argument: str, fold: bool) -> Any:
        try:
            if kind is Kind.INT:
                return int(raw)
            if kind is Kind.DECIMAL:
                return float(raw)
            if kind is Kind.BOOL:
                return int(_boolean(raw, argument))
            if kind is Kind.DATE:
                return parse_input_date(raw, self.options.zone).isoformat()
            if kind is Kind.DATETIME:
                return utc_stamp(parse_input_datetime(raw))
        except ValueError as exc:
            if isinstance(exc, QueryError):
                raise
            raise QueryError(f"{argument!r}: {raw!r} is not a valid {kind.value}") from None
        return raw.casefold() if fold else raw


class _UnknownAttribute(Exception):
    pass


def _boolean(raw: str, argument: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "t", "yes"):
        return True
    if lowered in ("false", "0", "f", "no"):
        return False
    raise QueryError(f"{argument!r}: {raw!r} is not true or false")


def order_clause(resource: Resource, order_by: str | None, direction: str | None) -> str:
    """ORDER BY for ``order_by``/``dir``; ids always break ties so offset paging is deterministic."""
    if not order_by:
        if direction and direction.lower() == "desc":
            return 't."id" DESC'
        return 't."id"'
    found = child(resource.fields, order_by)
    if found is None or not isinstance(found[1], Scalar) or found[1].kind is Kind.OBJECT:
        raise QueryError(f"order_by {order_by!r} is not a sortable attribute of {resource.element}")
    key, node = found
    if direction and direction.lower() not in ("asc", "desc"):
        raise QueryError(f"dir {direction!r} must be asc or desc")
    sql_dir = "DESC" if direction and direction.lower() == "desc" else "ASC"
    if key in ("created-at", "updated-at"):
        expression = f't."{key.replace("-", "_")}"'
    elif key == "id":
        return f't."id" {sql_dir}'
    else:
        expression = f"json_extract(t.doc, '$.\"{key}\"')"
        if node.kind is Kind.DECIMAL:
            expression = f"CAST({expression} AS REAL)"
    return f'{expression} {sql_dir}, t."id" {sql_dir}'
