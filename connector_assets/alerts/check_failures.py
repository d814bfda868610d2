"""Alert on a day whose ``no_failed_records`` check (``flows.written_check``) evaluated red, and its
all-clear once it is green again, read from Dagster's asset-check history, which unlike a cross-run
event-log query also works on ``make dev``'s SQLite storage (docs/alerts.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckSeverity,
    DagsterInstance,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
)

from connector_assets.alerts.channels import Alert, TickAlerts, alert_sensor
from connector_assets.alerts.sent_alerts import AlertedDays, day_key
from connector_assets.flows.day_checks import REPLAYED
from connector_assets.flows.range_days import RANGE_DAYS
from connector_assets.flows.written_check import CHECK as WRITTEN_CHECK
from connector_assets.runtime.dagster_compat import (
    COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES,
    AssetCheckExecutionRecord,
    PartitionKeyFilter,
)

# The latest evaluations read per check and tick (one a minute): far more than a flow's runs in a minute.
PER_CHECK = 100
# A check planned before another may be evaluated after it, and machines' clocks differ: a tick also looks
# this far back, skipping what it already alerted (their ids are kept for as long).
OVERLAP_SECONDS = 300.0
FORGET_DAYS = 7
DESCRIPTION = (
    "Sends an alert when a `_written` asset's no_failed_records check fails for a day: ERROR, records failed "
    "to reach the target; WARN, records held longer than ML_HELD_ALERT_HOURS. When an alerted day passes "
    "again, its all-clear."
)


CLOSED_PERIOD = "held_closed_period"  # the check's count of money held on a closed period (written_check)
# The check's count of holds that need a person (``needs_person``: a master record the target lacks, a parent
# refused): they end when a person acts, not by themselves.
HELD_PERSON = "held_needs_person"


def _metadata_value(evaluation: AssetCheckEvaluation, key: str) -> str:
    value = evaluation.metadata.get(key)
    return "-" if value is None else str(getattr(value, "value", value))


def failed_records_alert(evaluation: AssetCheckEvaluation, day: str, run_id: str) -> Alert:
    """ERROR: records of the day failed; WARN: records of the day held longer than the alert hours. The
    reasons are the check's own (each kind in a real record's words) and, when the day stopped on an error
    (a target that answered none of its writes), that error too."""
    asset = evaluation.asset_key.to_user_string()
    failed = evaluation.severity == AssetCheckSeverity.ERROR
    overdue = _count(evaluation, "held_overdue")
    closed = not failed and not overdue and _count(evaluation, CLOSED_PERIOD)
    person = not failed and not overdue and not closed and _count(evaluation, HELD_PERSON)
    what = "failed records" if failed else "records held too long"
    if closed:
        what = "money dated in a closed accounting period"
    elif person:
        what = "records held until a person acts"
    error = _metadata_value(evaluation, "error")
    return Alert(
        kind="failed_records" if failed else "closed_period" if closed else "held_records",
        title=f"{asset}: {what} on {day}",
        facts=(
            ("Asset", asset),
            ("Day", day),
            ("Failed", _metadata_value(evaluation, "failed")),
            ("Held", _metadata_value(evaluation, "held")),
            ("Held overdue", _metadata_value(evaluation, "held_overdue")),
            ("Held for a closed period", _metadata_value(evaluation, CLOSED_PERIOD)),
            ("Held until a person acts", _metadata_value(evaluation, HELD_PERSON)),
            ("Reasons", _metadata_value(evaluation, "reasons")),
            *((("Error", error),) if error != "-" else ()),
            ("Run", run_id),
        ),
        ui_path=f"/assets/{asset}?view=checks",
    )


def all_clear_alert(evaluation: AssetCheckEvaluation, day: str, run_id: str, alerted: list[float]) -> Alert:
    """A day alerted red is clear again: its records were fixed (written by a run or a replay, abandoned,
    matched by hand) and nothing else of the day needs a person. ``alerted``: the day's counts when last
    seen red (``AlertedDays``: failed, held too long, when), what the clear day no longer has."""
    asset = evaluation.asset_key.to_user_string()
    failed, held = int(alerted[0]), int(alerted[1])
    was = [f"{failed} failed record(s)"] if failed else []
    was += [f"{held} record(s) held too long, on a closed period or until a person acted"] if held else []
    after = _metadata_value(evaluation, REPLAYED)
    return Alert(
        kind="all_clear",
        title=f"{asset} {day}: all clear, {' and '.join(was) or 'its records'} fixed",
        facts=(
            ("Asset", asset),
            ("Day", day),
            ("Last red with", ", ".join(was) or "-"),
            ("Now", "no record of the day failed or is held too long"),
            ("Evaluated after", after if after != "-" else f"run {run_id}"),
            ("Run", run_id),
        ),
        ui_path=f"/assets/{asset}?view=checks",
    )


def evaluated_at(record: AssetCheckExecutionRecord) -> float:
    return record.event.timestamp if record.event is not None else record.create_timestamp


def _completed() -> set | None:
    """The statuses of an evaluated check execution; None (every status: callers keep the evaluated ones)
    on a Dagster without the constant."""
    statuses = COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES
    return set(statuses) if statuses is not None else None


def _evaluation(record: AssetCheckExecutionRecord) -> AssetCheckEvaluation | None:
    event = record.event.dagster_event if record.event is not None else None
    evaluation = event.event_specific_data if event is not None else None
    return evaluation if isinstance(evaluation, AssetCheckEvaluation) else None


def evaluations_after(
    context: SensorEvaluationContext, checks: Iterable[AssetCheckKey], after: float, seen: set[int]
) -> list[tuple[AssetCheckExecutionRecord, AssetCheckEvaluation]]:
    """Completed evaluations (passed and failed) of ``checks`` stored after ``after`` (less the overlap)
    and not in ``seen``, oldest first."""
    found = []
    for check in checks:
        history = context.instance.event_log_storage.get_asset_check_execution_history(
            check, limit=PER_CHECK, status=_completed()
        )
        for record in history:
            evaluation = _evaluation(record)
            if record.id in seen or evaluated_at(record) <= after - OVERLAP_SECONDS:
                continue
            if evaluation is not None:
                found.append((record, evaluation))
    return sorted(found, key=lambda pair: (evaluated_at(pair[0]), pair[0].id))


def _written_checks(context: SensorEvaluationContext) -> list[AssetCheckKey]:
    graph = context.repository_def.asset_graph if context.repository_def is not None else None
    keys = graph.asset_check_keys if graph is not None else set()
    return sorted((key for key in keys if key.name == WRITTEN_CHECK), key=lambda key: key.to_user_string())


def _count(evaluation: AssetCheckEvaluation, key: str) -> int:
    value = evaluation.metadata.get(key)
    return int(getattr(value, "value", value) or 0)


def _attention(evaluation: AssetCheckEvaluation) -> tuple[int, int]:
    """What a person must look at on the day: its failed records, and its holds that will not end by
    themselves (held longer than the alert hours, dated in a closed accounting period, or held until a
    person acts: the holds the day's check turns red on)."""
    held = sum(_count(evaluation, key) for key in ("held_overdue", CLOSED_PERIOD, HELD_PERSON))
    return _count(evaluation, "failed"), held


def _is_news(evaluation: AssetCheckEvaluation, alerted: list[float] | None) -> bool:
    """A day with failed or overdue records is news the first time, and again with more than last alerted; a
    day red with nothing failed or held is the run-failure alert's (docs/alerts.md, "The alerts")."""
    failed, overdue = _attention(evaluation)
    if not failed and not overdue:
        return False
    return alerted is None or failed > alerted[0] or overdue > alerted[1]


def latest_day_record(
    instance: DagsterInstance, check: AssetCheckKey, day: str | None
) -> AssetCheckExecutionRecord | None:
    """The latest completed evaluation of ``check`` for ``day`` (None: the unpartitioned one), if any."""
    history = instance.event_log_storage.get_asset_check_execution_history
    if PartitionKeyFilter is not None and COMPLETED_ASSET_CHECK_EXECUTION_RECORD_STATUSES is not None:
        latest = history(check, limit=1, status=_completed(), partition_filter=PartitionKeyFilter(key=day))
        return latest[0] if latest else None
    # This Dagster lacks the filter or the statuses (warned once): the day's newest among the check's latest.
    return next(
        (
            record
            for record in history(check, limit=PER_CHECK, status=_completed())
            if record.partition == day and _evaluation(record) is not None
        ),
        None,
    )


def latest_day_evaluation(
    instance: DagsterInstance, check: AssetCheckKey, day: str | None
) -> tuple[float, AssetCheckEvaluation] | None:
    """When the day's check was last evaluated (a timestamp) and what it said, if it ever was."""
    record = latest_day_record(instance, check, day)
    evaluation = _evaluation(record) if record is not None else None
    return (evaluated_at(record), evaluation) if record is not None and evaluation is not None else None


def _superseded(context: SensorEvaluationContext, record: AssetCheckExecutionRecord, day: str | None) -> bool:
    """Whether the same check was evaluated again for the same day since ``record``: only a day's latest
    evaluation is alerted (docs/alerts.md, "The alerts")."""
    latest = latest_day_record(context.instance, record.key, day)
    return latest is not None and latest.id > record.id


def alert_new_failures(
    context: SensorEvaluationContext, checks: list[AssetCheckKey], now: float
) -> SensorResult:
    """One alert per day that turned red (or redder) and is still so, and one all-clear per alerted day that
    passed again, oldest first. The cursor keeps the newest evaluation time read and the ids read within
    ``OVERLAP_SECONDS`` before it; what was alerted per day is in ``AlertedDays`` until the day passes or goes
    ``FORGET_DAYS`` unevaluated."""
    state = json.loads(context.cursor) if context.cursor else {"after": now, "seen": {}}
    after, seen = float(state["after"]), {int(i): float(t) for i, t in state["seen"].items()}
    found = evaluations_after(context, checks, after, set(seen))

    def day_of(record: AssetCheckExecutionRecord, evaluation: AssetCheckEvaluation) -> str | None:
        return evaluation.partition or record.partition

    keys = {day_key(e.asset_key.to_user_string(), day_of(r, e) or "-") for r, e in found}
    alerted = AlertedDays.read(context.instance, keys, now, FORGET_DAYS * 86400)
    for key, counts in state.get("red", {}).items():  # a cursor written before the store kept them
        alerted.days.setdefault(day_key(*key.split("|", 1)), counts)
    alerts = TickAlerts(context.log)
    for record, evaluation in found:
        day = day_of(record, evaluation)
        key = day_key(evaluation.asset_key.to_user_string(), day or "-")
        if evaluation.partition is None and RANGE_DAYS in evaluation.metadata:
            pass  # a range's sum (``range_days``): each of its days was evaluated, and alerted, on its own
        elif evaluation.passed:
            counts = alerted.get(key)
            if counts is not None and not _superseded(context, record, day):
                # The day was alerted and is clear now: its all-clear, once (forgotten as it goes out).
                cleared = all_clear_alert(evaluation, day or "-", record.run_id, counts)
                if not alerts.send(cleared, f"all-clear for check execution {record.id}"):
                    break
                alerted.passed(key)
            elif counts is None:
                alerted.passed(key)  # a day never alerted (or long forgotten): nothing to clear
        elif not _superseded(context, record, day):
            if _is_news(evaluation, alerted.get(key)):
                failed_alert = failed_records_alert(evaluation, day or "-", record.run_id)
                if not alerts.send(failed_alert, f"alert for check execution {record.id}"):
                    break
            failed, overdue = _attention(evaluation)
            if failed or overdue:
                alerted.red(key, failed, overdue, evaluated_at(record))
        seen[record.id] = evaluated_at(record)
        after = max(after, seen[record.id])
    recent = {str(i): t for i, t in seen.items() if t > after - OVERLAP_SECONDS}
    return SensorResult(cursor=json.dumps({"after": after, "seen": recent}))


def _tick(context: SensorEvaluationContext) -> SensorResult:
    return alert_new_failures(context, _written_checks(context), time.time())


def failed_records_alert_sensor() -> SensorDefinition:
    """``alert_on_failed_records``: every minute, the check evaluations stored since the last tick."""
    return alert_sensor("alert_on_failed_records", DESCRIPTION)(_tick)
