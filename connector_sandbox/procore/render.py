"""Stored rows as Procore's JSON, per resource and per ``view``.

Renderers take a page of rows and fetch what they join (vendors, cost codes, totals) in one query per
page, so a list never costs a query per record. Money follows the reference: strings on commitments,
change orders and requisitions (``"12500.00"``), floats on budget lines. Field lists per view where
Procore's are unpublished (compact / normal) are our choice and documented in the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .generator import cents
from .store import Store

Row = dict[str, Any]


# Columns stored as 0 / 1 that Procore shows as false / true.
_FLAGS = frozenset(
    {
        "active",
        "authorized_bidder",
        "budgeted",
        "executed",
        "final",
        "is_active",
        "paid",
        "prequalified",
        "private",
        "requisitions_are_enabled",
        "synced_to_erp",
        "union_member",
    }
)
_STAMPS = ("created_at", "updated_at")


def _columns(row: Row, *names: str) -> Row:
    """The named columns as Procore shows them: as stored, flags as booleans."""
    return {name: bool(row[name]) if name in _FLAGS else row[name] for name in names}


def fields(rows: Iterable[Row], *names: str) -> list[Row]:
    """Each row's ``names`` columns, as Procore shows them."""
    return [_columns(row, *names) for row in rows]


def _ids(rows: Iterable[Row], key: str = "id") -> list[int]:
    return sorted({row[key] for row in rows if row.get(key) is not None})


def _marks(ids: list[Any]) -> str:
    return ", ".join("?" for _ in ids)


def _by_id(store: Store, table: str, ids: list[int], columns: str = "*") -> dict[int, Row]:
    if not ids:
        return {}
    rows = store.all(f"SELECT {columns} FROM {table} WHERE id IN ({_marks(ids)})", ids)
    return {row["id"]: row for row in rows}


def _sum_by(store: Store, sql: str, ids: list[int], *params: Any) -> dict[int, int]:
    """``{k: v}`` from ``sql`` (selecting ``k`` and ``v`` where a column is ``IN ({marks})``)."""
    if not ids:
        return {}
    return {row["k"]: row["v"] or 0 for row in store.all(sql.format(marks=_marks(ids)), [*ids, *params])}


def _origin(row: Row) -> dict[str, Any]:
    return {
        "origin_id": row["origin_id"],
        "origin_code": row.get("origin_code"),
        "origin_data": row["origin_data"],
    }


def _parent(row: Row) -> Row | None:
    return {"id": row["parent_id"]} if row["parent_id"] else None


def _currency(code: str) -> Row:
    return {"currency_iso_code": code}


def _in_view(full: Row, keys: tuple[str, ...] | None) -> Row:
    """The fields of a narrower view (``keys``), or all of them (``None``)."""
    return full if keys is None else {key: full[key] for key in keys}


# -- company, projects --------------------------------------------------------------------------------


def company(row: Row) -> Row:
    return _columns(row, "id", "name", "is_active")


def projects(store: Store, rows: list[Row]) -> list[Row]:
    companies = _by_id(store, "companies", _ids(rows, "company_id"))
    return [
        {
            **_columns(
                row,
                "id",
                "name",
                "display_name",
                "project_number",
                "active",
                "address",
                "city",
                "state_code",
                "zip",
                "country_code",
            ),
            "company": {"id": row["company_id"], "name": companies[row["company_id"]]["name"]},
            **_origin(row),
            **_columns(row, *_STAMPS),
        }
        for row in rows
    ]


# -- vendors ------------------------------------------------------------------------------------------

VENDOR_COMPACT = ("id", "name", "is_active", "origin_id", "origin_code", "updated_at")
VENDOR_NORMAL = (
    *VENDOR_COMPACT,
    "abbreviated_name",
    "address",
    "city",
    "state_code",
    "zip",
    "country_code",
    "business_phone",
    "email_address",
    "synced_to_erp",
    "created_at",
)
VENDOR_VIEWS = {"compact": VENDOR_COMPACT, "normal": VENDOR_NORMAL}


