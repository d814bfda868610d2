"""The data service: BROWSE and COUNT over the simulated tables, with v2 next-page result sets.

A paged browse keeps a real open cursor (its own read connection, see ``store``), advanced page by
page. Like the HTML server's result set it is forward-only: calling the same next href twice returns
the *following* page, and after ``result_set_timeout_seconds`` without use it is gone (HTTP 500,
JAS_MSG347), so a client must restart the query rather than retry a page. A set stays open until it
is read to its end, closed (the application stack ``close`` of its stack, ``close_stack``) or timed out;
each remembers how it was asked to drip (``nextPageTimeInterval``), for the operator's state.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as url_quote

from .currency import decimals_sql
from .dates import DatePattern, from_julian
from .errors import bad_request, result_set_expired, timestamp
from .query import ValueContext, order_sql, query_sql, resolve_column
from .settings import FaultSettings, JdeSandboxSettings
from .store import Store, quote
from .tables import TABLES, Column, ForeignAmount, Kind, Table

GRID_ID = 54
STACK_ID = 1  # every data-service result set is the one form of its own stack
NO_MAX = "No Max"
# Oracle ("Example - Links Section in a Data Service Response"): without nextPageTimeInterval the server
# fetches rows in the background every 5 s while the set waits; 1000 ms or less turns that off.
DEFAULT_DRIP_MS = 5000
NO_DRIP_MS = 1000


@dataclass(frozen=True)
class DataRequest:
    """A validated data-service request, ready to run."""

    table: Table
    service_type: str  # BROWSE | COUNT
    columns: tuple[Column, ...]
    return_control_ids: str
    where: str
    params: tuple[Any, ...]
    order_by: str
    page_size: int
    next_page: bool
    next_page_interval_ms: int | None = None  # nextPageTimeInterval as sent (None: not sent)

    @property
    def drip_ms(self) -> int:
        """How often AIS would fetch rows in the background for this set (0: never)."""
        interval = self.next_page_interval_ms
        if interval is None:
            return DEFAULT_DRIP_MS
        return 0 if interval <= NO_DRIP_MS else interval

    def select_sql(self) -> str:
        """The columns asked for, then the decimals of each foreign amount among them (hidden from the
        answer: the renderer applies them, see ``row_renderer``)."""
        names = [quote(column.alias) for column in self.columns]
        names += [
            decimals_sql(self.table, amount, self.table.by_alias[amount.alias].decimals)
            for amount in foreign_amounts(self.table, self.columns)
        ]
        table = quote(self.table.name)
        return f"SELECT {', '.join(names)} FROM {table} WHERE {self.where} ORDER BY {self.order_by}"

    def count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM {quote(self.table.name)} WHERE {self.where}"


def page_size(raw: Any, settings: JdeSandboxSettings) -> int:
    """maxPageSize: default 100, "No Max" allowed, both capped by the jas.ini DB Fetch Limit."""
    if raw is None or raw == "":
        return min(settings.default_page_size, settings.db_fetch_limit)
    if isinstance(raw, str) and raw.strip().lower() == NO_MAX.lower():
        return settings.db_fetch_limit
    try:
        size = int(str(raw).strip())
    except ValueError as exc:
        raise bad_request(f'maxPageSize: {raw!r} is neither a number nor "No Max"') from exc
    if size < 1:
        raise bad_request(f"maxPageSize: {raw!r} must be at least 1")
    return min(size, settings.db_fetch_limit)


def parse_data_request(
    body: dict[str, Any],
    settings: JdeSandboxSettings,
    context: ValueContext,
    *,
    v2: bool = True,
    result_set_timeout_seconds: float | None = None,
) -> DataRequest:
    table_name = body.get("targetName")
    table = TABLES.get(table_name) if isinstance(table_name, str) else None
    if table is None:
        raise bad_request(f"targetName: {table_name!r} is not one of the sandbox tables {sorted(TABLES)}")
    if body.get("targetType", "table") != "table":
        raise bad_request(
            f"targetType: {body.get('targetType')!r}; the sandbox serves tables only, not views"
        )
    service_type = body.get("dataServiceType")
    if service_type not in ("BROWSE", "COUNT"):
        raise bad_request(f"dataServiceType: {service_type!r}; the sandbox supports BROWSE and COUNT")
    output_type = body.get("outputType", "GRID_DATA")
    if output_type != "GRID_DATA":
        raise bad_request(f"outputType: {output_type!r}; the sandbox renders GRID_DATA only")
    if body.get("batchDataRequest"):
        raise bad_request("batchDataRequest: several data requests in one call are not simulated")
    raw_ids = body.get("returnControlIDs")
    if raw_ids in (None, ""):
        columns = table.columns
        raw_ids = "|".join(f"{table.name}.{column.alias}" for column in columns)
    elif isinstance(raw_ids, str):
        columns = tuple(
            resolve_column(table, part.strip(), "returnControlIDs")
            for part in raw_ids.split("|")
            if part.strip()
        )
    else:
        raise bad_request("returnControlIDs: must be a pipe-delimited string such as F4301.DOCO|F4301.DCTO")
    where, params = query_sql(table, body.get("query"), context)
    return DataRequest(
        next_page_interval_ms=next_page_interval(
            body.get("nextPageTimeInterval"),
            settings.faults.result_set_timeout_seconds
            if result_set_timeout_seconds is None
            else result_set_timeout_seconds,
        ),
        table=table,
        service_type=service_type,
        columns=tuple(dict.fromkeys(columns)),
        return_control_ids=raw_ids,
        where=where,
        params=tuple(params),
        order_by=order_sql(table, body.get("aggregation")),
        page_size=page_size(body.get("maxPageSize"), settings),
        # Next-page links exist on v2 only (reference quirk 6).
        next_page=v2 and body.get("enableNextPageProcessing") in (True, "true", "TRUE"),
    )


def next_page_interval(raw: Any, timeout_seconds: float) -> int | None:
    """nextPageTimeInterval in ms (a number or a string of digits); Oracle: it must stay below the HTML
    server's resultSetTimeout, so one that does not is refused naming it."""
    if raw is None:
        return None
    digits = isinstance(raw, str) and raw.strip().isdigit()
    if isinstance(raw, bool) or not (isinstance(raw, int) or digits):
        raise bad_request(f"nextPageTimeInterval: {raw!r} is not a number of milliseconds")
    interval = int(raw)
    timeout_ms = timeout_seconds * 1000
    if interval > NO_DRIP_MS and interval >= timeout_ms:
        raise bad_request(
            f"nextPageTimeInterval: {interval} ms is not below the result set timeout ({timeout_ms:g} ms)"
        )
    return interval


