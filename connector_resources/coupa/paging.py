"""Reading a Coupa collection exactly, page by page, optionally with several requests in flight.

Coupa pages with ``limit`` (at most 50) and ``offset``, in ascending id order, with no total and no
next link: a page shorter than ``limit`` is the last (reference §2.2). Offsets are not stable: a
record that enters or leaves the filter between two pages shifts every later record, so offset paging
can skip or repeat a record (quirk 3). So, by default, pages are **keyed by id**: the first request
has no id condition, every next one asks for ``id[gt]=<last id seen>``. Each answer is then "the next
50 by id", whatever happened to earlier records, and nothing is skipped or repeated. ``id[gt]`` is
the documented ``gt`` operator on the documented ``id`` attribute; should a server ignore it (the
answer repeats ids at or below the cursor) the pager notices on that page and switches to offsets
for the rest of the slice, filtering by id on this side and dropping the previous page's ids.

**Parallel reads.** One request at a time cannot approach Coupa's 25 requests per second when each
page takes a few hundred milliseconds. ``read_slices`` therefore reads the first pages of the window
alone (a quiet window costs one call, a small one no more than a sequential read). If they are full,
the rest of the window is split into time slices (``updated_at`` ranges at whole seconds, each keyed
by id above the last id read so far) read by a small pool of threads. Slices are cut at the quantiles
of the change times seen so far, so they hold similar numbers of records, and a worker whose slice
keeps returning full pages while others sit idle splits its remaining range and hands part over, so a
window whose changes cluster in one hour still keeps every worker busy.

Each slice ends with a part-filled page, so a parallel read costs a few calls more than a sequential
one (about one per slice), and threads beyond what the client's rate limit can use only add such
pages: the session asks for just enough (the rate times the seconds one call took, plus headroom; a
fast server is read by one thread). Rows come out in no particular order. Memory stays bounded: at
most ``2 * workers`` pages wait in the queue.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from connector_resources.coupa.errors import CoupaResponseError
from connector_resources.coupa.values import iso_utc
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.coupa.paging")

Row = dict[str, Any]
# Pages read one by one before a read goes parallel: windows of up to this many pages (most polls)
# cost exactly what a sequential read costs, since every slice ends with a short page of its own.
SEQUENTIAL_PAGES = 2
# Full pages a slice must have returned since it was last split before it is split again for an idle
# worker: every slice ends with a part-filled page, so splitting thin slices costs calls, while a
# slice that keeps returning full pages probably has much more to give.
DENSE_PAGES = 2
# Change times a pager remembers to place its cut points (two pages' worth).
SAMPLE_TIMES = 100
FetchPage = Callable[[dict[str, str]], list[Row]]


def row_id(row: Mapping[str, Any], entity: str) -> int:
    """The record's Coupa id as an int (JSON numbers; a numeric string is tolerated)."""
    value = row.get("id")
    if isinstance(value, bool) or value is None:
        raise CoupaResponseError(f"Coupa returned a {entity} record without an id", entity=entity)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CoupaResponseError(
            f"Coupa returned a {entity} record whose id {value!r} is not a number", entity=entity
        ) from None


@dataclass
class Slice:
    """Part of a read: records with ``lower <= updated < upper`` (None = unbounded) and id above
    ``after_id`` (None = any id)."""

    lower: datetime | None
    upper: datetime | None
    after_id: int | None = None


