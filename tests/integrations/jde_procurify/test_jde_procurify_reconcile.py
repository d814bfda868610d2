"""JD Edwards <-> Procurify reconciliation (``jde_procurify.reconcile``): the pure comparisons first (order
lines, bills against their vouchers, vendor pairs, account codes, expected gaps, the check), then through
Dagster on both simulators, synced once: JDE orders sent, purchased, linked, received and billed, the bills
posted as vouchers, a vendor made in Procurify sent to JDE: the day reconciles clean, a bill held on JDE's
closed period counted as an expected gap with the queue's reason. Then what other users of both systems do
behind the connector's back, planted through the simulators' own APIs (a vendor renamed and one
deactivated, a PO line repriced, a PO cancelled, a vendor and a PO made in Procurify; a voucher's gross
changed, a voucher voided, a batch deleted, a voucher entered in JDE), is each named by record in both
systems with the field and both values.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from asset_runs import metadata_values
from built_parts import built
from dagster import AssetKey
from jde_procurify_parts import ACCOUNTS, INSTANCE, OWN, RECONCILIATION, AccountMap, order_policy
from jde_procurify_world import (
    BATCH_USER,
    ORDER_SOURCES,
    SUPPLIER_SOURCES,
    JdeProcurifyWorld,
    jde_procurify_world,
)

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.flows.reconciliation import Report
from connector_assets.integrations.jde_procurify.account_codes import orphan_codes, staged_chart
from connector_assets.integrations.jde_procurify.bill_mappers import batch_key
from connector_assets.integrations.jde_procurify.payment_mappers import payment_key
from connector_assets.integrations.jde_procurify.reconcile.account_codes import compare_account_codes
from connector_assets.integrations.jde_procurify.reconcile.bills import (
    BillContext,
    BillRows,
    ProcurifyBill,
    bill_uuid_of,
    compare_bill,
    compare_voucher_only_in_jde,
)
from connector_assets.integrations.jde_procurify.reconcile.day import SYSTEMS, expectations
from connector_assets.integrations.jde_procurify.reconcile.orders import (
    JdeOrder,
    OrderComparison,
    ProcurifyOrder,
    compare_new_po,
)
from connector_assets.integrations.jde_procurify.reconcile.reads import batches
from connector_assets.integrations.jde_procurify.reconcile.vendors import (
    compare_pair,
    compare_unpaired_supplier,
    compare_unpaired_vendor,
)
from connector_assets.jde.order_status import all_done, not_approved, order_source_key
from connector_assets.jde.reconcile_reads import JdeBatch, JdeVoucherState
from connector_assets.jde.supplier_details import SupplierDetails
from connector_assets.jde.supplier_documents import SupplierDocument
from connector_assets.jde.unprocessed_batches import VoucherUnprocessed
from connector_assets.procurify.account_codes import OrphanCode
from connector_resources.ledger import Ledger
from connector_resources.procurify.po_revisions import full_revision
from connector_resources.procurify.values import json_body

UUID = "7f1c2b0e-4d7a-4a77-9c1e-2f0a5b6c9d11"


class Queue:
    """A retry queue's word on the keys it holds (``Expectations``' interface), for the pure tests."""

    def __init__(self, **reasons: str) -> None:
        self.reasons = {key.replace("_", ":"): reason for key, reason in reasons.items()}

    def account_for(self, report: Report, record: str, *keys: str) -> bool:
        for key in keys:
            if key in self.reasons:
                report.expect("in the retry queue", record, self.reasons[key])
                return True
        return False


PAYMENT = "5b0c0d0e-0000-4000-8000-00000000beef"


def report() -> Report:
    return Report(SYSTEMS)


def rows_of(r: Report) -> list[tuple[str, str, str, tuple[str, str]]]:
    """(kind, record, counterpart, both values) of each difference."""
    return [(d.kind, d.record, d.counterpart, d.values) for d in r.differences]


# -- orders ---------------------------------------------------------------------------------------------


def line(number: int, quantity: str, price: str, code: str = "6100", name: str = "Rope") -> dict[str, Any]:
    return {
        "sku": f"JDE 4011 line {number}",
        "item_name": name,
        "quantity": quantity,
        "unit_price": price,
        "account_code": code,
    }


def item(number: int, quantity: str, price: str, code: str = "6100", name: str = "Rope") -> dict[str, Any]:
    return {
        "id": 500 + number,
        "PO_line_num": number,
        "sku": f"JDE 4011 line {number}",
        "name": name,
        "quantity": quantity,
        "price": price,
        "account": {"account_code": {"code": code}},
        "status": 2,
    }


def order(**changes: Any) -> JdeOrder:
    base = {
        "key": "00001:4011:OP",
        "label": "4011 OP 00001",
        "found": True,
        "lines": [line(1, "10.00", "24.50"), line(2, "1.00", "1234.56", name="Crane")],
        "total": Decimal("1479.56"),
        "vendor_id": "77",
        "po_num": "4011 OP 00001",
    }
    return JdeOrder(**{**base, **changes})


def po(*items: dict[str, Any], **changes: Any) -> dict[str, Any]:
    base = {
        "procurify_PO": 1187,
        "state": 0,
        "PO_Num": "4011 OP 00001",
        "pref_vendor": {"id": 77, "name": "Granite Supply"},
        "subtotal": "1479.56",
        "total": "1479.56",
        "order_items": list(items),
    }
    return {**base, **changes}


def test_an_order_whose_lines_agree_with_its_po_is_in_balance():
    r = report()
    OrderComparison(r, order(), Queue()).compare(
        ProcurifyOrder(pos={"1187": po(item(1, "10.00", "24.50"), item(2, "1.00", "1234.56", name="Crane"))})
    )
    assert r.differences == [] and r.counts["orders_in_balance"] == 1 and r.compared == 1


def test_each_line_field_that_differs_is_named_with_both_values_and_the_line_in_both_systems():
    r = report()
    lines = [
        item(1, "12.00", "24.50", code="6200"),
        item(2, "1.00", "1334.56", name="Crane hire"),
        item(3, "2.00", "5.00", name="Added in Procurify"),
    ]
    OrderComparison(r, order(lines=[*order().lines, line(4, "3.00", "7.00")]), Queue()).compare(
        ProcurifyOrder(pos={"1187": po(*lines, PO_Num="4011", pref_vendor={"id": 78, "name": "Other"})})
    )
    assert rows_of(r) == [
        (
            "order vendor",
            "JDE order 4011 OP 00001",
            "PO 1187",
            ("Procurify vendor 77", "Procurify vendor 78 (Other)"),
        ),
        ("PO number", "JDE order 4011 OP 00001", "PO 1187", ("4011 OP 00001", "4011")),
        ("order line quantity", "JDE order 4011 OP 00001 line 1", "PO 1187 line 1", ("10", "12")),
        ("order line account", "JDE order 4011 OP 00001 line 1", "PO 1187 line 1", ("6100", "6200")),
        ("order line price", "JDE order 4011 OP 00001 line 2", "PO 1187 line 2", ("1,234.56", "1,334.56")),
        ("order line name", "JDE order 4011 OP 00001 line 2", "PO 1187 line 2", ("Crane", "Crane hire")),
        ("order line missing in Procurify", "JDE order 4011 OP 00001 line 4", "-", ("3 x 7.00", "-")),
        (
            "order line only in Procurify",
            "JDE order 4011 OP 00001",
            "PO 1187 line 3 (Added in Procurify)",
            ("-", "2 x 5.00"),
        ),
    ]
    assert r.differences[4].words == (
        "JDE order 4011 OP 00001 line 2: price is 1,234.56 in JDE but 1,334.56 on PO 1187 line 2"
    )
    assert r.differences[0].field == "AN8 / pref_vendor" and r.differences[4].field == "PRRC / price"


def test_status_drift_is_named_either_way_and_a_missing_po_or_requisition_too():
    r = report()
    OrderComparison(r, order(), Queue()).compare(ProcurifyOrder(pos={"1187": po(state=1)}))
    OrderComparison(r, order(open=False, lines=[]), Queue()).compare(ProcurifyOrder(pos={"1188": po()}))
    denied = ProcurifyOrder(requisition={"num": 41, "status": 2}, requisition_uuid="u-41")
    OrderComparison(r, order(), Queue()).compare(denied)
    OrderComparison(r, order(), Queue()).compare(ProcurifyOrder(pos={"1189": None}))
    OrderComparison(r, order(), Queue()).compare(ProcurifyOrder(requisition_uuid="u-42"))
    OrderComparison(r, order(found=False), Queue()).compare(ProcurifyOrder(pos={"1190": po()}))
    assert [(d.kind, d.values) for d in r.differences] == [
        ("order status", ("open", "cancelled")),
        ("order status", ("cancelled", "purchased")),
        ("order status", ("open", "Denied")),
        ("order missing in Procurify", ("1,479.56", "-")),
        ("order missing in Procurify", ("1,479.56", "-")),
        ("order missing in JDE", ("-", "PO 1190")),
    ]
    assert r.differences[3].words.endswith("which Procurify does not hold: PO 1189 not found")
    assert r.differences[4].words.endswith(
        "requisition u-42, which Procurify does not hold: not found by its description"
    )


def test_an_order_the_purchase_orders_flow_queued_is_an_expected_gap_with_the_queue_s_reason():
    r = report()
    queue = Queue(
        **{"00001_4011_OP": "line 4 was added in JDE after the order was purchased; add it by hand"}
    )
    OrderComparison(r, order(lines=[*order().lines, line(4, "3.00", "7.00")]), queue).compare(
        ProcurifyOrder(pos={"1187": po(item(1, "10.00", "24.50"), item(2, "1.00", "1234.56", name="Crane"))})
    )
    assert r.differences == []
    assert [(e.record, e.reason) for e in r.expected] == [
        ("JDE order 4011 OP 00001", "line 4 was added in JDE after the order was purchased; add it by hand")
    ]


def test_a_po_made_in_procurify_from_no_jde_order_is_named_and_one_from_ours_not_linked_too():
    r = report()
    made = {"procurify_PO": 1200, "subtotal": "734.37", "pref_vendor": {"id": 9, "name": "O'Brien"}}
    compare_new_po(r, "1200", made, [], Queue())
    compare_new_po(r, "1201", {**made, "procurify_PO": 1201}, ["00001:4011:OP"], Queue())
    compare_new_po(r, "1202", made, ["00001:4012:OP"], Queue(**{"00001_4012_OP/1202": "PO_Num taken"}))
    assert rows_of(r) == [
        ("PO only in Procurify", "-", "PO 1200 (O'Brien)", ("-", "734.37")),
        ("PO not linked", "JDE order 00001:4011:OP", "PO 1201 (O'Brien)", ("-", "734.37")),
    ]
    assert [e.reason for e in r.expected] == ["PO_Num taken"]


# -- bills ----------------------------------------------------------------------------------------------


def bill(uuid: str = UUID, amount: str = "120.00", **changes: Any) -> ProcurifyBill:
    base = {
        "uuid": uuid,
        "invoice": "INV-1",
        "vendor_id": "77",
        "vendor": "Procurify vendor 77 (Granite)",
        "amount": Decimal(amount),
        "status": "Approved",
        "approved": True,
        "exported_elsewhere": False,
        "paid": False,
        "payment_under_way": False,
        "invoice_date": "2026-11-02",
        "gl_date": "2026-11-03",
        "currency": "USD",
    }
    return ProcurifyBill(**{**base, **changes})


def batch(uuid: str = UUID, amount: str = "120.00", **changes: Any) -> JdeBatch:
    key = batch_key("MLPRCFY", uuid)
    base = {
        "source_key": uuid,
        "batch": key.target_id,
        "invoice": "INV-1",
        "period": "2026-11",
        "amount": Decimal(amount),
        "document": "00001 10234 PV",
        "an8": "4343",
        "invoice_date": "2026-11-02",
        "gl_date": "2026-11-03",
        "currency": "USD",
        "open_amount": Decimal(amount),
    }
    return JdeBatch(**{**base, **changes})


def context(**changes: Any) -> BillContext:
    return BillContext(**{"an8": "4343", "posted_as": None, "bills": Queue(), "payments": Queue(), **changes})


def test_a_batch_key_gives_back_its_bill_uuid_and_other_batches_none():
    key = batch_key("MLPRCFY", UUID)
    assert bill_uuid_of(key.batch, key.transaction) == UUID
    assert bill_uuid_of("HIST-0000000000", "HIST-00000000000000000") is None


def test_a_bill_and_its_voucher_in_balance_and_one_exported_elsewhere_counted():
    r, rows = report(), BillRows()
    compare_bill(r, rows, bill(), batch(), context())
    compare_bill(r, rows, bill("b" + UUID[1:], exported_elsewhere=True), None, context())
    assert r.differences == [] and r.counts["bills_in_balance"] == 1
    assert r.counts["bills_exported_by_another_process"] == 1
    assert rows.rows == {
        ("Procurify vendor 77 (Granite)", "2026-11"): [1, Decimal("120.00"), 1, Decimal("120.00")]
    }


def test_each_voucher_field_that_differs_is_named_with_both_values():
    r, rows = report(), BillRows()
    changed = batch(amount="121.00", invoice="INV-1A", invoice_date="2026-11-01", gl_date="2026-11-04")
    compare_bill(r, rows, bill(), changed, context())
    assert [(d.kind, d.record, d.counterpart, d.values) for d in r.differences] == [
        ("bill amount", "voucher 00001 10234 PV", f"bill {UUID} (invoice INV-1)", ("121.00", "120.00")),
        (
            "bill invoice number",
            "voucher 00001 10234 PV",
            f"bill {UUID} (invoice INV-1)",
            ("INV-1A", "INV-1"),
        ),
        (
            "bill invoice date",
            "voucher 00001 10234 PV",
            f"bill {UUID} (invoice INV-1)",
            ("2026-11-01", "2026-11-02"),
        ),
        (
            "bill G/L date",
            "voucher 00001 10234 PV",
            f"bill {UUID} (invoice INV-1)",
            ("2026-11-04", "2026-11-03"),
        ),
    ]
    assert "is 120.00 in Procurify but 121.00 in JDE voucher 00001 10234 PV (difference 1.00)" in (
        r.differences[0].words
    )
    assert rows.out_of_balance == 1


def test_status_drift_a_voided_voucher_a_bill_moved_back_and_paid_on_one_side_only():
    r, rows = report(), BillRows()
    compare_bill(r, rows, bill(), batch(voided=True, amount="0.00"), context())
    compare_bill(
        r, rows, bill("a" + UUID[1:], status="Denied", approved=False), batch("a" + UUID[1:]), context()
    )
    compare_bill(
        r, rows, bill("c" + UUID[1:]), batch("c" + UUID[1:], paid=True, open_amount=Decimal(0)), context()
    )
    compare_bill(r, rows, bill("d" + UUID[1:], status="Paid", paid=True), batch("d" + UUID[1:]), context())
    under_way = bill("e" + UUID[1:], status="Payment Confirmed", payment_under_way=True)
    compare_bill(r, rows, under_way, batch("e" + UUID[1:], paid=True), context())
    assert [(d.kind, d.values) for d in r.differences] == [
        ("bill status", ("voided", "Approved")),
        ("bill status", ("posted", "Denied")),
        ("bill paid status", ("paid", "Approved")),
        ("bill paid status", ("open (120.00 open)", "Paid")),
    ]
    assert r.differences[0].words.startswith("JDE voucher 00001 10234 PV is voided (F0411 VOD)")


def test_a_voucher_in_another_currency_is_a_currency_mismatch_and_its_amount_not_compared():
    # A 1,000.00 EUR bill whose voucher JDE holds in USD (1,083.40: a domestic entry of the converted
    # amount) is one currency mismatch, never an amount difference of 83.40 between two currencies.
    r, rows = report(), BillRows()
    compare_bill(r, rows, bill(amount="1000.00", currency="EUR"), batch(amount="1083.40"), context())
    assert [(d.kind, d.field, d.values) for d in r.differences] == [
        ("currency mismatch", "currency", ("USD", "EUR"))
    ]
    assert "1,000.00 EUR in Procurify but JDE voucher 00001 10234 PV is in USD (1,083.40)" in (
        r.differences[0].words
    )
    # Read in its own currency (ACR), the EUR voucher agrees to the cent; a JPY one keeps no decimals.
    same = report()
    compare_bill(
        same, rows, bill(amount="1000.00", currency="EUR"), batch(amount="1000.00", currency="EUR"), context()
    )
    compare_bill(same, rows, bill("a" + UUID[1:], amount="150000", currency="JPY"),
                 batch("a" + UUID[1:], amount="150000", currency="JPY"), context())  # fmt: skip
    assert same.differences == [] and same.counts["bills_in_balance"] == 2


def test_under_journal_posting_the_paid_status_is_the_payment_journals_for_the_bill():
    # No voucher, so no pay status: JDE's word is what the payments flow's journals for the bill debit.
    journal = {"document": "", "open_amount": None, "batch": "MLPRCFY/PFY0123456789/0123456789ABCDEF012345"}
    r, rows = report(), BillRows()
    paid = bill(status="Paid", paid=True)
    compare_bill(
        r, rows, paid, batch(**journal), context(journal=True, journal_paid=(Decimal("120.00"), "USD"))
    )
    assert r.differences == []  # paid on both sides
    unpaid_in_jde = bill("a" + UUID[1:], status="Paid", paid=True)
    compare_bill(r, rows, unpaid_in_jde, batch("a" + UUID[1:], **journal), context(journal=True))
    short = bill("b" + UUID[1:], status="Paid", paid=True)
    compare_bill(r, rows, short, batch("b" + UUID[1:], **journal),
                 context(journal=True, journal_paid=(Decimal("100.00"), "USD")))  # fmt: skip
    paid_in_jde = bill("c" + UUID[1:])
    compare_bill(r, rows, paid_in_jde, batch("c" + UUID[1:], **journal),
                 context(journal=True, journal_paid=(Decimal("120.00"), "USD")))  # fmt: skip
    settling = bill("d" + UUID[1:], status="Paid", paid=True)  # its payment is queued: an expected gap
    compare_bill(r, rows, settling, batch("d" + UUID[1:], **journal),
                 context(journal=True, payments=Queue(**{settling.uuid: "bill not posted yet"})))  # fmt: skip
    assert [(d.kind, d.field, d.values) for d in r.differences] == [
        ("bill paid status", "payment journal / status", ("0.00 paid", "Paid")),
        ("bill paid status", "payment journal / status", ("100.00 paid", "Paid")),
        ("bill paid status", "payment journal / status", ("paid (120.00)", "Approved")),
    ]
    assert (
        "Paid in Procurify but JDE holds no payment journal (0.00 of 120.00 paid)" in r.differences[0].words
    )
    assert [e.reason for e in r.expected] == ["bill not posted yet"]


def test_a_paid_bill_whose_payment_waits_for_jdes_batch_processor_is_an_expected_gap(sqlite_url):
    """Procurify paid the bill; its payment (keyed ``<payment>:<bill>``) is held until R04110ZA makes the
    voucher batch a voucher: the open voucher is expected, with the queue item's reason, not a difference."""
    ledger = Ledger(sqlite_url)
    waits = VoucherUnprocessed(batch_key("MLPRCFY", UUID), "INV-1")
    ledger.enqueue(
        integration="jde_procurify", flow="payments", entity="payment", source_key=payment_key(PAYMENT, UUID),
        payload={}, reason=waits.reason, status="held", depends_on=waits.depends_on, refusal=waits.refusal,
    )  # fmt: skip
    queues = expectations("jde_procurify", ledger)
    r, rows = report(), BillRows()
    paid = bill(status="Paid", paid=True)
    compare_bill(r, rows, paid, batch(), context(payments=queues["settled"]))
    other = bill("b" + UUID[1:], status="Paid", paid=True)  # no payment queued for it: a difference
    compare_bill(r, rows, other, batch("b" + UUID[1:]), context(payments=queues["settled"]))
    assert [(d.kind, d.counterpart) for d in r.differences] == [("bill paid status", other.label)]
    assert [(e.kind, e.record, e.reason) for e in r.expected] == [
        ("held for the target's own processing", paid.label, waits.reason)
    ]
    ledger.dispose()


