"""What a ``<flow>_written`` materialization says about its day, and the check that turns red on it.

A write step succeeds when it has tried every record: one record's failure goes to the retry queue and
never stops the batch. So "Materialized" alone said nothing about whether the day reached the target
(``create=0 skip=2 fail=13`` showed green). The day's truth is the retry queue: the records the flow met
in that partition (the audit trail keeps the partition of every fail and hold) that are still failed, or
held longer than ``ML_HELD_ALERT_HOURS``. The check fails on those, with the reasons counted, and the
materialization carries the day's own figures, so the check's partitions (asset -> Checks) show which days
need attention, red, and why (``day_checks``: the evaluation must target the day's materialization); a
replay that writes a day's last failed record evaluates the day again, green.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    PartitionsDefinition,
)

from connector_assets.flows.close_calendar import is_close_hold
from connector_assets.flows.periods import is_period_hold
from connector_assets.flows.reason_text import ReasonCounts
from connector_resources import settings
from connector_resources.ledger import QueueItem
from connector_resources.reason_kinds import reason_kind
from connector_resources.redaction import redact

CHECK = "no_failed_records"
PERIOD_LABEL = "held for a closed accounting period: "
HELD_ALERT_ENV = "ML_HELD_ALERT_HOURS"
TOP_REASONS = 10


def held_alert_hours() -> float:
    """``ML_HELD_ALERT_HOURS`` (default in ``PROJECT_SETTINGS``): how long a hold is normal.

    A purchase order held for its supplier is routine for an hour; held for a day, someone must look."""
    return float(settings.read(HELD_ALERT_ENV))


def reason_words(reason: str) -> str:
    """A queue reason without the record it names first, whole and redacted: what a person reads.

    Reasons read "<entity> <key>: <why>" (``queue_failure``); the count says how many records."""
    why = reason.split(": ", 1)[1] if re.match(r"^[\w ]+ \S+: ", reason) else reason
    return redact(why).strip()


def reason_class(reason: str) -> str:
    """The kind (``reason_kind``) of ``reason_words``: the key a day's reasons are counted by, never shown.

    "supplier 4411: account 4000-0-0-0 not found in F0901" and the same for 4412 count as one reason (shown
    in the first one's words, ``ReasonCounts``)."""
    return reason_kind(reason_words(reason))


def reason_counts() -> ReasonCounts:
    """An empty count of queue reasons by kind (``reason_class``), shown in their own words."""
    return ReasonCounts(key=reason_class, why=reason_words, whole=lambda reason: redact(reason).strip())


@dataclass
class PartitionQueue:
    """The open retry-queue items of one flow's partition, in counts."""

    failed: int = 0
    held: int = 0
    held_overdue: int = 0
    held_period: int = 0  # money dated in a closed accounting period: someone must re-date it or reopen
    reasons: ReasonCounts = field(default_factory=reason_counts)


def queue_of(
    items: Iterable[QueueItem], *, now: datetime | None = None, alert_after: timedelta | None = None
) -> PartitionQueue:
    """Count a partition's failed and held records among its open queue ``items`` (``Ledger.partition_queue``,
    read once by the write step for its verdicts), and the holds older than the alert threshold."""
    now = now or datetime.now(UTC)
    alert_after = timedelta(hours=held_alert_hours()) if alert_after is None else alert_after
    queue = PartitionQueue()
    for item in items:
        if item.status == "held":
            queue.held += 1
            if is_period_hold(item.depends_on):  # its own kind: it waits on the calendar, not on a record
                queue.held_period += 1
                queue.reasons.add(item.reason, label=PERIOD_LABEL)
            elif is_close_hold(item.depends_on):
                continue  # the declared close: expected, it ends by itself
            elif now - item.created_at > alert_after:
                queue.held_overdue += 1
                queue.reasons.add(item.reason, label=f"held over {alert_after.total_seconds() / 3600:g} h: ")
        else:
            queue.failed += 1
            queue.reasons.add(item.reason)
    return queue


def check_spec(
    asset_name: AssetKey, target_system: str, partitions_def: PartitionsDefinition | None = None
) -> AssetCheckSpec:
    """Partitioned like its asset, so each day keeps its own result (the UI lists them per partition)."""
    return AssetCheckSpec(
        CHECK,
        asset=asset_name,
        description=f"No record of the day failed to reach {target_system}, none has been held longer "
        f"than {HELD_ALERT_ENV} hours (its dependency never synced), and no money waits on a closed "
        "accounting period; the reasons are counted.",
        partitions_def=partitions_def,
    )


def check_result(asset_name: AssetKey, queue: PartitionQueue, desk: str | None = None) -> AssetCheckResult:
    """Red (ERROR) when records of the day failed; red (WARN) when only holds are overdue, or money of the
    day waits on a closed accounting period (counted and named as such: a person re-dates or reopens).
    ``desk``: the exceptions desk's page of the day's records, linked when any is open."""
    passed = queue.failed == 0 and queue.held_overdue == 0 and queue.held_period == 0
    metadata: dict[str, Any] = {
        "failed": queue.failed,
        "held": queue.held,
        "held_overdue": queue.held_overdue,
        "held_closed_period": queue.held_period,
        "reasons": MetadataValue.md(queue.reasons.markdown(TOP_REASONS)),
        **({"desk": MetadataValue.url(desk)} if desk and (queue.failed or queue.held) else {}),
    }
    return AssetCheckResult(
        asset_key=asset_name,
        check_name=CHECK,
        passed=passed,
        severity=AssetCheckSeverity.ERROR if queue.failed else AssetCheckSeverity.WARN,
        metadata=metadata,
    )
