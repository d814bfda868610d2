"""The desk's mapping tables: each table's rows changed where the exceptions are, the values queued records
wait for with how many each unblocks, a replay of exactly the records a save unblocked, and which version
of the table each recent run used.

Why here: the people who fix a refused bill's mapping are AP clerks, and the record that names the missing
row is on the desk. A change goes through ``flows.mapping_changes`` (``plan_change`` then ``save_change``,
origin "desk"): the same format and master-data checks as ``ml-connector mappings import``, versioned with
who and why; a refusal names the key and the problem and saves nothing. Actions need an operator, a
same-site request and the form's CSRF token (``Desk.form_and_identity``); pages need a person. A row is
deleted only after a second step that says what the delete does. A refused value is shown with the values
the table's rows map to now.

Which values queued records wait for, and how many records each holds, is read through the one count of
every surface (``exception_causes``: a missing row's records are those refused for it, from their
refusals' parameters, and those waiting on them); no sentence is read. The tables are the
deployment's (``connector_cli.mappings.enabled``); the desk's ``mapping_tables`` / ``mapping_resources``,
when set (``app.state.desk``), stand in for them and for the systems the master-data check reads
(a test's own).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connector_cli.desk.guard import Refused
from connector_resources.exception_causes import Cause, Held, exception_causes
from connector_resources.ledger import Ledger, LedgerError
from connector_resources.ledger.mapping_store import MappingUse
from connector_resources.ledger.operator_actions import Operator
from connector_resources.ledger.records import QueueItem
from connector_resources.mapping_gaps import MappingGap, mapping_gaps

if TYPE_CHECKING:  # the desk imports these pages; the tables' module is loaded with the deployment
    from starlette.datastructures import FormData

    from connector_assets.flows.mapping_tables import MappingTable
    from connector_cli.desk.app import Desk

__all__ = [
    "ROWS_SHOWN",
    "VALUES_SHOWN",
    "mapping_links",
    "routes",
    "table_values",
    "waiting_values",
]

log = logging.getLogger("ml_connector.desk")

ROWS_SHOWN = 200  # rows of a table shown with their forms; a search narrows a longer table
VALUES_SHOWN = 20  # values a refused change lists (the ones the table's rows map to), then how many more
USES_SHOWN = 20  # recent runs shown with the version they mapped with


@dataclass
class Waiting:
    """One value a table lacks that queued records wait for: the key to add, what the reasons call it,
    the items, and whether the table has the row now (then they wait only for a replay)."""

    key: str
    what: str
    items: list[Held] = field(default_factory=list)
    in_table: bool = False


def _tables(desk: Desk) -> Mapping[str, MappingTable]:
    given = getattr(desk, "mapping_tables", None)
    if given is not None:
        return given
    from connector_cli.mappings import enabled

    return enabled()


def _resources(desk: Desk, table: MappingTable) -> Mapping[str, Any] | None:
    """The systems the table's master-data check reads: the desk's stand-in, else None (today's settings)."""
    given: Callable[[Sequence[str]], Mapping[str, Any]] | None = getattr(desk, "mapping_resources", None)
    if given is None or table.master is None:
        return None
    return given(table.master.systems)


def _integration(table: MappingTable) -> str:
    return table.name.split("/")[0]


def _row_key(value: str) -> str:
    """The key a gap's value is added under (the refusal names the key itself)."""
    return value.strip()


def _gaps(item: QueueItem | Held) -> list[MappingGap]:
    """The mapping rows ``item``'s refusal says are missing (``refusals.mapping_gaps``)."""
    return mapping_gaps(item.kind, item.params)


def names_table(table: MappingTable, integration: str, gap: MappingGap) -> bool:
    """Whether ``gap`` (a ``MappingGap`` of a record of ``integration``) is a row of ``table``: the table
    its refusal names (the asset or the setting), else the integration's table whose key column is what
    the refusal calls the value ("account" -> ``jde_account``, "Coupa account" -> ``coupa_account``)."""
    if gap.table:
        return gap.table.lstrip("$") in (table.name, table.variable)
    if integration != _integration(table):
        return False
    return set(gap.what.lower().split()) <= set(table.key.lower().split("_"))


def waiting_values(
    table: MappingTable, ledger: Ledger, rows: Mapping[str, str], causes: Iterable[Cause] | None = None
) -> list[Waiting]:
    """The values of ``table`` open records wait for, most waited-for first (``rows``: today's table): each
    value's exception (``exception_causes``) with every record it holds, those refused for the value and
    those waiting on them, as the desk's queue counts it (``causes``: as read already, else read here)."""
    found: dict[str, Waiting] = {}
    for cause, gap in _causes_of(table, exception_causes(ledger) if causes is None else causes):
        key = _row_key(gap.value)
        waiting = found.setdefault(key, Waiting(key, gap.what, in_table=key in rows))
        listed = {item.id for item in waiting.items}
        waiting.items += [item for item in cause.held if item.id not in listed]
    return sorted(found.values(), key=lambda w: (-len(w.items), w.key))


def _causes_of(table: MappingTable, causes: Iterable[Cause]) -> list[tuple[Cause, MappingGap]]:
    """The causes that are a missing row of ``table``, each with its row."""
    return [(c, c.gap) for c in causes if c.gap is not None and names_table(table, c.integration, c.gap)]


def unblocked(
    table: MappingTable, ledger: Ledger, rows: Mapping[str, str], keys: Iterable[str]
) -> list[Held]:
    """The open records a save of ``keys`` unblocks: those refused for any of them whose every value of this
    table is in ``rows`` now (a record still missing another row of it waits on), and the records waiting
    on those; its replay writes them, a refused record before those that wait on it."""
    wanted: set[str] = set(keys)
    chosen: dict[int, Held] = {}
    if not wanted:
        return []
    for cause, gap in _causes_of(table, exception_causes(ledger)):
        if _row_key(gap.value) not in wanted:
            continue
        for item in cause.refused:
            gaps = [g for g in _gaps(item) if names_table(table, item.integration, g)]
            if all(_row_key(g.value) in rows for g in gaps):
                chosen[item.id] = item
                chosen.update((child.id, child) for child in cause.waiting if _waits_on(child, item))
    return [chosen[i] for i in sorted(chosen)]


def _waits_on(child: Held, parent: Held) -> bool:
    """Whether ``child`` is held on ``parent`` (its dependency key names it, the system aside)."""
    parts = (child.depends_on or "").split(":", 3)
    return len(parts) == 4 and (parts[0], parts[1], parts[3]) == (
        parent.integration,
        parent.entity,
        parent.source_key,
    )


def mapping_links(
    tables: Callable[[], Mapping[str, MappingTable]], item: QueueItem | Held
) -> list[tuple[str, str, str]]:
    """``(what, value, link)`` for each mapping row the item's refusal says is missing: the table's page with
    the add-row form filled in; [] when it names none (``tables`` is then never asked: it loads the
    deployment's definitions)."""
    gaps = _gaps(item)
    links = []
    for gap in gaps:
        for table in tables().values():
            if names_table(table, item.integration, gap):
                key = _row_key(gap.value)
                link = f"{_url(table.name)}?{urlencode({'key': key})}#add"
                links.append((f"{gap.what} {gap.value}", table.name, link))
                break
    return links


def table_values(rows: Mapping[str, str]) -> tuple[list[str], int]:
    """The distinct values the table's rows map to, the first ``VALUES_SHOWN`` in order, and how many in
    all: what a refused change is shown beside (each was checked against the systems when it was saved)."""
    values = sorted({value for value in rows.values() if value})
    return values[:VALUES_SHOWN], len(values)


def mapping_uses(desk: Desk, name: str) -> list[MappingUse]:
    """The table's recent uses by runs (``MappingUse``: version, run id, when), newest first; [] for a
    ledger that does not record them."""
    uses = getattr(desk.ledger, "mapping_uses", None)
    return list(uses(name, limit=USES_SHOWN)) if uses is not None else []


def _url(name: str) -> str:
    return f"/mappings/{quote(name)}"


def _listing(desk: Desk) -> list[dict[str, Any]]:
    """Each enabled table with its state; a table the ledger does not hold yet is imported here (its first
    use), and one that cannot be says why."""
    shown = []
    for name, table in _tables(desk).items():
        entry: dict[str, Any] = {"name": name, "table": table, "problem": ""}
        try:
            table.current(desk.ledger)
            entry["differs"] = table.file_differs(desk.ledger)
        except ValueError as problem:
            entry["problem"], entry["differs"] = str(problem), None
        entry["info"] = desk.ledger.mapping_info(name)
        shown.append(entry)
    return shown


def _table_reads(desk: Desk, table: MappingTable, find: str) -> dict[str, Any]:
    ledger = desk.ledger
    rows = table.current(ledger)
    matching = [(k, v) for k, v in rows.items() if not find or find.lower() in f"{k}\t{v}".lower()]
    return {
        "rows": matching[:ROWS_SHOWN],
        "row_count": len(rows),
        "matching": len(matching),
        "info": ledger.mapping_info(table.name),
        "differs": table.file_differs(ledger),
        # The first import's rows are one line (``info``), not a row each: the changes people made show.
        "history": [c for c in ledger.mapping_history(table.name, limit=200) if c.origin != "first use"][
            :100
        ],
        "waiting": waiting_values(table, ledger, rows, desk.causes()),
        "table_rows": rows,
        "values": table_values(rows),
        "uses": mapping_uses(desk, table.name),
    }


def routes(desk: Desk) -> list[Route]:
    """The tables' list, a table's page, a row's change and the replay of what a save unblocked, on
    ``desk`` (``connector_cli.desk.app.Desk``); the tables load Dagster on first use."""
    desk.templates.globals["mapping_links"] = lambda item: mapping_links(lambda: _tables(desk), item)

    def named(request: Request) -> MappingTable:
        wanted = f"{request.path_params['integration']}/{request.path_params['name']}"
        table = _tables(desk).get(wanted)
        if table is None:
            raise LedgerError(f"{wanted} is no mapping table of the enabled integrations")
        return table

    async def listing(request: Request) -> Response:
        who = desk.who(request)
        if who is None:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        shown = await run_in_threadpool(_listing, desk)
        return desk.page(request, "mappings.html", who=who, shown=shown, url=_url)

    async def page(
        request: Request, *, status: int = 200, refusal: str = "", form: FormData | None = None
    ) -> Response:
        who = desk.who(request)
        if who is None:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        q = request.query_params
        try:
            table = named(request)
            reads = await run_in_threadpool(_table_reads, desk, table, q.get("find", ""))
        except (LedgerError, ValueError) as error:
            shown = 404 if status == 200 else status
            return desk.page(request, "refused.html", shown, who=who, why=str(error))
        saved = [q["unblocks"]] if q.get("unblocks") else []
        unblocks = await run_in_threadpool(unblocked, table, desk.ledger, reads["table_rows"], saved)
        entered = {k: str((form or {}).get(k, "")) for k in ("key", "value", "note")}
        confirm = q.get("delete", "")
        if confirm and confirm not in reads["table_rows"]:
            confirm = ""
        return desk.page(
            request,
            "mapping.html",
            status,
            who=who,
            table=table,
            url=_url(table.name),
            find=q.get("find", ""),
            prefill=entered["key"] or q.get("key", ""),
            entered=entered,
            refusal=refusal,
            saved=saved,
            unblocks=unblocks,
            confirm_delete=confirm,
            confirm_note=q.get("note", "") if confirm else "",
            request_version=q.get("version", "") if confirm else "",
            dagster_url=desk.dagster_url,
            **reads,
        )

    async def change(request: Request) -> Response:
        from connector_assets.flows.mapping_changes import MappingRefused, plan_change, save_change

        try:
            form, who = await desk.form_and_identity(request)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        key, value = str(form.get("key", "")).strip(), str(form.get("value", "")).strip()
        note, delete = str(form.get("note", "")), form.get("do") == "delete"
        operator = Operator(who.actor, who.role)
        if delete and form.get("confirm") != "yes":  # the first step only asks: the page says what it does
            ask = {"delete": key, "note": note, "version": str(form.get("version", ""))}
            return RedirectResponse(f"{request.url.path}?{urlencode(ask)}#confirm-delete", status_code=303)

        def save() -> tuple[MappingTable, str]:
            table = named(request)
            if not key:
                raise MappingRefused(table.name, {"(key)": f"a row needs its {table.key}"})
            if not delete and not value:
                raise MappingRefused(table.name, {key: f"a row needs its {table.value} (or delete the row)"})
            planned = plan_change(
                table, {key: None if delete else value}, ledger=desk.ledger, resources=_resources(desk, table)
            )
            if str(form.get("version", "")).isdigit():  # the version the page showed: a save since is stale
                planned = dataclasses.replace(planned, version=int(str(form["version"])))
            info = save_change(planned, by=operator, note=note, origin="desk", ledger=desk.ledger)
            said = "; ".join(planned.diff.lines())
            return table, f"{table.name} version {info.version} saved: {said}"

        try:
            table, said = await run_in_threadpool(save)
        except (ValueError, LedgerError, PermissionError) as error:  # MappingRefused, StaleMapping
            log.info("desk: mapping change %s by %s not saved: %s", request.url.path, who.actor, error)
            return await page(request, status=409, refusal=str(error), form=form)
        back = {"notice": said, **({"unblocks": key} if not delete else {})}
        return RedirectResponse(f"{_url(table.name)}?{urlencode(back)}", status_code=303)

    async def replay(request: Request) -> Response:
        try:
            form, who = await desk.form_and_identity(request)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        keys = [str(k) for k in form.getlist("key") if str(k)]
        operator, note = Operator(who.actor, who.role), str(form.get("note", ""))

        def run() -> int:
            table = named(request)
            rows = table.current(desk.ledger)
            missing = [k for k in keys if k not in rows]
            if not keys or missing:
                raise LedgerError(f"{table.name} has no row for {', '.join(missing) or '(no key given)'}")
            chosen = unblocked(table, desk.ledger, rows, keys)[: desk.replay_limit]
            items = [item for held in chosen if (item := desk.ledger.queue_item_by_id(held.id))]
            return int(desk.replay(items, operator, note, back=_url(table.name)))

        try:
            task = await run_in_threadpool(run)
        except (LedgerError, PermissionError, ValueError) as error:
            log.info("desk: replay %s by %s not done: %s", request.url.path, who.actor, error)
            return desk.page(request, "refused.html", 409, who=who, why=str(error))
        return RedirectResponse(f"/tasks/{task}", status_code=303)

    async def table_page(request: Request) -> Response:
        return await page(request)

    return [
        Route("/mappings", listing, methods=["GET"]),
        Route("/mappings/{integration:str}/{name:str}", table_page, methods=["GET"]),
        Route("/mappings/{integration:str}/{name:str}", change, methods=["POST"]),
        Route("/mappings/{integration:str}/{name:str}/replay", replay, methods=["POST"]),
    ]
