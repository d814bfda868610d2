"""The desk's matches page: match two records by hand for every pairing the flows make by natural key, see
the manual matches with who entered each, when and why, and delete one.

What the page does is what ``ml-connector xref`` does (``flows.manual_pairs``: both records read in their
systems first, a record that does not exist or is paired already refused naming it, the manual
cross-reference no flow overwrites, its audit event, the operator action, the held records released), so a
match entered here and one entered in a shell leave the same trace. Actions need an operator, a same-site
request and the form's CSRF token (``Desk.form_and_identity``); pages need a person. A queue item no flow
can pair (its refusal ``ambiguous`` or ``conflict``) links here (``match_link``), with its record filled in;
a record that only waits for another's sync does not (the flows pair it once that one syncs).

The pairings are the deployment's (``ML_INTEGRATIONS``); the systems are read with today's settings
(``resources_from_settings``). The desk's ``match_pairings`` / ``match_resources``, when set
(``app.state.desk``), stand in for them (a test's simulators).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from connector_cli.desk.guard import Refused
from connector_resources.ledger import Ledger, LedgerError, Xref
from connector_resources.ledger.operator_actions import Operator
from connector_resources.needs_person import person_kind

if TYPE_CHECKING:  # the desk imports these pages; the pairings load Dagster, on first use
    from connector_assets.flows.manual_pairs import ManualPairing
    from connector_cli.desk.app import Desk
    from connector_resources.ledger.records import QueueItem

__all__ = ["match_link", "routes"]

log = logging.getLogger("ml_connector.desk")

Resources = Callable[[Sequence[str]], dict[str, Any]]


def _pairings(desk: Desk) -> Sequence[ManualPairing]:
    given = getattr(desk, "match_pairings", None)
    if given is not None:
        return given
    from connector_assets.deployment import Deployment

    return Deployment.of().pairings


def _resources(desk: Desk, pairing: ManualPairing) -> Resources:
    """What ``pairing``'s records are read with: the desk's given resources, else today's settings for the
    pairing's instance (its own connections first: another tenant's records are read there)."""
    given = getattr(desk, "match_resources", None)
    if given is not None:
        return given
    from connector_assets.flows.replay_resources import resources_from_settings

    return partial(resources_from_settings, instance=pairing.integration)


def match_link(pairings: Sequence[ManualPairing], item: QueueItem) -> str:
    """The matches page for the pairing that would answer an open queue item that needs a person, with the
    record filled in: the record it names (``ManualPairing.waited_for``: refused for want of the pair),
    else, for an ambiguous or conflicting record, its own record when a pairing pairs its entity; "" when
    no pairing would answer it, and always for a wait (no match by hand where a flow pairs the record)."""
    if not person_kind(getattr(item, "kind", None)) or item.status not in ("failed", "held"):
        return ""  # a wait: the flows pair it once what it waits for syncs
    hand = item.refusal_kind in ("ambiguous", "conflict")
    for pairing in pairings:
        found = pairing.waited_for(item)
        if found is None and hand and pairing.name == f"{item.integration}/{item.entity}":
            found = ("source", item.source_key)
        if found is not None:
            side, key = found
            return f"/matches?{urlencode({'pairing': pairing.name, side: key})}#{pairing.name}"
    return ""


def _back(pairing: str, notice: str) -> RedirectResponse:
    return RedirectResponse(f"/matches?{urlencode({'pairing': pairing, 'notice': notice})}", status_code=303)


def _set(
    pairing: ManualPairing, ledger: Ledger, resources: Resources, form: dict[str, str], operator: Operator
) -> str:
    """Both records read, the match stored (``flows.manual_pairs``); what came of it, in words."""
    from connector_assets.flows.manual_matches import find_both, set_match
    from connector_assets.flows.manual_pairs import Systems

    with Systems(resources(pairing.resources)) as systems:
        source, target = find_both(pairing, systems, ledger, form["source"], form["target"])
        result = set_match(
            pairing,
            ledger,
            source,
            target,
            by=operator,
            note=form["note"],
            replace=form.get("replace") == "yes",
            systems=systems,
        )
    if not result.stored:
        return f"already matched: {source.label} = {target.label} (nothing changed)"
    said = [f"matched {source.label} = {target.label}"]
    said += [f"replaced: {pair}" for pair in result.replaced]
    if result.released:
        said.append(f"released {result.released} held record(s) for replay")
    if result.answered:
        said.append(f"{result.answered} other queue item(s) answered")
    return "; ".join(said)


def routes(desk: Desk) -> list[Route]:
    """The matches page and its two actions, on ``desk`` (``connector_cli.desk.app.Desk``). The kit and the
    pairings are imported on first use (they load Dagster), so the desk starts as fast as without them."""
    desk.templates.globals["match_link"] = lambda item: match_link(_pairings(desk), item)

    def named(request: Request) -> ManualPairing:
        wanted = f"{request.path_params['integration']}/{request.path_params['entity']}"
        for pairing in _pairings(desk):
            if pairing.name == wanted:
                return pairing
        raise LedgerError(f"{wanted} is no pairing matched by hand here")

    async def page(request: Request) -> Response:
        who = desk.who(request)
        if who is None:
            return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", status_code=303)
        q = request.query_params
        pairings = list(await run_in_threadpool(_pairings, desk))
        chosen = [p for p in pairings if p.name == q.get("pairing")] or pairings

        def reads() -> list[tuple[ManualPairing, list[Xref]]]:
            from connector_assets.flows.manual_matches import manual_matches

            return [(p, manual_matches(p, desk.ledger)) for p in chosen]

        shown = await run_in_threadpool(reads)
        return desk.page(
            request,
            "matches.html",
            who=who,
            pairings=pairings,
            shown=shown,
            chosen=q.get("pairing", ""),
            source=q.get("source", ""),
            target=q.get("target", ""),
        )

    async def act(request: Request, verb: str) -> Response:
        from connector_assets.flows.manual_matches import delete_match
        from connector_assets.flows.manual_pairs import MatchRefused

        try:
            form, who = await desk.form_and_identity(request)
        except Refused as refusal:
            return desk.refused(request, refusal, desk.who(request))
        fields = {k: str(form.get(k, "")).strip() for k in ("source", "target", "note", "replace")}
        operator = Operator(who.actor, who.role)
        try:
            pairing = named(request)
            if verb == "set":
                said = await run_in_threadpool(
                    _set, pairing, desk.ledger, _resources(desk, pairing), fields, operator
                )
            else:
                before = await run_in_threadpool(
                    delete_match, pairing, desk.ledger, fields["source"], by=operator, note=fields["note"]
                )
                said = (
                    f"deleted the manual match {before.source_system} {before.source_key} -> "
                    f"{before.target_system} {before.target_id}; the flows pair {before.source_key} again"
                )
        except (MatchRefused, LedgerError, PermissionError) as error:
            log.info("desk: %s of %s by %s not done: %s", verb, request.url.path, who.actor, error)
            return desk.page(request, "refused.html", 409, who=who, why=str(error))
        return _back(pairing.name, said)

    async def set_match_action(request: Request) -> Response:
        return await act(request, "set")

    async def delete_match_action(request: Request) -> Response:
        return await act(request, "delete")

    return [
        Route("/matches", page, methods=["GET"]),
        Route("/matches/{integration:str}/{entity:str}", set_match_action, methods=["POST"]),
        Route("/matches/{integration:str}/{entity:str}/delete", delete_match_action, methods=["POST"]),
    ]
