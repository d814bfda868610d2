"""What the alert sensors have sent, in the Dagster instance's key-value store, written the moment each alert
goes out: per red day what was last alerted (``AlertedDays``), and for the sensors reading forward by id the
highest id alerted (``SentMark``). Why not in the cursors alone: docs/alerts.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster import DagsterInstance

KEY_PREFIX = "ml_connector/alerted_red_day/"
MARK_PREFIX = "ml_connector/alert_sent_up_to/"


def day_key(asset: str, day: str) -> str:
    """The store's key of ``asset``'s red ``day`` (its check evaluations are per day)."""
    return f"{KEY_PREFIX}{asset}|{day}"


@dataclass
class AlertedDays:
    """Per red day: ``[failed, held_overdue, evaluated_at]`` as last alerted or re-evaluated red, none once it
    passed; a day not evaluated for ``forget_seconds`` is forgotten (a rerun long after alerts as new)."""

    instance: DagsterInstance
    now: float
    forget_seconds: float
    days: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def read(
        cls, instance: DagsterInstance, keys: Iterable[str], now: float, forget_seconds: float
    ) -> AlertedDays:
        stored = instance.run_storage.get_cursor_values(set(keys))
        days = {key: json.loads(value) for key, value in stored.items() if value}
        return cls(instance, now, forget_seconds, days)

    def get(self, key: str) -> list[float] | None:
        counts = self.days.get(key)
        return counts if counts is not None and counts[2] > self.now - self.forget_seconds else None

    def red(self, key: str, failed: int, held_overdue: int, evaluated_at: float) -> None:
        """The day is red with these counts (alerted now, or red again with no news): stored at once."""
        self.days[key] = [failed, held_overdue, evaluated_at]
        self.instance.run_storage.set_cursor_values({key: json.dumps(self.days[key])})

    def passed(self, key: str) -> None:
        """The day passed: a later failure of it is news again."""
        if self.days.pop(key, None) is not None:
            self.instance.run_storage.set_cursor_values({key: ""})


@dataclass
class SentMark:
    """The highest id (an event's storage id, a queue item's id) ``sensor`` has alerted up to: what is at or
    below it was sent, whatever the cursor the sensor was given."""

    instance: DagsterInstance
    sensor: str

    @property
    def key(self) -> str:
        return MARK_PREFIX + self.sensor

    def value(self) -> int:
        stored = self.instance.run_storage.get_cursor_values({self.key}).get(self.key)
        return int(stored) if stored else 0

    def sent(self, up_to: int) -> None:
        """An alert for ``up_to`` went out: stored at once."""
        if up_to > self.value():
            self.instance.run_storage.set_cursor_values({self.key: str(up_to)})
