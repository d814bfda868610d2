"""What follows a write: the records held on it released, a failure queued with its reason, the audit
trail of writes and skips.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from connector_assets.flows.out_of_scope import OutOfScope
from connector_assets.flows.records import FlowSpec, Mapped, Rejected, Skipped
from connector_resources.held_parents import settled_before_hold
from connector_resources.ledger import Ledger
from connector_resources.ledger.schema import DEPENDS_ON_LEN
from connector_resources.refusals import waits_for_record
from connector_resources.replay import backoff_for, release_waiting


def released_at() -> str:
    """Now (UTC) as a release reason says it: ``2026-11-25 12:00:00``."""
    return f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}"


def release_held(
    ledger: Ledger, depends_on: str, reason: str, *, run_id: str | None, what: str, log: logging.Logger
) -> int:
    """Release the records held on ``depends_on`` with ``reason`` and say how many on ``log`` (``what``:
    the record they waited for), when a target pairs two records itself (a vendor with a supplier) ahead of
    the kit's own release, so a record released now finds the pair; how many were released."""
    released = release_waiting(ledger, depends_on, reason=reason, run_id=run_id)
    if released:
        log.info("%s: released %d held record(s)", what, len(released))
    return len(released)


def release_dependents(
    spec: FlowSpec,
    ledger: Ledger,
    source_key: str,
    *,
    run_id: str | None,
    target_id: str | None = None,
    conn: Connection | None = None,
) -> int:
    """Held records waiting for ``source_key`` (e.g. POs of this supplier) become due now.

    Each released record gets a ``release`` audit event and a reason that says it was released (the
    "waits for ..." it had is no longer true); the dependency gets one event saying how many it released."""
    depends_on = spec.dependency_key(source_key)
    if len(depends_on) > DEPENDS_ON_LEN:  # nothing can be held on a key the queue would refuse
        return 0
    as_target = f" (as {spec.target_system} {target_id})" if target_id else ""
    reason = (
        f"released: {spec.entity} {source_key} synced to {spec.target_system}{as_target} at "
        f"{released_at()} UTC; due for replay"
    )
    with ledger.transaction() if conn is None else nullcontext(conn) as c:
        released = release_waiting(ledger, depends_on, reason=reason, run_id=run_id, conn=c)
        if released:
            audit_record(
                ledger,
                spec,
                "release",
                source_key,
                f"{len(released)} held record(s) waiting for this {spec.entity} released",
                target_id=target_id,
                run_id=run_id,
                conn=c,
            )
    return len(released)


def waits_to_sync(spec: FlowSpec, record: Mapped) -> str:
    """Why ``record`` is held: its dependency has not synced (the mapped step's hold, a replay's)."""
    return f"{spec.entity} {record.source_key} waits for {record.depends_on} to sync"


def hold_until_synced(
    spec: FlowSpec, ledger: Ledger, record: Mapped, *, run_id: str | None, partition: str | None
) -> None:
    """Hold ``record`` in the retry queue on its dependency; released when that one syncs. Not when that
    dependency will never be written (``held_parents.settled_before_hold``: closed, or refused, with why),
    so a record whose parent another process took is not held again by every run."""
    settled = settled_before_hold(
        ledger, **spec.ledger_keys, source_key=record.source_key, depends_on=record.depends_on or "",
        payload=record.to_payload(), retry_in=backoff_for(1), run_id=run_id, partition=partition,
    )  # fmt: skip
    if settled:
        return
    waits = waits_for_record(waits_to_sync(spec, record), record.depends_on or "")
    queue_failure(
        spec,
        ledger,
        Rejected.of(record.source_key, waits, record.to_payload()),
        status="held",
        depends_on=record.depends_on,
        run_id=run_id,
        partition=partition,
    )


