"""What stands between a flow's steps and its target: the boundary a preview wraps, given to every run as
its ``target_boundary`` resource, so nothing below the preview imports the preview (what a preview does:
``connector_assets.preview``). A deployment's runs are given ``UNWRAPPED``; a target asking while it
writes holds the run's boundary (``flows.targets.Held``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connector_assets.flows.records import FlowSpec

PLACEHOLDER = "(new)"  # the target id an unsent create records: "(new) <source key>"


class TargetBoundary:
    """The boundary of a run that writes: its target as it is, nothing held. A preview's boundary wraps the
    target and answers ``written`` / ``created`` from what it held."""

    def wrap(self, spec: FlowSpec, target: object) -> Any:
        """``target`` as the write step of ``spec`` uses it."""
        return target

    def written(self, entity: str, target_id: str) -> tuple[bool, dict[str, Any]] | None:
        """What a held write of ``entity`` would have given target record ``target_id``: (created, fields);
        None when none was held for it."""
        return None

    def created(self, target_id: object) -> bool:
        """Whether an unsent create recorded ``target_id``: a record the target does not hold yet, though
        the flows after it are judged as if it did."""
        return False

    def as_written(
        self, entity: str, target_id: object, read: Callable[[], Mapping[str, object]]
    ) -> dict[str, Any]:
        """Target record ``target_id``, written by the flows of ``entity``, as a later flow reads it:
        ``read()`` (one read of the target), or, when this boundary held writes, as they would have left it:
        an unsent create's body under its placeholder (never read: the target has no such record), the
        record read with a held update's fields over it."""
        held = self.written(entity, str(target_id))
        if held is None:
            return dict(read())
        created, fields = held
        return fields if created else {**read(), **fields}


UNWRAPPED = TargetBoundary()


def is_placeholder(target_id: object) -> bool:
    """Whether ``target_id`` is the id an unsent create recorded in a real id's place."""
    return str(target_id or "").startswith(PLACEHOLDER)
