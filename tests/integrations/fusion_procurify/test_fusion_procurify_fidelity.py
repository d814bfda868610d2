"""Fidelity of the Fusion <-> Procurify flows to the two API references, not to our simulators' spelling.

Every name and behaviour the flows read that ``docs/reference/oracle-fusion.md`` or
``docs/reference/procurify.md`` marks unconfirmed is played here in its plausible alternatives, through the
simulators' own variant switches, one world per group of variants:

* a Fusion pod that spells what the reference leaves open otherwise: purchase order status (no
  ``StatusCode``, only a display ``Status``; then neither), ``Ordered`` as ``TotalAmount``, supplier
  ``Status`` / ``InactiveDate`` and site purpose flags absent, invoice ``PaidStatus`` / ``AmountPaid`` /
  ``CanceledFlag`` absent, related payment rows naming no invoice and no amount, account combination flags
  and dates absent; numeric item keys, 499-row caps, INCOMPLETE drafts kept out of ``purchaseOrders``,
  expanded children paged as framework v3 collection objects;
* a pod that answers errors otherwise: structured bodies, terse validation messages, a changed duplicate
  invoice message, 405 for a create on a read-only resource, 429 with and without ``Retry-After``, and a
  client on framework version 1 (query by example);
* a Procurify whose unconfirmed behaviours differ: ``dateModified`` frozen, the requisition description not
  kept, mark-as-paid answering 204 and paying what it can, bill groups as objects, payment currency as a code.

Where a flow does not survive a plausible variant the test is ``xfail(strict=True)`` with the reference line
and the smallest fix in its reason, so the gap stays visible and the suite stays green.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fusion_procurify_parts import CHARGES, INVOICES_FLOW, SEGMENTS_ENV, InvoiceTarget, paired_vendor
from fusion_procurify_proofs import (
    ClerkBetweenSearchAndCreate,
    draft_left_in_fusion,
    mapped_invoices,
    stage_master,
    usd_po,
)
from fusion_procurify_world import BUSINESS_UNIT, INTEGRATION, FusionProcurifyWorld, fusion_procurify_world

from connector_assets.flows.core import Mapped
from connector_assets.fusion.invoice_target import invoice_of
from connector_assets.integrations.fusion_procurify.payment_status import INVOICE_ENTITY

PO_RUN = (
    "procurify/purchase_orders",
    "fusion_procurify/purchase_orders_mapped",
    "fusion_procurify/purchase_orders_written",
)
INVOICE_RUN = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")
PAYMENT_RUN = (
    "fusion/payments",
    "fusion/invoices",
    "fusion_procurify/payment_status_mapped",
    "fusion_procurify/payment_status_written",
)
VENDOR_RUN = ("fusion_procurify/vendors_mapped", "fusion_procurify/vendors_written")
PAID = 4  # Procurify bill status Paid (docs/reference/procurify.md 2.6)

# docs/reference/oracle-fusion.md 2.4 / 2.6 / 2.7 / 2.8 / 2.9: every attribute below is marked unconfirmed
# there. The new names are ones no flow knows, so the pod behaves as one that does not send the attribute at
# all.
UNCONFIRMED_READS: dict[str, dict[str, str]] = {
    "purchaseOrders": {"StatusCode": "OrderStatusCode", "Ordered": "TotalAmount"},
    "draftPurchaseOrders": {"StatusCode": "OrderStatusCode", "Ordered": "TotalAmount"},
    "suppliers": {"Status": "SupplierStatus", "InactiveDate": "SupplierInactiveOn"},
    "suppliers.sites": {
        "SitePurposePurchasingFlag": "PurchasingSiteFlag",
        "SitePurposePayFlag": "PaySiteFlag",
        "InactiveDate": "SiteInactiveOn",
    },
    "invoices": {
        "PaidStatus": "PaymentStatusFlag",
        "AmountPaid": "PaidAmountTotal",
        "CanceledFlag": "CancelledFlag",
        "ApprovalStatus": "WfApprovalStatus",
    },
    "payablesPayments.relatedInvoices": {
        "InvoiceId": "InvoiceIdent",
        "InvoiceNumber": "InvoiceNum",
        "AmountPaid": "PaidAmount",
    },
    "accountCombinationsLOV": {
        "EnabledFlag": "Enabled",
        "DetailPostingAllowed": "DetailPostingAllowedFlag",
        "StartDateActive": "StartDate",
        "EndDateActive": "EndDate",
    },
}


# -- the worlds and what they run ----------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FusionProcurifyWorld]:
    with fusion_procurify_world(tmp_path, order_numbers=True) as made:
        yield made


def unpaired_supplier(world: FusionProcurifyWorld) -> str:
    """An active Fusion supplier with active purchasing and pay sites in the business unit (canonical
    names, read through the operator route), not paired with a vendor yet."""
    pay = {str(s["SupplierId"]) for s in world.fusion_suppliers_with_site(purpose="SitePurposePayFlag")}
    for supplier in world.fusion_suppliers_with_site(purpose="SitePurposePurchasingFlag"):
        supplier_id = str(supplier["SupplierId"])
        if supplier_id in pay and paired_vendor(world.ledger, supplier_id) is None:
            return supplier_id
    raise AssertionError("no unpaired Fusion supplier with purchasing and pay sites")


def orders(world: FusionProcurifyWorld, number: str) -> list[dict[str, Any]]:
    return world.fusion_records("purchaseOrders", OrderNumber=number)


def po_created_once(world: FusionProcurifyWorld) -> dict[str, Any]:
    """An approved Procurify PO becomes one submitted (OPEN) Fusion order. (Reruns are the flow's own
    tests' business: an unchanged record is skipped by the ledger, before Fusion is asked anything.)"""
    made = usd_po(world)
    po = made["po"]
    world.pair_vendor(po["pref_vendor"]["id"], unpaired_supplier(world))
    world.run(*PO_RUN)
    key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
    assert key not in world.queue("purchase_orders"), world.queue("purchase_orders")
    [order] = orders(world, number)
    assert order["StatusCode"] == "OPEN" and order["ProcurementBU"] == BUSINESS_UNIT
    assert world.xrefs("purchase_order")[key] == str(order["POHeaderId"])
    return {**made, "order": order}


def incomplete_draft_submitted(world: FusionProcurifyWorld) -> None:
    """A draft a crash left INCOMPLETE (created, never submitted, not in the ledger) is found by its
    number and submitted, never created again."""
    po = usd_po(world)["po"]
    supplier_id = unpaired_supplier(world)
    world.pair_vendor(po["pref_vendor"]["id"], supplier_id)
    key, number = f"PO{po['procurify_PO']}", f"PFY{po['procurify_PO']}"
    supplier, site = world.purchasing_site(supplier_id)
    left = draft_left_in_fusion(world, po, supplier, site, order_number=number)
    world.run(*PO_RUN)
    assert key not in world.queue("purchase_orders"), world.queue("purchase_orders")
    [order] = orders(world, number)
    assert order["POHeaderId"] == left["POHeaderId"] and order["StatusCode"] == "OPEN"
    assert world.xrefs("purchase_order")[key] == str(left["POHeaderId"])


def usd_bill(world: FusionProcurifyWorld) -> dict[str, Any]:
    """An expense bill entered and approved now in US dollars (the business unit's currency; the pod
    knows no CAD), its vendor paired with a Fusion supplier that has a pay site."""
    for _ in range(20):
        bill = world.approved_bill()
        if bill["currency"]["name"] == "USD":
            return bill
    raise AssertionError("no bill in USD among 20 made")


def invoice_created_once(world: FusionProcurifyWorld) -> dict[str, Any]:
    """An approved bill becomes one validated Fusion invoice."""
    bill = usd_bill(world)
    first = world.run(*INVOICE_RUN)
    assert first["fusion_procurify/invoices_written"]["create"] == 1, world.queue("invoices")
    invoice_id = world.xrefs("invoice")[bill["uuid"]]
    stored = world.fusion_record("invoices", invoice_id)
    assert stored["InvoiceNumber"] == bill["invoice_number"]
    assert stored["ValidationStatus"] == "Validated"
    assert len(world.fusion_records("invoices", InvoiceNumber=bill["invoice_number"])) == 1
    return {"bill": bill, "invoice_id": invoice_id}


def our_invoice(world: FusionProcurifyWorld, invoice_id: int | str) -> str:
    """An approved Procurify expense bill recorded as the bill the invoices flow wrote as Fusion invoice
    ``invoice_id`` (its ``invoice`` xref): the bill uuid. (The pod pays only invoices a person approved, so
    a seeded invoice stands for the one the flow wrote.)"""
    [uuid] = world.activity(new_bills=1)["bills"]["created"]
    world.bill_status(uuid, 2)
    key = (INTEGRATION, INVOICE_ENTITY, "procurify", uuid, "fusion")
    world.ledger.claim_xref(*key, owner="test-invoices")
    world.ledger.record_target(*key, target_id=str(invoice_id), content_hash="written by the invoices flow")
    return uuid


def paid_in_fusion_marked_once(world: FusionProcurifyWorld) -> None:
    """An invoice of ours paid in full in Fusion marks its bill paid."""
    [ours] = world.fusion_activity(new_payments=1)["updated"]["invoices"]
    uuid = our_invoice(world, ours)
    world.run(*PAYMENT_RUN)
    assert world.queue("payment_status") == {}, world.queue("payment_status")
    assert world.procurify_record("bills", uuid)["api"]["status"] == PAID
    assert world.xrefs("paid_mark") == {str(ours): uuid}


def paid_invoice(world: FusionProcurifyWorld) -> dict[str, Any]:
    """A Fusion invoice a person has just paid in full (canonical names, with its lines)."""
    [paid_id] = world.fusion_activity(new_payments=1)["updated"]["invoices"]
    invoice = world.fusion_record("invoices", paid_id)
    if invoice["PaidStatus"] != "Paid":  # a partial payment: pay again until one is paid in full
        return paid_invoice(world)
    return invoice


def paid_invoice_is_not_changed(world: FusionProcurifyWorld) -> None:
    """A bill changed in Procurify after Fusion paid its invoice: the invoice is left as it is and the
    change queued for a person, whatever the pod calls its paid status."""
    invoice = paid_invoice(world)
    body = {
        "InvoiceNumber": invoice["InvoiceNumber"],
        "Supplier": invoice["Supplier"],
        "InvoiceAmount": str(Decimal(str(invoice["InvoiceAmount"])) + 1),
        "InvoiceDate": invoice["InvoiceDate"],
        "invoiceLines": [
            {k: line.get(k) for k in ("LineNumber", "LineType", "LineAmount", "PurchaseOrderNumber")}
            | {"PurchaseOrderLineNumber": line.get("PurchaseOrderLineNumber")}
            for line in invoice["invoiceLines"]
        ],
    }
    record = Mapped(source_key="bill-changed-after-payment", body=body, fields={})
    with world.resources["fusion"].session() as session, pytest.raises(ValueError, match="paid"):
        InvoiceTarget(session, world.ledger, None, None, INVOICES_FLOW).update(
            str(invoice["InvoiceId"]), record
        )
    after = world.fusion_record("invoices", invoice["InvoiceId"])
    assert after["InvoiceAmount"] == invoice["InvoiceAmount"]


# -- Fusion: what the reference leaves unnamed, spelt otherwise --------------------------------------------


def test_orders_invoices_and_paid_marks_survive_a_pod_without_the_unconfirmed_attributes(
    world: FusionProcurifyWorld,
) -> None:
    """No StatusCode (only a display Status), no Ordered, no supplier status or site purpose flags, no
    invoice paid/canceled status, related payment rows naming nothing, combination flags absent; numeric
    item keys, 499-row caps, drafts only in draftPurchaseOrders, expanded children paged (v3 objects)."""
    world.fusion_behaviour(
        attribute_names=UNCONFIRMED_READS,
        item_keys="id",
        page_caps={"suppliers": 499, "invoices": 499, "payablesPayments": 499, "accountCombinationsLOV": 499},
        drafts_in_purchase_orders=False,
        requisition_number_attribute="RequisitionNumber",
        expanded_child_limit=2,
    )
    stage_master(world)
    some = world.fusion_records("invoices", limit=1)[0]["InvoiceId"]
    with world.resources["fusion"].session() as session:  # the pod really serves the other names
        [served] = session.search("invoices", {"InvoiceId": some})
    assert "PaidStatus" not in served and "AmountPaid" not in served and "PaymentStatusFlag" in served
    po_created_once(world)
    invoice_created_once(world)
    paid_in_fusion_marked_once(world)


def test_an_incomplete_draft_is_submitted_on_a_pod_with_no_order_status_at_all(
    world: FusionProcurifyWorld,
) -> None:
    """Neither StatusCode nor Status (both unconfirmed, docs/reference/oracle-fusion.md 2.4): a draft left by
    a crash is still found among the drafts, submitted and adopted, never created again."""
    hidden = {"StatusCode": "OrderStatusCode", "Status": "OrderStatus"}
    world.fusion_behaviour(
        attribute_names={"purchaseOrders": hidden, "draftPurchaseOrders": hidden},
        drafts_in_purchase_orders=False,
    )
    stage_master(world)
    incomplete_draft_submitted(world)


def test_a_paid_invoice_is_not_changed_on_a_pod_without_paid_status(world: FusionProcurifyWorld) -> None:
    """No PaidStatus / AmountPaid (docs/reference/oracle-fusion.md 2.6: names unconfirmed): the invoice's
    payments (PaidInvoicesFinder, 2.8) say it is paid, so the change is refused, never PATCHed."""
    world.fusion_behaviour(attribute_names={"invoices": UNCONFIRMED_READS["invoices"]})
    paid_invoice_is_not_changed(world)


def test_a_paid_invoice_is_not_changed_when_the_pod_says_it_is_paid(world: FusionProcurifyWorld) -> None:
    """The same change with the sandbox's default names: refused (the control of the test above)."""
    paid_invoice_is_not_changed(world)


def test_charge_accounts_survive_combination_segments_spelt_otherwise(
    world: FusionProcurifyWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Segments spelt ``Segment1`` ... (docs/reference/oracle-fusion.md 2.9: unconfirmed): staging fails
    naming the setting, never an empty table that refuses every line; with the setting naming them, the
    combinations are staged and a line gets its charge account."""
    world.fusion_behaviour(
        attribute_names={"accountCombinationsLOV": {f"_SEGMENT{n}": f"Segment{n}" for n in range(1, 5)}}
    )
    with pytest.raises(Exception, match=SEGMENTS_ENV):
        stage_master(world)
    monkeypatch.setenv(SEGMENTS_ENV, "Segment1,Segment2,Segment3,Segment4")
    stage_master(world)
    accounts = CHARGES.load(world.resources["staging"])
    assert accounts.combinations, "no combination staged: every line would be refused"
    charged = [accounts.charge_account(natural, None) for natural in accounts.accounts.values()]
    assert any(text is not None for text, _why in charged), charged


def test_a_price_change_is_queued_on_a_pod_spelling_line_price_otherwise(world: FusionProcurifyWorld) -> None:
    """PO line ``Price`` spelt otherwise (docs/reference/oracle-fusion.md 2.4: line names unconfirmed except
    POLineId and LineNumber): a price changed in Procurify after submit is queued, the reason naming the
    attribute that could not be compared and the new price, never audited as done."""
    world.fusion_behaviour(attribute_names={"purchaseOrders.lines": {"Price": "UnitPrice"}})
    stage_master(world)
    po = po_created_once(world)["po"]
    line = po["order_items"][0]
    with world.resources["procurify"].session() as session:
        session.revise_purchase_order(
            int(po["procurify_PO"]), {"order_items": [{"id": line["id"], "price": "99.00"}]}
        )
    world.run(*PO_RUN)
    reason = world.queue("purchase_orders").get(f"PO{po['procurify_PO']}", "")
    assert f"line {line['PO_line_num']}: price 99.00 in Procurify" in reason
    assert "no Price attribute" in reason, reason


# -- Fusion: errors, limits and query syntax answered otherwise ----------------------------------------------


ERROR_VARIANTS = [
    {"error_format": "structured", "validation_messages": "terse"},
    {"error_format": "text", "validation_messages": "terse"},
    {"error_format": "negotiated", "structured_error_min_version": 3, "validation_messages": "detailed"},
]


def test_duplicates_are_adopted_whatever_the_pod_says_about_them(world: FusionProcurifyWorld) -> None:
    """Payables' duplicate refusal (its text unconfirmed, docs/reference/oracle-fusion.md 2.6) meets the
    create of a bill a clerk keyed by hand meanwhile: adopted, under a changed message, structured or terse
    bodies, and a pod answering 405 to creates on read-only resources."""
    stage_master(world)
    bills = [usd_bill(world) for _ in ERROR_VARIANTS]
    world.run("procurify/bills", "fusion_procurify/invoices_mapped")
    records = mapped_invoices(world)
    for bill, errors in zip(bills, ERROR_VARIANTS, strict=True):
        world.fusion_behaviour(
            duplicate_invoice_message="Duplicate document: AP_INV_DUP {number}.",
            read_only_create_status=405,
            **errors,
        )
        record = records[bill["uuid"]]
        with world.resources["fusion"].session() as session:
            racing = ClerkBetweenSearchAndCreate(session, invoice_of(record.body))
            created = InvoiceTarget(racing, world.ledger, None, None, INVOICES_FLOW).create(record)
        assert racing.raced and created.action == "adopt", (errors, created)
        [held] = world.fusion_records("invoices", InvoiceNumber=bill["invoice_number"])
        assert str(held["InvoiceId"]) == created.target_id


def test_flows_survive_a_throttling_pod_on_query_by_example(tmp_path: Path) -> None:
    """429s with ``Retry-After`` while an order is written and without it while an invoice is
    (docs/reference/oracle-fusion.md quirk 11: no published limits, Retry-After unconfirmed), by a client
    speaking framework version 1 (query by example, docs/reference/oracle-fusion.md 1)."""
    fields = {"framework_version": 1}
    with fusion_procurify_world(tmp_path, fusion_fields=fields, order_numbers=True) as world:
        stage_master(world)
        # 2 calls per 0.3 s: an order's search, site, create and submit always meet it, and the window is
        # shorter than the test client's six short backoffs, so the client always gets through.
        world.fusion_behaviour(rate_limit_requests=2, rate_limit_window_seconds=0.3)
        po_created_once(world)
        throttled = world.fusion_state()["throttled"]
        assert throttled > 0
        # The invoice meets 429s without Retry-After as the pod's next answers, not through the window
        # limiter: its few calls are spread over its reads, and a timing-based limit let them all through
        # on a slow machine now and then.
        world.fusion_behaviour(rate_limit_requests=None)
        before = world.fusion_state()
        world.fusion_faults(fail_next=2, fail_next_status=429)
        invoice_created_once(world)
        after = world.fusion_state()
        assert after["faults_injected"] == before["faults_injected"] + 2
        assert after["statuses"].get("429", 0) >= before["statuses"].get("429", 0) + 2


# -- Procurify: unconfirmed behaviours played otherwise ------------------------------------------------------


def test_flows_survive_procurify_variants(world: FusionProcurifyWorld) -> None:
    """Mark-as-paid answering 204 (nothing said about which bills were paid) and paying what it can, bill
    groups as objects, the payment currency as a code, vendors' dateModified frozen."""
    world.procurify_variants(
        vendor_date_modified="frozen",
        mark_as_paid="partial",
        mark_as_paid_answer="no_content",
        bill_group="object",
        payment_currency="code",
    )
    stage_master(world)
    po_created_once(world)
    invoice_created_once(world)
    paid_in_fusion_marked_once(world)


def test_a_vendor_renamed_in_procurify_is_paired_though_date_modified_never_moves(
    world: FusionProcurifyWorld,
) -> None:
    """Procurify's vendor ``dateModified`` is read-only and when it moves is not stated
    (docs/reference/procurify.md 2.3): a vendor renamed to a Fusion supplier's name is paired on the next poll
    anyway."""
    world.procurify_variants(vendor_date_modified="frozen")
    vendors = world.in_procurify("vendors", type__in=["preferred", "regular"], exclude_other=True)
    vendor = next(
        v for v in vendors.values() if v.get("active") and paired_vendor(world.ledger, v["id"]) is None
    )
    world.run(*VENDOR_RUN)
    assert str(vendor["id"]) not in world.xrefs("vendor")
    supplier_id = unpaired_supplier(world)
    name = world.fusion_record("suppliers", supplier_id)["Supplier"]
    with world.resources["procurify"].session() as session:
        session.update_vendor(int(vendor["id"]), {"name": name[:150]})
    assert world.procurify_record("vendors", vendor["id"])["api"]["dateModified"] == vendor["dateModified"]
    world.run(*VENDOR_RUN)
    if len(name) <= 150:
        assert world.xrefs("vendor")[str(vendor["id"])] == supplier_id


def bill_of_po_matched(world: FusionProcurifyWorld) -> None:
    """A bill of a Procurify PO the purchase orders flow wrote is matched to that Fusion order's lines."""
    stage_master(world)
    po = po_created_once(world)["po"]
    number = int(po["procurify_PO"])
    world.receive(number)
    bill_uuid = world.enter_bill(number, status=2)["bill_uuid"]
    world.run(*INVOICE_RUN)
    assert world.queue("invoices") == {}, world.queue("invoices")
    stored = world.fusion_record("invoices", world.xrefs("invoice")[bill_uuid])
    matched = {
        line.get("PurchaseOrderNumber") for line in stored["invoiceLines"] if line["LineType"] == "Item"
    }
    assert matched == {f"PFY{number}"}


def test_a_bill_of_a_po_is_matched_when_added_purchase_orders_are_uuids(world: FusionProcurifyWorld) -> None:
    """``added_purchase_orders`` as bare PO UUIDs (docs/reference/procurify.md 2.6 lists the field, not its
    shape): each is read by UUID for its number and the bill matched to the Fusion order, never sent
    unmatched."""
    world.procurify_variants(added_purchase_orders="uuids")
    bill_of_po_matched(world)


def test_a_bill_of_a_po_is_matched_to_the_fusion_order(world: FusionProcurifyWorld) -> None:
    """The control of the test above: with ``added_purchase_orders`` as summaries, the bill is matched."""
    bill_of_po_matched(world)
