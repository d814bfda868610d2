"""``JdeAisResource``: the JD Edwards AIS server as a Dagster resource, and the session a batch uses.

One batch = one ``session()``: it logs in (reading the user's date format), reuses the token for
every call, logs in again when AIS answers 444 (``JdeAisAuth`` + ``HttpClient`` replay the call once),
and logs out at the end. With ``keep_sessions`` (the default) the token is instead kept, encrypted in
the vault with a vault key, else in the process's memory, and adopted by every later batch (and, in the
vault, step and run) until AIS answers 444, and not logged out at the batch's end (``auth``): one login
per AIS session lifetime instead of one per table per step. Reads stream;
writes go through orchestrations.

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

One token, one call: with prefetching, a read's next page can be in flight while the caller makes
another call on the same session (a ``count``, an orchestration, another read). The AIS reference says
nothing on whether one token may carry two requests at once (it documents the token, its device
binding and its time-outs, not concurrency), so by default (``ML_JDE_OVERLAP_CALLS`` false) a session
makes one call at a time: every call takes the session's lock, and a call made while a next page is
being fetched waits for it (the prefetch still overlaps the caller's own work, which is what it is
for). Set it true where the server is known to take concurrent calls on one token.

``JdeSession.browse_columns`` is the same read a page at a time, by column (``{alias: [values]}``), for
callers that build Arrow or pandas columns (the whole-day staging of ``connector_assets.jde.columnar``).

Rows come out keyed by alias without the table prefix (``"AN8"``, ``"UPMJ"``), normalised in one
place (``normalise_value``): character values trimmed (AIS sends a blank as ``" "``; business units
arrive right-justified), so a blank is ``""``; date columns are ``date`` (None when blank), time
columns (UPMT, TDAY) are ``time``, numbers are ``int`` or ``Decimal`` (JSON is decoded with exact
decimals: ``decode.page_json``). ``row_updated_at`` joins UPMJ with UPMT/TDAY into a ``datetime``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, repeat
from operator import contains, itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field

from connector_resources.base import ApiConnectionResource
from connector_resources.closing import ClosingOnce, released_on_error
from connector_resources.http import ApiError, CallMetrics, HttpClient, HttpPolicy
from connector_resources.jde.auth import JdeAisAuth, LoginInfo, session_store
from connector_resources.jde.dates import (
    DatePattern,
    jde_datetime,
    parse_jde_date,
    parse_jde_time,
)
from connector_resources.jde.decode import (
    ColumnPage,
    browse_head,
    encoded_array,
    page_json,
    rowset,
    rowset_columns,
)
from connector_resources.jde.errors import (
    JdeError,
    JdeInputError,
    JdeMessage,
    JdeOrchestrationError,
    JdeQueryError,
    collect_messages,
    describe,
    error_for_status,
    response_json,
)
from connector_resources.jde.optional_tables import OPTIONAL_TABLES
from connector_resources.jde.optional_tables import enabled as optional_enabled
from connector_resources.jde.optional_tables import probe as optional_probe
from connector_resources.jde.query import (
    TIME_ALIASES,
    BrowseSpec,
    Condition,
    MatchType,
    ResumePoint,
    check_name,
    continuation,
    count_body,
    is_date_alias,
    jde_text,
    order_values,
    row_key,
)
from connector_resources.redaction import get_logger, redact

if TYPE_CHECKING:
    import requests

log = get_logger("ml_connector.jde")

DATASERVICE_PATH = "v2/dataservice"
ORCHESTRATOR_PATH = "v3/orchestrator"
SERVER_INFO_PATH = "defaultconfig"
RESULT_SET_EXPIRED = "JAS_MSG347"
DISCOVER_PATH = "discover"
PROCESSING_OPTIONS_PATH = "v2/poservice"
VOUCHER_PROCESSOR = "R04110ZA"
_ORCHESTRATION_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# Where JDE reports step outcomes beside the designer's outputs (reference §2.6).
_STEP_KEYS = ("Errors/Warnings", "continuedOnError", "sysErrors")


# -- rows --------------------------------------------------------------------------------------------


def normalise_value(
    alias: str, value: Any, date_pattern: DatePattern, extra_dates: frozenset[str] = frozenset()
) -> Any:
    """The one place a raw AIS value becomes a Python value (see module docstring).

    Strings are trimmed (so AIS's single-space blank becomes ``""``), date columns become ``date``
    (None when blank), time columns ``time``; anything else is returned as parsed from JSON.
    Raises ``ValueError`` for a date or time that cannot be read.
    """
    if value is None or isinstance(value, bool | list | dict):
        return value
    text = value.strip() if isinstance(value, str) else value
    if is_date_alias(alias, extra_dates):
        return parse_jde_date(text, date_pattern)
    if alias in TIME_ALIASES:
        return parse_jde_time(text)
    return text


class RowConverter:
    """Turns GRID_DATA rows (``{"F0101_AN8": 1, ...}``) into alias-keyed rows (``{"AN8": 1, ...}``).

    What each key means (its alias, whether it is a date or a time) is worked out once per key and
    cached, since a read of a hundred thousand rows meets the same dozen keys every time. So are the
    date and time values themselves: a day's read repeats the same few dates (UPMJ is one value) and
    at most 86,400 times, and parsing a date pattern is the costliest step of a row, so each distinct
    raw value is parsed once per read (the cache is bounded). A view can join two tables that share
    an alias (``F0101_AN8`` and ``F0411_AN8``): the first keeps the bare alias, later ones keep their
    qualified key, so no value is silently overwritten.

    A date or time that cannot be read is passed on as its trimmed text and logged with the record
    and field named, not raised: one malformed value must not abort a read of a hundred thousand
    rows. The staging step then refuses that row (naming record and field again) and queues it,
    and the rest of the batch proceeds.
    """

    _PLAIN, _CONVERTED = 0, 1
    _CACHE_LIMIT = 100_000  # distinct values kept per date/time column and read; cleared when full

    def __init__(
        self,
        date_pattern: DatePattern,
        extra_dates: frozenset[str] = frozenset(),
        *,
        table: str = "",
        key_fields: Sequence[str] = (),
    ) -> None:
        self.date_pattern = date_pattern
        self.extra_dates = extra_dates
        self.table = table
        self.key_fields = tuple(key_fields)  # row keys (F4301_DOCO) naming the record in warnings
        self._plan: dict[str, tuple[str, int]] = {}
        # Per alias: raw value -> converted value; only successes are kept.
        self._values: dict[str, dict[Any, Any]] = {}

    def _entry(self, key: str) -> tuple[str, int]:
        """``key``'s alias and kind, worked out the first time the key is seen (``_plan`` keeps it)."""
        alias = key.split("_", 1)[1] if "_" in key else key
        special = is_date_alias(alias, self.extra_dates) or alias in TIME_ALIASES
        entry = self._plan[key] = (alias, self._CONVERTED if special else self._PLAIN)
        return entry

    def __call__(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        plan = self._plan
        for key, value in raw.items():
            alias, kind = plan.get(key) or self._entry(key)
            if alias in out:
                alias = key
            if kind == self._PLAIN:
                out[alias] = value.strip() if type(value) is str else value
            else:
                out[alias] = self._special(alias, value, raw)
        return out

    def columns(
        self, rows: Sequence[Mapping[str, Any]] | ColumnPage, *, strip: bool = True
    ) -> dict[str, list[Any]]:
        """A page as ``{alias: [value per row]}``: the values ``__call__`` gives, a column at a time
        (one list comprehension per column instead of a dict per row); a row lacking a key has None.
        ``strip=False`` leaves the strings of plain columns as AIS sent them, for a caller that trims a
        whole column at once (``strip_strings`` below); date and time columns are converted either way.

        AIS sends every row of a page with the same keys, so the first row's keys are taken as the
        page's when every row has as many keys and each of them (checked by the C-level extraction);
        otherwise every key of every row, in first-seen order. A ``ColumnPage`` (decoded by column,
        every row holding every key) is converted as it stands, its keys in their order."""
        if not rows:
            return {}
        if isinstance(rows, ColumnPage):
            return self._convert(rows, rows.columns.items(), strip=strip)
        keys = list(rows[0])
        if set(map(len, rows)) == {len(keys)}:
            try:
                return self._columns(rows, keys, uniform=True, strip=strip)
            except _RaggedPage:
                pass
        keys = list(dict.fromkeys(chain.from_iterable(rows)))
        return self._columns(rows, keys, uniform=False, strip=strip)

    def _columns(
        self, rows: Sequence[Mapping[str, Any]], keys: list[str], *, uniform: bool, strip: bool
    ) -> dict[str, list[Any]]:
        return self._convert(rows, ((key, self._values_of(rows, key, uniform)) for key in keys), strip=strip)

    @staticmethod
    def _values_of(rows: Sequence[Mapping[str, Any]], key: str, uniform: bool) -> list[Any]:
        try:  # a C-level loop where every row has the key
            return list(map(itemgetter(key), rows))
        except KeyError:
            if uniform:  # as many keys but not the same ones: not the page's keys after all
                raise _RaggedPage from None
            return [row.get(key) for row in rows]

    def _convert(
        self,
        rows: Sequence[Mapping[str, Any]] | ColumnPage,
        columns: Iterable[tuple[str, list[Any]]],
        *,
        strip: bool,
    ) -> dict[str, list[Any]]:
        """Each ``(row key, values)`` column under its alias, its values converted as ``__call__``
        converts them (``rows`` only names the record of a value that cannot be read)."""
        out: dict[str, list[Any]] = {}
        plan = self._plan
        for key, values in columns:
            alias, kind = plan.get(key) or self._entry(key)
            if alias in out:
                alias = key
            if kind == self._PLAIN:
                if strip and type(values[0]) is str:
                    try:  # a character column: all strings, stripped in one C loop
                        values = list(map(str.strip, values))
                    except TypeError:
                        values = [v.strip() if type(v) is str else v for v in values]
                elif strip and str in set(map(type, values)):
                    values = [v.strip() if type(v) is str else v for v in values]
                out[alias] = values
            else:
                seen = self._values.setdefault(alias, {})
                try:  # each distinct value parsed once (a day's TDAY: a few new times a page), then looked up
                    if not set(map(type, values)) <= _CACHED_TYPES:  # 1 == True == Decimal(1) as keys
                        raise KeyError
                    self._prime(alias, seen, set(values).difference(seen))
                    seen[None] = None  # a blank stays None: one C-level lookup per value
                    try:
                        out[alias] = list(map(seen.__getitem__, values))
                    finally:
                        del seen[None]  # the cache holds parsed values only
                except KeyError:  # a value that is not readable: row by row, logged with its record
                    out[alias] = [self._special(alias, v, row) for v, row in zip(values, rows, strict=True)]
        return out

    def _prime(self, alias: str, seen: dict[Any, Any], fresh: set[Any]) -> None:
        """Parse and cache ``fresh`` values of a date or time column; one that cannot be read is left out
        (the caller then converts the page row by row, which logs it with its record and field)."""
        fresh.discard(None)
        if len(seen) + len(fresh) > self._CACHE_LIMIT:
            seen.clear()
        for value in fresh:
            try:
                seen[value] = normalise_value(alias, value, self.date_pattern, self.extra_dates)
            except ValueError:
                continue

    def _special(self, alias: str, value: Any, raw: Mapping[str, Any]) -> Any:
        """A date or time value, from the cache when this raw value was seen before."""
        cacheable = type(value) in (str, int)  # hashable, immutable, no 1 == True; a Decimal is rare here
        seen = self._values.setdefault(alias, {})
        if cacheable:
            hit = seen.get(value, _MISSING)
            if hit is not _MISSING:
                return hit
        try:
            converted = normalise_value(alias, value, self.date_pattern, self.extra_dates)
        except ValueError as exc:
            record = "/".join(str(raw.get(k, "")).strip() for k in self.key_fields)
            log.warning(
                "%s %s: field %s has %r, which is not a readable date or time (%s); passed on as text",
                self.table,
                record,
                alias,
                value,
                exc,
            )
            return value.strip() if isinstance(value, str) else value
        if cacheable:
            if len(seen) >= self._CACHE_LIMIT:
                seen.clear()
            seen[value] = converted
        return converted


_MISSING = object()


class _RaggedPage(Exception):
    """A page whose rows have as many keys as its first row but not the same ones."""


_CACHED_TYPES = frozenset({str, int, type(None)})  # what ``RowConverter._special`` caches (and blanks)


def convert_row(
    raw: Mapping[str, Any], date_pattern: DatePattern, extra_dates: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """One GRID_DATA row keyed by alias and normalised (see ``RowConverter``)."""
    return RowConverter(date_pattern, extra_dates)(raw)


def row_updated_at(row: Mapping[str, Any]) -> datetime | None:
    """When a converted row last changed: UPMJ with UPMT (or TDAY on F4301/F4311), naive server time."""
    day = row.get("UPMJ")
    if not isinstance(day, date):
        return None
    clock = row.get("UPMT") if row.get("UPMT") is not None else row.get("TDAY")
    return jde_datetime(day, clock if isinstance(clock, time | int | str) else None)


# -- pages -------------------------------------------------------------------------------------------


@dataclass
class _Page:
    rows: list[dict[str, Any]]
    more: bool
    next_href: str | None
    encoded_rows: Any = None  # the rowset still encoded (``_read_page``); ``decoded_rows`` decodes it

    def decoded_rows(self) -> list[dict[str, Any]]:
        """The page's rows, decoded now if ``_read_page`` left them encoded."""
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


class _Interrupted(Exception):
    """A read stopped before its end; ``restart`` False means "page on by key" (no failure)."""

    def __init__(self, reason: str, *, restart: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.restart = restart


def _form_of(payload: Mapping[str, Any], table: str) -> Mapping[str, Any] | None:
    exact = payload.get(f"fs_DATABROWSE_{table}")
    if isinstance(exact, Mapping):
        return exact
    for key, value in payload.items():
        if key.startswith("fs_DATABROWSE_") and isinstance(value, Mapping):
            return value
    return None


def _has_expired_marker(payload: Any) -> bool:
    return RESULT_SET_EXPIRED in str(payload)


def _parse_page(payload: Any, table: str) -> _Page:
    if not isinstance(payload, Mapping):
        raise JdeQueryError(
            f"JD Edwards AIS answered a read of {table} with something other than JSON", table=table
        )
    sys_errors = payload.get("sysErrors")
    if sys_errors:
        if _has_expired_marker(sys_errors):
            raise _Interrupted(f"the {table} result set expired ({RESULT_SET_EXPIRED})")
        messages = collect_messages(sys_errors)
        raise JdeQueryError(
            f"JD Edwards AIS could not read {table}: {describe(messages)}", table=table, messages=messages
        )
    form = _form_of(payload, table)
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
    return _Page(rows=_mapping_rows(rows), more=_more(grid.get("summary"), next_href), next_href=next_href)


def _read_page(response: requests.Response, table: str) -> _Page:
    """``_parse_page(page_json(response), table)``, with the rows left encoded when the page has AIS's
    usual shape (``decode.browse_head``): the next link is known at a sixth of the cost of decoding
    the page, so the next request goes out sooner, and the rows are decoded by ``_Page.decoded_rows``
    while it is on its way. A page with errors, or of any other shape, is decoded and judged whole."""
    head = browse_head(response.content, table)
    form = head.form if head is not None else None
    if form is None or head.sysErrors or form.errors:
        return _parse_page(page_json(response), table)
    grid = form.data.gridData if form.data is not None else None
    encoded = grid.rowset if grid is not None else None
    if encoded is not None and not encoded_array(encoded):  # null, or not a list: judged whole
        return _parse_page(page_json(response), table)
    next_href = _next_link(head.links or form.links or [])
    summary = grid.summary if grid is not None else None
    return _Page(rows=[], more=_more(summary, next_href), next_href=next_href, encoded_rows=encoded)


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


def _find_count(node: Any) -> int | None:
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


# -- orchestrations ----------------------------------------------------------------------------------


def _input_value(value: Any, path: str, pattern: DatePattern) -> Any:
    """One orchestration input as AIS expects it: strings (reference §2.6: "all input values are
    strings in practice", written as query conditions are: ``jde_text``), grids as lists of objects."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        rows = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise JdeInputError(f"input {path}[{index}]: grid rows must be mappings of input names")
            rows.append(_inputs(item, f"{path}[{index}].", pattern))
        return rows
    return jde_text(value, f"input {path}", pattern)


def _inputs(values: Mapping[str, Any], prefix: str, pattern: DatePattern) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise JdeInputError(f"input {prefix}{key!r}: input names must be non-empty strings")
        if value is None:  # blank = "use the default" in the contracts; not sending it says the same
            continue
        out[key] = _input_value(value, f"{prefix}{key}", pattern)
    return out


def _timestamp(value: Any) -> datetime | None:
    """``2025-02-01T10:09:51.726+0000`` (ServiceErrorResponse's format) -> aware datetime."""
    if not isinstance(value, str) or not value.strip():
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value.strip(), fmt)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class OrchestrationResult:
    """A successful orchestration: the designer's ``outputs`` (``jde__*`` elements removed, numbers
    as int/Decimal), ``status`` (``SUCCESS``; empty on servers before Tools 9.2.5.4 that send no
    ``jde__status``), any warnings JDE attached, and the server's timing."""

    name: str
    outputs: dict[str, Any]
    status: str = ""
    warnings: tuple[JdeMessage, ...] = ()
    simple_message: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    server_seconds: Decimal | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.outputs[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.outputs.get(name, default)


class _Ahead:
    """A next page being fetched in the session's prefetch thread (``JdeSession._query_pages``).

    ``take()`` is called once the caller is done with the page before this one. If that happens before
    this page arrives, the prefetch thread, on reading this page's next link, at once sends the request
    for the page after it (``then``): the caller holds no page then, so this one and the one in flight
    are all that is held. Otherwise ``take()`` returns no ``then`` and the caller asks for it, as soon as
    it has this page. Either way a page's failure is raised by its own ``take()``, after the page before
    it was handed out whole.
    """

    def __init__(self, session: JdeSession, href: str, table: str) -> None:
        self._session = session
        self._table = table
        self._lock = threading.Lock()
        self._waited_for = False
        self._then: _Ahead | None = None
        self._future: Future[_Page] = session._prefetcher().submit(self._fetch, href)

    def _fetch(self, href: str) -> _Page:
        page = self._session._next_page(href, self._table)
        with self._lock:
            if self._waited_for and page.more and page.next_href:
                try:
                    self._then = _Ahead(self._session, page.next_href, self._table)
                except RuntimeError:  # the prefetch thread is shutting down: the caller asks, and is told
                    self._then = None
        return page

    def take(self) -> tuple[_Page, _Ahead | None]:
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


# -- the session -------------------------------------------------------------------------------------


def _query_error(exc: ApiError, what: str, table: str) -> JdeQueryError:
    """``JD Edwards AIS <what>``, with the messages AIS put in the refusal's body."""
    messages = collect_messages(response_json(exc.response))
    return JdeQueryError(
        f"JD Edwards AIS {what}: {describe(messages) or exc}",
        table=table,
        messages=messages,
        status=exc.status,
    )


class JdeSession(ClosingOnce):
    """A logged-in AIS session for one batch. Build it with ``JdeAisResource.session()``.

    ``metrics`` are the HTTP counters; ``pages`` data-service pages read; ``reauths`` logins after
    the first (444 answers); ``restarts`` queries restarted after a lost result set or link.
    """

    def __init__(
        self,
        http: HttpClient,
        auth: JdeAisAuth,
        *,
        page_size: int = 500,
        query_date_format: str = "",
        max_restarts: int = 5,
        overlap_calls: bool = False,
    ) -> None:
        self._http = http
        self._auth = auth
        self.page_size = page_size
        self._query_date_override = DatePattern(query_date_format) if query_date_format.strip() else None
        self.max_restarts = max_restarts
        self.pages = 0
        self.restarts = 0
        self._pool: ThreadPoolExecutor | None = None  # next-page prefetch, started by the first read
        # One AIS call at a time unless ``overlap_calls`` (module docstring: "One token, one call").
        self._calls: AbstractContextManager[Any] = nullcontext() if overlap_calls else threading.RLock()

    # -- state ------------------------------------------------------------------------------------

    @property
    def metrics(self) -> CallMetrics:
        return self._http.metrics

    @property
    def reauths(self) -> int:
        """Logins after the session's first token (its own login or one adopted from the store)."""
        return max(0, self._auth.fetch_count + self._auth.adopt_count - 1)

    @property
    def login_info(self) -> LoginInfo:
        if self._auth.login is None:
            self.login()
        assert self._auth.login is not None
        return self._auth.login

    @property
    def date_pattern(self) -> DatePattern:
        """The logged-in user's date pattern: how rows and orchestration inputs write dates."""
        return self.login_info.date_pattern

    @property
    def date_format(self) -> str:
        """The logged-in user's ``simpleDateFormat`` (e.g. ``MM/dd/yyyy``)."""
        return self.date_pattern.pattern

    @property
    def query_date_pattern(self) -> DatePattern:
        """How dates are written in query conditions: the user's format unless the resource's
        ``query_date_format`` overrides it (the reference leaves the condition format unconfirmed)."""
        return self._query_date_override or self.date_pattern

    def login(self) -> LoginInfo:
        """Log in now (``session()`` does) so the date format is known before the first query."""
        with self._calls:
            self._auth.ensure_fresh(self._http)
        assert self._auth.login is not None
        return self._auth.login

    def _release(self) -> None:
        """Log out (unless the token is kept for other batches) and release connections."""
        try:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            if self._auth.token is not None and not self._auth.kept:
                with self._calls:
                    self._auth.logout(self._http)
        finally:
            self._http.close()

    # -- reads ------------------------------------------------------------------------------------

    def browse(
        self,
        table: str,
        *,
        columns: Sequence[str] | None = None,
        conditions: Sequence[Condition] = (),
        match: Literal["MATCH_ALL", "MATCH_ANY"] = "MATCH_ALL",
        order_by: Sequence[tuple[str, Literal["ASC", "DESC"]]] = (),
        page_size: int | None = None,
        key_columns: Sequence[str] | None = None,
        date_columns: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Stream the rows of ``table`` matching ``conditions``, page by page.

        ``columns`` are aliases or qualified names (None = all); the order and key columns are always
        returned too, since resuming needs them. ``key_columns`` is needed only for a table not in
        ``query.TABLE_KEYS``; ``date_columns`` names date columns beyond ``query.DATE_ALIASES``.
        Arguments are checked now; rows are fetched as they are consumed.
        """
        spec = self._browse_spec(
            table,
            columns=columns,
            conditions=conditions,
            match=match,
            order_by=order_by,
            key_columns=key_columns,
            page_size=page_size,
            date_columns=date_columns,
        )
        return self._browse(spec)

    def _browse_spec(self, table: str, *, page_size: int | None = None, **query: Any) -> BrowseSpec:
        """The checked read of ``table`` (``BrowseSpec.build``), at the session's page size by default."""
        return BrowseSpec.build(table, page_size=page_size or self.page_size, **query)

    def browse_columns(
        self, table: str, *, strip_strings: bool = True, **query: Any
    ) -> Iterator[dict[str, list[Any]]]:
        """``browse``, a page at a time and by column: each page is ``{alias: [value per row]}``;
        ``query`` is ``browse``'s (``columns``, ``conditions``, ``match``, ``order_by``, ``page_size``,
        ``key_columns``, ``date_columns``).

        The same rows in the same order with the same values as ``browse`` (a row lacking a column has
        None there), converted a column at a time: what a caller that builds Arrow or pandas columns
        wants, without a dict per row. Resuming and prefetching are ``browse``'s.

        ``strip_strings=False``: strings of columns other than dates and times come as AIS sent them
        (a blank as ``" "``, business units right-justified); the caller strips them as ``str.strip``
        does, a column at a time (``connector_assets.jde.columnar`` does it in Arrow, at a third of the
        cost of a Python call per value).
        """
        spec = self._browse_spec(table, **query)
        convert = self._converter(spec)
        for page in self._browse_pages(spec, by_column=True):
            yield convert.columns(page, strip=strip_strings)

    def _converter(self, spec: BrowseSpec) -> RowConverter:
        return RowConverter(
            self.date_pattern, spec.date_aliases, table=spec.table, key_fields=spec.order_keys
        )

    def _browse(self, spec: BrowseSpec) -> Iterator[dict[str, Any]]:
        convert = self._converter(spec)
        for page in self._browse_pages(spec):
            for raw in page:
                yield convert(raw)

    def _browse_pages(
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
            try:
                for rows in self._query_pages(spec, queue[0], keys):
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
            except _Interrupted as stop:
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
                plan = continuation(spec, point, self.date_pattern)
                if plan is None:
                    queue, skip = [[]], yielded
                else:
                    queue, skip = plan, 0

    def _query_pages(
        self, spec: BrowseSpec, extra: Sequence[Condition], keys: tuple[str, ...] | None = None
    ) -> Iterator[list[Mapping[str, Any]] | ColumnPage]:
        """Raw pages (never empty) of one (sub-)query, following next links; ``_Interrupted`` when it
        cannot go on.

        The next page is requested (in the session's one prefetch thread) as soon as a page arrives,
        so the server prepares it while the caller works through this one: at most two pages are in
        memory. Its outcome is taken only after the caller is done with this page, so a failure
        surfaces exactly where it did when pages were fetched in turn, with the same exception.

        The request goes out as soon as both are true: the caller is done with the page before (so
        only the page in hand and the one in flight are held) and the page in hand's next link is
        known. The link is read before the rows are decoded (``_read_page``), and when the caller is
        already waiting for a page, the prefetch thread sends the request after it itself
        (``_Ahead``), without waiting for this thread to take its turn; the rows are decoded here
        while the request is on its way.
        """
        response = self._dataservice_response(spec.body(extra, self.query_date_pattern), spec.table, "read")
        page = _read_page(response, spec.table)
        del response
        ahead: _Ahead | None = None
        try:
            while True:
                self.pages += 1
                if page.more and page.next_href and ahead is None:
                    ahead = _Ahead(self, page.next_href, spec.table)
                rows = page.decoded(keys)
                if rows:
                    yield rows
                del rows
                if not page.more:
                    return
                if ahead is None:
                    raise _Interrupted("more rows but no next link", restart=False)
                page, ahead = ahead.take()
        finally:
            if ahead is not None:
                # The caller stopped early (or failed): let the call in flight end before the session
                # can log out or read again; its page, or its failure, is of no use any more.
                ahead.abandon()

    def _prefetcher(self) -> ThreadPoolExecutor:
        """One background thread per session: a single read ahead at a time, whatever the reads."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jde-prefetch")
        return self._pool

    def _next_page(self, href: str, table: str) -> _Page:
        """The page behind a next link (called in the prefetch thread)."""
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
            if exc.response is not None and _has_expired_marker(exc.response.text):
                raise _Interrupted(f"the {table} result set expired ({RESULT_SET_EXPIRED})") from None
            raise _Interrupted(f"the next-page call failed ({exc.status or type(exc).__name__})") from None
        return _read_page(response, table)

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

    def _dataservice(self, body: dict[str, Any], table: str, verb: str) -> Any:
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

    def count(
        self,
        table: str,
        conditions: Sequence[Condition] = (),
        match: MatchType = "MATCH_ALL",
    ) -> int:
        """How many rows match (a COUNT data request; browse answers carry no total)."""
        table = check_name("table", table)
        if match not in ("MATCH_ALL", "MATCH_ANY"):
            raise JdeInputError(f"count {table}: match must be MATCH_ALL or MATCH_ANY, got {match!r}")
        payload = self._dataservice(
            count_body(table, list(conditions), match, self.query_date_pattern), table, "count"
        )
        if isinstance(payload, Mapping):
            form = _form_of(payload, table)
            if form is not None and form.get("errors"):
                messages = collect_messages(form["errors"])
                raise JdeQueryError(
                    f"JD Edwards AIS refused to count {table}: {describe(messages)}",
                    table=table,
                    messages=messages,
                )
        found = _find_count(payload)
        if found is None:
            raise JdeQueryError(f"JD Edwards AIS COUNT answer for {table} holds no count", table=table)
        return found

    def sample(self, table: str, *, columns: Sequence[str] | None = None) -> dict[str, Any] | None:
        """One row of ``table`` (None if empty) without opening a result set: proves read access."""
        spec = BrowseSpec.build(table, columns=columns, page_size=1)
        payload = self._dataservice(spec.body((), self.query_date_pattern, paged=False), spec.table, "read")
        page = _parse_page(payload, spec.table)
        self.pages += 1
        return convert_row(page.rows[0], self.date_pattern) if page.rows else None

    def discover(self) -> set[str]:
        """The orchestrations this user may call (``GET /jderest/discover``, reference §2.6); the listing's
        exact shape is partly unconfirmed, so a name is read from each entry's ``name``."""
        try:
            with self._calls:
                response = self._http.get(DISCOVER_PATH)
        except ApiError as exc:
            mapped = error_for_status(exc, "list orchestrations (discover)")
            raise (mapped or JdeError(f"JD Edwards AIS discover failed: {exc}")) from None
        payload = response_json(response)
        entries = payload.get("orchestrations") if isinstance(payload, Mapping) else payload
        if not isinstance(entries, list):
            raise JdeError("JD Edwards AIS discover answered without a list of orchestrations")
        return {str(e["name"]) for e in entries if isinstance(e, Mapping) and e.get("name")}

    def processing_options(self, application: str, version: str) -> Mapping[str, Any]:
        """The processing option values of ``application`` / ``version`` (``POST /jderest/v2/poservice``,
        Oracle's AIS REST reference "Get Processing Options": ``applicationName`` required, ``version``).
        The answer's layout beyond "JSON object" is not documented; the caller searches it."""
        body = {"applicationName": check_name("application", application), "version": version}
        try:
            with self._calls:
                response = self._http.post(PROCESSING_OPTIONS_PATH, json=body, idempotent=True)
        except ApiError as exc:
            mapped = error_for_status(exc, f"read the processing options of {application} {version}")
            raise (mapped or JdeError(f"JD Edwards AIS poservice {application} {version}: {exc}")) from None
        payload = response_json(response)
        if not isinstance(payload, Mapping):
            raise JdeError(f"JD Edwards AIS poservice {application} {version} answered no JSON object")
        return payload

    # -- writes -----------------------------------------------------------------------------------

    def orchestrate(self, name: str, inputs: Mapping[str, Any]) -> OrchestrationResult:
        """Run orchestration ``name`` with Generic-format ``inputs``; raise ``JdeOrchestrationError``
        when JDE reports a failure (``jde__status`` ERROR, an error body, or errors on a 200).

        Inputs: str as is, int and Decimal as plain numbers, dates in the user's format, lists of
        mappings as grids, None omitted; floats and datetimes are refused (``JdeInputError``).
        The call is a write: never replayed after a lost answer (the core refuses); a call that got
        no answer raises ``JdeOrchestrationError`` with ``outcome_unknown=True``, for the ledger to
        resolve by natural key before any new attempt.
        """
        if not isinstance(name, str) or not _ORCHESTRATION_NAME.match(name):
            raise JdeInputError(f"orchestration name {name!r} must be letters, digits and underscores")
        if not isinstance(inputs, Mapping):
            raise JdeInputError(f"orchestration {name}: inputs must be a mapping of input names")
        body = _inputs(inputs, "", self.date_pattern)
        keys = tuple(body)
        try:
            with self._calls:
                response = self._http.post(f"{ORCHESTRATOR_PATH}/{name}", json=body, idempotent=False)
        except ApiError as exc:
            mapped = error_for_status(exc, f"run orchestration {name}")
            if mapped is not None:
                raise mapped from None
            payload = response_json(exc.response)
            if isinstance(payload, Mapping):
                raise self._orchestration_error(name, keys, payload, exc.status) from None
            if exc.response is None:
                # The request went out and no answer came back: it may have run. Never replayed here
                # (a write); the caller checks by the record's natural key before trying again.
                raise JdeOrchestrationError(
                    f"JD Edwards orchestration {name}: no answer ({exc}); it may or may not have run, so "
                    f"look the record up before sending it again. Inputs sent: {', '.join(keys)}",
                    orchestration=name,
                    input_keys=keys,
                    outcome_unknown=True,
                ) from None
            raise JdeOrchestrationError(
                f"JD Edwards orchestration {name} failed: {exc}. Inputs sent: {', '.join(keys)}",
                orchestration=name,
                input_keys=keys,
                status=exc.status,
            ) from None
        payload = response_json(response)
        if not isinstance(payload, Mapping):
            raise JdeOrchestrationError(
                f"JD Edwards orchestration {name} answered with something other than a JSON object",
                orchestration=name,
                input_keys=keys,
                status=response.status_code,
            )
        status = str(payload.get("jde__status") or "").upper()
        # Servers before Tools 9.2.5.4 send no jde__status: recognise a ServiceErrorResponse by its
        # "exception" field or nested "message" object (a designer output may be called "message").
        failed_without_status = not status and (
            "exception" in payload or isinstance(payload.get("message"), Mapping)
        )
        if status == "ERROR" or failed_without_status:
            raise self._orchestration_error(name, keys, payload, response.status_code)
        step_messages = collect_messages({k: payload[k] for k in _STEP_KEYS if k in payload})
        step_errors = [m for m in step_messages if m.severity == "error"]
        if step_errors:
            raise self._orchestration_error(name, keys, payload, response.status_code, partial=True)
        if status not in ("", "SUCCESS"):
            log.warning("orchestration %s answered jde__status %r; treating it as success", name, status)
        seconds = payload.get("jde__serverExecutionSeconds")
        return OrchestrationResult(
            name=name,
            outputs={k: v for k, v in payload.items() if not k.startswith("jde__") and k not in _STEP_KEYS},
            status=status,
            warnings=tuple(step_messages),
            simple_message=redact(str(payload.get("jde__simpleMessage") or "")),
            started_at=_timestamp(payload.get("jde__startTimestamp")),
            ended_at=_timestamp(payload.get("jde__endTimestamp")),
            server_seconds=Decimal(str(seconds)) if isinstance(seconds, int | Decimal) else None,
            raw=payload,
        )

    @staticmethod
    def _orchestration_error(
        name: str,
        keys: Sequence[str],
        payload: Mapping[str, Any],
        status: int | None,
        *,
        partial: bool = False,
    ) -> JdeOrchestrationError:
        wanted = {k: v for k, v in payload.items() if k == "message" or k in _STEP_KEYS}
        messages = collect_messages(wanted) or collect_messages(
            {k: v for k, v in payload.items() if not k.startswith("jde__")}
        )
        simple = str(payload.get("jde__simpleMessage") or "")
        said = describe(messages) or simple or "no message from JDE"
        what = "partly failed (a step continued on error)" if partial else "failed"
        http = f" (HTTP {status})" if status is not None else ""
        return JdeOrchestrationError(
            f"JD Edwards orchestration {name} {what}{http}: {said}. Inputs sent: {', '.join(keys) or 'none'}",
            orchestration=name,
            input_keys=keys,
            messages=messages,
            simple_message=simple,
            exception_id=str(payload.get("exceptionId") or ""),
            partial=partial,
            status=status,
        )

    def __repr__(self) -> str:
        return f"JdeSession(base_url={self._http.base_url!r}, auth={self._auth!r})"


# -- the resource ------------------------------------------------------------------------------------


class JdeAisResource(ApiConnectionResource):
    """JD Edwards EnterpriseOne through its AIS server (settings: ``connector_resources.settings``).

    ``with jde.session() as s:`` logs in, and ``s.browse(...)``, ``s.count(...)`` and
    ``s.orchestrate(...)`` share that token until the block ends and logs out.
    """

    system_key: ClassVar[str] = "jde_ais"

    base_url: str = Field(description="AIS base URL up to and including /jderest")
    username: str = Field(description="AIS user the connector logs in as")
    password: str = Field(description="password: EnvVar, vault:NAME or env:VAR reference")
    environment: str = Field(default="", description="JDE environment (server default when blank)")
    role: str = Field(default="", description="JDE role (server default when blank)")
    device_name: str = Field(default="ml-connector", description="device name the AIS token is bound to")
    page_size: int = Field(
        default=500, ge=1, description="rows per data-service page (ML_JDE_PAGE_SIZE); at most two in memory"
    )
    read_timeout: float = Field(default=120.0, gt=0, description="seconds to wait for one AIS answer")
    max_restarts: int = Field(
        default=5, ge=0, description="query restarts in a row without progress before a read gives up"
    )
    query_date_format: str = Field(
        default="",
        description="date format for query conditions when the server does not take the user's "
        "simpleDateFormat (e.g. yyyyMMdd, or CYYDDD for Julian); blank = the user's format",
    )
    overlap_calls: bool = Field(
        default=False,
        description="let a read's prefetched next page be in flight while the session makes another AIS "
        "call (ML_JDE_OVERLAP_CALLS); off: one call at a time per token, the documentation being silent",
    )
    voucher_processor_version: str = Field(
        default="ZJDE0001",
        description="the R04110ZA version the site schedules (ML_JDE_VOUCHER_PROCESSOR_VERSION); ping reads "
        "its processing options",
    )
    keep_sessions: bool = Field(
        default=True,
        description="keep the AIS token between batches, steps and runs (encrypted in the vault; needs "
        "ML_CONNECTOR_VAULT_KEY, else kept by the process and logged out at its exit)",
    )

    def _client(self, *, keep: bool | None = None) -> tuple[HttpClient, JdeAisAuth]:
        """The HTTP client and its AIS auth; ``keep`` (default ``keep_sessions``): share the token
        through the vault, else within the process (``auth`` module docstring)."""
        policy = HttpPolicy.from_settings(self)
        store = session_store(
            self.base_url,
            self.username,
            self.environment,
            self.role,
            self.device_name,
            keep=self.keep_sessions if keep is None else keep,
            policy=policy,
        )
        auth = JdeAisAuth(
            username=self.username,
            password=lambda: self.secret(self.password),
            device_name=self.device_name,
            environment=self.environment,
            role=self.role,
            store=store,
        )
        http = HttpClient.for_json("jde_ais", self.base_url, auth=auth, policy=policy)
        return http, auth

    def open_session(self) -> JdeSession:
        """A logged-in session the caller must ``close()`` (``session()`` does that for you); closing
        it logs out unless the token is kept (``keep_sessions``)."""
        if self.query_date_format.strip():
            DatePattern(self.query_date_format)  # a bad setting fails before any login
        http, auth = self._client()
        session = JdeSession(
            http,
            auth,
            page_size=self.page_size,
            query_date_format=self.query_date_format,
            max_restarts=self.max_restarts,
            overlap_calls=self.overlap_calls,
        )
        with released_on_error(http):
            session.login()
        return session

    def ping(
        self,
        reads: Mapping[str, Sequence[str]] | None = None,
        writes: Mapping[str, Sequence[str]] | None = None,
    ) -> str:
        """Prove reachability (``defaultconfig``), credentials (login), a one-row read of every table in
        ``reads`` and that every orchestration in ``writes`` is offered to this user (``discover``,
        reference §2.6: it lists what the user may call, without running anything); raise ``JdeError``
        naming each table or orchestration that failed and the flows that need it.

        ``reads`` / ``writes`` map a table / orchestration to the flows that use it; the CLI derives them
        from the enabled flows (``connector_assets.flows.access``), so there is no list here to forget.
        """
        reads, writes = reads or {}, writes or {}
        # A fresh login, not a kept token: ping proves the credentials work today.
        http, auth = self._client(keep=False)
        session = JdeSession(http, auth, page_size=1, query_date_format=self.query_date_format)
        try:
            reach = _reachability(http)
            info = session.login()
            problems: list[str] = []
            optional = _optional_tables(session, reads, problems)
            for table, flows in sorted(reads.items()):
                if table in OPTIONAL_TABLES:
                    continue  # probed above, with the setting that turns it off
                try:
                    session.sample(table)
                except JdeError as exc:
                    problems.append(f"{table} not readable ({exc}): needed by {', '.join(flows)}")
            if writes:
                try:
                    offered = session.discover()
                except JdeError as exc:
                    problems.append(f"orchestrations not listed by discover ({exc})")
                else:
                    problems += [
                        f"orchestration {name} not offered to {info.username} (discover): needed by "
                        f"{', '.join(flows)}"
                        for name, flows in sorted(writes.items())
                        if name not in offered
                    ]
            batches = "; " + _batch_purge_variant(session, self.voucher_processor_version)
            dates = ""
            if "F0101" not in {p.split(" ", 1)[0] for p in problems}:
                try:
                    dates = "; " + _date_conditions_understood(session)
                except JdeError as exc:
                    problems.append(str(exc))
            if problems:
                who = f"JD Edwards (logged in as {info.username})"
                raise JdeError(
                    f"{who}: {len(problems)} problem(s): "
                    + " | ".join(problems)
                    + f" (optional tables: {optional})"
                )
            read_note = f"read {len(reads)} table(s) ({', '.join(sorted(reads))})" if reads else "no tables"
            write_note = (
                f"orchestrations offered ({', '.join(sorted(writes))})" if writes else "no orchestrations"
            )
            return (
                f"{reach}; logged in as {info.username} ({info.environment}, {info.role}, dates "
                f"{info.date_pattern}); {read_note}; {write_note}{dates}{batches}; optional tables: "
                f"{optional}"
            )
        finally:
            session.close()


def purge_option(options: Any) -> str | None:
    """The value of the first processing option whose name speaks of purging ("purge processed
    transactions" is R04110ZA's), anywhere in a poservice answer; None when there is none. The option's
    member name is not in Oracle's public material, hence the search by word."""
    if isinstance(options, Mapping):
        for key, value in options.items():
            if "purge" in str(key).lower():
                inner = value.get("value") if isinstance(value, Mapping) else value
                if isinstance(inner, str | int):
                    return str(inner).strip()
            found = purge_option(value)
            if found is not None:
                return found
    elif isinstance(options, list):
        for item in options:
            if isinstance(item, Mapping) and "purge" in str(item.get("name") or "").lower():
                return str(item.get("value") or "").strip()
            found = purge_option(item)
            if found is not None:
                return found
    return None


def _batch_purge_variant(session: JdeSession, version: str) -> str:
    """Which of the A/P guide's two variants the site's R04110ZA version runs, in the ping's words: it purges
    processed F0411Z1/F0911Z1 rows (processing option 1) or flags and keeps them (blank; R0411Z1P may
    purge them later). Never a problem: payments find their vouchers in F0411 either way."""
    what = f"{VOUCHER_PROCESSOR} {version}"
    try:
        options = session.processing_options(VOUCHER_PROCESSOR, version)
    except JdeError as exc:
        return f"batch rows: {what} processing options not readable ({exc}); payments find vouchers in F0411"
    value = purge_option(options)
    if value is None:
        return f"batch rows: {what} names no purge option; payments find vouchers in F0411"
    if value == "1":
        return f"batch rows: {what} purges processed transactions (F0411Z1/F0911Z1 rows deleted)"
    return f"batch rows: {what} keeps processed transactions (EDSP 1, until R0411Z1P purges them)"


def _optional_tables(session: JdeSession, reads: Mapping[str, Sequence[str]], problems: list[str]) -> str:
    """One one-row read of each optional table (F0116, F0115, F01151): which ones this user can read, in
    the ping's words. One a flow reads (its setting on) that is refused is a problem naming the setting
    to turn off; one switched off is only reported (the flows do without it)."""
    said = []
    for spec, refused in optional_probe(session):
        if refused is None:
            state = "on" if optional_enabled(spec.table) else f"{spec.setting}=off"
            said.append(f"{spec.table} readable ({state})")
        elif spec.table in reads and optional_enabled(spec.table):
            problems.append(
                f"{spec.table} not readable ({refused}): needed by {', '.join(reads[spec.table])}; "
                f"{spec.advice()}"
            )
            said.append(f"{spec.table} NOT readable")
        elif optional_enabled(spec.table):
            said.append(f"{spec.table} NOT readable: set {spec.setting}=off (no enabled flow reads it now)")
        else:
            said.append(f"{spec.table} NOT readable ({spec.setting}=off: sent without {spec.without})")
    return ", ".join(said)


def _date_conditions_understood(session: JdeSession) -> str:
    """Ask for one F0101 row again by its own AN8 and UPMJ: every incremental read filters on UPMJ, and
    the date format a server expects in conditions is unconfirmed (reference §2.5). A format it reads
    differently returns nothing instead of failing, so only a round trip proves it."""
    pattern = session.query_date_pattern
    probe = session.sample("F0101", columns=["F0101.AN8", "F0101.UPMJ"])
    if not probe or not isinstance(probe.get("UPMJ"), date):
        return f"date conditions ({pattern}) not checked: no dated F0101 row"
    conditions = [
        Condition("F0101.AN8", "EQUAL", probe["AN8"]),
        Condition("F0101.UPMJ", "EQUAL", probe["UPMJ"]),
    ]
    rows = session.browse("F0101", columns=["AN8"], conditions=conditions, page_size=1)
    try:
        found = next(rows, None)
    except JdeError as exc:
        found, why = None, f"refused ({exc})"
    else:
        why = "found nothing"
    finally:
        rows.close()
    if found is None:
        raise JdeError(
            f"a query for F0101 address {probe['AN8']} updated {probe['UPMJ'].isoformat()}, with the date "
            f"written as {pattern}, {why}: the server reads dates in conditions another way; set "
            "ML_JDE_QUERY_DATE_FORMAT (e.g. yyyyMMdd or CYYDDD)"
        )
    return f"date conditions in {pattern} understood"


def _reachability(http: HttpClient) -> str:
    """``GET /defaultconfig`` (no auth): any HTTP answer proves the server is there."""
    try:
        response = http.get(SERVER_INFO_PATH, authenticate=False, expected=range(100, 600), timeout=(5, 30))
    except ApiError as exc:
        raise JdeError(f"JD Edwards AIS is not reachable: {exc}") from None
    detail = f"AIS reachable (defaultconfig HTTP {response.status_code}"
    payload = response_json(response)
    if response.status_code == 200 and isinstance(payload, Mapping):
        # Oracle's DefaultConfig names the release aisVersion ("Get Configuration"); older names tolerated.
        for key in ("aisVersion", "toolsRelease", "jasRelease", "release", "version"):
            if isinstance(payload.get(key), str | int) and str(payload[key]).strip():
                detail += f", {key} {str(payload[key]).strip()[:40]}"
                break
    return detail + ")"


def register_jde_ping(
    reads: Mapping[str, Sequence[str]] | None = None, writes: Mapping[str, Sequence[str]] | None = None
) -> None:
    """Register ``ml-connector ping``'s ``jde_ais`` check, built from settings at check time; it reads
    each table in ``reads`` and looks for each orchestration in ``writes`` (name -> flows needing it)."""
    JdeAisResource.register_settings_ping(reads, writes)
