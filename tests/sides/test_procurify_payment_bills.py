"""The bills of a day's Procurify payments (``procurify.payments.PaymentBills``): read ahead by the payments'
vendors (``vendor[]``) when that costs fewer calls than a read per bill group, with the answers the read per
group gives; a group the read ahead gets wrong (its bills miss the payment's amount) is read alone again.
Counted on the Procurify simulator's own call counter over loopback HTTP.
"""

from __future__ import annotations

from collections import Counter

from procurify_counted import Counted, procurify_fixture  # noqa: F401  (fixtures, used by name)

from connector_assets.procurify.payments import PaymentBills, payment_groups
from connector_resources.procurify import ProcurifyResource

BILLS = "GET /api/v3/ap/bills/"


def _payments(resource: ProcurifyResource) -> list[dict]:
    with resource.session() as session:
        return [p for p in session.iter_all("payments") if payment_groups(p)]


def test_payments_bills_read_ahead_by_vendor_answer_as_the_reads_per_group(procurify):
    resource, box = procurify
    payments = _payments(resource)
    groups = {g for p in payments for g in payment_groups(p)}
    assert len(groups) > 6, "the seeded day pays too few bill groups to compare"
    with resource.session() as session:
        reader = PaymentBills(session)
        per_group = [reader.of_payment(p) for p in payments]
    before = box.calls()
    with resource.session() as session:
        reader = PaymentBills(session)
        reader.read_ahead(payments)
        ahead = [reader.of_payment(p) for p in payments]
    spent = box.calls() - before
    assert [[b["uuid"] for b in bills] for bills in ahead] == [
        [b["uuid"] for b in bills] for bills in per_group
    ]
    assert sum(spent.values()) < len(groups), spent
    assert spent[BILLS] < len(groups) / 2


def test_a_group_whose_bills_miss_the_payment_s_amount_is_read_alone_again(procurify):
    resource, box = procurify
    payments = _payments(resource)
    with resource.session() as session:
        reader = PaymentBills(session)
        reader.read_ahead(payments)
        payment = next(p for p in payments if set(payment_groups(p)) <= reader.ahead)
        group = payment_groups(payment)[0]
        kept = reader.groups[group]
        reader.groups[group] = (
            kept[:-1] if len(kept) > 1 else []
        )  # as if a bill of another vendor were missed
        before = box.calls()
        bills = reader.of_payment(payment)
    assert box.calls() - before == Counter({BILLS: 1})
    assert reader.groups[group] == kept and group not in reader.ahead
    assert bills


def test_a_run_s_days_find_their_payments_vendors_in_one_vendor_list_read(procurify):
    resource, box = procurify
    payments = _payments(resource)
    half = len(payments) // 2
    run: dict = {}
    before = box.calls()
    for day in (payments[:half], payments[half:]):
        with resource.session() as session:
            PaymentBills(session, run).read_ahead(day)
    spent = box.calls() - before
    with resource.session() as session:
        assert spent["GET /api/v3/vendors/"] == 1 + -(-session.count("vendors") // 100)  # a count, its pages
