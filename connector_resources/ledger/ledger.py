"""The ledger: the project's memory of what it wrote, so no record is duplicated or lost.

Every integration talks to the target systems through this record of

* cross-references (source key -> target id, plus a hash of what was last written), so a re-run
  skips or updates instead of creating twice, and a crash between "create" and "remember" is
  recoverable (the intent is recorded first, see ``claim_xref``);
* an append-only audit trail a finance user can read;
* a retry queue for records that failed or wait on another record;
* cursors (high-water marks) for incremental extraction;
* a durable inbox for webhook deliveries.

Every method takes an optional ``conn``: pass the connection from ``transaction()`` to make several
calls one atomic unit (e.g. record the target id *and* the audit event, or neither). Without it each
call is its own transaction.

Concurrency is handled by the database, not by Python locks, because the writers are separate
processes (Dagster steps, the webhook receiver, the CLI): unique constraints plus conditional
``UPDATE``/``INSERT ... ON CONFLICT`` statements decide races, and the loser gets a clear
``XrefConflict`` instead of a silent overwrite.

``Ledger`` is a facade: each concern lives in a module of its own, as a mixin over the shared
transaction helpers (``base``): ``xrefs`` (look-ups and claims), ``leases`` (lease settings, holders,
releases), ``targets`` (recording what was written), ``matches`` (manual matches), ``audit``,
``queue``, ``cursors`` and ``inbox``; values and errors are in ``records``. This module composes them
(the package's ``__init__`` is what callers import from).
"""

from __future__ import annotations

import os
import threading

import sqlalchemy as sa

from connector_resources.ledger import schema
from connector_resources.ledger.audit import AuditStore
from connector_resources.ledger.cursors import CursorStore
from connector_resources.ledger.desk_accounts import DeskAccountStore
from connector_resources.ledger.desk_tasks import DeskTaskStore
from connector_resources.ledger.driver_batch import DriverBatch
from connector_resources.ledger.engine import describe_url, ledger_url, make_engine, read_engine
from connector_resources.ledger.engine import migrate as migrate_schema
from connector_resources.ledger.fits import FitStore
from connector_resources.ledger.inbox import InboxStore
from connector_resources.ledger.leases import LeaseStore
from connector_resources.ledger.mapping_store import MappingStore
from connector_resources.ledger.matches import ManualMatchStore
from connector_resources.ledger.operator_actions import OperatorStore
from connector_resources.ledger.queue import QueueStore
from connector_resources.ledger.queue_browse import QueueBrowseStore
from connector_resources.ledger.queue_changes import QueueChangeStore
from connector_resources.ledger.records import Recording
from connector_resources.ledger.targets import TargetStore
from connector_resources.ledger.xrefs import XrefStore

__all__ = ["Ledger", "shared_ledger"]


class Ledger(
    XrefStore,
    TargetStore,
    ManualMatchStore,
    LeaseStore,
    MappingStore,
    OperatorStore,
    AuditStore,
    QueueStore,
    CursorStore,
    InboxStore,
    DeskAccountStore,
    DeskTaskStore,
    FitStore,
    QueueBrowseStore,
    QueueChangeStore,
):
    """The ledger bound to one database (SQLite or PostgreSQL); see the module docstring."""

    def __init__(self, url: str | None = None, *, migrate: bool = True) -> None:
        self.url = ledger_url(url)
        self.engine: sa.Engine = make_engine(self.url)
        self._reader = read_engine(self.engine)
        self._dialect = self.engine.dialect.name
        self._batches: tuple[DriverBatch, DriverBatch] | None = None  # record_written's, compiled once
        # Written records waiting in a write step's batch, by (integration, entity, target system, target id)
        self._unrecorded: dict[tuple[str, str, str, str], Recording] = {}
        self._unrecorded_lock = threading.Lock()
        # (owner, pid) this process has recorded as holding leases (``_hold``): one insert per owner.
        self._holding: set[tuple[str, int]] = set()
        if migrate:
            migrate_schema(self.engine)

    def __repr__(self) -> str:
        return f"Ledger({describe_url(self.url)})"

    def dispose(self) -> None:
        """Close pooled connections (tests, and before a fork)."""
        self.engine.dispose()

    # ------------------------------------------------------------------ stats

    def summary(self, *, conn: sa.Connection | None = None) -> dict[str, int]:
        """Counts for the UI and ``ml-connector audit``: one round trip per table, no row data."""
        x, a, q, i = schema.xref, schema.audit_event, schema.retry_queue, schema.webhook_inbox
        count = sa.func.count()
        with self._read(conn) as c:
            queue = dict(
                c.execute(
                    sa.select(q.c.status, count)
                    .where(q.c.status.in_(schema.QUEUE_OPEN_STATUSES))
                    .group_by(q.c.status)
                ).all()
            )
            return {
                "xrefs": int(c.execute(sa.select(count).select_from(x)).scalar_one()),
                "xrefs_pending": int(c.execute(sa.select(count).where(x.c.state == "pending")).scalar_one()),
                "audit_events": int(c.execute(sa.select(count).select_from(a)).scalar_one()),
                "queue_failed": int(queue.get("failed", 0)),
                "queue_held": int(queue.get("held", 0)),
                "queue_open": int(sum(queue.values())),
                "inbox_pending": int(c.execute(sa.select(count).where(i.c.status == "pending")).scalar_one()),
            }


_shared: dict[tuple[int, str], Ledger] = {}
_shared_lock = threading.Lock()


def shared_ledger(url: str | None = None) -> Ledger:
    """One migrated ``Ledger`` per database URL per process, built on first use.

    Resources, sensors and the vault all call this, so a process opens one connection pool per
    database and runs the migration check once, not on every asset. Keyed by process id as well:
    a forked child must not reuse the parent's pooled connections.
    """
    resolved = ledger_url(url)
    key = (os.getpid(), resolved)
    with _shared_lock:
        ledger = _shared.get(key)
        if ledger is None:
            ledger = _shared[key] = Ledger(resolved)
        return ledger


def release_shared(url: str) -> None:
    """Close and forget this process's shared ``Ledger`` of ``url``, if one was built: a scratch database
    (a fit's copy of the ledger) is done with once its work is read, and its file is left closed."""
    with _shared_lock:
        ledger = _shared.pop((os.getpid(), ledger_url(url)), None)
    if ledger is not None:
        ledger.dispose()
