"""``BillSession``: one authenticated BILL client for a batch of calls, with typed errors.

Every call goes through ``_call``, which is where BILL's ways of saying "no" become one of the typed
errors in ``errors``: an ``ApiError`` from the HTTP core (statuses, retries spent, no answer) and an
error array on a 2xx (quirk 4) alike. The session never logs out: its BILL session is shared by the
whole process (``auth``), and outlives the batch on purpose.

Reads: ``iter_changed`` (see ``changes``), ``iter_records``, ``get``. Writes (vendors, bills,
record-payment with their searches by natural key) are in ``writes.WritesMixin``;
webhook subscription management is in ``webhooks.SubscriptionsMixin``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from connector_resources.base import SaasSession
from connector_resources.bill.auth import BillSessionAuth, LoginInfo
from connector_resources.bill.changes import ChangeReader, UnsupportedQuery
from connector_resources.bill.errors import (
    HOURLY_CAP,
    NO_DATA_FOR_ID,
    NOT_SUPPORTED,
    TOO_MANY_IN_FLIGHT,
    BillAuthError,
    BillDataError,
    BillError,
    BillInputError,
    BillNotFoundError,
    BillProblem,
    BillRateLimitError,
    BillUnavailableError,
    BillValidationError,
    describe,
    next_top_of_hour,
    problems_in,
    response_json,
    with_fields,
)
from connector_resources.bill.listing import (
    ENTITY_SPECS,
    MAX_PAGE_SIZE,
    EntitySpec,
    Page,
    entity_spec,
    parse_page,
)
from connector_resources.bill.payloads import encode_json
from connector_resources.bill.webhooks import SubscriptionsMixin
from connector_resources.bill.writes import VENDOR_BULK_MAX, WritesMixin
from connector_resources.closing import ClosingOnce
from connector_resources.errors import when_again
from connector_resources.http import ApiError, AuthenticationError, CallMetrics, HttpClient
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.bill")

__all__ = ["VENDOR_BULK_MAX", "BillSession"]

# Process-wide: what each server taught us about its lists (see ``changes``), by API URL + entity.
_LIST_STRATEGIES: dict[str, str] = {}
_UNSUPPORTED_FILTERS: set[str] = set()


class BillSession(WritesMixin, SubscriptionsMixin, ClosingOnce, SaasSession):
    """An authenticated BILL v3 client for one batch. Build it with ``BillResource.session()``.

    ``metrics``: HTTP counters (every attempt, retries, re-logins, statuses); ``pages``: list pages
    read. ``ENTITIES`` maps each readable entity to the field that says when it last changed.
    """

    ENTITIES = {name: spec.updated_field for name, spec in ENTITY_SPECS.items() if spec.change_feed}
    # No documented updated field (GL classifications, reference §2.9): read whole with ``iter_all``.
    SNAPSHOT_ENTITIES = tuple(name for name, spec in ENTITY_SPECS.items() if not spec.change_feed)
    KEYS = {name: (spec.key_field,) for name, spec in ENTITY_SPECS.items()}

    def __init__(
        self,
        http: HttpClient,
        auth: BillSessionAuth,
        *,
        page_size: int = MAX_PAGE_SIZE,
        events_url: str,
        events_http: HttpClient | None = None,
        max_in_flight: int = 1,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"BILL page_size must be 1..{MAX_PAGE_SIZE}, got {page_size}")
        super().__init__(http, auth)
        self._events_http = events_http
        self.page_size = page_size
        self.events_url = events_url.rstrip("/")
        # How many of its calls may be in flight at once (the organization's cap in this process): what a
        # caller running calls in parallel on this one session (a flow's write step) may use.
        self.max_in_flight = max_in_flight

    # -- state ------------------------------------------------------------------------------------

    @property
    def metrics(self) -> CallMetrics:
        """HTTP counters of this session (both API and webhook-management hosts)."""
        if self._events_http is None:
            return self._http.metrics
        return self._http.metrics.snapshot().merge(self._events_http.metrics)

    @property
    def auth(self) -> BillSessionAuth:
        """The process-wide session this client signs with (``fetch_count`` = logins so far)."""
        return self._auth

    def login(self) -> LoginInfo:
        """Make sure there is a BILL session (logging in only if the process has none yet)."""
        self._auth.ensure_fresh(self._http)
        assert self._auth.login is not None
        return self._auth.login

    def _release(self) -> None:
        """Release connections; the shared BILL session stays (see module docstring)."""
        self._auth.flush()  # the next process judges the session's idle time by this
        self._http.close()
        if self._events_http is not None:
            self._events_http.close()

    # -- one call ---------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        record: str = "",
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        events: bool = False,
    ) -> Any:
        """Send one request; return the decoded JSON (None when empty) or raise a ``BillError``.

        ``what`` says what was being done ("create bill 'INV-1'"), ``record`` names the record; both
        go into error messages. ``body`` is encoded with exact decimals. ``events`` sends it to the
        webhook-management API. Writes (POST without ``idempotent=True``) are never replayed after an
        ambiguous failure: that surfaces as ``outcome_unknown``.
        """
        http = self._events_http if events and self._events_http is not None else self._http
        target = f"{self.events_url}/{path.lstrip('/')}" if events else path
        kwargs: dict[str, Any] = {}
        all_headers = {"Accept": "application/json", **(headers or {})}
        if body is not None:
            kwargs["data"] = encode_json(body)
            all_headers["Content-Type"] = "application/json"
        write = method.upper() == "POST" and not idempotent
        try:
            response = http.request(
                method, target, params=params, headers=all_headers, idempotent=idempotent, **kwargs
            )
        except BillError:
            raise
        except ApiError as exc:
            raise self._error_from_api(exc, what=what, record=record, write=write, sent=body) from None
        payload = response_json(response)
        problems = problems_in(payload)
        if problems:  # an error array on a 2xx (quirk 4): the status lies, the body does not
            raise self._error(
                response.status_code,
                with_fields(problems, body),
                what=what,
                record=record,
                write=write,
                excerpt="",
                retry_after=None,
                attempts=1,
            )
        if payload is None and response.content and response.content.strip():
            raise BillDataError(f"BILL answered the request to {what} with something other than JSON")
        return payload

    def _error_from_api(self, exc: ApiError, *, what: str, record: str, write: bool, sent: Any) -> BillError:
        problems = with_fields(problems_in(response_json(exc.response)), sent)
        if exc.status is None:
            tail = (
                "; it may or may not have been done, so look the record up by its natural key before "
                "sending it again"
                if write
                else ""
            )
            return BillUnavailableError(
                f"BILL did not answer the request to {what}: {exc}{tail}",
                record=record,
                outcome_unknown=write,
            )
        if isinstance(exc, AuthenticationError) and not problems:
            return BillAuthError(f"BILL refused to {what}: {exc}", status=exc.status, record=record)
        return self._error(
            exc.status,
            problems,
            what=what,
            record=record,
            write=write,
            excerpt=exc.body_excerpt,
            retry_after=exc.retry_after,
            attempts=exc.attempts,
        )

    def _error(
        self,
        status: int,
        problems: Sequence[BillProblem],
        *,
        what: str,
        record: str,
        write: bool,
        excerpt: str,
        retry_after: float | None,
        attempts: int,
    ) -> BillError:
        """The typed error for an answer (status + BILL's problems); see ``errors`` for the types."""
        codes = {p.code for p in problems}
        said = describe(problems) or excerpt or "no message"
        fields = {"status": status, "problems": problems, "record": record}
        if HOURLY_CAP in codes:
            retry_at = (
                datetime.now(UTC) + timedelta(seconds=retry_after) if retry_after else next_top_of_hour()
            )
            return BillRateLimitError(
                f"BILL refused to {what}: the developer key's hourly request cap is used up; every call "
                f"fails until {when_again(retry_at)}, so retry after that. BILL said: {said}",
                retry_at=retry_at,
                **fields,
            )
        if TOO_MANY_IN_FLIGHT in codes or status == 429:
            return BillRateLimitError(
                f"BILL still throttled the request to {what} after {attempts} attempts; retry later. "
                f"BILL said: {said}",
                **fields,
            )
        if status in (401, 403):
            hint = " The operation may need an MFA-trusted session." if status == 403 else ""
            return BillAuthError(f"BILL refused to {what} (HTTP {status}).{hint} BILL said: {said}", **fields)
        if status == 404 or NO_DATA_FOR_ID in codes or NOT_SUPPORTED in codes:
            return BillNotFoundError(f"BILL found nothing to {what} (HTTP {status}): {said}", **fields)
        if status >= 500:
            # 503 means "refused before any work"; any other 5xx on a write may hide a done write.
            unknown = write and status != 503
            tail = "; it may have been done, so look it up before sending it again" if unknown else ""
            return BillUnavailableError(
                f"BILL failed to {what} (HTTP {status} after {attempts} attempts){tail}: {said}",
                outcome_unknown=unknown,
                **fields,
            )
        fields_named = ", ".join(dict.fromkeys(p.field for p in problems if p.field))
        named = f" (fields: {fields_named})" if fields_named else ""
        return BillValidationError(f"BILL refused to {what}{named}: {said}", **fields)

    # -- reads ------------------------------------------------------------------------------------

    def _fetch_page(
        self, spec: EntitySpec, filters: Sequence[str], sort: str | None, token: str | None
    ) -> Page:
        params: dict[str, Any] = {"max": self.page_size}
        if filters:
            params["filters"] = ",".join(filters)
        if sort:
            params["sort"] = sort
        if token:
            params["page"] = token
        what = f"list {spec.name}"
        try:
            payload = self._call("GET", spec.path, what=what, params=params)
        except BillValidationError as exc:
            if filters or sort:
                raise UnsupportedQuery(str(exc)) from None
            raise
        self.pages += 1
        return parse_page(payload, what)

    def iter_changed(self, entity: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Every ``entity`` record whose updated time is in ``[start, end)``, page by page.

        ``start`` and ``end`` must be time-zone aware. Rows are BILL's JSON objects (amounts as
        ``Decimal``) plus ``_updated_at``, an aware UTC datetime. How the read stays exact while
        BILL's data changes, and what it costs, is in ``connector_resources.bill.changes``.
        """
        spec = entity_spec(entity)
        for name, value in (("start", start), ("end", end)):
            if not isinstance(value, datetime) or value.tzinfo is None:
                raise BillInputError(f"iter_changed({entity!r}): {name} must be a time-zone aware datetime")
        if start >= end:
            return iter(())
        reader = ChangeReader(
            spec,
            lambda filters, sort, token: self._fetch_page(spec, filters, sort, token),
            strategies=_LIST_STRATEGIES,
            strategy_key=f"{self._http.base_url}#{spec.name}",
        )
        return reader.read(start.astimezone(UTC), end.astimezone(UTC))

    def iter_records(
        self, entity: str, filters: Sequence[str] = (), sort: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every ``entity`` record matching ``filters`` (``listing.clause`` builds them), by page
        tokens. For change detection use ``iter_changed``, which is exact while data changes."""
        spec = entity_spec(entity)
        token: str | None = None
        while True:
            page = self._fetch_page(spec, list(filters), sort, token)
            yield from page.rows
            if page.next_token is None or not page.rows or page.next_token == token:
                return
            token = page.next_token

    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every ``entity`` record (``SNAPSHOT_ENTITIES``: no change window can be asked for)."""
        return self.iter_records(entity)

    def get(self, entity: str, id: str) -> dict[str, Any]:
        """One record by id; ``BillNotFoundError`` when BILL has none."""
        spec = entity_spec(entity)
        if not isinstance(id, str) or not id.strip() or "/" in id:
            raise BillInputError(f"get {spec.label}: {id!r} is not a BILL id")
        payload = self._call("GET", f"{spec.path}/{quote(id.strip())}", what=f"read {spec.label} {id}")
        if not isinstance(payload, dict):
            raise BillDataError(
                f"BILL answered the read of {spec.label} {id} with something other than an object"
            )
        return payload

    def _search(
        self, entity: str, attempts: Sequence[tuple[str, list[str]]], keep: Callable[[dict[str, Any]], bool]
    ) -> list[dict[str, Any]]:
        """Rows kept by ``keep`` from the first filter set BILL accepts (narrowest first).

        ``attempts`` are ``(name, filters)``; a name BILL refused once is not tried again in this
        process (the invoice-number filter is not in the reference, for example).
        """
        for name, filters in attempts:
            key = f"{self._http.base_url}#{name}"
            if key in _UNSUPPORTED_FILTERS:
                continue
            try:
                return [row for row in self.iter_records(entity, filters) if keep(row)]
            except UnsupportedQuery as why:
                _UNSUPPORTED_FILTERS.add(key)
                log.warning("BILL refused the %s filter (%s); searching more widely", name, why)
        raise BillDataError(f"BILL refused every way of searching {entity}")

    @staticmethod
    def _object(payload: Any) -> dict[str, Any]:
        """A write's answer as the record it made; one without an id cannot be cross-referenced, so
        it is refused here rather than stored as a target id of ``None``."""
        if isinstance(payload, Mapping) and isinstance(payload.get("response_data"), Mapping):
            payload = payload["response_data"]
        if not isinstance(payload, dict) or not payload.get("id"):
            raise BillDataError("BILL answered a write with something other than a record with an id")
        return payload
