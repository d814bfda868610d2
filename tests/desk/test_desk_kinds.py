"""The desk counts the queue by kind of refusal and filters on one: a cause fixed once is found and replayed
for every record it refused, and nothing else. The kinds are the refusals' own (their code and grouping
values), titled from the catalog: three bills naming three different accounts are one kind."""

from __future__ import annotations

import re
from html import unescape

from starlette.testclient import TestClient

from connector_cli.desk.app import build_app
from connector_cli.desk.guard import CSRF_COOKIE
from connector_cli.desk.identity import Access
from connector_resources.ledger import Ledger
from connector_resources.refusals import mapping_missing, target_refused

REASON = "bill {n}: line 1: GL account 6{n}00 has no BILL chart of accounts entry (jde_bill/account_map)"
_KIND_ROW = re.compile(r'data-kind="([^"]+)"><td><a href="([^"]+)">([^<]+)</a></td><td>(\d+)</td>')
KIND = "mapping_missing · jde_bill/account_map"


def test_the_queue_counts_kinds_and_one_kind_shows_its_records_and_replays_only_them(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.add_desk_user("otto", "operator-password-1", "operator")
    for n in (1, 2, 3):
        said = REASON.format(n=n)
        refusal = mapping_missing(said, table="jde_bill/account_map", what="GL account", value=f"6{n}00")
        ledger.enqueue(integration="jde_bill", flow="bills", entity="bill", source_key=f"PO:{n}",
                       payload={}, reason=said, refusal=refusal)  # fmt: skip
    said = "vendor 4411 (Acme Ltd): tax id 12-3 is refused by BILL"
    ledger.enqueue(integration="jde_bill", flow="vendors", entity="vendor", source_key="4411", payload={},
                   reason=said, refusal=target_refused(said, system="BILL", code="BDC_1204"))  # fmt: skip
    client = TestClient(build_app(ledger, Access()), client=("127.0.0.1", 5000), follow_redirects=False)
    client.get("/login")
    token = client.cookies[CSRF_COOKIE]
    assert (
        client.post(
            "/login", data={"name": "otto", "password": "operator-password-1", "csrf": token}
        ).status_code
        == 303
    )

    page = client.get("/queue?state=due").text
    table = page[page.index('<table id="kinds">') :].split("</table>")[0]
    rows = [
        (unescape(k), unescape(href), unescape(title), int(n))
        for k, href, title, n in _KIND_ROW.findall(table)
    ]
    assert [(kind, title, n) for kind, _, title, n in rows] == [
        (KIND, "A mapping table has no row for a value: jde_bill/account_map", 3),
        ("target_refused · BILL · BDC_1204", "The target refused the record: BILL, BDC_1204", 1),
    ]
    link = rows[0][1]
    one_kind = client.get(link).text
    # three missing rows: three exceptions of the kind, each holding its bill (listed there, not as a row)
    exceptions = one_kind[one_kind.index('<table id="exceptions">') :].split("</table>")[0]
    shown = re.findall(r'class="held-record" data-item="\d+" href="/items/\d+">bill (PO:\d)</a>', exceptions)
    assert sorted(shown) == ["PO:1", "PO:2", "PO:3"]
    assert re.findall(r'<tr class="item"', one_kind) == []
    # the bulk replay form carries the kind, so "replay them" means these three and no other record
    assert f'name="kind" value="{KIND}"' in unescape(one_kind)
    # and the counts by state honour the kind too: three bills, no vendor
    counts = one_kind[one_kind.index('<table id="counts">') :].split("</table>")[0]
    assert "<td>bills</td>" in counts and "<td>vendors</td>" not in counts
    ledger.dispose()
