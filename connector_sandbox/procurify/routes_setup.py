"""Setup endpoints: locations, departments, account codes, budget accounts (reference 2.8).

None of these lists has a modified-date filter: clients pull them whole (they are small). Writes:
account codes (create, update; ``code`` is unique) and departments (create, update; the name is unique
within its location when ``department_name_unique_per_branch`` is on). Updates are PUT only, as
documented: every required field is sent again. ``GET .../{id}/`` is a sandbox assumption (a DRF
viewset that has PUT on the detail path has GET there too).
"""

from __future__ import annotations

from starlette.responses import Response

from .errors import invalid, not_found
from .formats import stored
from .listing import Filters, fetch_page, ordering
from .representations import account, account_code, department, location
from .responses import listing, single, wanted_format
from .routing import ApiRoute, RequestContext
from .validation import BodyValidator


def _exists(ctx: RequestContext, table: str):
    return lambda pk: ctx.state.store.scalar(f'SELECT 1 FROM "{table}" WHERE id = ?', (pk,)) is not None


# --- locations --------------------------------------------------------------------------------------


async def list_locations(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.boolean("active", "l.active = 1", "l.active = 0")
    filters.search(["l.name", "l.city"])
    filters.check()
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="l.*",
        from_where=f"locations l WHERE {filters.sql()}",
        args=filters.args,
        order=ordering(ctx.request, {"name": "l.name", "id": "l.id"}, "l.id ASC", "l.id ASC"),
    )
    return listing(ctx.request, page, [location(row) for row in page.rows])


# --- departments -----------------------------------------------------------------------------------


async def list_departments(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.foreign_key("branch", "d.branch_id", "locations")
    filters.foreign_keys(["locations", "locations[]"], "d.branch_id", "locations")
    filters.boolean("active", "d.active = 1", "d.active = 0")
    filters.text("external_id", "d.external_id")
    filters.search(["d.name", "d.external_id"])
    filters.check()
    order = ordering(
        ctx.request,
        {"name": "d.name", "id": "d.id", "external_id": "d.external_id"},
        "d.name ASC",
        "d.id ASC",
    )
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="d.*",
        from_where=f"departments d WHERE {filters.sql()}",
        args=filters.args,
        order=order,
    )
    return listing(ctx.request, page, [department(row, ctx.lookups) for row in page.rows])


def _validate_department(
    ctx: RequestContext, body: object, *, partial: bool, department_id: int | None
) -> dict:
    check = BodyValidator(body, partial=partial)
    check.primary_key("branch", _exists(ctx, "locations"), "branch_id", required=True, allow_null=False)
    check.string("name", required=True, max_length=150, allow_null=False, allow_blank=False)
    check.string("external_id", max_length=100)
    check.string("punchout_email", max_length=254)
    check.boolean("active")
    check.check()
    clean = check.clean
    if ctx.variants.department_name_unique_per_branch:
        current = ctx.state.store.get("departments", department_id) if department_id else None
        branch = clean.get("branch_id", current["branch_id"] if current else None)
        name = clean.get("name", current["name"] if current else None)
        clash = ctx.state.store.scalar(
            "SELECT id FROM departments WHERE branch_id = ? AND name = ? AND id != ?",
            (branch, name, department_id or 0),
        )
        if clash is not None:
            raise invalid({"non_field_errors": ["The fields branch, name must make a unique set."]})
    return clean


async def create_department(ctx: RequestContext) -> Response:
    clean = _validate_department(ctx, await ctx.json_body(), partial=False, department_id=None)
    store = ctx.state.store
    with store.transaction():
        department_id = store.next_id("departments")
        store.insert(
            "departments",
            [
                {
                    "id": department_id,
                    "active": 1,
                    "external_id": None,
                    "punchout_email": None,
                    **clean,
                    "modified_at": stored(ctx.state.now()),
                }
            ],
        )
    ctx.state.master_data_changed()
    return single(department(store.get("departments", department_id), ctx.lookups), 201)


async def get_department(ctx: RequestContext) -> Response:
    row = ctx.state.store.get("departments", ctx.request.path_params["id"])
    if row is None:
        raise not_found()
    return single(department(row, ctx.lookups))


async def update_department(ctx: RequestContext) -> Response:
    department_id = ctx.request.path_params["id"]
    store = ctx.state.store
    if store.get("departments", department_id) is None:
        raise not_found()
    clean = _validate_department(ctx, await ctx.json_body(), partial=False, department_id=department_id)
    with store.transaction():
        store.update("departments", department_id, {**clean, "modified_at": stored(ctx.state.now())})
    ctx.state.master_data_changed()
    return single(department(store.get("departments", department_id), ctx.lookups))


# --- account codes -------------------------------------------------------------------------------------


async def list_account_codes(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.boolean("active", "c.active = 1", "c.active = 0")
    filters.text("code", "c.code")
    has_children = "EXISTS (SELECT 1 FROM account_codes k WHERE k.parent_id = c.id)"
    filters.boolean("is_parent", has_children, f"NOT {has_children}")
    filters.search(["c.code", "c.description"])
    filters.check()
    order = ordering(
        ctx.request,
        {"code": "c.code", "description": "c.description", "id": "c.id", "account_type": "c.account_type"},
        "c.code ASC",
        "c.id ASC",
    )
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="c.*",
        from_where=f"account_codes c WHERE {filters.sql()}",
        args=filters.args,
        order=order,
    )
    return listing(ctx.request, page, [account_code(row) for row in page.rows])


