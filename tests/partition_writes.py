"""A write step's writes without Dagster, for the tests of a target's batch search and of concurrent writers.

``write_once`` runs ``PartitionWriter`` as the written step does for one day, under a run id and a lease of
its own; ``CreatedMeanwhile`` makes one claimed record appear in the target between the writer's claims and
its batch search (someone else, or an earlier attempt whose answer was lost), which the writer must adopt.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from connector_assets.flows.core import FlowSpec, Lease, Mapped
from connector_assets.flows.writer import PartitionWriter
from connector_resources.ledger import Ledger


def write_once(
    spec: FlowSpec,
    target: Any,
    ledger: Ledger,
    records: list[Mapped],
    *,
    workers: int = 1,
    run_id: str | None = None,
) -> Counter[str]:
    """Write ``records`` with ``workers`` at once as run ``run_id`` (a fresh one by default); the counts."""
    run_id = run_id or f"run-{uuid.uuid4().hex[:8]}"
    counts: Counter[str] = Counter()
    writer = PartitionWriter(
        spec, target, ledger, run_id=run_id, partition=None, lease=Lease(run_id), queued={}, counts=counts
    )
    writer.run(records, workers)
    return counts


class CreatedMeanwhile:
    """Mixed in before a batch-searching target: each ``find_many`` first notes whether ``record`` was
    already claimed (``claimed_first``), then makes it in the target (``make_elsewhere``), then searches."""

    XREF: tuple[str, str, str, str]  # (integration, entity, source system, target system) of ``record``

    def __init__(self, session: Any, ledger: Ledger, record: Mapped) -> None:
        super().__init__(session)  # the target's own constructor
        self.ledger, self.record = ledger, record
        self.claimed_first: list[bool] = []

    def make_elsewhere(self, body: dict[str, Any]) -> None:
        """Make the record in the target as someone else would."""
        raise NotImplementedError

    def find_many(self, records: list[Mapped]) -> Any:
        integration, entity, source, target = self.XREF
        xref = self.ledger.get_xref(integration, entity, source, self.record.source_key, target)
        self.claimed_first.append(xref.lease_owner is not None)
        self.make_elsewhere(self.record.body)
        return super().find_many(records)  # the target's own batch search
