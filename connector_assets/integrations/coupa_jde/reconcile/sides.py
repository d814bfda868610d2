"""What the comparisons of a Coupa day with JDE share: the day's window, the report, the retry queue's word,
both sessions, the Coupa invoices compared and the batches JDE holds for them, and how a difference is said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector_assets.flows.core import FlowSpec
from connector_assets.flows.reconciliation import Report, money
from connector_assets.flows.reconciliation_calls import CountedJde
from connector_assets.flows.reconciliation_expected import FlowQueues
from connector_assets.jde.reconcile_documents import BatchLines
from connector_resources.ledger import Ledger

SYSTEMS = ("Coupa", "JDE")


@dataclass
class Day:
    """One UTC day of Coupa changes being reconciled with JDE."""

    day: str
    start: datetime
    end: datetime
    staging: Any
    jde: CountedJde
    coupa: Any  # an open, counted Coupa session
    ledger: Ledger
    report: Report
    # Coupa invoice id -> the batch JDE holds for it (those read so far), and the ids compared.
    batches: dict[str, BatchLines] = field(default_factory=dict)
    compared: set[str] = field(default_factory=set)

    # The retry queue's word, per flow (``FlowQueues``), read on first use.
    queues: FlowQueues | None = None

    def expected(self, spec: FlowSpec, record: str, *keys: str) -> bool:
        """True (and counted as an expected gap with the queue's reason) when ``spec``'s retry queue holds
        the record under one of ``keys``."""
        if self.queues is None:
            self.queues = FlowQueues(self.ledger, spec.integration)
        return self.queues.account_for(spec.name, self.report, record, *keys)

    def field(
        self,
        kind: str,
        what: str,
        record: str,
        scope: str,
        counterpart: str,
        field_name: str,
        coupa_value: str,
        jde_value: str,
    ) -> None:
        """A field that differs: ``<what>: <field> <Coupa's> in Coupa but <JDE's> in JDE <counterpart>``."""
        words = f"{what}: {field_name} {coupa_value} in Coupa but {jde_value} in JDE {counterpart}"
        self.report.differ(
            kind, record, scope, coupa_value, jde_value, words, counterpart=counterpart, field=field_name
        )


def where_in_jde(batch: BatchLines) -> str:
    """The JDE record a batch is: its voucher once processed, else the batch itself."""
    voucher = batch.voucher
    if voucher is not None:
        return f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]}"
    key = batch.key
    return f"batch {key.user}/{key.batch}/{key.transaction} (not processed yet)"


def shown(value: Any) -> str:
    """A text value in a sentence: quoted, ``(blank)`` when empty."""
    text = " ".join(str(value if value is not None else "").split())
    return f"'{text}'" if text else "(blank)"


def shown_money(value: Decimal | None) -> str:
    return "(none)" if value is None else money(value)
