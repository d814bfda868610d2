"""``GET /v3/<resource>?max=&page=&filters=&sort=`` turned into SQL, and the page envelope back.

Syntax (reference 2.5): ``filters=<field>:<op>:<value>[,...]`` with ops eq ne gt gte lt lte in nin sw;
values holding spaces, commas or times are double-quoted, ``in``/``nin`` take a quoted comma list.
``sort=<field>:<asc|desc>[,...]`` (the exact syntax is unconfirmed; this is the likely one). Rows
always end with the id as a tie-breaker, so pages are stable even when thousands of rows share one
``updatedTime``.

Page tokens are opaque base64 JSON bound to the query's filters and sort: reusing one with other
filters is a 400. ``offset`` tokens (default) let rows shift when data changes between pages, as most
offset-paged APIs do; ``keyset`` tokens continue strictly after the last row returned.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import errors
from .errors import BillError
from .formats import parse_date, parse_filter_time, to_cents
from .resources import FilterField, Resource
from .settings import BillSandboxSettings
from .store import Store

LIST_PARAMETERS = frozenset({"max", "page", "filters", "sort"})


def _bad(message: str) -> BillError:
    return errors.validation([message])


def split_outside_quotes(text: str, separator: str = ",") -> list[str]:
    """Split on ``separator`` except inside double quotes; an unclosed quote is an error."""
    parts, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
            current.append(char)
        elif char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise _bad(f"filters: unbalanced double quote in {text!r}")
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    return value


def _convert(name: str, spec: FilterField, raw: str) -> Any:
    """One filter value as the stored column holds it; 400 naming the field when it does not fit."""
    try:
        if spec.kind == "bool":
            if raw not in ("true", "false"):
                raise ValueError(f"{raw!r} is not true or false")
            return int(raw == "true")
        if spec.kind == "date":
            return parse_date(raw).isoformat()
        if spec.kind == "time":
            return parse_filter_time(raw)
        if spec.kind == "money":
            return to_cents(raw)
        if spec.kind == "enum" and raw not in spec.values:
            raise ValueError(f"{raw!r} is not one of {', '.join(spec.values)}")
    except ValueError as exc:
        raise _bad(f"filters: {name}: {exc}") from None
    return raw.casefold() if spec.fold else raw


@dataclass
class ListQuery:
    where: list[str]
    params: list[Any]
    order: list[tuple[str, bool]]  # (column, ascending), always ending with id
    fingerprint: str


def parse_filters(resource: Resource, text: str, *, invoice_filter: bool) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if not text.strip():
        return where, params
    for clause in split_outside_quotes(text):
        pieces = clause.split(":", 2)
        if len(pieces) != 3 or not pieces[0] or not pieces[1]:
            raise _bad(
                f"filters: {clause!r} is not <field>:<operator>:<value> "
                "(quote values that contain commas, spaces or times)"
            )
        name, op, raw = pieces[0].strip(), pieces[1].strip(), pieces[2]
        spec = resource.filters.get(name)
        if spec is None or (name == "invoice.invoiceNumber" and not invoice_filter):
            allowed = sorted(
                field for field in resource.filters if invoice_filter or field != "invoice.invoiceNumber"
            )
            raise _bad(f"filters: {name!r} is not a filterable field of {resource.name}; one of {allowed}")
        if op not in spec.ops:
            raise _bad(f"filters: operator {op!r} is not supported for {name}; one of {sorted(spec.ops)}")
        value = _unquote(raw)
        if op in ("in", "nin"):
            values = [_convert(name, spec, item.strip()) for item in value.split(",") if item.strip()]
            if not values:
                raise _bad(f"filters: {name}:{op} needs at least one value")
            test, args = f"IN ({', '.join('?' for _ in values)})", values
        elif op == "sw":
            test, args = "GLOB ?", [_glob_prefix(_convert(name, spec, value))]
        else:
            sql_op = {"eq": "=", "ne": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
            test, args = f"{sql_op} ?", [_convert(name, spec, value)]
        negated = op in ("ne", "nin")  # tests are written positively, then negated
        if spec.in_child:
            # A bill matches when any of its lines carries the value; ne/nin: when none does.
            condition = (
                f"EXISTS (SELECT 1 FROM {resource.child_table} c WHERE c.{resource.child_key} = t.id "
                f"AND c.{spec.column} {test})"
            )
        else:
            condition = f"({spec.column} {test})"
        where.append(f"NOT {condition}" if negated else condition)
        params.extend(args)
    return where, params


def _glob_prefix(prefix: str) -> str:
    """GLOB pattern matching values that start with ``prefix`` (metacharacters escaped)."""
    escaped = "".join(f"[{char}]" if char in "*?[" else char for char in prefix)
    return escaped + "*"


def parse_sort(resource: Resource, text: str) -> list[tuple[str, bool]]:
    order: list[tuple[str, bool]] = []
    for clause in (part.strip() for part in text.split(",") if part.strip()):
        name, _, direction = clause.partition(":")
        column = resource.sorts.get(name)
        if column is None:
            raise _bad(
                f"sort: {name!r} is not a sortable field of {resource.name}; one of {sorted(resource.sorts)}"
            )
        direction = direction.lower() or "asc"
        if direction not in ("asc", "desc"):
            raise _bad(f"sort: direction {direction!r} of {name} must be asc or desc")
        order.append((column, direction == "asc"))
    if not order:
        order = [("created_ms", True)]  # no documented default: oldest first
    return [*order, ("id", True)]


def parse_list_query(
    resource: Resource, params: Mapping[str, str], settings: BillSandboxSettings
) -> tuple[ListQuery, int, str | None]:
    """(query, page size, page token) of a list request, or a 400 naming the bad parameter."""
    unknown = sorted(set(params) - LIST_PARAMETERS)
    if unknown and settings.variants.reject_unknown_fields:
        raise BillError(400, [errors.unknown_field(name) for name in unknown])
    size = settings.default_page_size
    if "max" in params:
        try:
            size = int(params["max"])
        except ValueError:
            raise _bad(f"max: {params['max']!r} is not a whole number") from None
        if size < 1:
            raise _bad(f"max: must be between 1 and {settings.max_page_size}, got {size}")
        if size > settings.max_page_size:
            if settings.variants.page_size_over_cap == "reject":
                raise _bad(f"max: must be between 1 and {settings.max_page_size}, got {size}")
            size = settings.max_page_size
    where, args = parse_filters(
        resource, params.get("filters", ""), invoice_filter=settings.variants.bill_invoice_number_filter
    )
    order = parse_sort(resource, params.get("sort", ""))
    fingerprint = hashlib.sha256(
        json.dumps([resource.name, params.get("filters", ""), order]).encode()
    ).hexdigest()[:16]
    return ListQuery(where, args, order, fingerprint), size, params.get("page") or None


def _encode(token: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(text: str, fingerprint: str) -> dict[str, Any]:
    try:
        token = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad(f"page: {text!r} is not a page token this server issued") from None
    if not isinstance(token, dict) or token.get("f") != fingerprint:
        raise _bad("page: the token belongs to a different query (filters and sort must not change)")
    return token


def _order_sql(order: list[tuple[str, bool]], *, flip: bool = False) -> str:
    return ", ".join(f"t.{column} {'ASC' if ascending != flip else 'DESC'}" for column, ascending in order)


def _after(order: list[tuple[str, bool]], values: list[Any], *, flip: bool) -> tuple[str, list[Any]]:
    """Rows strictly after ``values`` in ``order`` (or before, with ``flip``)."""
    alternatives, params = [], []
    for position, (column, ascending) in enumerate(order):
        equal = [f"t.{prefix} = ?" for prefix, _ in order[:position]]
        comparison = ">" if ascending != flip else "<"
        alternatives.append("(" + " AND ".join([*equal, f"t.{column} {comparison} ?"]) + ")")
        params.extend([*values[:position], values[position]])
    return "(" + " OR ".join(alternatives) + ")", params


def _key(resource: Resource, doc: dict[str, Any], order: list[tuple[str, bool]]) -> list[Any]:
    columns = {**resource.columns(doc), "id": doc["id"]}
    return [columns[column] for column, _ in order]


def list_page(
    store: Store,
    resource: Resource,
    org: str,
    query: ListQuery,
    size: int,
    token_text: str | None,
    settings: BillSandboxSettings,
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """(rows, nextPage, prevPage) of one page."""
    token = _decode(token_text, query.fingerprint) if token_text else {}
    if settings.variants.paging == "offset":
        offset = token.get("o", 0)
        if not isinstance(offset, int) or offset < 0:
            raise _bad("page: malformed page token")
        rows = store.select(
            resource, org, query.where, query.params, _order_sql(query.order), size + 1, offset
        )
        following = _encode({"o": offset + size, "f": query.fingerprint}) if len(rows) > size else None
        previous = _encode({"o": max(0, offset - size), "f": query.fingerprint}) if offset > 0 else None
        return rows[:size], following, previous
    backward = "b" in token
    where, params = list(query.where), list(query.params)
    values = token.get("b") if backward else token.get("a")
    if values is not None:
        if not isinstance(values, list) or len(values) != len(query.order):
            raise _bad("page: malformed page token")
        condition, extra = _after(query.order, values, flip=backward)
        where.append(condition)
        params.extend(extra)
    rows = store.select(resource, org, where, params, _order_sql(query.order, flip=backward), size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    if not rows:
        return rows, None, None
    first, last = _key(resource, rows[0], query.order), _key(resource, rows[-1], query.order)
    has_next = (more and not backward) or backward
    has_prev = (more and backward) or (not backward and values is not None)
    following = _encode({"a": last, "f": query.fingerprint}) if has_next else None
    previous = _encode({"b": first, "f": query.fingerprint}) if has_prev else None
    return rows, following, previous


def page_body(
    results: list[dict[str, Any]], following: str | None, previous: str | None, settings: BillSandboxSettings
) -> dict[str, Any]:
    """``{"nextPage", "prevPage", "results"}``; a missing page is left out, so "no nextPage" = done."""
    body: dict[str, Any] = {}
    if following:
        body["nextPage"] = following
    if previous and settings.variants.prev_page:
        body["prevPage"] = previous
    body["results"] = results
    return body
