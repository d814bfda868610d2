"""Procore documents as a reconciliation reads them (``procore.reconcile_documents``), on fake live reads:
each document read whole or with the reason it is not, nothing read past what failed."""

import json
from decimal import Decimal

from connector_assets.procore.reconcile_documents import (
    latest_staged,
    line_amount,
    period_of,
    read_commitment,
    read_requisition,
    requisition_name,
)


class FakeReads:
    """``ProcoreReads`` answering from dicts (a string: the read failed), recording what was read."""

    def __init__(
        self, commitments=None, lines=None, change_orders=None, co_lines=None, requisition_lines=None
    ):
        self.commitments, self.lines = commitments or {}, lines or {}
        self.project_change_orders, self.co_lines = change_orders or {}, co_lines or {}
        self.requisitions, self.calls = requisition_lines or {}, []

    def commitment(self, commitment_id, project_id):
        self.calls.append(("commitment", commitment_id))
        return self.commitments.get(commitment_id, "it cannot be read from Procore (404)")

    def commitment_lines(self, commitment, project_id):
        self.calls.append(("lines", str(commitment["id"])))
        return self.lines.get(str(commitment["id"]), [])

    def change_orders(self, project_id):
        self.calls.append(("change_orders", project_id))
        return self.project_change_orders.get(project_id, [])

    def change_order_lines(self, project_id, change_order):
        self.calls.append(("change_order_lines", str(change_order["id"])))
        return self.co_lines.get(str(change_order["id"]), [])

    def requisition_lines(self, project_id, requisition_id):
        self.calls.append(("requisition_lines", requisition_id))
        return self.requisitions.get(requisition_id, [])


def test_a_commitment_is_read_with_its_approved_change_orders_only():
    reads = FakeReads(
        commitments={"9": {"id": 9, "_project_id": 55}},
        lines={"9": [{"amount": "10"}]},
        change_orders={
            "55": [
                {"id": 1, "contract_id": 9, "status": "Approved"},
                {"id": 2, "contract_id": 9, "status": "pending"},
                {"id": 3, "contract_id": 8, "status": "approved"},
            ]
        },
        co_lines={"1": "its lines cannot be read from Procore (500)"},
    )
    read = read_commitment(reads, "9", "", {"approved"})
    assert read.project_id == "55" and read.lines == [{"amount": "10"}] and read.problem is None
    assert read.change_orders == [(reads.project_change_orders["55"][0], reads.co_lines["1"])]


def test_what_cannot_be_read_is_the_reason_and_nothing_after_it_is_read():
    reads = FakeReads(commitments={"9": {"id": 9}}, lines={"9": "its schedule of values cannot be read"})
    assert read_commitment(reads, "9", "55", {"approved"}).problem == "its schedule of values cannot be read"
    assert ("change_orders", "55") not in reads.calls
    gone = read_commitment(reads, "7", "55", {"approved"})
    assert gone.record is None and gone.problem == "it cannot be read from Procore (404)"
    listing = FakeReads(commitments={"9": {"id": 9}}, change_orders={"55": "they cannot be read (500)"})
    assert (
        read_commitment(listing, "9", "55", set()).problem == "its change orders: they cannot be read (500)"
    )


def test_a_requisition_takes_its_project_from_its_commitment_and_names_itself():
    reads = FakeReads(commitments={"9": {"id": 9, "_project_id": 55}}, requisition_lines={"11": [{"id": 1}]})
    record = {"id": 11, "commitment_id": 9, "invoice_number": "INV-3", "billing_date": "2025-03-31"}
    read = read_requisition(reads, record)
    assert (read.project_id, read.lines, read.problem) == ("55", [{"id": 1}], None)
    assert requisition_name(record, "project 55", period_of(record)) == (
        "requisition 11 (INV-3, project 55, period 2025-03)"
    )
    orphan = read_requisition(FakeReads(), {"id": 12})
    assert orphan.problem == "its project is unknown" and orphan.lines == []


def test_the_latest_staged_version_counts_and_deleted_ones_are_left_out():
    class Staging:
        def read_rows(self, asset, day):
            def row(rid, stamp, **record):
                return {"id": rid, "updated_at": stamp, "record": json.dumps({"id": rid, **record})}

            return [row(1, 1, status="draft"), row(1, 2, status="approved"), row(2, 1, deleted_at="x")]

    assert latest_staged(Staging(), "procore/requisitions", "2025-03-31") == [{"id": 1, "status": "approved"}]
    assert line_amount({"quantity": "2", "unit_cost": "1.005"}) == Decimal("2.01")
    assert line_amount({"amount": "", "quantity": None, "unit_cost": "1"}) is None