def test_a_bill_without_voucher_says_why_and_queued_ones_are_expected_gaps():
    r, rows = report(), BillRows()
    posted = batch_key("MLPRCFY", UUID).target_id
    compare_bill(r, rows, bill(), None, context(posted_as=posted))
    compare_bill(r, rows, bill("a" + UUID[1:]), None, context(an8=None))
    compare_bill(r, rows, bill("b" + UUID[1:]), None, context())
    queued = bill("c" + UUID[1:])
    compare_bill(
        r, rows, queued, None, context(bills=Queue(**{queued.uuid: "account code 4000 not found in F0901"}))
    )
    paid = bill("d" + UUID[1:], status="Paid", paid=True)
    settling = Queue(**{paid.uuid: "voucher not processed yet"})
    compare_bill(r, rows, paid, batch("d" + UUID[1:]), context(payments=settling))
    assert [(d.kind, d.record) for d in r.differences] == [("bill missing in JDE", f"batch {posted}")] + [
        ("bill missing in JDE", "-")
    ] * 2
    assert r.differences[0].words.endswith(f"(it was posted as batch {posted}, which JDE no longer holds)")
    assert r.differences[1].words.endswith("(the vendor has no JDE supplier yet)")
    assert r.differences[2].words.endswith("(not posted yet, and not in the retry queue either)")
    assert [e.reason for e in r.expected] == [
        "account code 4000 not found in F0901",
        "voucher not processed yet",
    ]


