"""The desk's matches page (``match_pages``) lets nobody match or unmatch records who does not belong: each
action tried with no identity, as a viewer (signed in or by the proxy's header), with the header from an
untrusted address, cross-site and without the CSRF token is refused, logged, and changes neither the
cross-references nor the operator actions. An operator's match goes through with who and why, a queue item
the flows found ambiguous links to it (one that only waits for another record's sync does not), and a
refusal of the kit (a record missing in its system) says why.

The pairing is held in memory (``memory_pairing``, as in the kit's test); every real pairing goes through the
desk the same way on its simulators in ``test_manual_pairs_sandbox``."""

from __future__ import annotations

import logging

import pytest
from ledger_entries import held_on
from memory_pairing import PAIRING
from starlette.testclient import TestClient
from test_desk_access import ACCESS, ELSEWHERE, _csrf, _sign_in

from connector_cli.desk.app import build_app
from connector_resources.ledger import Ledger, dependency_key
from connector_resources.ledger.operator_actions import Operator
from connector_resources.refusals import Refusal

OPERATOR_HEADERS = {"X-Forwarded-User": "lee", "X-Forwarded-Groups": "ap-leads"}
MATCH, UNMATCH = "/matches/erp_saas/supplier", "/matches/erp_saas/supplier/delete"


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.add_desk_user("vera", "viewer-password-1", "viewer")
    return ledger


def _desk(ledger: Ledger, client=("10.0.0.5", 40000), **headers) -> TestClient:
    app = build_app(ledger, ACCESS)
    app.state.desk.match_pairings = (PAIRING,)
    app.state.desk.match_resources = lambda keys: {}
    return TestClient(app, client=client, headers=headers, follow_redirects=False)


def _state(ledger: Ledger):
    return (
        [(x.source_key, x.target_id, x.manual) for x in ledger.manual_matches("erp_saas")],
        ledger.operator_actions(),
    )


def _stored_match(ledger: Ledger) -> None:
    """4343 = 17 entered by ana: what the unmatch attempts would delete."""
    from connector_assets.flows.manual_matches import set_match
    from connector_assets.flows.manual_pairs import Found

    set_match(
        PAIRING,
        ledger,
        Found("4343", "ERP supplier 4343"),
        Found("17", "SaaS supplier 17"),
        by=Operator("ana", "operator"),
        note="same tax id",
    )


