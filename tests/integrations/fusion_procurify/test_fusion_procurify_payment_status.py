"""Fusion -> Procurify payment status: the pure rules of ``payment_mappers`` (is an invoice fully paid, on
which day, and what that means for its Procurify bill), then the flow end to end through Dagster on the two
simulators: an invoice of ours paid in Fusion marks its bill paid once, a rerun sends nothing, a partially
paid invoice is audited and left alone, a bill not approved is queued, an invoice Fusion unpays after the
mark is queued for a person."""

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from fusion_procurify_parts import PAYMENT_STATUS as payment_status_flow
from fusion_procurify_world import INTEGRATION, FusionProcurifyWorld, fusion_procurify_world

from connector_assets.flows.core import Mapped, Rejected
from connector_assets.fusion.payments import invoice_refs, merge_payments, paid_state
from connector_assets.integrations.fusion_procurify.payment_mappers import Skipped, map_paid_mark
from connector_assets.integrations.fusion_procurify.payment_status import INVOICE_ENTITY

UUID = "0b5e0d6c7a8f4d1e9f7a2c3b4d5e6f70"
FLOW = "payment_status"
RUN = (
    "fusion/payments",
    "fusion/invoices",
    "fusion_procurify/payment_status_mapped",
    "fusion_procurify/payment_status_written",
)


def invoice(**fields: Any) -> dict[str, Any]:
    return {
        "InvoiceId": 300100,
        "InvoiceNumber": "INV-7",
        "Supplier": "Acme",
        "InvoiceAmount": 100.0,
        **fields,
    }


def payment(check: int, day: str, amount: float, *, void: str | None = None, rows=None) -> dict[str, Any]:
    related = (
        rows
        if rows is not None
        else [{"InvoicePaymentId": check * 10, "InvoiceId": 300100, "AmountPaid": amount}]
    )
    return {
        "CheckId": check,
        "PaymentNumber": 5000 + check,
        "PaymentAmount": amount,
        "PaymentDate": day,
        "VoidDate": void,
        "relatedInvoices": related,
    }


# -- pure: is it paid ------------------------------------------------------------------------------------


def test_paid_status_decides_and_the_latest_live_payment_dates_it() -> None:
    payments = [
        payment(1, "2025-03-01", 60),
        payment(2, "2025-03-09", 40),
        payment(3, "2025-03-20", 5, void="x"),
    ]
    state = paid_state(invoice(PaidStatus="Paid", AmountPaid=100), payments)
    assert (state.state, state.how, state.paid_on) == ("paid", "PaidStatus", date(2025, 3, 9))
    assert [p.check_id for p in state.voided] == ["3"]


def test_without_paid_status_amount_paid_against_invoice_amount_decides() -> None:
    payments = [payment(1, "2025-03-01", 60)]
    assert paid_state(invoice(AmountPaid=60), payments).state == "partial"
    assert paid_state(invoice(AmountPaid=100), payments).state == "paid"
    assert paid_state(invoice(AmountPaid=0), []).state == "unpaid"


def test_without_invoice_status_the_live_payments_amounts_decide() -> None:
    """Neither PaidStatus nor AmountPaid (unconfirmed names): the related rows' amounts, void ones aside."""
    payments = [payment(1, "2025-03-01", 60), payment(2, "2025-03-02", 40, void="2025-03-05")]
    state = paid_state(invoice(), payments)
    assert (state.state, state.amount_paid) == ("partial", Decimal(60))
    payments.append(payment(3, "2025-03-07", 40))
    assert paid_state(invoice(), payments).state == "paid"


def test_a_payment_alone_on_one_invoice_counts_its_payment_amount_when_rows_lack_amounts() -> None:
    rows = [{"InvoicePaymentId": 11}]  # only the confirmed name
    assert paid_state(invoice(), [payment(1, "2025-03-01", 100, rows=rows)]).state == "paid"
    two = [{"InvoicePaymentId": 11}, {"InvoicePaymentId": 12}]
    assert paid_state(invoice(), [payment(1, "2025-03-01", 150, rows=two)]).state == "unknown"


def test_related_rows_name_invoices_by_id_or_number_and_rows_naming_none_are_left_out() -> None:
    rows = [
        {"InvoicePaymentId": 1, "InvoiceId": 7},
        {"InvoicePaymentId": 2, "InvoiceNumber": "B-2"},
        {"InvoicePaymentId": 3},
    ]
    refs = invoice_refs({"relatedInvoices": rows})
    assert [(r.invoice_id, r.invoice_number) for r in refs] == [("7", ""), ("", "B-2")]


