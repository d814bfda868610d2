"""The preview's ledger: a SQLite copy of what the deployment's ledger knows, in the fit folder, so the write
step's own code writes the preview's verdicts there and the deployment's ledger is only read;
``ScratchStaging`` reads through to the deployment's staging, never writing it. What is copied:
docs/flows.md, "A preview: the same flow, every write held".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from connector_assets.runtime.staging import StagingResource
from connector_resources.ledger import Ledger, schema

CHUNK = 5_000  # rows per insert: memory stays bounded however large the ledger is
_NOT_COPIED = {schema.secret.name, schema.lease_holder.name, schema.queue_take.name}


@dataclass(frozen=True)
class ScratchLedger:
    """The copy, and where the preview's own rows start (audit events after ``audit_from``)."""

    url: str
    ledger: Ledger
    audit_from: int


def _rows(table: sa.Table, integration: str) -> sa.Select:
    query = sa.select(table)
    if table is schema.audit_event:
        query = query.where(table.c.integration == integration)
    elif table is schema.retry_queue:
        query = query.where(
            table.c.integration == integration, table.c.status.in_(schema.QUEUE_OPEN_STATUSES)
        )
    return query.order_by(*table.primary_key.columns)


def copy_ledger(source: Ledger, integration: str, path: Path) -> ScratchLedger:
    """A fresh SQLite ledger at ``path`` holding ``source``'s rows a preview of ``integration`` reads."""
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    copy = Ledger(url)
    with source.engine.connect() as reading, copy.engine.begin() as writing:
        for table in schema.metadata.sorted_tables:
            if table.name in _NOT_COPIED:
                continue
            result = reading.execution_options(stream_results=True, yield_per=CHUNK).execute(
                _rows(table, integration)
            )
            for chunk in result.mappings().partitions(CHUNK):
                writing.execute(sa.insert(table), [dict(row) for row in chunk])
        audit_from = writing.execute(sa.select(sa.func.max(schema.audit_event.c.id))).scalar() or 0
    return ScratchLedger(url, copy, audit_from)


class ScratchStaging(StagingResource):
    """The preview's staging: every partition its runs stage lands under ``base_dir``; one it has not
    staged is read from ``reads_from``, the deployment's staging root (see module docstring)."""

    reads_from: str = ""

    def source(self, asset: Any, partition: str | None) -> Any:
        own = self.path(asset, partition)
        # A flow's own steps are never read from the deployment: records a real run staged to write must
        # not become a preview's verdicts.
        steps = str(asset.path[-1]).endswith(("_mapped", "_written"))
        if own.is_file() or not self.reads_from or steps:
            return own
        return StagingResource(base_dir=self.reads_from).path(asset, partition)
