"""``ProcoreSession``: one authenticated client for a batch of Procore calls (reads, vendor writes,
webhook management). Build it with ``ProcoreResource.session()``.

Every call carries the ``Procore-Company-Id`` header (the HTTP client's default headers) **and** the
``company_id`` / ``project_id`` parameter the endpoint wants: the header does not replace it
(reference §1). Every call first asks the shared ``RateLimitPacer`` whether the budget allows it,
and every answer's ``X-Rate-Limit-*`` headers update it.

Reading changes (``iter_changed``) is exact for the half-open window ``[start, end)``:

* the server's ``filters[updated_at]`` (where documented) only narrows the answer; each row's own
  ``updated_at`` decides, so an inclusive/exclusive range end or an ignored filter changes the cost,
  never the result (``entities`` says, per entity, how changes are found where there is no filter);
* page-number paging over live data can skip a row when another row leaves the result between two
  pages (everything after it shifts one place up). The reader watches ``Total``: when it changes
  mid-read it reads the list again from page 1, skipping the rows it already yielded, so no row is
  lost or doubled. Yielded keys are remembered for that (ids only, bounded by the rows in the
  window, never the rows themselves);
* a token that expires mid-read is renewed by the HTTP core and the same page is asked again (a GET);
* a project that answers 403/404 (removed from the DMSA's permitted projects) is skipped with a
  warning and listed in ``skipped_projects``, so one project cannot stop the company's sync; when
  *no* project can be read the error is raised (that is the company's access, not one project's).

Writes are never replayed after a lost answer (POST), because Procore offers no idempotency keys: a
create that got no answer raises ``ProcoreOutcomeUnknownError``, and every create has a search by
natural key (``find_vendor_by_origin_id``, ``find_vendors_by_name``, and ``find_adoptable_vendor``,
which applies the write path's rule: the JDE key first, else one unkeyed vendor of that name). Searching
before a create and adopting what a lost answer made is the flows' business (``write_one``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests

from connector_resources.base import SaasSession
from connector_resources.closing import ClosingOnce
from connector_resources.errors import known_entity
from connector_resources.http import (
    ApiError,
    AuthenticationError,
    HttpClient,
    OAuthClientCredentials,
)
from connector_resources.http.moments import aware_utc
from connector_resources.procore.entities import (
    API,
    CHANGE_ENTITIES,
    ENTITY_SPECS,
    KEYS,
    SNAPSHOT_ENTITIES,
    EntitySpec,
    ListSource,
)
from connector_resources.procore.errors import (
    ProcoreAuthError,
    ProcoreConflictError,
    ProcoreDataError,
    ProcoreError,
    ProcoreNotFoundError,
    ProcorePermissionError,
    ProcoreValidationError,
    describe_error_body,
    procore_error_from,
    response_json,
)
from connector_resources.procore.order_lines import OrderLineReads, commitment_path, known_kind
from connector_resources.procore.paging import (
    header_int,
    next_page,
    parse_timestamp,
    updated_range,
)
from connector_resources.procore.payloads import record_label, same_name, search_term, vendor_body
from connector_resources.procore.ratelimit import RateLimitPacer
from connector_resources.procore.stored_materials import with_materials_stored_before
from connector_resources.redaction import get_logger

if TYPE_CHECKING:
    from connector_resources.procore.webhooks import ProcoreWebhooks

log = get_logger("ml_connector.procore")

# Requisition statuses that mean "approved for payment" (reference §2.5).
APPROVED_REQUISITION_STATUSES = ("approved", "approved_as_noted")
# Re-reads of one list after its Total moved, before giving up (records changing faster than we read).
MAX_RESTARTS = 3
# An early stop on a newest-first list needs evidence that the server really sorted: this many rows
# in non-increasing order, with this many strict steps down (a few rows, or rows sharing one mass-update
# stamp, can look sorted by chance).
SORT_EVIDENCE_ROWS = 10
SORT_EVIDENCE_DESCENTS = 2
_VENDORS = f"{API}/vendors"
# The entities whose list documents filters[id][] (reference §2.3-§2.5), and the ids asked a call.
ID_FILTERED = ("vendors", "commitments", "requisitions")
ID_BATCH = 100
_INACTIVE_VENDORS = f"{API}/companies/{{company_id}}/vendors/inactive"


class _Moved(Exception):
    """A list's ``Total`` changed between two pages: rows moved, so page numbers shifted."""

    def __init__(self, before: int, after: int) -> None:
        super().__init__(f"Total went from {before} to {after}")