def test_a_searched_copy_wins_but_keeps_the_staged_related_rows() -> None:
    staged = payment(1, "2025-03-01", 100)
    searched = {"CheckId": 1, "PaymentDate": "2025-03-01", "VoidDate": "2025-03-04"}
    [merged] = merge_payments([staged], [searched])
    assert merged["VoidDate"] == "2025-03-04" and merged["relatedInvoices"] == staged["relatedInvoices"]


# -- pure: what it means for the bill --------------------------------------------------------------------


def state_of(status: str, *payments_: dict[str, Any]):
    return paid_state(invoice(PaidStatus=status), list(payments_))


def test_a_paid_invoice_marks_an_approved_bill_on_the_latest_payment_date() -> None:
    record = map_paid_mark(
        invoice(), state_of("Paid", payment(1, "2025-03-09", 100)), UUID, marked=False, bill={"status": 2}
    )
    assert isinstance(record, Mapped)
    assert record.source_key == "300100"
    assert record.body == {"bill_uuids": [UUID], "payment_date": "2025-03-09"}


def test_a_paid_invoice_of_a_bill_not_approved_is_refused_naming_the_status() -> None:
    record = map_paid_mark(
        invoice(),
        state_of("Paid", payment(1, "2025-03-09", 100)),
        UUID,
        marked=False,
        bill={"status": 1, "invoice_number": "B-9"},
    )
    assert isinstance(record, Rejected)
    assert "B-9 is Confirmed" in record.reason and "approve" in record.reason


def test_a_bill_with_a_payment_in_procurify_is_skipped_not_marked() -> None:
    bill = {"status": 2, "payment_uuid": "abc"}
    record = map_paid_mark(
        invoice(), state_of("Paid", payment(1, "2025-03-09", 100)), UUID, marked=False, bill=bill
    )
    assert isinstance(record, Skipped) and "already has a payment" in record.reason


def test_partial_payment_is_skipped_saying_the_api_cannot_record_it() -> None:
    state = paid_state(invoice(PaidStatus="Partially paid", AmountPaid=60), [payment(1, "2025-03-01", 60)])
    record = map_paid_mark(invoice(), state, UUID, marked=False, bill=None)
    assert isinstance(record, Skipped)
    assert "partially paid" in record.reason and "(60.00 of 100.00 paid)" in record.reason
    assert "cannot record a partial payment" in record.reason


def test_a_payment_voided_after_the_mark_is_queued_because_procurify_cannot_unpay() -> None:
    state = state_of("Unpaid", payment(1, "2025-03-01", 100, void="2025-03-05"))
    record = map_paid_mark(invoice(), state, UUID, marked=True, bill=None)
    assert isinstance(record, Rejected)
    assert "payment 5001 of 2025-03-01 voided" in record.reason and "cannot un-pay" in record.reason


def test_paid_without_any_live_payment_has_no_date_and_is_queued() -> None:
    record = map_paid_mark(invoice(), state_of("Paid"), UUID, marked=False, bill={"status": 2})
    assert isinstance(record, Rejected) and "no payment date" in record.reason


def test_an_unpaid_invoice_never_marked_is_nothing_to_do() -> None:
    assert map_paid_mark(invoice(), state_of("Unpaid"), UUID, marked=False, bill=None) is None


# -- end to end on the simulators ------------------------------------------------------------------------


def our_invoice(world: FusionProcurifyWorld, invoice_id: int | str, *, bill_status: int = 2) -> str:
    """A Procurify bill (expense, entered now, moved to ``bill_status``) recorded as the bill the invoices
    flow wrote as Fusion invoice ``invoice_id`` (its ``invoice`` xref): the bill uuid."""
    [uuid] = world.activity(new_bills=1)["bills"]["created"]
    if bill_status != 0:
        world.bill_status(uuid, bill_status)
    key = (INTEGRATION, INVOICE_ENTITY, "procurify", uuid, "fusion")
    world.ledger.claim_xref(*key, owner="test-invoices")
    world.ledger.record_target(*key, target_id=str(invoice_id), content_hash="written by the invoices flow")
    return uuid


