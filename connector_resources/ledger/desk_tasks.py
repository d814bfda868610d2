"""The desk's long actions (a replay of hundreds of records) as rows a result page reads: who started it and
why, its progress while it runs in the background, and what came of it.

Why in the ledger: the action runs in a thread of the desk process while the person's browser reloads the
task's page, possibly on another desk replica behind the same proxy, so its progress is in the database
every replica reads. A task records the process running it (``ProcessIdentity``); a task still "running"
whose process has ended (the desk restarted under it) is shown, and stored, as interrupted rather than
running for ever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.base import LedgerBase
from connector_resources.ledger.records import LedgerInputError, LedgerRecordNotFound, _now
from connector_resources.process_identity import ProcessIdentity

__all__ = ["TASK_STATES", "DeskTask", "DeskTaskStore"]

# running: under way; done: finished (whatever came of each record); failed: stopped by an error;
# interrupted: its process ended before it finished (a desk restart).
TASK_STATES = ("running", "done", "failed", "interrupted")


@dataclass(frozen=True, slots=True)
class DeskTask:
    """One long desk action (``mlc_desk_task``); ``detail`` what it acts on (a filter, item ids) and the
    process running it, ``result`` what came of it (counts, item ids, the summary line)."""

    id: int
    actor: str
    role: str
    action: str
    note: str
    state: str
    total: int
    done: int
    created_at: datetime
    updated_at: datetime
    detail: dict[str, Any]
    result: dict[str, Any]

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))


class DeskTaskStore(LedgerBase):
    """Start, advance, finish and read the desk's long actions (a mixin of ``Ledger``)."""

    def start_desk_task(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        note: str,
        total: int,
        detail: dict[str, Any] | None = None,
    ) -> DeskTask:
        """A new running task of ``total`` steps, owned by this process."""
        if total < 0:
            raise LedgerInputError(f"desk task: field 'total' is {total}; expected 0 or more")
        now, t = _now(), schema.desk_task
        shown = {**(detail or {}), "process": ProcessIdentity.current().as_text()}
        values = {
            "actor": actor,
            "role": role,
            "action": action[:16],
            "note": note,
            "state": "running",
            "total": total,
            "done": 0,
            "created_at": now,
            "updated_at": now,
            "detail": json.dumps(shown, default=str),
            "result": None,
        }
        with self._write(None) as conn:
            task_id = conn.execute(sa.insert(t).values(**values).returning(t.c.id)).scalar_one()
        return self._task(task_id)

    def desk_task_progress(self, task_id: int, done: int, *, result: dict[str, Any] | None = None) -> None:
        """``done`` steps of a running task are finished (``result``: what came of them so far)."""
        changes: dict[str, Any] = {"done": done, "updated_at": _now()}
        if result is not None:
            changes["result"] = json.dumps(result, default=str)
        self._change(task_id, changes, running_only=True)

    def finish_desk_task(self, task_id: int, *, state: str, result: dict[str, Any]) -> DeskTask:
        """The task ended (``state``: done or failed) with ``result``."""
        if state not in ("done", "failed"):
            raise LedgerInputError(f"desk task {task_id}: finished as {state!r}; expected done or failed")
        self._change(
            task_id, {"state": state, "result": json.dumps(result, default=str), "updated_at": _now()}
        )
        return self._task(task_id)

    def desk_task(self, task_id: int) -> DeskTask | None:
        """The task, or None; one still running in a process that has ended is marked interrupted first."""
        try:
            return self._task(task_id)
        except LedgerRecordNotFound:
            return None

    def recent_desk_tasks(self, *, limit: int = 20) -> list[DeskTask]:
        """The latest tasks, newest first (each judged as ``desk_task`` does)."""
        t = schema.desk_task
        with self._read(None) as conn:
            ids = list(conn.scalars(sa.select(t.c.id).order_by(t.c.id.desc()).limit(limit)))
        return [self._task(task_id) for task_id in ids]

    def _task(self, task_id: int) -> DeskTask:
        t = schema.desk_task
        with self._read(None) as conn:
            row = conn.execute(sa.select(t).where(t.c.id == task_id)).first()
        if row is None:
            raise LedgerRecordNotFound(f"desk task {task_id} does not exist")
        task = _desk_task(row)
        owner = ProcessIdentity.parse(task.detail.get("process"))
        if task.running and owner is not None and owner.ended():
            self._change(task_id, {"state": "interrupted", "updated_at": _now()}, running_only=True)
            return self._task(task_id)
        return task

    def _change(self, task_id: int, changes: dict[str, Any], *, running_only: bool = False) -> None:
        t = schema.desk_task
        query = sa.update(t).where(t.c.id == task_id).values(**changes)
        if running_only:
            query = query.where(t.c.state == "running")
        with self._write(None) as conn:
            if conn.execute(query).rowcount == 0 and not running_only:
                raise LedgerRecordNotFound(f"desk task {task_id} does not exist")


def _desk_task(row: sa.Row[Any]) -> DeskTask:
    data = dict(row._mapping)
    data["detail"] = json.loads(data["detail"]) if data["detail"] else {}
    data["result"] = json.loads(data["result"]) if data["result"] else {}
    return DeskTask(**data)
