"""The ledger: cross-references, audit trail, retry queue, cursors and webhook inbox.

``LedgerResource`` is imported lazily: it needs dagster, which takes seconds to import, and the
webhook receiver, the CLI and worker subprocesses that only use ``Ledger`` should not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connector_resources.ledger.engine import describe_url, ledger_url, make_engine, migrate, normalize_url
from connector_resources.ledger.leases import lease_length, lease_wait
from connector_resources.ledger.ledger import Ledger, release_shared, shared_ledger
from connector_resources.ledger.records import (
    AuditEvent,
    InboxEvent,
    LedgerError,
    LedgerInputError,
    LedgerRecordNotFound,
    QueueItem,
    QueueOverview,
    Recorded,
    Recording,
    Xref,
    XrefConflict,
    XrefLeased,
    dependency_key,
)

if TYPE_CHECKING:
    from connector_resources.ledger.resource import LedgerResource

__all__ = [
    "AuditEvent",
    "InboxEvent",
    "Ledger",
    "LedgerError",
    "LedgerInputError",
    "LedgerRecordNotFound",
    "LedgerResource",
    "QueueItem",
    "QueueOverview",
    "Recorded",
    "Recording",
    "Xref",
    "XrefConflict",
    "XrefLeased",
    "dependency_key",
    "describe_url",
    "lease_length",
    "lease_wait",
    "ledger_url",
    "make_engine",
    "migrate",
    "normalize_url",
    "release_shared",
    "shared_ledger",
]


def __getattr__(name: str) -> Any:
    if name == "LedgerResource":
        from connector_resources.ledger.resource import LedgerResource

        return LedgerResource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
