"""``FusionSession``: one authenticated HTTP client for a batch of Oracle Fusion calls, reads and writes.

**Every call** sends ``REST-Framework-Version`` explicitly (so a pod's default cannot change behaviour,
quirk 5) and builds ``q`` for that version (``query``). Answers are parsed with ``parse_float=Decimal``.
Item URLs are never built from ids (quirk 6: keys may be hashes): an item is reached through the
``self`` link of an answer, and a record known only by id is first found with ``q=<key>=<id>``.

**Reads.** ``iter_changed(entity, start, end)`` streams the records whose ``LastUpdateDate`` is in
``[start, end)`` with the pod's own filter (``q`` on ``LastUpdateDate``), ``onlyData=true`` and the
entity's lines expanded inline, page by page (``paging.read_window``: re-anchored offsets, overlap
check, silent page cap). ``iter_all`` reads reference data without a change stamp (account
combinations). ``search`` / ``find_*`` look records up by natural key and re-check every condition on
the answers, so a wildcard or case quirk of the pod cannot make the client adopt the wrong record.

**Writes.** No Fusion API takes an idempotency key, so a create is sent **once** (the HTTP core never
replays a POST after an ambiguous failure; 429/503 refusals are replayed, the pod did no work) and a
lost answer becomes ``FusionOutcomeUnknownError``. Searching by natural key first, creating only when
nothing is found and adopting what an earlier attempt created is the flows' business (``write_one``);
the client offers the searches (``find_*``) and the raw creates. PATCH sets attribute values, so
replaying it is harmless and it is retried like a read.

**Actions.** ``submit_draft_purchase_order`` and ``validate_invoice`` POST with the action media type
(``application/vnd.oracle.adf.action+json``; a pod refuses JSON there with 415). Validation names the
invoice by number, business unit and supplier (the action's documented parameters; it takes no id), is
safe to repeat and is replayed like a read. A submit is not (a pod refuses a second one), so it is made safe
the other way round: the draft is looked up first and an order already past ``INCOMPLETE`` is answered
as it stands, which is what a retry after a lost answer or a crash finds.

**Optimistic locking.** ``get_with_etag`` reads an item through its self link with the ``ETag`` the pod
sends; a record a search or list answered with its links carries the same value as its self link's
``changeIndicator`` (``answered_etag``), so it needs no read of its own; ``update_with_etag`` PATCHes with
``If-Match``, re-reads and retries once on 412 (recomputing the
changes when given a ``build_changes``), then raises ``FusionConflictError`` for the flow to queue:
someone else's edit in Fusion is never overwritten.

**Upsert-Mode is never sent.** ``Upsert-Mode: true`` turns a POST into create-or-update, but the key it
matches on for invoices and draft purchase orders is not documented (reference 2.1 lists the header
only), so a create it does not match would add a second invoice or order: the very duplicate it is
meant to avoid. Every create already follows a natural-key search (``find_invoice``,
``find_purchase_order``) and adopts what it finds, and updates go by self link with ``If-Match``, so
the header would add risk and no safety. A test proves no request carries it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests

from connector_resources.base import SaasSession
from connector_resources.fusion.entities import CHANGE_TRACKED, Entity, entity
from connector_resources.fusion.errors import (
    FusionAmbiguousMatchError,
    FusionAuthError,
    FusionConflictError,
    FusionError,
    FusionInputError,
    FusionNotFoundError,
    FusionOutcomeUnknownError,
    FusionPermissionError,
    FusionQueryError,
    FusionRateLimitError,
    FusionResponseError,
    FusionUnavailableError,
    FusionValidationError,
    parse_error_body,
)
from connector_resources.fusion.paging import Page, parse_page, read_offsets, read_window
from connector_resources.fusion.payloads import (
    DraftPurchaseOrder,
    Invoice,
    attribute_names,
    changes_payload,
    without_unconfirmed,
)
from connector_resources.fusion.query import (
    TIMESTAMP_STYLES,
    TimestampStyle,
    as_utc,
    ceil_to,
    check_attribute,
    equals_q,
    finder,
    floor_to,
    in_q,
    window_q,
)
from connector_resources.http import (
    ApiError,
    AuthenticationError,
    CallMetrics,
    HttpClient,
    RateLimitedError,
    ServerError,
    TransportError,
)
from connector_resources.redaction import get_logger

log = get_logger("ml_connector.fusion")

# Oracle clients ask for the structured error form too; pods that do not offer it send text anyway.
ACCEPT = "application/json, application/vnd.oracle.adf.error+json"
CONTENT_TYPE = "application/json"
# Custom actions (submit, validateInvoice) take their own media type (reference 2.1); JSON is refused.
ACTION_CONTENT_TYPE = "application/vnd.oracle.adf.action+json"
# Order statuses that mean "still a draft": submitting it is still to do. StatusCode is an unconfirmed
# name (reference 2.4); ``_status_code`` falls back to the display Status.
DRAFT_STATUSES = frozenset({"INCOMPLETE"})
# validateInvoice's ProcessAction: the one value Oracle documents (op-invoices-action-validateinvoice-post).
VALIDATE_ACTION = "Validate"
# What ``validate_invoice`` reads after the action: "result" (the action's answer only) or "status" (the
# invoice's ValidationStatus too, one more read per invoice).
VALIDATION_CHECKS = ("result", "status")
# Keys per `in (...)` list query (``ML_FUSION_IN_LIST_KEYS``). Oracle documents no URL length limit; 100
# ids of 15 digits keep the URL near 2 KB, far under the 8 KB request line web servers commonly allow.
IN_LIST_KEYS = 100
Kind = Literal["read", "write"]


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None


def _body(payload: Mapping[str, Any]) -> str:
    # Decimals were turned into strings by the payload builders; anything left is a plain JSON value.
    return json.dumps(payload, ensure_ascii=False, default=str)


def self_link(record: Mapping[str, Any]) -> str | None:
    """The ``self`` (else ``canonical``) href of a record as the pod returned it."""
    links = record.get("links")
    if not isinstance(links, list):
        return None
    for rel in ("self", "canonical"):
        for link in links:
            if isinstance(link, dict) and link.get("rel") == rel and isinstance(link.get("href"), str):
                return link["href"]
    return None


def answered_etag(record: Mapping[str, Any]) -> str | None:
    """The ``ETag`` of a record as a collection or item answer showed it, for ``If-Match`` without a read of
    its own: Oracle gives the ETag value in the body too, as the ``self`` link's ``changeIndicator``
    (framework versions before 6; sent quoted, as the header is) or in the record's ``@context`` (6 and
    later), reference §2.1. None when the answer had neither (``onlyData=true`` drops the links)."""
    context = record.get("@context")
    headers = context.get("headers") if isinstance(context, dict) else None
    if isinstance(headers, dict) and isinstance(headers.get("ETag"), str) and headers["ETag"]:
        return headers["ETag"]
    links = record.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == "self":
            properties = link.get("properties")
            token = properties.get("changeIndicator") if isinstance(properties, dict) else None
            return f'"{token}"' if isinstance(token, str) and token else None
    return None


def child_link(record: Mapping[str, Any], child: str) -> str | None:
    """The href of a record's ``child`` link named ``child``."""
    links = record.get("links")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == "child" and link.get("name") == child:
            href = link.get("href")
            return href if isinstance(href, str) else None
    return None


