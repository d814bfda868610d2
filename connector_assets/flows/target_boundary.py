"""What stands between a write step and its target: the boundary a preview wraps, seen from the kit.

A preview (``ml-connector fit``) runs a flow's real write step with every write request held at the HTTP
core; at the target boundary it turns a held create or update into the record's verdict. The kit and the
sides know only this face of it (``TargetBoundary``), so nothing below the preview imports the preview:

* ``wrapped``: the write step's target as the step uses it, through the boundary open in the process
  (``UNWRAPPED`` outside a preview: the target itself);
* ``as_written`` / ``created_unsent``: what a later flow reading a record back asks of the writes held
  before it (a purchase order naming the vendor the suppliers flow would create, a payment on the voucher
  batch the voucher flow would make): the target has no such record yet, or still the old fields;
* ``is_placeholder``: the id an unsent create records in a real id's place (``PLACEHOLDER``).

The boundary those reads see is the one open in the process (``holding``): a write step's workers are
threads of their own, a later flow's mapping step reads what an earlier flow's write step held, and a
preview is the only thing its process runs, as with the HTTP core's held writes (``write_hold``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from connector_assets.flows.records import FlowSpec

PLACEHOLDER = "(new)"  # the target id an unsent create records: "(new) <source key>"


class TargetBoundary:
    """The boundary of a run that writes: its target as it is, nothing held. A preview's boundary wraps the
    target and answers ``written`` / ``created`` from what it held."""

    def wrap(self, spec: FlowSpec, target: Any) -> Any:
        """``target`` as the write step of ``spec`` uses it."""
        return target

    def written(self, entity: str, target_id: str) -> tuple[bool, dict[str, Any]] | None:
        """What a held write of ``entity`` would have given target record ``target_id``: (created, fields);
        None when none was held for it."""
        return None

    def created(self, target_id: str) -> bool:
        """Whether a held create recorded ``target_id``."""
        return False


UNWRAPPED = TargetBoundary()

_lock = threading.Lock()
_open: TargetBoundary = UNWRAPPED


@contextmanager
def holding(boundary: TargetBoundary) -> Iterator[TargetBoundary]:
    """While open, the process's reads of written records (``as_written``, ``created_unsent``) see what
    ``boundary`` held; on leaving, the boundary open before it again."""
    global _open
    with _lock:
        before, _open = _open, boundary
    try:
        yield boundary
    finally:
        with _lock:
            _open = before


def is_placeholder(target_id: Any) -> bool:
    """Whether ``target_id`` is the id an unsent create recorded in a real id's place."""
    return str(target_id or "").startswith(PLACEHOLDER)


def as_written(entity: str, target_id: Any, read: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
    """Target record ``target_id``, written by the flows of ``entity``, as a later flow reads it: ``read()``
    (one read of the target), or, when the open boundary held writes, as they would have left it: an unsent
    create's body under its placeholder (never read: the target has no such record), the record read with
    a held update's fields over it."""
    held = _open.written(entity, str(target_id))
    if held is None:
        return dict(read())
    created, fields = held
    return fields if created else {**read(), **fields}


def created_unsent(target_id: Any) -> bool:
    """Whether an unsent create recorded ``target_id``: a record the target does not hold yet, though the
    flows after it are judged as if it did (False when no boundary holds writes)."""
    return _open.created(str(target_id))


def wrapped(spec: FlowSpec, target: Any) -> Any:
    """``target`` as the write step of ``spec`` uses it: through the boundary open in the process."""
    return _open.wrap(spec, target)