def _validate_account_code(
    ctx: RequestContext, body: object, *, partial: bool, code_id: int | None
) -> tuple[dict, list[int]]:
    check = BodyValidator(body, partial=partial)
    code = check.string("code", required=True, max_length=50, allow_null=False, allow_blank=False)
    check.string("description", max_length=200, allow_null=False)
    check.choice("account_type", range(6))
    check.boolean("active")
    parent = check.primary_key("parent", _exists(ctx, "account_codes"), "parent_id")
    departments = check.primary_keys("departments", _exists(ctx, "departments")) or []
    if parent is not None and code_id is not None and parent == code_id:
        check.error("parent", "An account code cannot be its own parent.")
    if (
        code is not None
        and ctx.state.store.scalar(
            "SELECT id FROM account_codes WHERE code = ? AND id != ?", (code, code_id or 0)
        )
        is not None
    ):
        check.error("code", "account code with this code already exists.")
    check.check()
    return check.clean, departments


def _add_accounts(ctx: RequestContext, code_id: int, departments: list[int]) -> None:
    store, now = ctx.state.store, stored(ctx.state.now())
    for department_id in departments:
        if (
            store.scalar(
                "SELECT 1 FROM accounts WHERE account_code_id = ? AND department_id = ?",
                (code_id, department_id),
            )
            is None
        ):
            store.insert(
                "accounts",
                [
                    {
                        "id": store.next_id("accounts"),
                        "account_code_id": code_id,
                        "department_id": department_id,
                        "active": 1,
                        "in_effect": 1,
                        "modified_at": now,
                    }
                ],
            )


async def create_account_code(ctx: RequestContext) -> Response:
    clean, departments = _validate_account_code(ctx, await ctx.json_body(), partial=False, code_id=None)
    store = ctx.state.store
    with store.transaction():
        code_id = store.next_id("account_codes")
        row = {"id": code_id, "description": "", "account_type": 0, "active": 1, "parent_id": None, **clean}
        store.insert("account_codes", [{**row, "modified_at": stored(ctx.state.now())}])
        _add_accounts(ctx, code_id, departments)
    ctx.state.master_data_changed()
    return single(account_code(store.get("account_codes", code_id)), 201)


async def get_account_code(ctx: RequestContext) -> Response:
    row = ctx.state.store.get("account_codes", ctx.request.path_params["id"])
    if row is None:
        raise not_found()
    return single(account_code(row))


async def update_account_code(ctx: RequestContext) -> Response:
    code_id = ctx.request.path_params["id"]
    store = ctx.state.store
    if store.get("account_codes", code_id) is None:
        raise not_found()
    clean, departments = _validate_account_code(ctx, await ctx.json_body(), partial=False, code_id=code_id)
    with store.transaction():
        store.update("account_codes", code_id, {**clean, "modified_at": stored(ctx.state.now())})
        _add_accounts(ctx, code_id, departments)
    ctx.state.master_data_changed()
    return single(account_code(store.get("account_codes", code_id)))


# --- budget accounts ------------------------------------------------------------------------------------


async def list_accounts(ctx: RequestContext) -> Response:
    wanted_format(ctx.request)
    filters = Filters(ctx.request, ctx.state.store)
    filters.foreign_key("account_code", "a.account_code_id", "account_codes")
    filters.foreign_key("department", "a.department_id", "departments")
    filters.boolean("active", "a.active = 1", "a.active = 0")
    filters.boolean("in_effect", "a.in_effect = 1", "a.in_effect = 0")
    filters.check()
    page = fetch_page(
        ctx.request,
        ctx.state.store,
        ctx.variants,
        select="a.*",
        from_where=f"accounts a WHERE {filters.sql()}",
        args=filters.args,
        order=ordering(ctx.request, {"id": "a.id"}, "a.id ASC", "a.id ASC"),
    )
    return listing(ctx.request, page, [account(row, ctx.lookups) for row in page.rows])


def setup_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/api/v2/locations/", {"GET": list_locations}, family="setup", is_list=True),
        ApiRoute(
            "/api/v3/departments/",
            {"GET": list_departments, "POST": create_department},
            family="setup",
            is_list=True,
        ),
        ApiRoute(
            "/api/v3/departments/{id:int}/",
            {"GET": get_department, "PUT": update_department},
            family="setup",
        ),
        ApiRoute(
            "/api/v3/account-codes/",
            {"GET": list_account_codes, "POST": create_account_code},
            family="setup",
            is_list=True,
        ),
        ApiRoute(
            "/api/v3/account-codes/{id:int}/",
            {"GET": get_account_code, "PUT": update_account_code},
            family="setup",
        ),
        ApiRoute("/api/v3/accounts/", {"GET": list_accounts}, family="setup", is_list=True),
    ]
