"""What the handlers of every resource share, driven by a small spec per resource.

``Entity`` names a resource's table, the column that ties a row to its parent (project, company,
commitment, requisition) and its 404 text: one lookup serves show, update, delete and sync by id, and a
row of another parent, or a soft-deleted one, is simply not found (reference quirk 4). It also stamps
and writes new and changed rows. ``list_handler`` serves a list endpoint from its ``ListSpec``, the scope
of the call and a renderer; ``Writable`` drives a resource's create (``POST``), update
(``PATCH .../{id}``) and batch (``PATCH .../sync``) handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from .clock import now_stamp
from .documented_lists import as_documented
from .errors import not_found
from .listing import ListSpec, paging_headers, run_list
from .routing import Caller, Handler, JsonResponse, int_param, json_body, param, path_id, view_param
from .settings import VariantSettings
from .store import Store
from .validation import expect_object
from .writes import run_sync

Row = dict[str, Any]
Scope = tuple[str, list[Any]]  # an SQL condition on the listed table and its parameters
P = TypeVar("P")  # what a resource's rows hang from: a project, a company id, a commitment ...


@dataclass(frozen=True)
class Entity:
    """A stored resource: its table, the parent its rows hang from, its 404 text."""

    table: str
    owner: str  # the column naming the parent: "project_id", "company_id", "commitment_id", ...
    missing: str  # the 404 text
    soft_delete: bool = False  # rows with deleted_at set are gone

    def find(self, store: Store, owner_id: int, row_id: int, **match: Any) -> Row | None:
        """The row if it hangs from ``owner_id``, matches ``match`` column by column and is not deleted."""
        row = store.get(self.table, row_id)
        if row is None or row[self.owner] != owner_id or any(row[k] != v for k, v in match.items()):
            return None
        return None if self.soft_delete and row["deleted_at"] else row

    def get(self, store: Store, owner_id: int, row_id: int, **match: Any) -> Row:
        """``find`` or 404."""
        row = self.find(store, owner_id, row_id, **match)
        if row is None:
            raise not_found(self.missing)
        return row

    def by_origin(
        self, store: Store, column: str, value: int, origin: str, *, live: bool = False
    ) -> Row | None:
        """The row with ``origin_id`` among those whose ``column`` is ``value`` (not deleted if ``live``)."""
        deleted = " AND deleted_at IS NULL" if live else ""
        return store.one(
            f"SELECT * FROM {self.table} WHERE {column} = ? AND origin_id = ?{deleted}", (value, origin)
        )

    def insert(self, store: Store, values: Row) -> Row:
        """Store a new row stamped created and updated now; returns it as stored."""
        now = now_stamp()
        return store.get(
            self.table, store.insert(self.table, {**values, "created_at": now, "updated_at": now})
        )

    def save(self, store: Store, existing: Row, values: Row) -> Row:
        """Write what ``values`` changes on ``existing``, stamped ``updated_at``; returns those changes."""
        changed = changes(existing, values)
        if changed:
            changed["updated_at"] = now_stamp()
            store.update(self.table, existing["id"], changed)
        return changed

    def created(self, caller: Caller, values: Row, resource: str, project_id: int | None) -> Row:
        """``insert``, announced as a ``resource`` create event."""
        row = self.insert(caller.state.store, values)
        caller.emit(resource, "create", row["id"], project_id)
        return row

    def updated(
        self, caller: Caller, existing: Row, values: Row, resource: str, project_id: int | None
    ) -> Row:
        """``save``, announced as a ``resource`` update event if it changed anything; the row as stored."""
        if self.save(caller.state.store, existing, values):
            caller.emit(resource, "update", existing["id"], project_id)
        return caller.state.store.get(self.table, existing["id"])

    def deleted(self, caller: Caller, existing: Row, resource: str, project_id: int | None) -> str:
        """``soft_delete``, announced as a ``resource`` delete event; returns the stamp."""
        now = soft_delete(caller.state.store, self.table, existing["id"])
        caller.emit(resource, "delete", existing["id"], project_id)
        return now


def soft_delete(store: Store, table: str, row_id: int, now: str | None = None) -> str:
    """The row stays, stamped ``deleted_at`` (``now`` by default); returns the stamp."""
    now = now or now_stamp()
    store.update(table, row_id, {"deleted_at": now, "updated_at": now})
    return now


def changes(existing: Row, values: Row) -> Row:
    """The values that differ from the stored row."""
    return {k: v for k, v in values.items() if existing.get(k) != v}


def list_handler(
    spec: ListSpec | Callable[[VariantSettings], ListSpec],
    scope: Callable[[Request, Caller], Scope],
    render: Callable[..., list[Row]],
    view: str | None = None,
) -> Handler:
    """A list endpoint: the page of ``spec``'s rows within the call's scope, rendered, with paging headers.

    ``spec`` may depend on the live variants (a list whose paging is unconfirmed); ``view`` is the
    default of ``?view=`` where the list has views.
    """

    async def handler(request: Request, caller: Caller) -> Response:
        state = caller.state
        where = scope(request, caller)
        listed = as_documented(
            spec if isinstance(spec, ListSpec) else spec(state.variants), request.method, request.url.path
        )
        result = run_list(state.store, listed, request, where, state.variants, state.faults)
        views = () if view is None else (view_param(request, view),)
        body = render(state.store, result.rows, *views)
        return JsonResponse(body, headers=paging_headers(request, result))

    return handler


def in_project(
    condition: str = "project_id = ?", *, from_path: bool = False, **narrowing: str
) -> Callable[[Request, Caller], Scope]:
    """The scope of a list under a project (``?project_id=``, or ``{project_id}`` in the path):
    ``condition`` on the project's id, narrowed by each optional integer query parameter in
    ``narrowing`` (parameter name = column)."""

    def scope(request: Request, caller: Caller) -> Scope:
        project = caller.project(_named(request, "project_id", from_path))
        return _narrowed(request, (condition, [project["id"]]), narrowing)

    return scope


def in_company(
    condition: str = "company_id = ?", *, from_path: bool = False, **narrowing: str
) -> Callable[[Request, Caller], Scope]:
    """The scope of a list under a company, as ``in_project``."""

    def scope(request: Request, caller: Caller) -> Scope:
        company_id = caller.company(_named(request, "company_id", from_path))
        return _narrowed(request, (condition, [company_id]), narrowing)

    return scope


def _named(request: Request, name: str, from_path: bool) -> Any:
    return (request.path_params if from_path else request.query_params).get(name)


def _narrowed(request: Request, scope: Scope, narrowing: dict[str, str]) -> Scope:
    where, params = scope[0], list(scope[1])
    for name, column in narrowing.items():
        raw = request.query_params.get(name)
        if raw is not None:
            where += f" AND {column} = ?"
            params.append(int_param(raw, name))
    return where, params


@dataclass(frozen=True, kw_only=True)
class Resource(Generic[P]):
    """Where a resource's records hang from and how they render: enough to show one.

    ``parent`` resolves the owner a call names (``project_id`` / ``company_id`` from the query string or
    body, a commitment from the path); ``key`` gives the owner's id and any further columns a record
    must match (a commitment's kind).
    """

    entity: Entity
    parent: Callable[[Request, Caller, Row], P]
    key: Callable[[P], tuple[int, Row]] = lambda parent: (parent["id"], {})
    render: Callable[..., list[Row]]
    view: str | None = None  # the default of ``?view=`` on show; None: no views, the renderer's default

    def find(self, caller: Caller, parent: P, row_id: int) -> Row | None:
        owner_id, match = self.key(parent)
        return self.entity.find(caller.state.store, owner_id, row_id, **match)

    def get(self, caller: Caller, parent: P, row_id: int) -> Row:
        owner_id, match = self.key(parent)
        return self.entity.get(caller.state.store, owner_id, row_id, **match)

    def one(self, caller: Caller, row: Row, status_code: int = 200) -> Response:
        return JsonResponse(self.render(caller.state.store, [row])[0], status_code=status_code)

    async def show(self, request: Request, caller: Caller) -> Response:
        row = self.get(caller, self.parent(request, caller, {}), path_id(request))
        if self.view is None:
            return self.one(caller, row)
        return JsonResponse(self.render(caller.state.store, [row], view_param(request, self.view))[0])


@dataclass(frozen=True, kw_only=True)
class Writable(Resource[P]):
    """A resource's writes: create (``POST``), update (``PATCH .../{id}``) and batch (``PATCH .../sync``)."""

    body_key: str  # the object the record comes under in a body: {"vendor": {...}}
    create: Callable[[Caller, P, Row], Row]
    update: Callable[[Caller, P, Row, Row], Row]
    by_origin: Callable[[Caller, P, str], Row | None]  # the record a sync row's origin_id upserts
    before_sync: Callable[[P], None] = lambda parent: None  # refuses a whole batch (a locked parent)

    def payload(self, body: Row) -> Row:
        return expect_object(body.get(self.body_key), self.body_key)

    async def post(self, request: Request, caller: Caller) -> Response:
        body = await json_body(request)
        parent = self.parent(request, caller, body)
        return self.one(caller, self.create(caller, parent, self.payload(body)), 201)

    async def patch(self, request: Request, caller: Caller) -> Response:
        body = await json_body(request)
        parent = self.parent(request, caller, body)
        existing = self.get(caller, parent, path_id(request))
        return self.one(caller, self.update(caller, parent, existing, self.payload(body)))

    async def sync(self, request: Request, caller: Caller) -> Response:
        body = await json_body(request)
        parent = self.parent(request, caller, body)
        self.before_sync(parent)
        return run_sync(
            body,
            find_by_id=lambda row_id: self.find(caller, parent, row_id),
            find_by_origin=lambda origin: self.by_origin(caller, parent, origin),
            create=lambda row: self.create(caller, parent, row),
            update=lambda existing, row: self.update(caller, parent, existing, row),
            render=lambda rows: self.render(caller.state.store, rows),
        )


def project_param(request: Request, caller: Caller, body: Row) -> Row:
    """The project a call names by ``project_id`` in its query string or body."""
    return caller.project(param(request, body, "project_id"))


def company_param(request: Request, caller: Caller, body: Row) -> int:
    """The company a call names by ``company_id`` in its query string or body."""
    return caller.company(param(request, body, "company_id"))


def project_in_path(request: Request, caller: Caller, body: Row) -> Row:
    """The project of a ``/projects/{project_id}/...`` path."""
    return caller.project(request.path_params.get("project_id"))
