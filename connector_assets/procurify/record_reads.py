"""A Procurify read made for one record: when it still fails after the client's retries (no usable answer,
``ProcurifyUnavailableError``), that record alone is queued naming the read and the rest of the day is
written. Depth: docs/integrations/jde_procurify.md, "The flows" (bills, "When Procurify times out").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from connector_assets.flows.core import Rejected
from connector_resources.procurify.errors import SYSTEM, ProcurifyUnavailableError
from connector_resources.refusals import Refusal

T = TypeVar("T")
R = TypeVar("R")
MAX_ATTEMPTS_ENV = "ML_PROCURIFY_MAX_ATTEMPTS"
NOT_FOUND = "not found in Procurify"  # the rule of a record refused because Procurify no longer has it


class RecordReadFailed(Exception):
    """A read one record needed failed after every retry; ``reason`` names the read (the caller names the
    record it belongs to)."""

    def __init__(self, what: str, error: ProcurifyUnavailableError) -> None:
        self.what, self.error = what, error
        super().__init__(
            f"Procurify did not answer the read of {what} after the client's retries ({MAX_ATTEMPTS_ENV}): "
            f"{error}"
        )


def read_for_record(what: str, read: Callable[[], T]) -> T:
    """``read()``, or ``RecordReadFailed`` naming ``what`` when Procurify gave no usable answer."""
    try:
        return read()
    except ProcurifyUnavailableError as exc:
        raise RecordReadFailed(what, exc) from exc


def mapped_or_queued(source_key: str, label: str, map_one: Callable[[], R]) -> R | Rejected:
    """``map_one()`` for one record, or that record queued when a Procurify read it made (any of them,
    named by ``read_for_record`` or not) failed after every retry: the day's other records still go."""
    try:
        return map_one()
    except RecordReadFailed as failed:
        return queued_for_read(source_key, label, failed)
    except ProcurifyUnavailableError as exc:
        return queued_for_read(source_key, label, RecordReadFailed("a read it needed", exc))


def queued_for_read(source_key: str, label: str, failed: RecordReadFailed) -> Rejected:
    """The record refused into the retry queue because a read it needed failed: nothing was sent for it
    (``target_unavailable``: it clears at its next attempt once Procurify answers)."""
    said = (
        f"{label}: {failed}; nothing was sent for it: the retry job or `ml-connector replay` reads it again "
        "once Procurify answers"
    )
    status = str(failed.error.status or "")
    return Rejected.of(source_key, Refusal("target_unavailable", said, {"system": SYSTEM, "status": status}))
