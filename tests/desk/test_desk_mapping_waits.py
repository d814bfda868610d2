"""Which records a mapping row unblocks, as the desk's Mappings pages count them (``mapping_pages``): the
values are the refusals' parameters (``refusals.mapping_missing``: the table, what the value is, the value or
values), the tables the real specs, the queue a ledger's. A record still missing another row of the same
table is not unblocked by the first; a refusal naming no table is matched to its integration's table by what
it calls the value; no sentence is read."""

from __future__ import annotations

import pytest
from built_parts import built
from jde_coupa_parts import ACCOUNTS as JDE_COUPA_ACCOUNTS
from sqlite_ledgers import sqlite_ledger  # noqa: F401  (the module's ledger, used by name)

from connector_cli.desk.mapping_pages import mapping_links, unblocked, waiting_values
from connector_resources.ledger import Ledger
from connector_resources.refusals import Param, mapping_missing, target_refused

COUPA_JDE_ACCOUNTS = built("coupa_jde").mapping_table("account_map")
BILL_ACCOUNTS, BILL_DEPARTMENTS, _ = built("jde_bill").mapping_tables
TABLES = (BILL_ACCOUNTS, BILL_DEPARTMENTS, COUPA_JDE_ACCOUNTS, JDE_COUPA_ACCOUNTS)


def _queue(ledger: Ledger, integration: str, key: str, table: str, what: str, value: Param):
    said = f"purchase order {key}: {what} {value} has no row (the words are the person's, never read)"
    refusal = mapping_missing(said, table=table, what=what, value=value)
    return ledger.enqueue(
        integration=integration, flow="bills", entity="bill", source_key=key, payload={}, reason=said,
        refusal=refusal,
    )  # fmt: skip


def test_a_row_unblocks_only_the_records_it_completes(ledger) -> None:
    both = _queue(ledger, "jde_bill", "00001/4512/OP", BILL_ACCOUNTS.variable, "account", ["20.1", "LNTY:S"])
    one = _queue(ledger, "jde_bill", "00001/4513/OP", BILL_ACCOUNTS.name, "account", "20.1")
    unit = _queue(ledger, "jde_bill", "00001/4514/OP", f"${BILL_DEPARTMENTS.variable}", "business unit", "30")

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


def test_a_refusal_naming_no_table_finds_its_integrations_table(ledger) -> None:
    item = _queue(ledger, "coupa_jde", "9", "", "account", ["6100", "6200"])
    waits = {w.key: len(w.items) for w in waiting_values(COUPA_JDE_ACCOUNTS, ledger, {})}
    assert waits == {"6100": 1, "6200": 1}
    assert waiting_values(JDE_COUPA_ACCOUNTS, ledger, {}) == []  # another integration's account table
    tables = {t.name: t for t in TABLES}
    assert [table for _, table, _ in mapping_links(lambda: tables, item)] == [COUPA_JDE_ACCOUNTS.name] * 2
    said = "Coupa answered 503 for account 6100"  # names an account, but is no missing row
    other = ledger.enqueue(
        integration="coupa_jde", flow="bills", entity="bill", source_key="10", payload={}, reason=said,
        refusal=target_refused(said, system="Coupa", code="503"),
    )  # fmt: skip
    assert mapping_links(lambda: pytest.fail("no gap: the tables are never loaded"), other) == []