def skips(world: FusionProcurifyWorld) -> list[tuple[str, str]]:
    """The flow's skip events: (source id, reason)."""
    with world.ledger.engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "select source_id, reason from mlc_audit_event where integration = :i and flow = :f "
                "and action = 'skip'"
            ),
            {"i": INTEGRATION, "f": FLOW},
        ).all()
    return [(str(a), str(b)) for a, b in rows]


def marks_sent(world: FusionProcurifyWorld) -> int:
    calls = world.procurify_state()["calls"]
    return sum(n for k, n in calls.items() if "mark-as-paid" in k)


def bill(world: FusionProcurifyWorld, uuid: str) -> dict[str, Any]:
    return world.procurify_record("bills", uuid)["api"]


@pytest.fixture
def world(tmp_path: Path):
    with fusion_procurify_world(tmp_path) as running:
        yield running


def test_an_invoice_of_ours_paid_in_fusion_marks_its_bill_paid_once(world: FusionProcurifyWorld) -> None:
    paid = world.fusion_activity(new_payments=2)
    [ours, theirs] = paid["updated"]["invoices"]
    uuid = our_invoice(world, ours)
    [check] = [
        c
        for c in paid["created"]["payablesPayments"]
        if any(r["InvoiceId"] == ours for r in world.fusion_record("payablesPayments", c)["relatedInvoices"])
    ]
    paid_on = world.fusion_record("payablesPayments", check)["PaymentDate"]

    world.run(*RUN)

    assert bill(world, uuid)["status"] == 4
    assert world.xrefs("paid_mark") == {str(ours): uuid}
    assert str(theirs) not in world.xrefs("paid_mark")  # not ours: none of this flow's business
    assert marks_sent(world) == 1
    assert world.procurify_record("bills", uuid)["row"]["payment_date"] == paid_on[:10]

    world.run(*RUN[2:])  # the same day mapped and written again
    assert marks_sent(world) == 1
    assert world.audit_counts(FLOW).get("create") == 1
    assert world.queue(FLOW) == {}


def test_a_bill_paid_by_hand_in_procurify_is_adopted_not_marked_again(world: FusionProcurifyWorld) -> None:
    [ours] = world.fusion_activity(new_payments=1)["updated"]["invoices"]
    uuid = our_invoice(world, ours, bill_status=2)
    world.bill_status(uuid, 4)
    world.run(*RUN)
    assert world.xrefs("paid_mark") == {str(ours): uuid}
    assert marks_sent(world) == 0
    assert world.audit_counts(FLOW).get("adopt") == 1


def test_a_bill_not_approved_is_queued_then_marked_once_approved(world: FusionProcurifyWorld) -> None:
    [ours] = world.fusion_activity(new_payments=1)["updated"]["invoices"]
    uuid = our_invoice(world, ours, bill_status=1)
    world.run(*RUN)
    assert "is Confirmed" in world.queue(FLOW)[str(ours)]
    assert marks_sent(world) == 0

    world.bill_status(uuid, 2)
    world.replay_queued(FLOW, payment_status_flow)
    assert world.queue(FLOW) == {}
    assert bill(world, uuid)["status"] == 4 and marks_sent(world) == 1


def test_a_partially_paid_invoice_is_audited_and_its_bill_left_alone(world: FusionProcurifyWorld) -> None:
    partial = world.fusion_records("invoices", PaidStatus="Partially paid")[0]
    uuid = our_invoice(world, partial["InvoiceId"])
    world.day = partial["LastUpdateDate"][:10]  # the day Fusion changed it (staged then)

    world.run(*RUN)

    assert bill(world, uuid)["status"] == 2
    assert marks_sent(world) == 0 and world.xrefs("paid_mark") == {}
    assert world.queue(FLOW) == {}
    [(source, reason)] = skips(world)
    assert source == str(partial["InvoiceId"])
    assert "partially paid" in reason and "cannot record a partial payment" in reason


def test_an_invoice_unpaid_after_its_bill_was_marked_is_queued_for_a_person(
    world: FusionProcurifyWorld,
) -> None:
    """A mark made earlier (its xref), and Fusion now shows the invoice unpaid (as after a void): Procurify
    cannot un-pay, so a person is asked."""
    unpaid = world.fusion_records("invoices", PaidStatus="Unpaid")[0]
    uuid = our_invoice(world, unpaid["InvoiceId"])
    key = (INTEGRATION, "paid_mark", "fusion", str(unpaid["InvoiceId"]), "procurify")
    world.ledger.claim_xref(*key, owner="an earlier run")
    world.ledger.record_target(*key, target_id=uuid, content_hash="marked earlier")
    world.day = unpaid["LastUpdateDate"][:10]

    world.run(*RUN)

    reason = world.queue(FLOW)[str(unpaid["InvoiceId"])]
    assert "cannot un-pay" in reason and uuid in reason
    assert marks_sent(world) == 0


