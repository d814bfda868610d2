"""Commitment change order line items as data: generated with their change order (seed and
``/sandbox/activity``), served by ``api_change_order_lines``.

The amounts of a change order's lines sum exactly to its ``grand_total``; each line is on a cost code of the
project, and most reference one of the commitment's schedule-of-values lines (and carry its cost code).
Kept free of routing so the seed can import it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from .generator import cents
from .store import Store

TABLE = "commitment_change_order_line_items"
# Lines per change order, at most; and the share of lines that change an existing commitment line.
MAX_LINES = 3
REFERENCING_SHARE = 0.8


def line_rng(change_order: dict[str, Any]) -> random.Random:
    """A generator of its own per change order, so adding lines leaves the rest of the seed as it was
    (the seed's main stream is not consumed) and the same change order always gets the same lines."""
    key = f"co-lines:{change_order['id']}:{change_order['contract_id']}:{change_order['grand_total_cents']}"
    return random.Random(key)


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` cents in ``parts`` amounts of the same sign that sum to exactly ``total``."""
    sign = -1 if total < 0 else 1
    whole = abs(total)
    weights = [rng.uniform(1, 4) for _ in range(parts)]
    scale = sum(weights)
    amounts = [int(whole * weight / scale) for weight in weights[:-1]]
    amounts.append(whole - sum(amounts))
    return [sign * amount for amount in amounts]


def line_rows(
    change_order: dict[str, Any],
    commitment_lines: Sequence[dict[str, Any]],
    cost_code_ids: Sequence[int],
    *,
    now: str | None = None,
) -> list[dict[str, Any]]:
    """The line items of one change order (rows without ids; the caller numbers or inserts them).

    ``commitment_lines``: the commitment's live schedule of values (``id``, ``cost_code_id``,
    ``line_item_type_id``, ``description``); ``cost_code_ids``: the project's leaf cost codes, for lines
    that add scope no commitment line covers.
    """
    rng = line_rng(change_order)
    count = rng.randint(1, MAX_LINES)
    stamp = now or change_order["created_at"]
    rows = []
    for position, amount in enumerate(split(change_order["grand_total_cents"], count, rng), start=1):
        line = None
        if commitment_lines and (rng.random() < REFERENCING_SHARE or not cost_code_ids):
            line = rng.choice(list(commitment_lines))
        cost_code_id = line["cost_code_id"] if line else rng.choice(list(cost_code_ids))
        title = change_order.get("title") or "Change"
        rows.append(
            {
                "company_id": change_order["company_id"],
                "project_id": change_order["project_id"],
                "change_order_id": change_order["id"],
                "commitment_line_item_id": line["id"] if line else None,
                "position": position,
                "description": f"{title}: {line['description']}" if line else f"{title}: added scope",
                "amount_cents": amount,
                "quantity": "1.0",
                "unit_cost": cents(amount),
                "uom": "ls",
                "cost_code_id": cost_code_id,
                "line_item_type_id": line["line_item_type_id"] if line else None,
                "created_at": stamp,
                "updated_at": stamp,
                "deleted_at": None,
            }
        )
    return rows


def leaf_cost_code_ids(store: Store, project_id: int) -> list[int]:
    """The project's live cost codes that have no children (where lines are booked)."""
    return [
        row["id"]
        for row in store.all(
            "SELECT id FROM cost_codes c WHERE project_id = ? AND deleted_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM cost_codes k WHERE k.parent_id = c.id) ORDER BY id",
            (project_id,),
        )
    ]


def add_lines(store: Store, change_order: dict[str, Any], now: str) -> list[int]:
    """Create the lines of a change order made after the seed (``/sandbox/activity``)."""
    commitment_lines = store.all(
        "SELECT * FROM commitment_line_items WHERE commitment_id = ? AND deleted_at IS NULL "
        "ORDER BY position",
        (change_order["contract_id"],),
    )
    rows = line_rows(
        change_order, commitment_lines, leaf_cost_code_ids(store, change_order["project_id"]), now=now
    )
    return [store.insert(TABLE, row) for row in rows]
