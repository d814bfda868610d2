"""Nobody changes anything through the desk who does not belong: every action tried with no identity, as a
viewer, with the proxy's header from an untrusted address, cross-site and without the CSRF token; each is
refused, logged, and leaves the queue and the operator actions as they were. The same actions by an
operator go through, with who and why kept."""

from __future__ import annotations

import ipaddress
import logging
import re

import pytest
from ledger_entries import audited, queued
from starlette.testclient import TestClient

from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger

PROXY = ("10.0.0.5", 40000)
ELSEWHERE = ("192.0.2.7", 40000)
ACCESS = Access(
    proxy_header="X-Forwarded-User",
    trusted_proxies=(ipaddress.ip_network("10.0.0.0/24"),),
    groups_header="X-Forwarded-Groups",
    operators=frozenset({"ap-leads"}),
)
ACTIONS = ("abandon", "replay", "map", "replay-mapped")
TABLE = "jde_coupa/payment_terms_map"


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.add_desk_user("vera", "viewer-password-1", "viewer")
    ledger.add_desk_user("otto", "operator-password-1", "operator")
    return ledger


def _queued(ledger: Ledger):
    reason, payload = "GL account 6100 has no BILL chart of accounts entry", {"amount": "75461.36"}
    return queued(ledger, ("jde_bill", "bills", "bill"), "00001/4471/PV", reason, payload=payload)


def _client(ledger: Ledger, client=PROXY, **headers) -> TestClient:
    return TestClient(build_app(ledger, ACCESS), client=client, headers=headers, follow_redirects=False)


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    return page.cookies.get(CSRF_COOKIE) or client.cookies[CSRF_COOKIE]


def _sign_in(client: TestClient, name: str, password: str) -> str:
    token = _csrf(client)
    answer = client.post("/login", data={"name": name, "password": password, "csrf": token})
    assert answer.status_code == 303, answer.text
    return token


def _state(ledger: Ledger):
    return (
        [(i.id, i.status) for i in ledger.open_items(limit=100)],
        ledger.operator_actions(),
        ledger.mapping_infos(),
        ledger.mapping_rows(TABLE),
    )


def _action(ledger: Ledger, verb: str) -> tuple[str, dict[str, str]]:
    """Where the action posts and its form: a queue item's, a mapping row's change, or the replay of the
    records a saved row unblocks."""
    item = _queued(ledger)
    if verb == "map":
        ledger.seed_mapping(TABLE, {"N30": "Net 30"}, origin="test", content_hash="")
        return f"/mappings/{TABLE}", {"key": "N45", "value": "Net 45", "version": "1"}
    if verb == "replay-mapped":
        ledger.seed_mapping(TABLE, {"N30": "Net 30"}, origin="test", content_hash="")
        return f"/mappings/{TABLE}/replay", {"key": "N30"}
    return f"/items/{item.id}/{verb}", {}


