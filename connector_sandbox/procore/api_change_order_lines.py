"""Commitment change order line items, served on REST **v2.0** (unconfirmed; see README, "Choices where the
reference is unconfirmed").

The reference (§2.6) documents commitment change orders but no line item endpoint in v1.0. Procore's
public material shows ``GET /rest/v2.0/companies/{company_id}/projects/{project_id}/
commitment_change_orders/{commitment_change_order_id}/line_items``; the v2 family's shape is confirmed
(reference §1): ``{"data": [...]}``, ids as **strings**, page size 10 by default and at most 100. The line
fields (``amount`` as a string, ``description``, ``commitment_line_item_id``, a cost code reference) are
unconfirmed; the ``change_order_line_items`` variant switches the endpoint off (404, as an older Procore
would answer) and ``change_order_line_cost_code`` plays lines that name their cost code only through the
commitment line they change.

The lines themselves are generated with their change order (``change_order_lines``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .change_order_lines import TABLE
from .errors import not_found
from .generator import cents
from .listing import ListResult, page_and_size, paging_headers
from .routing import Caller, JsonResponse, int_param
from .store import Store


def _text_id(value: int | None) -> str | None:
    return None if value is None else str(value)


def render(store: Store, rows: list[dict[str, Any]], cost_codes: str) -> list[dict[str, Any]]:
    """v2 rows: ids as strings, money as strings. ``cost_codes``: ``own`` gives every line its
    ``cost_code_id``; ``via_commitment_line`` leaves it out on lines that reference a commitment line."""
    rendered = []
    for row in rows:
        own = cost_codes == "own" or row["commitment_line_item_id"] is None
        rendered.append(
            {
                "id": str(row["id"]),
                "commitment_change_order_id": str(row["change_order_id"]),
                "commitment_line_item_id": _text_id(row["commitment_line_item_id"]),
                "position": row["position"],
                "description": row["description"],
                "amount": cents(row["amount_cents"]),
                "quantity": row["quantity"],
                "unit_cost": row["unit_cost"],
                "uom": row["uom"],
                "cost_code_id": _text_id(row["cost_code_id"]) if own else None,
                "line_item_type_id": _text_id(row["line_item_type_id"]),
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
            }
        )
    return rendered


async def list_change_order_lines(request: Request, caller: Caller) -> Response:
    """``GET /rest/v2.0/companies/{cid}/projects/{pid}/commitment_change_orders/{id}/line_items``."""
    state = caller.state
    variants = state.variants
    if not variants.change_order_line_items:
        raise not_found("Not Found")  # a Procore without this endpoint: the unknown-path answer
    company_id = caller.company(request.path_params.get("company_id"))
    project = caller.project(request.path_params.get("project_id"))
    if project["company_id"] != company_id:
        raise not_found("Project not found")
    change_order_id = int_param(request.path_params.get("change_order_id"), "commitment_change_order_id")
    store = state.store
    change_order = store.get("commitment_change_orders", change_order_id)
    if change_order is None or change_order["project_id"] != project["id"] or change_order["deleted_at"]:
        raise not_found("Change order not found")
    page, per_page = page_and_size(request, variants.v2_default_per_page, variants.v2_max_per_page)
    where = "change_order_id = ? AND deleted_at IS NULL"
    total = int(store.scalar(f"SELECT COUNT(*) FROM {TABLE} WHERE {where}", (change_order_id,)))
    rows = store.all(
        f"SELECT * FROM {TABLE} WHERE {where} ORDER BY position, id LIMIT ? OFFSET ?",
        (change_order_id, per_page, (page - 1) * per_page),
    )
    headers = (
        paging_headers(request, ListResult(rows, total, page, per_page)) if variants.v2_paging_headers else {}
    )
    body = {"data": render(store, rows, variants.change_order_line_cost_code)}
    return JsonResponse(body, headers=headers)
