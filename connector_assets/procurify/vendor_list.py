"""A whole Procurify list (every vendor, every requisition) read when its pages cost fewer calls than the
reads a step would make one at a time: the vendors list filters ``external_id`` and ``name`` one value a
call and has no id filter (reference §2.3); the requisitions list has no number filter (§2.4).
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connector_assets.runtime.run_reads import RunReads
from connector_resources.procurify.session import ProcurifySession
from connector_resources.procurify.writes import VENDOR_WRITES
from connector_resources.replay import shared_value

LIST_PAGE_SIZE = 100  # the largest page the reference suggests (its cap is unconfirmed)
Vendors = dict[str, dict[str, Any]]

# Run id -> the whole vendor list a run's steps share (None: not read; ``written``: the vendor writes sent
# when read): payments find their vendors in it (one it lacks: its groups read one by one), and the
# suppliers step searches in it while it is fresh (``kept_vendors``).
vendors_for_run: RunReads[dict[str, Any]] = RunReads(dict)


def kept_vendors(run: dict[str, Any] | None) -> Vendors | None:
    """A copy of the run's vendor list (``vendors_for_run``) while no vendor was written since it was read."""
    fresh = run is not None and run.get("vendors") and run.get("written") == VENDOR_WRITES[0]
    return dict(run["vendors"]) if fresh else None


def whole_list(
    session: ProcurifySession, needed: int, entity: str, key: str, page_size: int = LIST_PAGE_SIZE
) -> dict[str, dict[str, Any]] | None:
    """Each row of ``entity`` by its ``key`` when the count asked first and the list's pages cost fewer
    calls than ``needed`` reads one at a time; None when not, or the server gives no count."""
    count = session.count(entity) if needed >= 3 else None
    if count is None or math.ceil(count / page_size) >= needed - 1:
        return None
    with list_pages(session, page_size):
        return {str(row.get(key)): row for row in session.iter_all(entity)}


def listed_vendors(session: Any, needed: int, page_size: int = LIST_PAGE_SIZE) -> Vendors | None:
    """Vendor id -> vendor (inactive and system ones too), by ``whole_list``."""
    return whole_list(session, needed, "vendors", "id", page_size)


def replay_vendors(session: ProcurifySession, needed: int) -> Vendors | None:
    """``listed_vendors`` kept for the whole replay once read: each chunk of a replay (50 records) would
    read the whole list again; outside a replay, read each time."""
    kept: dict[str, Vendors] = shared_value(("procurify vendor list",), dict)
    if "vendors" not in kept:
        listed = listed_vendors(session, needed)
        if listed is None:
            return None
        kept["vendors"] = listed
    return kept["vendors"]


@contextmanager
def list_pages(session: ProcurifySession, page_size: int = LIST_PAGE_SIZE) -> Iterator[None]:
    """``session``'s list reads in pages of ``page_size`` for the while, its own size put back after."""
    before, session.page_size = session.page_size, page_size
    try:
        yield
    finally:
        session.page_size = before