@pytest.mark.parametrize("verb", ACTIONS)
def test_every_refusal_changes_nothing_and_is_logged(ledger, verb, caplog):
    path, fields = _action(ledger, verb)
    before = _state(ledger)
    note = {**fields, "note": "the cause is fixed"}
    caplog.set_level(logging.WARNING, logger="ml_connector.desk")

    nobody = _client(ledger, client=ELSEWHERE)
    token = _csrf(nobody)
    assert nobody.post(path, data={**note, "csrf": token}).status_code == 401

    viewer = _client(ledger, client=ELSEWHERE)
    token = _sign_in(viewer, "vera", "viewer-password-1")
    answer = viewer.post(path, data={**note, "csrf": token})
    assert answer.status_code == 403 and "vera is a viewer" in answer.text

    proxied_viewer = _client(ledger, **{"X-Forwarded-User": "pat", "X-Forwarded-Groups": "ap-clerks"})
    token = _csrf(proxied_viewer)
    assert proxied_viewer.post(path, data={**note, "csrf": token}).status_code == 403

    untrusted = _client(
        ledger, client=ELSEWHERE, **{"X-Forwarded-User": "mallory", "X-Forwarded-Groups": "ap-leads"}
    )
    token = _csrf(untrusted)
    assert untrusted.post(path, data={**note, "csrf": token}).status_code == 401

    operator = _client(ledger, **{"X-Forwarded-User": "lee", "X-Forwarded-Groups": "ap-leads"})
    token = _csrf(operator)
    cross_site = operator.post(path, data={**note, "csrf": token}, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and "not from the desk" in cross_site.text
    fetch_says = operator.post(path, data={**note, "csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch_says.status_code == 403
    assert operator.post(path, data=note).status_code == 403  # no token
    assert operator.post(path, data={**note, "csrf": "forged"}).status_code == 403

    assert _state(ledger) == before
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("desk: refused")]
    assert any("192.0.2.7 (no identity): nobody is signed in" in r for r in refusals)
    assert any("(vera): vera is a viewer" in r for r in refusals)
    assert any("X-Forwarded-User header naming 'mallory' from 192.0.2.7" in r for r in refusals)
    assert any("(lee): the request comes from https://evil.example" in r for r in refusals)
    assert len(refusals) >= 8


def test_an_operator_abandons_and_reopens_with_who_and_why(ledger):
    item = _queued(ledger)
    operator = _client(ledger, **{"X-Forwarded-User": "lee", "X-Forwarded-Groups": "ap-leads,ap-clerks"})
    token = _csrf(operator)
    done = operator.post(f"/items/{item.id}/abandon", data={"note": "entered by hand in BILL", "csrf": token})
    assert done.status_code == 303 and "abandoned" in done.headers["location"]
    page = operator.get(f"/items/{item.id}")
    assert "abandoned by lee (operator): entered by hand in BILL" in page.text
    assert re.search(r'id="state">abandoned<', page.text)
    listed = operator.get("/queue", params={"state": "abandoned"})
    assert f'data-item="{item.id}"' in listed.text
    again = operator.post(
        f"/items/{item.id}/reopen", data={"note": "the BILL bill was deleted", "csrf": token}
    )
    assert again.status_code == 303
    assert [(a.actor, a.action) for a in ledger.operator_actions()] == [("lee", "reopen"), ("lee", "abandon")]


def test_pages_need_a_person_and_search_finds_any_id(ledger):
    item = _queued(ledger)
    audited(ledger, "jde_bill", "bills", "fail", item.source_key, "refused", target_id="00n02BILL7")
    assert _client(ledger, client=ELSEWHERE).get("/queue").status_code == 303  # to the sign-in page
    viewer = _client(ledger, client=ELSEWHERE)
    _sign_in(viewer, "vera", "viewer-password-1")
    for search in ("00001/4471/PV", "00n02BILL7", "chart of accounts"):
        page = viewer.get("/queue", params={"q": search})
        assert f'data-item="{item.id}"' in page.text, search
    assert 'data-item="' not in viewer.get("/queue", params={"q": "nothing like it"}).text
    ledger.audit(
        integration="jde_bill", flow="bills", action="fail", source_id=item.source_key, reason="refused",
        partition_key="2026-11-23",
    )  # fmt: skip
    day = {"integration": "jde_bill", "flow": "bills"}
    assert f'data-item="{item.id}"' in viewer.get("/queue", params={**day, "day": "2026-11-23"}).text
    assert 'data-item="' not in viewer.get("/queue", params={**day, "day": "2026-11-24"}).text
    assert 'id="abandon"' not in viewer.get(f"/items/{item.id}").text  # a viewer sees no action
    elsewhere = _client(ledger, client=ELSEWHERE)
    token = _csrf(elsewhere)
    for target in ("//evil.example/x", "/\\evil.example", "https://evil.example"):
        signed = elsewhere.post(
            "/login", data={"name": "vera", "password": "viewer-password-1", "csrf": token, "next": target}
        )
        assert signed.headers["location"] == "/queue", target  # never sent to another site after sign-in
    assert elsewhere.post(f"/items/{item.id}/drop", data={"csrf": token}).status_code == 404
    wrong = _client(ledger, client=ELSEWHERE)
    token = _csrf(wrong)
    assert wrong.post("/login", data={"name": "vera", "password": "nope", "csrf": token}).status_code == 401


def test_a_record_page_asks_nobody_to_sign_in_and_names_a_record_that_does_not_exist(ledger):
    nobody = _client(ledger, client=ELSEWHERE)
    for path in ("/items/999", "/tasks/999"):
        answer = nobody.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next=%2F{path[1:6]}%2F999"
    vera = _client(ledger, client=ELSEWHERE)
    _sign_in(vera, "vera", "viewer-password-1")
    assert "queue item 999 does not exist" in (answer := vera.get("/items/999")).text
    assert answer.status_code == 404
    assert "desk task 999 does not exist" in (answer := vera.get("/tasks/999")).text
    assert answer.status_code == 404


def test_an_operator_switching_an_integration_is_refused_and_told_how_to_become_admin(ledger):
    operator = _client(ledger, client=ELSEWHERE)
    token = _sign_in(operator, "otto", "operator-password-1")
    answer = operator.post("/live/jde_bill/off", data={"why": "pause", "csrf": token})
    assert answer.status_code == 403
    assert "otto is an operator here: only an admin may turn integrations on or off" in answer.text
    assert "ml-connector desk users add otto --role admin --replace" in answer.text
