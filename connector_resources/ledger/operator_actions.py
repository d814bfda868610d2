"""An operator's decisions, with who and why: abandon a queued record, reopen one, match two records by hand.

Why its own store: the retry queue says what state a record is in; a person's decision also needs who made
it, in what role, and the note they gave, kept where nobody can edit it afterwards (``mlc_operator_action``,
append-only by triggers like the audit trail). Each decision is one transaction: the queue item changes,
the record's audit trail says what became of it and by whom, and the operator action is written, or none
of them is. Every operator surface (the CLI, a web page) goes through here, so none can skip the who.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.audit import AuditStore
from connector_resources.ledger.queue import QueueStore
from connector_resources.ledger.records import LedgerInputError, QueueItem, _now, _text
from connector_resources.redaction import redact

__all__ = [
    "ADMIN_ROLE",
    "LIVE_ACTIONS",
    "OPERATOR_ROLE",
    "ROLES",
    "Operator",
    "OperatorAction",
    "OperatorStore",
    "NotAllowed",
]

OPERATOR_ROLE = "operator"
ADMIN_ROLE = "admin"
# A viewer reads; an operator decides on records (abandon, reopen, replay, match, map); an admin may do all
# that and also turn integrations on and off (``live_on`` / ``live_off``).
ROLES = ("viewer", OPERATOR_ROLE, ADMIN_ROLE)
ACTING_ROLES = (OPERATOR_ROLE, ADMIN_ROLE)
LIVE_ACTIONS = ("live_on", "live_off")


class NotAllowed(PermissionError):
    """Someone without the operator role tried to change something."""


@dataclass(frozen=True, slots=True)
class Operator:
    """Who acts, as the surface established it (a login, a trusted proxy's header, the shell's user), and
    in what role."""

    actor: str
    role: str

    def __post_init__(self) -> None:
        if not isinstance(self.actor, str) or not self.actor.strip():
            raise LedgerInputError("operator action: field 'actor' must name who acts")
        if self.role not in ROLES:
            raise LedgerInputError(f"operator action: field 'role' is {self.role!r}; expected one of {ROLES}")


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """One decision as stored (``mlc_operator_action``)."""

    id: int
    at: datetime
    actor: str
    role: str
    action: str
    integration: str
    flow: str | None
    item_id: int | None
    source_key: str | None
    note: str
    detail: dict[str, Any] | None


class OperatorStore(AuditStore, QueueStore):
    """Operator decisions (a mixin of ``Ledger``)."""

    def abandon_item(self, item_id: int, *, by: Operator, note: str) -> QueueItem:
        """Give up on an open item: it leaves the queue as history (``abandoned``), its trail says who gave
        up on it and why. Refused for a viewer, without a note, or for an item that is not open."""
        note = _note(by, "abandon", item_id, note)
        with self._write(None) as conn:
            self.abandon(item_id, reason=f"abandoned by {by.actor}: {note}", conn=conn)
            item = self._item(item_id, conn)
            self.audit_item(item, "skip", f"abandoned by {by.actor} ({by.role}): {note}", conn=conn)
            self._record_action(conn, by, "abandon", item, note)
        return item

    def reopen_item(self, item_id: int, *, by: Operator, note: str) -> QueueItem:
        """Put an abandoned item back in the queue, due now (the next replay takes it). Refused for a
        viewer, without a note, for an item that is not abandoned, or when the record has an open item of
        the same flow already (that one stands)."""
        note = _note(by, "reopen", item_id, note)
        t = schema.retry_queue
        with self._write(None) as conn:
            item = self._item(item_id, conn)
            if item.status != "abandoned":
                raise LedgerInputError(
                    f"queue item {item_id} is {item.status}, not abandoned: nothing to reopen"
                )
            same = sa.select(t.c.id).where(
                t.c.integration == item.integration,
                t.c.flow == item.flow,
                t.c.source_key == item.source_key,
                t.c.status.in_(schema.QUEUE_OPEN_STATUSES),
            )
            other = conn.execute(same).scalar()
            if other is not None:
                raise LedgerInputError(
                    f"queue item {item_id}: {item.integration}/{item.flow} record {item.source_key} has open "
                    f"item {other} already; replay or abandon that one"
                )
            now = _now()
            reason = redact(f"reopened by {by.actor}: {note}; due for replay")
            conn.execute(
                sa.update(t)
                .where(t.c.id == item_id)
                .values(status="failed", reason=reason, next_attempt_at=now, resolved_at=None, updated_at=now)
            )
            item = self._item(item_id, conn)
            self.audit_item(item, "release", f"reopened by {by.actor} ({by.role}): {note}", conn=conn)
            self._record_action(conn, by, "reopen", item, note)
        return item

    def note_replay(self, items: list[QueueItem], *, by: Operator, note: str) -> None:
        """Who asked to replay ``items`` and why, one action per item, before the replay runs (its own audit
        lines then say what came of each). Refused for a viewer or without a note."""
        note = _note(by, "replay", items[0].id if items else 0, note)
        with self._write(None) as conn:
            for item in items:
                self._record_action(conn, by, "replay", item, note)

    def note_match(
        self,
        action: str,
        *,
        by: Operator,
        integration: str,
        flow: str,
        source_key: str,
        note: str,
        detail: Mapping[str, Any],
        conn: sa.Connection,
    ) -> None:
        """Who matched two records by hand (``match``) or deleted such a match (``unmatch``), why, and which
        records (``detail``), in the caller's transaction: the one that stores the match and its audit
        event, so neither is kept without the other. Refused for a viewer or without a note."""
        if action not in ("match", "unmatch"):
            raise LedgerInputError(f"operator action: {action!r} is not a match (match, unmatch)")
        note = _note(by, action, f"{integration} record {source_key}", note)
        integration = _text("operator action", "integration", integration, schema.NAME_LEN)
        source_key = _text("operator action", "source_key", source_key, schema.KEY_LEN)
        record = {"integration": integration, "flow": flow, "source_key": source_key}
        self._insert_action(
            conn, by, action, note, record, detail=json.dumps(dict(detail), sort_keys=True, default=str)
        )

    def note_live(
        self, action: str, *, by: Operator, integration: str, note: str, detail: Mapping[str, Any]
    ) -> OperatorAction:
        """Who turned ``integration`` on (``live_on``) or off (``live_off``), why, and what was switched
        (``detail``: the schedules and sensors, the fit it went on with or the override). Refused for
        anyone but an admin, or without a note."""
        may_switch(by, integration, action)
        note = _note(by, action, f"integration {integration}", note)
        integration = _text("operator action", "integration", integration, schema.NAME_LEN)
        with self._write(None) as conn:
            self._insert_action(
                conn,
                by,
                action,
                note,
                {"integration": integration},
                detail=json.dumps(dict(detail), sort_keys=True, default=str),
            )
        [latest] = self.operator_actions(action=action, limit=1)
        return latest

    def live_switches(self) -> dict[str, OperatorAction]:
        """Each integration's latest ``live_on`` or ``live_off``, by integration (none: never switched)."""
        t = schema.operator_action
        query = sa.select(t).where(t.c.action.in_(LIVE_ACTIONS)).order_by(t.c.id.desc())
        latest: dict[str, OperatorAction] = {}
        with self._read(None) as conn:
            for row in conn.execute(query):
                if row.integration not in latest:
                    latest[row.integration] = _action(row)
        return latest

    def operator_actions(
        self, *, item_id: int | None = None, action: str | None = None, limit: int = 100
    ) -> list[OperatorAction]:
        """The latest decisions first (of one queue item with ``item_id``; of one verb with ``action``)."""
        t = schema.operator_action
        query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
        if item_id is not None:
            query = query.where(t.c.item_id == item_id)
        if action is not None:
            query = query.where(t.c.action == action)
        with self._read(None) as conn:
            rows = conn.execute(query).all()
        return [_action(row) for row in rows]

    def _item(self, item_id: int, conn: sa.Connection) -> QueueItem:
        t = schema.retry_queue
        row = conn.execute(sa.select(t).where(t.c.id == item_id)).first()
        if row is None:
            raise self._not_open(item_id, conn)
        return self.queue_item(row)

    @classmethod
    def _record_action(
        cls, conn: sa.Connection, by: Operator, action: str, item: QueueItem, note: str
    ) -> None:
        """The decision on one queue item."""
        record = {"integration": item.integration, "flow": item.flow, "source_key": item.source_key}
        cls._insert_action(conn, by, action, note, record, item_id=item.id)

    @staticmethod
    def _insert_action(
        conn: sa.Connection,
        by: Operator,
        action: str,
        note: str,
        record: Mapping[str, str],
        *,
        item_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        """One row of the operator's log: who, what, on which record (integration, flow, source key)."""
        values = {"at": _now(), "actor": by.actor, "role": by.role, "action": action, "note": note, **record}
        conn.execute(sa.insert(schema.operator_action).values(**values, item_id=item_id, detail=detail))


def may_switch(by: Operator, integration: str, action: str) -> None:
    """Refuse (``NotAllowed``) anyone but an admin turning ``integration`` on (``live_on``) or off, before
    anything is switched."""
    if action not in LIVE_ACTIONS:
        raise LedgerInputError(f"operator action: {action!r} is not a switch {LIVE_ACTIONS}")
    if by.role != ADMIN_ROLE:
        verb = "turn on" if action == "live_on" else "turn off"
        raise NotAllowed(f"{by.actor} is a {by.role}: only an admin may {verb} integration {integration}")


def _action(row: Any) -> OperatorAction:
    return OperatorAction(**{**row._mapping, "detail": json.loads(row.detail) if row.detail else None})


def _note(by: Operator, action: str, what: int | str, note: str) -> str:
    """The note, checked: only an operator or an admin acts, and says why (secrets masked: notes are kept
    for good). ``what``: the queue item's id, or what is acted on in words."""
    if action not in schema.OPERATOR_ACTIONS:
        raise LedgerInputError(f"operator action: {action!r} is not one of {schema.OPERATOR_ACTIONS}")
    what = f"queue item {what}" if isinstance(what, int) else what
    if by.role not in ACTING_ROLES:
        raise NotAllowed(f"{by.actor} is a {by.role}: only an operator or an admin may {action} {what}")
    _text(what, "note", note, 10_000)
    return redact(note.strip())