def vendors(store: Store, rows: list[Row], view: str = "extended") -> list[Row]:
    parents = _by_id(store, "vendors", _ids(rows, "parent_id"), "id, name")
    trade_ids = sorted({tid for row in rows for tid in json.loads(row["trade_ids"])})
    trades = _by_id(store, "trades", trade_ids, "id, name")
    rendered = []
    for row in rows:
        parent = parents.get(row["parent_id"])
        full = {
            **_columns(row, "id", "name", "abbreviated_name", "trade_name", "legal_name"),
            **_columns(row, "address", "city", "state_code", "zip", "country_code"),
            **_columns(row, "business_phone", "mobile_phone", "fax_number", "email_address", "website"),
            **_columns(row, "is_active", "license_number", "union_member", "labor_union"),
            **_columns(row, "prequalified", "authorized_bidder", "notes"),
            **_origin(row),
            **_columns(row, "synced_to_erp"),
            "parent": {"id": parent["id"], "name": parent["name"]} if parent else None,
            "vendor_group": None,
            "primary_contact": None,
            "business_register": json.loads(row["business_register"]) if row["business_register"] else None,
            "trades": [trades[t] for t in json.loads(row["trade_ids"]) if t in trades],
            "standard_cost_codes": [{"id": s} for s in json.loads(row["standard_cost_code_ids"])],
            "project_ids": json.loads(row["project_ids"]),
            **_columns(row, *_STAMPS),
        }
        rendered.append(_in_view(full, VENDOR_VIEWS.get(view)))
    return rendered


# -- cost codes, cost types -----------------------------------------------------------------------------


def line_item_types(store: Store, company_id: int) -> list[Row]:
    return fields(
        store.all("SELECT * FROM line_item_types WHERE company_id = ? ORDER BY id", (company_id,)),
        "id",
        "name",
        "code",
        "base_type",
    )


def cost_codes(store: Store, rows: list[Row], view: str = "normal") -> list[Row]:
    types = line_item_types(store, rows[0]["company_id"]) if rows else []
    rendered = []
    for row in rows:
        item = {
            **_columns(row, "id", "code", "full_code", "name"),
            "parent": _parent(row),
            "origin_id": row["origin_id"],
        }
        if view != "compact":
            item.update(
                {
                    **_columns(row, "position", "standard_cost_code_id"),
                    "biller": "Project",
                    "biller_id": row["project_id"],
                    "biller_type": "Project",
                    **_columns(row, "budgeted", "origin_data"),
                    "line_item_types": types,
                    **_columns(row, *_STAMPS, "deleted_at"),
                }
            )
        rendered.append(item)
    return rendered


def standard_cost_codes(rows: list[Row]) -> list[Row]:
    return [
        {
            **_columns(row, "id", "code", "full_code", "name", "parent_id"),
            "standard_cost_code_list_id": row["list_id"],
            **_columns(row, "origin_id", "origin_data"),
        }
        for row in rows
    ]


# -- commitments ----------------------------------------------------------------------------------------

COMMITMENT_COMPACT = (
    "id",
    "number",
    "title",
    "status",
    "executed",
    "vendor",
    "project",
    "private",
    "origin_id",
    "origin_code",
    "created_at",
    "updated_at",
    "deleted_at",
)


def commitment_totals(store: Store, ids: list[int]) -> dict[int, dict[str, int]]:
    """Money per commitment, from its lines, change orders and invoices (all cents)."""
    lines = _sum_by(
        store,
        "SELECT commitment_id AS k, SUM(amount_cents) AS v FROM commitment_line_items "
        "WHERE commitment_id IN ({marks}) AND deleted_at IS NULL GROUP BY commitment_id",
        ids,
    )
    by_status = {
        status: _sum_by(
            store,
            "SELECT contract_id AS k, SUM(grand_total_cents) AS v FROM commitment_change_orders "
            "WHERE contract_id IN ({marks}) AND status = ? AND deleted_at IS NULL GROUP BY contract_id",
            ids,
            status,
        )
        for status in ("approved", "pending", "draft")
    }
    invoiced = _sum_by(
        store,
        "SELECT r.commitment_id AS k, "
        "SUM(i.work_completed_this_period_cents + i.materials_presently_stored_cents) AS v "
        "FROM requisitions r JOIN requisition_items i ON i.requisition_id = r.id "
        "WHERE r.commitment_id IN ({marks}) AND r.deleted_at IS NULL GROUP BY r.commitment_id",
        ids,
    )
    return {
        cid: {
            "grand_total": lines.get(cid, 0),
            "approved_change_orders": by_status["approved"].get(cid, 0),
            "pending_change_orders": by_status["pending"].get(cid, 0),
            "draft_change_orders_amount": by_status["draft"].get(cid, 0),
            "total_requisitions_amount": invoiced.get(cid, 0),
        }
        for cid in ids
    }


_PURCHASE_ORDER_ONLY = ("delivery_date", "payment_terms", "ship_to_address", "bill_to_address", "ship_via")


