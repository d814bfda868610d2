"""A record's page shows the body we would send apart from the record as read, secrets masked either way."""

from __future__ import annotations

import re
from html import unescape

from starlette.testclient import TestClient

from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger
from connector_resources.refusals import refused as refused_by_rule
from connector_resources.refusals import waits_for_record


def _signed_in_viewer(ledger: Ledger) -> TestClient:
    """The desk over ``ledger``, signed in as a viewer (``vera``) from the desk's own machine."""
    ledger.add_desk_user("vera", "viewer-password-1", "viewer")
    client = TestClient(build_app(ledger, Access()), client=("127.0.0.1", 5000), follow_redirects=False)
    client.get("/login")
    sign_in = {"name": "vera", "password": "viewer-password-1", "csrf": client.cookies[CSRF_COOKIE]}
    assert client.post("/login", data=sign_in).status_code == 303
    return client


def _pre(page: str, element: str) -> str:
    match = re.search(rf'<pre id="{element}">(.*?)</pre>', page, re.S)
    assert match, f"no {element} on the page"
    return unescape(match.group(1))


def test_a_record_refused_at_its_write_shows_the_body_and_one_refused_at_mapping_the_record(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    written = ledger.enqueue(
        integration="jde_bill", flow="bills", entity="bill", source_key="PO:4471",
        payload={"source_key": "PO:4471", "body": {"invoice": {"number": "4471"}, "amount": "75461.36",
                 "password": "hunter2-not-shown"}, "natural_key": {"invoiceNumber": "4471"},
                 "fields": {"amount": "75461.36"}, "depends_on": None},
        reason="BILL refused it: vendor is archived",
    )  # fmt: skip
    mapped = ledger.enqueue(
        integration="jde_bill", flow="bills", entity="bill", source_key="PO:4472",
        payload={"DOCO": 4472, "ANI": "1.6100"},
        reason="GL account 1.6100 has no BILL chart of accounts entry",
    )  # fmt: skip
    client = _signed_in_viewer(ledger)

    page = client.get(f"/items/{written.id}").text
    body = _pre(page, "body")
    assert '"amount": "75461.36"' in body and "hunter2" not in body
    assert '"invoiceNumber": "4471"' in _pre(page, "matched-on")
    assert '"body"' not in _pre(page, "payload")

    page = client.get(f"/items/{mapped.id}").text
    assert 'id="body"' not in page and "refused before a body could be made" in page
    assert '"ANI": "1.6100"' in _pre(page, "payload")
    ledger.dispose()


def test_a_record_refused_by_a_rule_as_it_was_read_says_so_and_shows_no_empty_record(tmp_path):
    """A bill refused by its flow's rule kept nothing (an empty payload): the page says no body was mapped
    and why, never ``{}``; and a refusal is not a wait: "Refused by rule ...", never "Waits for"."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    sentence = "bill 9001 is not approved in Procurify: it is not paid in Fusion"
    refused = ledger.enqueue(
        integration="fusion_procurify", flow="payment_status", entity="bill", source_key="9001",
        payload={}, reason=sentence, refusal=refused_by_rule(sentence, rule="bill not approved"),
    )  # fmt: skip
    supplier = "jde_coupa:supplier:JDE:1870"
    waits = "purchase order 7: waits for supplier 1870 to sync"
    held = ledger.enqueue(
        integration="jde_coupa", flow="purchase_orders", entity="purchase_order", source_key="7",
        payload={"DOCO": 7}, reason=waits, status="held", depends_on=supplier,
        refusal=waits_for_record(waits, supplier),
    )  # fmt: skip
    client = _signed_in_viewer(ledger)

    page = client.get(f"/items/{refused.id}").text
    assert "Waits for" not in page and 'id="waits-for"' not in page
    assert _cell(page, "refused-by") == "Refused by rule bill not approved"
    assert 'id="payload"' not in page and "{}" not in page
    said = " ".join(_cell(page, "no-body", "p").split())
    assert said.startswith("No body was mapped, and the queue kept nothing of the record")
    assert "(Refused by rule bill not approved)" in said and "bill 9001 is still in its source system" in said

    page = client.get(f"/items/{held.id}").text  # a wait still says what it waits for
    assert _cell(page, "waits-for") == supplier and 'id="refused-by"' not in page
    ledger.dispose()


def _cell(page: str, element: str, tag: str = "td") -> str:
    match = re.search(rf'<{tag} id="{element}">(.*?)</{tag}>', page, re.S)
    assert match, f"no {element} on the page"
    return unescape(match.group(1)).strip()
