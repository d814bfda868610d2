"""The desk's pages and actions (a Starlette app; ``build_app`` makes one for a ledger and its access rules).

Pages need a person (any role); actions need an operator, a same-site request and the form's CSRF token
(``guard.check_action``) and go through the ledger's ``OperatorStore`` (abandon, reopen) or the replay of
the deployment's flows (``connector_resources.replay.replay_items`` with ``Deployment.replays``, the same the
CLI and the replay job run: it takes each record the way they do, so an action never writes a record a
running step holds). After an action the
browser is sent back to the page it came from with a notice (post/redirect/get); a replay runs in the
background (``tasks``) and the browser is sent to its progress and result page.

The queue opens on the records that need a person; the records that clear by themselves are beside them
(``views``): every open record is in exactly one of the two.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from connector_cli.desk import live_pages, mapping_pages, match_pages, tasks, views
from connector_cli.desk.guard import CSRF_COOKIE, CSRF_FIELD, Refused, check_action, csrf_token, form_text
from connector_cli.desk.identity import SESSION_COOKIE, Access, Identity, identify
from connector_resources.blocked_records import blocking_parents
from connector_resources.exception_causes import Cause, by_kind, exception_causes, holding, scope_of
from connector_resources.ledger import Ledger, LedgerError
from connector_resources.ledger.operator_actions import Operator, OperatorAction
from connector_resources.ledger.queue_browse import DESK_STATES, QueueFilter
from connector_resources.ledger.records import AuditEvent, QueueItem, Xref
from connector_resources.redaction import redact
from connector_resources.refusal_actions import action_for
from connector_resources.refusals import KINDS, group_title

__all__ = ["EXCEPTIONS_SHOWN", "HELD_SHOWN", "REPLAY_LIMIT", "build_app"]

log = logging.getLogger("ml_connector.desk")

REPLAY_LIMIT = 500  # records one "replay them all" replays; the rest wait for the next one
HELD_SHOWN = 100  # records of an exception linked on the queue page (its fix's page has them all)
EXCEPTIONS_SHOWN = 50  # exceptions listed on the queue page, the largest of each kind first; a kind narrows
OPEN_STATES = ("due", "failed", "held")
VIEW_WORDS = {"person": "Needs a person", "flows": "Clears by itself", "all": "All records"}
STATE_WORDS = {
    "due": "awaiting replay",
    "failed": "failed",
    "held": "held",
    "resolved": "resolved",
    "abandoned": "abandoned",
}
_TEMPLATES = Path(__file__).parent / "templates"


def state_of(item: QueueItem) -> str:
    """The item's state as the desk says it (``queue_browse.DESK_STATES``)."""
    if (
        item.status == "failed"
        and item.next_attempt_at is not None
        and item.next_attempt_at <= datetime.now(UTC)
    ):
        return "due"
    return item.status


def kind_of(item: QueueItem) -> str:
    """The refusal's kind as a person reads it: its title and the values it is grouped by."""
    return group_title(item.kind or "") if item.kind else "-"


FILTER_FIELDS = (
    "integration",
    "flow",
    "state",
    "q",
    "day",
    "kind",
)  # a QueueFilter's fields, as the forms name them (and ``view``, read by ``chosen_view``)


def chosen_view(fields: Mapping[str, str | UploadFile]) -> str:
    """The view a request asks for (``view``: person, flows or all): the records that need a person unless
    it names another; all for a closed state (resolved, abandoned), which is in neither view."""
    if fields.get("state") in ("resolved", "abandoned"):
        return "all"
    view = str(fields.get("view", "") or "")
    return view if view in VIEW_WORDS else "person"


def desk_filter(ledger: Ledger, fields: Mapping[str, str | UploadFile]) -> QueueFilter:
    """The ``QueueFilter`` of a request's fields, with what its view needs (``needs_person``'s inputs): how
    long a wait is normal, the synced records held items still wait for, the close windows long ended and
    the records held on one that needs a person; reads the ledger."""
    view = chosen_view(fields)
    integration, flow, state, search, day, kind = (str(fields.get(k, "") or "") for k in FILTER_FIELDS)
    plain = QueueFilter(integration, flow, state, search, day, kind)
    if view == "all":
        return plain
    hours = views.wait_hours()
    held = ledger.held_dependencies()  # read once: what outlived its wait, and what waits on a person's
    outlived = ledger.synced_dependencies(held) if held else frozenset()
    return dataclasses.replace(
        plain,
        view=view,
        wait_hours=hours,
        outlived=outlived,
        ended=ledger.ended_close_windows(hours),
        blocked=frozenset(blocking_parents(ledger, held - outlived)),
    )


