"""The desk's Live page: each integration on or off, who switched it last and why, its latest fit, and
for an admin the one action that turns it on or off (``connector_cli.live.switch``, as ``ml-connector live``).

Only an admin sees the page or switches (an operator decides on records, not on what runs); anyone else is
told how the desk would make them one (``becoming_admin``: the desk's roles are its own, while at the
command line whoever runs ``ml-connector live`` is its admin). Each switch needs a same-site request, the
form's CSRF token and a why (``guard.check_action(switch=True)``). The switch runs while the request waits
(the first reads' run included), then the browser is sent back with what was done.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connector_cli.desk.guard import CSRF_FIELD, Refused, check_action, form_text
from connector_cli.desk.identity import Identity, becoming_admin
from connector_cli.live.dagster_ui import DagsterUI, DagsterUnreachable
from connector_cli.live.running import what_runs
from connector_cli.live.switch import PAGE_OVERRIDE, LiveRefused, fit_refusal, go_live, go_off
from connector_resources import settings
from connector_resources.ledger import LedgerError
from connector_resources.ledger.operator_actions import NotAllowed, Operator, OperatorAction
from connector_resources.settings import SettingError

if TYPE_CHECKING:  # the desk imports these pages
    from connector_cli.desk.app import Desk

log = logging.getLogger("ml_connector.desk")

REFUSED = (LiveRefused, DagsterUnreachable, NotAllowed, LedgerError, SettingError)


def _shown(desk: Desk, ui: DagsterUI) -> dict[str, Any]:
    """What runs (``running.what_runs``: each integration the webserver loads, the shared pieces), each
    integration with its latest fit and, when that does not allow going on, why (said for this page)."""
    found = what_runs(ledger=desk.ledger, ui=ui)
    rows = []
    for state in found.states:
        fit = desk.ledger.latest_fit(state.integration)
        refusal = fit_refusal(state.integration, fit, override=PAGE_OVERRIDE)
        rows.append({"state": state, "fit": fit.said() if fit else "none", "fit_refusal": refusal or ""})
    return {"rows": rows, "shared": found.shared}


def routes(desk: Desk) -> list[Route]:
    """``GET /live`` and ``POST /live/{integration}/{on|off}`` on ``desk`` (``app.Desk``); the webserver is
    the desk's ``--dagster-url``, else ``ML_DAGSTER_URL``."""
    ui = DagsterUI(desk.dagster_url or settings.value("ML_DAGSTER_URL"))

    def refused(request: Request, who: Identity, why: str, status: int) -> Response:
        return desk.page(request, "refused.html", status, who=who, why=why)

    async def page(request: Request) -> Response:
        who = desk.who(request)
        if who is None:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        if not who.may_switch:
            return refused(request, who, becoming_admin(who), 403)
        try:
            shown = await run_in_threadpool(_shown, desk, ui)
        except REFUSED as error:
            return refused(request, who, str(error), 503)
        return desk.page(request, "live.html", who=who, dagster=ui.url, **shown)

    async def switch(request: Request) -> Response:
        form = await request.form()
        who = desk.who(request)
        try:
            who = check_action(request, who, form_text(form, CSRF_FIELD), switch=True)
        except Refused as refusal:
            return desk.refused(request, refusal, who)
        integration, verb = request.path_params["integration"], request.path_params["verb"]
        if verb not in ("on", "off"):
            return refused(request, who, f"{verb!r} is not on or off", 404)
        said: list[str] = []
        args = {
            "by": Operator(who.actor, who.role),
            "why": str(form.get("why", "")),
            "ledger": desk.ledger,
            "ui": ui,
            "say": said.append,
        }

        def run() -> OperatorAction:
            if verb == "on":
                skip = form.get("without_fit") == "yes"
                return go_live(integration, without_fit=skip, override=PAGE_OVERRIDE, **args)
            return go_off(integration, **args)

        try:
            action = await run_in_threadpool(run)
        except REFUSED as error:
            log.info("desk: live %s %s by %s refused: %s", verb, integration, who.actor, error)
            return refused(request, who, f"{integration} not turned {verb}: {error}", 409)
        notice = f"{integration} is {verb} (operator action {action.id}): " + "; ".join(said)
        return RedirectResponse(f"/live?{urlencode({'notice': notice})}", status_code=303)

    return [
        Route("/live", page, methods=["GET"]),
        Route("/live/{integration:str}/{verb:str}", switch, methods=["POST"]),
    ]
