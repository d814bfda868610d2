"""What a ``<flow>_written`` materialization says about its day, and the check that turns red on it, read
from the retry queue (docs/flows.md, "What Dagster shows, per day").
"""

from collections.abc import Iterable, Mapping
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

from connector_assets.flows.periods import is_period_hold
from connector_assets.flows.reason_text import ReasonCounts
from connector_resources import settings
from connector_resources.exception_causes import exception_causes, holding
from connector_resources.ledger import Ledger, QueueItem
from connector_resources.needs_person import Outlived, needs_person

CHECK = "no_failed_records"
PERIOD_LABEL = "held for a closed accounting period: "
HELD_ALERT_ENV = "ML_HELD_ALERT_HOURS"
TOP_REASONS = 10
RETRYING_LABEL = "retried by itself: "  # a failed record the flows retry (``PartitionQueue.retrying``)
BLOCKED_LABEL = "held on a record that needs a person: "  # counted under that record's kind


def held_alert_hours() -> float:
    """``ML_HELD_ALERT_HOURS`` (default in ``PROJECT_SETTINGS``): how long a wait is normal.

    A purchase order held for its supplier is routine for an hour; held for a day, someone must look."""
    return float(settings.read(HELD_ALERT_ENV))


@dataclass
class PartitionQueue:
    """The open retry-queue items of one flow's partition, in counts."""

    failed: int = 0
    held: int = 0
    held_overdue: int = 0  # waits that outlived what they wait for (``refusals.wait_outlived``)
    held_period: int = 0  # money dated in a closed accounting period: someone must re-date it or reopen
    # held on what a person must do (a master record the target lacks, a parent refused: ``needs_person``)
    held_person: int = 0
    # Failed but the flows' to clear: a throttle or an outage retried at its next attempt, a hold released
    # for the next replay. Not a failure of the day: it is written by itself, or outlives its bound.
    retrying: int = 0
    needs_person: int = 0  # open items of the day a person must act on (refusals and outlived waits)
    clears_by_itself: int = 0  # open items waiting on the flows, within bounds
    reasons: ReasonCounts = field(default_factory=ReasonCounts)
    # The exceptions (one per cause: a missing mapping row, a refused parent) holding records of the day,
    # each said with all the records it holds, as every surface counts them (``exception_causes``)
    exceptions: list[str] = field(default_factory=list)


def queue_of(
    items: Iterable[QueueItem],
    *,
    now: datetime | None = None,
    alert_after: timedelta | None = None,
    synced: frozenset[str] = frozenset(),
    parents: Mapping[str, QueueItem] | None = None,
) -> PartitionQueue:
    """Count a partition's failed and held records among its open queue ``items`` (``Ledger.partition_queue``,
    read once by the write step for its verdicts) by kind, and in the two views of every surface
    (``connector_resources.needs_person``): a person's (a refusal, a hold a person ends, a record held on one
    of ``parents``, records that need a person, a wait that outlived ``alert_after`` or whose dependency is
    among ``synced``: ``Ledger.synced_dependencies`` of the held items') and the flows' (waits within
    bounds). ``day_queue`` reads ``synced`` and ``parents`` from the ledger."""
    now = now or datetime.now(UTC)
    alert_after = timedelta(hours=held_alert_hours()) if alert_after is None else alert_after
    outlived = Outlived(synced, alert_after, now, parents or {})
    queue = PartitionQueue()
    for item in items:
        why = outlived.why(item)
        said = f"{why} ({item.reason})" if why else ""  # why it did not clear, then what it is
        person = needs_person(item, outlived)
        if person:
            queue.needs_person += 1
        else:
            queue.clears_by_itself += 1
        if item.status != "held" and not person:  # a throttle, an outage, a released hold: retried
            queue.retrying += 1
            queue.reasons.add_found(item, label=RETRYING_LABEL)
        elif item.status != "held":
            queue.failed += 1
            queue.reasons.add_found(item, sentence=said)
        elif is_period_hold(item.depends_on, item.kind):  # its own kind: it waits on the calendar
            queue.held += 1
            queue.held_period += 1
            queue.reasons.add_found(item, label=PERIOD_LABEL, sentence=said)
        elif outlived.how(item) == "blocked":  # held on a record a person must fix: under that one's kind
            queue.held += 1
            queue.held_person += 1
            parent = outlived.parents[item.depends_on or ""]
            queue.reasons.add(parent.kind or "", f"{why} ({item.reason})", label=BLOCKED_LABEL)
        elif why:
            queue.held += 1
            queue.held_overdue += 1
            hours = f"{alert_after.total_seconds() / 3600:g}"
            queue.reasons.add_found(item, label=f"waited over {hours} h or not released: ", sentence=said)
        elif person:
            queue.held += 1
            queue.held_person += 1
            queue.reasons.add_found(item)
        else:  # a wait within bounds (a dependency, the declared close, another run's write): normal
            queue.held += 1
    return queue