class ProcoreSession(OrderLineReads, ClosingOnce, SaasSession):
    """An authenticated Procore client for one batch (see module docstring).

    ``metrics`` are the HTTP counters (token requests included); ``pages`` list pages read;
    ``token_fetches`` tokens obtained (1 + renewals); ``skipped_projects`` project id -> why it was
    skipped in this session.
    """

    ENTITIES = dict(CHANGE_ENTITIES)
    # No documented change stamp (budget line items, reference §2.8): read whole with ``iter_all``.
    SNAPSHOT_ENTITIES = SNAPSHOT_ENTITIES
    KEYS = dict(KEYS)

    def __init__(
        self,
        http: HttpClient,
        auth: OAuthClientCredentials,
        pacer: RateLimitPacer,
        *,
        company_id: int,
        page_size: int = 1000,
        project_ids: Sequence[int] = (),
        max_pages: int = 10_000,
        webhook_token: Callable[[], str] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(http, auth)
        self._pacer = pacer
        self.company_id = int(company_id)
        self.page_size = page_size
        self.max_pages = max_pages
        self._configured_projects = tuple(int(p) for p in project_ids)
        self._webhook_token = webhook_token
        self._on_close = on_close
        self._projects: list[dict[str, Any]] | None = None
        # company id -> its permitted projects as listed, shared by a run's sessions (``keep_projects_in``)
        self._listed_projects: dict[int, list[dict[str, Any]]] | None = None
        self._inactive_vendors: list[dict[str, Any]] | None = None  # ``inactive_vendors``
        self._budget_views: dict[int, int | None] = {}
        # Parameters a server refused for a path (an unsupported filter or sort), dropped for the session.
        self._refused: dict[str, set[str]] = {}
        self._warned_missing: set[str] = set()
        self.skipped_projects: dict[int, str] = {}
        # Line reads (``order_lines``): cost codes per project, commitment lines per commitment.
        self._cost_code_cache: dict[int, dict[int, dict[str, Any]]] = {}
        self._commitment_line_cache: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}

    # -- state ------------------------------------------------------------------------------------

    @property
    def token_fetches(self) -> int:
        return self._auth.fetch_count

    @property
    def pacer(self) -> RateLimitPacer:
        return self._pacer

    @property
    def webhooks(self) -> ProcoreWebhooks:
        """Hook and trigger management (``connector_resources.procore.webhooks``)."""
        from connector_resources.procore.webhooks import ProcoreWebhooks

        return ProcoreWebhooks(self, self._webhook_token)

    def login(self) -> None:
        """Obtain a token now, so bad credentials fail at the start of a batch, not mid-read."""
        self._fresh_credentials(self._auth_failure)

    def _release(self) -> None:
        """Revoke the token (best effort) and release connections."""
        try:
            if self._on_close is not None and self._auth.token is not None:
                self._on_close()
        finally:
            self._http.close()

    def __repr__(self) -> str:
        return f"ProcoreSession(company_id={self.company_id}, base_url={self._http.base_url!r})"

    # -- one call ---------------------------------------------------------------------------------

    def _auth_failure(self, exc: ApiError) -> ProcoreError:
        """The error for a failed token request: wrong credentials and mixed-up environments look
        alike (401), so the message names both causes, and the client id (never the secret)."""
        if exc.status is None and not isinstance(exc, AuthenticationError):
            return procore_error_from(exc, what="reach the login host for an access token")
        body = response_json(exc.response)
        said, _ = describe_error_body(body, exc.body_excerpt if body is None else "")
        status = f"HTTP {exc.status}" if exc.status is not None else "no usable answer"
        return ProcoreAuthError(
            f"Procore's login host refused to issue an access token for client {self._auth.client_id!r} "
            f"({status}, POST {exc.url.split('?')[0]}): {said or exc.detail or exc.reason or 'no details'}. "
            "Check the client id and secret, and that the login host matches the API host's environment "
            "(production, developer sandbox and monthly sandbox each have their own credentials)",
            status=exc.status,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        record: str = "",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        expected: Sequence[int] | None = None,
    ) -> requests.Response:
        """One API call: pace, send (retries and re-auth by the HTTP core), map failures to typed
        ``ProcoreError``s. ``what`` and ``record`` word the error ("create vendor", "vendor ...")."""
        self._pacer.before_call()
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = dict(params)
        if body is not None:
            kwargs["json"] = body
        try:
            response = self._http.request(method, path, idempotent=idempotent, expected=expected, **kwargs)
        except ApiError as exc:
            if exc.response is not None:
                self._pacer.observe(exc.response.headers)
            if exc.url.split("?")[0].endswith("/oauth/token"):
                raise self._auth_failure(exc) from None
            write = method.upper() in ("POST", "PATCH") and not idempotent
            raise procore_error_from(exc, what=what, record=record, outcome_may_be_applied=write) from None
        self._pacer.observe(response.headers)
        return response

    @staticmethod
    def decode(response: requests.Response, what: str) -> Any:
        """The JSON body with exact decimals; ``ProcoreDataError`` when it is not JSON."""
        if response.status_code == 204 or not response.content:
            return None
        payload = response_json(response)
        if payload is None:
            raise ProcoreDataError(f"Procore answered {what} with something other than JSON")
        return payload

    def object_of(self, response: requests.Response, what: str) -> dict[str, Any]:
        payload = self.decode(response, what)
        # REST v2 wraps objects in {"data": ...}; v1 returns them bare (reference §1).
        if isinstance(payload, Mapping) and isinstance(payload.get("data"), Mapping) and len(payload) <= 2:
            payload = payload["data"]
        if not isinstance(payload, Mapping):
            raise ProcoreDataError(f"Procore answered {what} with JSON that is not an object")
        return dict(payload)

    def _rows(self, response: requests.Response, what: str) -> list[dict[str, Any]]:
        payload = self.decode(response, what)
        if payload is None:
            return []
        if isinstance(payload, Mapping) and isinstance(payload.get("data"), list):
            payload = payload["data"]
        if not isinstance(payload, list):
            raise ProcoreDataError(f"Procore answered {what} with JSON that is not a list")
        return [dict(r) for r in payload if isinstance(r, Mapping)]

    def pages_of(
        self, path: str, params: Mapping[str, Any], *, what: str, paginated: bool = True
    ) -> Iterator[tuple[list[dict[str, Any]], Mapping[str, str]]]:
        """Every page of a list as (rows, headers), one page in memory at a time (see ``paging``)."""
        page = 1
        read = 0
        fetched = 0
        while True:
            query = dict(params)
            if paginated or page > 1:
                query["page"] = page
                query["per_page"] = self.page_size
            response = self.call("GET", path, params=query, what=f"{what} (page {page})")
            rows = self._rows(response, what)
            self.pages += 1
            fetched += 1
            read += len(rows)
            yield rows, response.headers
            following = next_page(response.headers, page=page, rows_on_page=len(rows), rows_so_far=read)
            if following is None:
                return
            if fetched >= self.max_pages:
                raise ProcoreDataError(
                    f"Procore still announces more pages after {fetched} pages of {what}; "
                    f"max_pages_per_list ({self.max_pages}) reached: raise it or narrow the read"
                )
            page = following

    def rows_of(
        self, path: str, params: Mapping[str, Any], *, what: str, paginated: bool = True
    ) -> Iterator[dict[str, Any]]:
        """Every row of a list, streamed."""
        for rows, _ in self.pages_of(path, params, what=what, paginated=paginated):
            yield from rows

    # -- company and projects ---------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """The service account (``GET /me``; a DMSA sends the company header there too)."""
        return self.object_of(self.call("GET", f"{API}/me", what="read the service account (/me)"), "/me")

    def keep_projects_in(self, listed: dict[int, list[dict[str, Any]]]) -> None:
        """List the company's permitted projects once per ``listed`` (company id -> projects; a run's), so the
        sessions of a run's steps list them once, not once each."""
        self._listed_projects = listed

    def projects(self) -> list[dict[str, Any]]:
        """The projects this session reads: the configured ``project_ids``, else every project the
        DMSA is permitted on (``GET /projects?company_id=``), listed once per session (or once per
        ``keep_projects_in``). Listed whole: every project is read, not only those changed lately."""
        if self._projects is None:
            if self._configured_projects:
                self._projects = [{"id": pid} for pid in self._configured_projects]
            else:
                shared = self._listed_projects if self._listed_projects is not None else {}
                if self.company_id not in shared:
                    shared[self.company_id] = list(
                        self.rows_of(f"{API}/projects", {"company_id": self.company_id}, what="list projects")
                    )
                self._projects = list(shared[self.company_id])
        return list(self._projects)

    def project_ids(self) -> list[int]:
        return [int(p["id"]) for p in self.projects() if p.get("id") is not None]

    def _skip_project(self, project_id: int, exc: ProcoreError) -> None:
        reason = str(exc)
        if project_id not in self.skipped_projects:
            log.warning("procore project %s skipped: %s", project_id, reason)
        self.skipped_projects[project_id] = reason

    def budget_view_id(self, project_id: int) -> int | None:
        """The project's first budget view (budget lines are read through it; §2.8), None if none."""
        if project_id not in self._budget_views:
            views = list(
                self.rows_of(
                    f"{API}/budget_views",
                    {"project_id": project_id},
                    what=f"list budget views of project {project_id}",
                    paginated=False,
                )
            )
            ids = [v.get("id") for v in views if v.get("id") is not None]
            self._budget_views[project_id] = int(ids[0]) if ids else None
        return self._budget_views[project_id]

    # -- change detection -------------------------------------------------------------------------

    @staticmethod
    def spec(entity: str) -> EntitySpec:
        return known_entity(ENTITY_SPECS, entity, "Procore", listed=sorted(ENTITY_SPECS))

    def iter_changed(self, entity: str, start: datetime, end: datetime) -> Iterator[dict[str, Any]]:
        """Every record of ``entity`` whose ``updated_at`` is in ``[start, end)``, streamed page by
        page. Rows are Procore's JSON objects (numbers with fractions as ``Decimal``) plus
        ``_updated_at`` (aware UTC datetime), ``_project_id`` for project records and
        ``_commitment_type`` for commitments. Arguments are checked now; rows come as consumed."""
        spec = self.spec(entity)
        start = aware_utc(start, "start")
        end = aware_utc(end, "end")
        if start >= end:
            raise ValueError(f"start {start.isoformat()} must be before end {end.isoformat()}")
        return self._changed(spec, start, end)

    def iter_all(self, entity: str) -> Iterator[dict[str, Any]]:
        """Every record of ``entity``, decorated like ``iter_changed`` rows (``_updated_at`` is None
        where a row has no timestamp): for entities without a documented change stamp, which cannot
        be placed in a change window (``SNAPSHOT_ENTITIES``)."""
        return self._changed(self.spec(entity), None, None)

    def _contexts(self, spec: EntitySpec) -> Iterator[dict[str, Any]]:
        if spec.scope == "company":
            yield {"company_id": self.company_id}
            return
        for project_id in self.project_ids():
            yield {"company_id": self.company_id, "project_id": project_id}

    def _changed(
        self, spec: EntitySpec, start: datetime | None, end: datetime | None
    ) -> Iterator[dict[str, Any]]:
        """Rows changed in ``[start, end)``; every row when both are None."""
        seen: set[tuple[Any, ...]] = set()
        read = 0
        refused: ProcoreError | None = None
        for context in self._contexts(spec):
            try:
                for source in spec.sources:
                    yield from self._changed_in(spec, source, context, start, end, seen)
                read += 1
            except (ProcorePermissionError, ProcoreNotFoundError) as exc:
                if spec.scope != "project":
                    raise
                self._skip_project(context["project_id"], exc)
                refused = exc
        if refused is not None and read == 0:
            # Not one project could be read: that is the company's access (app uninstalled, tool
            # permission missing), not one project's, and an empty result would hide it.
            raise refused

    def _changed_in(
        self,
        spec: EntitySpec,
        source: ListSource,
        context: dict[str, Any],
        start: datetime | None,
        end: datetime | None,
        seen: set[tuple[Any, ...]],
    ) -> Iterator[dict[str, Any]]:
        context = dict(context)
        project_id = context.get("project_id")
        if "{budget_view_id}" in source.path:
            view = self.budget_view_id(project_id)
            if view is None:
                return
            context["budget_view_id"] = view
        path = source.path.format(**context)
        base = {k: v.format(**context) for k, v in source.params.items()}
        what = f"list {spec.name}" + (f" of project {project_id}" if project_id is not None else "")
        tag_key = tuple(sorted(source.tags.items()))
        restarts = 0
        while True:
            refused = self._refused.get(source.path, set())
            params = dict(base)
            whole = start is None or end is None
            if source.date_filter and not whole and "filters[updated_at]" not in refused:
                params["filters[updated_at]"] = updated_range(start, end)
            newest_first = bool(source.sort) and not whole and "sort" not in refused
            if newest_first:
                params["sort"] = source.sort
            first_total: int | None = None
            previous: datetime | None = None
            in_order = descents = 0
            page_number = 0
            try:
                for rows, headers in self.pages_of(path, params, what=what, paginated=source.paginated):
                    page_number += 1
                    total = header_int(headers, "Total")
                    if page_number == 1:
                        first_total = total
                    elif total is not None and first_total is not None and total != first_total:
                        raise _Moved(first_total, total)
                    for row in rows:
                        if whole:
                            key = (tag_key, self._key(spec, row, what))
                            if key not in seen:
                                seen.add(key)
                                yield self._decorate(row, _lenient_stamp(spec, row), project_id, source.tags)
                            continue
                        assert start is not None and end is not None
                        stamp = self._stamp(spec, row, what)
                        if newest_first and previous is not None:
                            if stamp > previous:
                                newest_first = False  # the server ignored the sort: no early stop
                            elif stamp < previous:
                                descents += 1
                        in_order += 1
                        previous = stamp
                        if not start <= stamp < end:
                            continue
                        key = (tag_key, self._key(spec, row, what))
                        if key in seen:
                            continue
                        seen.add(key)
                        yield self._decorate(row, stamp, project_id, source.tags)
                    sort_proven = in_order >= SORT_EVIDENCE_ROWS and descents >= SORT_EVIDENCE_DESCENTS
                    if newest_first and sort_proven and previous is not None and previous < start:
                        return  # newest first (seen, not assumed), and this page ends before the window
                return
            except _Moved as moved:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    raise ProcoreDataError(
                        f"Procore {what}: records kept changing while being read ({moved}, "
                        f"{restarts} re-reads); run the read again"
                    ) from None
                log.warning("procore %s: %s mid-read; reading it again from page 1", what, moved)
            except ProcoreValidationError as exc:
                dropped = self._refused_param(exc, params) if page_number == 0 else None
                if dropped is None:
                    raise
                self._refused.setdefault(source.path, set()).add(dropped)
                log.warning(
                    "procore %s: the server refused %s (%s); reading without it and filtering here",
                    what,
                    dropped,
                    exc,
                )
            except ProcoreNotFoundError:
                if not source.optional or page_number:
                    raise
                if source.path not in self._warned_missing:
                    self._warned_missing.add(source.path)
                    log.warning("procore %s: this server has no such list (404); skipped", what)
                return

    @staticmethod
    def _refused_param(exc: ProcoreValidationError, params: Mapping[str, Any]) -> str | None:
        """Which optional parameter a 400/406 on a list's first page is about, if any: some servers
        refuse filters or sorts an endpoint does not support instead of ignoring them."""
        text = f"{exc} {' '.join(exc.fields)}".lower()
        if "sort" in params and "sort" in text:
            return "sort"
        if "filters[updated_at]" in params and "updated_at" in text:
            return "filters[updated_at]"
        if "sort" in params and "updated_at" in text:
            return "sort"
        return None

    @staticmethod
    def _stamp(spec: EntitySpec, row: Mapping[str, Any], what: str) -> datetime:
        value = row.get(spec.updated_field)
        try:
            return parse_timestamp(value)
        except ValueError:
            record = row.get(spec.key_field, row.get("id"))
            raise ProcoreDataError(
                f"Procore {what}: record {record} has field {spec.updated_field!r} = {value!r}, which is "
                "not a timestamp, so it cannot be placed in a change window"
            ) from None

    @staticmethod
    def _key(spec: EntitySpec, row: Mapping[str, Any], what: str) -> str:
        value = row.get(spec.key_field)
        if value is None:
            value = row.get("id")
        if value is None:
            raise ProcoreDataError(f"Procore {what}: a record has no {spec.key_field!r} field")
        return str(value)  # REST v2 sends ids as strings; v1 as integers

    @staticmethod
    def _decorate(
        row: dict[str, Any], stamp: datetime | None, project_id: int | None, tags: Mapping[str, str]
    ) -> dict[str, Any]:
        row["_updated_at"] = stamp
        if project_id is not None:
            row["_project_id"] = project_id
        row.update(tags)
        return row

    # -- single records ---------------------------------------------------------------------------

    def get(self, entity: str, id: str | int, *, project_id: int | None = None) -> dict[str, Any]:
        """One record of ``entity`` (decorated like ``iter_changed`` rows).

        Project records need their project: pass ``project_id`` (webhook events carry it); without it
        every permitted project is tried in turn, one call each. Commitments try the purchase order
        and then the work order endpoint. ``ProcoreNotFoundError`` when no readable record exists.
        """
        spec = self.spec(entity)
        if spec.scope == "company":
            projects: list[int | None] = [None]
        elif project_id is not None:
            projects = [int(project_id)]
        else:
            projects = list(self.project_ids())
        for pid in projects:
            context = {"company_id": self.company_id, "project_id": pid, "id": id}
            for getter in spec.gets:
                what = f"get {entity} {id}" + (f" of project {pid}" if pid is not None else "")
                params = {k: v.format(**context) for k, v in getter.params.items()}
                try:
                    response = self.call("GET", getter.path.format(**context), params=params, what=what)
                except ProcoreNotFoundError:
                    continue
                except ProcorePermissionError:
                    if project_id is not None or pid is None:
                        raise
                    continue
                row = self.object_of(response, what)
                try:
                    stamp: datetime | None = parse_timestamp(row.get(spec.updated_field))
                except ValueError:
                    stamp = None
                return self._decorate(row, stamp, pid, getter.tags)
        where = f" in project {project_id}" if project_id is not None else ""
        raise ProcoreNotFoundError(
            f"Procore has no {entity} {id}{where} that the service account can read (404 also means "
            "'not permitted'; do not treat it as deleted without checking)",
            status=404,
        )

    def get_many(
        self,
        entity: str,
        ids: Iterable[int | str],
        *,
        project_id: int | None = None,
        kinds: Mapping[str, Any] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Records of ``entity`` by id (id -> record, decorated like ``get``), read with the list's id
        filter in its form (``ids_filter``), ``ID_BATCH`` ids a call, each kind's list asked only for the
        ids not found yet: vendors (reference §2.3), commitments (§2.4), requisitions (§2.5). A project
        entity needs its project. ``kinds``: a commitment's type where the caller knows it (a requisition's
        ``commitment_type``, a staged commitment's ``_commitment_type``): only that kind's list is asked
        for it. An id no list shows is left out (an inactive vendor: the inactive list documents no id
        filter; a record the account cannot read; a kind named wrongly): the caller reads it with ``get``,
        which tries every path and says why."""
        spec = self.spec(entity)
        if entity not in ID_FILTERED or (spec.scope == "project" and project_id is None):
            raise ValueError(f"Procore documents no read of {entity} by several ids here")
        context = {"company_id": self.company_id, "project_id": project_id}
        wanted = sorted({str(i) for i in ids if str(i).isdigit()}, key=int)
        found: dict[str, dict[str, Any]] = {}
        for source in (s for s in spec.sources if not s.optional):
            # As ``get``: deleted records are not read (the staged lists ask for them, a read by id does not).
            params = {
                k: v.format(**context) for k, v in source.params.items() if k != "filters[include_deleted]"
            }
            missing = [i for i in wanted if i not in found and _may_list(source, (kinds or {}).get(i))]
            for start in range(0, len(missing), ID_BATCH):
                batch = missing[start : start + ID_BATCH]
                what = f"list {len(batch)} {entity} by id" + (
                    f" of project {project_id}" if project_id else ""
                )
                for row in self.rows_of(
                    source.path.format(**context), {**params, **ids_filter(source.path, batch)}, what=what
                ):
                    if str(row.get("id")) in batch:
                        found[str(row["id"])] = self._decorate(
                            row, _lenient_stamp(spec, row), project_id, source.tags
                        )
        return found

    def requisition_lines(
        self, project_id: int, requisition_id: int | str, change_orders: bool = True
    ) -> Iterator[dict[str, Any]]:
        """The lines of one subcontractor invoice (``/requisitions/{id}/contract_items``): amounts
        this period, stored materials, retainage, and the line's cost code: ``_cost_code`` (full code
        string or None) and ``_cost_code_id``, resolved as ``order_lines.with_invoice_cost_codes`` says
        (the line's own cost code, else the commitment line it bills). ``change_orders`` False: its
        commitment has no change orders to bill, so its change order items are not asked. Where the
        contract keeps stored materials as a running balance, each line also says what it had stored
        before (``stored_materials``)."""
        rows = with_materials_stored_before(
            self,
            int(project_id),
            int(requisition_id),
            list(
                self.rows_of(
                    f"{API}/requisitions/{requisition_id}/contract_items",
                    {"project_id": project_id},
                    what=f"list lines of requisition {requisition_id} of project {project_id}",
                )
            ),
        )
        for row in self.with_invoice_cost_codes(int(project_id), int(requisition_id), rows, change_orders):
            row["_requisition_id"] = int(requisition_id)
            row["_project_id"] = int(project_id)
            yield row

    def iter_requisitions_with_lines(
        self,
        start: datetime,
        end: datetime,
        *,
        statuses: Sequence[str] | None = APPROVED_REQUISITION_STATUSES,
    ) -> Iterator[dict[str, Any]]:
        """Requisitions changed in ``[start, end)`` whose status is in ``statuses`` (None: any), each
        with its lines under ``_lines`` (one more call per invoice). The status is checked here:
        whether ``filters[status]`` takes several values is unconfirmed."""
        wanted = {s.lower() for s in statuses} if statuses is not None else None
        for row in self.iter_changed("requisitions", start, end):
            if wanted is not None and str(row.get("status", "")).lower() not in wanted:
                continue
            row["_lines"] = list(self.requisition_lines(row["_project_id"], row["id"]))
            yield row

    # -- vendors (company directory) --------------------------------------------------------------

    def _vendor_rows(self, params: Mapping[str, Any], what: str) -> Iterator[dict[str, Any]]:
        """Active vendors matching ``params``, then every inactive vendor (``inactive_vendors``), which the
        caller matches."""
        base = {"company_id": self.company_id, **params}
        yield from self.rows_of(_VENDORS, base, what=what)
        yield from self.inactive_vendors()

    def inactive_vendors(self) -> list[dict[str, Any]]:
        """The company's inactive vendors, listed once per session (``[]`` where the server has no such list:
        404). The list takes no company_id (it is in the path) and no filter (SDK:
        rest_v10_companies_company_id_vendors_inactive_get), so a search reads it whole: once per session,
        not once per search (pages of ``page_size`` inactive vendors)."""
        if self._inactive_vendors is None:
            path = _INACTIVE_VENDORS.format(company_id=self.company_id)
            try:
                self._inactive_vendors = list(self.rows_of(path, {}, what="list inactive vendors"))
            except ProcoreNotFoundError:
                log.warning("procore: no inactive-vendor list on this server; searched active vendors only")
                self._inactive_vendors = []
        return list(self._inactive_vendors)

    def find_vendor_by_origin_id(self, origin_id: str) -> dict[str, Any] | None:
        """The vendor whose ``origin_id`` is exactly ``origin_id`` (unique per company), or None.
        Uses ``filters[origin_id]`` and checks each answer, so a server ignoring the filter is slow,
        not wrong."""
        wanted = str(origin_id)
        for row in self._vendor_rows(
            {"filters[origin_id]": wanted}, what=f"search vendors by origin_id {wanted}"
        ):
            if str(row.get("origin_id")) == wanted:
                return row
        return None

    def find_vendors_by_name(self, name: str) -> list[dict[str, Any]]:
        """Vendors whose name equals ``name`` apart from case and spacing, active and inactive
        (``filters[search]`` with the name's longest word narrows; the comparison here decides)."""
        if not isinstance(name, str) or not name.strip():
            raise ProcoreValidationError(
                "vendor search needs a non-empty name", fields={"name": ["can't be blank"]}
            )
        return [
            row
            for row in self._vendor_rows(
                {"filters[search]": search_term(name)}, what="search vendors by name"
            )
            if same_name(row.get("name"), name)
        ]

    def find_vendor(self, *, origin_id: str | None = None, name: str | None = None) -> dict[str, Any] | None:
        """By ``origin_id`` when given (and found), else by exact name; ``ProcoreConflictError``
        when the name matches several vendors."""
        if origin_id:
            found = self.find_vendor_by_origin_id(origin_id)
            if found is not None or not name:
                return found
        if not name:
            raise ValueError("find_vendor needs origin_id or name")
        matches = self.find_vendors_by_name(name)
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches)
            raise ProcoreConflictError(
                f"Procore has {len(matches)} vendors named {name!r} (ids {ids}); adopt one explicitly",
                record=f"vendor {name!r}",
            )
        return matches[0] if matches else None

    def create_vendor(self, vendor: Mapping[str, Any]) -> dict[str, Any]:
        """Create a company-directory vendor (``POST /vendors``); returns Procore's record.

        Checked first (``payloads.vendor_body``). Never replayed after a lost answer: that raises
        ``ProcoreOutcomeUnknownError`` (search with ``find_adoptable_vendor``). 422 ->
        ``ProcoreValidationError`` with Procore's field messages; 409 (``origin_id`` taken) ->
        ``ProcoreConflictError``.
        """
        record = record_label("vendor", vendor) if isinstance(vendor, Mapping) else "vendor"
        body = {"company_id": self.company_id, "vendor": vendor_body(vendor, record=record)}
        response = self.call("POST", _VENDORS, body=body, what="create", record=record, idempotent=False)
        created = self.object_of(response, f"create {record}")
        log.info("procore: created %s as vendor %s", record, created.get("id"))
        return created

    def update_vendor(self, vendor_id: int | str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Set fields of a vendor (``PATCH /vendors/{id}``); returns the updated record.

        Sent as idempotent: it sets absolute values, so replaying it after a lost answer changes
        nothing more than the first attempt did.
        """
        record = record_label("vendor", changes, vendor_id)
        body = {
            "company_id": self.company_id,
            "vendor": vendor_body(changes, require_name=False, record=record),
        }
        response = self.call(
            "PATCH", f"{_VENDORS}/{vendor_id}", body=body, what="update", record=record, idempotent=True
        )
        return self.object_of(response, f"update {record}")

    def find_adoptable_vendor(self, *, origin_id: str | None, name: Any) -> dict[str, Any] | None:
        """The vendor a JDE F0101 record should be written to, or None: the write path's search.

        1. by ``origin_id`` (the JDE key; unique per company);
        2. by exact name, among vendors without an ``origin_id`` (one a person or a crashed earlier
           attempt created); a vendor owned by another ERP key is never returned; several
           candidates -> ``ProcoreConflictError``. Tying a found vendor to the JDE key (setting its
           ``origin_id``) is the caller's update.
        """
        origin = str(origin_id) if origin_id not in (None, "") else None
        record = record_label("vendor", {"origin_id": origin, "name": name})
        if origin:
            found = self.find_vendor_by_origin_id(origin)
            if found is not None:
                return found
        if not isinstance(name, str) or not name.strip():
            return None
        candidates = [
            row
            for row in self.find_vendors_by_name(name)
            if row.get("origin_id") in (None, "")
            or (origin is not None and str(row.get("origin_id")) == origin)
        ]
        if len(candidates) > 1:
            ids = ", ".join(str(c.get("id")) for c in candidates)
            raise ProcoreConflictError(
                f"{record}: Procore has {len(candidates)} vendors with this name and no ERP key "
                f"(ids {ids}); link one by setting its origin_id, or merge them in Procore",
                record=record,
            )
        return candidates[0] if candidates else None


def ids_filter(path: str, ids: Sequence[str]) -> dict[str, Any]:
    """The "these ids" filter in the form the list takes (Procore's SDK parameters): the vendor list
    takes ``filters[id][]`` repeated; commitments and requisitions take ``filters[id]`` as one
    comma-separated value."""
    if path.endswith("/vendors"):
        return {"filters[id][]": [int(i) for i in ids]}
    return {"filters[id]": ",".join(str(int(i)) for i in ids)}


def _lenient_stamp(spec: EntitySpec, row: Mapping[str, Any]) -> datetime | None:
    """The row's change stamp when it carries a valid one, else None (a whole read needs none)."""
    try:
        return parse_timestamp(row.get(spec.updated_field))
    except ValueError:
        return None


def _may_list(source: ListSource, kind: Any) -> bool:
    """Whether ``source`` may hold a record of commitment type ``kind`` (any source when the kind is not
    known, or spelt in a way not listed: ``order_lines.COMMITMENT_PATHS``)."""
    tag = source.tags.get("_commitment_type")
    if tag is None or not known_kind(kind):
        return True
    return commitment_path(str(kind)) == commitment_path(tag)
