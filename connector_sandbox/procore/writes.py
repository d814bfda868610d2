"""Rules every write shares: ``origin_id`` ownership and uniqueness, and the batch ``/sync`` actions.

``origin_id`` is unique per company and resource (not reused across the projects of one company), and
only one integration may own it (reference 2.9): the app that first set it. A conflict answers
``origin_id_conflict_status`` (409 by default) on single writes and a per-row error on sync.

Sync (``PATCH .../sync``, ``POST /budget_line_items/sync``): ``{"updates": [...]}`` with at most 1,000
rows. A row with ``id`` updates (error if not found); a row with only ``origin_id`` upserts; a row with
neither creates. The answer is **always 200**, with ``entities`` (written records) and ``errors``
(each failed row as sent, plus ``errors``): the client must inspect it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.responses import Response

from .errors import ApiError, ValidationFailed, bad_request
from .routing import Caller, JsonResponse
from .settings import VariantSettings
from .store import Store

MAX_SYNC_ROWS = 1000
Row = dict[str, Any]


def taken(store: Store, table: str, condition: str, params: Sequence[Any], existing: Row | None) -> bool:
    """Whether a row of ``table`` other than ``existing`` meets ``condition`` (a uniqueness rule)."""
    other = existing["id"] if existing else -1
    return store.one(f"SELECT id FROM {table} WHERE {condition} AND id != ?", (*params, other)) is not None


def origin_taken(variants: VariantSettings) -> ValidationFailed:
    """Another record of the company uses this ``origin_id``: a conflict, never an upsert."""
    return ValidationFailed(
        {"origin_id": ["has already been taken"]}, status=variants.origin_id_conflict_status
    )


def check_origin(
    store: Store,
    table: str,
    company_id: int,
    values: dict[str, Any],
    existing: Row | None,
    caller: Caller,
) -> None:
    """Refuse an ``origin_id`` another integration owns or another record uses; record the new owner."""
    if "origin_id" not in values:
        return
    status = caller.state.variants.origin_id_conflict_status
    new = values["origin_id"]
    if (
        existing is not None
        and existing["origin_owner"] not in (None, caller.client.client_id)
        and new != existing["origin_id"]
    ):
        raise ValidationFailed({"origin_id": ["is owned by another integration"]}, status=status)
    if new is None:
        values["origin_owner"] = None
        return
    if taken(store, table, "company_id = ? AND origin_id = ?", (company_id, new), existing):
        raise origin_taken(caller.state.variants)
    if existing is None or existing["origin_id"] != new:
        values["origin_owner"] = caller.client.client_id


def sync_rows(body: dict[str, Any]) -> list[Any]:
    updates = body.get("updates")
    if updates is None:
        raise bad_request("param is missing or the value is empty: updates")
    if not isinstance(updates, list):
        raise bad_request("updates: must be an array of objects")
    if len(updates) > MAX_SYNC_ROWS:
        raise bad_request(f"updates: at most {MAX_SYNC_ROWS} items per request, got {len(updates)}")
    return updates


def run_sync(
    body: dict[str, Any],
    *,
    find_by_id: Callable[[int], Row | None],
    find_by_origin: Callable[[str], Row | None],
    create: Callable[[Row], Row],
    update: Callable[[Row, Row], Row],
    render: Callable[[list[Row]], list[Row]],
) -> Response:
    """Apply each row on its own; a bad row never stops the others."""
    written: list[Row] = []
    errors: list[Row] = []
    for row in sync_rows(body):
        if not isinstance(row, dict):
            errors.append({"id": None, "errors": {"base": ["must be an object"]}})
            continue
        try:
            if row.get("id") is not None:
                try:
                    existing = find_by_id(int(row["id"]))
                except (TypeError, ValueError):
                    existing = None
                if existing is None:
                    raise ValidationFailed({"id": ["Entity with this ID not found"]})
                written.append(update(existing, {k: v for k, v in row.items() if k != "id"}))
            elif row.get("origin_id") is not None:
                existing = find_by_origin(str(row["origin_id"]))
                written.append(update(existing, row) if existing else create(row))
            else:
                written.append(create({k: v for k, v in row.items() if k != "id"}))
        except ValidationFailed as failed:
            errors.append({**row, "errors": failed.fields})
        except ApiError as error:
            errors.append({**row, "errors": error.fields or {"base": [error.message]}})
    return JsonResponse({"entities": render(written), "errors": errors})
