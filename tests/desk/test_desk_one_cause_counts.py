"""One cause, one number: payment terms N45 missing holds the two suppliers refused for it and the four
records waiting on them, and every surface says 6. The desk's exception and Kinds table, a held record's
page, the table's page, ``replay --dry-run``, the held-records alert and the day's check all count through
``exception_causes``. Why: before, one missing row read 65 on the desk, 29 in its Kinds table, 30 on the
mapping page and 32 and 35 in ``replay --dry-run``. No browser and no simulator: the ledger of
``one_cause`` and the desk over HTTP."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from click.testing import CliRunner
from cryptography.fernet import Fernet
from given_replays import given_to_commands, with_deployment
from jde_coupa_parts import PAYMENT_TERMS, SUPPLIERS_FLOW
from one_cause import HELD, TERMS, n45_missing
from starlette.testclient import TestClient

from connector_assets.alerts.held_records import overdue_holds
from connector_assets.flows.written_check import check_result, day_queue
from connector_cli.desk.app import build_app
from connector_cli.desk.identity import Access
from connector_cli.main import cli
from connector_resources.exception_causes import exception_causes
from connector_resources.ledger import Ledger

SAID = (
    f"payment terms N45 has no row in {TERMS}: {HELD} records (2 suppliers refused for it, 4 invoices and "
    "purchase orders waiting on them)"
)


def test_every_surface_counts_one_missing_row_as_one_exception_of_the_same_records(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    monkeypatch.setenv("ML_CONNECTOR_DB_URL", url)
    monkeypatch.setenv("ML_CONNECTOR_VAULT_KEY", Fernet.generate_key().decode())
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    given_to_commands(monkeypatch, with_deployment({}))
    ledger = Ledger(url)
    ledger.seed_mapping(TERMS, {"N30": "Net 30"}, origin="test", content_hash="")
    staged = n45_missing(ledger)
    [cause] = exception_causes(ledger)  # the one function every surface calls
    assert (cause.count, cause.said()) == (HELD, SAID)
    assert cause.ids == {i.id for i in staged.held}

    app = build_app(ledger, Access(local_operator="lee"))
    app.state.desk.mapping_tables = {TERMS: PAYMENT_TERMS}
    desk = TestClient(app, client=("127.0.0.1", 5000), follow_redirects=False)
    queue = unescape(desk.get("/queue").text)
    [(count, said)] = re.findall(r'class="exception" data-cause="[^"]+" data-kind="[^"]+" data-count="(\d+)">'
                                 r'.*?<div class="said">([^<]+)</div>', queue, re.S)  # fmt: skip
    assert (int(count), said) == (HELD, SAID)
    kinds = re.findall(r'data-kind="([^"]+)"><td><a href="[^"]+">[^<]+</a></td><td>(\d+)</td>', queue)
    assert (cause.kind, str(HELD)) in kinds
    for item in (staged.suppliers[0], staged.children[-1]):  # a refused supplier, and a record waiting
        page = desk.get(f"/items/{item.id}").text
        assert f'id="cause" data-count="{HELD}"' in page and SAID in unescape(page)
        # its fix is the row, on the table's page, not something to do in the source
        assert f'href="/mappings/{TERMS}?key=N45#add">Add the row to the table' in page
    table = unescape(desk.get(f"/mappings/{TERMS}").text)
    assert f"N45: unblocks {HELD} records" in table

    dry = CliRunner().invoke(cli, ["replay", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{HELD:>6} {SAID}" in dry.output.splitlines()
    assert f"needs a person: 1 exception(s) holding {HELD} record(s)" in dry.output
    assert "4 held record(s) wait on records that need a person: each is counted once" in dry.output

    later = datetime.now(UTC) + timedelta(days=2)  # every hold is overdue by then
    holds = overdue_holds(ledger, now=later)
    assert f"{SAID}; 4 of them held longer than 24 h" in holds.kind_lines()[0]

    day = ledger.open_items(integration="jde_coupa", flow="suppliers")
    checked = check_result(SUPPLIERS_FLOW.key("written"), day_queue(day, ledger))
    assert f"- {SAID}; 2 of this day;" in checked.metadata["exceptions"].value
    ledger.dispose()
