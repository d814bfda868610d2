"""The audit trail: an append-only record of every attempt, in words a finance user reads.

Appending events (one, or the row of one for a batch, ``_audit_values``) with secrets masked before
they are stored, and reading a record's history. Separate because every other concern writes to it
and none of them needs to know how an event is checked or stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema, statements
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import (
    AuditEvent,
    LedgerInputError,
    QueueItem,
    _now,
    _optional_text,
    _redact_json,
    _text,
    _to_json,
)
from connector_resources.redaction import redact


def detail_mark(detail: str | None, key: str) -> str | None:
    """The mark ``key`` an audit event's ``detail`` (its stored JSON text) carries, if any: how a skip says
    why it is for good (``never_written``, ``out_of_scope``)."""
    if not detail:
        return None
    try:
        value = json.loads(detail)
    except ValueError:
        return None
    mark = value.get(key) if isinstance(value, dict) else None
    return str(mark) if mark else None


# An audit event's own fields; the others (integration, flow, action, run, ...) a write step's batch shares.
_AUDIT_OWN = ("source_id", "target_id", "reason", "detail")
_AUDIT_SHARED = (
    "integration",
    "flow",
    "action",
    "entity",
    "source_system",
    "target_system",
    "run_id",
    "partition_key",
)
_AUDIT_FIELDS = frozenset(_AUDIT_OWN + _AUDIT_SHARED)
# The actions that put a record in its target: a run's create, update or adoption, a replay that wrote it.
WRITTEN_ACTIONS = ("create", "update", "adopt", "replay")


def _audit_own(
    record: str,
    source_id: str | None,
    target_id: str | None,
    reason: object,
    detail: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """An audit event's own fields, checked, secrets masked (``Ledger._audit_values``)."""
    if not isinstance(reason, str):
        raise LedgerInputError(f"{record}: field 'reason' must be a string, got {type(reason).__name__}")
    return {
        "source_id": _optional_text(record, "source_id", source_id, schema.KEY_LEN),
        "target_id": _optional_text(record, "target_id", target_id, schema.KEY_LEN),
        "reason": redact(reason),
        "detail": None if detail is None else _to_json(record, "detail", _redact_json(detail)),
    }


class AuditStore(LedgerBase):
    """Appending to and reading the audit trail (a mixin of ``Ledger``)."""

    def audit_item(self, item: QueueItem, action: str, reason: str, **event: Any) -> int:
        """The audit event of what became of a queue item (held, failed, replayed, released, skipped),
        under its own flow and key, so the record's history says why it moved. ``event``: ``audit``'s
        ``run_id``, ``target_id``, ``detail``, ``conn`` and ``partition_key`` (the day the flow met the
        record, so a replay's line ties to that day)."""
        return self.audit(
            integration=item.integration,
            flow=item.flow,
            entity=item.entity,
            action=action,
            source_id=item.source_key,
            reason=reason,
            **event,
        )

    def audit(self, *, conn: sa.Connection | None = None, **event: Any) -> int:
        """Append one event to the audit trail and return its id; ``event``: the fields ``_audit_values``
        names (and checks: one it does not take is a ``TypeError``).

        ``reason`` is what a finance user reads ("supplier 4343 has no tax ID in JDE"). ``reason``
        and ``detail`` often carry server error text, so secrets are masked before they are stored:
        the trail is append-only and could never be cleaned afterwards.
        """
        values = self._audit_values(**event)
        with self._write(conn) as c:
            key = c.execute(statements.AUDIT_INSERT, values).inserted_primary_key
            assert key is not None  # one row inserted: its key is known
            return int(key[0])

    @staticmethod
    def _audit_values(
        *,
        integration: str,
        flow: str,
        action: str,
        reason: str = "",
        entity: str | None = None,
        source_system: str | None = None,
        source_id: str | None = None,
        target_system: str | None = None,
        target_id: str | None = None,
        run_id: str | None = None,
        partition_key: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One audit event's row, checked and with secrets masked (``audit``; ``record_written`` many)."""
        record = f"audit event {integration}/{flow} {source_id or target_id or ''}".rstrip()
        if action not in schema.AUDIT_ACTIONS:
            raise LedgerInputError(
                f"{record}: field 'action' is {action!r}; expected one of {', '.join(schema.AUDIT_ACTIONS)}"
            )
        return {
            "at": _now(),
            "integration": _text(record, "integration", integration, schema.NAME_LEN),
            "flow": _text(record, "flow", flow, schema.FLOW_LEN),
            "entity": _optional_text(record, "entity", entity, schema.NAME_LEN),
            "source_system": _optional_text(record, "source_system", source_system, schema.NAME_LEN),
            "target_system": _optional_text(record, "target_system", target_system, schema.NAME_LEN),
            "action": action,
            "run_id": _optional_text(record, "run_id", run_id, schema.RUN_ID_LEN),
            "partition_key": _optional_text(record, "partition_key", partition_key, schema.KEY_LEN),
            **_audit_own(record, source_id, target_id, reason, detail),
        }

    def history(self, record_id: str, *, conn: sa.Connection | None = None) -> list[AuditEvent]:
        """Every audit event naming ``record_id`` as its source or its target id, oldest first."""
        _text("audit history", "record_id", record_id, schema.KEY_LEN)
        t = schema.audit_event
        query = (
            sa.select(t)
            .where(sa.or_(t.c.source_id == record_id, t.c.target_id == record_id))
            .order_by(t.c.at, t.c.id)
        )
        with self._read(conn) as c:
            rows = c.execute(query).all()
        return [self._audit_event(row) for row in rows]

    def partition_written(
        self, *, integration: str, flow: str, partition_key: str | None, conn: sa.Connection | None = None
    ) -> int:
        """How many records a flow's day put in its target (by a run or a later replay), each once, as
        the audit trail keeps them: what a day's check says it wrote beside what still fails (a count of
        the queue's changes would tell changes, not the day). ``partition_key`` None: an unpartitioned
        flow."""
        a = schema.audit_event
        in_partition = (
            a.c.partition_key.is_(None) if partition_key is None else a.c.partition_key == partition_key
        )
        query = sa.select(sa.func.count(sa.distinct(a.c.source_id))).where(
            a.c.integration == integration,
            a.c.flow == flow,
            in_partition,
            a.c.action.in_(WRITTEN_ACTIONS),
        )
        with self._read(conn) as c:
            return int(c.execute(query).scalar_one())

    @staticmethod
    def _audit_event(row: sa.Row[Any]) -> AuditEvent:
        data = dict(row._mapping)
        data["detail"] = json.loads(data["detail"]) if data["detail"] is not None else None
        return AuditEvent(**data)
