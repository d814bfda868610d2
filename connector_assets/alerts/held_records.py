"""Alert on records held longer than ``ML_HELD_ALERT_HOURS``: a purchase order waiting a day for its
supplier means the supplier never synced, and someone must look.

A hold grows old between runs, when no ``_written`` check runs to notice; so a sensor reads the ledger's
retry queue every 15 minutes. It records what it found as the ``no_overdue_holds`` check of
``operations/ledger_health`` (WARN, the counts per flow and reasons), so the asset's Checks tab shows the
same fact, and alerts once per newly overdue record (its cursor is the highest queue id alerted).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    asset_check,
    sensor,
)

from connector_assets.alerts.alert import Alert
from connector_assets.alerts.channels import NO_CHANNEL, any_channel
from connector_assets.alerts.delivery import deliver
from connector_assets.alerts.sent_alerts import SentMark
from connector_assets.alerts.status import alert_sensor_status
from connector_assets.flows.reason_text import ReasonCounts
from connector_assets.flows.written_check import HELD_ALERT_ENV, held_alert_hours, reason_counts
from connector_assets.operations import LEDGER_HEALTH
from connector_resources.ledger import Ledger, LedgerResource, QueueItem

CHECK = "no_overdue_holds"
SENSOR = "alert_on_held_records"
HELD_LIMIT = 100_000
TOP = 10


@dataclass
class OverdueHolds:
    """Held queue items older than the alert threshold, counted by flow and by reason."""

    after: timedelta
    items: list[QueueItem] = field(default_factory=list)

    @property
    def by_flow(self) -> Counter[str]:
        return Counter(f"{item.integration}/{item.flow}" for item in self.items)

    @property
    def reasons(self) -> ReasonCounts:
        """Counted by kind (digits masked), shown in the first held record's own words."""
        return reason_counts().update(item.reason for item in self.items)

    def check_metadata(self) -> dict[str, MetadataValue]:
        return {
            "held_overdue": MetadataValue.int(len(self.items)),
            "by_flow": MetadataValue.md(_lines(self.by_flow)),
            "reasons": MetadataValue.md(self.reasons.markdown(TOP)),
            "held_alert_hours": MetadataValue.float(self.after.total_seconds() / 3600),
        }


def _lines(counts: Counter[str]) -> str:
    return "\n".join(f"- {n} x {what}" for what, n in counts.most_common(TOP)) or "none"


def overdue_holds(ledger: Ledger, now: datetime | None = None) -> OverdueHolds:
    """The held records older than ``ML_HELD_ALERT_HOURS`` (held since their queue item was created)."""
    now = now or datetime.now(UTC)
    after = timedelta(hours=held_alert_hours())
    held = ledger.open_items(status="held", limit=HELD_LIMIT)
    return OverdueHolds(after, [item for item in held if now - item.created_at > after])


def _verdict(holds: OverdueHolds) -> dict[str, Any]:
    """What the check says, whether a run evaluates it or the sensor records it."""
    return {
        "passed": not holds.items,
        "severity": AssetCheckSeverity.WARN,
        "metadata": holds.check_metadata(),
    }


@asset_check(
    asset=LEDGER_HEALTH,
    name=CHECK,
    description=f"No record has been held in the retry queue longer than {HELD_ALERT_ENV} hours (what it "
    "waits for never synced). Recorded by the alert_on_held_records sensor when the count changes, and "
    "evaluated whenever a run materializes ledger_health with its checks (e.g. from the UI).",
)
def no_overdue_holds(ledger: LedgerResource) -> AssetCheckResult:
    return AssetCheckResult(**_verdict(overdue_holds(ledger.get())))


def held_records_alert(new: list[QueueItem], holds: OverdueHolds) -> Alert:
    hours = f"{holds.after.total_seconds() / 3600:g}"
    oldest = min(item.created_at for item in new)
    new_holds = OverdueHolds(holds.after, new)
    return Alert(
        kind="held_records",
        title=f"{len(new)} record(s) held longer than {hours} hours",
        facts=(
            ("Newly overdue", str(len(new))),
            ("Held since", f"{oldest:%Y-%m-%d %H:%M} UTC"),
            ("Flows", ", ".join(f"{flow} ({n})" for flow, n in new_holds.by_flow.most_common(TOP))),
            ("Reasons", "; ".join(f"{n} x {why}" for why, n in new_holds.reasons.most_common(TOP))),
            ("All overdue holds", str(len(holds.items))),
        ),
        ui_path="/assets/ledger_health?view=checks",
    )


def held_records_alert_sensor() -> SensorDefinition:
    @sensor(
        name=SENSOR,
        default_status=alert_sensor_status(),
        minimum_interval_seconds=15 * 60,
        description=f"Every 15 minutes: records held longer than {HELD_ALERT_ENV} hours are recorded as "
        "ledger_health's no_overdue_holds check, and each newly overdue record is alerted once.",
    )
    def alert_on_held_records(
        context: SensorEvaluationContext, ledger: LedgerResource
    ) -> SensorResult | SkipReason:
        state = json.loads(context.cursor or "{}")
        mark = SentMark(context.instance, SENSOR)  # what went out, even if a tick was cut short after it
        alerted, reported = max(int(state.get("alerted", 0)), mark.value()), state.get("overdue")
        holds = overdue_holds(ledger.get())
        new = [item for item in holds.items if item.id > alerted]
        if new and any_channel():
            deliver(held_records_alert(new, holds), context.log)
            alerted = max(item.id for item in new)
            mark.sent(alerted)
        # Recorded when the count changes, not each tick: the Checks tab shows turns, not a heartbeat; and
        # recorded with no channel configured too, since the UI is then where operators look.
        events = []
        if reported != len(holds.items):
            events.append(AssetCheckEvaluation(asset_key=LEDGER_HEALTH, check_name=CHECK, **_verdict(holds)))
        cursor = json.dumps({"alerted": alerted, "overdue": len(holds.items)})
        if not events and not new:
            return SkipReason(
                f"{len(holds.items)} overdue hold(s), none new" + ("" if any_channel() else f"; {NO_CHANNEL}")
            )
        return SensorResult(cursor=cursor, asset_events=events)

    return alert_on_held_records
