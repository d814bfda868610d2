"""Setup endpoints: locations, departments, account codes, budget accounts (reference 2.8).

None of these lists has a modified-date filter: clients pull them whole (they are small). Writes:
account codes (create, update; ``code`` is unique) and departments (create, update; the name is unique
within its location when ``department_name_unique_per_branch`` is on). Updates are PUT only, as
documented: every required field is sent again. ``GET .../{id}/`` is a sandbox assumption (a DRF
viewset that has PUT on the detail path has GET there too).
"""

from __future__ import annotations

from typing import Any

from .endpoints import ListEndpoint, ListQuery, per_row
from .errors import invalid
from .factory import budget_account
from .formats import stored
from .listing import Filters
from .master_data import MasterData, Write, exists_in
from .representations import account, account_code, department, location
from .routing import ApiRoute, RequestContext
from .validation import Attributes, BodyValidator

# --- locations --------------------------------------------------------------------------------------


def _location_filters(filters: Filters) -> None:
    filters.flag("active", "l.active")
    filters.search(["l.name", "l.city"])


list_locations = ListEndpoint(
    ListQuery(
        source="locations l",
        orderings={"name": "l.name", "id": "l.id"},
        follows_list_order=False,
    ),
    _location_filters,
    per_row(lambda row, _lookups: location(row)),
)


# --- departments -----------------------------------------------------------------------------------


def _department_filters(filters: Filters) -> None:
    filters.foreign_key("branch", "d.branch_id", "locations")
    filters.foreign_keys(["locations", "locations[]"], "d.branch_id", "locations")
    filters.flag("active", "d.active")
    filters.text("external_id", "d.external_id")
    filters.search(["d.name", "d.external_id"])


list_departments = ListEndpoint(
    ListQuery(
        source="departments d",
        orderings={"name": "d.name", "id": "d.id", "external_id": "d.external_id"},
        default="d.name",
        follows_list_order=False,
    ),
    _department_filters,
    per_row(department),
)


# Reference 2.8: a department write's attributes; its id is read-only.
DEPARTMENT_ATTRIBUTES = Attributes.of(
    ("branch", "name", "external_id", "punchout_email", "active"), read_only=("id",)
)
# Reference 2.8: an account code write's attributes; id and code_length (derived) are read-only.
ACCOUNT_CODE_ATTRIBUTES = Attributes.of(
    ("code", "description", "account_type", "active", "parent", "departments"),
    read_only=("id", "code_length"),
)


def _validate_department(ctx: RequestContext, body: Any, partial: bool, department_id: int | None) -> Write:
    check = BodyValidator(
        body, partial=partial, attributes=DEPARTMENT_ATTRIBUTES, refuse_unknown=ctx.variants.refuses_unknown
    )
    check.primary_key("branch", exists_in(ctx, "locations"), "branch_id", required=True, allow_null=False)
    check.required_string("name", max_length=150)
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
    return Write(clean)


DEPARTMENTS = MasterData(
    path="/api/v3/departments/",
    family="setup",
    table="departments",
    list=list_departments,
    render=department,
    validate=_validate_department,
    defaults={"active": 1, "external_id": None, "punchout_email": None},
    stamp="modified_at",
)


# --- account codes -------------------------------------------------------------------------------------


def _account_code_filters(filters: Filters) -> None:
    filters.flag("active", "c.active")
    filters.text("code", "c.code")
    has_children = "EXISTS (SELECT 1 FROM account_codes k WHERE k.parent_id = c.id)"
    filters.boolean("is_parent", has_children, f"NOT {has_children}")
    filters.search(["c.code", "c.description"])


list_account_codes = ListEndpoint(
    ListQuery(
        source="account_codes c",
        orderings={
            "code": "c.code",
            "description": "c.description",
            "id": "c.id",
            "account_type": "c.account_type",
        },
        default="c.code",
        follows_list_order=False,
    ),
    _account_code_filters,
    per_row(lambda row, _lookups: account_code(row)),
)


def _validate_account_code(ctx: RequestContext, body: Any, partial: bool, code_id: int | None) -> Write:
    """The code's columns; its ``departments`` become budget accounts in the same transaction."""
    check = BodyValidator(
        body, partial=partial, attributes=ACCOUNT_CODE_ATTRIBUTES, refuse_unknown=ctx.variants.refuses_unknown
    )
    code = check.required_string("code", max_length=50)
    check.string("description", max_length=200, allow_null=False)
    check.choice("account_type", range(6))
    check.boolean("active")
    parent = check.primary_key("parent", exists_in(ctx, "account_codes"), "parent_id")
    departments = check.primary_keys("departments", exists_in(ctx, "departments")) or []
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
    return Write(check.clean, lambda ctx, new_id: _add_accounts(ctx, new_id, departments))


def _add_accounts(ctx: RequestContext, code_id: int, departments: list[int]) -> None:
    """Open the code for each listed department that does not have it yet."""
    store, now = ctx.state.store, stored(ctx.state.now())
    for department_id in departments:
        opened = store.scalar(
            "SELECT 1 FROM accounts WHERE account_code_id = ? AND department_id = ?", (code_id, department_id)
        )
        if opened is None:
            store.insert("accounts", [budget_account(store.next_id("accounts"), code_id, department_id, now)])


ACCOUNT_CODES = MasterData(
    path="/api/v3/account-codes/",
    family="setup",
    table="account_codes",
    list=list_account_codes,
    render=lambda row, _lookups: account_code(row),
    validate=_validate_account_code,
    defaults={"description": "", "account_type": 0, "active": 1, "parent_id": None},
    stamp="modified_at",
)


# --- budget accounts ------------------------------------------------------------------------------------


def _account_filters(filters: Filters) -> None:
    filters.foreign_key("account_code", "a.account_code_id", "account_codes")
    filters.foreign_key("department", "a.department_id", "departments")
    filters.flag("active", "a.active")
    filters.flag("in_effect", "a.in_effect")


list_accounts = ListEndpoint(
    ListQuery(
        source="accounts a",
        orderings={"id": "a.id"},
        follows_list_order=False,
    ),
    _account_filters,
    per_row(account),
)


def setup_routes() -> list[ApiRoute]:
    return [
        ApiRoute("/api/v2/locations/", {"GET": list_locations}, family="setup", is_list=True),
        *DEPARTMENTS.routes(),
        *ACCOUNT_CODES.routes(),
        ApiRoute("/api/v3/accounts/", {"GET": list_accounts}, family="setup", is_list=True),
    ]
