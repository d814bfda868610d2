"""``CoupaSession``: one authenticated HTTP client for a batch of Coupa calls, reads and writes.

**Reads.** ``iter_changed(entity, start, end)`` streams every record whose ``updated-at`` is in
``[start, end)`` using Coupa's own date filter (``updated_at[gt_or_eq]`` / ``updated_at[lt]``,
reference §2.2), paged exactly by id (``paging``). Coupa compares whole seconds, so the server is
asked for the enclosing whole-second range and the exact bounds are applied here. ``iter_all`` reads a
whole collection (accounts and lookup values for mapping validation), ``search`` one page of a query.

**Writes.** No Coupa API takes an idempotency key, so a create is sent **once** (the HTTP core never
replays a POST after an ambiguous failure) and a lost answer becomes ``CoupaOutcomeUnknownError``.
Every create has a search by natural key (supplier number / tax id / name, PO number, invoice number
+ supplier, payment notes on the invoice); adopting what an earlier attempt created is the flows'
business (search first, create only when nothing is found: ``write_one``), so the client keeps the
raw find / create / update and says "outcome unknown" in a typed error. PUTs that *append* (a
payment, a PO or invoice line without an id, a state action) are not idempotent either and are never
replayed blindly; plain field updates are.

**Scopes.** A session holds the scopes it asked for; a call that needs another fails here, naming the
scope, before anything is sent.

**Amounts** go out as decimal strings from ``Decimal`` / ``int`` / ``str`` (floats refused) and answers
are parsed with ``parse_float=Decimal`` (Coupa sends most decimals as strings, which stay strings).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from connector_resources.base import SaasSession
from connector_resources.coupa.auth import CoupaOAuth
from connector_resources.coupa.entities import ENTITIES, KEYS, SNAPSHOT_ENTITIES, Entity, entity
from connector_resources.coupa.errors import (
    CoupaAmbiguousMatchError,
    CoupaAuthError,
    CoupaError,
    CoupaInputError,
    CoupaNotFoundError,
    CoupaOutcomeUnknownError,
    CoupaQueryError,
    CoupaRateLimitError,
    CoupaResponseError,
    CoupaScopeError,
    CoupaUnavailableError,
    CoupaValidationError,
    coupa_messages,
    describe,
    response_payload,
)
from connector_resources.coupa.pacing import AdaptivePacer
from connector_resources.coupa.paging import Slice, SlicePager, read_slices, row_id
from connector_resources.coupa.values import (
    aware_utc,
    ceil_second,
    floor_second,
    parse_time,
    query_params,
    request_body,
)
from connector_resources.http import (
    ApiError,
    AuthenticationError,
    CallMetrics,
    HttpClient,
    RateLimitedError,
    TransportError,
)
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.coupa")

MAX_PAGE_SIZE = 50  # reference §2.2: "max 50 records per GET"
# Coupa's documented burst (reference §2.10): more requests in flight could never all be admitted at once.
MAX_READ_WORKERS = 20
UPDATED_AT_KEY = "_updated_at"
PO_ACTIONS = frozenset(
    {
        "issue",
        "issue_without_send",
        "ignore_window_and_issue",
        "cancel",
        "close",
        "reopen",
        "release_from_buyer_hold",
    }
)
INVOICE_ACTIONS = frozenset(
    {
        "submit",
        "void",
        "abandon",
        "dispute",
        "withdraw_dispute",
        "bypass_approvals",
        "bypass_current_approval",
        "restart_approvals",
        "revalidate_tolerances",
        "update_line_accounts",
    }
)
EXPORT_MARKABLE = ("invoices", "purchase_orders", "payments")
# Transport failures that prove the request never reached Coupa (see connector_resources.http.policy);
# the core's deadline check and in-flight slot wait also happen before anything is sent.
_NOT_SENT_MARKERS = (
    "ConnectTimeout",
    "Connection refused",
    "NewConnectionError",
    "no free request slot",
    "deadline of",
)


def _first(fields: Mapping[str, Any], *names: str) -> Any:
    """The value of the first key present (callers may spell ``invoice-number`` or ``invoice_number``)."""
    for name in names:
        if name in fields:
            return fields[name]
    return None


def _text(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())


def _same_text(a: Any, b: Any) -> bool:
    return _text(a).casefold() == _text(b).casefold()


def _amount(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def _supplier_ref(value: Any, record: str) -> dict[str, Any]:
    """A supplier reference ``{id}``, ``{number}`` or ``{name}`` (how POs and invoices name one)."""
    if not isinstance(value, Mapping) or not any(
        value.get(k) not in (None, "") for k in ("id", "number", "name")
    ):
        raise CoupaInputError(
            f"{record}: field supplier must be a mapping with id, number or name", field="supplier"
        )
    return dict(value)


def _describe_supplier(ref: Mapping[str, Any]) -> str:
    for key in ("number", "name", "id"):
        if ref.get(key) not in (None, ""):
            return f"supplier {ref[key]}" if key != "id" else f"supplier id {ref[key]}"
    return "supplier ?"


def _check_length(value: Any, limit: int, field: str, record: str) -> str:
    text = _text(value)
    if not text:
        raise CoupaInputError(f"{record}: field {field} is required", field=field)
    if len(str(value)) > limit:
        raise CoupaInputError(
            f"{record}: field {field} is {len(str(value))} characters; Coupa accepts at most {limit}",
            field=field,
        )
    return str(value)


def _lines(fields: Mapping[str, Any], names: tuple[str, str], record: str) -> list[Mapping[str, Any]]:
    lines = _first(fields, *names)
    if lines is None:
        return []
    if not isinstance(lines, list | tuple) or not all(isinstance(line, Mapping) for line in lines):
        raise CoupaInputError(f"{record}: field {names[0]} must be a list of line mappings", field=names[0])
    return list(lines)


def _appends(fields: Mapping[str, Any], collections: Sequence[str]) -> bool:
    """True when a PUT body adds something (a line or payment without an id): replaying it would add
    it twice, so it must not be retried after an ambiguous failure."""
    for name in collections:
        items = fields.get(name)
        if isinstance(items, list | tuple) and any(isinstance(i, Mapping) and not i.get("id") for i in items):
            return True
    return False


class CoupaSession(SaasSession):
    """Calls sharing one ``HttpClient`` (token, rate limit, metrics); see module docstring.

    Thread-safe: flows may fan writes out over threads; parallel reads use their own.
    """

    ENTITIES = {name: e.updated_field for name, e in ENTITIES.items() if e.change_feed}
    # Read whole with ``iter_all``: no documented change marker (lookup values, reference §2.7).
    SNAPSHOT_ENTITIES = SNAPSHOT_ENTITIES
    KEYS = dict(KEYS)

    def __init__(
        self,
        http: HttpClient,
        auth: CoupaOAuth,
        *,
        page_size: int = MAX_PAGE_SIZE,
        read_workers: int = 1,
        pacer: AdaptivePacer | None = None,
        scopes: Sequence[str] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise CoupaInputError(
                f"page_size must be between 1 and {MAX_PAGE_SIZE} (Coupa's cap), got {page_size}",
                field="page_size",
            )
        if read_workers < 1:
            raise CoupaInputError(
                f"read_workers must be at least 1, got {read_workers}", field="read_workers"
            )
        super().__init__(http, auth)
        # What this session may call (``_require``): its own scopes, which the token's may exceed.
        self.scopes: tuple[str, ...] = tuple(auth.scopes if scopes is None else scopes)
        self.page_size = page_size
        self.read_workers = read_workers
        # Coupa's client-side pace (None: unpaced); its adaptive rate and its burst size a read's threads.
        self._pacer = pacer
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def authenticate(self) -> None:
        """Make sure a token is held (minting one if needed), so bad credentials fail up front."""
        self._fresh_credentials(lambda exc: self._translate(exc, "get an access token", write=False))

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"CoupaSession(base_url={self.base_url!r}, scopes={' '.join(self.scopes)!r})"

    # -- plumbing ---------------------------------------------------------------------------------

    def _require(self, scope: str, action: str) -> None:
        if scope not in self.scopes:
            raise CoupaScopeError(
                f"Coupa: {action} needs scope {scope}, which this session did not ask for "
                f"(it holds {' '.join(self.scopes)}); open the session with that scope or the right flow",
                missing=(scope,),
            )

    def _call(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        action: str,
        record: str = "",
        ent: Entity | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        expected: Sequence[int] | None = None,
    ) -> requests.Response:
        self._require(scope, action)
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = dict(params)
        if body is not None:
            kwargs["json"] = body
        if self._pacer is not None:
            waited = self._pacer.acquire()
            if waited:
                self.metrics.record_wait(waited)
        try:
            return self._http.request(method, path, idempotent=idempotent, expected=expected, **kwargs)
        except ApiError as exc:
            raise self._translate(
                exc,
                action,
                write=method != "GET" and idempotent is False,
                changes=method != "GET",
                record=record,
                ent=ent,
                scope=scope,
                sent=body,
            ) from None

    def _entity_call(
        self, method: str, ent: Entity, suffix: str, action: str, **call: Any
    ) -> requests.Response:
        """``_call`` on ``ent``'s path (then ``suffix``) with its scope: the read scope for a GET, else
        its write scope."""
        scope = ent.read_scope if method == "GET" else ent.write_scope
        return self._call(method, f"{ent.path}{suffix}", scope=scope, action=action, ent=ent, **call)

    def _translate(
        self,
        exc: ApiError,
        action: str,
        *,
        write: bool,
        changes: bool = False,
        record: str = "",
        ent: Entity | None = None,
        scope: str = "",
        sent: Any = None,
    ) -> CoupaError:
        """The Coupa error for an HTTP failure (see ``errors`` for what each type means).

        ``write``: a request that must not be replayed (a create, an appending PUT), whose ambiguous
        failure is ``CoupaOutcomeUnknownError``; ``changes``: any request that changes data, whose
        400/422 is a ``CoupaValidationError`` (a read's is a ``CoupaQueryError``).
        """
        name = ent.name if ent else ""
        status = exc.status
        messages = coupa_messages(response_payload(exc.response), sent if isinstance(sent, Mapping) else None)
        said = describe(messages) or exc.body_excerpt or exc.detail or exc.reason
        http = f" (HTTP {status})" if status is not None else ""
        common = {"status": status, "entity": name, "record": record}
        if isinstance(exc, AuthenticationError) or status in (401, 403):
            if status == 403 or "scope" in said.lower():
                return CoupaScopeError(
                    f"Coupa refused to {action}{http}: {said}. The OAuth client needs scope "
                    f"{scope or '?'} (granted in Coupa and requested by the session)",
                    missing=(scope,) if scope else (),
                    **common,
                )
            return CoupaAuthError(
                f"Coupa refused the credentials to {action}{http}, even with a new token: {said}", **common
            )
        if isinstance(exc, RateLimitedError) or status == 429:
            return CoupaRateLimitError(
                f"Coupa kept rate-limiting the request to {action} (HTTP 429 after {exc.attempts} "
                "attempts); lower rate_per_second or let other users of this client slow down",
                **common,
            )
        if status == 404:
            return CoupaNotFoundError(f"Coupa could not {action}: not found (HTTP 404): {said}", **common)
        if status in (400, 422):
            if changes:
                return CoupaValidationError(
                    f"Coupa refused to {action}{http}: {said or 'no reason given'}",
                    messages=messages,
                    **common,
                )
            return CoupaQueryError(f"Coupa refused to {action}{http}: {said}", messages=messages, **common)
        ambiguous = status in (500, 502, 504) or (
            isinstance(exc, TransportError) and not any(m in exc.detail for m in _NOT_SENT_MARKERS)
        )
        if write and ambiguous:
            return CoupaOutcomeUnknownError(
                f"Coupa: no clear answer to {action}{http}: {said or 'no response'}. It may or may not have "
                "been applied; search by the record's natural key before sending it again",
                **common,
            )
        if status is None or status >= 500:
            return CoupaUnavailableError(
                f"Coupa at {self.base_url} could not {action}{http} after {exc.attempts} attempt(s): "
                f"{said or 'no response'}",
                **common,
            )
        return CoupaError(f"Coupa refused to {action}{http}: {said}", **common)

    def _json(self, response: requests.Response, action: str, ent: Entity | None = None) -> Any:
        raw = response.content or b""
        if not raw.strip():
            return None
        content_type = response.headers.get("Content-Type", "").lower()
        if "xml" in content_type or raw.lstrip()[:1] == b"<":
            raise CoupaResponseError(
                f"Coupa answered the request to {action} with XML although the client asked for JSON "
                "(Accept: application/json); a proxy may be dropping the header",
                entity=ent.name if ent else "",
            )
        try:
            return json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise CoupaResponseError(
                f"Coupa answered the request to {action} with a body that is not JSON",
                entity=ent.name if ent else "",
            ) from None

    def _record(self, response: requests.Response, action: str, ent: Entity) -> dict[str, Any] | None:
        payload = self._json(response, action, ent)
        if payload is None:
            return None
        if not isinstance(payload, Mapping):
            raise CoupaResponseError(
                f"Coupa answered the request to {action} with a JSON {type(payload).__name__}, not a record",
                entity=ent.name,
            )
        return dict(payload)

    def _fetch_page(self, ent: Entity) -> Callable[[dict[str, str]], list[dict[str, Any]]]:
        action = f"read {ent.name}"

        def fetch(params: dict[str, str]) -> list[dict[str, Any]]:
            # 404 is accepted so an XML-style "No results match your search criteria." reads as empty.
            response = self._entity_call(
                "GET", ent, "", action, params=params, expected=(*range(200, 300), 404)
            )
            with self._lock:
                self.pages += 1
            if response.status_code == 404:
                text = response.content[:2000].decode("utf-8", "replace").lower()
                if "no results" in text:
                    return []
                raise CoupaNotFoundError(
                    f"Coupa has no {ent.path} on {self.base_url} (HTTP 404); is that module enabled?",
                    status=404,
                    entity=ent.name,
                )
            payload = self._json(response, action, ent)
            if payload is None:
                return []
            if not isinstance(payload, list) or not all(isinstance(r, Mapping) for r in payload):
                raise CoupaResponseError(
                    f"Coupa answered a read of {ent.name} with a JSON {type(payload).__name__}, "
                    "not a list of records",
                    entity=ent.name,
                )
            return [dict(r) for r in payload]

        return fetch

    @staticmethod
    def _shape(
        filters: Mapping[str, Any] | None, fields: Sequence[Any] | None, ent: Entity
    ) -> dict[str, str]:
        params = query_params(filters)
        reserved = [
            k for k in params if k in ("limit", "offset") or k.startswith(("id[", f"{ent.updated_arg}["))
        ]
        if reserved:
            raise CoupaInputError(
                f"filters may not set {', '.join(reserved)}: paging and the change window are the client's",
                field="filters",
            )
        if fields is not None:
            wanted = list(fields)
            for required in ("id", ent.updated_field):
                if required not in wanted:
                    wanted.insert(0, required)
            params["fields"] = json.dumps(wanted, separators=(",", ":"))
        return params

    # -- reads ------------------------------------------------------------------------------------

    def iter_changed(
        self,
        entity_name: str,
        start: datetime,
        end: datetime,
        *,
        filters: Mapping[str, Any] | None = None,
        fields: Sequence[Any] | None = None,
        workers: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every ``entity_name`` record whose ``updated-at`` is in ``[start, end)``, page by page.

        Each row is Coupa's JSON object plus ``_updated_at`` (tz-aware UTC). ``filters`` adds Coupa
        query arguments (``{"status[in]": ["approved", "voided"], "exported": False}``); ``fields``
        trims the payload (``id`` and ``updated-at`` are always kept). ``workers`` > 1 reads large
        windows as id ranges with up to that many requests in flight (default: the resource's
        ``read_workers``); rows come in ascending id order either way. A quiet window costs one call.

        A window still open (``end`` in the future) can see a record change during the read; its id
        is remembered so it is yielded once (the version first read).
        """
        ent = entity(entity_name)
        self._require(ent.read_scope, f"read {ent.name}")
        low = aware_utc(start, "start")
        high = aware_utc(end, "end")
        if low > high:
            raise CoupaInputError(
                f"{ent.name}: start {low.isoformat()} is after end {high.isoformat()}", field="start"
            )
        if low == high:
            return iter(())
        params = self._shape(filters, fields, ent)
        piece = Slice(floor_second(low), ceil_second(high))
        pager = SlicePager(
            self._fetch_page(ent),
            params,
            piece,
            limit=self.page_size,
            entity=ent.name,
            updated_arg=ent.updated_arg,
            time_of=lambda row: self._updated_at(ent, row),
        )
        open_window = high > datetime.now(UTC)
        return self._window_rows(ent, pager, low, high, workers or self.read_workers, open_window)

    def _threads_needed(self, since: CallMetrics) -> Callable[[], tuple[int, int]]:
        """How many requests in flight the read can use, judged by the calls made ``since``: (at once,
        sustained). Sustained: the rate times the seconds one call took plus a quarter for headroom;
        at once: that or the pacer's burst, whichever is more (the burst is admitted at once, so a
        read of up to a burst of pages takes two round trips). All of them without a rate limit."""

        def needed() -> tuple[int, int]:
            pacer = self._pacer
            if pacer is None:
                return MAX_READ_WORKERS, MAX_READ_WORKERS
            spent = self.metrics.since(since)
            per_call = spent.seconds / spent.calls if spent.calls else 0.0
            sustained = max(1, math.ceil(pacer.rate * per_call * 1.25))
            return max(pacer.burst, sustained), sustained

        return needed

    @staticmethod
    def _updated_at(ent: Entity, row: dict[str, Any]) -> datetime:
        """The row's change time, parsed once and kept under ``_updated_at``."""
        value = row.get(UPDATED_AT_KEY)
        if isinstance(value, datetime):
            return value
        updated = parse_time(
            row.get(ent.updated_field), entity=ent.name, record_id=row.get("id"), field=ent.updated_field
        )
        row[UPDATED_AT_KEY] = updated
        return updated

    def _window_rows(
        self, ent: Entity, pager: SlicePager, low: datetime, high: datetime, workers: int, dedupe: bool
    ) -> Iterator[dict[str, Any]]:
        seen: set[int] = set()
        for row in read_slices(pager, workers, self._threads_needed(self.metrics.snapshot())):
            updated = self._updated_at(ent, row)
            if not low <= updated < high:
                continue  # the server's whole-second range is wider than the exact window
            if dedupe:
                key = row_id(row, ent.name)
                if key in seen:
                    continue
                seen.add(key)
            yield row

    def iter_all(
        self,
        entity_name: str,
        *,
        filters: Mapping[str, Any] | None = None,
        fields: Sequence[Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of ``entity_name`` matching ``filters``, page by page in id order (rows as
        returned; ``_updated_at`` added when the record has its updated field)."""
        ent = entity(entity_name)
        self._require(ent.read_scope, f"read {ent.name}")
        return self._all_rows(ent, self._shape(filters, fields, ent))

    def _all_rows(self, ent: Entity, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Every row ``params`` select, paged by id, its change time parsed when it has one."""
        pager = SlicePager(
            self._fetch_page(ent), params, Slice(None, None), limit=self.page_size, entity=ent.name
        )
        for row in read_slices(pager, 1):
            if row.get(ent.updated_field):
                self._updated_at(ent, row)
            yield row

    def iter_in(
        self,
        entity_name: str,
        attribute: str,
        values: Sequence[Any],
        *,
        filters: Mapping[str, Any] | None = None,
        fields: Sequence[Any] | None = None,
        chunk: int = MAX_PAGE_SIZE - 1,
    ) -> Iterator[dict[str, Any]]:
        """Every ``entity_name`` record whose ``attribute`` is one of ``values``: Coupa's documented
        ``in`` operator (``number[in]=a,b,c``, reference §2.2), ``chunk`` values to a query, each query
        paged by id like ``iter_all``. Records are read in batches, never one GET each: 49 values that
        Coupa holds once each (supplier numbers, PO numbers, ids) answer in one page shorter than 50, which
        Coupa documents as the last, so each chunk costs one call. ``attribute`` is a query argument
        (``po_number``, ``supplier[number]``, ``id``); ``filters`` add to it."""
        ent = entity(entity_name)
        self._require(ent.read_scope, f"read {ent.name}")
        if not 1 <= chunk <= MAX_PAGE_SIZE * 4:
            raise CoupaInputError(f"chunk must be 1..{MAX_PAGE_SIZE * 4}, got {chunk}", field="chunk")
        if attribute != "id" and attribute.startswith(("id[", f"{ent.updated_arg}[")):
            raise CoupaInputError(f"{attribute!r} is the client's paging or change window", field=attribute)
        wanted = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if "," in "".join(wanted):
            raise CoupaInputError(f"{attribute}[in] values cannot hold a comma (Coupa's list separator)")
        base = self._shape(filters, fields, ent)
        for start in range(0, len(wanted), chunk):
            params = {**base, f"{attribute}[in]": ",".join(wanted[start : start + chunk])}
            yield from self._all_rows(ent, params)

    def iter_created(
        self,
        entity_name: str,
        start: datetime,
        end: datetime,
        *,
        filters: Mapping[str, Any] | None = None,
        fields: Sequence[Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every ``entity_name`` record whose ``created-at`` is in ``[start, end)`` (``created_at[gt_or_eq]``
        / ``created_at[lt]`` on the enclosing whole seconds, the exact bounds applied here), paged by id.
        With ``iter_changed`` it lists what was created or changed in a window: a record created in it
        and changed after it is found by this one."""
        ent = entity(entity_name)
        low, high = aware_utc(start, "start"), aware_utc(end, "end")
        if low >= high:
            return
        window = {"created_at[gt_or_eq]": floor_second(low), "created_at[lt]": ceil_second(high)}
        wanted = list(fields) + ["created-at"] if fields is not None else None
        for row in self.iter_all(ent.name, filters={**(filters or {}), **window}, fields=wanted):
            created = parse_time(
                row.get("created-at"), entity=ent.name, record_id=row.get("id"), field="created-at"
            )
            if low <= created < high:
                yield row

    def search(
        self, entity_name: str, filters: Mapping[str, Any], *, limit: int = 10
    ) -> list[dict[str, Any]]:
        """One page (at most ``limit`` <= 50) of ``entity_name`` records matching ``filters``."""
        ent = entity(entity_name)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise CoupaInputError(f"search limit must be 1..{MAX_PAGE_SIZE}, got {limit}", field="limit")
        params = query_params(filters)
        params["limit"] = str(limit)
        return self._fetch_page(ent)(params)

    def get(self, entity_name: str, id: int | str, *, fields: Sequence[Any] | None = None) -> dict[str, Any]:
        """The record ``id`` of ``entity_name``; ``CoupaNotFoundError`` when there is none. ``fields``
        trims it as ``iter_changed``'s do (``id`` and ``updated-at`` always kept)."""
        ent = entity(entity_name)
        key = self._id(id, ent)
        action = f"read {ent.label} {key}"
        params = self._shape(None, fields, ent) if fields is not None else None
        response = self._entity_call(
            "GET", ent, f"/{key}", action, record=f"{ent.label} id {key}", params=params
        )
        record = self._record(response, action, ent)
        if record is None:
            raise CoupaResponseError(
                f"Coupa answered the request to {action} with an empty body", entity=ent.name
            )
        return record

    @staticmethod
    def _id(value: Any, ent: Entity) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise CoupaInputError(
                f"{ent.label} id must be a positive whole number, got {value!r}", field="id"
            )
        return int(str(value).strip())

    # -- natural-key searches -----------------------------------------------------------------------

    def _unique(self, ent: Entity, matches: list[dict[str, Any]], what: str) -> dict[str, Any] | None:
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches[:10])
            raise CoupaAmbiguousMatchError(
                f"Coupa has {len(matches)} {ent.name} matching {what} (ids {ids}); "
                "cannot tell which one to use",
                entity=ent.name,
                record=what,
            )
        return matches[0] if matches else None

    def find_supplier(
        self, *, number: str | None = None, tax_id: str | None = None, name: str | None = None
    ) -> dict[str, Any] | None:
        """The supplier with this supplier ``number`` (the ERP key), else this ``tax_id``, else this
        ``name`` (Coupa names are unique); None when none matches. Each server answer is checked here
        too (exact number; tax id and name ignoring case and spacing) so a loose server filter cannot
        make us adopt the wrong supplier."""
        ent = ENTITIES["suppliers"]
        if not any(_text(v) for v in (number, tax_id, name)):
            raise CoupaInputError("find_supplier needs a number, tax_id or name", field="number")
        attempts = (
            ("number", number, lambda r: _text(r.get("number")) == _text(number)),
            ("tax_id", tax_id, lambda r: _same_text(r.get("tax-id", r.get("tax_id")), tax_id)),
            ("name", name, lambda r: _same_text(r.get("name"), name)),
        )
        for arg, value, same in attempts:
            if not _text(value):
                continue
            rows = self.search("suppliers", {arg: str(value).strip()}, limit=10)
            found = self._unique(
                ent, [r for r in rows if same(r)], f"supplier {arg.replace('_', ' ')} {value!r}"
            )
            if found is not None:
                return found
        return None

    def find_purchase_order(self, po_number: str) -> dict[str, Any] | None:
        """The purchase order with this ``po-number`` (unique in Coupa), or None."""
        if not _text(po_number):
            raise CoupaInputError("find_purchase_order needs a po_number", field="po-number")
        rows = self.search("purchase_orders", {"po_number": str(po_number).strip()}, limit=10)
        same = [r for r in rows if _text(r.get("po-number", r.get("po_number"))) == _text(po_number)]
        return self._unique(ENTITIES["purchase_orders"], same, f"purchase order {po_number}")

    def find_invoice(self, invoice_number: str, supplier: Mapping[str, Any]) -> dict[str, Any] | None:
        """The invoice with this ``invoice-number`` from this supplier (``{id}``, ``{number}`` or
        ``{name}``); numbers are only unique per supplier, so the supplier is required."""
        if not _text(invoice_number):
            raise CoupaInputError("find_invoice needs an invoice_number", field="invoice-number")
        ref = _supplier_ref(supplier, f"invoice {invoice_number}")
        filters: dict[str, Any] = {"invoice_number": str(invoice_number).strip()}
        for key in ("id", "number", "name"):
            if ref.get(key) not in (None, ""):
                filters[f"supplier[{key}]"] = ref[key]
                break
        rows = self.search("invoices", filters, limit=10)

        def same(row: Mapping[str, Any]) -> bool:
            theirs = row.get("supplier") if isinstance(row.get("supplier"), Mapping) else {}
            if _text(row.get("invoice-number", row.get("invoice_number"))) != _text(invoice_number):
                return False
            for key in ("id", "number", "name"):
                if ref.get(key) not in (None, "") and theirs.get(key) not in (None, ""):
                    return _same_text(theirs[key], ref[key])
            return True

        what = f"invoice {invoice_number} of {_describe_supplier(ref)}"
        return self._unique(ENTITIES["invoices"], [r for r in rows if same(r)], what)

    def find_account(self, code: str, *, account_type: str | int | None = None) -> dict[str, Any] | None:
        """The account with this ``code`` (segments joined by ``-``), within the chart of accounts
        ``account_type`` (its name or id) when given; codes are only unique per chart."""
        if not _text(code):
            raise CoupaInputError("find_account needs a code", field="code")
        filters: dict[str, Any] = {"code": str(code).strip()}
        if isinstance(account_type, int):
            filters["account_type[id]"] = account_type
        elif _text(account_type):
            filters["account_type[name]"] = str(account_type).strip()
        rows = self.search("accounts", filters, limit=10)
        same = [r for r in rows if _same_text(r.get("code"), code)]
        what = f"account {code}" + (f" in chart {account_type}" if account_type is not None else "")
        return self._unique(ENTITIES["accounts"], same, what)

    def find_lookup_value(
        self,
        lookup: str,
        *,
        external_ref_code: str | None = None,
        external_ref_num: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any] | None:
        """The value of lookup ``lookup`` (by name) with this ``external_ref_code`` (its hierarchical
        path, e.g. ``00001-4000-6300``, the one unique key), or this ``external_ref_num`` (the GL
        value) and/or ``name``. A number repeats under every parent of a hierarchy, so a search by
        number alone may be ambiguous (``CoupaAmbiguousMatchError``)."""
        keys = {"external_ref_code": external_ref_code, "external_ref_num": external_ref_num, "name": name}
        given = {k: str(v).strip() for k, v in keys.items() if _text(v)}
        if not _text(lookup) or not given:
            raise CoupaInputError(
                "find_lookup_value needs a lookup and an external_ref_code, external_ref_num or name",
                field="lookup",
            )
        filters: dict[str, Any] = {"lookup[name]": str(lookup).strip(), **given}
        rows = self.search("lookup_values", filters, limit=MAX_PAGE_SIZE)

        def same(row: Mapping[str, Any]) -> bool:
            for key, value in given.items():
                theirs = row.get(key.replace("_", "-"), row.get(key))
                if not (_same_text(theirs, value) if key == "name" else _text(theirs) == value):
                    return False
            return True

        what = f"lookup value {' '.join(given.values())!r} of lookup {lookup!r}"
        return self._unique(ENTITIES["lookup_values"], [r for r in rows if same(r)], what)

    @staticmethod
    def find_invoice_payment(
        invoice: Mapping[str, Any], *, notes: str, amount: Decimal | int | str | None = None
    ) -> dict[str, Any] | None:
        """The payment on ``invoice`` (a record as read) whose ``notes`` (or the deprecated
        ``check-number``) is ``notes`` and, when given, whose ``amount-paid`` equals ``amount``."""
        if not _text(notes):
            raise CoupaInputError("find_invoice_payment needs the payment's notes (e.g. the check number)")
        wanted = _amount(amount) if amount is not None else None
        for payment in invoice.get("payments") or []:
            if not isinstance(payment, Mapping):
                continue
            said = payment.get("notes") or payment.get("check-number") or payment.get("check_number")
            if _text(said) != _text(notes):
                continue
            if (
                wanted is not None
                and _amount(payment.get("amount-paid", payment.get("amount_paid"))) != wanted
            ):
                continue
            return dict(payment)
        return None

    # -- writes -----------------------------------------------------------------------------------

    def _create(
        self, ent: Entity, body: dict[str, Any], record: str, refind: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        action = f"create {record}"
        response = self._entity_call("POST", ent, "", action, record=record, body=body, idempotent=False)
        created = self._record(response, action, ent)
        if created is not None and created.get("id") is not None:
            log.info("coupa: created %s (id %s)", record, created.get("id"))
            return created
        # A 2xx without the record (an instance whose default is return_object=none): look it up.
        found = refind()
        if found is not None:
            return found
        raise CoupaOutcomeUnknownError(
            f"Coupa accepted the request to {action} (HTTP {response.status_code}) but returned no record "
            "and a search by its natural key finds none",
            status=response.status_code,
            entity=ent.name,
            record=record,
        )

    def _update(
        self, ent: Entity, id: int | str, fields: Mapping[str, Any], record: str, *, appends: bool
    ) -> dict[str, Any]:
        key = self._id(id, ent)
        label = f"{record} (id {key})" if record else f"{ent.label} id {key}"
        body = request_body(fields, label)
        action = f"update {label}"
        response = self._entity_call(
            "PUT", ent, f"/{key}", action, record=label, body=body, idempotent=not appends
        )
        return self._record(response, action, ent) or self.get(ent.name, key)

    def create_supplier(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create a supplier (``name`` required, at most 100 characters; ``number`` is the ERP key).

        Coupa makes a supplier without ``status`` a *draft* (quirk 8), which cannot take orders, so
        ``status`` defaults to ``active`` here; pass ``status`` to choose otherwise.
        """
        record = self._supplier_label(fields)
        body = request_body(fields, record)
        _check_length(body.get("name"), 100, "name", record)
        body.setdefault("status", "active")
        return self._create(ENTITIES["suppliers"], body, record, lambda: self._refind_supplier(body))

    def update_supplier(self, id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change supplier ``id`` (inactivate with ``{"status": "inactive"}``: Coupa has no DELETE)."""
        if "name" in fields:
            _check_length(fields.get("name"), 100, "name", self._supplier_label(fields))
        return self._update(ENTITIES["suppliers"], id, fields, self._supplier_label(fields), appends=False)

    @staticmethod
    def _supplier_label(fields: Mapping[str, Any]) -> str:
        number, name = _text(fields.get("number")), _text(fields.get("name"))
        parts = [f"number {number}" if number else "", repr(name) if name else ""]
        return "supplier " + " ".join(p for p in parts if p) if any(parts) else "supplier"

    def _refind_supplier(self, fields: Mapping[str, Any]) -> dict[str, Any] | None:
        return self.find_supplier(
            number=fields.get("number"), tax_id=_first(fields, "tax-id", "tax_id"), name=fields.get("name")
        )

    def create_purchase_order(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create an *external* purchase order (the only kind the API creates, §2.4) with its lines.

        ``po-number`` (at most 20 characters), ``supplier`` (``{id}``/``{number}``/``{name}``) and
        ``order-lines`` are required; each line names its ``account`` (``{code}`` or ``{id}``).
        ``type`` is set to ``ExternalOrderHeader``.
        """
        po_number = _first(fields, "po-number", "po_number")
        record = f"purchase order {_text(po_number) or '?'}"
        body = request_body(fields, record)
        _check_length(po_number, 20, "po-number", record)
        _supplier_ref(body.get("supplier"), record)
        kind = body.setdefault("type", "ExternalOrderHeader")
        if kind != "ExternalOrderHeader":
            raise CoupaInputError(
                f"{record}: field type is {kind!r}; the API only creates ExternalOrderHeader orders",
                field="type",
            )
        if not _lines(body, ("order-lines", "order_lines"), record):
            raise CoupaInputError(f"{record}: field order-lines needs at least one line", field="order-lines")
        return self._create(
            ENTITIES["purchase_orders"], body, record, lambda: self.find_purchase_order(str(po_number))
        )

    def update_purchase_order(self, id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change purchase order ``id``; a line with ``id`` is updated, one without is added (so this
        call is then not replayed after a lost answer), ``{"id": n, "_delete": true}`` removes one."""
        po_number = _first(fields, "po-number", "po_number")
        record = f"purchase order {po_number}" if _text(po_number) else ""
        appends = _appends(fields, ("order-lines", "order_lines"))
        return self._update(ENTITIES["purchase_orders"], id, fields, record, appends=appends)

    def create_invoice(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Create an invoice (Coupa creates it in *draft*): ``invoice-number`` (at most 40
        characters), ``supplier``, ``invoice-date`` (a date: Coupa wants no time) and lines, each with
        ``description``, ``price`` and ``account`` (documented as required, §2.5)."""
        number = _first(fields, "invoice-number", "invoice_number")
        supplier = fields.get("supplier")
        record = f"invoice {_text(number) or '?'}"
        if isinstance(supplier, Mapping):
            record += f" of {_describe_supplier(supplier)}"
        _check_length(number, 40, "invoice-number", record)
        ref = _supplier_ref(supplier, record)
        invoice_date = _first(fields, "invoice-date", "invoice_date")
        if isinstance(invoice_date, datetime) or (isinstance(invoice_date, str) and "T" in invoice_date):
            raise CoupaInputError(
                f"{record}: field invoice-date is {invoice_date!s}; send a date only (Coupa would move a "
                "time into its own zone and may change the day)",
                field="invoice-date",
            )
        if invoice_date in (None, ""):
            raise CoupaInputError(f"{record}: field invoice-date is required", field="invoice-date")
        body = request_body(fields, record)
        lines = _lines(body, ("invoice-lines", "invoice_lines"), record)
        if not lines:
            raise CoupaInputError(
                f"{record}: field invoice-lines needs at least one line", field="invoice-lines"
            )
        for index, line in enumerate(lines, start=1):
            for required in ("description", "price", "account"):
                if line.get(required) in (None, "", {}):
                    raise CoupaInputError(
                        f"{record}: invoice-lines[{index}].{required} is required",
                        field=f"invoice-lines[{index}].{required}",
                    )
        return self._create(ENTITIES["invoices"], body, record, lambda: self.find_invoice(str(number), ref))

    def update_invoice(self, id: int | str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change invoice ``id`` (header and lines only while draft/new/invalid, Coupa's rule)."""
        if isinstance(_first(fields, "invoice-date", "invoice_date"), datetime):
            raise CoupaInputError(f"invoice id {id}: field invoice-date must be a date, not a datetime")
        appends = _appends(fields, ("invoice-lines", "invoice_lines", "payments"))
        return self._update(ENTITIES["invoices"], id, fields, "", appends=appends)

    def record_invoice_payment(
        self,
        invoice_id: int | str,
        *,
        amount: Decimal | int | str,
        payment_date: date,
        notes: str,
        paid: bool | None = None,
    ) -> dict[str, Any]:
        """Record an ERP payment onto invoice ``invoice_id`` (§2.6 item 1: a PUT that *appends* to
        ``payments``, so it is sent once and never replayed). ``notes`` carries the check / payment
        number and is how ``find_invoice_payment`` recognises it later; ``paid`` sets the header flag."""
        ent = ENTITIES["invoices"]
        key = self._id(invoice_id, ent)
        record = f"payment {notes!r} on invoice id {key}"
        if not _text(notes):
            raise CoupaInputError(f"{record}: notes (the check or payment number) is required", field="notes")
        if isinstance(payment_date, datetime) or not isinstance(payment_date, date):
            raise CoupaInputError(f"{record}: payment_date must be a date", field="payment-date")
        entry = {"amount-paid": amount, "notes": notes, "payment-date": payment_date}
        fields: dict[str, Any] = {"payments": [entry]}
        if paid is not None:
            fields.update({"paid": paid, "payment-date": payment_date, "payment-notes": notes})
        body = request_body(fields, record)
        if _amount(body["payments"][0]["amount-paid"]) is None:
            raise CoupaInputError(f"{record}: amount {amount!r} is not a number", field="amount-paid")
        action = f"record {record}"
        response = self._entity_call(
            "PUT", ent, f"/{key}", action, record=record, body=body, idempotent=False
        )
        return self._record(response, action, ent) or self.get("invoices", key)

    def mark_exported(self, entity_name: str, id: int | str) -> dict[str, Any]:
        """Mark a record exported (§2.8: ``PUT ...?exported=true``, a request of its own; other fields
        sent with it may be ignored). Setting a flag is idempotent, so it may be retried."""
        if entity_name not in EXPORT_MARKABLE:
            raise CoupaInputError(
                f"only {', '.join(EXPORT_MARKABLE)} can be marked exported, not {entity_name!r}",
                field="entity",
            )
        ent = ENTITIES[entity_name]
        key = self._id(id, ent)
        action = f"mark {ent.label} {key} exported"
        marked = {"exported": "true"}
        record = f"{ent.label} id {key}"
        response = self._entity_call(
            "PUT", ent, f"/{key}", action, record=record, params=marked, idempotent=True
        )
        return self._record(response, action, ent) or self.get(entity_name, key)

    def purchase_order_action(self, id: int | str, action: str) -> dict[str, Any]:
        """A purchase-order state action (``issue``, ``cancel``, ``close``, ...; §2.4). Not replayed
        after a lost answer: re-read the status instead."""
        return self._action(ENTITIES["purchase_orders"], id, action, PO_ACTIONS)

    def invoice_action(self, id: int | str, action: str) -> dict[str, Any]:
        """An invoice state action (``submit``, ``void``, ``abandon``, ...; §2.5)."""
        return self._action(ENTITIES["invoices"], id, action, INVOICE_ACTIONS)

    def _action(self, ent: Entity, id: int | str, action: str, allowed: frozenset[str]) -> dict[str, Any]:
        if action not in allowed:
            raise CoupaInputError(
                f"{ent.label} action {action!r} is not one of {', '.join(sorted(allowed))}", field="action"
            )
        key = self._id(id, ent)
        what = f"{action} {ent.label} {key}"
        response = self._entity_call(
            "PUT", ent, f"/{key}/{action}", what, record=f"{ent.label} id {key}", idempotent=False
        )
        return self._record(response, what, ent) or self.get(ent.name, key)
