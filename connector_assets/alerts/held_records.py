"""Alert on records held longer than ``ML_HELD_ALERT_HOURS``: a hold grows old between runs, when no check
runs, so a sensor reads the retry queue (docs/alerts.md, "The alerts"). Holds are grouped by
kind (``Refusal.group``, never the sentence), each naming what it waits for and why it did not clear
(``needs_person``, the rule of every surface); the holds an exception holds (a missing mapping row, a
refused parent) are said under it, with its count (``exception_causes``, the count of every surface).
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

from connector_assets.alerts.channels import NO_CHANNEL, Alert, alert_sensor_status, any_channel, deliver
from connector_assets.alerts.sent_alerts import SentMark
from connector_assets.flows.written_check import HELD_ALERT_ENV, held_alert_hours
from connector_assets.operations.health import LEDGER_HEALTH
from connector_resources.exception_causes import Cause, exception_causes, holding
from connector_resources.ledger import Ledger, LedgerResource, QueueItem
from connector_resources.needs_person import Outlived, needs_person
from connector_resources.redaction import redact
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import group_title

CHECK = "no_overdue_holds"
SENSOR = "alert_on_held_records"
HELD_LIMIT = 100_000
TOP = 10
WAITED_NAMED = 3  # what a kind's records wait for, named per kind (the rest counted)


@dataclass
class HeldKind:
    """The overdue holds of one kind group: how many, the first as the example, what they wait for."""

    first: QueueItem
    count: int = 0
    waiting_for: Counter[str] = field(default_factory=Counter)

    def line(self, outlived: Outlived) -> str:
        """ "<count> x <kind>: waits for <what> (n), ... ; <why it did not clear | what to do>; e.g. ..."."""
        title = group_title(self.first.kind) if self.first.kind else "kind not recorded"
        named = [f"{what} ({n})" for what, n in self.waiting_for.most_common(WAITED_NAMED)]
        rest = len(self.waiting_for) - len(named)
        waits = f": waits for {', '.join(named)}{f' and {rest} more' if rest > 0 else ''}" if named else ""
        example = f"{self.first.source_key}: {self.first.reason}"
        return redact(f"{self.count} x {title}{waits}; {self._next(outlived)}; e.g. {example}")

    def _next(self, outlived: Outlived) -> str:
        item = self.first
        if not needs_person(item):  # a wait by its kind: why it did not clear (``needs_person``)
            why = outlived.why(item)
            return f"did not clear by itself: {why}" if why else "waits on the flows"
        action = action_for(item.kind, item.params)
        return f"to do: {action}" if action else "to do: read the record's sentence"


def waits_for(item: QueueItem) -> str:
    """What a held record waits for: its refusal's ``waits_for`` parameter, else the key it is held on."""
    return str((item.params or {}).get("waits_for") or item.depends_on or "")


@dataclass
class OverdueHolds:
    """Held queue items older than the alert threshold, counted by flow and by kind."""

    items: list[QueueItem] = field(default_factory=list)
    # What judges the holds (``needs_person.Outlived``): the alert hours, now, the dependencies that synced
    # and the records held ones wait on that need a person (a hold on one says so).
    outlived: Outlived = field(default_factory=Outlived)
    # The exceptions holding some of them (``exception_causes``): their holds are said under the cause
    causes: list[Cause] = field(default_factory=list)

    @property
    def after(self) -> timedelta:
        return self.outlived.after

    @property
    def now(self) -> datetime:
        return self.outlived.now

    @property
    def by_flow(self) -> Counter[str]:
        return Counter(f"{item.integration}/{item.flow}" for item in self.items)

    @property
    def by_cause(self) -> list[tuple[Cause, int]]:
        """The exceptions holding overdue holds, with how many of the holds each holds."""
        ids = {item.id for item in self.items}
        return [(cause, len(cause.ids & ids)) for cause in holding(self.causes, ids)]

    @property
    def by_kind(self) -> list[HeldKind]:
        """The holds no exception holds by kind group, most first, each with what its records wait for."""
        folded = frozenset().union(*(cause.ids for cause in self.causes))
        kinds: dict[str, HeldKind] = {}
        for item in self.items:
            if item.id in folded:
                continue
            held = kinds.setdefault(item.kind or "", HeldKind(item))
            held.count += 1
            if what := waits_for(item):
                held.waiting_for[what] += 1
        return sorted(kinds.values(), key=lambda held: (-held.count, held.first.kind or ""))

    def kind_lines(self, n: int = TOP) -> list[str]:
        """One line per exception (its records counted as every surface counts them, how many of them are
        overdue holds, what fixes it), then one per kind of the other holds (``HeldKind.line``), ``n``
        lines at most, then how many more."""
        hours = f"{self.after.total_seconds() / 3600:g}"
        lines = [
            redact(f"{cause.said()}; {n} of them held longer than {hours} h; to do: {cause.fix}")
            for cause, n in self.by_cause
        ]
        lines += [held.line(self.outlived) for held in self.by_kind]
        return lines[:n] + ([f"and {len(lines) - n} more"] if len(lines) > n else [])

    def check_metadata(self) -> dict[str, MetadataValue]:
        return {
            "held_overdue": MetadataValue.int(len(self.items)),
            "by_flow": MetadataValue.md(_lines(self.by_flow)),
            "kinds": MetadataValue.md("\n".join(f"- {line}" for line in self.kind_lines()) or "none"),
            "held_alert_hours": MetadataValue.float(self.after.total_seconds() / 3600),
        }


def _lines(counts: Counter[str]) -> str:
    return "\n".join(f"- {n} x {what}" for what, n in counts.most_common(TOP)) or "none"


def overdue_holds(ledger: Ledger, now: datetime | None = None) -> OverdueHolds:
    """The held records older than ``ML_HELD_ALERT_HOURS`` (held since their queue item was created)."""
    now = now or datetime.now(UTC)
    after = timedelta(hours=held_alert_hours())
    held = [
        item for item in ledger.open_items(status="held", limit=HELD_LIMIT) if now - item.created_at > after
    ]
    causes = holding(exception_causes(ledger), {item.id for item in held}) if held else []
    return OverdueHolds(held, Outlived.read(ledger, held, after=after, now=now), causes)


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
    new_holds = OverdueHolds(new, holds.outlived, holds.causes)
    return Alert(
        kind="held_records",
        title=f"{len(new)} record(s) held longer than {hours} hours",
        facts=(
            ("Newly overdue", str(len(new))),
            ("Held since", f"{oldest:%Y-%m-%d %H:%M} UTC"),
            ("Flows", ", ".join(f"{flow} ({n})" for flow, n in new_holds.by_flow.most_common(TOP))),
            ("Kinds", " | ".join(new_holds.kind_lines())),
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
