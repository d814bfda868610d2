"""Business activity on demand (``POST /sandbox/activity``): what the AP team did "just now".

New and changed vendors and bills, archived bills, payments scheduled, scheduled payments that clear or
fail. Every record touched by one call gets the same ``updatedTime`` (now), so a client's cursor meets a
tie at its newest boundary, and the matching webhook events are queued. The generator is the seed's, so
new records look like seeded ones.

Which bills are paid is ``activity_pays``: any, or only the bills a client created through the API (where
the bills come from an ERP, the AP team pays those; a payment scheduled or settled here then always pays
a bill the ERP sent). A payment is scheduled one call and settled by a later one, as BILL's bank clears it
days after it was made.
"""

from __future__ import annotations

import random
from typing import Any

from connector_sandbox.activity import ActivityCounts, activity_request
from connector_sandbox.seeding import anchor_day, continued

from .documents import MADE_THROUGH_API, outstanding, refresh_bill, set_payment_status, stamp
from .formats import now_ms, render_time, to_cents
from .resources import BILLS, CLASSIFICATIONS, PAYMENTS, VENDORS
from .seed import DataFactory
from .state import SandboxState

_PHONE_DIGITS = "0123456789"


class _OneOrganization(ActivityCounts):
    organization_id: str | None = None  # default: the first organization


ActivityRequest = activity_request(
    "new_vendors",
    "updated_vendors",
    "new_bills",
    "updated_bills",
    "archived_bills",
    "cleared_payments",
    "failed_payments",
    "new_payments",
    base=_OneOrganization,
)
# What a bill the activity may pay is: the SQL over ``bills t`` for each ``activity_pays``.
_PAYABLE = {"any": "1=1", "api_bills": "COALESCE(json_extract({t}.doc, '$." + MADE_THROUGH_API + "'), 0) = 1"}


def _factory(state: SandboxState, org_id: str, rng: random.Random) -> DataFactory:
    """A generator whose references (accounts, departments, ...) are read back from the store."""
    org = state.settings.organization(org_id)
    assert org is not None
    factory = DataFactory(org, rng, anchor_day(state.settings), state.settings.user_id)
    store, refs = state.store, factory.refs
    active = "t.archived = 0"
    for doc_id in store.ids(CLASSIFICATIONS["chart-of-accounts"], org_id, active):
        account = store.get(CLASSIFICATIONS["chart-of-accounts"], org_id, doc_id) or {}
        if account.get("type") in ("EXPENSE", "COST_OF_GOODS_SOLD"):
            refs.expense_accounts.append(doc_id)
        elif account.get("type") == "BANK":
            refs.bank_accounts.append(doc_id)
    refs.departments = store.ids(CLASSIFICATIONS["departments"], org_id, active)
    refs.locations = store.ids(CLASSIFICATIONS["locations"], org_id, active)
    refs.classes = store.ids(CLASSIFICATIONS["accounting-classes"], org_id, active)
    refs.funding = {account["type"]: account["id"] for account in store.funding_accounts(org_id)}
    return factory


def _pick(rng: random.Random, ids: list[str], count: int) -> list[str]:
    return rng.sample(ids, min(count, len(ids)))


def _new_payments(
    factory: DataFactory, store: Any, org_id: str, payable: str, count: int, ms: int
) -> list[tuple[str, str, dict[str, Any]]]:
    """The AP team pays up to ``count`` unpaid bills that ``payable`` (SQL over ``bills t``) admits, picked
    at random; answers the events. A bill BILL could not pay (``_schedule``) is passed over."""
    if not count:
        return []
    unpaid = store.ids(BILLS, org_id, f"t.archived = 0 AND t.payment_status = 'UNPAID' AND {payable}")
    factory.rng.shuffle(unpaid)
    events: list[tuple[str, str, dict[str, Any]]] = []
    for bill_id in unpaid:
        if len(events) >= 2 * count:
            break
        if scheduled := _schedule(store, factory, org_id, bill_id, ms):
            payment, bill = scheduled
            events += [("bills", "updated", bill), ("payments", "updated", payment)]
    return events


