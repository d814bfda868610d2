"""Procore v1 list mechanics: ``filters[...]``, ``sort``, ``page``/``per_page`` and the paging headers.

Each list endpoint declares a ``ListSpec`` (which filters and sort fields it supports, whether it pages,
whether it has soft deletes); ``run_list`` turns the query string into one SQL statement and
``paging_headers`` renders ``Total`` / ``Per-Page`` / ``Link`` (reference section 2.2). Only what an
endpoint documents is honoured: other filters are ignored or refused according to the
``unknown_filters`` variant, as are sorts on endpoints that do not sort.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlencode

from starlette.requests import Request

from .clock import RangeError, parse_range
from .errors import ApiError, bad_request
from .settings import FaultSettings, VariantSettings
from .store import Store

FilterKind = Literal["eq", "range", "search", "json_in", "bool", "status"]
# ``filters[by_status]`` of the project list (SDK: "Must be one of Active, Inactive, or All") -> the
# condition on the boolean column.
STATUS_VALUES = {"active": "{column} = 1", "inactive": "{column} = 0", "all": "1 = 1"}
_FILTER_KEY = re.compile(r"^filters\[([a-z_]+)\](\[\])?$")


def as_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"{name}: {value!r} is not an integer") from None


@dataclass(frozen=True)
class Filter:
    """One supported ``filters[name]``; ``column`` is an SQL expression on the listed table."""

    name: str
    kind: FilterKind
    column: str
    integer: bool = False


def eq(*names: str, integer: bool = False) -> tuple[Filter, ...]:
    """``filters[name]=a,b`` on the column of the same name, one filter per name."""
    return tuple(Filter(name, "eq", name, integer) for name in names)


def ranges(*names: str) -> tuple[Filter, ...]:
    """``filters[name]=from...to`` on the column of the same name."""
    return tuple(Filter(name, "range", name) for name in names)


STAMPS = ranges("created_at", "updated_at")


@dataclass(frozen=True)
class ListSpec:
    table: str
    filters: tuple[Filter, ...] = ()
    sortable: tuple[str, ...] = ()
    paginated: bool = True
    soft_delete: bool = False  # has deleted_at; filters[include_deleted]=with|only applies
    default_order: str = "id"
    sort_columns: dict[str, str] = field(default_factory=dict)
    # The filter names the endpoint documents (``documented_lists``), None: not narrowed. A documented one
    # the simulator does not apply is ignored, never refused; ``include_deleted`` only where documented.
    documented: frozenset[str] | None = None

    def filter(self, name: str) -> Filter | None:
        return next((item for item in self.filters if item.name == name), None)

    def only(self, names: tuple[str, ...], *, sortable: tuple[str, ...]) -> ListSpec:
        """This list with fewer filters (those in ``names``) and these sort fields."""
        return replace(self, filters=tuple(f for f in self.filters if f.name in names), sortable=sortable)

    def paged(self, paginated: bool) -> ListSpec:
        """This list, paginated or not (where the live variants decide)."""
        return self if paginated else replace(self, paginated=False)

    def as_documented(self, filters: frozenset[str], sorts: bool) -> ListSpec:
        """This list taking only the filters its endpoint documents (``filters``, by name) and sorting
        only where it documents ``sort``: what Procore does not document for it is unknown there."""
        return replace(
            self,
            filters=tuple(f for f in self.filters if f.name in filters),
            sortable=self.sortable if sorts else (),
            documented=filters,
        )

    def takes(self, name: str) -> bool:
        """Whether ``filters[name]`` is the endpoint's (documented, or not narrowed)."""
        return self.documented is None or name in self.documented


@dataclass
class ListResult:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int | None  # None: not paginated


def _collect_filters(request: Request) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        match = _FILTER_KEY.match(key)
        if match:
            found.setdefault(match.group(1), []).append(value)
        elif key.startswith("filters["):
            raise bad_request(f"{key}: not a valid filter parameter (use filters[name]=value)")
    return found


def page_and_size(request: Request, default: int, most: int | None) -> tuple[int, int]:
    """page (1-based) and per_page, at most ``most`` where given; unusable values fall back to the
    defaults, as Rails pagers do. The v1 lists and the v2 change order lines page alike."""
    params = request.query_params
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    try:
        per_page = int(params.get("per_page", str(default)))
    except ValueError:
        per_page = default
    if per_page < 1:
        per_page = default
    return page, per_page if most is None else min(per_page, most)


def _order_by(request: Request, spec: ListSpec, variants: VariantSettings) -> str:
    raw = request.query_params.get("sort")
    parts: list[str] = []
    if raw and spec.sortable:
        for item in raw.split(","):
            item = item.strip()
            if not item:
                continue
            descending = item.startswith("-")
            name = item.lstrip("-")
            if name not in spec.sortable:
                if variants.non_existent_fields == "reject":
                    raise ApiError(
                        406, f"sort: {name!r} is not a sortable field; one of {list(spec.sortable)}"
                    )
                continue
            column = spec.sort_columns.get(name, name)
            parts.append(f"{column} {'DESC' if descending else 'ASC'}")
    parts.append(spec.default_order)
    if spec.default_order != "id":
        parts.append("id")  # a unique tiebreaker keeps pages stable when sort values repeat
    return ", ".join(parts)


