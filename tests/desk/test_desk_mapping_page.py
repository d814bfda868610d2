"""A mapping table's page at the desk: which version each recent run mapped with (linked to the run in
Dagster), and a refused value shown with the values the table's rows map to now."""

from __future__ import annotations

import re
from html import unescape

from jde_coupa_parts import PAYMENT_TERMS
from starlette.testclient import TestClient

from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger

TERMS = "jde_coupa/payment_terms_map"


def test_a_tables_page_shows_the_runs_versions_and_a_refusal_lists_the_values(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.seed_mapping(
        TERMS, {"N30": "Net 30", "N60": "Net 60", "N61": "Net 60"}, origin="test", content_hash=""
    )
    ledger.note_mapping_use(TERMS, 1, "8ff27a3e-5e47-42e6-8cfc-40b24169aea1")
    app = build_app(ledger, Access(local_operator="lee"), dagster_url="http://127.0.0.1:3000")
    app.state.desk.mapping_tables = {TERMS: PAYMENT_TERMS}
    app.state.desk.mapping_resources = lambda systems: {"coupa": object()}
    desk = TestClient(app, client=("127.0.0.1", 5000), follow_redirects=False)

    page = desk.get(f"/mappings/{TERMS}").text
    uses = page[page.index('<table id="uses">') :].split("</table>")[0]
    assert 'href="http://127.0.0.1:3000/runs/8ff27a3e-5e47-42e6-8cfc-40b24169aea1">8ff27a3e</a>' in uses
    assert "1 (the current one)" in uses

    token = desk.cookies[CSRF_COOKIE]
    refused = desk.post(
        f"/mappings/{TERMS}", data={"csrf": token, "key": "N90", "value": "", "note": "x", "version": "1"}
    )
    assert refused.status_code == 409
    said = unescape(re.search(r'<p id="valid-values">(.*?)</p>', refused.text, re.S).group(1))
    shown = " ".join(said.split())
    assert shown.endswith(
        "(each checked against the Coupa payment term is in Coupa when it was saved): Net 30, Net 60."
    )
    ledger.dispose()
