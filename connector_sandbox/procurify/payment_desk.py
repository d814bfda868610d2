"""The AP clerk's payment desk (operator routes, not Procurify): pay chosen bills, move a payment on.

``POST /sandbox/activity`` pays bills drawn at random; a test that follows one bill from Procurify into an
ERP needs to pay *that* bill, and to see its payment fail afterwards. The public API has no payment write
(reference 2.7 documents reads only), so these are what a person does in Procurify's UI:

* ``pay_bills``: the given approved bills paid together in one payment of one new bill group, in a chosen
  public status; the payment's amount is the bills' totals (as the seeded payments are), the bills name the
  payment (``payment_uuid``) and move on as the payment does (2.6 statuses: ``paid`` -> 4 Paid,
  ``approved`` / ``scheduled`` -> 6 Payment Confirmed, ``processing`` -> 7 Payment Approved, ``failed`` /
  ``pending_approval`` -> 8 Payment Limbo). ``amount`` overrides the amount (a payment that does not add
  up to its bills), in the bills' currency.
* ``set_payment_status``: a payment moved to another public status (``paid`` settles its bills, as the
  activity does; ``failed`` puts them in Payment Limbo).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .activity import ActivityError, _insert_story
from .factory import History
from .formats import stored, to_minor
from .state import SandboxState

BILL_STATUS_OF_PAYMENT = {
    "paid": 4,
    "approved": 6,
    "scheduled": 6,
    "processing": 7,
    "failed": 8,
    "pending_approval": 8,
}


def _status(status: Any) -> str:
    text = str(status or "").strip()
    if text not in BILL_STATUS_OF_PAYMENT:
        raise ActivityError(f"payment status {text!r} is not one of {', '.join(BILL_STATUS_OF_PAYMENT)}", 400)
    return text


def pay_bills(state: SandboxState, uuids: list[str], status: str, amount: Any = None) -> dict[str, Any]:
    """Approved bills without a payment, paid together (one new group) in payment status ``status``."""
    status = _status(status)
    if not uuids:
        raise ActivityError("name at least one bill uuid", 400)
    store = state.store
    bills = []
    for uuid in uuids:
        row = store.one(
            "SELECT * FROM bills WHERE replace(uuid, '-', '') = ?", (str(uuid).replace("-", "").lower(),)
        )
        if row is None:
            raise ActivityError(f"bill {uuid} does not exist", 404)
        if row["status"] != 2 or row["payment_uuid"] is not None:
            raise ActivityError(
                f"bill {uuid} is not an approved bill without a payment (status {row['status']})"
            )
        bills.append(dict(row))
    state.master_data_changed()
    factory, now = state.factory(), state.now()
    group = factory.counters.take("bill_group")
    story = History()
    payment = factory.payment(story, bills, [group], BILL_STATUS_OF_PAYMENT[status], now=now)
    payment["status"] = status
    payment["posted_date"] = now.date().isoformat() if status == "paid" else None
    if amount is not None:  # in the bills' currency, with its decimals (whole yen, fils)
        places = int(store.scalar("SELECT decimals FROM currencies WHERE id = ?", (payment["currency_id"],)))
        try:
            payment["amount"] = to_minor(Decimal(str(amount)), places)
        except (InvalidOperation, ValueError, OverflowError):
            raise ActivityError(f"amount {amount!r} is not a number", 400) from None
    _insert_story(state, story)
    with store.transaction():
        for bill in bills:
            change = {
                "status": BILL_STATUS_OF_PAYMENT[status],
                "locked": 1,
                "group_id": group,
                "payment_uuid": payment["uuid"],
                "last_modified_datetime": stored(now),
            }
            if status == "paid":
                change["payment_date"] = now.date().isoformat()
            store.update("bills", bill["id"], change)
    return {"payment_id": payment["id"], "payment_uuid": payment["uuid"], "group": group, "status": status}


def set_payment_status(state: SandboxState, uuid: str, status: str) -> dict[str, Any]:
    """A payment moved to ``status``; its bills follow (``paid``: Paid on today, ``failed``: Limbo)."""
    status = _status(status)
    store = state.store
    row = store.one(
        "SELECT * FROM payments WHERE replace(uuid, '-', '') = ?", (uuid.replace("-", "").lower(),)
    )
    if row is None:
        raise ActivityError(f"payment {uuid} does not exist", 404)
    now = state.now()
    change: dict[str, Any] = {"status": status, "updated_at": stored(now)}
    if status == "paid":
        change["posted_date"] = now.date().isoformat()
    with store.transaction():
        store.update("payments", row["id"], change)
        store.conn.execute(
            "UPDATE bills SET status = ?, last_modified_datetime = ? WHERE group_id IN "
            "(SELECT group_id FROM payment_groups WHERE payment_id = ?)",
            (BILL_STATUS_OF_PAYMENT[status], stored(now), row["id"]),
        )
    return {"payment_uuid": row["uuid"], "status": status}
