"""Reading a data-service query page by page: the result-set state machine of a session's reads.

Its own module because this is where reads are made exact and fast, and both are subtle: a prefetch
thread, a forward-only cursor that must never be asked twice, and restarts after the last row read.
The session (``session.JdeSession``) owns one ``ResultSetReader`` and turns its raw pages into rows.

Reading (``JdeSession.browse``) is a generator over v2 next-page links (reference §2.5). The next page
is fetched in a background thread while the caller works through the current one (the server's time
and ours overlap instead of adding up), so at most two pages of ``page_size`` rows
(``ML_JDE_PAGE_SIZE``) are in memory, whatever the table size. What makes it exact:

* Every browse is ordered by the caller's order plus the table's primary key, so the order is total.
* A next-page call is **not idempotent**: an AIS result set is a forward-only cursor, so sending the
  same link twice returns the *following* page. A next-link call is therefore never replayed after
  a lost answer (``idempotent=False``); only refusals that prove nothing happened (429/503) are.
* Next links carry the token in their href. After a 444 the client logs in again and replays the link
  once with the new token in the headers/body; if the server still refuses it, or the result set has
  expired (HTTP 500 with ``JAS_MSG347`` in ``sysErrors``, §4.6 — not a failure worth retrying, the
  cursor is gone), or the link call fails in any other way, the read **restarts the query right
  after the last row it yielded** (``query.continuation``: key conditions in the server's own order)
  rather than from the beginning, so nothing is lost or yielded twice and a long read does not start
  over. Restarts are bounded by ``max_restarts`` consecutive attempts without progress.
* A server that says ``moreRecords`` without a next link (v1 style, or a fetch limit) is paged the
  same way, by key.

What it leaves on the server: a paged query asks for next links with ``nextPageTimeInterval``
(``ML_JDE_NEXT_PAGE_INTERVAL_MS``; omitted, AIS keeps fetching in the background every 5 s until the
set is read or times out), and a result set the read stops reading before its end (the caller stops
early, an error, the generator closed, the session closed) is closed at once (``close_result_set``:
the application stack ``close`` of the stack its next link names) instead of holding a cursor on the
HTML server until ``resultSetTimeout``. A set read to its end is closed by the server itself.

Every call takes the session's lock (``calls``): one call at a time on a token unless
``ML_JDE_OVERLAP_CALLS`` (``session`` module docstring, "One token, one call").
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from itertools import repeat
from operator import contains
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

from connector_resources.http import ApiError, HttpClient
from connector_resources.http.errors import response_json
from connector_resources.http.write_hold import holding
from connector_resources.jde.dates import DatePattern
from connector_resources.jde.decode import ColumnPage, page_json
from connector_resources.jde.errors import (
    JdeQueryError,
    collect_messages,
    describe,
    error_for_status,
)
from connector_resources.jde.pages import (
    RESULT_SET_EXPIRED,
    Page,
    ReadInterrupted,
    has_expired_marker,
    parse_page,
    read_page,
)
from connector_resources.jde.query import (
    BrowseSpec,
    Condition,
    ResumePoint,
    continuation,
    order_values,
    row_key,
)
from connector_resources.redaction import get_logger

if TYPE_CHECKING:
    import requests

log = get_logger("ml_connector.jde")

DATASERVICE_PATH = "v2/dataservice"
# Oracle's AIS REST reference, "Execute Forms Keeping State v2" (POST /v2/appstack): ``action`` open,
# execute or close ("close the stack and any open forms on it"); a data-service next link names the
# stack holding its result set (``stackId``, ``stateId``, ``rid``).
APPSTACK_PATH = "v2/appstack"


class OpenResultSet:
    """Where one paged query stands on the server: the next link of the last page fetched (None once
    the server has said no more rows, closed it, or it expired). Updated by whichever thread fetched
    the page; read once the read stops and the page in flight, if any, has ended."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.link: str | None = None


class SessionDates(Protocol):
    """What a reader asks of its session, when it needs it: the logged-in user's date pattern (resuming
    by key) and the one query conditions are written in."""

    @property
    def date_pattern(self) -> DatePattern: ...

    @property
    def query_date_pattern(self) -> DatePattern: ...


