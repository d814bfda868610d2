"""What a day's reconciliation between Coupa and JD Edwards shares, whichever way the flows run: the day's
window, both counted sessions, the ledger, the report, each flow's retry queue, and how a value and a
field that differs are said (``<what>: <field> <source's> in <source> but <target's> in <target> ...``).
A record the target lacks or holds differently while its flow's queue holds it is an expected gap with
the queue's reason (``expected``, ``held_differently``), never a difference.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.queued_differences import queued_differences
from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_calls import CountedJde
from connector_assets.flows.reconciliation_expected import Expectations, FlowQueues
from connector_resources.ledger import Ledger


@dataclass
class ReconcileDay:
    """One day being reconciled: ``start``/``end`` its window, ``report`` naming the source system first."""

    day: str
    start: datetime
    end: datetime
    staging: Any
    jde: CountedJde
    coupa: Any  # an open, counted Coupa session
    ledger: Ledger
    report: Report
    # The retry queue's word, per flow (``FlowQueues``), read on first use.
    queues: FlowQueues | None = None

    def queue(self, spec: FlowSpec) -> Expectations:
        """``spec``'s own retry queue (a flow's queue answers for its own records only)."""
        if self.queues is None:
            self.queues = FlowQueues(self.ledger, spec.integration)
        return self.queues.of(spec.name)

    def expected(self, spec: FlowSpec, record: str, *keys: str) -> bool:
        """True (and counted as an expected gap with the queue's reason) when ``spec``'s retry queue holds
        the record under one of ``keys``."""
        return self.queue(spec).account_for(self.report, record, *keys)

    def held_differently(self, spec: FlowSpec, record: str, *keys: str) -> AbstractContextManager[None]:
        """Around one record's field comparison: its differences counted as one expected gap when ``spec``'s
        queue holds the record (an update refused, held or abandoned), named otherwise."""
        return queued_differences(self.report, self.queue(spec), record, *keys)

    def field(
        self,
        kind: str,
        what: str,
        record: str,
        scope: str,
        counterpart: str,
        field_name: str,
        source_value: str,
        target_value: str,
    ) -> None:
        """A field that differs: ``<what>: <field> <source's> in <source> but <target's> in <target>
        <counterpart>``, values as the caller shows them (``shown``, ``shown_money``)."""
        source, target = self.report.systems
        said = f"{field_name} {source_value} in {source} but {target_value} in {target}"
        words = f"{what}: {said} {counterpart}"
        self.report.differ(
            kind, record, scope, source_value, target_value, words, counterpart=counterpart, field=field_name
        )


def shown(value: Any) -> str:
    """A text value in a sentence: quoted, ``(blank)`` when empty."""
    text = " ".join(str(value if value is not None else "").split())
    return f"'{text}'" if text else "(blank)"


def shown_money(value: Decimal | None) -> str:
    """An amount in a sentence: money, ``(none)`` when absent."""
    return "(none)" if value is None else money(value)


def shown_quantity(value: Decimal | None) -> str:
    """A quantity as people write it: ``250``, ``2.5``; ``(none)`` when absent (an amount line)."""
    return "(none)" if value is None else f"{value.normalize():f}"