def foreign_amounts(table: Table, columns: tuple[Column, ...]) -> list[ForeignAmount]:
    """The foreign amounts among ``columns``, in their order: each is selected with its row's decimals."""
    return [table.foreign_by_alias[c.alias] for c in columns if c.alias in table.foreign_by_alias]


def _scaled_by_row(value: int, decimals: int) -> Any:
    # A currency without decimals (JPY) reads as a whole number, as its amounts are written.
    return value / 10**decimals if decimals else value


def row_renderer(columns: tuple[Column, ...], table: Table, pattern: DatePattern) -> Callable[[tuple], dict]:
    """Stored tuple -> GRID_DATA row: ``F4301_DOCO`` keys, dates as strings, blanks as " ", amounts with
    their decimals applied (a foreign amount with its row's currency's, selected after the columns)."""
    keys = [f"{table.name}_{column.alias}" for column in columns]
    width = len(columns)
    hidden = {
        c.alias: width + i for i, c in enumerate(c for c in columns if c.alias in table.foreign_by_alias)
    }
    converters: list[Callable[[Any], Any]] = []
    for column in columns:
        if column.alias in hidden:
            converters.append(lambda value, row, at=hidden[column.alias]: _scaled_by_row(value, row[at]))
            continue
        if column.kind is Kind.STRING:
            converters.append(lambda value, row: value if value else " ")
        elif column.kind is Kind.DATE:
            # A blank date (0) came back as null in the one observed model (reference 2.5).
            converters.append(lambda value, row: pattern.format(day) if (day := from_julian(value)) else None)
        elif column.kind is Kind.DECIMAL and column.decimals:
            divisor = 10**column.decimals
            converters.append(lambda value, row, divisor=divisor: value / divisor)
        else:
            converters.append(lambda value, row: value)  # INTEGER, TIME (HHMMSS, leading zeros lost)
    pairs = list(zip(keys, converters, strict=True))

    def render(row: tuple) -> dict[str, Any]:
        return {key: convert(value, row) for (key, convert), value in zip(pairs, row[:width], strict=True)}

    return render


def _envelope(table: Table, inner: dict[str, Any]) -> dict[str, Any]:
    return {
        f"fs_DATABROWSE_{table.name}": {
            "title": f"Data Browser - {table.name} [{table.title}]",
            **inner,
            "errors": [],
            "warnings": [],
        },
        "currentApp": f"DATABROWSE_{table.name}",
        "timeStamp": timestamp(),
        "sysErrors": [],
    }


def browse_body(table: Table, columns: tuple[Column, ...], rows: list[dict], more: bool) -> dict[str, Any]:
    grid = {
        "id": GRID_ID,
        "fullGridId": str(GRID_ID),
        "columns": {f"{table.name}_{column.alias}": column.title for column in columns},
        "rowset": rows,
        # records = rows in this page; there is never a total in a browse (reference quirk 8).
        "summary": {"records": len(rows), "moreRecords": more},
    }
    return _envelope(table, {"data": {"gridData": grid}})