def commitments(
    store: Store, rows: list[Row], view: str = "extended", *, with_type: bool = False
) -> list[Row]:
    vendors_ = _by_id(store, "vendors", _ids(rows, "vendor_id"), "id, name")
    projects_ = _by_id(store, "projects", _ids(rows, "project_id"), "id, name, display_name")
    totals = commitment_totals(store, _ids(rows))
    rendered = []
    for row in rows:
        money = totals[row["id"]]
        revised = money["grand_total"] + money["approved_change_orders"]
        paid = row["total_payments_cents"]
        project = projects_.get(row["project_id"])
        vendor = vendors_.get(row["vendor_id"])
        full = {
            **_columns(row, "id", "number", "title", "description", "status", "executed"),
            "vendor": {"id": vendor["id"], "company": vendor["name"]} if vendor else None,
            "project": {"id": project["id"], "name": project["display_name"]} if project else None,
            **_columns(row, "contract_date", "delivery_date", "issued_on_date", "execution_date"),
            "grand_total": cents(money["grand_total"]),
            "revised_contract": cents(revised),
            "approved_change_orders": cents(money["approved_change_orders"]),
            "pending_change_orders": cents(money["pending_change_orders"]),
            "draft_change_orders_amount": cents(money["draft_change_orders_amount"]),
            "total_payments": cents(paid),
            "total_requisitions_amount": cents(money["total_requisitions_amount"]),
            "remaining_balance_outstanding": cents(revised - paid),
            "percentage_paid": f"{(paid * 100 / revised) if revised else 0:.2f}",
            **_columns(
                row,
                "retainage_percent",
                "payment_terms",
                "ship_to_address",
                "bill_to_address",
                "ship_via",
                "private",
                "requisitions_are_enabled",
                "accounting_method",
            ),
            **_origin(row),
            "currency_configuration": _currency(row["currency_iso_code"]),
            **_columns(row, *_STAMPS, "deleted_at"),
        }
        if row["kind"] == "WorkOrderContract":  # a subcontract has no shipping or payment terms (SDK model)
            for name in _PURCHASE_ORDER_ONLY:
                full.pop(name, None)
        full = _in_view(full, COMMITMENT_COMPACT if view == "compact" else None)
        if with_type:  # /commitments: the SDK's Commitment, both kinds in one list
            full = {
                **_columns(row, "id", "title", "number", "status", "description", "executed"),
                "delivery_date": row["delivery_date"],
                "created_at": row["created_at"],
                **_columns(row, "private"),
                "vendor": {"id": vendor["id"], "name": vendor["name"]} if vendor else None,
            }
        rendered.append(full)
    return rendered


def commitment_line_items(store: Store, rows: list[Row]) -> list[Row]:
    codes = _by_id(store, "cost_codes", _ids(rows, "cost_code_id"), "id, name, code, full_code")
    types = _by_id(store, "line_item_types", _ids(rows, "line_item_type_id"), "id, name, code, base_type")
    return [
        {
            **_columns(row, "id", "position", "description"),
            "amount": cents(row["amount_cents"]),
            **_columns(row, "quantity", "unit_cost", "uom"),
            "cost_code": codes.get(row["cost_code_id"]),
            "line_item_type": types.get(row["line_item_type_id"]),
            **_columns(row, "origin_id", "origin_data", *_STAMPS),
        }
        for row in rows
    ]


# -- change orders --------------------------------------------------------------------------------------


def change_orders(store: Store, rows: list[Row], view: str = "normal") -> list[Row]:
    users = _by_id(store, "users", _ids(rows, "created_by_id"), "id, name, login")
    currencies = _by_id(store, "projects", _ids(rows, "project_id"), "id, currency_iso_code")
    rendered = []
    for row in rows:
        user = users.get(row["created_by_id"])
        item = {
            **_columns(row, "id", "number", "title", "description", "status", "contract_id", "batch_id"),
            "legacy_package_id": row["package_id"],
            "grand_total": cents(row["grand_total_cents"]),
            **_columns(row, "executed", "paid", "due_date", "invoiced_date", "reviewed_at", *_STAMPS),
            "created_by": _columns(user, "id", "name") if user else None,
            "change_order_change_reason": {"id": None, "change_reason": row["change_reason"]}
            if row["change_reason"]
            else None,
            "currency_configuration": _currency(
                currencies.get(row["project_id"], {}).get("currency_iso_code", "USD")
            ),
        }
        if view == "extended":
            item["change_events"] = []  # change events are not simulated
        rendered.append(item)
    return rendered