def queue_failure(
    spec: FlowSpec,
    ledger: Ledger,
    rejected: Rejected,
    *,
    status: str = "failed",
    depends_on: str | None = None,
    run_id: str | None,
    partition: str | None,
    conn: Connection | None = None,
) -> None:
    with ledger.transaction() if conn is None else nullcontext(conn) as conn:
        item = ledger.enqueue(
            **spec.ledger_keys,
            **rejected.queued,
            status=status,
            depends_on=depends_on,
            run_id=run_id,
            conn=conn,
        )
        # A failure counts an attempt (``enqueue``); its event says which, as a replay's failure does.
        counted = "" if status == "held" else f" (attempt {item.attempts})"
        audit_record(
            ledger,
            spec,
            "hold" if status == "held" else "fail",
            rejected.source_key,
            rejected.reason + counted,
            target_system=None,
            run_id=run_id,
            partition=partition,
            conn=conn,
        )


_SPEC_TARGET: Any = object()  # ``audit_record``'s default: the flow's target system


def audit_record(
    ledger: Ledger,
    spec: FlowSpec,
    action: str,
    source_key: str,
    reason: str,
    *,
    target_system: str | None = _SPEC_TARGET,
    partition: str | None = None,
    **event: Any,
) -> None:
    """One audit event of a flow's record (``action``: release, hold, fail, skip ...) with why, keyed as
    the flow keys its records (integration, flow, entity, source and target systems). ``event``:
    ``Ledger.audit``'s ``target_id``, ``run_id``, ``detail`` and ``conn``."""
    ledger.audit(
        **spec.ledger_keys,
        action=action,
        source_system=spec.source_system,
        source_id=source_key,
        target_system=spec.target_system if target_system is _SPEC_TARGET else target_system,
        reason=reason,
        partition_key=partition,
        **event,
    )


def audit_skip(ledger: Ledger, spec: FlowSpec, source_key: str, reason: str, **where: Any) -> None:
    """A source record the flow leaves alone on purpose (nothing to write, exported elsewhere, a
    conflict decided for the other side), in the audit with why: never queued, never written.
    ``where``: ``audit_record``'s (``run_id``, ``partition``, ``target_id`` ...)."""
    audit_record(ledger, spec, "skip", source_key, reason, **where)


def skips_audited(
    spec: FlowSpec,
    ledger: Ledger,
    records: Iterable[Mapped | Rejected | Skipped | None],
    *,
    run_id: str | None = None,
    partition: str | None = None,
) -> Iterator[Mapped | Rejected]:
    """``records`` as a flow's mapped step takes them: each ``Skipped`` audited (``audit_skip``; one out of
    the integration's scope with its rule, ``flows.out_of_scope``) and not passed on, a ``None`` (nothing
    of this flow's) dropped, mapped and rejected records passed on."""
    for record in records:
        if record is None:
            continue
        if isinstance(record, Skipped):
            detail = record.detail if isinstance(record, OutOfScope) else None
            audit_skip(
                ledger,
                spec,
                record.source_key,
                record.reason,
                run_id=run_id,
                partition=partition,
                detail=detail,
            )
            continue
        yield record


def dependency_synced(ledger: Ledger, depends_on: str, *, before: datetime | None = None) -> bool:
    """``integration:entity:system:key`` -> whether that record has a target ID (the ledger's one rule,
    shared with ``release_synced``); with ``before``, one it already had, unchanged since, at that time."""
    return depends_on in ledger.synced_dependencies({depends_on}, before=before)


def must_wait(ledger: Ledger, record: Mapped, *, mapped_at: datetime | None = None) -> bool:
    """Whether ``record`` is held rather than written: its dependency has not synced, or it was mapped
    before it had (a placeholder body, ``Mapped.waiting``, or the dependency's xref changed since
    ``mapped_at``). Why: a vendors run pairing the vendor while the invoices run mapped its bill left a body
    built without the pair (a bare KeyError 'InvoiceNumber' on a Fusion invoice); held, the next replay
    maps it again. A dependency that merely changed meanwhile costs that wait, nothing more."""
    if not record.depends_on:
        return False
    return record.waiting or not dependency_synced(ledger, record.depends_on, before=mapped_at)