def test_related_rows_naming_no_invoice_and_no_paid_status_still_find_and_mark_it(
    world: FusionProcurifyWorld,
) -> None:
    """A pod whose related rows carry only InvoicePaymentId (the one confirmed name) and whose invoices
    carry no PaidStatus: the invoice is found among the day's changed invoices, and AmountPaid decides."""
    world.fusion_behaviour(
        attribute_names={
            "payablesPayments.relatedInvoices": {
                "InvoiceId": "InvoiceIdent",
                "InvoiceNumber": "InvoiceNum",
                "AmountPaid": "PaidAmount",
            },
            "invoices": {"PaidStatus": "PaymentStatusFlag"},
        }
    )
    [ours] = world.fusion_activity(new_payments=1)["updated"]["invoices"]
    uuid = our_invoice(world, ours)
    world.run(*RUN)
    payments = world.staged("fusion/payments")
    assert payments and all("InvoiceId" not in r for p in payments for r in p["relatedInvoices"])
    assert bill(world, uuid)["status"] == 4
    assert world.xrefs("paid_mark") == {str(ours): uuid}


# -- the real path: our invoice, paid by Fusion's AP team through the pod's operator route ----------------

INVOICES_RUN = ("procurify/bills", "fusion_procurify/invoices_mapped", "fusion_procurify/invoices_written")


def ap_team(world: FusionProcurifyWorld, path: str, **body: Any) -> dict[str, Any]:
    """Fusion's AP team (the pod's operator routes ``invoices/{id}/pay``, ``payments/{id}/void``)."""
    answer = requests.post(f"{world.fusion_url}/sandbox/{path}", json=body or None, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def today_in(world: FusionProcurifyWorld) -> str:
    """The pod's today (its clock), the day the AP team's payment is dated by default."""
    return world.fusion_state()["clock"]["now"][:10]


def test_a_bill_the_invoices_flow_wrote_is_marked_once_fusion_pays_it_in_full_and_a_void_is_queued(
    world: FusionProcurifyWorld,
) -> None:
    """Bill -> the invoices flow writes and validates the Fusion invoice -> Fusion's AP team approves it and
    pays part (audited, bill left alone), then the rest (the bill marked paid once, on that payment's day),
    then voids that payment (Procurify cannot un-pay: queued for a person, nothing sent)."""
    world.master()
    uuid = world.approved_bill()["uuid"]
    world.run(*INVOICES_RUN)
    invoice_id = world.xrefs("invoice")[uuid]
    written = world.fusion_record("invoices", invoice_id)
    assert (written["ValidationStatus"], written["ApprovalStatus"]) == ("Validated", "Required")

    part = ap_team(world, f"invoices/{invoice_id}/pay", amount="1.00")
    assert (part["ApprovalStatus"], part["PaidStatus"]) == ("Approved", "Partially paid")
    world.run(*RUN)
    assert bill(world, uuid)["status"] == 2 and marks_sent(world) == 0
    [partly] = [reason for source, reason in skips(world) if source == invoice_id]
    assert "partially paid" in partly and world.queue(FLOW) == {}

    rest = ap_team(world, f"invoices/{invoice_id}/pay", payment_date=today_in(world))
    assert rest["PaidStatus"] == "Paid"
    world.run(*RUN)
    assert bill(world, uuid)["status"] == 4
    assert world.xrefs("paid_mark") == {invoice_id: uuid} and marks_sent(world) == 1
    assert world.procurify_record("bills", uuid)["row"]["payment_date"] == rest["PaymentDate"]
    world.run(*RUN)  # Fusion unchanged: nothing more to send
    assert marks_sent(world) == 1 and world.queue(FLOW) == {}

    ap_team(world, f"payments/{rest['CheckId']}/void")
    world.run(*RUN)
    reason = world.queue(FLOW)[invoice_id]
    assert "voided" in reason and "cannot un-pay" in reason and uuid in reason
    assert marks_sent(world) == 1 and bill(world, uuid)["status"] == 4
