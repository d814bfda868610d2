"""Every record whose "updated" time lies in a window, read exactly, page by page.

BILL's page tokens are opaque and nothing documents what happens to them when data changes between
two pages. If they are offsets (the likeliest implementation, and the simulator's default), a record
updated while we read leaves its place and every later row moves up one: the row that slides across
the page boundary is never seen. So the client does not trust tokens across pages where it can
avoid them. Its strategies, tried in this order, each remembered per entity once a server refuses
or ignores the one before it:

1. ``keyset`` (the normal case; filters and sorting on ``updatedTime`` are documented for bills and
   vendors). Every page is a fresh query ``updatedTime >= <last time seen> and < end``, sorted by
   ``updatedTime`` ascending; rows already yielded at that time are skipped. A record that changes
   mid-read only moves *forward* (BILL stamps writes with the current time), so no fresh query can
   miss a row: nothing is lost, and a row is yielded twice only if it really changed in between
   (then its newer state comes second; consumers merge by ``id``, last wins). One extra row per
   page is re-read (the boundary), so a window costs about ``ceil(n / (page - 1))`` calls (plus
   the pages of any run of equal times longer than a page, below), and a window without changes
   costs one.

   A whole page sharing one ``updatedTime`` (BILL mass updates stamp hundreds of records alike)
   cannot be stepped over by time alone. Those rows are read by ``createdTime`` the same way (it
   never changes, so it is an even safer key), and only a page sharing both times falls back to
   page tokens.
2. ``filtered_pages``: the same filter without sorting, paged by tokens (a server that refuses
   the sort, or ignores it: a page out of order is detected).
3. ``sorted_desc``: no filter, ``updatedTime`` descending, stop at the first row before the window
   (the cheapest exact read when filtering is refused or ignored: rows outside the window are
   detected and dropped). Changes during the read move rows to the *front*, so a shift can only
   repeat a row (skipped), never hide one. Reading an old window first pages through everything
   newer, which is why this is not the first choice.
4. ``scan``: every record, in the server's order, kept when its time is in the window.

A strategy that fails before yielding anything hands over to the next; ``keyset`` can hand over
even mid-read, because it yields in time order and knows exactly how far it got.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector_resources.bill.errors import BillDataError
from connector_resources.bill.listing import (
    EntitySpec,
    Page,
    ceil_ms,
    clause,
    floor_ms,
    parse_time,
    updated_at,
)
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.bill.changes")

STRATEGIES = ("keyset", "filtered_pages", "sorted_desc", "scan")

# fetch(filters, sort, token) -> Page; raises UnsupportedQuery when BILL refuses filters/sort.
PageFetcher = Callable[[Sequence[str], str | None, str | None], Page]
Mark = tuple[str, str]  # (id, raw updated value): one state of one record


class UnsupportedQuery(Exception):
    """BILL refused a filter or sort (a 4xx on a list call that had them)."""


class UnfaithfulAnswer(Exception):
    """BILL answered rows outside the filter or out of the requested order (it ignored them)."""


@dataclass
class _Progress:
    """How far an ordered read got: every row before ``cursor`` was yielded, plus ``marks`` at it."""

    cursor: datetime
    marks: set[Mark] = field(default_factory=set)
    yielded: int = 0

    def advance(self, when: datetime, mark: Mark) -> None:
        if when > self.cursor:
            self.cursor, self.marks = when, {mark}
        else:
            self.marks.add(mark)
        self.yielded += 1


class ChangeReader:
    """Reads one entity's changed records in ``[start, end)`` through ``fetch`` (see module doc).

    ``strategies`` is shared state (entity -> first strategy worth trying), so a server's refusal
    is learnt once per process rather than once per read.
    """

    def __init__(
        self,
        spec: EntitySpec,
        fetch: PageFetcher,
        *,
        strategies: dict[str, str],
        strategy_key: str,
    ) -> None:
        self.spec = spec
        self._fetch = fetch
        self._strategies = strategies
        self._strategy_key = strategy_key

    # -- the entry point ----------------------------------------------------------------------------

    def read(self, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Rows as BILL returns them plus ``_updated_at`` (aware UTC), in ``[start, end)``."""
        first = self._strategies.get(self._strategy_key, STRATEGIES[0])
        progress = _Progress(cursor=start)
        for name in STRATEGIES[STRATEGIES.index(first) :]:
            before = progress.yielded
            try:
                if name == "keyset":
                    yield from self._keyset_window(start, end, progress)
                else:
                    # The fallbacks resume where an ordered read stopped (nothing before the cursor
                    # is read again); unordered ones cannot themselves hand over mid-read.
                    yield from self._unordered(name, progress.cursor, end, progress)
                self._strategies[self._strategy_key] = name
                return
            except (UnsupportedQuery, UnfaithfulAnswer) as why:
                if name != "keyset" and progress.yielded > before:
                    raise BillDataError(
                        f"BILL {self.spec.name}: the {name} read became unusable after "
                        f"{progress.yielded - before} rows ({why}); run the read again"
                    ) from None
                log.warning(
                    "BILL %s: %s read not possible (%s); falling back%s",
                    self.spec.name,
                    name,
                    why,
                    f" after {progress.yielded} rows" if progress.yielded else "",
                )
        raise BillDataError(f"BILL {self.spec.name}: no way to list records left (every strategy failed)")

    def _keep(self, row: dict[str, Any], start: datetime, end: datetime) -> datetime | None:
        when = updated_at(row, self.spec)
        row["_updated_at"] = when
        return when if start <= when < end else None

    def _mark(self, row: dict[str, Any]) -> Mark:
        return (row["id"], str(row.get(self.spec.updated_field) or row.get(self.spec.created_field)))

    # -- 1. keyset ------------------------------------------------------------------------------------

    def _keyset_window(self, start: datetime, end: datetime, progress: _Progress) -> Iterator[dict[str, Any]]:
        spec = self.spec
        lower = ("gte", floor_ms(progress.cursor))
        upper = ceil_ms(end)
        boundary = set(progress.marks)
        while True:
            op, cursor = lower
            filters = [clause(spec.updated_field, op, cursor), clause(spec.updated_field, "lt", upper)]
            page = self._fetch(filters, f"{spec.updated_field}:asc", None)
            values = [self._key(row, spec.updated_field) for row in page.rows]
            _check_ascending(values, op, cursor, upper)
            for row in page.rows:
                mark = self._mark(row)
                if mark in boundary:
                    continue
                when = self._keep(row, start, end)
                if when is None:
                    continue  # inside the millisecond-rounded filter but outside the exact window
                progress.advance(when, mark)
                yield row
            if page.next_token is None or not page.rows:
                return
            first, last = values[0], values[-1]
            at_last = {self._mark(row) for row, value in zip(page.rows, values, strict=True) if value == last}
            if first == last:
                # A full page of one time: more rows may share it than a page holds.
                seen = at_last | boundary
                tie = [clause(spec.updated_field, "gte", last), clause(spec.updated_field, "lte", last)]
                for row in self._tie_by_created(tie, seen):
                    when = self._keep(row, start, end)
                    if when is not None:
                        progress.advance(when, self._mark(row))
                        yield row
                lower, boundary = ("gt", last), set()
            else:
                lower, boundary = ("gte", last), at_last

    def _tie_by_created(self, tie: list[str], seen: set[Mark]) -> Iterator[dict[str, Any]]:
        """Rows sharing one updated time, stepped through by ``createdTime`` (never changes)."""
        spec = self.spec
        tie_key = f"{self._strategy_key}#tie"
        if self._strategies.get(tie_key) != "tokens":
            lower: tuple[str, datetime] | None = None
            boundary: set[Mark] = set()
            try:
                while True:
                    filters = list(tie)
                    if lower is not None:
                        filters.append(clause(spec.created_field, lower[0], lower[1]))
                    page = self._fetch(filters, f"{spec.created_field}:asc", None)
                    values = [self._key(row, spec.created_field) for row in page.rows]
                    _check_ascending(values, *(lower or (None, None)), None)
                    for row in page.rows:
                        mark = self._mark(row)
                        if mark in seen or mark in boundary:
                            continue
                        seen.add(mark)
                        yield row
                    if page.next_token is None or not page.rows:
                        return
                    first, last = values[0], values[-1]
                    marks_at_last = {
                        self._mark(r) for r, v in zip(page.rows, values, strict=True) if v == last
                    }
                    if first == last:
                        both = tie + [
                            clause(spec.created_field, "gte", last),
                            clause(spec.created_field, "lte", last),
                        ]
                        yield from self._tokens(both, None, seen)
                        lower, boundary = ("gt", last), set()
                    else:
                        lower, boundary = ("gte", last), marks_at_last
            except (UnsupportedQuery, UnfaithfulAnswer) as why:
                log.warning("BILL %s: cannot step through equal times by createdTime (%s)", spec.name, why)
                self._strategies[tie_key] = "tokens"
        # Page tokens over the tie; ``seen`` skips whatever was already yielded.
        yield from self._tokens(tie, None, seen)

    def _tokens(self, filters: list[str], sort: str | None, seen: set[Mark]) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._fetch(filters, sort, token)
            for row in page.rows:
                mark = self._mark(row)
                if mark in seen:
                    continue
                seen.add(mark)
                yield row
            token = _next_token(self.spec.name, page, token)
            if token is None:
                return

    def _key(self, row: dict[str, Any], field_name: str) -> datetime:
        """A sort key, to the millisecond; a row without it means the server did not sort by it."""
        try:
            return floor_ms(parse_time(row.get(field_name)))
        except ValueError:
            raise UnfaithfulAnswer(f"a record has no readable {field_name}") from None

    # -- 2-4. unordered reads -------------------------------------------------------------------------

    def _unordered(
        self, name: str, start: datetime, end: datetime, progress: _Progress
    ) -> Iterator[dict[str, Any]]:
        spec = self.spec
        field_name = spec.updated_field
        if name == "filtered_pages":
            filters = [clause(field_name, "gte", floor_ms(start)), clause(field_name, "lt", ceil_ms(end))]
            sort = None
        elif name == "sorted_desc":
            filters, sort = [], f"{field_name}:desc"
        else:
            filters, sort = [], None
        skip = set(progress.marks)  # rows at the resume time that were already yielded
        previous: set[Mark] = set()  # a shift can repeat the rows of the page before
        token: str | None = None
        previous_value: datetime | None = None
        while True:
            page = self._fetch(filters, sort, token)
            marks: set[Mark] = set()
            for row in page.rows:
                when = updated_at(row, spec)
                row["_updated_at"] = when
                if name == "filtered_pages" and not floor_ms(start) <= when < ceil_ms(end):
                    raise UnfaithfulAnswer(f"a record updated {when.isoformat()} is outside the filter")
                if name == "sorted_desc":
                    if previous_value is not None and when > previous_value:
                        raise UnfaithfulAnswer("records are not in descending updatedTime order")
                    previous_value = when
                    if when < start:
                        return  # descending: everything after this is older than the window
                mark = self._mark(row)
                marks.add(mark)
                if mark in skip or mark in previous or not start <= when < end:
                    continue
                progress.advance(when, mark)
                yield row
            following = _next_token(spec.name, page, token)
            if following is None:
                return
            previous, token = marks, following


def _next_token(entity: str, page: Page, token: str | None) -> str | None:
    """The token of the page after ``page`` (read with ``token``); None when the list is done. A
    token that repeats would read the same page forever, so it is an error."""
    if page.next_token is None or not page.rows:
        return None
    if page.next_token == token:
        raise BillDataError(f"BILL {entity}: the next page token repeats; the list does not advance")
    return page.next_token


def _check_ascending(
    values: Sequence[datetime], op: str | None, cursor: datetime | None, upper: datetime | None
) -> None:
    """Rows of a keyset page must honour the filter and the ascending sort, or the server ignored
    them and the keyset would skip rows."""
    previous = None
    for value in values:
        if cursor is not None and (value < cursor or (op == "gt" and value == cursor)):
            raise UnfaithfulAnswer(
                f"a record at {value.isoformat()} is before the filter's {cursor.isoformat()}"
            )
        if upper is not None and value >= upper:
            raise UnfaithfulAnswer(
                f"a record at {value.isoformat()} is after the filter's {upper.isoformat()}"
            )
        if previous is not None and value < previous:
            raise UnfaithfulAnswer("records are not in ascending order")
        previous = value
