"""The desk's Live page: each integration on or off, who switched it last and why, its latest fit, and
for an admin the one action that turns it on or off (``connector_cli.live.switch``, as ``ml-connector live``).

Only an admin sees the page or switches (an operator decides on records, not on what runs); each switch
needs a same-site request, the form's CSRF token and a why (``guard.check_action(switch=True)``). The
switch runs while the request waits (the first reads' run included), then the browser is sent back with
what was done.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connector_cli.desk.guard import Refused, check_action
from connector_cli.live.dagster_ui import DagsterUI, DagsterUnreachable
from connector_cli.live.switch import LiveRefused, fit_refusal, go_live, go_off, live_states
from connector_resources import settings
from connector_resources.ledger import LedgerError
from connector_resources.ledger.operator_actions import NotAllowed, Operator
from connector_resources.settings import SettingError

log = logging.getLogger("ml_connector.desk")

REFUSED = (LiveRefused, DagsterUnreachable, NotAllowed, LedgerError, SettingError)


def _shown(desk: Any, ui: DagsterUI) -> list[dict[str, Any]]:
    """Each integration of the deployment: its state, last switch and fit (reads Dagster and the ledger)."""
    from connector_assets.deployment import Deployment

    rows = []
    for state in live_states(Deployment.of().names, ledger=desk.ledger, ui=ui):
        fit = desk.ledger.latest_fit(state.integration)
        rows.append(
            {
                "state": state,
                "fit": fit.said() if fit else "none",
                "fit_refusal": fit_refusal(state.integration, fit) or "",
            }
        )
    return rows


def routes(desk: Any) -> list[Route]:
    """``GET /live`` and ``POST /live/{integration}/{on|off}`` on ``desk`` (``app.Desk``); the webserver is
    the desk's ``--dagster-url``, else ``ML_DAGSTER_URL``."""
    ui = DagsterUI(desk.dagster_url or settings.value("ML_DAGSTER_URL"))

    def refused(request: Request, who: Any, why: str, status: int) -> Response:
        return desk.page(request, "refused.html", status, who=who, why=why)

    async def page(request: Request) -> Response:
        who = desk.who(request)
        if who is None:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        if not who.may_switch:
            return refused(
                request, who, f"{who.actor} is a {who.role}: only an admin may see and use Live", 403
            )
        try:
            rows = await run_in_threadpool(_shown, desk, ui)
        except REFUSED as error:
            return refused(request, who, str(error), 503)
        return desk.page(request, "live.html", who=who, rows=rows, dagster=ui.url)

    async def switch(request: Request) -> Response:
        form = await request.form()
        who = desk.who(request)
        try:
            check_action(request, who, form.get("csrf"), switch=True)
        except Refused as refusal:
            return desk.refused(request, refusal, who)
        integration, verb = request.path_params["integration"], request.path_params["verb"]
        if verb not in ("on", "off"):
            return refused(request, who, f"{verb!r} is not on or off", 404)
        said: list[str] = []
        args = {"by": Operator(who.actor, who.role), "why": str(form.get("why", "")), "ledger": desk.ledger}

        def run() -> Any:
            if verb == "on":
                without_fit = form.get("without_fit") == "yes"
                return go_live(integration, ui=ui, without_fit=without_fit, say=said.append, **args)
            return go_off(integration, ui=ui, say=said.append, **args)

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