class QueuedViews(TypedDict):
    """What the item page shows of a queued record's payload (``queued_views``), each as JSON text."""

    body: str
    matched_on: str
    payload: str


def queued_views(item: QueueItem) -> QueuedViews:
    """What the queue kept of the record, as the clerk reads it (secrets masked): a record refused at its
    write kept the body we would send and what it is matched on; one refused before (its mapping) kept the
    record as read, and has no body until its cause is fixed and it is mapped again; one refused as it was
    read kept nothing (an empty payload): nothing to show, the page says why instead of ``{}``."""

    def shown(value: Any) -> str:
        return redact(json.dumps(value, indent=2, sort_keys=True, default=str))

    payload = item.payload
    if isinstance(payload, dict) and isinstance(payload.get("body"), dict):
        return {
            "body": shown(payload["body"]),
            "matched_on": shown(payload.get("natural_key") or {}),
            "payload": shown({k: v for k, v in payload.items() if k not in ("body", "natural_key")}),
        }
    return {"body": "", "matched_on": "", "payload": shown(payload) if payload else ""}


class Desk:
    """The app's state: the ledger, how people are recognised, the templates, where Dagster is."""

    replay_limit = REPLAY_LIMIT

    def __init__(self, ledger: Ledger, access: Access, dagster_url: str = "") -> None:
        self.ledger, self.access, self.dagster_url = ledger, access, dagster_url.rstrip("/")
        self.templates = Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape())
        self._causes: tuple[Any, list[Cause]] | None = None
        self._causes_lock = threading.Lock()

    def causes(self) -> list[Cause]:
        """The exceptions (``exception_causes``), read again only when the queue or the cross-references
        changed since they were last read (``queue_stamp``). Why: with 35,000 open missing-row refusals
        reading them takes about a second on a loaded machine, and a person looks at several pages between
        two changes. The stamp is read first, so what is kept is never older than it says."""
        stamp = self.ledger.queue_stamp()
        with self._causes_lock:
            if self._causes is not None and self._causes[0] == stamp:
                return self._causes[1]
        causes = exception_causes(self.ledger)
        with self._causes_lock:
            self._causes = (stamp, causes)
        return causes

    def who(self, request: Request) -> Identity | None:
        return identify(request, self.access, self.ledger)

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        """A rendered page; it sets the CSRF cookie its forms repeat when the browser has none yet."""
        csrf = csrf_token(request)
        html = self.templates.get_template(name).render(
            csrf=csrf, notice=request.query_params.get("notice", ""), state_words=STATE_WORDS, **context
        )
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(CSRF_COOKIE) != csrf:
            _cookie(response, request, CSRF_COOKIE, csrf)
        return response

    def refused(self, request: Request, refusal: Refused, who: Identity | None) -> HTMLResponse:
        return self.page(request, "refused.html", refusal.status, who=who, why=refusal.why)

    def replay(self, items: list[QueueItem], operator: Operator, note: str, *, back: str) -> int:
        """Start the replay of ``items`` in the background, as every desk replay does (``tasks``): the id of
        the task whose page shows its progress and result (``back``: the page the action came from)."""
        if not items:
            raise LedgerError("no record to replay")
        return tasks.start_replay(self.ledger, items, operator, note, back=back)

    def cause_link(self, cause: Cause) -> str:
        """Where a cause is fixed: the add-row form of its table's page with the value filled in (a missing
        row), else where its parent's own action is done (the Matches page, or the parent's page)."""
        if cause.gap is not None:
            mapping = self.templates.globals.get("mapping_links")
            wanted = f"{cause.gap.what} {cause.gap.value}"
            links = mapping(cause.refused[0]) if mapping is not None else []
            return next((link for shown, _, link in links if shown == wanted), "")
        parent = cause.parent
        if parent is None:
            return ""
        return self.links(parent)[1] or f"/items/{parent.id}"

    def links(self, item: QueueItem) -> tuple[str, str]:
        """The item's mapping-table link (a missing row) and its matches link (a pairing by hand)."""
        mapping = self.templates.globals.get("mapping_links")
        match = self.templates.globals.get("match_link")
        code = item.refusal_kind
        gaps = mapping(item) if mapping is not None and code == "mapping_missing" else []
        paired = match(item) if match is not None else ""
        return (gaps[0][2] if gaps else ""), paired

    async def shown_record(
        self, request: Request, param: str, read: Callable[[int], Any], what: str
    ) -> tuple[Identity, Any] | Response:
        """Who asks and the record the path's ``param`` names (``read`` by id), as every record page
        starts: or the sign-in redirect for nobody, or the 404 page naming ``what`` is missing."""
        who = self.who(request)
        if who is None:
            return _sign_in_first(request)
        record_id = request.path_params[param]
        record = await run_in_threadpool(read, record_id)
        if record is None:
            return self.page(request, "refused.html", 404, who=who, why=f"{what} {record_id} does not exist")
        return who, record

    async def form_and_identity(self, request: Request, *, act: bool = True) -> tuple[FormData, Identity]:
        form = await request.form()
        who = self.who(request)
        return form, check_action(request, who, form_text(form, CSRF_FIELD), act=act)


