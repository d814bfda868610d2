"""The desk's long actions in the background: a replay of one record or hundreds runs in a thread of the desk
process, a chunk at a time, while the browser shows its progress and then its result (``/tasks/<id>``).

Why: a replay of 12 records took 55 s in one request, with nothing on the screen. Now the action notes who
asked and why once (``note_replay``), records a task (``DeskTaskStore``), answers at once with the task's
page, and replays the records in chunks through ``replay_items`` exactly as the CLI does (a fixed parent
before its children: the records are ordered with ``parents_first`` before they are cut), advancing the
task after each chunk. Each chunk is read again before it is replayed: the records an exception holds are
replayed with it (``exception_causes``), and a record held on a parent an earlier chunk wrote was released
meanwhile. The result keeps the ids of what was written, failed again or is held, for links.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from connector_resources.held_parents import parents_first
from connector_resources.ledger import Ledger
from connector_resources.ledger.operator_actions import Operator
from connector_resources.ledger.records import QueueItem

if TYPE_CHECKING:  # the replay machinery is loaded by the task's thread
    from connector_resources.replay import ReplaySummary

__all__ = ["TASK_CHUNK", "start_replay"]

log = logging.getLogger("ml_connector.desk")

TASK_CHUNK = 25  # records replayed between two steps of progress, at most (fewer for a short task)
_OUTCOMES = ("replayed", "failed", "held", "already", "skipped", "elsewhere", "no_handler")


def _chunk(total: int) -> int:
    """About ten steps of progress for a short task, ``TASK_CHUNK`` records a step for a long one."""
    return max(1, min(TASK_CHUNK, -(-total // 10)))


def start_replay(ledger: Ledger, items: list[QueueItem], operator: Operator, note: str, *, back: str) -> int:
    """Note who replays ``items`` and why, start the task and its thread; the task's id. ``back``: the page
    the action came from (the result page links it)."""
    items = parents_first(items, by_flow=True)
    ledger.note_replay(items, by=operator, note=note)  # refused for a viewer or without a note
    task = ledger.start_desk_task(
        actor=operator.actor,
        role=operator.role,
        action="replay",
        note=note,
        total=len(items),
        detail={"items": [item.id for item in items], "back": back},
    )
    worker = threading.Thread(
        target=_replay,
        args=(ledger, task.id, items, operator.actor),
        name=f"desk-task-{task.id}",
        daemon=True,
    )
    worker.start()
    return task.id


def _replay(ledger: Ledger, task_id: int, items: list[QueueItem], actor: str) -> None:
    """The task's thread: replay a chunk, advance the task, until every record is done; a failure that
    stops it (not one record's refusal: ``replay_items`` queues those) ends the task as failed."""
    total: ReplaySummary | None = None
    done = 0
    try:
        from connector_cli.records import deployment_replays
        from connector_resources.replay import ReplaySummary, replay_items

        replays = deployment_replays()  # the deployment's flows' handlers, as the CLI replays with
        total = ReplaySummary()
        step = _chunk(len(items))
        for start in range(0, len(items), step):
            # Read again: a record held on one an earlier chunk wrote was released since (due now)
            chunk = [now for item in items[start : start + step] if (now := ledger.queue_item_by_id(item.id))]
            total.add(replay_items(ledger, chunk, replays, by=f"desk:{actor}"))
            done += len(chunk)
            ledger.desk_task_progress(task_id, done, result=_result(total))
        ledger.finish_desk_task(task_id, state="done", result=_result(total))
    except Exception as error:  # the task's page says it stopped, and why; the log has the traceback
        log.exception("desk: task %s stopped after %s record(s)", task_id, done)
        said = _result(total) if total is not None else {}
        ledger.finish_desk_task(task_id, state="failed", result={**said, "error": str(error)})


def _result(summary: ReplaySummary) -> dict[str, Any]:
    """What the result page shows: the summary line and the item ids of each outcome."""
    return {"line": summary.line(), **{name: list(getattr(summary, name)) for name in _OUTCOMES}}
