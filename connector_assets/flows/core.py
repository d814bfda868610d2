"""The flow factory: a flow declared as data becomes a mapped asset (with its check) and a write asset.

    staged source asset(s) -> <flow>_mapped  --pandera check (blocking)-->  <flow>_written -> target system

``map_records`` turns staged rows into ``Mapped`` records or ``Rejected`` ones with a reason a finance user
understands; the pandera model states what a writable record is. Refused records go to the retry queue, a
record whose dependency has not synced is held there, and the rest proceed; a day mostly refused is marked
loudly (``refused_share``, ``day_verdict``). The write step validates again (a re-execution from failure
skips the check step) and writes each record exactly once (``write_once``). ``ml-connector replay`` remaps
a queued record with today's tables and writes it through the same ``write_record``.

The kit's one import point for flows: the parts live in ``records``, ``write_once``, ``after_write`` and
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