def day_queue(items: list[QueueItem], ledger: Ledger, *, now: datetime | None = None) -> PartitionQueue:
    """``queue_of`` a day's open ``items``, with what judges their waits read from ``ledger``
    (``Outlived.read``): the dependencies of its held ones that have synced (such a record was not released,
    so it needs a person) and those whose record needs a person (its held records are that person's); and
    the exceptions holding the day's records (``exception_causes``)."""
    now = now or datetime.now(UTC)
    after = timedelta(hours=held_alert_hours())
    outlived = Outlived.read(ledger, items, after=after, now=now)
    queue = queue_of(items, now=now, alert_after=after, synced=outlived.synced, parents=outlived.parents)
    if queue.needs_person:  # only a person's records are an exception's: read the causes only then
        ids = {item.id for item in items}
        queue.exceptions = [
            f"{cause.said()}; {len(cause.ids & ids)} of this day; to do: {cause.fix}"
            for cause in holding(exception_causes(ledger), ids)
        ]
    return queue


def check_spec(
    asset_name: AssetKey, target_system: str, partitions_def: PartitionsDefinition | None = None
) -> AssetCheckSpec:
    """Partitioned like its asset, so each day keeps its own result (the UI lists them per partition)."""
    return AssetCheckSpec(
        CHECK,
        asset=asset_name,
        description=f"No record of the day failed to reach {target_system}, none is held on what a person "
        f"must do (a master record {target_system} lacks), no wait outlived what it waits for (held longer "
        f"than {HELD_ALERT_ENV} hours, or its dependency synced and it was not released), and no money "
        "waits on a closed accounting period; the reasons are counted by kind.",
        partitions_def=partitions_def,
    )


def check_result(asset_name: AssetKey, queue: PartitionQueue, desk: str | None = None) -> AssetCheckResult:
    """Red (ERROR) when records of the day failed; red (WARN) when only holds need a person: a wait that
    outlived what it waits for, a hold on what a person must set up, or money of the day on a closed
    accounting period (counted and named as such: a person re-dates or reopens).
    ``desk``: the exceptions desk's page of the day's records, linked when any is open."""
    held = queue.held_overdue + queue.held_period + queue.held_person
    passed = queue.failed == 0 and held == 0
    metadata: dict[str, Any] = {
        "failed": queue.failed,
        "held": queue.held,
        "held_overdue": queue.held_overdue,
        "held_closed_period": queue.held_period,
        "held_needs_person": queue.held_person,
        "retrying": queue.retrying,
        "needs_person": queue.needs_person,
        "clears_by_itself": queue.clears_by_itself,
        "reasons": MetadataValue.md(queue.reasons.markdown(TOP_REASONS)),
        **(
            {"exceptions": MetadataValue.md("\n".join(f"- {line}" for line in queue.exceptions))}
            if queue.exceptions
            else {}
        ),
        **(
            {"desk": MetadataValue.url(desk)}
            if desk and (queue.failed or queue.held or queue.retrying)
            else {}
        ),
    }
    return AssetCheckResult(
        asset_key=asset_name,
        check_name=CHECK,
        passed=passed,
        severity=AssetCheckSeverity.ERROR if queue.failed else AssetCheckSeverity.WARN,
        metadata=metadata,
    )
