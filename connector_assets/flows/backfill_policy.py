"""The backfill policy of a flow's steps (and its source reads): one run for a backfill's whole range."""

import warnings

from dagster import BackfillPolicy, PartitionsDefinition

# A job holding a flow's single-run assets beside unpartitioned ones (its mapping tables, which have no
# backfill policy) makes Dagster warn on every load that the policies differ, naming none that matters (its
# backfills run the partitioned assets as one range either way): intended, so not shown.
warnings.filterwarnings(
    "ignore", message=r"Asset job .* materializes assets with varying BackfillPolicies", category=UserWarning
)


def flow_backfill_policy(partitions_def: PartitionsDefinition | None) -> BackfillPolicy | None:
    """One run for a backfill's whole range, the source reads' policy too: Dagster puts assets of one
    policy and partitioning in the same run, so the backfill is one process start, one token per system
    and one daemon tick, not one per day (docs/backfill_mechanisms.md). The steps keep each
    day's own result (``range_days``); the write pools (``write_pool``) keep each API under its limit."""
    return BackfillPolicy.single_run() if partitions_def else None