def count_body(table: Table, count: int) -> dict[str, Any]:
    # The COUNT JSON shape is unconfirmed (the Java API exposes CountResponse.getCount()); the sandbox
    # puts that count beside the title in the usual fs_DATABROWSE_<table> envelope.
    return _envelope(table, {"count": count})


@dataclass
class ResultSet:
    rid: str
    token: str
    request: DataRequest
    render: Callable[[tuple], dict]
    connection: sqlite3.Connection
    cursor: sqlite3.Cursor
    pending: list[tuple] = field(default_factory=list)
    state_id: int = 1
    last_access: float = field(default_factory=time.monotonic)

    def next_page(self) -> tuple[list[dict], bool]:
        wanted = self.request.page_size + 1 - len(self.pending)
        rows = self.pending + (self.cursor.fetchmany(wanted) if wanted > 0 else [])
        page, self.pending = rows[: self.request.page_size], rows[self.request.page_size :]
        return [self.render(row) for row in page], bool(self.pending)

    def close(self) -> None:
        self.connection.close()


class ResultSets:
    """Open paged result sets, bounded in number and idle time."""

    def __init__(
        self, settings: JdeSandboxSettings, faults: Callable[[], FaultSettings], clock=time.monotonic
    ) -> None:
        self._settings = settings
        self._faults = faults
        self._clock = clock
        self._open: dict[str, ResultSet] = {}

    def __len__(self) -> int:
        """Sets open now (those idle past the timeout are dropped first, as the server would have)."""
        self.sweep()
        return len(self._open)

    def open(
        self, store: Store, token: str, request: DataRequest, render: Callable[[tuple], dict]
    ) -> ResultSet:
        self.sweep()
        while len(self._open) >= self._settings.max_open_result_sets:
            oldest = min(self._open.values(), key=lambda result_set: result_set.last_access)
            self.close(oldest.rid)
        connection = store.reader()
        cursor = connection.execute(request.select_sql(), request.params)
        result_set = ResultSet(secrets.token_hex(8)[:15], token, request, render, connection, cursor)
        result_set.last_access = self._clock()
        self._open[result_set.rid] = result_set
        return result_set

    def dripping(self) -> int:
        """Open sets AIS would keep fetching rows for in the background (``DataRequest.drip_ms``)."""
        self.sweep()
        return sum(1 for result_set in self._open.values() if result_set.request.drip_ms)

    def close_stack(self, rid: str, token: str) -> ResultSet:
        """Close an open set for the application stack ``close`` of its stack; JAS_MSG347 when it is
        already gone (read to its end, closed, timed out) or another session's."""
        result_set = self._open.get(rid)
        if result_set is None or result_set.token != token:
            raise result_set_expired()
        self.close(rid)
        return result_set

    def take(self, rid: str, token: str) -> ResultSet:
        """The result set for a next-page call; JAS_MSG347 if expired, closed or another session's."""
        result_set = self._open.get(rid)
        if result_set is None or result_set.token != token:
            raise result_set_expired()
        if self._clock() - result_set.last_access > self._faults().result_set_timeout_seconds:
            self.close(rid)
            raise result_set_expired()
        result_set.last_access = self._clock()
        result_set.state_id += 1
        return result_set

    def close(self, rid: str) -> None:
        result_set = self._open.pop(rid, None)
        if result_set is not None:
            result_set.close()

    def close_for_token(self, token: str) -> None:
        for rid in [rid for rid, result_set in self._open.items() if result_set.token == token]:
            self.close(rid)

    def clear(self) -> None:
        for rid in list(self._open):
            self.close(rid)

    def sweep(self) -> None:
        limit = self._faults().result_set_timeout_seconds
        now = self._clock()
        for rid in [rid for rid, rs in self._open.items() if now - rs.last_access > limit]:
            self.close(rid)


def next_link(base_url: str, result_set: ResultSet) -> dict[str, str]:
    """The ``links`` entry; the token travels URL-encoded inside the href (reference 2.5 paging)."""
    request = result_set.request
    query = "&".join(
        (
            f"stackId={STACK_ID}",
            f"stateId={result_set.state_id}",
            f"rid={result_set.rid}",
            f"fullGridId={GRID_ID}",
            f"formOID={request.table.name}",
            f"token={url_quote(result_set.token, safe='')}",
            "outputType=GRID_DATA",
            f"returnControlIDs={url_quote(request.return_control_ids, safe='|.')}",
        )
    )
    return {"rel": "next", "href": f"{base_url.rstrip('/')}/jderest/v2/dataservice/next?{query}"}
