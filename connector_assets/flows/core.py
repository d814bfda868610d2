"""The flow factory's import point: a flow declared as data becomes a mapped asset (with its check) and a
write asset; the parts live in ``records``, ``write_once`` and ``after_write`` (its replay: ``replays``).
What a flow does with each record: docs/flows.md, "A flow: mapped, checked, written".
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
from connector_assets.flows.write_once import (  # noqa: F401
    BeingWritten,
    Claimed,
    Lease,
    LeaseWaits,
    WriteResult,
    write_one,
    write_record,
)
