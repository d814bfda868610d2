"""Reading a Coupa collection exactly, page by page, optionally with several requests in flight.

Coupa pages with ``limit`` (at most 50) and ``offset``, in ascending id order, with no total and no
next link: a page shorter than ``limit`` is the last (reference §2.2). Offsets are not stable: a
record that enters or leaves the filter between two pages shifts every later record, so offset paging
can skip or repeat a record (quirk 3). So, by default, pages are **keyed by id**: the first request
has no id condition, every next one asks for ``id[gt]=<last id seen>``. Each answer is then "the next
50 by id", whatever happened to earlier records, and nothing is skipped or repeated. ``id[gt]`` is
the documented ``gt`` operator on the documented ``id`` attribute; should a server ignore it (the
answer repeats ids at or below the cursor) the pager notices on that page and switches to offsets
for the rest of the read, filtering by id on this side and dropping the previous page's ids.

**Parallel reads by id range.** One request at a time cannot use Coupa's burst of 20 calls when each
page takes a few hundred milliseconds. ``read_slices`` therefore reads the first page of the window
alone (a quiet or small window costs exactly one call). If it is full, the rest of the window is cut
into **id ranges** (``id[gt]`` / ``id[lt_or_eq]``, both documented operators) read by a pool of
threads, each range still keyed by id, so every range is exact on its own and the ranges are disjoint
and cover everything above the first page. The ranges are sized from the first page's id span (about
one page each), the last one is open-ended; a range that keeps returning full pages is cut again for
idle workers. A server that ignores the upper id bound costs nothing: rows above it are dropped here
and the range ends there (ids come in ascending order).

**Order.** Rows come out in ascending id order, exactly as a sequential read gives them, whatever the
threads' timing: ranges are emitted in id order, each as soon as the ranges below it are complete.
Memory stays bounded: a range that is not the next one to be emitted is only read while fewer than
``2 * workers`` pages wait to be emitted.

Each range ends with a part-filled (or empty) page, so a parallel read costs a few calls more than a
sequential one (at most about one per range): the session asks for just enough threads (the burst the
pacer allows at once, or the rate times the seconds one call took, whichever is more).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any

from connector_resources.coupa.errors import CoupaResponseError
from connector_resources.coupa.values import iso_utc
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.coupa.paging")

Row = dict[str, Any]
# Pages read one by one before a read goes parallel: one, so a quiet or one-page window costs a single
# call and a larger one fans out after the first round trip.
SEQUENTIAL_PAGES = 1
FetchPage = Callable[[dict[str, str]], list[Row]]


class IdFiltersIgnored(Exception):
    """Internal: a range of a parallel read found that the server ignores ``id[gt]``; the read goes
    on sequentially by offset from the last row emitted."""


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
    """Part of a read: records with ``lower <= updated < upper`` (None = unbounded), id above
    ``after_id`` (None = any id) and at most ``upto_id`` (None = no upper id bound)."""

    lower: datetime | None
    upper: datetime | None
    after_id: int | None = None
    upto_id: int | None = None


class SlicePager:
    """Pages one ``Slice`` in id order (see module docstring): keyed by id, offsets as a fallback.

    ``fallback``: on a server that ignores ``id[gt]``, switch to offsets (a sequential read) or raise
    ``IdFiltersIgnored`` (a range of a parallel read, which the read then finishes sequentially)."""

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
        fallback: bool = True,
    ) -> None:
        self._fetch = fetch
        self._time_of = time_of
        self._base = dict(base_params)
        self.slice = piece
        self.limit = limit
        self.entity = entity
        self.updated_arg = updated_arg
        self.keyset = keyset
        self.fallback = fallback
        self.cursor = piece.after_id
        self.offset = 0
        # Offset mode only returns ids above this: every record at or below it was already read.
        self._floor = piece.after_id
        self._previous_ids: set[int] = set()
        self.full_pages = 0  # full pages since this pager's range last changed
        # Ids one full page spanned (last id minus the id before it): how wide a page-sized range is.
        self.span: int | None = None
        # How often the open-ended range this pager holds was cut: where the ids end is unknown, so
        # each cut may make twice as many pieces as the one before (pieces past the end cost a call).
        self.open_splits = 0
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
        if self.keyset and self.slice.upto_id is not None:
            params["id[lt_or_eq]"] = str(self.slice.upto_id)
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
                if not self.fallback:
                    raise IdFiltersIgnored(sent_cursor)
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
                if len(rows) >= self.limit:
                    before = sent_cursor if sent_cursor is not None else ids[0] - 1
                    self.span = max(1, ids[-1] - before)
                self.cursor = ids[-1]
            out = rows
        else:
            floor = self._floor
            seen = self._previous_ids
            out = [
                r for r, i in zip(rows, ids, strict=True) if (floor is None or i > floor) and i not in seen
            ]
            self._previous_ids = set(ids)
            self.offset += len(rows)
        upto = self.slice.upto_id
        if upto is not None and ids and ids[-1] > upto:
            # The server ignored the upper id bound: what lies above it belongs to the next range.
            out = [r for r in out if row_id(r, self.entity) <= upto]
            self.done = True
        elif len(rows) < self.limit or (upto is not None and self.keyset and ids and ids[-1] >= upto):
            # A short page is the last; so is a full one that reached the range's last id (ids are
            # unique), which spares a range exactly one page wide the empty call that would say so.
            self.done = True
        else:
            self.full_pages += 1
        return self._within_slice(out)

    def _within_slice(self, rows: list[Row]) -> list[Row]:
        """Only the rows of this slice's time range: a server that ignores one spelling of the
        ``updated_at`` operators (the reference's own examples mix ``updated_at[gt_or_eq]`` and
        ``updated-at[gt]``) cannot make the read return records outside the window."""
        lower, upper, time_of = self.slice.lower, self.slice.upper, self._time_of
        if time_of is None or (lower is None and upper is None):
            return rows
        return [
            r
            for r in rows
            if (lower is None or time_of(r) >= lower) and (upper is None or time_of(r) < upper)
        ]

    def remaining_pages(self) -> float:
        """About how many pages this range still holds (infinite when open-ended or unknown)."""
        upto = self.slice.upto_id
        if self.done:
            return 0.0
        if upto is None or self.cursor is None or not self.span:
            return math.inf
        return max(0, upto - self.cursor) / self.span

    def split(self, parts: int = 2) -> list[SlicePager]:
        """Hand all but the first of ``parts`` id ranges of what remains to new pagers (none when it
        cannot be split: offset mode, nothing read yet, or done).

        What remains is ids in ``(cursor, upto_id]``. Open-ended, it is cut every ``span`` ids (about
        a page each, by the density of the last full page) with the last piece open-ended; bounded,
        into equal id spans. This pager keeps the lowest piece, so the pieces stay in id order."""
        if self.done or not self.keyset or self.cursor is None or parts < 2:
            return []
        start, upto = self.cursor, self.slice.upto_id
        if upto is None:
            step = self.span or self.limit
            cuts = [start + step * n for n in range(1, parts)]
        else:
            width = upto - start
            parts = min(parts, width)
            if parts < 2:
                return []
            cuts = [start + width * n // parts for n in range(1, parts)]
        bounds: list[int | None] = [start, *cuts, upto]
        lower, upper = self.slice.lower, self.slice.upper
        self.slice = Slice(lower, upper, self.slice.after_id, cuts[0])
        self.full_pages = 0
        pieces = [
            SlicePager(
                self._fetch,
                self._base,
                Slice(lower, upper, low, high),
                limit=self.limit,
                entity=self.entity,
                updated_arg=self.updated_arg,
                time_of=self._time_of,
                fallback=False,
            )
            for low, high in pairwise(bounds[1:])
        ]
        if upto is None:
            pieces[-1].open_splits = self.open_splits + 1
        return pieces


def read_slices(
    first: SlicePager, workers: int, choose_workers: Callable[[], tuple[int, int]] | None = None
) -> Iterator[Row]:
    """Every row ``first`` covers, in ascending id order: its first page alone, then the rest
    sequentially or as id ranges read by up to ``workers`` threads (see module docstring).
    ``choose_workers``, asked after the first page, says how many threads the read can use at once
    (fewer lowers the count) and how many keep the rate limit busy afterwards (the most pieces an
    open-ended range is cut into at a time, since the ranges past the last id come back empty)."""
    sustained = workers
    last_id: int | None = None
    for _ in range(SEQUENTIAL_PAGES):
        yield from first.next_page()
        if first.done:
            return
    if workers > 1 and choose_workers is not None:
        wanted, sustained = choose_workers()
        workers = max(1, min(workers, wanted))
    if workers > 1 and first.keyset and first.cursor is not None:
        read_first = first.cursor
        first.fallback = False
        pieces = [first, *first.split(workers)]
        read = _OrderedRead(pieces, workers, max(2, sustained))
        try:
            for row in read.rows():
                last_id = row_id(row, first.entity)
                yield row
            return
        except IdFiltersIgnored as ignored:
            log.warning(
                "coupa %s: the server ignored id[gt]=%s (answer repeats older ids); reading the rest "
                "of this window by offset instead",
                first.entity,
                ignored.args[0],
            )
        # Every record up to the last row emitted has been yielded (rows come in id order), and so has
        # every record of the first page (whose rows may all lie outside the window's exact bounds).
        floor = max(read_first, last_id or read_first)
        first = SlicePager(
            first._fetch,
            first._base,
            Slice(first.slice.lower, first.slice.upper, floor),
            limit=first.limit,
            entity=first.entity,
            updated_arg=first.updated_arg,
            keyset=False,
            time_of=first._time_of,
        )
    while not first.done:
        yield from first.next_page()


@dataclass
class _Range:
    """One id range of a parallel read: its pager and the pages read but not yet emitted."""

    pager: SlicePager
    pages: deque[list[Row]] = field(default_factory=deque)
    busy: bool = False


class _OrderedRead:
    """A worker pool over id ranges kept in id order: workers take the lowest range that is free,
    cut ranges for idle workers, and the consumer emits ranges in order (see module docstring)."""

    def __init__(self, pagers: list[SlicePager], workers: int, open_parts: int) -> None:
        self._ranges: list[_Range] = [_Range(p) for p in pagers]  # id order, emitted ones removed
        self._workers = workers
        self._open_parts = open_parts
        self._cap = 2 * workers  # pages waiting to be emitted, beyond which only the head is read
        self._waiting = 0
        self._busy = 0
        self._cond = threading.Condition()
        self._error: BaseException | None = None
        self._stop = False

    def _take(self) -> _Range | None:
        """The lowest free range worth a call now, or None when the read is over (under the lock)."""
        while not self._stop:
            pending = False
            for index, item in enumerate(self._ranges):
                if item.pager.done:
                    continue
                pending = True
                if not item.busy and (index == 0 or self._waiting < self._cap):
                    item.busy = True
                    self._busy += 1
                    return item
            if not pending:
                return None
            self._cond.wait(0.1)
        return None

    def _split_for_idle(self, item: _Range) -> None:
        """Cut ``item``'s remaining range for idle workers (under the lock); new ranges follow it."""
        pager = item.pager
        free = sum(1 for r in self._ranges if not r.busy and not r.pager.done)
        idle = self._workers - self._busy - free
        if idle <= 0 or pager.done or pager.full_pages < 1:
            return
        remaining = pager.remaining_pages()
        if remaining == math.inf:
            # An open-ended range is cut into twice as many pieces as its previous cut (2, 4, 8, ...),
            # and never more than keep the rate limit busy: pieces past the last id come back empty,
            # so the fan-out grows only as the data goes on, and wastes few calls at its end.
            parts = min(idle + 1, 2 ** max(1, pager.open_splits), self._open_parts)
        else:
            # A bounded range is only cut into pieces of at least a page each: every piece ends with a
            # part-filled page, so thinner pieces would cost calls without saving round trips.
            parts = min(idle + 1, int(remaining))
        pieces = pager.split(parts) if parts >= 2 else []
        if pieces:
            at = self._ranges.index(item) + 1
            self._ranges[at:at] = [_Range(p) for p in pieces]

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    item = self._take()
                    if item is None:
                        return
                rows: list[Row] = []
                try:
                    rows = item.pager.next_page()
                finally:
                    # One locked step: the consumer never sees the range idle without its page.
                    with self._cond:
                        item.busy = False
                        self._busy -= 1
                        if rows:
                            item.pages.append(rows)
                            self._waiting += 1
                        self._split_for_idle(item)
                        self._cond.notify_all()
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            with self._cond:
                if self._error is None:
                    self._error = exc
                self._stop = True
                self._cond.notify_all()

    def _next_page(self) -> list[Row] | None:
        """The next page in id order, waiting for it; None once every range is emitted."""
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                if not self._ranges:
                    return None
                head = self._ranges[0]
                if head.pages:
                    self._waiting -= 1
                    self._cond.notify_all()
                    return head.pages.popleft()
                if head.pager.done and not head.busy:
                    self._ranges.pop(0)
                    self._cond.notify_all()
                    continue
                self._cond.wait(0.1)

    def rows(self) -> Iterator[Row]:
        threads = [
            threading.Thread(target=self._work, name=f"coupa-read-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in threads:
            thread.start()
        try:
            while (page := self._next_page()) is not None:
                yield from page
        finally:
            with self._cond:
                self._stop = True
                self._cond.notify_all()
            for thread in threads:
                thread.join()