def test_a_voucher_entered_in_jde_for_a_paired_supplier_is_named_only_in_jde():
    r = report()
    voucher = JdeVoucherState(("00050", "10154", "PV"), "1014", Decimal("4321"), Decimal("4321"), "418050")
    compare_voucher_only_in_jde(r, voucher, "83", "2026-11-26")
    assert rows_of(r) == [("voucher only in JDE", "voucher 00050 10154 PV", "-", ("4,321.00", "-"))]
    assert "of supplier 1014 (Procurify vendor 83), invoice 418050, 4,321.00, was entered in JDE" in (
        r.differences[0].words
    )


# -- vendors --------------------------------------------------------------------------------------------


def supplier(an8: int = 4343, name: str = "Granite Supply", **book: Any) -> SupplierDocument:
    details = SupplierDetails(
        an8, ("400 Quarry Rd", "", "", ""), "Portland", "OR", "97201", "US", email="ap@granite.example"
    )
    return SupplierDocument(
        an8, {"AN8": an8, "HDPY": "", "HOLD": ""}, {"ALPH": name, "AT1": "V", **book}, details
    )


def vendor(**changes: Any) -> dict[str, Any]:
    base = {
        "id": 12,
        "name": "Granite Supply",
        "external_id": "4343",
        "active": True,
        "email": ["ap@granite.example"],
        "addressLineOne": "400 Quarry Rd",
        "addressLineTwo": None,
        "city": "Portland",
        "state_province": "or",
        "postalCode": "97201",
        "country": "US",
        "type": 3,
    }
    return {**base, **changes}