class PageAhead:
    """A next page being fetched in the reader's prefetch thread (``ResultSetReader._query_pages``).

    ``take()`` is called once the caller is done with the page before this one. If that happens before
    this page arrives, the prefetch thread, on reading this page's next link, at once sends the request
    for the page after it (``then``): the caller holds no page then, so this one and the one in flight
    are all that is held. Otherwise ``take()`` returns no ``then`` and the caller asks for it, as soon as
    it has this page. Either way a page's failure is raised by its own ``take()``, after the page before
    it was handed out whole.
    """

    def __init__(self, reader: ResultSetReader, href: str, result_set: OpenResultSet) -> None:
        self._reader = reader
        self._result_set = result_set
        self._lock = threading.Lock()
        self._waited_for = False
        self._then: PageAhead | None = None
        self._future: Future[Page] = reader.prefetcher().submit(self._fetch, href)

    def _fetch(self, href: str) -> Page:
        page = self._reader.next_page(href, self._result_set)
        with self._lock:
            if self._waited_for and page.more and page.next_href:
                try:
                    self._then = PageAhead(self._reader, page.next_href, self._result_set)
                except RuntimeError:  # the prefetch thread is shutting down: the caller asks, and is told
                    self._then = None
        return page

    def take(self) -> tuple[Page, PageAhead | None]:
        """This page (or its failure), and the fetch of the next one if it is already under way."""
        with self._lock:
            self._waited_for = True
        page = self._future.result()
        return page, self._then

    def abandon(self) -> None:
        """Cancel the fetch, or let it end (and the one it started, if any) without using it."""
        if not self._future.cancel():
            wait([self._future])
            if self._then is not None:
                self._then.abandon()


def _query_error(exc: ApiError, what: str, table: str) -> JdeQueryError:
    """``JD Edwards AIS <what>``, with the messages AIS put in the refusal's body."""
    messages = collect_messages(response_json(exc.response))
    return JdeQueryError(
        f"JD Edwards AIS {what}: {describe(messages) or exc}",
        table=table,
        messages=messages,
        status=exc.status,
    )