def _as_list(value: Any) -> tuple[list[Any] | None, bool]:
    """An expanded child as a list, and whether it is complete.

    Framework versions 1-2 inline children as arrays; 3 and later as collection objects
    ``{"items", "count", "hasMore", ...}`` (quirk 15), which a pod may page.
    """
    if isinstance(value, list):
        return value, True
    if isinstance(value, dict) and isinstance(value.get("items"), list):
        return value["items"], value.get("hasMore") is not True
    return None, True


def _flatten_children(row: dict[str, Any]) -> list[str]:
    """Replace every expanded child collection in ``row`` (any depth) by a plain list; return the names
    of first-level children the pod cut short."""
    incomplete: list[str] = []
    for name, value in list(row.items()):
        items, complete = _as_list(value)
        if items is None:
            continue
        for item in items:
            if isinstance(item, dict):
                deeper = _flatten_children(item)
                if deeper:
                    raise FusionResponseError(
                        f"the pod cut expanded children {', '.join(deeper)} under {name} short; "
                        "expand fewer levels"
                    )
        row[name] = items
        if not complete:
            incomplete.append(name)
    return incomplete


@dataclass(frozen=True)
class Validation:
    """What a validation answered: the pod's ``result`` (Oracle documents a confirmation message, e.g.
    "The current action Validate Invoice has completed successfully.") and, when read, the invoice's
    ``ValidationStatus`` after it (``Validated``, ``Needs revalidation`` ...; None when not read)."""

    result: str
    status: str | None = None

    @property
    def held(self) -> bool:
        """Whether the invoice is known not to be validated (a status was read and is not Validated)."""
        return self.status is not None and self.status.strip().lower() != "validated"

    def __str__(self) -> str:
        return f"{self.result} (ValidationStatus {self.status})" if self.status else self.result