def test_a_pair_in_balance_and_each_field_that_differs_named_with_both_values():
    r = report()
    compare_pair(r, "12", "4343", vendor(), supplier(), "", INSTANCE)
    assert r.differences == [] and r.counts["vendors_in_balance"] == 1  # state compared in any case
    compare_pair(
        r,
        "12",
        "4343",
        vendor(name="Granite Supply Renamed", active=False, city="Salem"),
        supplier(),
        "",
        INSTANCE,
    )
    jde, procurify = "JDE supplier 4343 (Granite Supply)", "Procurify vendor 12 (Granite Supply Renamed)"
    assert rows_of(r) == [
        ("vendor name", jde, procurify, ("Granite Supply", "Granite Supply Renamed")),
        ("vendor status", jde, procurify, ("active", "inactive")),
        ("vendor address", jde, procurify, ("Portland", "Salem")),
    ]
    assert r.differences[1].words == f"{jde}: status is active in JDE but inactive on {procurify}"


def test_a_supplier_on_hold_whose_vendor_is_active_and_pairs_with_a_side_gone():
    r = report()
    held = SupplierDocument(4343, {"AN8": 4343, "HDPY": "Y"}, {"ALPH": "Granite Supply", "AT1": "V"}, None)
    compare_pair(r, "12", "4343", vendor(), held, "", INSTANCE)
    compare_pair(r, "13", "4344", None, supplier(4344, "Gone Vendor Co"), "", INSTANCE)
    compare_pair(r, "14", "4345", vendor(id=14), None, "", INSTANCE)
    assert [(d.kind, d.values) for d in r.differences] == [
        ("vendor status", ("inactive (F0401 HDPY holds its payments)", "active")),
        ("vendor missing in Procurify", ("4344", "-")),
        ("supplier missing in JDE", ("-", "14")),
    ]


