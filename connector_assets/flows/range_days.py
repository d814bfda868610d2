"""Per-day results of a flow step that runs a range of days in one run (a backfill: one process, one login),
so "rerun from failure" takes exactly the failed days: docs/flows.md, "What Dagster shows, per day", and
docs/backfill_mechanisms.md, section 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dagster import AssetCheckEvaluation, AssetCheckResult, AssetCheckSeverity, AssetKey

if TYPE_CHECKING:
    from connector_assets.runtime.dagster_compat import (
        AssetCheckEvaluationTargetMaterializationData as Target,
    )

DAYS_TOLD = 10
# In the metadata of a range's own check result: it sums days whose evaluations are logged one by one, so
# an alert on it would repeat theirs (``alerts.check_failures`` skips it).
RANGE_DAYS = "range_days"


@dataclass
class DayWrite:
    """What a write step did on one day: its figures, the source keys it staged, and why it failed."""

    partition: str | None
    counts: dict[str, int]
    staged: set[str] = field(default_factory=set)
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def day_evaluation(
    result: AssetCheckResult, asset_key: AssetKey, partition: str | None, target: Target | None = None
) -> AssetCheckEvaluation:
    """``result`` as the evaluation of one day's partition: a check result yielded in a ranged step is
    recorded without a partition, so each day's is logged as its own event. Dagster colours the day in
    the check's partitions only when ``target`` is the day's latest materialization
    (``day_checks.current_target``), so a step logs it after materializing the day."""
    return AssetCheckEvaluation(
        asset_key=result.asset_key or asset_key,
        check_name=result.check_name or "",
        passed=result.passed,
        metadata=result.metadata,
        severity=result.severity,
        description=result.description,
        partition=partition,
        target_materialization_data=target,
    )


def unsent_error(target_system: str, stopped_on: str | None) -> str:
    """Why a day after the one that stopped the run was not sent: it names that day, whose own error says
    why (the whole reason once, on that day, not repeated on every day after it)."""
    return f"not sent: {target_system} stopped the run on {stopped_on} (its reason is given for that day)"


def failed_day_check(result: AssetCheckResult, error: str) -> AssetCheckResult:
    """The day's check made red with the error that stopped the day (no figure would say it), whole:
    Dagster's metadata and descriptions take far longer text than any reason we write."""
    return AssetCheckResult(
        asset_key=result.asset_key,
        check_name=result.check_name,
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        metadata={**result.metadata, "error": error},
        description=error,
    )


def summed(days: list[DayWrite]) -> dict[str, int]:
    """The range's figures: each count summed over its days."""
    total: dict[str, int] = {}
    for day in days:
        for key, value in day.counts.items():
            total[key] = total.get(key, 0) + value
    return total


def range_check(
    asset_key: AssetKey, check_name: str, days: list[DayWrite], queues: list[Any]
) -> AssetCheckResult:
    """The range's check result, its sums: Dagster requires the check's output of the step, and records
    it without a partition (each day's own is logged by ``day_evaluation``)."""
    failed = sum(d.failed for d in days)
    queued_failed = sum(q.failed for q in queues)
    return AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=not failed and all(q.failed == 0 and q.held_overdue == 0 for q in queues),
        severity=AssetCheckSeverity.ERROR if failed or queued_failed else AssetCheckSeverity.WARN,
        metadata={
            **summed(days),
            RANGE_DAYS: len(days),
            "days_failed": failed,
            "queued_failed": queued_failed,
            "queued_held": sum(q.held for q in queues),
        },
    )


def failure_message(flow: str, days: list[DayWrite]) -> str:
    """One line per failed day (the first ``DAYS_TOLD``), after how many of the range's days failed. Each
    reason is whole; a day not sent because another stopped the run only names that day (``unsent_error``)."""
    failed = [d for d in days if d.failed]
    lines = [f"{d.partition}: {d.error or ''}" for d in failed[:DAYS_TOLD]]
    more = f"\n... and {len(failed) - DAYS_TOLD} more day(s)" if len(failed) > DAYS_TOLD else ""
    others = "; the others are written and materialized" if len(failed) < len(days) else ""
    return (
        f"{flow}: {len(failed)} of {len(days)} day(s) failed{others}; a rerun from failure takes only the "
        "failed days:\n" + "\n".join(lines) + more
    )
