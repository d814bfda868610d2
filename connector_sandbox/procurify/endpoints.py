"""One code path for every list endpoint: a ``ListQuery`` says what to read, a ``ListEndpoint`` serves it.

Every Procurify list answers the same way (format check, django-filter parameters, a 400 for bad
ones, ordering with a tiebreak, page-number paging, the list envelope or CSV); what differs per
resource is only the table, its filters, its orderings and how a row is rendered. Lists whose
metadata carries more than pagination (bills, purchase orders) use the pieces directly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from .listing import Filters, Page, fetch_page, ordering
from .representations import Json, Lookups
from .responses import listing, wanted_format
from .routing import RequestContext

DeclareFilters = Callable[[Filters], None]
RenderRows = Callable[[RequestContext, list[sqlite3.Row]], list[Json]]


def default_order(ctx: RequestContext, column: str) -> str:
    """``column`` in the direction the ``default_list_order`` variant picks."""
    return f"{column} {'DESC' if ctx.variants.default_list_order == 'newest_first' else 'ASC'}"


@dataclass(frozen=True)
class ListQuery:
    """What one list endpoint reads and how ``order_by`` may sort it.

    Most lists read every column of one aliased table (``source`` starts "table alias"), sorted by
    its ``id``: only what differs from that is spelled out. A source that is a subquery gives its
    ``select`` and ``tiebreak``.
    """

    source: str  # what follows FROM ("vendors v", or a join), up to the WHERE the query appends
    orderings: Mapping[str, str]  # order_by field -> column (unknown fields are ignored)
    select: str = ""  # the columns, with any aggregates the renderer needs; "<alias>.*" when empty
    tiebreak: str = ""  # the last sort key, so that pages never overlap; "<alias>.id ASC" when empty
    default: str = ""  # the column sorted when order_by names no known field; the tiebreak's if empty
    follows_list_order: bool = True  # the default_list_order variant sets the default's direction
    conditions: tuple[str, ...] = ()  # always applied, whatever the parameters (no ``?`` in them)
    read_keys_first: bool = False  # the page's tiebreak keys are read first (see fetch_page)

    def __post_init__(self) -> None:
        alias = self.source.split()[1]
        tiebreak = self.tiebreak or f"{alias}.id ASC"
        object.__setattr__(self, "select", self.select or f"{alias}.*")
        object.__setattr__(self, "tiebreak", tiebreak)
        object.__setattr__(self, "default", self.default or tiebreak.split()[0])

    def where(self, filters: Filters, *conditions: str) -> str:
        """``source WHERE`` the query's and the caller's conditions, then the filters (whose args bind)."""
        return f"{self.source} WHERE {' AND '.join([*self.conditions, *conditions, filters.sql()])}"

    def page(
        self,
        ctx: RequestContext,
        filters: Filters,
        *conditions: str,
        orderings: Mapping[str, str] | None = None,
    ) -> Page:
        default = default_order(ctx, self.default) if self.follows_list_order else f"{self.default} ASC"
        order = ordering(ctx.request, dict(orderings or self.orderings), default, self.tiebreak)
        return fetch_page(
            ctx.request,
            ctx.state.store,
            ctx.variants,
            select=self.select,
            from_where=self.where(filters, *conditions),
            args=filters.args,
            order=order,
            key=self.tiebreak.split()[0] if self.read_keys_first else None,
        )


def read_filters(ctx: RequestContext, declare: DeclareFilters) -> Filters:
    """The format check (404 first), then the declared filters; any bad value is one 400."""
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    declare(filters)
    filters.check()
    return filters


def per_row(render: Callable[[sqlite3.Row, Lookups], Json]) -> RenderRows:
    """A renderer of one row as the renderer of a page."""
    return lambda ctx, rows: [render(row, ctx.lookups) for row in rows]


@dataclass(frozen=True)
class ListEndpoint:
    """A GET handler: filters, one page of the query, each row rendered, pagination metadata."""

    query: ListQuery
    declare: DeclareFilters
    render: RenderRows

    async def __call__(self, ctx: RequestContext) -> Response:
        page = self.query.page(ctx, read_filters(ctx, self.declare))
        return listing(ctx.request, page, self.render(ctx, page.rows))


def children_by_parent(
    ctx: RequestContext, sql: str, parent_ids: list[int], parent: str, child: str
) -> dict[int, list[Any]]:
    """``child`` values per parent id, for parents of one page (``sql`` has one ``{marks}`` for the ids)."""
    found: dict[int, list[Any]] = {parent_id: [] for parent_id in parent_ids}
    if parent_ids:
        marks = ", ".join("?" for _ in parent_ids)
        for row in ctx.state.store.all(sql.format(marks=marks), parent_ids):
            found[row[parent]].append(row[child])
    return found