class SlicePager:
    """Pages one ``Slice`` in id order (see module docstring): keyed by id, offsets as a fallback."""

    def __init__(
        self,
        fetch: FetchPage,
        base_params: Mapping[str, str],
        piece: Slice,
        *,
        limit: int,
        entity: str,
        updated_arg: str = "updated_at",
        keyset: bool = True,
        time_of: Callable[[Row], datetime] | None = None,
    ) -> None:
        self._fetch = fetch
        self._time_of = time_of
        self._base = dict(base_params)
        self.slice = piece
        self.limit = limit
        self.entity = entity
        self.updated_arg = updated_arg
        self.keyset = keyset
        self.cursor = piece.after_id
        self.offset = 0
        # Offset mode only returns ids above this: every record at or below it was already read.
        self._floor = piece.after_id
        self._previous_ids: set[int] = set()
        self.full_pages = 0  # full pages since this pager's range last changed
        # Change times of the latest rows read: where the records of this range are, in time.
        self._times: list[datetime] = []
        self.done = False

    def _params(self) -> dict[str, str]:
        params = dict(self._base)
        if self.slice.lower is not None:
            params[f"{self.updated_arg}[gt_or_eq]"] = iso_utc(self.slice.lower)
        if self.slice.upper is not None:
            params[f"{self.updated_arg}[lt]"] = iso_utc(self.slice.upper)
        if self.keyset and self.cursor is not None:
            params["id[gt]"] = str(self.cursor)
        elif not self.keyset and self.offset:
            params["offset"] = str(self.offset)
        params["limit"] = str(self.limit)
        return params

    def next_page(self) -> list[Row]:
        """The next page's rows (already filtered in offset mode); sets ``done`` after the last."""
        if self.done:
            return []
        sent_cursor = self.cursor if self.keyset else None
        rows = self._fetch(self._params())
        ids = [row_id(row, self.entity) for row in rows]
        if self.keyset:
            if sent_cursor is not None and any(i <= sent_cursor for i in ids):
                log.warning(
                    "coupa %s: the server ignored id[gt]=%s (answer repeats older ids); paging this "
                    "read by offset instead",
                    self.entity,
                    sent_cursor,
                )
                # Every record of this slice up to the cursor has been read (the cursor is only ever
                # the last id of a complete id-ordered page), so offsets restart at 0 above it.
                self.keyset = False
                self.offset = 0
                self._floor = sent_cursor
                return self.next_page()
            if any(later <= earlier for earlier, later in pairwise(ids)):
                raise CoupaResponseError(
                    f"Coupa returned {self.entity} out of id order (documented default: ascending id), "
                    "so pages cannot be read exactly",
                    entity=self.entity,
                )
            if ids:
                self.cursor = ids[-1]
            if self._time_of is not None:
                self._times = (self._times + [self._time_of(row) for row in rows])[-SAMPLE_TIMES:]
            out = rows
        else:
            floor = self._floor
            seen = self._previous_ids
            out = [
                r for r, i in zip(rows, ids, strict=True) if (floor is None or i > floor) and i not in seen
            ]
            self._previous_ids = set(ids)
            self.offset += len(rows)
        if len(rows) < self.limit:
            self.done = True
        else:
            self.full_pages += 1
        return self._within_slice(out)

    def _within_slice(self, rows: list[Row]) -> list[Row]:
        """Only the rows of this slice's time range: the slices of a window are then disjoint even
        against a server that ignores one spelling of the ``updated_at`` operators (the reference's own
        examples mix ``updated_at[gt_or_eq]`` and ``updated-at[gt]``), so no record is read twice."""
        lower, upper, time_of = self.slice.lower, self.slice.upper, self._time_of
        if time_of is None or (lower is None and upper is None):
            return rows
        return [
            r
            for r in rows
            if (lower is None or time_of(r) >= lower) and (upper is None or time_of(r) < upper)
        ]

    def split(self, parts: int = 2) -> list[SlicePager]:
        """Hand all but the first of ``parts`` pieces of the remaining range to new pagers (none when
        it cannot be split: offset mode, no time bounds, under two seconds left, or done).

        The cut points are the quantiles of the change times read so far in this range (whole
        seconds), so the pieces hold similar numbers of records; without such times, equal spans.
        Every piece keeps the id cursor: what remains is the records above it, whatever their time.
        """
        lower, upper = self.slice.lower, self.slice.upper
        if self.done or not self.keyset or lower is None or upper is None or parts < 2:
            return []
        points = self._cut_points(lower, upper, parts)
        if not points:
            return []
        bounds = [lower, *points, upper]
        self.slice = Slice(lower, points[0], self.slice.after_id)
        self._times = [t for t in self._times if t < points[0]]
        self.full_pages = 0
        return [
            SlicePager(
                self._fetch,
                self._base,
                Slice(start, end, self.cursor),
                limit=self.limit,
                entity=self.entity,
                updated_arg=self.updated_arg,
                time_of=self._time_of,
            )
            for start, end in pairwise(bounds[1:])
        ]

    def _cut_points(self, lower: datetime, upper: datetime, parts: int) -> list[datetime]:
        inside = sorted(
            t.replace(microsecond=0) for t in self._times if lower < t.replace(microsecond=0) < upper
        )
        if len(inside) >= parts:
            chosen = [inside[len(inside) * n // parts] for n in range(1, parts)]
        else:
            span = int((upper - lower).total_seconds())
            chosen = [lower + timedelta(seconds=span * n // parts) for n in range(1, parts)]
        points: list[datetime] = []
        for point in chosen:
            if lower < point < upper and (not points or point > points[-1]):
                points.append(point)
        return points


def read_slices(
    first: SlicePager, workers: int, choose_workers: Callable[[], int] | None = None
) -> Iterator[Row]:
    """Every row ``first`` covers: its first pages alone, then the rest sequentially or split across
    up to ``workers`` threads (see module docstring). ``choose_workers``, asked after the first
    pages, may lower the thread count to what the read actually needs."""
    for _ in range(SEQUENTIAL_PAGES):
        yield from first.next_page()
        if first.done:
            return
    if workers > 1 and choose_workers is not None:
        workers = max(1, min(workers, choose_workers()))
    pieces = [first, *first.split(workers)] if workers > 1 else [first]
    if len(pieces) == 1:
        while not first.done:
            yield from first.next_page()
        return
    yield from _ParallelRead(pieces, workers).rows()


class _ParallelRead:
    """A worker pool over a queue of pagers that splits work when workers are idle."""

    def __init__(self, pagers: list[SlicePager], workers: int) -> None:
        self._tasks: deque[SlicePager] = deque(pagers)
        self._workers = workers
        self._busy = 0
        self._cond = threading.Condition()
        self._results: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * workers)
        self._stop = threading.Event()

    def _put(self, item: tuple[str, Any]) -> None:
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _take(self) -> SlicePager | None:
        with self._cond:
            while not self._tasks and self._busy > 0 and not self._stop.is_set():
                self._cond.wait(0.1)
            if self._stop.is_set() or not self._tasks:
                return None
            self._busy += 1
            return self._tasks.popleft()

    def _work(self) -> None:
        try:
            while (pager := self._take()) is not None:
                try:
                    while not pager.done and not self._stop.is_set():
                        rows = pager.next_page()
                        if rows:
                            self._put(("rows", rows))
                        if not pager.done:
                            with self._cond:
                                idle = self._workers - self._busy - len(self._tasks)
                                if idle > 0 and pager.full_pages >= DENSE_PAGES:
                                    pieces = pager.split(idle + 1)
                                    self._tasks.extend(pieces)
                                    self._cond.notify_all()
                finally:
                    with self._cond:
                        self._busy -= 1
                        self._cond.notify_all()
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            self._put(("error", exc))
            self._stop.set()
        finally:
            self._put(("done", None))

    def rows(self) -> Iterator[Row]:
        threads = [
            threading.Thread(target=self._work, name=f"coupa-read-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in threads:
            thread.start()
        finished = 0
        try:
            while finished < len(threads):
                kind, value = self._results.get()
                if kind == "rows":
                    yield from value
                elif kind == "error":
                    raise value
                else:
                    finished += 1
        finally:
            self._stop.set()
            with self._cond:
                self._cond.notify_all()
            for thread in threads:
                while thread.is_alive():
                    try:  # unblock a worker waiting to hand over a page nobody will read
                        self._results.get_nowait()
                    except queue.Empty:
                        thread.join(timeout=0.05)