def _schedule(
    store: Any, factory: DataFactory, org_id: str, bill_id: str, ms: int
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The AP team pays bill ``bill_id`` in full: an online payment, SCHEDULED (as ``POST /v3/payments``
    makes one), the bill's scheduled amount raised and both stored; answers (payment, bill). None when BILL
    could not pay it: its vendor is archived or has neither bank details nor a complete mailing address."""
    bill = store.get(BILLS, org_id, bill_id)
    vendor = store.get(VENDORS, org_id, bill["vendorId"]) if bill else None
    if bill is None or vendor is None or vendor.get("archived"):
        return None
    if (vendor.get("paymentInformation") or {}).get("payByType") not in ("ACH", "CHECK"):
        return None
    cents = outstanding(bill)
    if cents <= 0:
        return None
    payment = factory.payment(vendor, bill, cents, ms, "SCHEDULED")
    bill["_scheduledCents"] = bill.get("_scheduledCents", 0) + cents
    refresh_bill(bill)
    stamp(bill, ms)
    store.put(BILLS, org_id, bill)
    store.put(PAYMENTS, org_id, payment)
    return payment, bill


def make_activity(state: SandboxState, wanted: ActivityRequest) -> dict[str, Any]:
    org_id = wanted.organization_id or state.settings.organizations[0].id
    if state.settings.organization(org_id) is None:
        raise ValueError(f"organization_id {org_id!r} is not one of the sandbox organizations")
    state.activity_runs += 1
    rng = continued(f"{state.settings.seed}:activity:{state.activity_runs}", state.starts)
    factory = _factory(state, org_id, rng)
    store, ms = state.store, now_ms()
    summary: dict[str, Any] = {"organizationId": org_id}
    events: list[tuple[str, str, dict[str, Any]]] = []

    with store.transaction():
        new_vendors = []
        for _ in range(wanted.new_vendors):
            vendor = factory.vendor(10_000 + rng.randrange(10**6), ms, ms)
            vendor["archived"] = False
            new_vendors.append(vendor)
            events.append(("vendors", "created", vendor))
        store.put_many(VENDORS, org_id, new_vendors)

        changed_vendors = []
        for vendor_id in _pick(rng, store.ids(VENDORS, org_id, "t.archived = 0"), wanted.updated_vendors):
            vendor = store.get(VENDORS, org_id, vendor_id)
            assert vendor is not None
            vendor["phone"] = "503555" + "".join(rng.choice(_PHONE_DIGITS) for _ in range(4))
            stamp(vendor, ms)
            changed_vendors.append(vendor)
            events.append(("vendors", "updated", vendor))
        store.put_many(VENDORS, org_id, changed_vendors)

        active_vendors = store.ids(VENDORS, org_id, "t.archived = 0")
        new_bills = []
        for _ in range(wanted.new_bills):
            vendor = store.get(VENDORS, org_id, rng.choice(active_vendors))
            assert vendor is not None
            bill = factory.bill(vendor, ms, ms)
            new_bills.append(bill)
            events.append(("bills", "created", bill))
        store.put_many(BILLS, org_id, new_bills)

        unpaid = store.ids(BILLS, org_id, "t.archived = 0 AND t.payment_status = 'UNPAID'")
        chosen = _pick(rng, unpaid, wanted.updated_bills + wanted.archived_bills)
        for position, bill_id in enumerate(chosen):
            bill = store.get(BILLS, org_id, bill_id)
            assert bill is not None
            if position < wanted.updated_bills:
                bill["description"] = rng.choice(
                    ("Revised per credit memo", "Corrected PO reference", "Updated due date after dispute")
                )
                action = "updated"
            else:
                bill["archived"] = True
                action = "archived"
            stamp(bill, ms)
            store.put(BILLS, org_id, bill)
            events.append(("bills", action, bill))

        payable = _PAYABLE[state.settings.activity_pays]
        # A scheduled payment settles only when every bill it pays is one the activity may pay.
        others = (
            "NOT EXISTS (SELECT 1 FROM payment_bills pb JOIN bills b ON b.id = pb.bill_id "
            f"WHERE pb.payment_id = t.id AND NOT ({payable.format(t='b')}))"
        )
        scheduled = store.ids(PAYMENTS, org_id, f"t.single_status = 'SCHEDULED' AND {others}")
        chosen = _pick(rng, scheduled, wanted.cleared_payments + wanted.failed_payments)
        for position, payment_id in enumerate(chosen):
            payment = store.get(PAYMENTS, org_id, payment_id)
            assert payment is not None
            cleared = position < wanted.cleared_payments
            set_payment_status(payment, "CLEARED" if cleared else "FUNDING_FAILED_ACTION_NEEDED", ms)
            for part in payment["billPayments"]:
                bill = store.get(BILLS, org_id, part["billId"])
                if bill is None:
                    continue
                cents = to_cents(part["amount"])
                bill["_scheduledCents"] = max(0, bill.get("_scheduledCents", 0) - cents)
                if cleared:
                    bill["_paidCents"] = bill.get("_paidCents", 0) + cents
                refresh_bill(bill)
                stamp(bill, ms)
                store.put(BILLS, org_id, bill)
                events.append(("bills", "updated", bill))
            store.put(PAYMENTS, org_id, payment)
            events.append(("payments", "updated", payment))
            if not cleared:
                events.append(("payments", "failed", payment))

        events.extend(_new_payments(factory, store, org_id, payable.format(t="t"), wanted.new_payments, ms))

    counts: dict[str, list[str]] = {}
    for kind, action, doc in events:
        counts.setdefault(f"{kind}.{action}", []).append(doc["id"])
        state.publish(org_id, kind, action, doc)
    summary["updatedTime"] = render_time(ms)
    summary["changed"] = counts
    return summary