@pytest.mark.parametrize(
    ("path", "form"),
    [(MATCH, {"source": "5000", "target": "18"}), (UNMATCH, {"source": "4343"})],
    ids=["match", "unmatch"],
)
def test_every_refusal_changes_nothing_and_is_logged(ledger, path, form, caplog) -> None:
    _stored_match(ledger)
    before = _state(ledger)
    form = {**form, "note": "same bank account"}
    caplog.set_level(logging.WARNING, logger="ml_connector.desk")

    nobody = _desk(ledger, client=ELSEWHERE)
    assert nobody.post(path, data={**form, "csrf": _csrf(nobody)}).status_code == 401

    viewer = _desk(ledger, client=ELSEWHERE)
    token = _sign_in(viewer, "vera", "viewer-password-1")
    answer = viewer.post(path, data={**form, "csrf": token})
    assert answer.status_code == 403 and "vera is a viewer" in answer.text

    proxied_viewer = _desk(ledger, **{"X-Forwarded-User": "pat", "X-Forwarded-Groups": "ap-clerks"})
    assert proxied_viewer.post(path, data={**form, "csrf": _csrf(proxied_viewer)}).status_code == 403

    untrusted = _desk(
        ledger, client=ELSEWHERE, **{"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "ap-leads"}
    )
    assert untrusted.post(path, data={**form, "csrf": _csrf(untrusted)}).status_code == 401

    operator = _desk(ledger, **OPERATOR_HEADERS)
    token = _csrf(operator)
    cross_site = operator.post(path, data={**form, "csrf": token}, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and "not from the desk" in cross_site.text
    assert (
        operator.post(
            path, data={**form, "csrf": token}, headers={"Sec-Fetch-Site": "cross-site"}
        ).status_code
        == 403
    )
    assert operator.post(path, data=form).status_code == 403  # no token
    assert operator.post(path, data={**form, "csrf": "forged"}).status_code == 403

    assert _state(ledger) == before
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("desk: refused")]
    assert any(f"POST {path} from 192.0.2.7 (no identity): nobody is signed in" in r for r in refusals)
    assert any("(vera): vera is a viewer" in r for r in refusals)
    assert any("X-Forwarded-User header naming 'mallory' from 192.0.2.7" in r for r in refusals)
    assert any("(lee): the request comes from https://evil.example" in r for r in refusals)
    assert len(refusals) >= 8


def test_an_operator_matches_from_an_ambiguous_records_page_and_deletes_the_match(ledger) -> None:
    supplier = dependency_key("erp_saas", "supplier", "ERP", "5000")
    held = held_on(ledger, ("erp_saas", "orders", "order"), "PO-77", supplier, "waits for its supplier")
    two = "supplier 5000: SaaS suppliers 18 and 19 both match its tax id"
    ambiguous = ledger.enqueue(
        integration="erp_saas", flow="suppliers", entity="supplier", source_key="5000", payload={},
        reason=two, refusal=Refusal("ambiguous", two, {"system": "saas", "candidates": ["18", "19"]}),
    )  # fmt: skip
    desk = _desk(ledger, **OPERATOR_HEADERS)
    # the order only waits for its supplier's sync: the flows pair it then, no match by hand is offered
    assert 'id="match-by-hand"' not in desk.get(f"/items/{held.id}").text
    item = desk.get(f"/items/{ambiguous.id}")
    assert 'id="match-by-hand"' in item.text
    link = item.text.split('id="match-by-hand" href="')[1].split('"')[0].replace("&amp;", "&")
    page = desk.get(link)
    assert page.status_code == 200 and 'value="5000"' in page.text and "test pairing" in page.text
    token = _csrf(desk)

    missing = desk.post(MATCH, data={"csrf": token, "source": "5000", "target": "99", "note": "typo"})
    assert missing.status_code == 409 and "SaaS has no supplier with id 99" in missing.text
    done = desk.post(
        MATCH, data={"csrf": token, "source": "5000", "target": "18", "note": "same bank account"}
    )
    assert done.status_code == 303 and "released 1 held record" in done.headers["location"].replace("+", " ")
    assert [i.status for i in ledger.queue_for("PO-77")] == ["failed"]
    listed = desk.get("/matches")
    assert (
        'data-source="5000"' in listed.text and "same bank account" in listed.text and ">lee<" in listed.text
    )
    [action] = ledger.operator_actions(action="match")
    assert (action.actor, action.role, action.note) == ("lee", "operator", "same bank account")

    again = desk.post(MATCH, data={"csrf": token, "source": "4343", "target": "18", "note": "dup"})
    assert again.status_code == 409 and "SaaS supplier 18 is paired with ERP supplier 5000" in again.text
    gone = desk.post(UNMATCH, data={"csrf": token, "source": "5000", "note": "wrong supplier"})
    assert gone.status_code == 303 and ledger.manual_matches("erp_saas") == []
    assert [a.action for a in ledger.operator_actions()] == ["unmatch", "match"]


def test_a_viewer_sees_the_matches_without_any_form(ledger) -> None:
    _stored_match(ledger)
    assert _desk(ledger, client=ELSEWHERE).get("/matches").status_code == 303  # to the sign-in page
    viewer = _desk(ledger, client=ELSEWHERE)
    _sign_in(viewer, "vera", "viewer-password-1")
    page = viewer.get("/matches")
    assert 'data-source="4343"' in page.text and "same tax id" in page.text
    assert "match-form" not in page.text and "unmatch-form" not in page.text