class ResultSetReader:
    """The data-service reads of one session: queries, next links, restarts and the prefetch thread.

    ``pages`` counts data-service pages read; ``restarts`` queries restarted after a lost result set or
    link; ``closed_sets`` result sets closed before their end. ``close()`` lets a read ahead in flight
    end and closes the result sets of reads left unfinished (the session then logs out).
    ``next_page_interval_ms`` is sent as ``nextPageTimeInterval`` (None: not sent).
    """

    def __init__(
        self,
        http: HttpClient,
        calls: AbstractContextManager[Any],
        dates: SessionDates,
        *,
        max_restarts: int = 5,
        next_page_interval_ms: int | None = None,
    ) -> None:
        self._http = http
        self._calls = calls
        self._dates = dates
        self.max_restarts = max_restarts
        self.next_page_interval_ms = next_page_interval_ms
        self.pages = 0
        self.restarts = 0
        self.closed_sets = 0
        self._pool: ThreadPoolExecutor | None = None  # next-page prefetch, started by the first read
        self._unfinished: dict[int, OpenResultSet] = {}  # reads under way, by id(): closed by close()

    def close(self) -> None:
        """Stop the prefetch thread, after the call it has in flight, then close the result sets of
        reads still suspended (a generator never read to its end nor closed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for result_set in list(self._unfinished.values()):
            self._finish(result_set)

    def pages_of(
        self, spec: BrowseSpec, *, by_column: bool = False
    ) -> Iterator[list[Mapping[str, Any]] | ColumnPage]:
        """The raw rows of a browse, a page at a time (never an empty page), each row exactly once in
        the server's order, resuming after interruptions as the module docstring says. ``by_column``:
        a page whose rows hold exactly the columns asked for comes as a ``ColumnPage`` (it holds the
        order columns, which are always asked for), any other as a list of rows. Not when two columns
        share an alias: which of them keeps the bare alias follows the order of the keys in AIS's rows."""
        keys = tuple(map(row_key, spec.columns)) if by_column and spec.columns is not None else None
        if keys is not None and len({key.split("_", 1)[-1] for key in keys}) < len(keys):
            keys = None
        point: ResumePoint | None = None
        yielded = 0
        skip = 0  # rows to pass over when re-reading (the fallback when key continuation is impossible)
        queue: list[list[Condition]] = [[]]
        failures = 0
        while queue:
            progressed = False
            # Closed at once however this read ends, so a result set it leaves is closed now.
            query_pages = self._query_pages(spec, queue[0], keys)
            try:
                for rows in query_pages:
                    if not isinstance(rows, ColumnPage) and not all(
                        all(map(contains, rows, repeat(key))) for key in spec.order_keys
                    ):
                        raise JdeQueryError(
                            f"JD Edwards AIS left an order column out of a {spec.table} row; "
                            f"asked for {', '.join(o.column for o in spec.order)}",
                            table=spec.table,
                        )
                    if skip:
                        passed, rows = rows[:skip], rows[skip:]
                        skip -= len(passed)
                        if skip == 0 and point is not None and order_values(spec, passed[-1]) != point.values:
                            raise JdeQueryError(
                                f"{spec.table} changed while the read was being resumed (the row at the "
                                "resume position is not the last one read); run the read again",
                                table=spec.table,
                            )
                        if not rows:
                            continue
                    point = ResumePoint(order_values(spec, rows[-1]) or ())
                    yielded += len(rows)
                    progressed = True
                    failures = 0
                    yield rows
                if skip:
                    raise JdeQueryError(
                        f"{spec.table} lost rows while the read was being resumed; run the read again",
                        table=spec.table,
                    )
                queue.pop(0)
            except ReadInterrupted as stop:
                if stop.restart:
                    failures += 1
                    self.restarts += 1
                    if failures > self.max_restarts:
                        raise JdeQueryError(
                            f"reading {spec.table} failed {failures} times in a row without progress "
                            f"(last: {stop.reason}); giving up after {yielded} rows",
                            table=spec.table,
                        ) from None
                    log.warning(
                        "%s: %s after %d rows; restarting the query after the last row read",
                        spec.table,
                        stop.reason,
                        yielded,
                    )
                elif not progressed:
                    raise JdeQueryError(
                        f"JD Edwards AIS says more {spec.table} rows exist but gives no next link and "
                        "no rows to continue from",
                        table=spec.table,
                    ) from None
                plan = continuation(spec, point, self._dates.date_pattern)
                if plan is None:
                    queue, skip = [[]], yielded
                else:
                    queue, skip = plan, 0
            finally:
                query_pages.close()

    def _query_pages(
        self, spec: BrowseSpec, extra: Sequence[Condition], keys: tuple[str, ...] | None = None
    ) -> Generator[list[Mapping[str, Any]] | ColumnPage, None, None]:
        """Raw pages (never empty) of one (sub-)query, following next links; ``ReadInterrupted`` when it
        cannot go on.

        The next page is requested (in the session's one prefetch thread) as soon as a page arrives,
        so the server prepares it while the caller works through this one: at most two pages are in
        memory. Its outcome is taken only after the caller is done with this page, so a failure
        surfaces exactly where it did when pages were fetched in turn, with the same exception.

        The request goes out as soon as both are true: the caller is done with the page before (so
        only the page in hand and the one in flight are held) and the page in hand's next link is
        known. The link is read before the rows are decoded (``read_page``), and when the caller is
        already waiting for a page, the prefetch thread sends the request after it itself
        (``PageAhead``), without waiting for this thread to take its turn; the rows are decoded here
        while the request is on its way.
        """
        body = spec.body(
            extra, self._dates.query_date_pattern, next_page_interval_ms=self.next_page_interval_ms
        )
        response = self._dataservice_response(body, spec.table, "read")
        page = read_page(response, spec.table)
        del response
        result_set = OpenResultSet(spec.table)
        result_set.link = page.next_href if page.more else None
        self._unfinished[id(result_set)] = result_set
        ahead: PageAhead | None = None
        try:
            while True:
                self.pages += 1
                if page.more and page.next_href and ahead is None:
                    ahead = PageAhead(self, page.next_href, result_set)
                rows = page.decoded(keys)
                if rows:
                    yield rows
                del rows
                if not page.more:
                    return
                if ahead is None:
                    raise ReadInterrupted("more rows but no next link", restart=False)
                page, ahead = ahead.take()
        finally:
            if ahead is not None:
                # The caller stopped early (or failed): let the call in flight end before the session
                # can log out or read again; its page, or its failure, is of no use any more.
                ahead.abandon()
            # Whatever the server still holds for this query (none once the last page came).
            self._finish(result_set)

    def _finish(self, result_set: OpenResultSet) -> None:
        """Close ``result_set`` on the server if a next link still leads to it, once."""
        self._unfinished.pop(id(result_set), None)
        link, result_set.link = result_set.link, None
        if link is not None:
            self.close_result_set(link, result_set.table)

    def close_result_set(self, href: str, table: str) -> bool:
        """Close the result set behind next link ``href`` (``APPSTACK_PATH`` ``close`` of the stack it
        names); True when AIS took it. Never raises: a set that cannot be closed times out on the
        server anyway (``resultSetTimeout``), so a failure is logged, not the read's. Not in a preview
        (``write_hold``): it holds every POST but the data service's, and changes nothing here."""
        if holding():
            return False
        query = parse_qs(urlsplit(href).query)
        ids = {name: (query.get(name) or [""])[0] for name in ("stackId", "stateId", "rid")}
        if not all(ids.values()):
            log.debug("%s: next link names no stack (stackId, stateId, rid); nothing to close", table)
            return False
        body: dict[str, Any] = {"action": "close", "rid": ids["rid"]}
        for name in ("stackId", "stateId"):
            body[name] = int(ids[name]) if ids[name].isdigit() else ids[name]
        try:
            with self._calls:
                self._http.post(APPSTACK_PATH, json=body, idempotent=False)
        except Exception as exc:  # noqa: BLE001 - best effort: the server times the set out anyway
            log.info("%s: could not close an unfinished result set (%s); it will time out", table, exc)
            return False
        self.closed_sets += 1
        return True

    def prefetcher(self) -> ThreadPoolExecutor:
        """One background thread per session: a single read ahead at a time, whatever the reads."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jde-prefetch")
        return self._pool

    def next_page(self, href: str, result_set: OpenResultSet) -> Page:
        """The page behind a next link (called in the prefetch thread); ``result_set`` then stands at
        its next link (None when it came to its end, or when the link's call was answered with a
        failure other than a refusal of the link itself: an expired set or a dead session is gone)."""
        page = self._next_page(href, result_set)
        result_set.link = page.next_href if page.more else None
        return page

    def _next_page(self, href: str, result_set: OpenResultSet) -> Page:
        table = result_set.table
        url = self._local_link(href)
        try:
            # Not idempotent: a result set is a forward-only cursor (see module docstring).
            with self._calls:
                response = self._http.post(url, idempotent=False)
        except ApiError as exc:
            mapped = error_for_status(exc, f"read the next page of {table}") if exc.status == 405 else None
            if mapped is not None:
                raise mapped from None
            if exc.status is not None and 400 <= exc.status < 500 and exc.status not in (401, 403, 408, 444):
                raise _query_error(exc, f"refused the next-page link of {table}", table) from None
            if exc.status is not None:
                result_set.link = None  # expired, or the session behind it is gone: nothing to close
            if exc.response is not None and has_expired_marker(exc.response.text):
                raise ReadInterrupted(f"the {table} result set expired ({RESULT_SET_EXPIRED})") from None
            raise ReadInterrupted(f"the next-page call failed ({exc.status or type(exc).__name__})") from None
        try:
            return read_page(response, table)
        except ReadInterrupted:
            result_set.link = None  # answered "expired" in a 200's sysErrors: gone
            raise

    def _local_link(self, href: str) -> str:
        """A next link pointed at the server we talk to.

        AIS builds the href from its own idea of its host name, which behind a load balancer or TLS
        proxy differs from our base URL; the token must never go anywhere else, and what identifies
        the result set is the path after ``/jderest/`` and the query string.
        """
        base = urlsplit(self._http.base_url)
        link = urlsplit(href)
        path = link.path
        marker = path.find("/jderest/")
        if marker >= 0 and base.path.rstrip("/").endswith("/jderest"):
            path = base.path.rstrip("/") + path[marker + len("/jderest") :]
        elif not path.startswith("/"):
            path = base.path.rstrip("/") + "/" + path
        local = urlunsplit((base.scheme, base.netloc, path, link.query, ""))
        if (link.scheme, link.netloc) not in (("", ""), (base.scheme, base.netloc)):
            log.debug("next link pointed at another host; following it on the configured AIS URL")
        return local

    def dataservice(self, body: dict[str, Any], table: str, verb: str) -> Any:
        """A data-service request's answer as JSON (a one-page read, a count)."""
        return page_json(self._dataservice_response(body, table, verb))

    def _dataservice_response(self, body: dict[str, Any], table: str, verb: str) -> requests.Response:
        try:
            # A data-service query only reads, so it may be replayed after a lost answer.
            with self._calls:
                response = self._http.post(DATASERVICE_PATH, json=body, idempotent=True)
        except ApiError as exc:
            mapped = error_for_status(exc, f"{verb} {table}")
            if mapped is not None:
                raise mapped from None
            raise _query_error(exc, f"could not {verb} {table}", table) from None
        return response

    def sample_page(self, spec: BrowseSpec) -> Page:
        """The first page of ``spec`` without opening a result set (no next link to follow)."""
        payload = self.dataservice(
            spec.body((), self._dates.query_date_pattern, paged=False), spec.table, "read"
        )
        page = parse_page(payload, spec.table)
        self.pages += 1
        return page