def test_a_pair_whose_write_the_suppliers_or_vendors_flow_queued_is_an_expected_gap():
    r = report()
    compare_pair(
        r,
        "12",
        "4343",
        vendor(name="Renamed"),
        supplier(),
        "",
        INSTANCE,
        (Queue(**{"4343": "refused"}), Queue()),
    )
    compare_pair(
        r,
        "12",
        "4343",
        vendor(external_id=None),
        supplier(),
        "",
        INSTANCE,
        (Queue(), Queue(**{"12": "AN8 not written"})),
    )
    assert r.differences == []
    assert [(e.record, e.reason) for e in r.expected] == [
        ("JDE supplier 4343 (Granite Supply)", "refused"),
        ("JDE supplier 4343 (Granite Supply)", "AN8 not written"),
    ]


def test_one_sided_suppliers_and_vendors_are_named_unless_queued_or_not_for_the_other_side():
    r = report()
    compare_unpaired_supplier(r, "4343", supplier(), Queue())
    compare_unpaired_supplier(r, "4344", supplier(4344), Queue(**{"4344": "no e-mail in F01151"}))
    inactive = SupplierDocument(4345, {"AN8": 4345, "HOLD": "H1"}, {"ALPH": "Held", "AT1": "V"}, None)
    compare_unpaired_supplier(r, "4345", inactive, Queue())
    compare_unpaired_vendor(r, "100", vendor(id=100, name="Made Here", external_id=None), Queue(), INSTANCE)
    compare_unpaired_vendor(r, "101", vendor(id=101, external_id="JDE-V-10003"), Queue(), INSTANCE)
    compare_unpaired_vendor(r, "102", vendor(id=102, external_id="4399"), Queue(), INSTANCE)
    compare_unpaired_vendor(
        r, "103", vendor(id=103, external_id=None), Queue(**{"103": "name too long"}), INSTANCE
    )
    compare_unpaired_vendor(r, "104", vendor(id=104, external_id="4343"), Queue(), INSTANCE, supplier())
    assert [(d.kind, d.record, d.counterpart) for d in r.differences] == [
        ("supplier missing in Procurify", "JDE supplier 4343 (Granite Supply)", ""),
        ("vendor only in Procurify", "-", "Procurify vendor 100 (Made Here)"),
        ("vendor only in Procurify", "-", "Procurify vendor 102 (Granite Supply)"),
    ]
    assert "its external_id says JDE supplier 4399, which JDE does not hold" in r.differences[2].words
    assert [e.reason for e in r.expected] == ["no e-mail in F01151", "name too long"]
    assert r.counts["jde_suppliers_inactive_not_in_procurify"] == 1
    assert r.counts["procurify_vendors_not_for_jde"] == 1
    assert r.counts["procurify_vendors_keyed_to_a_jde_supplier_not_paired_yet"] == 1


# -- account codes --------------------------------------------------------------------------------------


def code(account: str, code_: str, description: str, active: bool = True) -> Mapped:
    return Mapped(account, {"code": code_, "description": description, "active": active}, {})


def test_account_codes_field_by_field_and_on_one_side_only():
    r = report()
    expected = [
        code("1.6110", "6100", "Materials"),
        code("1.6120", "1.6120", "Tools"),
        code("1.6130", "1.6130", "Freight"),
        code("1.6140", "1.6140", "Closed", active=False),
        code("1.6150", "1.6150", "Travel"),
        Rejected("1.6000", "account 1.6000 is not postable in F0901 (posting edit N)"),
    ]
    codes = [
        {"code": "6100", "description": "Materials", "active": True},
        {"code": "1.6130", "description": "Freight in", "active": False},
    ]
    orphan = OrphanCode("3", "1010", "Operating Cash", True, "account code 1010 not found in F0901")
    compare_account_codes(r, expected, codes, [orphan], Queue(**{"1.6150": "departments missing"}))
    assert [(d.kind, d.record, d.counterpart, d.values) for d in r.differences] == [
        ("code missing in Procurify", "JDE account 1.6120", "account code 1.6120", ("1.6120", "-")),
        ("code status", "JDE account 1.6130", "account code 1.6130", ("active", "inactive")),
        ("code description", "JDE account 1.6130", "account code 1.6130", ("Freight", "Freight in")),
        ("code missing in Procurify", "JDE account 1.6000", "", ("1.6000", "-")),
        ("code only in Procurify", "-", "account code 1010", ("-", "1010")),
    ]
    assert [e.reason for e in r.expected] == ["departments missing"]
    assert r.counts["codes_in_balance"] == 1 and r.compared == 7