def change_order_packages(store: Store, rows: list[Row]) -> list[Row]:
    totals = _sum_by(
        store,
        "SELECT package_id AS k, SUM(grand_total_cents) AS v FROM commitment_change_orders "
        "WHERE package_id IN ({marks}) GROUP BY package_id",
        _ids(rows),
    )
    return [
        {
            **_columns(row, "id", "number", "title", "status", "contract_id"),
            "grand_total": cents(totals.get(row["id"], 0)),
            **_columns(row, *_STAMPS, "deleted_at"),
        }
        for row in rows
    ]


# -- requisitions ---------------------------------------------------------------------------------------


def _retainage(amount_cents: int, percent: str) -> int:
    value = Decimal(amount_cents) * Decimal(percent) / Decimal(100)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(part: int, whole: int) -> str:
    return f"{(Decimal(part) * 100 / Decimal(whole)) if whole else Decimal(0):.2f}%"


def requisition_item_amounts(item: Row, carried: int = 0) -> dict[str, int]:
    """One line's G703 amounts in cents, each retainage rounded on its own as Procore's line fields show
    them: on work before this period, on work this period, on the materials stored now. ``carried``:
    materials stored on earlier invoices and still shown as stored (a contract that does not move them
    to work completed before); 0 where they are moved."""
    percent = item["retainage_percent"]
    work = item["work_completed_this_period_cents"]
    stored = item["materials_presently_stored_cents"]
    previous = item["previous_work_cents"]
    previous_retainage = _retainage(previous, percent)
    work_retainage = _retainage(previous + work, percent) - previous_retainage
    materials_retainage = _retainage(stored + carried, percent)
    carried_retainage = _retainage(carried, percent)
    return {
        "this_period": work + stored,
        "to_date": previous + carried + work + stored,
        "stored": stored + carried,
        "carried": carried,
        "retainage": previous_retainage + work_retainage + materials_retainage,
        "previous_retainage": previous_retainage,
        "carried_retainage": carried_retainage,
        "work_retainage": work_retainage,
        "materials_retainage": materials_retainage,
    }


def carried_materials(store: Store, items: list[Row]) -> dict[int, int]:
    """Item id -> materials its line stored on the commitment's earlier invoices, where the contract keeps
    them as a running stored balance (the ``move_materials_to_previous_work_completed`` variant off);
    empty where they are moved into work completed before."""
    ids = _ids(items)
    if not ids or store.materials_moved():
        return {}
    return _sum_by(
        store,
        "SELECT i.id AS k, SUM(e.materials_presently_stored_cents) AS v FROM requisition_items i "
        "JOIN requisitions r ON r.id = i.requisition_id "
        "JOIN requisitions p ON p.commitment_id = r.commitment_id AND p.number < r.number "
        "AND p.deleted_at IS NULL "
        "JOIN requisition_items e ON e.requisition_id = p.id AND e.line_item_id = i.line_item_id "
        "WHERE i.id IN ({marks}) GROUP BY i.id",
        ids,
    )