def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def _back(path: str, notice: str) -> RedirectResponse:
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}{urlencode({'notice': notice})}", status_code=303)


def _local_path(target: str) -> str:
    """Where to go after signing in: a path of the desk only, never another site (``//host``, ``/\\host``)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\\" not in target:
        return target
    return "/queue"


def _sign_in_first(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)


def build_app(ledger: Ledger, access: Access, *, dagster_url: str = "") -> Starlette:
    """The desk for ``ledger``, recognising people by ``access``; ``dagster_url`` links runs."""
    desk = Desk(ledger, access, dagster_url)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def login_page(request: Request) -> Response:
        return desk.page(
            request, "login.html", who=desk.who(request), next=request.query_params.get("next", "")
        )

    async def login(request: Request) -> Response:
        try:
            form, _ = await desk.form_and_identity(request, act=False)
        except Refused as refusal:
            return desk.refused(request, refusal, None)
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        token = await run_in_threadpool(ledger.desk_sign_in, name, password, hours=access.session_hours)
        if token is None:
            log.warning(
                "desk: sign-in refused for %r from %s", name, request.client.host if request.client else ""
            )
            return desk.page(request, "login.html", 401, who=None, failed=True, next=form.get("next", ""))
        target = _local_path(str(form.get("next") or ""))
        response = RedirectResponse(target, 303)
        _cookie(response, request, SESSION_COOKIE, token, max_age=int(access.session_hours * 3600))
        return response

    async def logout(request: Request) -> Response:
        try:
            await desk.form_and_identity(request, act=False)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await run_in_threadpool(ledger.desk_sign_out, token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def home(request: Request) -> Response:
        return RedirectResponse("/queue", status_code=303)

    async def queue(request: Request) -> Response:
        who = desk.who(request)
        if who is None:
            return _sign_in_first(request)
        q = request.query_params
        try:
            before = int(q["before"]) if q.get("before") else None
            reads = await run_in_threadpool(_queue_reads, desk, q, before)
        except (LedgerError, ValueError) as error:
            return desk.page(request, "refused.html", 400, who=who, why=str(error))
        where = reads["where"]
        by_flow: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        for integration, flow, state, n in reads["counts"]:
            by_flow[(integration, flow)][state] = n
        params = {k: v for k, v in q.items() if k not in ("before", "notice")}
        params["view"] = view = chosen_view(q)
        page = reads["page"]
        next_url = f"/queue?{urlencode({**params, 'before': page.next_before})}" if page.next_before else ""
        return desk.page(
            request,
            "queue.html",
            who=who,
            where=where,
            view=view,
            view_words=VIEW_WORDS,
            view_counts=reads["views"],
            view_url=lambda name: f"/queue?{urlencode({**params, 'view': name})}",
            counts=sorted(by_flow.items()),
            count_url=lambda i, f, state: (
                f"/queue?{urlencode({**params, 'integration': i, 'flow': f, 'state': state})}"
            ),
            kinds=[(kind, group_title(kind), n) for kind, n in reads["kinds"]],
            causes=reads["causes"],
            cause_link=desk.cause_link,
            kind_title=group_title,
            held_shown=HELD_SHOWN,
            exceptions_shown=EXCEPTIONS_SHOWN,
            kind_url=lambda kind: f"/queue?{urlencode({**params, 'kind': kind})}",
            integrations=sorted({i for i, _ in by_flow} | ({where.integration} - {""})),
            flows=sorted({f for i, f in by_flow if not where.integration or i == where.integration}),
            states=DESK_STATES,
            page=page,
            shown=reads["shown"],
            next_url=next_url,
            state_of=state_of,
            replay_limit=REPLAY_LIMIT,
        )

    async def item_page(request: Request) -> Response:
        shown = await desk.shown_record(request, "item_id", ledger.queue_item_by_id, "queue item")
        if isinstance(shown, Response):
            return shown
        who, item = shown
        trail, xrefs, decisions, shown = await run_in_threadpool(_item_reads, desk, item)
        from connector_resources.replay import audit_run

        return desk.page(
            request,
            "item.html",
            who=who,
            item=item,
            state=state_of(item),
            open=item.status in ("failed", "held"),
            kind=kind_of(item),
            info=KINDS.get(item.refusal_kind),
            action=action_for(item.kind, item.params),
            shown=shown,
            **queued_views(item),
            trail=trail,
            xrefs=xrefs,
            decisions=decisions,
            dagster_url=desk.dagster_url,
            run_of=lambda e: audit_run(e.run_id, e.detail),
        )

    async def item_action(request: Request) -> Response:
        item_id, verb = request.path_params["item_id"], request.path_params["verb"]
        if verb not in ("abandon", "reopen", "replay"):
            return PlainTextResponse("Not Found", status_code=404)
        try:
            form, who = await desk.form_and_identity(request)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        operator, note = Operator(who.actor, who.role), str(form.get("note", ""))
        try:
            if verb == "abandon":
                await run_in_threadpool(ledger.abandon_item, item_id, by=operator, note=note)
                said = f"queue item {item_id} abandoned"
            elif verb == "reopen":
                await run_in_threadpool(ledger.reopen_item, item_id, by=operator, note=note)
                said = f"queue item {item_id} reopened: due for replay"
            else:
                item = await run_in_threadpool(ledger.queue_item_by_id, item_id)
                if item is None:
                    raise LedgerError(f"queue item {item_id} does not exist")
                back = f"/items/{item_id}"
                task = await run_in_threadpool(desk.replay, [item], operator, note, back=back)
                return RedirectResponse(f"/tasks/{task}", status_code=303)
        except (LedgerError, PermissionError) as error:
            return desk.page(request, "refused.html", 409, who=who, why=str(error))
        return _back(f"/items/{item_id}", said)

    async def replay_all(request: Request) -> Response:
        try:
            form, who = await desk.form_and_identity(request)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        fields = {k: str(form.get(k, "")) for k in (*FILTER_FIELDS, "view")}
        operator, note = Operator(who.actor, who.role), str(form.get("note", ""))

        def start() -> int:
            where = desk_filter(ledger, fields)
            if where.state not in ("due", "failed"):
                raise LedgerError("only failed records (awaiting replay or not yet due) are replayed in bulk")
            page = ledger.queue_page(where, limit=REPLAY_LIMIT)
            return desk.replay(page.items, operator, note, back=f"/queue?{urlencode(fields)}")

        try:
            task = await run_in_threadpool(start)
        except (LedgerError, PermissionError, ValueError) as error:
            return desk.page(request, "refused.html", 409, who=who, why=str(error))
        return RedirectResponse(f"/tasks/{task}", status_code=303)

    async def task_page(request: Request) -> Response:
        shown = await desk.shown_record(request, "task_id", ledger.desk_task, "desk task")
        if isinstance(shown, Response):
            return shown
        who, task = shown
        return desk.page(request, "task.html", who=who, task=task)

    routes = [
        Route("/healthz", health),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", home),
        Route("/queue", queue, methods=["GET"]),
        Route("/queue/replay", replay_all, methods=["POST"]),
        Route("/items/{item_id:int}", item_page, methods=["GET"]),
        Route("/items/{item_id:int}/{verb:str}", item_action, methods=["POST"]),
        Route("/tasks/{task_id:int}", task_page, methods=["GET"]),
    ]
    routes += match_pages.routes(desk)
    routes += mapping_pages.routes(desk)
    routes += live_pages.routes(desk)
    app = Starlette(routes=routes)
    app.state.desk = desk
    return app


def _queue_reads(desk: Desk, fields: Mapping[str, str | UploadFile], before: int | None) -> dict[str, Any]:
    """Everything the queue page reads, with the filters of ``fields``: counts by state and by view, the
    exceptions (one per cause, ``exception_causes``) with a record the filters show, the kinds (a cause's
    records counted under its kind), one page and its items as their view shows them. Browsing "Needs a
    person" (no search), a cause's records are listed in its exception, not as rows of their own."""
    ledger = desk.ledger
    where = desk_filter(ledger, fields)
    causes = desk.causes()
    scope = scope_of(causes)
    # The Kinds table counts regardless of the kind chosen; a cause is of one kind, all its records. Every
    # record a cause holds needs a person: unfiltered, "Needs a person" and "All records" show them all.
    narrowed = where.integration or where.flow or where.state or where.day or where.search
    if not causes or where.view == "flows":
        shown: frozenset[int] = frozenset()
    elif narrowed:
        shown = ledger.cause_ids(dataclasses.replace(where, kind=""), scope)
    else:
        shown = frozenset().union(*(cause.ids for cause in causes))
    # Browsing "Needs a person", a cause's records are its exception's; a search finds each record itself
    folded = where.view == "person" and not where.search
    listed = dataclasses.replace(where, folded=scope) if folded else where
    page = ledger.queue_page(listed, before=before)
    others = ledger.kind_counts(dataclasses.replace(where, folded=scope))
    kinds = by_kind(causes, others, shown)
    rank = {kind: n for n, (kind, _) in enumerate(kinds)}
    named = [c for c in holding(causes, shown) if not where.kind or c.kind == where.kind]
    named.sort(key=lambda c: (rank.get(c.kind, len(rank)), -c.count, c.key))  # each at the top of its kind
    return {
        "where": where,
        "counts": ledger.queue_counts(where),
        "views": ledger.view_counts(where),
        "causes": [(cause, len(cause.ids & shown)) for cause in named],
        "kinds": kinds,
        "page": page,
        "shown": _shown(desk, page.items, where, causes),
    }