# -- the check ------------------------------------------------------------------------------------------


def test_the_check_fails_naming_the_differences_and_passes_when_none():
    r = report()
    check, _materialized = r.results(RECONCILIATION)
    assert check.passed and check.description == "JDE and Procurify agree"
    OrderComparison(r, order(), Queue()).compare(ProcurifyOrder(pos={"1187": po(state=1)}))
    check, materialized = r.results(RECONCILIATION)
    assert not check.passed and "JDE order 4011 OP 00001 is open in JDE but PO 1187" in check.description
    assert materialized.metadata["differences"] == 1 and materialized.metadata["order_status"] == 1


def test_the_project_s_definitions_hold_the_reconciliation_its_job_and_schedule():
    from connector_assets.definitions import defs

    job = defs.resolve_job_def("jde_procurify_reconcile")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {RECONCILIATION}
    assert defs.resolve_schedule_def("jde_procurify_reconcile_schedule").job_name == job.name
    node = defs.resolve_assets_def(AssetKey.from_user_string(RECONCILIATION))
    assert node.group_names_by_key[node.key] == "jde_procurify"
    assert {c.name for c in node.check_specs} == {"in_balance"}


def test_the_schedule_closes_yesterday_at_the_reconcile_cron(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ML_JDE_PROCURIFY_RECONCILE_CRON", "15 7 * * *")
    (schedule,) = [
        s for s in built("jde_procurify").schedules if s.name == "jde_procurify_reconcile_schedule"
    ]
    assert schedule.cron_schedule == "15 7 * * *" and schedule.job_name == "jde_procurify_reconcile"


# -- through Dagster, on both simulators ----------------------------------------------------------------

CODES = ("jde_procurify/account_codes_mapped", "jde_procurify/account_codes_written")
SUPPLIERS = (
    *SUPPLIER_SOURCES,
    "jde/supplier_addresses",
    "jde_procurify/suppliers_mapped",
    "jde_procurify/suppliers_written",
)
ORDERS = (*ORDER_SOURCES, "jde_procurify/purchase_orders_mapped", "jde_procurify/purchase_orders_written")
LINKS = (
    "procurify/purchase_orders",
    "procurify/requisitions",
    "jde_procurify/po_links_mapped",
    "jde_procurify/po_links_written",
)
BILLS = ("procurify/bills", "jde_procurify/bills_mapped", "jde_procurify/bills_written")
VENDORS = ("jde_procurify/vendors_mapped", "jde_procurify/vendors_written")
# What the day's reconciliation reads staged (the JDE sources), re-read as the flows' schedules would have.
RECONCILE = (*ORDER_SOURCES, *SUPPLIER_SOURCES, "jde/supplier_addresses", "procurify/bills", RECONCILIATION)


@dataclass
class Story:
    """The synced world and the records the plants are made on."""

    world: JdeProcurifyWorld
    orders: list[str]
    billed: list[tuple[str, str]] = field(default_factory=list)  # (order, bill uuid), posted and processed
    unprocessed: tuple[str, str] = ("", "")  # (order, bill uuid) posted, its batch not processed yet
    to_cancel: tuple[str, int] = ("", 0)  # (order, PO) purchased and linked, not received
    to_reprice: tuple[str, int] = ("", 0)
    held: str = ""  # a bill the bills flow holds on JDE's closed period
    made_vendor: str = ""  # a vendor made in Procurify, sent to JDE by the vendors flow


def reconcile(world: JdeProcurifyWorld) -> tuple[dict[str, Any], Any]:
    """The day reconciled: its metadata and its check's evaluation."""
    result = world.materialize(*RECONCILE)
    (check,) = [
        c for c in result.get_asset_check_evaluations() if c.asset_key.to_user_string() == RECONCILIATION
    ]
    return metadata_values(result)[RECONCILIATION], check


def differences(meta: dict[str, Any]) -> list[dict[str, str]]:
    """Every difference and expected gap of the run, as the CSV beside the staging lists them."""
    with Path(meta["differences_csv"]).open(encoding="utf-8", newline="") as rows:
        return list(csv.DictReader(rows))


def deactivate_orphan_codes(world: JdeProcurifyWorld) -> int:
    """What an admin does with the report's orphan codes (the sandbox seeds some): deactivate them, in
    Procurify (its API cannot)."""
    staging = world.resources["staging"]
    _rows, gl = staged_chart(staging)
    accounts = AccountMap(ACCOUNTS.snapshot(staging))
    with world.resources["procurify"].session() as session:
        orphans = orphan_codes(session, accounts, gl)
    for orphan in orphans:
        world.switch_account_code(orphan.id, False)
    return len(orphans)


def bill_po(world: JdeProcurifyWorld, number: int) -> str:
    """The PO received whole and billed by the AP clerk, approved: the bill uuid."""
    world.receive(number, 1.0)
    return world.enter_bill(number, status=2)["bill_uuid"]


def procurify_api(world: JdeProcurifyWorld, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A call a Procurify user makes by hand, with their own token (not the connector's client)."""
    headers = {"Authorization": f"Bearer {world.procurify_user_token()}", "X-Procurify-Client": "api"}
    answer = requests.request(method, f"{world.procurify_url}{path}", json=body, headers=headers, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["data"]


def sandbox(world: JdeProcurifyWorld, root: str, path: str, body: dict[str, Any] | None = None) -> Any:
    answer = requests.post(f"{root}/sandbox/{path}", json=body or {}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    patch = pytest.MonkeyPatch()
    patch.setenv("ML_JDE_PROCURIFY_ACCOUNT_SCOPE", "1410, 6000-8999")  # stock lines' accounts get codes too
    # Some sandbox suppliers have no e-mail in F01151: without the fallback the suppliers flow refuses them,
    # and the reconciliation names each (a clean sync needs one or the other fixed).
    patch.setenv("ML_JDE_PROCURIFY_VENDOR_FALLBACK_EMAIL", "ap-unknown@example.com")
    try:
        with jde_procurify_world(tmp_path_factory.mktemp("reconcile")) as world:
            world.master()
            world.run_whole(*CODES)
            policy = order_policy()
            made = world.jde_activity(new_purchase_orders=12)["new_purchase_orders"]
            headers = [world.jde_rows("F4301", DOCO=m["DOCO"])[0] for m in made]
            sendable = [
                h
                for h in headers
                if h["DCTO"] in policy.order_types
                and not_approved(h, lines := world.jde_rows("F4311", DOCO=h["DOCO"]), policy) is None
                and not all_done(lines, policy)
            ]
            with world.resources["jde"].session() as session:  # a buyer reviews each supplier (P04012)
                for an8 in sorted({int(h["AN8"]) for h in sendable}):
                    session.orchestrate("ML_AddUpdateSupplier", {"Address_Number": an8})
            world.run(*SUPPLIERS, *ORDERS)  # today's suppliers first, then the orders that wait for them
            sent = world.xrefs("purchase_order")
            orders = sorted(order_source_key(h) for h in sendable if sent.get(order_source_key(h)))
            assert len(orders) >= 6, f"the day's new orders sent {len(orders)}; ask for more"
            story = Story(world, orders)
            for key in orders[:6]:  # Procurify's approver and buyer purchase them; the flow links the POs
                world.purchase(sent[key])
            world.run(*LINKS)
            pos = [int(OWN.links.linked_po(world.ledger, key) or 0) for key in orders[:6]]
            assert all(pos), world.queue("po_links")
            story.billed = [(key, bill_po(world, po)) for key, po in zip(orders[:2], pos[:2], strict=True)]
            story.to_cancel, story.to_reprice = (orders[2], pos[2]), (orders[3], pos[3])
            story.made_vendor = str(
                procurify_api(
                    world,
                    "POST",
                    "/api/v3/vendors/",
                    {"name": "Round Trip Supply Co", "email": ["rt@example.com"], "city": "Portland",
                     "country": "us", "phoneOne": "5035550100", "type": 3, "overall_score": None},
                )["id"]
            )  # fmt: skip
            # The vendor made in Procurify becomes a JDE supplier (its AN8 written back); the bills post.
            world.run(*VENDORS, *BILLS)
            assert world.queue("bills") == {}, world.queue("bills")
            world.process_vouchers()  # R04110ZA: the batches become F0411 vouchers
            story.unprocessed = (orders[4], bill_po(world, pos[4]))
            world.run(*BILLS)
            assert world.xrefs("bill").get(story.unprocessed[1])
            # Month end in JDE: a bill approved now is dated in the period just closed, held on it.
            answered = requests.post(f"{world.jde_root}/sandbox/periods/roll", json={}, timeout=10)
            assert answered.status_code == 200, answered.text
            story.held = bill_po(world, pos[5])
            world.run(*BILLS)
            assert "closed accounting period" in world.queue("bills").get(story.held, ""), world.queue(
                "bills"
            )
            assert deactivate_orphan_codes(world) > 0  # the report names them otherwise
            yield story
    finally:
        patch.undo()


def test_a_clean_sync_reconciles_clean_and_a_bill_held_on_a_closed_period_is_an_expected_gap(story: Story):
    meta, check = reconcile(story.world)

    assert check.passed, meta["difference_table"]
    assert meta["differences"] == 0
    assert meta["orders_in_balance"] >= len(story.orders) and meta["bills_in_balance"] == 3
    assert meta["vendors_in_balance"] > 0 and meta["codes_in_balance"] > 0
    assert meta["records_compared"] > meta["codes_in_balance"] and meta["api_calls_per_record"] > 0
    assert meta["jde_api_calls"] > 0 and meta["procurify_api_calls"] > 0
    held = [r for r in differences(meta) if story.held in r["JDE record"]]
    assert [r["kind"] for r in held] == ["expected: held for a closed accounting period"], held
    assert held[0]["words"] == story.world.queue("bills")[story.held]
    assert meta["expected_held_for_a_closed_accounting_period"] == 1
    assert f"bill {story.held}" in meta["expected_table"]


@dataclass
class Planted:
    """A difference planted behind the connector's back, and what the report must say about it."""

    kind: str
    jde: str  # the record as JDE names it ("-": none)
    procurify: str  # part of the record as Procurify names it
    values: tuple[str, str]


def test_every_difference_planted_in_either_system_is_named_by_record_field_and_both_values(story: Story):
    world = story.world
    jde_root = world.jde_url.removesuffix("/jderest")
    pairs = world.xrefs("supplier")  # AN8 -> vendor id
    an8s = sorted(a for a, v in pairs.items() if v)
    planted: list[Planted] = []

    def plant(kind: str, jde: str, procurify: str, ours: Any, theirs: Any) -> None:
        planted.append(Planted(kind, jde, procurify, (str(ours), str(theirs))))

    def cents(value: Decimal) -> str:
        return f"{value:,.2f}"

    # In Procurify, by its users: a vendor renamed, one deactivated, a PO line repriced, a PO cancelled (in
    # the UI: the API has none), a vendor made there, a PO purchased from a requisition made there.
    with world.resources["procurify"].session() as session:
        renamed, deactivated = pairs[an8s[0]], pairs[an8s[1]]
        name = session.get("vendors", renamed)["name"]
        session.update_vendor(int(renamed), {"name": f"{name} Renamed"})
        session.update_vendor(int(deactivated), {"active": False})
    plant("vendor name", f"JDE supplier {an8s[0]}", f"vendor {renamed} ", name, f"{name} Renamed")
    plant("vendor status", f"JDE supplier {an8s[1]}", f"vendor {deactivated} ", "active", "inactive")
    order, number = story.to_reprice
    line = world.procurify_record("purchase_orders", number)["api"]["order_items"][0]
    price = Decimal(str(line["price"]))
    # The update takes the PO whole (PurchaseOrderUpdateRequest): the PO as read, the line repriced.
    current = world.procurify_record("purchase_orders", number)["api"]
    revised, _ = full_revision(current, {"order_items": [{"id": line["id"], "price": str(price + 100)}]})
    procurify_api(world, "PUT", f"/api/v3/purchase-orders/{number}/", json_body(revised, "PO"))
    doco = order.split(":")[1]
    plant("order line price", f"JDE order {doco} ", f"PO {number} line", cents(price), cents(price + 100))
    order, number = story.to_cancel
    sandbox(world, world.procurify_url, f"purchase-orders/{number}/cancel")
    plant("order status", f"JDE order {order.split(':')[1]} ", f"PO {number}", "open", "cancelled")
    made = procurify_api(
        world,
        "POST",
        "/api/v3/vendors/",
        {"name": "Made Here Ltd", "email": ["m@example.com"], "type": 3, "overall_score": None},
    )
    plant("vendor only in Procurify", "-", f"vendor {made['id']} ", "-", made["id"])
    po_made = world.activity(new_purchase_orders=1)["purchase_orders"]["created"][0]
    subtotal = Decimal(str(world.procurify_record("purchase_orders", po_made)["api"]["subtotal"]))
    plant("PO only in Procurify", "-", f"PO {po_made}", "-", cents(subtotal))

    # In JDE, by an A/P clerk: a voucher's gross changed, a voucher voided, an unprocessed batch deleted, a
    # voucher entered for a supplier paired with a Procurify vendor.
    (_o, changed_bill), (_p, voided_bill) = story.billed
    voucher = world.bill_voucher(changed_bill)
    gross = Decimal(voucher["AG"]) / 100
    where = f"vouchers/{voucher['KCO']}/{voucher['DOC']}/PV"
    sandbox(world, jde_root, f"{where}/gross", {"gross": str(gross + 100)})
    document = f"voucher {voucher['KCO']} {int(voucher['DOC'])} PV"
    plant("bill amount", document, f"bill {changed_bill}", cents(gross + 100), cents(gross))
    voucher = world.bill_voucher(voided_bill)
    sandbox(world, jde_root, f"vouchers/{voucher['KCO']}/{voucher['DOC']}/PV/void")
    document = f"voucher {voucher['KCO']} {int(voucher['DOC'])} PV"
    plant("bill status", document, f"bill {voided_bill}", "voided", "Approved")
    deleted = story.unprocessed[1]
    key = batch_key("MLPRCFY", deleted)
    sandbox(world, jde_root, f"batches/{key.user}/{key.batch}/{key.transaction}/delete")
    amount = Decimal(str(world.procurify_record("bills", deleted)["api"]["total_cost_with_tax"]))
    plant("bill missing in JDE", f"batch {key.target_id}", f"bill {deleted}", "-", cents(amount))
    entered = sandbox(world, jde_root, "vouchers", {"supplier": int(an8s[2]), "gross": "4321.00"})
    plant("voucher only in JDE", f"voucher {entered['KCO']} {entered['DOC']} PV", "-", "4,321.00", "-")

    meta, check = reconcile(world)

    assert not check.passed
    found = differences(meta)
    for plant in planted:
        named = [
            r
            for r in found
            if r["kind"] == plant.kind
            and r["JDE record"].startswith(plant.jde)
            and plant.procurify in r["Procurify record"] + " "
            and (r["JDE"], r["Procurify"]) == plant.values
        ]
        assert len(named) == 1, (plant, [r for r in found if r["kind"] == plant.kind])
        assert named[0]["field"] and named[0]["words"]
    assert meta["differences"] == len(planted), meta["difference_table"]
    for plant in planted:
        assert f"**{plant.kind}**" in meta["difference_table"]
    assert meta["api_calls_per_record"] < 1


def test_a_bill_posted_as_a_journal_entry_reconciles_with_its_journal_ap_credit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Journal posting: JDE's side is the F0911Z1 AP credit line carrying the supplier as subledger, found by
    the bill's batch keys; a changed amount on it would be named like a voucher's."""
    monkeypatch.setenv("ML_JDE_PROCURIFY_BILL_POSTING", "journal")
    with jde_procurify_world(tmp_path) as world:
        world.master()
        bill = world.approved_bill()  # its vendor paired with a JDE supplier as the vendors flow records it
        world.run(*BILLS)
        assert world.xrefs("bill").get(bill["uuid"]), world.queue("bills")

        meta, _check = reconcile(world)

        assert meta["bills_in_balance"] == 1, meta["difference_table"]
        assert not [r for r in differences(meta) if r["kind"].startswith("bill")]
        assert f"Procurify vendor {bill['vendor']['id']}" in meta["per_vendor_period"]

        # The batch is named as JDE holds it: unprocessed, then the journal entry R09110Z posted to F0911
        # (a journal never reaches F0411, where a voucher's batch is looked for).
        jde, uuid = world.resources["jde"], bill["uuid"]
        assert batches(jde, [uuid], "journal", BATCH_USER)[uuid].where.endswith("(not processed yet)")
        (entry,) = sandbox(world, world.jde_root, "process-journals")["processed"]
        said = batches(jde, [uuid], "journal", BATCH_USER)[uuid].where
        assert said.startswith("journal entry ") and said.endswith(f" {entry['DOC']} {entry['DCT']}"), said
