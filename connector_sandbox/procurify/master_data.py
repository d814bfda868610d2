"""One code path for the writable master data (vendors, departments, account codes): read, create, update.

Each resource is a ``MasterData`` spec: its table, how a row is rendered, how a body is validated,
the defaults of a new row and the column stamped on every write. The handlers do what Procurify's
viewsets do for all of them: 404 for an unknown id, every problem of a body in one 400, the write in
one transaction, the activity generator told that master data changed, the row read back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from .errors import not_found
from .formats import stored
from .representations import Json, Lookups
from .responses import single
from .routing import ApiRoute, Handler, RequestContext
from .settings import Permission


def _nothing(ctx: RequestContext, row_id: int) -> None:
    return None


@dataclass(frozen=True)
class Write:
    """A validated body: the columns to write, and what to write beside them in the same transaction."""

    columns: dict[str, Any]
    then: Callable[[RequestContext, int], None] = _nothing


# (ctx, body, partial, id of the row being updated or None) -> the write; raises the 400.
Validate = Callable[[RequestContext, Any, bool, int | None], Write]


def _changeable(row: sqlite3.Row) -> None:
    return None


def exists_in(ctx: RequestContext, table: str) -> Callable[[int], bool]:
    """Whether an id is a row of ``table``: the check of a primary-key field."""
    return lambda pk: ctx.state.store.scalar(f'SELECT 1 FROM "{table}" WHERE id = ?', (pk,)) is not None


@dataclass(frozen=True)
class MasterData:
    """A collection path (list, create) and its ``{id:int}/`` detail path (read, update)."""

    path: str
    family: Permission
    table: str
    list: Handler
    render: Callable[[sqlite3.Row, Lookups], Json]
    validate: Validate
    defaults: Mapping[str, Any]  # the columns of a new row that the body did not set
    stamp: str  # the modified-at column every write sets to now
    refuse_change: Callable[[sqlite3.Row], None] = _changeable  # raises for rows that cannot be updated
    update_methods: tuple[str, ...] = ("PUT",)
    # Whether an update moves ``stamp`` (a variant may keep it at its creation value).
    stamps_updates: Callable[[RequestContext], bool] = lambda ctx: True

    def routes(self) -> list[ApiRoute]:
        collection = {"GET": self.list, "POST": self.create}
        detail = {"GET": self.get, **dict.fromkeys(self.update_methods, self.update)}
        return [
            ApiRoute(self.path, collection, family=self.family, is_list=True),
            ApiRoute(f"{self.path}{{id:int}}/", detail, family=self.family),
        ]

    def _answer(self, ctx: RequestContext, row_id: int, status: int = 200) -> Response:
        return single(self.render(ctx.state.store.get(self.table, row_id), ctx.lookups), status)

    def _existing(self, ctx: RequestContext) -> sqlite3.Row:
        row = ctx.state.store.get(self.table, ctx.request.path_params["id"])
        if row is None:
            raise not_found()
        return row

    async def get(self, ctx: RequestContext) -> Response:
        return single(self.render(self._existing(ctx), ctx.lookups))

    async def create(self, ctx: RequestContext) -> Response:
        write = self.validate(ctx, await ctx.json_body(), False, None)
        store = ctx.state.store
        with store.transaction():
            row_id = store.next_id(self.table)
            now = stored(ctx.state.now())
            store.insert(self.table, [{**self.defaults, **write.columns, "id": row_id, self.stamp: now}])
            write.then(ctx, row_id)
        ctx.state.master_data_changed()
        return self._answer(ctx, row_id, 201)

    async def update(self, ctx: RequestContext) -> Response:
        """PUT replaces (required fields must be sent again); PATCH changes only the fields sent."""
        current = self._existing(ctx)
        self.refuse_change(current)
        row_id = ctx.request.path_params["id"]
        write = self.validate(ctx, await ctx.json_body(), ctx.request.method == "PATCH", row_id)
        store = ctx.state.store
        with store.transaction():
            stamp = {self.stamp: stored(ctx.state.now())} if self.stamps_updates(ctx) else {}
            store.update(self.table, row_id, {**write.columns, **stamp})
            write.then(ctx, row_id)
        ctx.state.master_data_changed()
        return self._answer(ctx, row_id)
