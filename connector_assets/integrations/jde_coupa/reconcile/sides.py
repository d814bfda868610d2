"""What every comparison of a JDE day with Coupa shares: the report, the retry queue's word, both sessions,
and how one field that differs is said.

Each entity (suppliers, purchase orders, invoices) re-reads the day's JDE records with the flow's own
readers, maps them with the flow's own mapper and snapshot (so "what the flow writes" is one definition,
not two), and compares what Coupa holds field by field; ``Day`` carries what they need and collects the
Coupa records they explained, so the listing of what only Coupa holds (``only_in_coupa``) skips them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_calls import CountedJde
from connector_assets.flows.reconciliation_expected import FlowQueues
from connector_resources.ledger import Ledger

SYSTEMS = ("JDE", "Coupa")


@dataclass
class Day:
    """One JDE day being reconciled: ``start``/``end`` its window (the JDE time zone's day, as UTC)."""

    day: str
    start: datetime
    end: datetime
    staging: Any
    jde: CountedJde
    coupa: Any  # an open, counted Coupa session
    ledger: Ledger
    report: Report
    # Coupa entity -> ids of its records a JDE record of the day explains (compared or looked up).
    explained: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    # The retry queue's word, per flow (``FlowQueues``), read on first use.
    queues: FlowQueues | None = None

    def expected(self, spec: FlowSpec, record: str, *keys: str) -> bool:
        """True (and counted as an expected gap with the queue's reason) when ``spec``'s retry queue holds
        the record under one of ``keys``."""
        if self.queues is None:
            self.queues = FlowQueues(self.ledger, spec.integration)
        return self.queues.account_for(spec.name, self.report, record, *keys)

    def differ(
        self,
        kind: str,
        record: str,
        scope: str,
        jde_value: Any,
        coupa_value: Any,
        words: str,
        *,
        counterpart: str = "",
        field_name: str = "",
    ) -> None:
        """One difference, values as both systems show them (money already formatted by the caller)."""
        self.report.differ(
            kind, record, scope, jde_value, coupa_value, words, counterpart=counterpart, field=field_name
        )

    def field(
        self,
        kind: str,
        what: str,
        record: str,
        scope: str,
        counterpart: str,
        field_name: str,
        jde_value: str,
        coupa_value: str,
    ) -> None:
        """A field that differs: ``<what>: <field> <JDE's> in JDE but <Coupa's> on Coupa <counterpart>``."""
        words = f"{what}: {field_name} {jde_value} in JDE but {coupa_value} on Coupa {counterpart}"
        self.differ(
            kind, record, scope, jde_value, coupa_value, words, counterpart=counterpart, field_name=field_name
        )

    def missing(
        self, spec: FlowSpec, what: str, record: str, scope: str, written: str | None, *keys: str
    ) -> None:
        """A JDE record Coupa does not hold: an expected gap when ``spec``'s queue knows one of ``keys``,
        else a difference "missing in Coupa" naming the Coupa record the flow wrote (``written``), if any."""
        if self.expected(spec, record, *keys):
            return
        kind = "missing in Coupa"
        if written:
            words = f"{what} was written to Coupa as {written}, which Coupa no longer holds"
        else:
            words = f"{what} is not in Coupa, and not in the retry queue either"
        self.differ(
            kind, record, scope, "present", "missing", words, counterpart=written or "", field_name="record"
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