def requisitions(store: Store, rows: list[Row], *, with_items: bool = False) -> list[Row]:
    commitments_ = _by_id(store, "commitments", _ids(rows, "commitment_id"))
    vendors_ = _by_id(store, "vendors", _ids(commitments_.values(), "vendor_id"), "id, name")
    totals = commitment_totals(store, list(commitments_))
    ids = _ids(rows)
    items_by: dict[int, list[Row]] = {}
    if ids:
        for item in store.all(
            f"SELECT * FROM requisition_items WHERE requisition_id IN ({_marks(ids)}) ORDER BY id", ids
        ):
            items_by.setdefault(item["requisition_id"], []).append(item)
    rendered = []
    for row in rows:
        commitment = commitments_.get(row["commitment_id"]) or {}
        money = totals.get(row["commitment_id"], {"grand_total": 0, "approved_change_orders": 0})
        contract_sum = money["grand_total"] + money["approved_change_orders"]
        items = items_by.get(row["id"], [])
        carried = carried_materials(store, items)
        amounts = [requisition_item_amounts(item, carried.get(item["id"], 0)) for item in items]
        claimed = sum(a["this_period"] for a in amounts)
        to_date = sum(a["to_date"] for a in amounts)
        retainage = sum(a["retainage"] for a in amounts)
        previous = sum(item["previous_work_cents"] for item in items) + sum(a["carried"] for a in amounts)
        previous_certificates = previous - sum(
            a["previous_retainage"] + a["carried_retainage"] for a in amounts
        )
        earned = to_date - retainage
        vendor = vendors_.get(commitment.get("vendor_id"))
        body = {
            **_columns(row, "id", "number", "invoice_number", "commitment_id"),
            "commitment_type": commitment.get("kind"),
            "contract_name": commitment.get("title"),
            "vendor_name": vendor["name"] if vendor else None,
            **_columns(
                row,
                "period_id",
                "billing_date",
                "requisition_start",
                "requisition_end",
                "status",
                "erp_status",
                "submitted_at",
                "payment_date",
                "final",
            ),
            "percent_complete": _percent(to_date, contract_sum),
            "total_claimed_amount": cents(claimed),
            **_columns(row, "origin_id", "origin_data"),
            "summary": {
                "contract_sum_to_date": cents(contract_sum),
                "total_completed_and_stored_to_date": cents(to_date),
                "total_retainage": cents(retainage),
                "total_earned_less_retainage": cents(earned),
                "less_previous_certificates_for_payment": cents(previous_certificates),
                "current_payment_due": cents(earned - previous_certificates),
                "balance_to_finish_including_retainage": cents(contract_sum - earned),
                "completed_work_retainage_amount": cents(
                    sum(a["previous_retainage"] + a["work_retainage"] for a in amounts)
                ),
                "stored_materials_retainage_amount": cents(sum(a["materials_retainage"] for a in amounts)),
            },
            **_columns(row, *_STAMPS),
        }
        if with_items:
            body["contract_items"] = requisition_items(store, items_by.get(row["id"], []))
        rendered.append(body)
    return rendered


def _work_to_date(row: Row, amounts: dict[str, int]) -> Row:
    """The work and stored materials of a contract item to date, as the contract item list and the
    invoice detail both write them (the SDK's two models share these fields)."""
    return {
        "item_type": "contract_item",
        "description_of_work": row["description"],
        "scheduled_value": cents(row["scheduled_value_cents"]),
        "work_completed_from_previous_application": cents(row["previous_work_cents"]),
        "work_completed_this_period": cents(row["work_completed_this_period_cents"]),
        "materials_presently_stored": cents(amounts["stored"]),
        "total_completed_and_stored_to_date": cents(amounts["to_date"]),
        "total_completed_and_stored_to_date_percent": _percent(
            amounts["to_date"], row["scheduled_value_cents"]
        ),
    }


def requisition_items(store: Store, rows: list[Row]) -> list[Row]:
    """Contract items with the fields Procore's list of them has (the SDK's model of
    ``/requisitions/{id}/contract_items``): retainage as work before, work this period and materials
    stored now, no ``total_retainage`` or ``retainage_percent`` (those are not on this endpoint)."""
    rendered = []
    carried = carried_materials(store, rows)
    for row in rows:
        amounts = requisition_item_amounts(row, carried.get(row["id"], 0))
        percent = row["retainage_percent"]
        rendered.append(
            {
                **_columns(row, "id", "line_item_id", "cost_code_id"),
                **_work_to_date(row, amounts),
                "work_completed_retainage_from_previous_application": cents(amounts["previous_retainage"]),
                "work_completed_retainage_retained_this_period": cents(amounts["work_retainage"]),
                "work_completed_retainage_percent_this_period": percent,
                "materials_stored_retainage_currently_retained": cents(amounts["materials_retainage"]),
                "materials_stored_retainage_percent_this_period": percent,
                "work_completed_retainage_released_this_period": cents(0),
                "materials_stored_retainage_released_this_period": cents(0),
            }
        )
    return rendered


