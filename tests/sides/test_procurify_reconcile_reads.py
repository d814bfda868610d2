"""Procurify read back for a reconciliation (``procurify.reconcile_reads``) and the register walk both
Procurify reconciliations share (``procurify.register_comparison``), on stand-in sessions."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from connector_assets.flows.reconciliation import Report
from connector_assets.flows.reconciliation_totals import SideTotals
from connector_assets.procurify.reconcile_reads import (
    RegisterBill,
    all_vendors,
    po_details,
    register_bill,
    requisition_and_items,
)
from connector_assets.procurify.register_comparison import RegisterComparison, RegisterWords
from connector_resources.procurify.errors import ProcurifyNotFoundError


class Session:
    """Procurify records by (entity, id); a missing one answers 404 as the client does."""

    def __init__(self, records: dict[tuple[str, str], dict[str, Any]], requisitions: list[dict] = ()) -> None:
        self.records, self.requisitions = records, list(requisitions)

    def get(self, entity: str, key: Any) -> dict[str, Any]:
        try:
            return self.records[(entity, str(key))]
        except KeyError:
            raise ProcurifyNotFoundError(f"{entity} {key}") from None

    def find_requisitions(self, **_filters: Any) -> list[dict[str, Any]]:
        return self.requisitions

    def iter_all(self, entity: str, *, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of ``entity`` whose fields equal the ``filters`` (a list read)."""
        rows = [r for (e, _k), r in self.records.items() if e == entity]
        return [r for r in rows if all(r.get(k) == v for k, v in (filters or {}).items())]


def test_a_register_bill_reads_amount_status_payment_and_who_sent_it():
    bill = {"uuid": " u1 ", "invoice_number": "INV-1", "total_cost_with_tax": "10.005", "status": 2}
    made = register_bill(
        {**bill, "last_export_date": "2026-11-02", "payment_uuid": "p"}, "2026-11", frozenset({2}), False
    )
    # The float total is read as the bills flows read it (bill_fields.in_currency): half up to the smallest
    # unit of the bill's currency (a blank currency: the cent), so flow and reconciliation agree on 10.01.
    assert (made.uuid, made.amount, made.status, made.approved) == ("u1", Decimal("10.01"), "Approved", True)
    dinars = register_bill({**bill, "currency": {"name": "KWD"}}, "2026-11", frozenset({2}), True)
    yen = register_bill(
        {**bill, "currency": "jpy", "total_cost_with_tax": 1234.5}, "2026-11", frozenset(), True
    )
    assert (dinars.amount, dinars.currency, yen.amount, yen.currency) == (
        Decimal("10.005"),
        "KWD",
        1235,
        "JPY",
    )
    assert made.exported_elsewhere and made.payment_under_way and not made.paid
    assert not register_bill(
        {**bill, "last_export_date": "x"}, "2026-11", frozenset({2}), True
    ).exported_elsewhere


@dataclass(frozen=True)
class Document:
    amount: Decimal
    label: str = "document 7"


WORDS = RegisterWords.of(
    """
    target: other
    missing kind: bill missing in Other
    missing: {bill} of {vendor}, {status} for {amount}, is not in Other ({why})
    not sent: not sent yet
    no counterpart: the vendor has no counterpart
    amount kind: bill amount
    amount: {bill} is {amount} but {doc.label} is {other} (difference {gap})
    """
)


def bill(uuid: str, amount: str, approved: bool = True, elsewhere: bool = False) -> RegisterBill:
    return RegisterBill(
        uuid, "", "2026-11", Decimal(amount), "Approved" if approved else "Draft", approved, elsewhere
    )


def test_the_register_walk_counts_and_names_what_differs_in_the_integrations_words():
    report, rows = (
        Report(("Other", "Procurify")),
        SideTotals(("V", "P", "n", "a", "m", "b"), "procurify", "-"),
    )
    walk = RegisterComparison(report, rows, ("Acme", "2026-11"), "Acme, 2026-11", "Acme", "S1", WORDS)
    register = [
        bill("a", "10"),
        bill("b", "5"),
        bill("c", "7"),
        bill("d", "1", approved=False),
        bill("e", "2", elsewhere=True),
    ]
    walk.compare(register, {"a": Document(Decimal(10)), "b": Document(Decimal(6))}, {})
    assert [d.words for d in report.differences] == [
        "bill b (invoice none) is 5.00 but document 7 is 6.00 (difference 1.00)",
        "bill c (invoice none) of Acme, Approved for 7.00, is not in Other (not sent yet)",
    ]
    assert report.counts["bills_in_balance"] == 1 and report.counts["bills_exported_by_another_process"] == 1
    assert report.counts["procurify_bills_approved"] == 3 and rows.rows[("Acme", "2026-11")][2:] == [
        2,
        Decimal(16),
    ]


def test_pos_are_read_by_number_with_none_for_one_procurify_does_not_have():
    session = Session({("purchase_orders", "1187"): {"procurify_PO": 1187, "order_items": [{"id": 1}]}})
    assert po_details(session, [1187, "1188"]) == {
        "1187": {"procurify_PO": 1187, "order_items": [{"id": 1}]},
        "1188": None,
    }


def test_a_requisition_is_read_with_its_lines_and_vendors_whole():
    lines = {("order_items", str(n)): {"id": n, "orderNum": 41 if n < 3 else 42} for n in (1, 2, 3)}
    vendors = {("vendors", "12"): {"id": 12, "name": "Granite"}, ("vendors", "x"): {"name": "no id"}}
    requisitions = [{"uuid": "u-41", "num": 41, "status": 0}, {"uuid": "u-42", "num": 42}]
    session = Session({**lines, **vendors}, requisitions)
    found, items = requisition_and_items(
        session, "u-41", "JDE order 4011 OP (company 00001)", date(2026, 11, 1)
    )
    assert found == requisitions[0] and [i["id"] for i in items] == [1, 2]
    assert requisition_and_items(session, "u-99", "JDE order 1 OP (company 00001)", date(2026, 11, 1)) == (
        None,
        [],
    )
    assert all_vendors(session) == {"12": {"id": 12, "name": "Granite"}}
