"""Whatever fixes a record, its day's ``no_failed_records`` check is evaluated again within a minute: this
sensor reads the queue's changes from its cursor (``Ledger.queue_changes``) and requests one run of
``replayed_days_checked`` for the days whose last check no longer says what the queue says. Why, and which
days it leaves alone: docs/alerts.md, "One story: a fix anywhere turns the day green within a minute".
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetCheckKey,
    AssetCheckResult,
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from connector_assets.alerts.channels import alert_sensor_status
from connector_assets.alerts.check_failures import latest_day_evaluation
from connector_assets.alerts.run_failures import PARTITION_TAG, RANGE_TAGS
from connector_assets.asset_keys import flow_asset_key
from connector_assets.flows.day_checks import current_target
from connector_assets.flows.written_check import CHECK, check_result, day_queue
from connector_assets.operations.replay import replay_retry_queue, replayed_days_checked
from connector_resources.ledger import Ledger, LedgerResource, QueueItem
from connector_resources.ledger.schema import QUEUE_OPEN_STATUSES as QUEUE_OPEN
from connector_resources.needs_person import person_kind

SENSOR = "evaluate_changed_days"
PAGE = 2000  # queue changes read per tick; more wait for the next tick (the cursor keeps its place)
# A change is stamped when its statement runs and seen when its transaction commits: each tick also reads
# this far back, judging again (harmlessly: the verdict is compared) what it may have read before.
LATE_COMMIT = timedelta(seconds=120)
PENDING_MOST = 1000  # days kept for the next tick (a run under way will evaluate them)
IN_PROGRESS = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]
# The jobs that evaluate every day they change, whatever it is: while one runs, the days wait for it.
EVALUATING_JOBS = frozenset({replay_retry_queue.name, replayed_days_checked.name})
DESCRIPTION = (
    "Every 30 seconds: the days whose retry-queue records changed outside a run that evaluated them (a fix "
    "at the desk: replay, abandon, reopen, match by hand) have their no_failed_records check evaluated "
    "again by a run of replayed_days_checked, so Dagster, the desk and the alerts tell the same story."
)

Day = tuple[str, str, str | None]  # integration, flow, partition (None: an unpartitioned flow)


@dataclass(frozen=True)
class Cursor:
    """Where the queue was read up to (the newest change's time and id) and the days left for a run under
    way, with the time of their newest change."""

    at: datetime
    item_id: int
    pending: dict[Day, datetime]

    @classmethod
    def read(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        state = json.loads(text)
        pending = {(d[0], d[1], d[2] or None): datetime.fromisoformat(d[3]) for d in state.get("pending", [])}
        return cls(datetime.fromisoformat(state["at"]), int(state["id"]), pending)

    def text(self) -> str:
        pending = [
            [*day[:2], day[2] or "", at.isoformat()] for day, at in sorted(self.pending.items(), key=_order)
        ]
        return json.dumps({"at": self.at.isoformat(), "id": self.item_id, "pending": pending[-PENDING_MOST:]})


def _order(pair: tuple[Day, datetime]) -> tuple[datetime, str, str, str]:
    (integration, flow, day), at = pair
    return (at, integration, flow, day or "")


def changed_days(
    ledger: Ledger, items: Sequence[QueueItem]
) -> tuple[dict[Day, datetime], dict[int, list[Day]]]:
    """The days ``items`` belong to (the partitions their flow met them in; none: the flow's one day), each
    with the time of its newest change; and each item's days."""
    days_of = ledger.days_of_items(items)
    changed: dict[Day, datetime] = {}
    item_days: dict[int, list[Day]] = {}
    for item in items:
        for day in days_of.get(item.id) or [None]:
            key = (item.integration, item.flow, day)
            changed[key] = max(changed.get(key, item.updated_at), item.updated_at)
            item_days.setdefault(item.id, []).append(key)
    return changed, item_days


def _same(fresh: AssetCheckResult, recorded: AssetCheckEvaluation) -> bool:
    """Whether the check computed from the queue now says what the recorded evaluation says: passed,
    severity, and every count."""
    if fresh.passed != recorded.passed or fresh.severity != recorded.severity:
        return False
    for key, value in fresh.metadata.items():
        number = getattr(value, "value", value)
        if isinstance(number, int):
            before = recorded.metadata.get(key)
            if getattr(before, "value", before) != number:
                return False
    return True


class RunsUnderWay:
    """The runs under way that will evaluate a day: a run of the day's write step (its partition or range),
    or a job that evaluates every day it changes. Read once per tick."""

    def __init__(self, context: SensorEvaluationContext) -> None:
        self.runs = context.instance.get_runs(RunsFilter(statuses=IN_PROGRESS), limit=500)
        self.repository = context.repository_def
        self._assets: dict[str, frozenset[AssetKey] | None] = {}

    def _job_assets(self, job_name: str) -> frozenset[AssetKey] | None:
        """The assets a job of this code location materializes (None: unknown here, assume any)."""
        if job_name not in self._assets:
            job = None
            if self.repository is not None and self.repository.has_job(job_name):
                job = self.repository.get_job(job_name)
            self._assets[job_name] = None if job is None else frozenset(job.asset_layer.executable_asset_keys)
        return self._assets[job_name]

    def evaluates(self, asset_key: AssetKey, day: str | None) -> bool:
        for run in self.runs:
            if run.job_name in EVALUATING_JOBS:
                return True
            assets = run.asset_selection or self._job_assets(run.job_name)
            if assets is not None and asset_key not in assets:
                continue
            tags = run.tags
            if day is None or tags.get(PARTITION_TAG) == day:
                return True
            start, end = (tags.get(tag) for tag in RANGE_TAGS)
            if start and end and start <= day <= end:
                return True
        return False


def _partitioned(context: SensorEvaluationContext, asset_key: AssetKey) -> bool | None:
    """Whether the asset is partitioned by day in this code location (None: not here)."""
    graph = context.repository_def.asset_graph if context.repository_def is not None else None
    if graph is None:
        return True
    return graph.get(asset_key).partitions_def is not None if graph.has(asset_key) else None


def days_to_evaluate(
    context: SensorEvaluationContext, ledger: Ledger, changed: dict[Day, datetime]
) -> tuple[dict[Day, float], dict[Day, datetime]]:
    """The days whose check must be evaluated again now (with when it was last evaluated: 0 never), and
    those a run under way will evaluate (kept for the next tick). A day's write step is named by its flow's
    names (``flow_asset_key``); one this code location does not hold is not its to judge."""
    instance: DagsterInstance = context.instance
    under_way: RunsUnderWay | None = None
    now_due: dict[Day, float] = {}
    later: dict[Day, datetime] = {}
    for day, at in sorted(changed.items(), key=_order):
        integration, flow, partition = day
        asset_key = flow_asset_key(integration, flow, "written")
        partitioned = _partitioned(context, asset_key)
        if partitioned is None or (partitioned and partition is None):
            continue  # not this code location's flow, or a record without a day of a partitioned flow
        recorded = latest_day_evaluation(instance, AssetCheckKey(asset_key, CHECK), partition)
        if recorded is not None and recorded[0] >= at.timestamp():
            continue  # evaluated after the change, by the run that made it
        if recorded is None and current_target(instance, asset_key, partition) is None:
            continue  # never materialized: the write step's to judge
        items = ledger.partition_queue(integration=integration, flow=flow, partition_key=partition)
        if recorded is not None and _same(check_result(asset_key, day_queue(items, ledger)), recorded[1]):
            continue
        under_way = under_way or RunsUnderWay(context)
        if under_way.evaluates(asset_key, partition):
            later[day] = at
        else:
            now_due[day] = recorded[0] if recorded is not None else 0.0
    return now_due, later


def _tells(item: QueueItem) -> bool:
    """Whether a change may have moved its day's verdict in a way no run will evaluate: any but an item left
    open waiting on the flows (a released hold, a replay's wait), whose replay evaluates its days."""
    return not (item.status in QUEUE_OPEN and not person_kind(item.kind))


def what_changed(
    items: Iterable[QueueItem], item_days: dict[int, list[Day]], due: dict[Day, float]
) -> dict[Day, str]:
    """Each of the ``due`` days' changes since its last evaluation, in words, for the evaluation's
    ``evaluated_after``: ``retry-queue changes (2 abandoned, 1 resolved)``. Counted per day: a day never
    tells the changes of another day evaluated in the same run."""
    counts: dict[Day, Counter[str]] = {day: Counter() for day in due}
    for item in items:
        for day in item_days.get(item.id, ()):
            if day in due and item.updated_at.timestamp() > due[day]:
                counts[day][item.status] += 1
    return {day: _changes_said(counted) for day, counted in counts.items()}


def _changes_said(counts: Counter[str]) -> str:
    said = ", ".join(
        f"{n} {status}" for status, n in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    )
    return f"retry-queue changes ({said})" if said else "retry-queue changes made while a run was under way"


def evaluate_changed_days(
    context: SensorEvaluationContext, ledger: Ledger, now: datetime
) -> SensorResult | SkipReason:
    """One tick: read the changes since the cursor, and request the evaluation of the days that need it."""
    cursor = Cursor.read(context.cursor)
    if cursor is None:  # the first tick: what changed before the sensor existed is not its to tell
        return SensorResult(cursor=Cursor(now, 0, {}).text())
    fresh = [
        item
        for item in ledger.queue_changes(since=cursor.at, limit=PAGE)
        if (item.updated_at, item.id) > (cursor.at, cursor.item_id)
    ]
    late = ledger.queue_changes(since=cursor.at - LATE_COMMIT, limit=PAGE)
    late = [item for item in late if (item.updated_at, item.id) <= (cursor.at, cursor.item_id)]
    newest = max(((item.updated_at, item.id) for item in fresh), default=(cursor.at, cursor.item_id))
    changed, item_days = changed_days(ledger, [item for item in [*late, *fresh] if _tells(item)])
    for day, at in cursor.pending.items():
        changed[day] = max(changed.get(day, at), at)
    due, later = days_to_evaluate(context, ledger, changed)
    after = Cursor(newest[0], newest[1], later)
    if not due:
        if fresh or later or cursor.pending:
            return SensorResult(cursor=after.text(), skip_reason=_quiet(len(fresh), later))
        return SkipReason("no retry-queue change since the last tick")
    told = what_changed([*late, *fresh], item_days, due)
    config = {
        "days": [
            [integration, flow, day or "", told[(integration, flow, day)]] for integration, flow, day in due
        ],
        "replay": "retry-queue changes",
    }
    request = RunRequest(
        run_key=f"{SENSOR}:{newest[0].isoformat()}:{newest[1]}:{len(due)}",
        run_config={"ops": {"check_replayed_days": {"config": config}}},
        tags={"ml/evaluated_after": "retry-queue changes"},
    )
    named = ", ".join(f"{integration}/{flow} {day or '-'}" for integration, flow, day in list(due)[:10])
    context.log.info(f"{len(due)} day(s) to evaluate again: {named}")
    return SensorResult(run_requests=[request], cursor=after.text())


def _quiet(changes: int, later: dict[Day, datetime]) -> str:
    said = f"{changes} retry-queue change(s), no day's check to evaluate again"
    if later:
        said += f"; {len(later)} day(s) wait for a run under way that evaluates them"
    return said


def changed_days_sensor() -> SensorDefinition:
    """``evaluate_changed_days``: every 30 seconds, running where the alert sensors run (a channel configured,
    or the sandbox's running default): it only reads the ledger and records check evaluations."""

    @sensor(
        name=SENSOR,
        job=replayed_days_checked,
        minimum_interval_seconds=30,
        default_status=alert_sensor_status(),
        description=DESCRIPTION,
    )
    def _evaluate(context: SensorEvaluationContext, ledger: LedgerResource) -> SensorResult | SkipReason:
        return evaluate_changed_days(context, ledger.get(), datetime.now(UTC))

    return _evaluate