def _shown(
    desk: Desk, items: list[QueueItem], where: QueueFilter | None = None, causes: list[Cause] | None = None
) -> dict[int, views.Shown]:
    """The open ``items`` as their view shows them (``views.shown_items``), by item id; each held by one of
    ``causes`` (read when not given) says so, and is unblocked by its fix."""
    ledger = desk.ledger
    open_items = [item for item in items if item.status in ("failed", "held")]
    if not open_items:
        return {}
    hours = where.wait_hours if where is not None and where.view else views.wait_hours()
    synced = where.outlived if where is not None and where.view else None
    if synced is None:
        keys = {item.depends_on for item in open_items if item.depends_on}
        synced = ledger.synced_dependencies(keys) if keys else frozenset()
    waited = {item.depends_on for item in open_items if item.depends_on}
    if causes is None:
        causes = desk.causes()
    by_item: dict[int, Cause] = {}
    for cause in holding(causes, {item.id for item in open_items}):  # the largest first
        for item_id in cause.ids:
            by_item.setdefault(item_id, cause)
    shown = views.shown_items(
        open_items,
        hours=hours,
        synced=frozenset(synced),
        blockers=ledger.open_dependencies(waited),
        causes=by_item,
        cause_link=desk.cause_link,
        mapping_link=lambda item: desk.links(item)[0],
        match_link=lambda item: desk.links(item)[1],
    )
    return {s.item.id: s for s in shown}


def _item_reads(
    desk: Desk, item: QueueItem
) -> tuple[list[AuditEvent], list[Xref], list[OperatorAction], views.Shown | None]:
    ledger = desk.ledger
    return (
        ledger.history(item.source_key),
        ledger.xrefs_for(item.source_key),
        ledger.operator_actions(item_id=item.id),
        _shown(desk, [item]).get(item.id),
    )
