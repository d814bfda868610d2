"""Skips of records this integration will never write (a bill another process exported), so the records
held on them are not left waiting for ever. A ``NeverWritten`` skip is audited with
``detail = {NEVER_WRITTEN: cause}``, the mark by which ``connector_resources.held_parents`` knows the record
cannot come; the records held on it are refused in the same transaction, later ones by the next replay.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from connector_assets.flows.core import FlowSpec, Skipped, audit_record
from connector_resources.held_parents import EXPORTED_ELSEWHERE, NEVER_WRITTEN, GoneParent, refuse_held_on
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.replay import backoff_for

R = TypeVar("R")


@dataclass(frozen=True)
class NeverWritten(Skipped):
    """A ``Skipped`` record this integration will never write; ``cause`` names why in the audit mark."""

    cause: str = EXPORTED_ELSEWHERE


def settle_never_written(
    spec: FlowSpec,
    ledger: Ledger,
    record: NeverWritten,
    *,
    run_id: str | None = None,
    partition: str | None = None,
) -> list[QueueItem]:
    """Audit ``record``'s skip with its mark and refuse the records held on it, in one transaction."""
    with ledger.transaction() as conn:
        audit_record(
            ledger,
            spec,
            "skip",
            record.source_key,
            record.reason,
            run_id=run_id,
            partition=partition,
            detail={NEVER_WRITTEN: record.cause},
            conn=conn,
        )
        parent = GoneParent(spec.dependency_key(record.source_key), record.cause, record.reason)
        return refuse_held_on(ledger, parent, retry_in=backoff_for, run_id=run_id, conn=conn)


def never_written_settled(
    spec: FlowSpec,
    ledger: Ledger,
    records: Iterable[R],
    *,
    run_id: str | None = None,
    partition: str | None = None,
) -> Iterator[R]:
    """``records`` with each ``NeverWritten`` settled (``settle_never_written``) and left out; the rest
    (other skips too, for ``skips_audited``) passed on in order."""
    for record in records:
        if isinstance(record, NeverWritten):
            settle_never_written(spec, ledger, record, run_id=run_id, partition=partition)
            continue
        yield record
