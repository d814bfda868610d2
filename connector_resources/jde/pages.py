"""One data-service answer read into a ``Page``: its rows, whether more exist, its next link; or the
refusal it carries, as ``JdeQueryError``, or as ``ReadInterrupted`` when the result set expired.

Its own module because judging an answer is pure (bytes or JSON in, a page or an exception out) and is
shared by every read: the paging state machine (``paging``), a one-row ``sample`` and a ``count``.
A next link is found before the rows are decoded (``read_page``), so the next request can go out sooner.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector_resources.jde.decode import (
    ColumnPage,
    browse_head,
    encoded_array,
    page_json,
    rowset,
    rowset_columns,
)
from connector_resources.jde.errors import JdeQueryError, collect_messages, describe

if TYPE_CHECKING:
    import requests

# The result set a next link points at is gone (HTTP 500 with it in ``sysErrors``, reference §4.6).
RESULT_SET_EXPIRED = "JAS_MSG347"


@dataclass
class Page:
    """One data-service page: its rows (or, from ``read_page``, still encoded), whether the server says
    more rows exist, and the link to them when it gave one."""

    rows: list[dict[str, Any]]
    more: bool
    next_href: str | None
    encoded_rows: Any = None  # the rowset still encoded (``read_page``); ``decoded_rows`` decodes it

    def decoded_rows(self) -> list[dict[str, Any]]:
        """The page's rows, decoded now if ``read_page`` left them encoded."""
        if self.encoded_rows is not None:
            self.rows, self.encoded_rows = _mapping_rows(rowset(self.encoded_rows)), None
        return self.rows

    def decoded(self, keys: tuple[str, ...] | None) -> list[dict[str, Any]] | ColumnPage:
        """The page's rows, by column (``decode.rowset_columns``) when ``keys`` are the keys every row
        must hold and every row holds exactly them; otherwise as ``decoded_rows`` gives them."""
        if keys is not None and self.encoded_rows is not None:
            by_column = rowset_columns(self.encoded_rows, keys)
            if by_column is not None:
                self.encoded_rows = None
                return by_column
        return self.decoded_rows()


class ReadInterrupted(Exception):
    """A read stopped before its end; ``restart`` False means "page on by key" (no failure)."""

    def __init__(self, reason: str, *, restart: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.restart = restart


def form_of(payload: Mapping[str, Any], table: str) -> Mapping[str, Any] | None:
    """The answer's ``fs_DATABROWSE_<table>`` section, or the one section of that kind it has."""
    exact = payload.get(f"fs_DATABROWSE_{table}")
    if isinstance(exact, Mapping):
        return exact
    for key, value in payload.items():
        if key.startswith("fs_DATABROWSE_") and isinstance(value, Mapping):
            return value
    return None


def has_expired_marker(payload: Any) -> bool:
    """Whether an answer (or a refusal's text) says the result set expired (``RESULT_SET_EXPIRED``)."""
    return RESULT_SET_EXPIRED in str(payload)


def parse_page(payload: Any, table: str) -> Page:
    if not isinstance(payload, Mapping):
        raise JdeQueryError(
            f"JD Edwards AIS answered a read of {table} with something other than JSON", table=table
        )
    sys_errors = payload.get("sysErrors")
    if sys_errors:
        if has_expired_marker(sys_errors):
            raise ReadInterrupted(f"the {table} result set expired ({RESULT_SET_EXPIRED})")
        messages = collect_messages(sys_errors)
        raise JdeQueryError(
            f"JD Edwards AIS could not read {table}: {describe(messages)}", table=table, messages=messages
        )
    form = form_of(payload, table)
    if form is None:
        raise JdeQueryError(
            f"JD Edwards AIS answer for {table} has no fs_DATABROWSE_{table} section", table=table
        )
    errors = form.get("errors")
    if errors:
        messages = collect_messages(errors)
        raise JdeQueryError(
            f"JD Edwards AIS refused the read of {table}: {describe(messages)}",
            table=table,
            messages=messages,
        )
    data = form.get("data") if isinstance(form.get("data"), Mapping) else {}
    grid = data.get("gridData") if isinstance(data.get("gridData"), Mapping) else {}
    rows = grid.get("rowset") or []
    if not isinstance(rows, list):
        raise JdeQueryError(f"JD Edwards AIS answer for {table} has a rowset that is not a list", table=table)
    next_href = _next_link(payload.get("links") or form.get("links") or [])
    return Page(rows=_mapping_rows(rows), more=_more(grid.get("summary"), next_href), next_href=next_href)


def read_page(response: requests.Response, table: str) -> Page:
    """``parse_page(page_json(response), table)``, with the rows left encoded when the page has AIS's
    usual shape (``decode.browse_head``): the next link is known at a sixth of the cost of decoding
    the page, so the next request goes out sooner, and the rows are decoded by ``Page.decoded_rows``
    while it is on its way. A page with errors, or of any other shape, is decoded and judged whole."""
    head = browse_head(response.content, table)
    form = head.form if head is not None else None
    if form is None or head.sysErrors or form.errors:
        return parse_page(page_json(response), table)
    grid = form.data.gridData if form.data is not None else None
    encoded = grid.rowset if grid is not None else None
    if encoded is not None and not encoded_array(encoded):  # null, or not a list: judged whole
        return parse_page(page_json(response), table)
    next_href = _next_link(head.links or form.links or [])
    summary = grid.summary if grid is not None else None
    return Page(rows=[], more=_more(summary, next_href), next_href=next_href, encoded_rows=encoded)


def _next_link(links: Any) -> str | None:
    for link in links if isinstance(links, list) else []:
        if isinstance(link, Mapping) and str(link.get("rel", "")).lower() == "next" and link.get("href"):
            return str(link["href"])
    return None


def _more(summary: Any, next_href: str | None) -> bool:
    """moreRecords decides; a server that omits it is trusted to send a link only when more exist."""
    more_flag = summary.get("moreRecords") if isinstance(summary, Mapping) else None
    return bool(more_flag) if more_flag is not None else next_href is not None


def _mapping_rows(rows: list[Any]) -> list[dict[str, Any]]:
    # type() first: an ABC isinstance per row costs more than the rest of the parse.
    return [r for r in rows if type(r) is dict or isinstance(r, Mapping)]


def find_count(node: Any) -> int | None:
    """The COUNT answer's number, wherever the server put it (the JSON shape is unconfirmed: the Java
    API only says there is a count), searched breadth-first for a ``count``-like key."""
    queue = [node]
    while queue:
        current = queue.pop(0)
        if isinstance(current, Mapping):
            for key, value in current.items():
                if str(key).lower() in ("count", "totalcount", "recordcount", "rowcount"):
                    if isinstance(value, int) and not isinstance(value, bool):
                        return value
                    if isinstance(value, Decimal) and value == value.to_integral_value():
                        return int(value)
                    if isinstance(value, str) and value.strip().isdigit():
                        return int(value)
            queue.extend(v for v in current.values() if isinstance(v, Mapping | list))
        elif isinstance(current, list):
            queue.extend(current)
    return None
