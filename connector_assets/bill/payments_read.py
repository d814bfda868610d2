"""A BILL payments flow's own read of its day's payments: its polling fallback needs no other job.

Webhooks can be lost and the BILL source poll is optional, so the mapped step reads the day's
``bill/payments`` partition through the very reader the poll uses, into the same staged partition with
the same ledger cursor: when both run, neither reads twice what the other read. Today: incrementally from
the shared cursor; a past day: whole, once, unless staged after it ended (``day_is_closed``). An instance
reaching a BILL organization of its own reads into its own copy of the entity (``entity``): its staged
partition and cursor, never the deployment's.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connector_assets.runtime.incremental import DayRead
from connector_assets.runtime.staging import StagingResource


def _staged_at(staging: StagingResource, partition: str, asset: Any) -> datetime | None:
    """When the day's staged payments file (``bill/payments``) was last written (UTC), None if never or
    unknown."""
    path = staging.source(asset, partition)
    try:
        if not path.is_file():
            return None
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (OSError, ValueError, AttributeError, TypeError):  # an object store without a stamp
        return None


def day_is_closed(staging: StagingResource, day: date, overlap: timedelta, asset: object) -> bool:
    """Whether the day's payments were staged by a read that began after the day (and the overlap) ended."""
    staged = _staged_at(staging, day.isoformat(), asset)
    return staged is not None and staged >= datetime.combine(day + timedelta(days=1), time(), UTC) + overlap


def read_payments_day(context: Any, partition: str | None, entity: Any) -> DayRead | None:
    """Stage the partition's BILL payments unless a complete read of the day is staged already (see the
    module docstring); returns what was read, None when nothing needed reading. ``entity``: the staged
    payments the instance reads (``SaasEntity``: ``bill/payments``, or the instance's own copy)."""
    from connector_assets.saas.entities import SourceRead, overlap, read_with_session

    if partition is None:
        return None
    day, today = date.fromisoformat(partition), datetime.now(UTC).date()
    resources = context.resources
    if day > today or (day < today and day_is_closed(resources.staging, day, overlap(), entity.asset)):
        return None
    read = SourceRead(entity, resources.staging, resources.ledger.get(), [day], today, context.run.run_id)
    reads, pages, _ = read_with_session(read, resources.bill)
    [read] = reads
    context.log.info(
        f"{entity.asset.to_user_string()} {partition}: read by the payments flow itself ({read.mode}): "
        f"{read.rows} "
        f"payment(s) in {pages} page(s)"
    )
    return read
