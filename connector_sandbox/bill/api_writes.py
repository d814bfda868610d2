"""What every resource's write handlers share: the all-or-nothing check of a bulk request, the
uniqueness query that skips the record being updated, and storing / announcing a changed record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.responses import Response

from . import errors
from .documents import render, stamp
from .errors import BillError, Problem
from .formats import now_ms
from .pipeline import Call, ok
from .resources import Resource
from .validation import Checker

_Checked = TypeVar("_Checked")


def exists_elsewhere(
    call: Call, resource: Resource, where: str, params: list[Any], exclude: str | None
) -> bool:
    """Whether a stored record other than ``exclude`` (the one being updated) matches ``where``."""
    if exclude:
        where, params = where + " AND t.id <> ?", [*params, exclude]
    return call.state.store.exists(resource, call.org, where, params)


def rolled_back(failed: int, total: int, problems: list[Problem], noun: str = "") -> BillError:
    """The 400 of an all-or-nothing bulk request: BDC_1246 counting the failures, then each problem."""
    what = f"{total} {noun}" if noun else f"{total}"
    rollback = Problem(errors.BULK_ROLLBACK, f"Bulk operation rolled back: {failed} of {what} failed")
    return BillError(400, [rollback, *problems])


def check_bulk(
    call: Call,
    records: list[Any],
    label: Callable[[dict[str, Any], int], str],
    check_one: Callable[[dict[str, Any], Checker], _Checked],
    *,
    noun: str = "",
    not_object_path: str = "",
) -> list[_Checked]:
    """Every record of a bulk request checked, problems collected across all of them; any problem
    rejects the whole request (``rolled_back``). A record that is no JSON object is a problem of its
    own, at ``not_object_path`` when the resource names one."""
    problems: list[Problem] = []
    prepared: list[_Checked] = []
    failed = 0
    for position, record in enumerate(records):
        check = Checker(label(record if isinstance(record, dict) else {}, position), strict=call.strict)
        if isinstance(record, dict):
            prepared.append(check_one(record, check))
        elif not_object_path:
            check.fail(not_object_path, "must be a JSON object")
        else:
            check.problems.append(Problem(errors.VALIDATION, f"{check.record}must be a JSON object"))
        failed += bool(check.problems)
        problems.extend(check.problems)
    if problems:
        raise rolled_back(failed, len(records), problems, noun)
    return prepared


def save(call: Call, resource: Resource, doc: dict[str, Any], event: str, ms: int | None = None) -> None:
    """Stamp and store one changed record, then announce ``<entity>.<event>`` if the resource has
    webhook events."""
    stamp(doc, now_ms() if ms is None else ms)
    call.state.store.put(resource, call.org, doc)
    if resource.announces:
        call.state.publish(call.org, resource.name, event, doc)


def set_archived(
    call: Call, resource: Resource, doc: dict[str, Any], archived: bool, ms: int | None = None
) -> None:
    """Archive or restore; idempotent: archiving an archived record changes nothing (documented for bills)."""
    if doc["archived"] != archived:
        doc["archived"] = archived
        save(call, resource, doc, "archived" if archived else "restored", ms)


def store_created(
    call: Call, resource: Resource, docs: list[dict[str, Any]], *, key: str | None = None
) -> Response:
    """Store the records of a bulk create in one transaction, announce each, answer them all (201): as an
    array, or under ``key`` where BILL's collection answers an object (``{"vendors": [...]}``)."""
    with call.state.store.transaction():
        call.state.store.put_many(resource, call.org, docs)
    if resource.announces:
        for doc in docs:
            call.state.publish(call.org, resource.name, "created", doc)
    shown = [render(resource.name, doc, call.settings) for doc in docs]
    return ok({key: shown} if key else shown, 201)
