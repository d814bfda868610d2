"""What the comparisons of a Coupa day with JDE share: the day, the report, the retry queue's word and how a
field that differs is said (``connector_assets.coupa.reconcile_day``, shared with JD Edwards -> Coupa), the
Coupa invoices compared and the batches JDE holds for them, and how a batch is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from connector_assets.coupa.reconcile_day import ReconcileDay
from connector_assets.flows.core import FlowSpec
from connector_assets.jde.reconcile_documents import BatchLines

from ..own import Own

SYSTEMS = ("Coupa", "JDE")


@dataclass(kw_only=True)
class Day(ReconcileDay):
    """One UTC day of Coupa changes being reconciled with JDE by ``own``'s ``invoices`` and ``payments``."""

    own: Own
    invoices: FlowSpec
    payments: FlowSpec
    # Coupa invoice id -> the batch JDE holds for it (those read so far), and the ids compared.
    batches: dict[str, BatchLines] = field(default_factory=dict)
    compared: set[str] = field(default_factory=set)


def where_in_jde(batch: BatchLines) -> str:
    """The JDE record a batch is: its voucher once processed, else the batch itself."""
    voucher = batch.voucher
    if voucher is not None:
        return f"voucher {voucher[0]}/{voucher[1]}/{voucher[2]}"
    key = batch.key
    return f"batch {key.user}/{key.batch}/{key.transaction} (not processed yet)"
