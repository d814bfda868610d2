"""What a flow step reads of the run it is in: its day partitions, its tags, the leases it may take over
and the held records' dependencies it must read on the run's last day."""

from collections.abc import Callable

from dagster import AssetExecutionContext, DagsterInstance

from connector_assets.flows.core import FlowSpec, Lease
from connector_assets.runtime.incremental import days_in_window
from connector_assets.runtime.run_workers import worker_gone


def tag_run(context: AssetExecutionContext, spec: FlowSpec) -> None:
    """Tag the run with its integration and flow (``ml/integration``, ``ml/flow``): a backfill launched from
    the asset graph runs under ``__ASSET_JOB``, so only these tags find every run of a flow."""
    wanted = {"ml/integration": spec.integration, "ml/flow": spec.name}
    if any(context.run.tags.get(k) != v for k, v in wanted.items()):
        context.instance.add_run_tags(context.run.run_id, wanted)


def run_partitions(context: AssetExecutionContext) -> list[str | None]:
    """The day partitions of this run: one, or each day of a single-run backfill's range."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return [None]
    window = context.partition_time_window
    return [day.isoformat() for day in days_in_window(window.start, window.end)]


def awaited_keys(context: AssetExecutionContext, partition: str | None, spec: FlowSpec) -> list[str]:
    """Source keys of ``spec``'s records that held records wait for (a supplier a purchase order waits
    for, which changed before any window this flow reads and would never sync by itself). Asked on the
    run's last day only, so a backfill reads them once."""
    if partition is not None and partition != run_partitions(context)[-1]:
        return []
    prefix = spec.dependency_key("")
    return [key[len(prefix) :] for key in context.resources.ledger.get().waited_for(prefix)]


def run_lease(context: AssetExecutionContext) -> Lease:
    """The lease owner of a run's writes: its run id, inheriting the leases of the runs it re-executes
    (parent and root) once they have finished, and of any other run the instance reports as ended. A
    crashed run retried by the daemon, or a failed partition rerun from the UI, then writes its last record
    at once instead of waiting for the lease to expire; a run still going keeps its leases."""
    run, ended = context.run, runs_ended_in(context.instance)
    ancestors = sorted({run.parent_run_id, run.root_run_id} - {None, run.run_id})
    return Lease(run.run_id, tuple(r for r in ancestors if ended(r)), gone=ended)


def runs_ended_in(instance: DagsterInstance) -> Callable[[str], bool]:
    """Whether a lease owner is a run of ``instance`` that has ended: finished (failed, canceled,
    succeeded), or its worker is known dead before the daemon has marked it failed (``worker_gone``).
    Used by write steps (``run_lease``) and replays (``replay_items``) alike."""

    def ended(run_id: str) -> bool:
        record = instance.get_run_by_id(run_id)  # None for a replay's owner id: not a run, never "ended"
        if record is None:
            return False
        return record.is_finished or worker_gone(record) is not None

    return ended
