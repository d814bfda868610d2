"""Which records a mapping row unblocks, as the desk's Mappings pages count them (``mapping_pages``): the
reasons are the mappers' own words (BILL's line coding, Coupa -> JDE's invoice mapper), the tables the real
specs, the queue a ledger's. A record still missing another row of the same table is not unblocked by the
first; a reason naming no table is matched to its integration's table by what it calls the value."""

from __future__ import annotations

import pytest
from mapping_refusals import coupa_invoice_refusal

from connector_assets.bill.classifications import BillClassification
from connector_assets.bill.line_classifications import BillLineCoding
from connector_assets.integrations.coupa_jde.accounts import ACCOUNTS as COUPA_JDE_ACCOUNTS
from connector_assets.integrations.jde_bill.bill_mappings import ACCOUNTS as BILL_ACCOUNTS
from connector_assets.integrations.jde_bill.bill_mappings import DEPARTMENTS as BILL_DEPARTMENTS
from connector_assets.integrations.jde_coupa.purchase_orders import ACCOUNTS as JDE_COUPA_ACCOUNTS
from connector_cli.desk.mapping_pages import mapping_links, unblocked, waiting_values
from connector_resources.ledger import Ledger

TABLES = (BILL_ACCOUNTS, BILL_DEPARTMENTS, COUPA_JDE_ACCOUNTS, JDE_COUPA_ACCOUNTS)


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")


def _bill_refusal(*lines: tuple[str, str, str]) -> str:
    """A purchase order refused by BILL's line coding for each ``(account, shown, business unit)`` line."""
    chart = {"0ca01SUPPLIES": BillClassification("Supplies", False)}
    names = (BILL_ACCOUNTS.variable, BILL_DEPARTMENTS.variable)
    coding = BillLineCoding({"20.8150": "0ca01SUPPLIES"}, {}, chart, {}, names)
    said = [coding.classify(a, shown, unit, f"line {n}") for n, (a, shown, unit) in enumerate(lines, 1)]
    return "purchase order 00001/4512/OP: " + "; ".join(str(s) for s in said)


def _queue(ledger: Ledger, integration: str, key: str, reason: str):
    return ledger.enqueue(
        integration=integration, flow="bills", entity="bill", source_key=key, payload={}, reason=reason
    )


def test_a_row_unblocks_only_the_records_it_completes(ledger) -> None:
    both = _queue(
        ledger,
        "jde_bill",
        "00001/4512/OP",
        _bill_refusal(("20.1", "account 20.1", "20"), ("LNTY:S", "stock lines (LNTY:S)", "20")),
    )
    one = _queue(ledger, "jde_bill", "00001/4513/OP", _bill_refusal(("20.1", "account 20.1", "20")))
    unit = _queue(ledger, "jde_bill", "00001/4514/OP", _bill_refusal(("20.8150", "account 20.8150", "30")))
    assert "LNTY:S" in both.reason and "business unit 30" in unit.reason

    waits = {w.key: [i.id for i in w.items] for w in waiting_values(BILL_ACCOUNTS, ledger, {})}
    assert waits == {"20.1": [both.id, one.id], "LNTY:S": [both.id]}
    units = {w.key: [i.id for i in w.items] for w in waiting_values(BILL_DEPARTMENTS, ledger, {})}
    assert units == {"30": [unit.id]}

    rows = {"20.1": "0ca01SUPPLIES"}
    assert [i.id for i in unblocked(BILL_ACCOUNTS, ledger, rows, ["20.1"])] == [one.id]
    rows["LNTY:S"] = "0ca01SUPPLIES"
    assert [i.id for i in unblocked(BILL_ACCOUNTS, ledger, rows, ["LNTY:S"])] == [both.id]
    assert {w.key: w.in_table for w in waiting_values(BILL_ACCOUNTS, ledger, rows)} == {
        "20.1": True,
        "LNTY:S": True,
    }

    tables = {t.name: t for t in TABLES}
    links = mapping_links(lambda: tables, both)
    assert [(shown, table) for shown, table, _ in links] == [
        ("account 20.1", BILL_ACCOUNTS.name),
        ("account LNTY:S", BILL_ACCOUNTS.name),
    ]
    assert links[0][2] == f"/mappings/{BILL_ACCOUNTS.name}?key=20.1#add"


def test_a_reason_naming_no_table_finds_its_integrations_table(ledger) -> None:
    item = _queue(ledger, "coupa_jde", "9", coupa_invoice_refusal())
    waits = {w.key: len(w.items) for w in waiting_values(COUPA_JDE_ACCOUNTS, ledger, {})}
    assert waits == {"6100": 1, "6200": 1}
    assert waiting_values(JDE_COUPA_ACCOUNTS, ledger, {}) == []  # another integration's account table
    tables = {t.name: t for t in TABLES}
    assert [table for _, table, _ in mapping_links(lambda: tables, item)] == [COUPA_JDE_ACCOUNTS.name] * 2
    assert mapping_links(lambda: pytest.fail("no gap: the tables are never loaded"), _queue(
        ledger, "coupa_jde", "10", "Coupa answered 503"
    )) == []  # fmt: skip
