"""Retry-queue items and audit events a test puts on the ledger in one line.

Many tests need a failed or held record on the queue, or a failure in the trail, only as the stage for
what they check (a replay, a listing, a release, a history). Which record it is and why it failed is
what each test is about; the keyword names and the empty payload are the same every time, so they
live here once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector_resources.ledger import Ledger, QueueItem

Where = tuple[str, str, str]
"""``(integration, flow, entity)``: the flow a queued record belongs to."""


def queued(
    ledger: Ledger,
    where: Where,
    source_key: str,
    reason: str,
    *,
    payload: Mapping[str, Any] | None = None,
    **fields: Any,
) -> QueueItem:
    """Enqueue ``source_key`` as a failed write (or held, with ``status``/``depends_on`` in ``fields``)."""
    names = dict(zip(("integration", "flow", "entity"), where, strict=True))
    body = {} if payload is None else payload
    return ledger.enqueue(**names, source_key=source_key, payload=body, reason=reason, **fields)


def held_on(
    ledger: Ledger, where: Where, source_key: str, depends_on: str, reason: str, **fields: Any
) -> QueueItem:
    """Hold ``source_key`` until the record named by ``depends_on`` is written."""
    return queued(ledger, where, source_key, reason, status="held", depends_on=depends_on, **fields)


def audited(
    ledger: Ledger, integration: str, flow: str, action: str, source_id: str, reason: str = "", **fields: Any
) -> int:
    """Append a ``action`` event (``fail``, ``create``...) for ``source_id`` to the audit trail; its id."""
    names = {"integration": integration, "flow": flow, "action": action, "source_id": source_id}
    return ledger.audit(**names, reason=reason, **fields)


def audit_ids(ledger: Ledger, integration: str, flow: str, action: str) -> list[str]:
    """The source ids of ``flow``'s audit events of ``action``, in the order they were written (a test
    counts how many times a record was created, which the trail says once per write)."""
    import sqlalchemy as sa

    from connector_resources.ledger import schema

    a = schema.audit_event
    query = (
        sa.select(a.c.source_id)
        .where(a.c.integration == integration, a.c.flow == flow, a.c.action == action)
        .order_by(a.c.id)
    )
    with ledger.engine.connect() as conn:
        return [str(row.source_id) for row in conn.execute(query)]
