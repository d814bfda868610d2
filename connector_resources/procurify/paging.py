"""Procurify's page-number pagination, read defensively.

The envelope is confirmed (§2.2): ``{"metadata": {"pagination": {count, next, previous, page_size,
num_pages, current_page}}, "data": [...]}``, 1-based ``page``, stop when ``next`` is null. What is
not confirmed, and handled here:

* default and maximum ``page_size``: we ask for ours and simply follow ``next`` when the server
  gives fewer rows per page (a cap), so a cap costs calls, never rows;
* other shapes: DRF's plain ``{"count", "next", "results"}`` and a bare list are accepted too;
* a server that ignores ``page`` would hand out page 1 forever: ``current_page`` (or, without it,
  a page that starts with the same row as the one before) ends the read with an error instead.

We ask for page ``n + 1`` ourselves rather than following the ``next`` URL: the link is built from
the server's idea of its host (a proxy can make it point elsewhere) and the bearer token must
only ever go to the configured customer host.

Offset paging over a set that changes while it is read can skip a row (a row read earlier moves
behind the cursor, the rest shift back one). ``PassTally`` records what is needed to notice:
the server's ``count`` on every page and the distinct rows seen. The reader re-reads when the set
shrank mid-read or fewer distinct rows arrived than the server counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connector_resources.procurify.errors import ProcurifyProtocolError


@dataclass
class Page:
    number: int
    rows: list[dict[str, Any]]
    count: int | None
    has_next: bool


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def parse_page(payload: Any, what: str, number: int) -> Page:
    """One list answer as a ``Page``; ``ProcurifyProtocolError`` when it is not a list answer."""
    if isinstance(payload, list):
        rows, pagination = payload, None
    elif isinstance(payload, Mapping):
        rows = payload.get("data") if "data" in payload else payload.get("results")
        metadata = payload.get("metadata")
        pagination = metadata.get("pagination") if isinstance(metadata, Mapping) else None
        if not isinstance(pagination, Mapping) and ("next" in payload or "count" in payload):
            pagination = payload  # DRF's default envelope
    else:
        rows, pagination = None, None
    if not isinstance(rows, list):
        raise ProcurifyProtocolError(f"Procurify's answer to {what} (page {number}) holds no list of records")
    bad = next((i for i, row in enumerate(rows) if not isinstance(row, Mapping)), None)
    if bad is not None:
        raise ProcurifyProtocolError(
            f"Procurify's answer to {what} (page {number}) has a non-object at row {bad}"
        )
    count = None
    has_next = False
    if isinstance(pagination, Mapping):
        count = _whole(pagination.get("count"))
        current = _whole(pagination.get("current_page"))
        if current is not None and current != number:
            raise ProcurifyProtocolError(
                f"Procurify answered page {current} when asked for page {number} of {what}: the server "
                "does not take the page parameter, so the read would never end"
            )
        if "next" in pagination:
            has_next = bool(pagination.get("next"))
        else:
            pages = _whole(pagination.get("num_pages"))
            has_next = pages is not None and number < pages
    return Page(number=number, rows=[dict(row) for row in rows], count=count, has_next=has_next)


@dataclass
class PassTally:
    """What one read of a list saw, to tell whether the set moved under the pages."""

    seen: set[Any] = field(default_factory=set)
    first_count: int | None = None
    last_count: int | None = None
    shrank: bool = False
    stopped_early: bool = False
    pages: int = 0

    def record_page(self, page: Page) -> None:
        self.pages += 1
        if page.count is None:
            return
        if self.first_count is None:
            self.first_count = page.count
        elif self.last_count is not None and page.count < self.last_count:
            self.shrank = True  # a row left the set: the rows behind it moved one place forward
        self.last_count = page.count

    def missed_rows(self) -> bool:
        """True when the read may have skipped rows (see the module docstring)."""
        if self.stopped_early:
            return False
        if self.shrank:
            return True
        return self.last_count is not None and len(self.seen) < self.last_count