def requisition_detail(store: Store, rows: list[Row]) -> list[Row]:
    """``/requisitions/{id}/detail``: the invoice's lines with every retainage amount Procore keeps
    (SDK model): retained this period and currently retained, for work and for stored materials."""
    rendered = []
    carried = carried_materials(store, rows)
    for number, row in enumerate(rows, start=1):
        amounts = requisition_item_amounts(row, carried.get(row["id"], 0))
        work_retained = amounts["previous_retainage"] + amounts["work_retainage"]
        percent = row["retainage_percent"]
        rendered.append(
            {
                **_columns(row, "id", "cost_code_id"),
                "item_number": number,
                **_work_to_date(row, amounts),
                "balance_to_finish": cents(row["scheduled_value_cents"] - amounts["to_date"]),
                "work_completed_retainage_from_previous_application": cents(amounts["previous_retainage"]),
                "work_completed_retainage_retained_this_period": cents(amounts["work_retainage"]),
                "work_completed_retainage_released_this_period": cents(0),
                "work_completed_retainage_currently_retained": cents(work_retained),
                "work_completed_retainage_percent_this_period": percent,
                "materials_stored_retainage_from_previous_application": cents(amounts["carried_retainage"]),
                "materials_stored_retainage_retained_this_period": cents(
                    amounts["materials_retainage"] - amounts["carried_retainage"]
                ),
                "materials_stored_retainage_released_this_period": cents(0),
                "materials_stored_retainage_currently_retained": cents(amounts["materials_retainage"]),
                "materials_stored_retainage_percent_this_period": percent,
                "total_retainage_from_previous_application": cents(
                    amounts["previous_retainage"] + amounts["carried_retainage"]
                ),
                "total_retainage_currently_retained": cents(amounts["retainage"]),
            }
        )
    return rendered


# -- budget ---------------------------------------------------------------------------------------------


def budget_line_items(store: Store, rows: list[Row]) -> list[Row]:
    codes = _by_id(store, "cost_codes", _ids(rows, "cost_code_id"), "id, name, code, full_code, parent_id")
    divisions = _by_id(store, "cost_codes", _ids(codes.values(), "parent_id"), "id, name, full_code")
    types = _by_id(store, "line_item_types", _ids(rows, "line_item_type_id"), "id, name, code, base_type")
    committed: dict[tuple[int, int], float] = {}
    projects_ = _ids(rows, "project_id")
    if projects_:
        for item in store.all(
            "SELECT l.cost_code_id, l.line_item_type_id, SUM(l.amount_cents) AS total "
            "FROM commitment_line_items l JOIN commitments c ON c.id = l.commitment_id "
            f"WHERE l.project_id IN ({_marks(projects_)}) AND c.status IN ('Approved', 'Complete') "
            "AND c.deleted_at IS NULL AND l.deleted_at IS NULL GROUP BY l.cost_code_id, l.line_item_type_id",
            projects_,
        ):
            committed[(item["cost_code_id"], item["line_item_type_id"])] = item["total"] / 100
    rendered = []
    for row in rows:
        code = codes.get(row["cost_code_id"])
        division = divisions.get(code["parent_id"]) if code else None
        original = row["original_budget_amount"]
        revised = round(original + row["approved_budget_changes"], 2)
        projected_budget = round(revised + row["pending_budget_changes"], 2)
        committed_costs = round(committed.get((row["cost_code_id"], row["line_item_type_id"]), 0.0), 2)
        projected_costs = round(committed_costs + row["direct_costs"] + row["pending_cost_changes"], 2)
        at_completion = round(projected_costs + row["budget_forecast"], 2)
        rendered.append(
            {
                "id": row["id"],
                "original_budget_amount": original,
                "approved_budget_changes": row["approved_budget_changes"],
                "revised_budget": revised,
                "pending_budget_changes": row["pending_budget_changes"],
                "projected_budget": projected_budget,
                "committed_costs": committed_costs,
                **_columns(row, "direct_costs", "pending_cost_changes"),
                "projected_costs": projected_costs,
                "budget_forecast": row["budget_forecast"],
                "estimated_cost_at_completion": at_completion,
                "projected_over_under": round(projected_budget - at_completion, 2),
                "cost_code": _columns(code, "id", "name", "code", "full_code") if code else None,
                # The SDK's budget line item: division and line item type as small objects, no stamps
                # and no origin fields (a view's detail rows carry those: api_costs.detail_rows).
                "division": _columns(division, "id", "name", "full_code") if division else None,
                "line_item_type": _columns(types[row["line_item_type_id"]], "id", "name")
                if row["line_item_type_id"] in types
                else None,
                **_columns(row, "uom", "quantity", "unit_cost", "calculation_strategy"),
                "currency_configuration": _currency(row["currency_iso_code"]),
            }
        )
    return rendered


# -- webhooks -------------------------------------------------------------------------------------------


def hook(row: Row) -> Row:
    return {
        **_columns(row, "id", "api_version", "namespace", "destination_url"),
        "destination_headers": json.loads(row["destination_headers"]),
        "owned_by_company_id": row["company_id"],
        "owned_by_project_id": row["project_id"],
        "owned_by_user_id": row["owned_by_user_id"],
    }


def trigger(row: Row) -> Row:
    return {
        **_columns(row, "id", "resource_name", "event_type"),
        "webhook_hook_id": row["hook_id"],
    }