class FusionSession(SaasSession):
    """An authenticated Oracle Fusion client for one batch. Build it with ``FusionResource.session()``.

    ``metrics`` counts every HTTP attempt (token requests and retries included), ``pages`` the
    collection pages read.
    """

    ENTITIES = dict(CHANGE_TRACKED)
    # entity -> the attribute that identifies its records (Fusion has no generic "id").
    KEYS = {name: entity(name).key for name in CHANGE_TRACKED}

    def __init__(
        self,
        http: HttpClient,
        *,
        rest_root: str,
        framework_version: int,
        page_size: int,
        business_unit: str,
        max_restarts: int = 10,
        send_unconfirmed: frozenset[str] = frozenset(),
        validation_check: str = "result",
        in_list_keys: int = IN_LIST_KEYS,
    ) -> None:
        if framework_version < 1:
            raise FusionInputError(f"framework_version must be 1 or more, got {framework_version}")
        if page_size < 2:
            # One row of every page after the first repeats the previous page's last row (paging).
            raise FusionInputError(f"page_size must be at least 2, got {page_size}", field="page_size")
        self.http = http
        self.rest_root = rest_root.rstrip("/")
        self.framework_version = framework_version
        self.page_size = page_size
        self.business_unit = business_unit
        self.max_restarts = max_restarts
        # Unconfirmed attributes the operator says this pod accepts (payloads.UNCONFIRMED_WRITES).
        self.send_unconfirmed = send_unconfirmed
        if validation_check not in VALIDATION_CHECKS:
            raise FusionInputError(
                f"validation_check must be one of {', '.join(VALIDATION_CHECKS)}, got {validation_check!r}",
                field="validation_check",
            )
        self.validation_check = validation_check
        if in_list_keys < 1:
            raise FusionInputError(
                f"in_list_keys must be 1 or more, got {in_list_keys}", field="in_list_keys"
            )
        self.in_list_keys = in_list_keys
        # Which q timestamp literal the pod accepts, learnt on the first change read (query module).
        self.timestamp_style: TimestampStyle | None = None
        # Drafts created and not yet submitted, as the create answered them (``submit_draft_purchase_order``).
        self._created_drafts: dict[str, dict[str, Any]] = {}

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def metrics(self) -> CallMetrics:
        return self.http.metrics

    def close(self) -> None:
        self.http.close()

    def __repr__(self) -> str:
        return f"FusionSession(root={self.rest_root!r}, framework_version={self.framework_version})"

    def _url(self, spec: Entity) -> str:
        return f"{self.rest_root}/{spec.resource}"

    def _local(self, href: str) -> str:
        """An href from an answer, pointed at the configured pod origin.

        A pod behind a proxy or load balancer may write links with its own host name; credentials must
        only ever go to the configured host, so the path is kept and the origin replaced.
        """
        parts = urlsplit(href)
        base = urlsplit(self.http.base_url)
        if not parts.scheme:
            return self.http.resolve_url(href)
        if (parts.scheme, parts.netloc.lower()) == (base.scheme, base.netloc.lower()):
            return href
        log.debug("link on %s rewritten to the configured pod %s", parts.netloc, base.netloc)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def _headers(self, content_type: str | None = None) -> dict[str, str]:
        headers = {"REST-Framework-Version": str(self.framework_version), "Accept": ACCEPT}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def _write(
        self,
        method: str,
        url: str,
        what: str,
        spec: Entity,
        label: str,
        payload: Mapping[str, Any],
        **options: Any,
    ) -> requests.Response:
        """A write ``_call`` on ``spec``: ``what`` it does and ``label`` (the record) name it in errors."""
        return self._call(
            method, url, kind="write", what=what, spec=spec, record=label, payload=payload, **options
        )

    def _call(
        self,
        method: str,
        url: str,
        *,
        kind: Kind,
        what: str,
        spec: Entity | None = None,
        record: str = "",
        params: Mapping[str, Any] | None = None,
        payload: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
        extra_headers: Mapping[str, str] | None = None,
        content_type: str = CONTENT_TYPE,
    ) -> requests.Response:
        """One request with Fusion's errors translated into the typed ``FusionError`` family."""
        headers = self._headers(content_type if payload is not None else None)
        headers.update(extra_headers or {})
        try:
            return self.http.request(
                method,
                url,
                params=dict(params or {}),
                data=_body(payload).encode("utf-8") if payload is not None else None,
                headers=headers,
                idempotent=idempotent,
            )
        except ApiError as exc:
            raise self._translate(
                exc, kind=kind, what=what, spec=spec, record=record, payload=payload
            ) from None

    def _translate(
        self,
        exc: ApiError,
        *,
        kind: Kind,
        what: str,
        spec: Entity | None,
        record: str,
        payload: Mapping[str, Any] | None,
    ) -> FusionError:
        name = spec.name if spec else ""
        subject = record or what
        known = attribute_names(payload) if payload is not None else set()
        body = parse_error_body(exc.response, known) if exc.response is not None else None
        said = body.describe() if body else (exc.detail or exc.reason or type(exc).__name__)
        status = exc.status
        where = f"{exc.method} {exc.url}"
        common = {"status": status, "entity": name, "record": record}
        if isinstance(exc, RateLimitedError):
            return FusionRateLimitError(
                f"fusion: {subject}: the pod kept answering 429 (throttled) after {exc.attempts} attempts; "
                f"try again later ({where})",
                retry_after=exc.retry_after,
                **common,
            )
        if isinstance(exc, AuthenticationError):
            return FusionAuthError(
                f"fusion: {subject}: credentials refused (HTTP {status or '-'}): {said}; check the client id "
                f"and secret (OAuth) or user and password (basic) and the token URL ({where})",
                **common,
            )
        if isinstance(exc, TransportError):
            if kind == "write":
                return FusionOutcomeUnknownError(
                    f"fusion: {subject}: no answer to {exc.method} ({exc.detail}); the pod may have created "
                    "it: search by its natural key before trying again",
                    **common,
                )
            return FusionUnavailableError(
                f"fusion: {subject}: the pod did not answer: {exc.detail} ({where})", **common
            )
        if isinstance(exc, ServerError):
            maintenance = body is not None and body.kind == "html" and status == 503
            if kind == "write" and status != 503:
                return FusionOutcomeUnknownError(
                    f"fusion: {subject}: HTTP {status} from {exc.method} ({said}); the pod may have created "
                    "it: search by its natural key before trying again",
                    **common,
                )
            hint = " (a maintenance window?)" if maintenance else ""
            return FusionUnavailableError(
                f"fusion: {subject}: the pod is unavailable{hint}: HTTP {status} after {exc.attempts} "
                f"attempts: {said} ({where})",
                **common,
            )
        messages = body.messages if body else ()
        if status == 403:
            return FusionPermissionError(
                f"fusion: {subject}: HTTP 403, the Fusion user lacks the role for "
                f"{spec.resource if spec else 'this resource'}: {said}",
                **common,
            )
        if status == 404:
            return FusionNotFoundError(f"fusion: {subject}: not found (HTTP 404): {said} ({where})", **common)
        if status == 412:
            return FusionConflictError(
                f"fusion: {subject}: changed since it was read (HTTP 412); read it again and retry", **common
            )
        if status == 414:  # the pod's web server, before Fusion: an `in (...)` list too long for its URL
            return FusionQueryError(
                f"fusion: {subject}: the pod's web server refused the URL as too long (HTTP 414): {said}; "
                "lower ML_FUSION_IN_LIST_KEYS",
                **common,
            )
        if status == 400 and kind == "write":
            named = sorted({m.field for m in messages if m.field})
            tail = f" [fields: {', '.join(named)}]" if named else ""
            return FusionValidationError(
                f"fusion: {subject} refused by the pod (HTTP 400): {said}{tail}", messages=messages, **common
            )
        if status == 400:
            return FusionQueryError(
                f"fusion: {subject}: the pod refused the query (HTTP 400): {said} ({where})",
                messages=messages,
                **common,
            )
        return FusionError(f"fusion: {subject}: HTTP {status}: {said} ({where})", **common)

    def _get_json(self, url: str, params: Mapping[str, Any], *, what: str, spec: Entity | None) -> Any:
        response = self._call("GET", url, kind="read", what=what, spec=spec, params=params)
        payload = _json(response)
        if payload is None:
            raise FusionResponseError(
                f"fusion: {what}: the answer is not JSON (HTTP {response.status_code}, "
                f"{response.headers.get('Content-Type', 'no content type')})",
                entity=spec.name if spec else "",
            )
        return payload

    def _page(self, url: str, params: Mapping[str, Any], *, what: str, spec: Entity | None) -> Page:
        page = parse_page(self._get_json(url, params, what=what, spec=spec), f"fusion: {what}")
        self.pages += 1
        return page

    def _expand_params(self, children: Sequence[str]) -> dict[str, str]:
        for child in children:
            for part in child.split("."):
                check_attribute(part)
        return {"expand": ",".join(children)} if children else {}

    # -- reads ------------------------------------------------------------------------------------

    def iter_changed(
        self,
        entity_name: str,
        start: datetime,
        end: datetime,
        *,
        expand: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of ``entity_name`` whose ``LastUpdateDate`` is in ``[start, end)`` (aware datetimes),
        streamed page by page, with its lines inline (``expand``, default the entity's children) as
        plain lists. Each row is the pod's JSON object plus ``_updated_at`` (aware UTC datetime)."""
        spec = entity(entity_name)
        if spec.updated is None:
            raise FusionInputError(
                f"{spec.name} has no change stamp; read it whole with iter_all",
                field="entity",
                entity=spec.name,
            )
        low, high = as_utc(start, "start"), as_utc(end, "end")
        if high <= low:
            if high < low:
                raise FusionInputError(f"window end {high.isoformat()} is before its start {low.isoformat()}")
            return
        children = tuple(spec.children if expand is None else expand)
        pages_before, rows = self.pages, 0
        label = f"fusion {spec.name}"
        style, first = self._first_window_page(spec, low, high, children)
        fetch = self._window_fetcher(spec, high, style, children)
        for row, stamp in read_window(
            fetch,
            first_page=first,
            key=spec.key,
            updated=spec.updated,
            start=low,
            end=high,
            style=style,
            label=label,
            max_restarts=self.max_restarts,
        ):
            incomplete = _flatten_children(row)
            for child in incomplete:
                row[child] = list(self.iter_children(spec.name, row, child))
            row["_updated_at"] = stamp
            rows += 1
            yield row
        log.info(
            "%s changed in [%s, %s): %d row(s) in %d page(s) (q literal %s, framework v%d)",
            label,
            low.isoformat(),
            high.isoformat(),
            rows,
            self.pages - pages_before,
            style,
            self.framework_version,
        )

    def _window_params(
        self,
        spec: Entity,
        low: datetime,
        high: datetime,
        style: TimestampStyle,
        children: Sequence[str],
        offset: int,
    ) -> dict[str, Any]:
        assert spec.updated is not None
        return {
            "q": window_q(spec.updated, low, ceil_to(high, style), style, self.framework_version),
            "orderBy": f"{spec.updated}:asc,{spec.key}:asc",
            "limit": self.page_size,
            "offset": offset,
            "onlyData": "true",
            **self._expand_params(children),
        }

    def _first_window_page(
        self, spec: Entity, low: datetime, high: datetime, children: Sequence[str]
    ) -> tuple[TimestampStyle, Page]:
        """The first page of a change read, trying timestamp literal forms until the pod takes one."""
        styles = (self.timestamp_style,) if self.timestamp_style else TIMESTAMP_STYLES
        refusals: list[FusionQueryError] = []
        for style in styles:
            params = self._window_params(spec, floor_to(low, style), high, style, children, 0)
            try:
                page = self._page(self._url(spec), params, what=f"{spec.name} changed", spec=spec)
            except FusionQueryError as exc:
                refusals.append(exc)
                log.info("fusion %s: the pod refused %s timestamp literals in q: %s", spec.name, style, exc)
                continue
            self.timestamp_style = style
            return style, page
        first, last = refusals[0], refusals[-1]
        raise FusionQueryError(
            f"fusion: {spec.name}: the pod refused a {spec.updated} window in every timestamp form "
            f"({', '.join(styles)}); first answer: {first}"
            + (f"; last answer: {last}" if last is not first else ""),
            messages=first.messages,
            status=400,
            entity=spec.name,
        )

    def _window_fetcher(self, spec: Entity, high: datetime, style: TimestampStyle, children: Sequence[str]):
        def fetch(low: datetime, offset: int) -> Page:
            params = self._window_params(spec, low, high, style, children, offset)
            return self._page(self._url(spec), params, what=f"{spec.name} changed", spec=spec)

        return fetch

    def iter_all(
        self,
        entity_name: str,
        *,
        where: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        expand: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Every record of ``entity_name`` (optionally ``where`` attributes equal values), ordered by key,
        page by page (``onlyData=true``). For reference data without a change stamp."""
        spec = entity(entity_name)
        params: dict[str, Any] = {"orderBy": f"{spec.key}:asc", "limit": self.page_size, "onlyData": "true"}
        skipped: dict[str, Any] = {}
        if where:
            q, skipped = equals_q(where, self.framework_version)
            if q:
                params["q"] = q
        if fields:
            params["fields"] = ",".join(check_attribute(f) for f in dict.fromkeys([spec.key, *fields]))
        params.update(self._expand_params(expand))

        def fetch(offset: int) -> Page:
            return self._page(
                self._url(spec), {**params, "offset": offset}, what=f"{spec.name} list", spec=spec
            )

        for row in read_offsets(fetch, key=spec.key):
            if all(_same(row.get(name), value) for name, value in skipped.items()):
                _flatten_children(row)
                yield row

    def iter_account_combinations(
        self, *, where: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """GL account combinations (``accountCombinationsLOV``) for mapping validation, streamed."""
        return self.iter_all("account_combinations", where=where)

    def search(
        self,
        entity_name: str,
        equals: Mapping[str, Any],
        *,
        finder_name: str | None = None,
        finder_vars: Mapping[str, Any] | None = None,
        max_rows: int = 1000,
    ) -> list[dict[str, Any]]:
        """The records of ``entity_name`` whose attributes equal ``equals`` exactly (re-checked here),
        with their links (for ``self`` URLs). Refuses to read more than ``max_rows`` rows: a natural
        key matches a handful, and a search that matches thousands is a wrong search."""
        spec = entity(entity_name)
        q, _skipped = equals_q(equals, self.framework_version) if equals else (None, {})
        params: dict[str, Any] = {"limit": self.page_size, "orderBy": f"{spec.key}:asc"}
        if q:
            params["q"] = q
        if finder_name:
            params["finder"] = finder(finder_name, finder_vars or {})
        if not q and not finder_name:
            raise FusionInputError(f"a search of {spec.name} needs at least one condition", entity=spec.name)
        matches: list[dict[str, Any]] = []
        what = f"{spec.name} search"

        def fetch(offset: int) -> Page:
            return self._page(self._url(spec), {**params, "offset": offset}, what=what, spec=spec)

        for read, row in enumerate(read_offsets(fetch, key=spec.key), start=1):
            if read > max_rows:
                raise FusionQueryError(
                    f"fusion: {spec.name} search on {', '.join(equals) or finder_name} matched more than "
                    f"{max_rows} rows; narrow it",
                    entity=spec.name,
                )
            if all(_same(row.get(name), value) for name, value in equals.items()):
                _flatten_children(row)
                matches.append(row)
        return matches

    def iter_in(
        self,
        entity_name: str,
        attribute: str,
        values: Iterable[str | int],
        *,
        expand: Sequence[str] = (),
        chunk: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The records of ``entity_name`` whose ``attribute`` is one of ``values`` (ids, numbers), each once,
        with ``expand``'s children inline as plain lists (a child the pod cut short read through its link).

        Why: a reconciliation reads back hundreds of records by key; one ``get`` each is one call each. Under
        framework version 2 and later ``q`` takes ``attribute in (...)`` (reference §2.2), so ``chunk`` keys
        (the session's ``in_list_keys`` unless given) go in one query (read page by page); under version 1
        (query by example, no ``in``) each value is searched alone, as ``get`` would. Values are re-checked
        on the answers."""
        spec = entity(entity_name)
        check_attribute(attribute)
        chunk = self.in_list_keys if chunk is None else chunk
        if chunk < 1:
            raise FusionInputError(f"chunk must be 1 or more, got {chunk}", field="chunk")
        # The key is a number (compared as one); any other attribute keeps the type it is given (text stays
        # quoted text: a supplier number of digits is still text).
        typed = (
            _key_value if attribute == spec.key else (lambda v: v if isinstance(v, int) else str(v).strip())
        )
        wanted = list(dict.fromkeys(typed(v) for v in values if str(v).strip()))
        size = chunk if self.framework_version >= 2 else 1
        params: dict[str, Any] = {
            "orderBy": f"{spec.key}:asc",
            "limit": self.page_size,
            "onlyData": "true",
            **self._expand_params(expand),
        }
        texts = {str(v) for v in wanted}
        seen: set[str] = set()
        what = f"{spec.name} by {attribute}"
        for start in range(0, len(wanted), size):
            part = wanted[start : start + size]
            if self.framework_version >= 2:
                q = in_q(attribute, part)
            else:
                q, _skipped = equals_q({attribute: part[0]}, self.framework_version)

            def fetch(offset: int, q: str | None = q) -> Page:
                return self._page(self._url(spec), {**params, "q": q, "offset": offset}, what=what, spec=spec)

            for row in read_offsets(fetch, key=spec.key):
                ident = str(row.get(spec.key))
                if ident in seen or str(row.get(attribute)) not in texts:
                    continue
                seen.add(ident)
                for child in _flatten_children(row):
                    row[child] = list(self.iter_children(spec.name, row, child))
                yield row

    def get(self, entity_name: str, id: str | int) -> dict[str, Any]:
        """One record by its id (``InvoiceId``, ``POHeaderId``...), found with ``q`` on the key (item URLs
        are hashes and are never built); ``FusionNotFoundError`` when there is none."""
        spec = entity(entity_name)
        key_value = _key_value(id)
        found = self.search(spec.name, {spec.key: key_value})
        if not found:
            raise FusionNotFoundError(
                f"fusion: {spec.label} {spec.key} {id} not found",
                status=404,
                entity=spec.name,
                record=str(id),
            )
        return found[0]

    def iter_children(
        self, entity_name: str, record: Mapping[str, Any], child: str
    ) -> Iterator[dict[str, Any]]:
        """A record's child collection (``lines``, ``invoiceLines``...) through its links, paged."""
        spec = entity(entity_name)
        check_attribute(child)
        href = child_link(record, child)
        if href is None:
            parent = record if self_link(record) else self.get(spec.name, record.get(spec.key, ""))
            href = child_link(parent, child)
            if href is None:
                base = self_link(parent)
                if base is None:
                    raise FusionResponseError(
                        f"fusion: {spec.label} {record.get(spec.key)} has no self link to reach its {child}",
                        entity=spec.name,
                    )
                href = f"{base.rstrip('/')}/child/{child}"
        url = self._local(href)
        what = f"{spec.label} {record.get(spec.key)} {child}"

        def fetch(offset: int) -> Page:
            params = {"limit": self.page_size, "offset": offset, "onlyData": "true"}
            return self._page(url, params, what=what, spec=spec)

        for row in read_offsets(fetch, key=None):  # children come in the pod's order, keys vary by child
            _flatten_children(row)
            yield row

    # -- natural-key searches -------------------------------------------------------------------------

    def find_supplier(
        self, name: str | None = None, *, supplier_number: str | None = None
    ) -> dict[str, Any] | None:
        """The supplier with this exact name and/or supplier number, or None."""
        equals = {k: v for k, v in (("Supplier", name), ("SupplierNumber", supplier_number)) if v}
        if not equals:
            raise FusionInputError("find_supplier needs a name or a supplier_number", field="Supplier")
        return self._one("suppliers", equals, f"supplier {name or supplier_number}")

    def find_invoice(
        self, invoice_number: str, supplier: str, *, business_unit: str | None = None
    ) -> dict[str, Any] | None:
        """The invoice with this number from this supplier (Payables allows one per supplier), or None."""
        if not invoice_number or not supplier:
            raise FusionInputError(
                "find_invoice needs an invoice number and a supplier", field="InvoiceNumber"
            )
        label = f"invoice {invoice_number} of supplier {supplier}"
        matches = self.search("invoices", {"InvoiceNumber": invoice_number, "Supplier": supplier})
        if business_unit:
            matches = [m for m in matches if m.get("BusinessUnit") in (None, business_unit)]
        return self._single("invoices", matches, label)

    def find_purchase_order(
        self, order_number: str, *, procurement_bu: str | None = None, include_drafts: bool = True
    ) -> dict[str, Any] | None:
        """The purchase order (or draft) with this number in this procurement business unit, or None.

        Order numbers repeat across business units, so the unit is checked on ``ProcurementBU`` (an
        unconfirmed name; ``BillToBU`` / ``RequisitioningBU`` when a pod lacks it). Orders are looked up
        first; drafts only when no order matched (most pods list drafts among the orders too).
        """
        if not order_number:
            raise FusionInputError("find_purchase_order needs an order number", field="OrderNumber")
        unit = procurement_bu or self.business_unit
        label = f"purchase order {order_number} in {unit}"
        names = ["purchase_orders", "draft_purchase_orders"] if include_drafts else ["purchase_orders"]
        for name in names:
            matches = [m for m in self.search(name, {"OrderNumber": order_number}) if in_unit(m, unit)]
            found = self._single(name, matches, label)
            if found is not None:
                return found
        return None

    def purchase_orders_of(
        self, supplier: str, supplier_site: str, *, procurement_bu: str | None = None
    ) -> list[dict[str, Any]]:
        """Every purchase order and draft of this supplier site in this business unit, once each (by
        ``POHeaderId``): the candidates a caller fingerprints to find an order it created when Fusion
        numbered it (``OrderNumber`` not sent). Supplier and SupplierSite are confirmed names (2.4)."""
        if not supplier or not supplier_site:
            raise FusionInputError(
                "purchase_orders_of needs a supplier and a supplier site", field="Supplier"
            )
        unit = procurement_bu or self.business_unit
        found: dict[str, dict[str, Any]] = {}
        for name in ("purchase_orders", "draft_purchase_orders"):
            for row in self.search(name, {"Supplier": supplier, "SupplierSite": supplier_site}):
                if in_unit(row, unit):
                    found.setdefault(str(row.get("POHeaderId")), row)
        return list(found.values())

    def period_statuses(
        self, resource: str, *, application_id: int, ledger_id: str | int
    ) -> list[dict[str, Any]]:
        """Every accounting period row of one application in one ledger (reference §4): ``resource`` is
        the period status list (``accountingPeriodStatusLOV``; a setting, since only its path and key are
        confirmed), queried with ``q`` on ``ApplicationId`` and ``LedgerId`` (``PeriodName`` is not
        queryable), paged like every collection and re-checked here."""
        if not resource or not resource.isidentifier():
            raise FusionInputError(f"{resource!r} is not a resource name", field="resource")
        spec = Entity("accounting_periods", resource, "PeriodNameId", "accounting period", None)
        equals = {"ApplicationId": _key_value(application_id), "LedgerId": _key_value(ledger_id)}
        q, _skipped = equals_q(equals, self.framework_version)
        params: dict[str, Any] = {"limit": self.page_size, "onlyData": "true", "q": q}
        what = f"{resource} of ledger {ledger_id}, application {application_id}"

        def fetch(offset: int) -> Page:
            return self._page(self._url(spec), {**params, "offset": offset}, what=what, spec=spec)

        # No orderBy: which attributes the pod sorts by is unconfirmed; rows repeated by a sliding offset
        # are the caller's to fold (a period's name, application and ledger identify it).
        return [
            row
            for row in read_offsets(fetch, key=None)
            if all(_same(row.get(name), value) for name, value in equals.items())
        ]

    def payments_for_invoice(self, invoice_number: str) -> list[dict[str, Any]]:
        """The payments that paid an invoice (finder ``PaidInvoicesFinder``, reference §2.8)."""
        return self.search(
            "payments", {}, finder_name="PaidInvoicesFinder", finder_vars={"InvoiceNumber": invoice_number}
        )

    def _one(self, name: str, equals: Mapping[str, Any], label: str) -> dict[str, Any] | None:
        return self._single(name, self.search(name, equals), label)

    def _single(self, name: str, matches: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
        spec = entity(name)
        unique = list({str(m.get(spec.key)): m for m in matches}.values())
        if len(unique) > 1:
            ids = ", ".join(str(m.get(spec.key)) for m in unique[:5])
            raise FusionAmbiguousMatchError(
                f"fusion: {label} matches {len(unique)} {spec.name} ({spec.key} {ids}); adopting one would "
                "be a guess",
                entity=spec.name,
                record=label,
            )
        return unique[0] if unique else None

    # -- writes -------------------------------------------------------------------------------------

    def create_invoice(self, invoice: Invoice) -> dict[str, Any]:
        """``POST /invoices`` (header + lines) once; the created invoice as the pod returned it.

        Raises ``FusionInputError`` before sending when the invoice breaks a rule the client can check,
        ``FusionValidationError`` (record and fields named) when the pod refuses it, and
        ``FusionOutcomeUnknownError`` when the answer was lost (search with ``find_invoice`` then).
        """
        return self._create("invoices", invoice)

    def update_invoice(
        self, record: Mapping[str, Any], changes: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """``PATCH`` an invoice through its self link (``InvoiceAmount``, ``Description``...)."""
        return self._update("invoices", record, changes, if_match=if_match)

    def create_draft_purchase_order(self, draft: DraftPurchaseOrder) -> dict[str, Any]:
        """``POST /draftPurchaseOrders`` once; the created draft as the pod returned it.

        ``OrderNumber`` is sent only when ``send_unconfirmed`` names it (the reference does not confirm a
        create may set it); otherwise Fusion numbers the order and the caller reads that number back.
        """
        created = self._create("draft_purchase_orders", draft)
        self._created_drafts[str(created.get("POHeaderId"))] = created
        return created

    def update_draft_purchase_order(
        self, record: Mapping[str, Any], changes: Mapping[str, Any], *, if_match: str | None = None
    ) -> dict[str, Any]:
        """``PATCH`` a draft purchase order through its self link."""
        return self._update("draft_purchase_orders", record, changes, if_match=if_match)

    def _create(self, name: str, document: Invoice | DraftPurchaseOrder) -> dict[str, Any]:
        """``POST`` ``document`` once, the business unit's defaults filled in and the attributes the pod
        is not confirmed to accept left out (unless ``send_unconfirmed`` names them)."""
        document = document.with_defaults(self.business_unit)
        payload = without_unconfirmed(name, document.payload(), self.send_unconfirmed)
        spec, label = entity(name), document.label
        response = self._write("POST", self._url(spec), f"create {spec.label}", spec, label, payload)
        created = _json(response)
        if not isinstance(created, dict):
            raise FusionOutcomeUnknownError(
                f"fusion: {label}: the pod answered HTTP {response.status_code} without the created record; "
                "search by its natural key before trying again",
                status=response.status_code,
                entity=spec.name,
                record=label,
            )
        _flatten_children(created)
        log.info("fusion: created %s (%s %s)", label, spec.key, created.get(spec.key))
        return created

    def _update(
        self, name: str, record: Mapping[str, Any], changes: Mapping[str, Any], *, if_match: str | None
    ) -> dict[str, Any]:
        spec = entity(name)
        label = f"{spec.label} {record.get(spec.key, '')}".strip()
        payload = changes_payload(changes, label)
        href = self_link(record)
        if href is None:
            if record.get(spec.key) in (None, ""):
                raise FusionInputError(
                    f"{label}: the record has neither links nor {spec.key}", field=spec.key
                )
            href = self_link(self.get(spec.name, record[spec.key]))
            if href is None:
                raise FusionResponseError(f"fusion: {label}: the pod gave no self link", entity=spec.name)
        response = self._write(
            "PATCH",
            self._local(href),
            f"update {spec.label}",
            spec,
            label,
            payload,
            idempotent=True,  # PATCH sets values: sending it twice leaves the same record
            extra_headers={"If-Match": if_match} if if_match else None,
        )
        updated = _json(response)
        if not isinstance(updated, dict):
            raise FusionResponseError(f"fusion: {label}: the update answer is not a record", entity=spec.name)
        _flatten_children(updated)
        return updated

    # -- actions ------------------------------------------------------------------------------------

    def submit_draft_purchase_order(
        self, draft: Mapping[str, Any], *, read_back: bool = True
    ) -> dict[str, Any]:
        """Submit a draft purchase order (``POST {draft self}/action/submit``, action media type) and
        answer the order as re-read from ``purchaseOrders`` by ``POHeaderId``; with ``read_back`` False,
        a submit the pod answered with its action result (2xx, ``{"result": ...}``: the action ran, a
        refusal is a 4xx) answers the draft as submitted, ``StatusCode`` not known, without that read (a
        caller keeping only the ``POHeaderId`` it already has, as a write target does: two calls an order).

        ``draft`` needs ``POHeaderId`` (the created draft, a found draft, or a staged order). Safe to
        call again after a lost answer or a crash: a submitted order leaves ``draftPurchaseOrders`` and
        a pod refuses a second submit, so the draft is looked up first and, when it is no longer a
        draft (status past ``INCOMPLETE``), the order is answered without sending anything. A submit
        that fails without a clear answer, or that the pod refuses, is checked the same way before the
        error is raised: if the order moved on, an earlier attempt (or a buyer) submitted it.
        A draft this session created is submitted through the self link its create answered, without
        that look-up (``_created_drafts``): a submit the pod does not expect is refused and checked the
        same way.
        """
        spec = entity("draft_purchase_orders")
        header_id = _key_value(draft.get("POHeaderId") or "")
        label = _record_label(spec, draft)
        fresh = self._created_drafts.pop(str(header_id), None)
        usable = fresh is not None and self_link(fresh) and _status_code(fresh) in (None, *DRAFT_STATUSES)
        drafts = [fresh] if usable and fresh is not None else self._drafts(header_id)
        if not drafts:
            done = self._submitted_order(header_id)
            if done is None:
                raise FusionNotFoundError(
                    f"fusion: {label}: neither a draft nor a purchase order has POHeaderId {header_id}",
                    status=404,
                    entity=spec.name,
                    record=label,
                )
            log.info("fusion: %s was already submitted (status %s)", label, _status_code(done))
            return done
        href = self_link(drafts[0])
        if href is None:
            raise FusionResponseError(
                f"fusion: {label}: the pod gave the draft no self link", entity=spec.name, record=label
            )
        try:
            submit = f"{self._local(href).rstrip('/')}/action/submit"
            response = self._write(
                "POST",
                submit,
                "submit draft purchase order",
                spec,
                label,
                {},
                content_type=ACTION_CONTENT_TYPE,
            )
        except (FusionOutcomeUnknownError, FusionValidationError, FusionNotFoundError) as exc:
            done = self._submitted_order(header_id)
            if done is None:
                raise
            log.info("fusion: %s: the submit answered %s; the order is submitted", label, type(exc).__name__)
            return done
        result = _action_result(response)
        if not read_back:
            log.info("fusion: submitted %s (%s; not read back)", label, result)
            # The draft's own status and links no longer hold once it is submitted: left out, not guessed.
            stale = ("StatusCode", "Status", "links")
            return {**{k: v for k, v in drafts[0].items() if k not in stale}, "_submit_result": result}
        done = self._submitted_order(header_id)
        if done is None:
            raise FusionResponseError(
                f"fusion: {label}: the pod answered the submit with {result!r}; the order is still a draft",
                entity=spec.name,
                record=label,
            )
        log.info("fusion: submitted %s (%s, status %s)", label, result, _status_code(done))
        return done

    def _drafts(self, header_id: int | str) -> list[dict[str, Any]]:
        """The draft (status unknown or a draft status) with this POHeaderId, as found with its links."""
        found = self.search("draft_purchase_orders", {"POHeaderId": header_id})
        return [d for d in found if _status_code(d) in (None, *DRAFT_STATUSES)]

    def _submitted_order(self, header_id: int | str) -> dict[str, Any] | None:
        """The purchase order with this POHeaderId once it is past the draft stage, else None."""
        for order in self.search("purchase_orders", {"POHeaderId": header_id}):
            status = _status_code(order)
            if status is None:
                # A pod without a status attribute: still listed among the drafts means still a draft.
                return None if self._drafts(header_id) else order
            if status not in DRAFT_STATUSES:
                return order
        return None

    def validate_invoice(self, invoice: Mapping[str, Any] | int | str) -> Validation:
        """Run Payables validation (``POST /invoices/action/validateInvoice``, action media type) with the
        action's documented parameters, ``InvoiceNumber``, ``BusinessUnit``, ``Supplier`` and
        ``ProcessAction: "Validate"`` (Oracle's op-invoices-action-validateinvoice-post; the action takes
        no invoice id), and answer what the pod said (``Validation``).

        ``invoice`` is a record carrying ``InvoiceNumber`` and ``Supplier`` (and ``BusinessUnit``, else the
        resource's); given only an id, the invoice is found first (one more read). The answer is Oracle's
        confirmation message, not the invoice's status: with ``validation_check = "status"`` the invoice's
        ``ValidationStatus`` is read back too (one more read), so a hold shows.

        Validation only recomputes the invoice's status, so it is safe to repeat: the call is replayed
        after a lost answer like a read, and a failure without an answer is ``FusionUnavailableError``
        (try again later), never "outcome unknown". A refusal is the pod's typed error
        (``FusionValidationError`` ...), raised: the caller decides what a refused validation means.
        """
        spec = entity("invoices")
        record = invoice if isinstance(invoice, Mapping) else {spec.key: invoice}
        if not (record.get("InvoiceNumber") and record.get("Supplier")):
            record = self.get(spec.name, record.get(spec.key) or "")
        label = _record_label(spec, record)
        parameters = {
            "InvoiceNumber": str(record["InvoiceNumber"]),
            "BusinessUnit": str(record.get("BusinessUnit") or self.business_unit),
            "Supplier": str(record["Supplier"]),
            "ProcessAction": VALIDATE_ACTION,
        }
        if not parameters["BusinessUnit"]:
            raise FusionInputError(
                f"{label}: validation names the invoice's business unit and none is known",
                field="BusinessUnit",
                record=label,
            )
        try:
            response = self._write(
                "POST",
                f"{self._url(spec)}/action/validateInvoice",
                "validate invoice",
                spec,
                label,
                parameters,
                idempotent=True,  # validation recomputes a status: repeating it changes nothing more
                content_type=ACTION_CONTENT_TYPE,
            )
        except FusionOutcomeUnknownError as exc:
            raise FusionUnavailableError(
                f"fusion: {label}: validation got no clear answer ({exc}); validating again is safe",
                status=exc.status,
                entity=spec.name,
                record=label,
            ) from None
        result = _action_result(response)
        status = self.validation_status(record) if self.validation_check == "status" else None
        log.info("fusion: validated %s: %s (status %s)", label, result, status or "not read")
        return Validation(result, status)

    def validation_status(self, invoice: Mapping[str, Any]) -> str | None:
        """The invoice's ``ValidationStatus`` as the pod holds it now (one read of that attribute), None
        when the pod names none."""
        spec = entity("invoices")
        key = _key_value(invoice.get(spec.key) or "")
        q, _skipped = equals_q({spec.key: key}, self.framework_version)
        params = {"q": q, "fields": f"{spec.key},ValidationStatus", "onlyData": "true", "limit": 2}
        page = self._page(self._url(spec), params, what=f"invoice {key} status", spec=spec)
        rows = [row for row in page.items if _same(row.get(spec.key), key)]
        value = rows[0].get("ValidationStatus") if rows else None
        return str(value) if value not in (None, "") else None

    # -- optimistic locking -------------------------------------------------------------------------

    def get_with_etag(
        self, entity_name: str, record_or_id: Mapping[str, Any] | int | str
    ) -> tuple[dict[str, Any], str | None]:
        """One record read through its ``self`` link (item GET) and the ``ETag`` the pod sent with it
        (None when it sent none). A record given without links, or an id, is found by key first:
        item URLs are never built from ids (hash keys)."""
        spec = entity(entity_name)
        record = record_or_id if isinstance(record_or_id, Mapping) else {spec.key: record_or_id}
        label = _record_label(spec, record)
        href = self_link(record)
        if href is None:
            href = self_link(self.get(spec.name, record.get(spec.key) or ""))
            if href is None:
                raise FusionResponseError(f"fusion: {label}: the pod gave no self link", entity=spec.name)
        response = self._call("GET", self._local(href), kind="read", what=f"read {label}", spec=spec)
        current = _json(response)
        if not isinstance(current, dict):
            raise FusionResponseError(f"fusion: {label}: the item answer is not a record", entity=spec.name)
        _flatten_children(current)
        return current, response.headers.get("ETag") or None

    def update_with_etag(
        self,
        entity_name: str,
        record_or_id: Mapping[str, Any] | int | str,
        changes: Mapping[str, Any],
        *,
        etag: str | None = None,
        build_changes: Callable[[Mapping[str, Any]], Mapping[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """``PATCH`` ``changes`` with ``If-Match``, so an edit made in Fusion since the read is never
        overwritten; answers the updated record.

        ``etag`` is the version the caller's changes were computed from; without it, the one the record's
        answer showed (``answered_etag``: a search's or list's record read with its links), else the
        record is read now (``get_with_etag``). On 412 the record is read again (new ETag),
        ``build_changes(fresh)`` recomputes the changes when given (None or empty: nothing left to change,
        the fresh record is answered) and the PATCH is sent once more. A second 412 raises
        ``FusionConflictError`` naming the record and the attributes: the flow queues it rather than fight
        another writer. A PATCH replayed after a lost answer whose first copy landed also meets a 412 (our
        own change moved the ETag); the re-read then shows our values, so the retry changes nothing. A pod
        that sends no ``ETag`` is updated without ``If-Match`` (logged): there is nothing to compare against.
        """
        spec = entity(entity_name)
        current: Mapping[str, Any]
        if etag is None and isinstance(record_or_id, Mapping):
            etag = answered_etag(record_or_id)
        if etag is None:
            current, etag = self.get_with_etag(spec.name, record_or_id)
        elif isinstance(record_or_id, Mapping):
            current = record_or_id
        else:
            current = {spec.key: record_or_id}
        label = _record_label(spec, current)
        if etag is None:
            log.warning("fusion: %s: the pod sent no ETag; updating without If-Match", label)
        try:
            return self._update(spec.name, current, changes, if_match=etag)
        except FusionConflictError:
            log.info("fusion: %s changed since it was read (HTTP 412); reading it again", label)
        fresh, fresh_etag = self.get_with_etag(spec.name, current)
        wanted = build_changes(fresh) if build_changes is not None else changes
        if not wanted:
            log.info("fusion: %s: after the re-read nothing is left to change", label)
            return fresh
        try:
            return self._update(spec.name, fresh, wanted, if_match=fresh_etag)
        except FusionConflictError:
            fields = tuple(wanted)
            raise FusionConflictError(
                f"fusion: {label} was changed in Fusion again while the connector updated "
                f"{', '.join(fields)} (HTTP 412 twice, after a re-read); not overwritten",
                fields=fields,
                status=412,
                entity=spec.name,
                record=label,
            ) from None

    # -- children -----------------------------------------------------------------------------------

    def supplier_sites(self, supplier: Mapping[str, Any] | int | str) -> list[dict[str, Any]]:
        """Every site of a supplier (its ``sites`` child through the pod's links, paged), inactive ones
        too: which site fits a purpose and business unit is the caller's decision."""
        record = supplier if isinstance(supplier, Mapping) else {"SupplierId": _key_value(supplier)}
        return list(self.iter_children("suppliers", record, "sites"))

    # -- ping ---------------------------------------------------------------------------------------

    def probe(self, entity_name: str) -> int:
        """Read one row of ``entity_name`` (only its key): proves the role and the framework version."""
        spec = entity(entity_name)
        params = {"limit": 1, "onlyData": "true", "fields": spec.key}
        page = self._page(self._url(spec), params, what=f"{spec.name} probe", spec=spec)
        return len(page.items)

    def framework_variant(self) -> str | None:
        """What the pod says of its REST framework versions (``GET /fscmRestApi/resources``,
        ``adf:extension.defaultFrameworkVersion`` / ``allowedFrameworkVersions``, reference 1): the
        variant a call without the header would get and whether the version we send is allowed; None when
        the pod does not say (the catalogue is not every pod's to read)."""
        context = self.rest_root.rsplit("/", 1)[0]
        try:
            answer = _json(self._call("GET", context, kind="read", what="REST framework versions"))
        except FusionError as exc:
            log.info("fusion: the pod's framework versions could not be read: %s", exc)
            return None
        for item in answer.get("items") or [] if isinstance(answer, dict) else []:
            extension = item.get("adf:extension") if isinstance(item, dict) else None
            if not isinstance(extension, dict):
                continue
            default = extension.get("defaultFrameworkVersion")
            allowed = [str(v) for v in extension.get("allowedFrameworkVersions") or []]
            sent = str(self.framework_version)
            verdict = "allowed" if not allowed or sent in allowed else f"NOT among {', '.join(allowed)}"
            return f"pod default framework v{default}, v{sent} sent is {verdict}"
        return None

    def authenticate(self) -> str:
        """Obtain the credential now (a token request for OAuth) and say who we are."""
        auth = self.http.auth
        try:
            auth.ensure_fresh(self.http)
        except ApiError as exc:
            raise self._translate(
                exc, kind="read", what="login", spec=None, record="", payload=None
            ) from None
        client_id = getattr(auth, "client_id", None)
        if client_id:
            return f"OAuth client {client_id}"
        username = getattr(auth, "username", None)
        return f"user {username}" if username else type(auth).__name__


def _status_code(row: Mapping[str, Any]) -> str | None:
    """An order's status code (``StatusCode``; else its display ``Status`` upper-cased), None when the pod
    names none. Both names are unconfirmed (reference 2.4)."""
    for name in ("StatusCode", "Status"):
        value = row.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip().upper()
    return None


def _record_label(spec: Entity, record: Mapping[str, Any]) -> str:
    """How a record is named in messages: its business number when the record carries it, and its id."""
    key = record.get(spec.key)
    ident = f"{spec.key} {key}" if key not in (None, "") else ""
    if spec.name == "invoices" and record.get("InvoiceNumber"):
        name = f"invoice {record['InvoiceNumber']}"
        if record.get("Supplier"):
            name += f" of supplier {record['Supplier']}"
        return f"{name} ({ident})" if ident else name
    if record.get("OrderNumber"):
        return f"{spec.label} {record['OrderNumber']}" + (f" ({ident})" if ident else "")
    return f"{spec.label} {ident}".strip()


def _action_result(response: requests.Response) -> str:
    """The ``result`` of a custom action's answer (``{"result": ...}``, actionresult media type)."""
    answer = _json(response)
    if isinstance(answer, dict) and answer.get("result") is not None:
        return str(answer["result"])
    if response.status_code in (200, 204) and not response.content:
        return "SUCCESS"  # a pod that answers an action with no body did it
    raise FusionResponseError(
        f"fusion: the action answer has no result (HTTP {response.status_code}, "
        f"{response.headers.get('Content-Type', 'no content type')})"
    )


def _key_value(value: str | int) -> int | str:
    """Ids are 15-digit numbers (quirk 12): compare them as numbers when they are numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text:
        raise FusionInputError("an empty id", field="id")
    return int(text) if text.isdigit() else text


def _same(actual: Any, expected: Any) -> bool:
    """Exact equality the way a natural key means it: numbers as numbers, text as text (case kept)."""
    if actual is None:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual == expected
    if isinstance(expected, int | Decimal) and isinstance(actual, int | Decimal):
        return Decimal(actual) == Decimal(expected)
    return str(actual) == str(expected)


def in_unit(row: Mapping[str, Any], unit: str) -> bool:
    """Whether order ``row`` is of business ``unit`` (order numbers repeat across units)."""
    for name in ("ProcurementBU", "BillToBU", "RequisitioningBU"):
        if name in row and row[name] is not None:
            return row[name] == unit
    return True  # a pod that names no unit on its orders cannot be checked; the order number decides
