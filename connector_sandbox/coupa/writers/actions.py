"""State actions (``PUT /api/<resource>/<id>/<action>``): each document declares a table of action ->
(statuses it applies to, what it leads to), and one check answers unknown and refused actions alike."""

from __future__ import annotations

from typing import Any, TypeVar

from ..formats import CoupaError
from ..schema import Resource
from .common import WriteContext

T = TypeVar("T")

Actions = dict[str, tuple[tuple[str, ...], T]]


def action_target(
    ctx: WriteContext, resource: Resource, actions: Actions[T], doc: dict[str, Any], action: str, unknown: str
) -> T:
    """``PUT /api/<resource>/<id>/<action>``: 404 for an unknown action, a validation error when the
    record's status does not allow it; otherwise the action's entry (its target status)."""
    if action not in actions:
        raise CoupaError(404, unknown, resource.element)
    allowed, target = actions[action]
    if doc.get("status") not in allowed:
        raise CoupaError(
            ctx.settings.validation_error_status,
            [f"Status {doc.get('status')} does not allow {action}"],
            resource.element,
        )
    return target
