"""``JdeSession``: one logged-in AIS session, for one batch; what flows call to read and write JDE.

Its own module because the session is the token's life and the calls' order: it logs in, shares the
token between its reads (``paging.ResultSetReader``), counts and orchestrations (``orchestration``),
and logs out or keeps the token at its end; the resource (``resource``) only configures and opens it.

One batch = one ``session()``: it logs in (reading the user's date format), reuses the token for
every call, logs in again when AIS answers 444 (``JdeAisAuth`` + ``HttpClient`` replay the call once),
and logs out at the end. With ``keep_sessions`` (the default) the token is instead kept, encrypted in
the vault with a vault key, else in the process's memory, and adopted by every later batch (and, in the
vault, step and run) until AIS answers 444, and not logged out at the batch's end (``auth``): one login
per AIS session lifetime instead of one per table per step. Reads stream (``paging``);
writes go through orchestrations.

One token, one call: with prefetching, a read's next page can be in flight while the caller makes
another call on the same session (a ``count``, an orchestration, another read). The AIS reference says
nothing on whether one token may carry two requests at once (it documents the token, its device
binding and its time-outs, not concurrency), so by default (``ML_JDE_OVERLAP_CALLS`` false) a session
makes one call at a time: every call takes the session's lock, and a call made while a next page is
being fetched waits for it (the prefetch still overlaps the caller's own work, which is what it is
for). Set it true where the server is known to take concurrent calls on one token.

``JdeSession.browse_columns`` is the same read a page at a time, by column (``{alias: [values]}``), for
callers that build Arrow or pandas columns (the whole-day staging of ``connector_assets.jde.columnar``).
Rows are normalised by ``rows.RowConverter``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal

from connector_resources.closing import ClosingOnce
from connector_resources.http import ApiError, CallMetrics, HttpClient
from connector_resources.http.errors import response_json
from connector_resources.jde.auth import JdeAisAuth, LoginInfo
from connector_resources.jde.dates import DatePattern
from connector_resources.jde.errors import (
    JdeError,
    JdeInputError,
    JdeQueryError,
    collect_messages,
    describe,
    error_for_status,
)
from connector_resources.jde.orchestration import OrchestrationResult, run_orchestration
from connector_resources.jde.pages import find_count, form_of
from connector_resources.jde.paging import ResultSetReader
from connector_resources.jde.query import BrowseSpec, Condition, MatchType, check_name, count_body
from connector_resources.jde.rows import RowConverter, convert_row

DISCOVER_PATH = "discover"
PROCESSING_OPTIONS_PATH = "v2/poservice"


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
        next_page_interval_ms: int | None = None,
    ) -> None:
        self._http = http
        self._auth = auth
        self.page_size = page_size
        self._query_date_override = DatePattern(query_date_format) if query_date_format.strip() else None
        # One AIS call at a time unless ``overlap_calls`` (module docstring: "One token, one call").
        self._calls: AbstractContextManager[Any] = nullcontext() if overlap_calls else threading.RLock()
        self._reader = ResultSetReader(
            http, self._calls, self, max_restarts=max_restarts, next_page_interval_ms=next_page_interval_ms
        )

    # -- state ------------------------------------------------------------------------------------

    @property
    def metrics(self) -> CallMetrics:
        return self._http.metrics

    @property
    def pages(self) -> int:
        """Data-service pages read."""
        return self._reader.pages

    @property
    def restarts(self) -> int:
        """Queries restarted after a lost result set or link."""
        return self._reader.restarts

    @property
    def closed_result_sets(self) -> int:
        """Result sets closed before their end (a read stopped early; ``paging`` module docstring)."""
        return self._reader.closed_sets

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
            self._reader.close()
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
        for page in self._reader.pages_of(spec, by_column=True):
            yield convert.columns(page, strip=strip_strings)

    def _converter(self, spec: BrowseSpec) -> RowConverter:
        return RowConverter(
            self.date_pattern, spec.date_aliases, table=spec.table, key_fields=spec.order_keys
        )

    def _browse(self, spec: BrowseSpec) -> Iterator[dict[str, Any]]:
        convert = self._converter(spec)
        for page in self._reader.pages_of(spec):
            for raw in page:
                yield convert(raw)

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
        payload = self._reader.dataservice(
            count_body(table, list(conditions), match, self.query_date_pattern), table, "count"
        )
        if isinstance(payload, Mapping):
            form = form_of(payload, table)
            if form is not None and form.get("errors"):
                messages = collect_messages(form["errors"])
                raise JdeQueryError(
                    f"JD Edwards AIS refused to count {table}: {describe(messages)}",
                    table=table,
                    messages=messages,
                )
        found = find_count(payload)
        if found is None:
            raise JdeQueryError(f"JD Edwards AIS COUNT answer for {table} holds no count", table=table)
        return found

    def sample(self, table: str, *, columns: Sequence[str] | None = None) -> dict[str, Any] | None:
        """One row of ``table`` (None if empty) without opening a result set: proves read access."""
        spec = BrowseSpec.build(table, columns=columns, page_size=1)
        page = self._reader.sample_page(spec)
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
        return run_orchestration(self._http, self._calls, name, inputs, self.date_pattern)

    def __repr__(self) -> str:
        return f"JdeSession(base_url={self._http.base_url!r}, auth={self._auth!r})"
