"""Exact paging through Fusion collections: limit/offset/hasMore made safe against the pod's quirks.

The pod pages with ``limit`` / ``offset`` / ``hasMore`` only (no cursor, no next link; reference §2.3),
and three things make a naive loop lose or repeat rows (quirks 1-4):

* the page size is capped **silently** (500, some resources 499): the next offset is the number of
  rows that *arrived*, never the ``limit`` asked for;
* ``hasMore`` can be wrong: the loop also stops on an empty page, and never loops without progress;
* offsets drift when rows change while the read runs, and deep offsets get slow.

So a change read (``read_window``) does not page one query deep. After every page it **re-anchors**:
the next query starts at the last row's ``LastUpdateDate`` (floored to what a ``q`` literal can say) and
skips only the rows already read at that stamp, so offsets stay small and a row updated elsewhere in
the window cannot shift the rows still to come. Each next page also starts **one row early**: the first
row must be the last row already read (same key, same stamp). If it is not, rows at the current stamp
moved while the read ran; the stamp's rows are read again from their first and those already
returned are recognised by (key, stamp) and not returned twice. A row updated during the read reappears
later with its new stamp when that stamp is still inside the window: that is a newer version, not a
duplicate (staging keeps the latest version per key).

The order is ``LastUpdateDate:asc,<key>:asc``: the key makes it total, so ties cannot swap between
pages. The overlap costs one row per page, not a call: a window of N rows with page size P takes
``1 + ceil((N - P) / (P - 1))`` calls when N > P, and one call when nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector_resources.fusion.errors import FusionResponseError
from connector_resources.fusion.query import TimestampStyle, floor_to, parse_timestamp
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.fusion.paging")


@dataclass(frozen=True)
class Page:
    """One collection answer: its rows and whether the pod says more follow (None: it did not say)."""

    items: list[dict[str, Any]]
    has_more: bool | None
    limit: int | None = None

    def more(self) -> bool:
        """Whether to ask again: the pod's ``hasMore``, else "the page was full" when it echoed a limit."""
        if not self.items:
            return False  # an empty page ends the read whatever hasMore says (quirk 2)
        if self.has_more is not None:
            return self.has_more
        return self.limit is not None and len(self.items) >= self.limit


def parse_page(payload: Any, what: str) -> Page:
    """A collection envelope as a ``Page``; a clear error when it is not one."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("items"), list):
        raise FusionResponseError(f"{what}: the answer is not a collection (no 'items' list)")
    items = [row for row in payload["items"] if isinstance(row, dict)]
    has_more = payload.get("hasMore")
    limit = payload.get("limit")
    return Page(
        items=items,
        has_more=has_more if isinstance(has_more, bool) else None,
        limit=limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None,
    )


FetchWindowPage = Callable[[datetime, int], Page]  # (lower bound of q, offset) -> page


def _identity(row: Mapping[str, Any], key: str, updated: str) -> tuple[str, str]:
    return (str(row.get(key)), str(row.get(updated)))


def read_window(
    fetch: FetchWindowPage,
    *,
    first_page: Page,
    key: str,
    updated: str,
    start: datetime,
    end: datetime,
    style: TimestampStyle,
    label: str,
    max_restarts: int = 10,
) -> Iterator[tuple[dict[str, Any], datetime]]:
    """Yield ``(row, stamp)`` for every row whose ``updated`` stamp is in ``[start, end)``.

    ``first_page`` is the answer at ``floor_to(start, style)``, offset 0 (the caller fetched it to
    learn which timestamp literal the pod accepts); ``fetch(low, offset)`` asks for the rows with
    ``updated >= low`` (and below the window's end), in the order described in the module docstring.
    """
    anchor = floor_to(start, style)
    run_floor: datetime | None = None  # floored stamp of the trailing run of rows read
    run_count = 0  # rows read (pod order) whose floored stamp is run_floor
    run_seen: set[tuple[str, str]] = set()
    returned_before: set[tuple[str, str]] = set()  # rows of the current run returned before a restart
    overlap: tuple[str, str] | None = None  # the row the next page must start with
    restarts = 0
    page: Page | None = first_page
    offset = 0
    while True:
        if page is None:
            page = fetch(anchor, offset)
        items = page.items
        if overlap is not None:
            if not items or _identity(items[0], key, updated) != overlap:
                restarts += 1
                if restarts > max_restarts:
                    raise FusionResponseError(
                        f"{label}: rows at {updated} {anchor.isoformat()} kept moving while being read "
                        f"({restarts} re-reads); try again when the pod is quieter"
                    )
                log.info(
                    "%s: rows at %s %s moved during the read; re-reading them (re-read %d)",
                    label,
                    updated,
                    anchor.isoformat(),
                    restarts,
                )
                returned_before |= run_seen
                run_count, run_seen = 0, set()
                offset, overlap, page = 0, None, None
                continue
            items = items[1:]
        progressed = False
        last: dict[str, Any] | None = None
        for row in items:
            stamp = parse_timestamp(row.get(updated))
            if stamp is None:
                raise FusionResponseError(
                    f"{label} {key} {row.get(key)}: {updated} {row.get(updated)!r} is missing or not a "
                    "timestamp"
                )
            floored = floor_to(stamp, style)
            if run_floor is not None and floored < run_floor:
                raise FusionResponseError(
                    f"{label}: the pod returned rows out of {updated} order ({key} {row.get(key)} at "
                    f"{stamp.isoformat()} after {run_floor.isoformat()}); it does not honour orderBy"
                )
            ident = _identity(row, key, updated)
            if floored != run_floor:
                run_floor, run_count, run_seen = floored, 0, set()
                returned_before = set()  # only rows of the run being re-read can come back
            run_count += 1
            run_seen.add(ident)
            last = row
            if ident in returned_before:
                continue
            progressed = True
            if start <= stamp < end:
                yield row, stamp
        if progressed:
            restarts = 0
        if not page.more():
            return
        if last is None:
            # Only the overlap row came back although the pod says more follow (a page size of one,
            # or a wrong hasMore): step past it once without the check instead of asking forever.
            offset, overlap, page = run_count, None, None
            continue
        assert run_floor is not None
        anchor, offset = run_floor, run_count - 1
        overlap = _identity(last, key, updated)
        page = None


def read_offsets(fetch: Callable[[int], Page], *, key: str | None) -> Iterator[dict[str, Any]]:
    """Plain offset paging for collections without a change stamp (reference data such as account
    combinations, a record's lines): advance by the rows that arrived, stop on ``hasMore`` false or an
    empty page. With a ``key`` (the collection ordered by it), a row whose key was on the previous page
    is skipped: an offset that slid back by a row must not return it twice."""
    offset = 0
    previous: set[str] = set()
    while True:
        page = fetch(offset)
        current: set[str] = set()
        for row in page.items:
            if key is not None:
                ident = str(row.get(key))
                current.add(ident)
                if ident in previous:
                    continue
            yield row
        offset += len(page.items)
        if not page.more():
            return
        previous = current
