"""``ProcurifySession``: one authenticated client for a batch of Procurify calls.

Reads stream page by page (one page in memory, plus the ids of the window's rows for dedupe).
``iter_changed(entity, start, end)`` returns every record whose updated field lies in the UTC
window ``[start, end)``, using the server's own date filter where the reference documents one
(``entities`` says which), and checks **every** row on our side:

* a row inside the server range but outside our window (day filters are coarser than the window)
  is dropped silently; that is expected;
* a row far outside what we asked for means the server ignored the filter:
  ``ProcurifyFilterIgnoredError`` on the first such row, so a server that drops a filter can never
  turn a sync into "the whole collection changed";
* a read whose set moved under the pages (see ``paging``) is read again, yielding only rows not
  yielded yet, at most ``max_rescans`` times.

Writes and the searches by natural key that make them safe to repeat are in ``writes``
(mixed into the session).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connector_resources.base import SaasSession
from connector_resources.http import ApiError, HttpClient
from connector_resources.procurify.auth import ProcurifyAuth
from connector_resources.procurify.entities import (
    CHANGE_ENTITIES,
    KEYS,
    PO_ROLES,
    PO_STATUSES,
    RESERVED_PARAMS,
    SNAPSHOT_ENTITIES,
    EntitySpec,
    spec_for,
)
from connector_resources.procurify.errors import (
    ProcurifyError,
    ProcurifyFilterIgnoredError,
    ProcurifyNotFoundError,
    ProcurifyProtocolError,
    ProcurifyValidationError,
    translate,
)
from connector_resources.procurify.paging import Page, PassTally, parse_page
from connector_resources.procurify.payloads import bill_uuid
from connector_resources.procurify.values import (
    aware_utc,
    day_range,
    day_start,
    decode_json,
    iso_z,
    parse_timestamp,
    query_value,
)
from connector_resources.procurify.writes import WriteMethods
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.procurify")

UPDATED_AT = "_updated_at"
# Rows needed in strictly non-increasing order before a "-dateModified" sort is trusted enough to
# stop at the first older vendor (a server that ignores the sort would otherwise end a read early).
_TRUST_SORT_AFTER_ROWS = 10
# 204: a write answered with no body (mark-as-paid's answer is undocumented); the caller reads it as None.
_WRITE_STATUSES = (200, 201, 202, 204)


@dataclass(frozen=True)
class _Window:
    """A change window and the bounds outside which a row proves the server ignored our filter."""

    start: datetime
    end: datetime
    plausible_from: datetime
    plausible_to: datetime
    described: str


class _SortWatch:
    """Tracks whether the server really sorted newest first (the vendor early stop depends on it)."""

    def __init__(self) -> None:
        self.previous: datetime | None = None
        self.checked = 0
        self.honoured = True

    def see(self, moment: datetime) -> None:
        if self.previous is not None and moment > self.previous and self.honoured:
            self.honoured = False
            log.info(
                "procurify vendors: the server does not sort by -dateModified (unconfirmed in the "
                "reference); reading every vendor and filtering the window on our side"
            )
        self.previous = moment
        self.checked += 1

    def new_pass(self) -> None:
        """A re-read starts from the top again: its first row is not "out of order"."""
        self.previous = None

    @property
    def trusted(self) -> bool:
        return self.honoured and self.checked >= _TRUST_SORT_AFTER_ROWS


class ProcurifySession(WriteMethods, SaasSession):
    """An authenticated Procurify client for one batch. Build it with ``ProcurifyResource.session()``.

    ``metrics``: HTTP counters (calls, retries, re-auths, statuses); ``pages``: list pages read;
    ``rescans``: re-reads of a list that changed while it was read; ``undated``: rows skipped
    because their updated field was empty.
    """

    # entity -> the API's updated field. Vendors have no date filter (found by a newest-first sort
    # when the server honours it, else a full read); the others use the server's own date filter.
    # See ``entities`` for the filter each one uses.
    ENTITIES = dict(CHANGE_ENTITIES)
    SNAPSHOT_ENTITIES = SNAPSHOT_ENTITIES
    KEYS = dict(KEYS)

    def __init__(
        self,
        http: HttpClient,
        auth: ProcurifyAuth,
        *,
        page_size: int = 50,
        date_filter_slack_days: int = 1,
        max_rescans: int = 3,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        super().__init__(http, auth)
        self.page_size = page_size
        self.date_filter_slack_days = date_filter_slack_days
        self.max_rescans = max_rescans
        self.rescans = 0
        self.undated = 0

    # -- state ------------------------------------------------------------------------------------

    @property
    def scope(self) -> str:
        """The token's scope: ``urn:procurify-api:domain:<d> urn:procurify-api:email:<user>``."""
        return self._auth.granted_scope

    def login(self) -> str:
        """Obtain (or reuse) the access token now, so bad credentials fail before any work."""
        self._fresh_credentials(lambda exc: translate(exc, "obtain an access token"))
        return self.scope

    def close(self) -> None:
        """Release pooled connections (OAuth tokens have no logout; the token stays cached)."""
        self._http.close()

    # -- HTTP -------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        write: bool = False,
        record: str = "",
        idempotent: bool | None = None,
    ) -> Any:
        """One API call, decoded; every failure becomes a ``ProcurifyError`` saying ``what`` failed.

        Writes never follow redirects: Django answers a path without its slash with a 301 and
        requests would turn the POST into a GET, reporting success for a write that never happened.
        """
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["json"] = body
        if write:
            kwargs["allow_redirects"] = False
            kwargs["expected"] = _WRITE_STATUSES
        try:
            response = self._http.request(method, path, idempotent=idempotent, **kwargs)
        except ApiError as exc:
            raise translate(exc, what, write=write, record=record) from None
        return decode_json(response, what)

    @staticmethod
    def _object(payload: Any, what: str) -> dict[str, Any]:
        """The record in a single-object answer ``{"metadata": {...}, "data": {...}}`` (or bare)."""
        if isinstance(payload, Mapping):
            data = payload.get("data") if "data" in payload else payload
            if isinstance(data, Mapping):
                return dict(data)
        raise ProcurifyProtocolError(f"Procurify's answer to {what} holds no record")

    # -- list reading -----------------------------------------------------------------------------

    def _path_and_params(self, spec: EntitySpec, filters: Mapping[str, Any] | None) -> tuple[str, dict]:
        """The list path and query for ``filters``, refusing any the reference does not document."""
        params: dict[str, Any] = {}
        path = spec.path
        role, status = "purchased", "all"
        for name, value in (filters or {}).items():
            if name in RESERVED_PARAMS:
                raise ValueError(f"{spec.name}: {name!r} is set by the client itself, not a filter")
            if name not in spec.allowed_filters:
                raise ValueError(
                    f"{spec.name}: {name!r} is not a filter the Procurify reference documents for "
                    f"{spec.path} (the server would ignore it silently); allowed: "
                    f"{', '.join(sorted(spec.allowed_filters))}"
                )
            if value is None or value == "":
                continue
            if spec.name == "purchase_orders" and name in ("role", "status"):
                allowed = PO_ROLES if name == "role" else PO_STATUSES
                if value not in allowed:
                    raise ValueError(
                        f"purchase_orders: {name} must be one of {', '.join(allowed)}, got {value!r}"
                    )
                role, status = (value, status) if name == "role" else (role, value)
                continue
            if isinstance(value, list | tuple | set | frozenset):
                values = [query_value(v, name) for v in value]
                params[name] = ",".join(values) if name in spec.csv_filters else values
            else:
                params[name] = query_value(value, name)
        if "{role}" in path:
            path = path.format(role=role, status=status)
        return path, params

    def _pages(
        self, spec: EntitySpec, path: str, params: Mapping[str, Any], tally: PassTally
    ) -> Iterator[Page]:
        """Pages of one read, page 1 onwards, until the server says there is no next page."""
        number = 1
        previous_keys: list[Any] = []
        while True:
            what = f"read {spec.name} page {number}"
            try:
                payload = self._call(
                    "GET", path, what=what, params={**params, "page": number, "page_size": self.page_size}
                )
            except ProcurifyNotFoundError:
                if number == 1:
                    raise
                # "Invalid page.": the set shrank below this page while we read it.
                tally.shrank = True
                return
            page = parse_page(payload, f"read {spec.name}", number)
            self.pages += 1
            tally.record_page(page)
            keys = [self._key(spec, row) for row in page.rows]
            if number > 1 and keys and keys == previous_keys:
                raise ProcurifyProtocolError(
                    f"Procurify returned the same {spec.name} page again for page {number}: the server "
                    "does not take the page parameter, so the read would never end"
                )
            previous_keys = keys
            yield page
            if not page.has_next:
                return
            if not page.rows:
                raise ProcurifyProtocolError(
                    f"Procurify says {spec.name} page {number} has a next page but returned no rows"
                )
            number += 1

    @staticmethod
    def _key(spec: EntitySpec, row: Mapping[str, Any]) -> Any:
        """What identifies ``row``: kept small (an int or a string), since a read remembers the key
        of every row of its window to drop repeats."""
        for position, name in enumerate(spec.keys):
            value = row.get(name)
            if value is not None and value != "":
                plain = value if isinstance(value, int) and not isinstance(value, bool) else str(value)
                return plain if position == 0 else (name, plain)
        raise ProcurifyProtocolError(
            f"a Procurify {spec.title} row has none of its identifying fields ({', '.join(spec.keys)})"
        )

    def _updated(self, spec: EntitySpec, row: Mapping[str, Any]) -> datetime | None:
        assert spec.updated_field is not None
        raw = row.get(spec.updated_field)
        try:
            return parse_timestamp(raw)
        except ValueError:
            raise ProcurifyProtocolError(
                f"Procurify {spec.title} {self._name(spec, row)}: field {spec.updated_field} has {raw!r}, "
                "which is not a timestamp"
            ) from None

    @staticmethod
    def _name(spec: EntitySpec, row: Mapping[str, Any]) -> str:
        """``id=42`` / ``uuid=...``: the record named in messages."""
        for name in spec.keys:
            if row.get(name) not in (None, ""):
                return f"{name}={row[name]}"
        return "(no id)"

    def _scan(
        self,
        spec: EntitySpec,
        path: str,
        params: dict[str, Any],
        accept: Callable[[dict[str, Any]], bool],
        stop: Callable[[dict[str, Any]], bool] | None = None,
        new_pass: Callable[[], None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every accepted row of a list once, re-reading while the set moves under the pages.

        ``accept(row)`` decides (and may annotate or raise); ``stop(row)`` ends the read early
        (after ``accept``) when the rest cannot matter. A server that refuses our ``order_by`` with a
        400 is read again without it (the sort is an optimisation; the checks do not depend on it).
        """
        yielded: set[Any] = set()
        params = dict(params)
        attempt = 0
        while True:
            tally = PassTally()
            new_rows = 0
            if new_pass is not None:
                new_pass()
            try:
                for page in self._pages(spec, path, params, tally):
                    for row in page.rows:
                        key = self._key(spec, row)
                        tally.seen.add(key)
                        if accept(row) and key not in yielded:
                            yielded.add(key)
                            new_rows += 1
                            yield row
                        if stop is not None and stop(row):
                            tally.stopped_early = True
                            break
                    if tally.stopped_early:
                        break
            except ProcurifyValidationError as exc:
                if "order_by" in params and tally.pages == 0 and "order_by" in str(exc):
                    log.warning(
                        "procurify %s: the server refused order_by=%s; reading in its default order",
                        spec.name,
                        params["order_by"],
                    )
                    params.pop("order_by")
                    continue
                raise
            if not tally.missed_rows():
                return
            if attempt > 0 and new_rows == 0:
                # Re-reading found nothing new: the count is off, not the rows; say so and finish.
                log.warning(
                    "procurify %s: the server counts %s rows but lists %d distinct; finishing with those",
                    spec.name,
                    tally.last_count,
                    len(tally.seen),
                )
                return
            if attempt >= self.max_rescans:
                raise ProcurifyProtocolError(
                    f"Procurify {spec.name} kept changing while being read ({attempt + 1} reads, the last "
                    f"saw {len(tally.seen)} of {tally.last_count} rows); run the read again later"
                )
            attempt += 1
            self.rescans += 1
            log.warning(
                "procurify %s changed while being read (count %s -> %s, %d distinct seen); reading again "
                "for rows not yet returned",
                spec.name,
                tally.first_count,
                tally.last_count,
                len(tally.seen),
            )

    # -- reads: change windows --------------------------------------------------------------------

    def iter_changed(
        self,
        entity: str,
        start: datetime,
        end: datetime,
        *,
        filters: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every ``entity`` record whose updated field (``ENTITIES[entity]``) is in ``[start, end)``.

        ``start``/``end`` must be tz-aware. Rows are the API's objects as returned (numbers with
        fractions as ``Decimal``) plus ``"_updated_at"``, a UTC datetime; each record once, streamed
        page by page. ``filters`` narrows further with filters the reference documents for the
        entity (e.g. ``{"status": 1}`` for approved requisitions; for purchase orders ``role`` and
        ``status`` choose the list, default ``purchased`` / ``all``). Arguments are checked now;
        rows are fetched as they are consumed.
        """
        spec = spec_for(entity)
        if spec.updated_field is None:
            raise ProcurifyError(
                f"Procurify {entity} have no updated field and no date filter; read them whole with "
                "iter_all (they are small master data)"
            )
        window = self._window(spec, aware_utc(start, "start"), aware_utc(end, "end"))
        path, params = self._path_and_params(spec, filters)
        own = {"order_by"} | ({spec.window.lower, spec.window.upper} if spec.window else set())
        clash = sorted(own & set(params))
        if clash:
            raise ValueError(f"{entity}: iter_changed sets {', '.join(clash)} itself from the window")
        if spec.window is not None:
            return self._changed_filtered(spec, path, params, window)
        return self._changed_unfiltered(spec, path, params, window)

    def _window(self, spec: EntitySpec, start: datetime, end: datetime) -> _Window:
        if end <= start:
            raise ValueError(f"{spec.name}: window end {iso_z(end)} is not after start {iso_z(start)}")
        described = f"[{iso_z(start)}, {iso_z(end)})"
        if spec.window is not None and spec.window.kind == "date":
            first, last = day_range(start, end, self.date_filter_slack_days)
            # A server in any time zone returns rows within a day of the days asked for.
            return _Window(
                start,
                end,
                day_start(first) - timedelta(days=1),
                day_start(last) + timedelta(days=2),
                described,
            )
        return _Window(start, end, start - timedelta(days=1), end + timedelta(days=1), described)

    def _in_window(self, spec: EntitySpec, row: dict[str, Any], window: _Window, *, filtered: bool) -> bool:
        moment = self._updated(spec, row)
        if moment is None:
            self.undated += 1
            log.warning(
                "procurify %s %s has no %s; it cannot be placed in any change window and is skipped",
                spec.name,
                self._name(spec, row),
                spec.updated_field,
            )
            return False
        if filtered and not window.plausible_from <= moment < window.plausible_to:
            raise ProcurifyFilterIgnoredError(
                f"Procurify ignored the {spec.window.lower}/{spec.window.upper} filter on {spec.name}: "  # type: ignore[union-attr]
                f"{spec.title} {self._name(spec, row)} has {spec.updated_field} {iso_z(moment)}, far "
                f"outside the window {window.described}; refusing to treat the whole collection as changed"
            )
        if window.start <= moment < window.end:
            row[UPDATED_AT] = moment
            return True
        return False

    def _changed_filtered(
        self, spec: EntitySpec, path: str, params: dict[str, Any], window: _Window
    ) -> Iterator[dict[str, Any]]:
        assert spec.window is not None
        if spec.window.kind == "date":
            first, last = day_range(window.start, window.end, self.date_filter_slack_days)
            params = {**params, spec.window.lower: first.isoformat(), spec.window.upper: last.isoformat()}
        else:
            # Both bounds are inclusive on the server (django-filter); the row stamped exactly
            # ``end`` comes back and is dropped here, which keeps the window half-open.
            params = {**params, spec.window.lower: iso_z(window.start), spec.window.upper: iso_z(window.end)}
        if spec.order_by:
            # Oldest first on the updated field: a known order whatever the server's default, and
            # rows created or changed during the read land at the end, where they are read in their
            # latest state. A changed row leaving its place shifts the unread rows back by one;
            # ``_scan`` notices (fewer distinct rows than the server counts) and reads again.
            params["order_by"] = spec.order_by
        yield from self._logged(
            spec,
            window,
            self._scan(spec, path, params, lambda row: self._in_window(spec, row, window, filtered=True)),
        )

    def _changed_unfiltered(
        self, spec: EntitySpec, path: str, params: dict[str, Any], window: _Window
    ) -> Iterator[dict[str, Any]]:
        """No date filter (vendors): ask for newest first and stop below the window, but only once
        the server has visibly honoured that sort; otherwise read everything and filter here."""
        watch = _SortWatch()

        def accept(row: dict[str, Any]) -> bool:
            inside = self._in_window(spec, row, window, filtered=False)
            moment = row.get(UPDATED_AT) if inside else self._updated(spec, row)
            if moment is not None:
                watch.see(moment)
            return inside

        def stop(row: dict[str, Any]) -> bool:
            if not spec.sorted_desc_probe or not watch.trusted:
                return False
            moment = self._updated(spec, row)
            return moment is not None and moment < window.start

        if spec.sorted_desc_probe and spec.updated_field:
            params = {**params, "order_by": f"-{spec.updated_field}"}
        yield from self._logged(spec, window, self._scan(spec, path, params, accept, stop, watch.new_pass))

    def _logged(
        self, spec: EntitySpec, window: _Window, rows: Iterator[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        before = self.metrics.snapshot()
        pages, count = self.pages, 0
        for row in rows:
            count += 1
            yield row
        spent = self.metrics.since(before)
        log.info(
            "procurify %s changed in %s: %d rows, %d pages, %d calls",
            spec.name,
            window.described,
            count,
            self.pages - pages,
            spent.calls,
        )

    # -- reads: whole lists and single records ----------------------------------------------------

    def iter_all(self, entity: str, *, filters: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every ``entity`` record matching ``filters`` (documented ones only), each once, streamed.

        Rows of entities with an updated field carry ``"_updated_at"`` too (None when empty).
        """
        spec = spec_for(entity)
        path, params = self._path_and_params(spec, filters)

        def accept(row: dict[str, Any]) -> bool:
            if spec.updated_field is not None:
                row[UPDATED_AT] = self._updated(spec, row)
            return True

        return self._scan(spec, path, params, accept)

    def count(self, entity: str, *, filters: Mapping[str, Any] | None = None) -> int | None:
        """The server's own count of ``entity`` rows matching ``filters`` (one call for one row);
        None when the answer carries no count."""
        spec = spec_for(entity)
        path, params = self._path_and_params(spec, filters)
        payload = self._call(
            "GET", path, what=f"count {entity}", params={**params, "page": 1, "page_size": 1}
        )
        return parse_page(payload, f"count {entity}", 1).count

    def get(self, entity: str, id: str | int) -> dict[str, Any]:
        """One record by its id (purchase orders: number or UUID; bills: UUID)."""
        spec = spec_for(entity)
        ident = str(id).strip() if id is not None else ""
        if not ident:
            raise ValueError(f"get {entity}: the id is empty")
        if entity == "payments":
            return self._payment(ident)
        if spec.detail is None:
            raise ProcurifyError(
                f"the Procurify API documents no way to read one {spec.title}; use iter_changed or "
                "iter_all with filters"
            )
        if entity == "bills":
            ident = bill_uuid(ident, f"bill {ident!r}")
        if spec.detail_unconfirmed:
            # Procurify's OpenAPI documents only PUT on this path (Accountcodes_updateAccountCode,
            # departments_update): the record is looked up in the list, never with a GET it does not publish.
            for row in self.iter_all(entity):
                if str(row.get("id")) == ident:
                    return row
            raise ProcurifyNotFoundError(f"Procurify has no {spec.title} with id {ident}", status=404)
        what = f"read {spec.title} {ident}"
        payload = self._call("GET", spec.detail.format(id=quote(ident, safe="")), what=what)
        return self._object(payload, what)

    def _payment(self, ident: str) -> dict[str, Any]:
        # The public payments API has no detail path in the reference; its ``ids`` filter does it.
        for row in self.iter_all("payments", filters={"ids": ident}):
            if ident in (str(row.get("id")), str(row.get("uuid"))):
                return row
        raise ProcurifyNotFoundError(f"Procurify has no payment with id {ident}", status=404)