def _filter_sql(item: Filter, values: list[str], variants: VariantSettings) -> tuple[str, list[Any]]:
    label = f"filters[{item.name}]"
    if item.kind == "range":
        if len(values) != 1:
            raise bad_request(f"{label}: give one range, e.g. 2025-03-01T00:00:00Z...2025-03-02T00:00:00Z")
        try:
            return parse_range(values[0], variants.range_end).sql(item.column)
        except RangeError:
            raise bad_request(
                f"{label}: {values[0]!r} is not a date or date-time range "
                "(e.g. 2025-03-01T00:00:00Z...2025-03-02T00:00:00Z or 2025-03-01...2025-03-02)"
            ) from None
    if item.kind == "search":
        return f"icontains({item.column}, ?)", [values[0]]
    if item.kind == "status":
        condition = STATUS_VALUES.get(values[0].strip().lower())
        if condition is None:
            raise bad_request(f"{label}: {values[0]!r} must be one of Active, Inactive, or All")
        return condition.format(column=item.column), []
    if item.kind == "bool":
        truthy = values[0].strip().lower() in {"true", "1", "t", "yes"}
        return f"{item.column} = ?", [1 if truthy else 0]
    flat = [part for value in values for part in value.split(",")] if item.integer else values
    typed: list[Any] = [as_int(label, value) for value in flat] if item.integer else flat
    marks = ", ".join("?" for _ in typed)
    if item.kind == "json_in":
        return f"EXISTS (SELECT 1 FROM json_each({item.column}) WHERE value IN ({marks}))", typed
    return f"{item.column} IN ({marks})", typed


def run_list(
    store: Store,
    spec: ListSpec,
    request: Request,
    scope: tuple[str, list[Any]],
    variants: VariantSettings,
    faults: FaultSettings,
) -> ListResult:
    """The page of rows a list request asks for, with the total count of matching rows."""
    clauses, params = [scope[0]], list(scope[1])
    applied = 0
    requested = _collect_filters(request)
    if spec.soft_delete:
        # Soft-deleted rows vanish from lists unless asked for (reference quirk 5), where the list takes it.
        deleted_mode = requested.pop("include_deleted", [None])[0] if spec.takes("include_deleted") else None
        if deleted_mode is None:
            clauses.append("deleted_at IS NULL")
        elif deleted_mode == "only":
            clauses.append("deleted_at IS NOT NULL")
        elif deleted_mode != "with":
            raise bad_request(f"filters[include_deleted]: {deleted_mode!r} is not one of 'with', 'only'")
    for name, values in requested.items():
        item = spec.filter(name)
        if item is None:
            if variants.unknown_filters == "reject" and not spec.takes(name):
                supported = (
                    sorted(spec.documented)
                    if spec.documented is not None
                    else [f.name for f in spec.filters] + (["include_deleted"] if spec.soft_delete else [])
                )
                raise bad_request(f"filters[{name}]: not supported here; supported: {supported}")
            continue
        sql, extra = _filter_sql(item, values, variants)
        clauses.append(sql)
        params.extend(extra)
        applied += 1
    where = " AND ".join(f"({clause})" for clause in clauses)
    total = int(store.scalar(f"SELECT COUNT(*) FROM {spec.table} WHERE {where}", params))
    threshold = faults.unfiltered_list_timeout_over
    if threshold is not None and applied == 0 and total > threshold:
        raise ApiError(408, "Request Timeout: add filters or a smaller per_page")
    order = _order_by(request, spec, variants)
    if not spec.paginated:
        rows = store.all(f"SELECT * FROM {spec.table} WHERE {where} ORDER BY {order}", params)
        return ListResult(rows, total, 1, None)
    page, per_page = page_and_size(request, variants.default_per_page, variants.max_per_page)
    rows = store.all(
        f"SELECT * FROM {spec.table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    )
    return ListResult(rows, total, page, per_page)


def paging_headers(request: Request, result: ListResult) -> dict[str, str]:
    """``Total``, ``Per-Page`` and a ``Link`` with first/prev/next/last, GitHub style.

    Page 1 has only ``next`` and ``last``; the last page has only ``first`` and ``prev``. The links keep
    every other query parameter and are absolute, built on the host the caller used.
    """
    if result.per_page is None:
        return {}
    per_page = result.per_page
    last = max(1, math.ceil(result.total / per_page))
    others = [(k, v) for k, v in request.query_params.multi_items() if k not in {"page", "per_page"}]
    base = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"

    def link(page: int, rel: str) -> str:
        query = urlencode([("page", page), ("per_page", per_page), *others], safe="[]")
        return f'<{base}?{query}>; rel="{rel}"'

    links = []
    if result.page > 1:
        links += [link(1, "first"), link(result.page - 1, "prev")]
    if result.page < last:
        links += [link(result.page + 1, "next"), link(last, "last")]
    headers = {"Total": str(result.total), "Per-Page": str(per_page)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


Renderer = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
