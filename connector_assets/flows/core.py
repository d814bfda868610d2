"""The flow factory: a flow declared as data becomes a mapped asset (with its check) and a write asset.

Shape of every flow, whatever the two systems:

    staged source asset(s) -> <flow>_mapped  --pandera check (blocking)-->  <flow>_written -> target system

* ``map_records`` turns the partition's staged source rows into ``Mapped`` records (or ``Rejected`` ones
  with a reason a finance user understands). The pandera ``DataFrameModel`` then states what a writable
  record is; rows failing it are rejected with the record and field named. Rejected records go to the
  retry queue; records whose dependency (e.g. their supplier) has not synced yet are *held* there and
  released when it syncs. The rest proceed, however many are refused. When most of a day's records are
  refused (a systemic problem: a broken mapping table, a schema change) the day is marked loudly
  (``flows.refused_share``): the mapped check red (WARN, so the good records are still written), the
  written check red (ERROR) with the causes counted, the write step materialized so the steps after it
  run, and the flow's last step ``<flow>_verdict`` failed naming the causes, so the run is red until the
  cause is fixed and the queue replayed (``flows.day_verdict``).
* The write asset validates its input again (a re-execution "from failure" skips the check step: Dagster
  counts the checked asset as materialized, so a failed blocking check does not hold a retried write) and
  writes each record through the ledger: unchanged since the last write (same content hash) -> skip; known
  target -> update; otherwise claim the source key, search the target by natural key to adopt what a crashed
  earlier attempt created, and only then create. The target ID and the write's audit event are recorded in
  the transaction of the step's next claim (one commit per record, ``flows.deferred``), at the latest when
  the step ends; a replay records them at once. A crash in between leaves a claim without a target ID, which
  the rerun adopts. The claim is an exclusive lease of the run (``Lease``): a second run writing the same
  record at the same time waits for the first one's write and skips it, or, if that write is still under
  way, holds the record in the retry queue (``BeingWritten``); it never POSTs it too.
* A failed record is queued with its reason (and its mapped payload when it got that far).
  ``ml-connector replay`` (and the retry schedule) reads it from the source again and maps it with
  today's mapping tables (``FlowSpec.remap``), then writes it through the same ``write_record``; a record
  that already succeeded is skipped by the same cross-reference check, never written twice. One whose
  dependency has still not synced is held on it instead of failing again.
* Every write, a run's or a replay's, goes through ``write_record``: ``write_one``, then the records held
  on the one just written are released (due now, a ``release`` audit event each, a reason that says so).

The kit's one import point for flows: the parts live in ``records`` (the types and validation),
``write_once`` (lease, claim, search, create), ``after_write`` (release, queue, audit) and
``replay_handler``.
"""

from connector_assets.flows.after_write import (  # noqa: F401
    audit_record,
    audit_skip,
    dependency_synced,
    hold_until_synced,
    must_wait,
    queue_failure,
    release_dependents,
    skips_audited,
    waits_to_sync,
)
from connector_assets.flows.records import (  # noqa: F401
    FLOW_SPECS,
    WAITS_FOR,
    Created,
    FlowSpec,
    Mapped,
    Rejected,
    Skipped,
    Target,
    Unchanged,
    Validation,
    validate,
)
from connector_assets.flows.replay_handler import replay_handler  # noqa: F401
from connector_assets.flows.write_once import (  # noqa: F401
    BeingWritten,
    Claimed,
    Lease,
    LeaseWaits,
    WriteResult,
    write_one,
    write_record,
)
